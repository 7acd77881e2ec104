package chreplication

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const ensureSource = "ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07"

// ensureSvc is a scripted replication API: a list of tasks on testInstance
// and a behaviour for creates and deletes.
type ensureSvc struct {
	mu      sync.Mutex
	tasks   []string // databases with a task, in list order
	hidden  map[string]int
	creates int
	deletes int
	lists   int
	// sourceLess lists tasks with target_database only.
	sourceLess bool
	// onWrite answers a create (db named in the body) or a delete (db in
	// the path); nil answers 200 with a job ID and acts.
	onWrite func(s *ensureSvc, w http.ResponseWriter, db string)
	// onList answers a list instead of the default, when set.
	onList func(w http.ResponseWriter) bool
	// sources are the source instances of tasks whose configuration shows
	// another than ensureSource; configs counts the reads.
	sources map[string]ReplicationSource
	configs int
	// stages are the stages the list shows (none when not set).
	stages map[string]string
}

// act adds or removes db's task (the caller holds mu); lag hides a new task
// from that many lists.
func (s *ensureSvc) act(method, db string, lag int) {
	if method == http.MethodPost {
		s.tasks = append(s.tasks, db)
		if lag > 0 {
			if s.hidden == nil {
				s.hidden = map[string]int{}
			}
			s.hidden[db] = lag
		}
		return
	}
	s.tasks = slices.DeleteFunc(s.tasks, func(x string) bool { return x == db })
}

func newEnsureSvc(t *testing.T, tasks ...string) (*Client, *ensureSvc) {
	t.Helper()
	return newEnsureSvcWith(t, nil, tasks...)
}

func newEnsureSvcWith(t *testing.T, opts []Option, tasks ...string) (*Client, *ensureSvc) {
	t.Helper()
	c, ts := setup(t, opts...)
	s := &ensureSvc{tasks: tasks}
	ts.handle("GET "+replicationPath, func(w http.ResponseWriter, _ *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.lists++
		if s.onList != nil && s.onList(w) {
			return
		}
		type task struct {
			Source string `json:"source_database,omitempty"`
			Target string `json:"target_database"`
			Status string `json:"status"`
			Stage  string `json:"stage,omitempty"`
		}
		out := struct {
			Total int    `json:"total_count"`
			Tasks []task `json:"replications"`
		}{Tasks: []task{}}
		for _, db := range s.tasks {
			if s.hidden[db] > 0 {
				s.hidden[db]--
				continue
			}
			tk := task{Source: db, Target: db, Status: "normal", Stage: s.stages[db]}
			if s.sourceLess {
				tk.Source = ""
			}
			out.Tasks = append(out.Tasks, tk)
		}
		out.Total = len(out.Tasks)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	})
	write := func(w http.ResponseWriter, r *http.Request, db string) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if r.Method == http.MethodPost {
			s.creates++
		} else {
			s.deletes++
		}
		if s.onWrite != nil {
			s.onWrite(s, w, db)
			return
		}
		s.act(r.Method, db, 0)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"job_id":"job-`+strings.ToLower(r.Method)+`-1"}`)
	}
	ts.handle("POST "+replicationPath, func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			SourceDatabase string `json:"source_database"`
		}
		require.NoError(t, json.NewDecoder(r.Body).Decode(&body))
		write(w, r, body.SourceDatabase)
	})
	ts.handle("DELETE "+replicationPath+"/{db}", func(w http.ResponseWriter, r *http.Request) {
		write(w, r, r.PathValue("db"))
	})
	ts.handle("GET "+replicationPath+"/config", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.configs++
		db := r.URL.Query().Get("database_name")
		src, ok := s.sources[db]
		if !ok {
			src = ReplicationSource{InstanceID: ensureSource, NodeID: "57bfeacf6e8d4eb685ea907372374b35no07"}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"source_instance_id": src.InstanceID, "source_node_id": src.NodeID,
			"database_info": map[string]any{"database_name": db, "db_config_check_results": []any{}},
			"table_infos":   []any{}, "table_repl_config": map[string]any{"repl_type": "black_list", "tables": []any{}},
			"is_tables_change": false, "new_table_repl_config": map[string]any{"repl_type": nil, "tables": nil},
			"last_error_of_alter_table": nil,
		})
	})
	return c, s
}

func (s *ensureSvc) counts() (creates, deletes, lists int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.creates, s.deletes, s.lists
}

// Behaviours of a write.
var (
	// cutAfterActing acts, then drops the connection without answering.
	cutAfterActing = func(lag int) func(*ensureSvc, http.ResponseWriter, string) {
		return func(s *ensureSvc, _ http.ResponseWriter, db string) {
			method := http.MethodPost
			if s.deletes > 0 {
				method = http.MethodDelete
			}
			s.act(method, db, lag)
			panic(http.ErrAbortHandler)
		}
	}
	// cutWithoutActing drops the connection; the service did nothing.
	cutWithoutActing = func(*ensureSvc, http.ResponseWriter, string) { panic(http.ErrAbortHandler) }
)

func answer(status int, code string, act bool) func(*ensureSvc, http.ResponseWriter, string) {
	return func(s *ensureSvc, w http.ResponseWriter, db string) {
		if act {
			method := http.MethodPost
			if s.deletes > 0 {
				method = http.MethodDelete
			}
			s.act(method, db, 0)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "req-1")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, `{"error_code":"`+code+`","error_msg":"scripted answer"}`)
	}
}

func shopRequest() CreateReplicationRequest {
	return CreateReplicationRequest{SourceInstanceID: ensureSource, SourceDatabase: "shop"}
}

const shortConfirm = 150 * time.Millisecond

func TestEnsureReplicationOutcomes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		tasks       []string
		sourceLess  bool
		onWrite     func(*ensureSvc, http.ResponseWriter, string)
		wantResult  EnsureResult // Replication checked apart
		wantTask    bool         // Replication is set, for "shop"
		wantErr     error        // errors.Is target; nil: no error
		wantStatus  int          // the *APIError's status, when an error is wanted
		wantCreates int
		wantTasks   []string
		minLists    int
	}{
		{name: "exists already", tasks: []string{"other", "shop"}, wantTask: true, wantCreates: 0, wantTasks: []string{"other", "shop"}, minLists: 1},
		{name: "exists, answer without source_database", tasks: []string{"shop"}, sourceLess: true, wantTask: true, wantCreates: 0, wantTasks: []string{"shop"}, minLists: 1},
		{name: "created", wantResult: EnsureResult{Created: true, JobID: "job-post-1"}, wantCreates: 1, wantTasks: []string{"shop"}, minLists: 1},
		{
			name: "answer lost after acting, list shows it", onWrite: cutAfterActing(0),
			wantResult: EnsureResult{Created: true, JobIDLost: true}, wantTask: true, wantCreates: 1, wantTasks: []string{"shop"}, minLists: 2,
		},
		{
			name: "answer lost after acting, list lags", onWrite: cutAfterActing(3),
			wantResult: EnsureResult{Created: true, JobIDLost: true}, wantTask: true, wantCreates: 1, wantTasks: []string{"shop"}, minLists: 5,
		},
		{name: "answer lost, list never shows it", onWrite: cutWithoutActing, wantErr: ErrOutcomeUnknown, wantCreates: 1, minLists: 3},
		{name: "5xx without acting", onWrite: answer(http.StatusInternalServerError, "DBS.200001", false), wantErr: ErrOutcomeUnknown, wantStatus: 500, wantCreates: 1, minLists: 3},
		{
			name: "5xx after acting", onWrite: answer(http.StatusBadGateway, "APIGW.0202", true),
			wantResult: EnsureResult{Created: true, JobIDLost: true}, wantTask: true, wantCreates: 1, wantTasks: []string{"shop"}, minLists: 2,
		},
		{
			name: "400 already exists, made by someone else", onWrite: answer(http.StatusBadRequest, "DBS.280293", true),
			wantTask: true, wantCreates: 1, wantTasks: []string{"shop"}, minLists: 2,
		},
		{name: "400 already exists, list never shows it", onWrite: answer(http.StatusBadRequest, "DBS.280293", false), wantErr: ErrOutcomeUnknown, wantStatus: 400, wantCreates: 1, minLists: 3},
		{name: "400 parameter error", onWrite: answer(http.StatusBadRequest, "DBS.200001", false), wantStatus: 400, wantCreates: 1, minLists: 2},
		{name: "403 refused", onWrite: answer(http.StatusForbidden, "APIGW.0302", false), wantStatus: 403, wantCreates: 1, minLists: 1},
		{
			name: "2xx without job_id after acting", onWrite: func(s *ensureSvc, w http.ResponseWriter, db string) {
				s.act(http.MethodPost, db, 0)
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, `{}`)
			},
			wantResult: EnsureResult{Created: true, JobIDLost: true}, wantTask: true, wantCreates: 1, wantTasks: []string{"shop"}, minLists: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, s := newEnsureSvc(t, tt.tasks...)
			s.sourceLess = tt.sourceLess
			s.onWrite = tt.onWrite
			res, err := c.EnsureReplication(t.Context(), testInstance, shopRequest(), WithConfirmWait(shortConfirm))
			creates, _, lists := s.counts()
			assert.Equal(t, tt.wantCreates, creates, "creates sent")
			assert.GreaterOrEqual(t, lists, tt.minLists, "lists")
			if tt.wantErr != nil || tt.wantStatus != 0 {
				require.Error(t, err)
				if tt.wantErr != nil {
					require.ErrorIs(t, err, tt.wantErr)
				} else {
					assert.NotErrorIs(t, err, ErrOutcomeUnknown)
				}
				if tt.wantStatus != 0 {
					var apiErr *APIError
					require.ErrorAs(t, err, &apiErr)
					assert.Equal(t, tt.wantStatus, apiErr.StatusCode)
				}
				assert.Equal(t, EnsureResult{}, res, "an error reports nothing done")
				return
			}
			require.NoError(t, err)
			if tt.wantTask {
				require.NotNil(t, res.Replication)
				assert.Equal(t, "shop", res.Replication.Database())
			} else {
				assert.Nil(t, res.Replication)
			}
			res.Replication = nil
			assert.Equal(t, tt.wantResult, res)
			s.mu.Lock()
			assert.Equal(t, tt.wantTasks, s.tasks)
			s.mu.Unlock()
		})
	}
}

func TestEnsureReplicationBusyAndThrottledAreNotGuessed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status int
		code   string
	}{{http.StatusConflict, "DBS.200019"}, {http.StatusTooManyRequests, "APIGW.0308"}} {
		// A short call timeout ends the client's own riding out of the
		// busy instance.
		c, s := newEnsureSvcWith(t, []Option{WithTimeout(300 * time.Millisecond)})
		s.onWrite = answer(tc.status, tc.code, false)
		_, err := c.EnsureReplication(t.Context(), testInstance, shopRequest(), WithConfirmWait(shortConfirm))
		var apiErr *APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, tc.status, apiErr.StatusCode)
		assert.NotErrorIs(t, err, ErrOutcomeUnknown, "a refusal changed nothing: no need to look")
		creates, _, lists := s.counts()
		assert.GreaterOrEqual(t, creates, 1)
		assert.Equal(t, 1, lists, "only the first look")
	}
}

func TestEnsureReplicationRidesOutBusyInstance(t *testing.T) {
	t.Parallel()
	c, s := newEnsureSvc(t)
	busy := answer(http.StatusConflict, "DBS.200019", false)
	s.onWrite = func(s *ensureSvc, w http.ResponseWriter, db string) {
		if s.creates <= 2 {
			busy(s, w, db)
			return
		}
		s.act(http.MethodPost, db, 0)
		_, _ = io.WriteString(w, `{"job_id":"job-after-busy"}`)
	}
	res, err := c.EnsureReplication(t.Context(), testInstance, shopRequest(), WithConfirmWait(shortConfirm))
	require.NoError(t, err)
	assert.Equal(t, EnsureResult{Created: true, JobID: "job-after-busy"}, res)
	creates, _, lists := s.counts()
	assert.Equal(t, 3, creates, "two refusals, then the create that was accepted")
	assert.Equal(t, 1, lists)
}

func TestEnsureReplicationInvalidInputSendsNothing(t *testing.T) {
	t.Parallel()
	c, s := newEnsureSvc(t)
	for _, tc := range []struct {
		instance string
		req      CreateReplicationRequest
		field    string
	}{
		{"../x", shopRequest(), "instanceID"},
		{testInstance, CreateReplicationRequest{SourceInstanceID: "", SourceDatabase: "shop"}, "SourceInstanceID"},
		{testInstance, CreateReplicationRequest{SourceInstanceID: ensureSource, SourceDatabase: "a.b"}, "SourceDatabase"},
		{testInstance, CreateReplicationRequest{SourceInstanceID: ensureSource, SourceDatabase: "shop", SourceNodeID: "n/1"}, "SourceNodeID"},
	} {
		_, err := c.EnsureReplication(t.Context(), tc.instance, tc.req)
		var ire *InvalidRequestError
		require.ErrorAs(t, err, &ire)
		assert.Equal(t, tc.field, ire.Field)
	}
	_, err := c.EnsureReplicationAbsent(t.Context(), testInstance, "bad/name")
	require.ErrorIs(t, err, ErrInvalidRequest)
	creates, deletes, lists := s.counts()
	assert.Zero(t, creates+deletes+lists, "nothing was sent")
}

func TestEnsureReplicationListErrorSendsNoCreate(t *testing.T) {
	t.Parallel()
	c, s := newEnsureSvc(t)
	s.onList = func(w http.ResponseWriter) bool {
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, `{"error_code":"APIGW.0302","error_msg":"no"}`)
		return true
	}
	_, err := c.EnsureReplication(t.Context(), testInstance, shopRequest())
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusForbidden, apiErr.StatusCode)
	creates, _, _ := s.counts()
	assert.Zero(t, creates)
}

func TestEnsureReplicationListUnreadableWhileConfirming(t *testing.T) {
	t.Parallel()
	c, s := newEnsureSvc(t)
	s.onWrite = cutWithoutActing
	s.onList = func(w http.ResponseWriter) bool {
		if s.creates == 0 {
			return false // the first look answers
		}
		w.WriteHeader(http.StatusForbidden)
		return true
	}
	res, err := c.EnsureReplication(t.Context(), testInstance, shopRequest(), WithConfirmWait(shortConfirm))
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	assert.Contains(t, err.Error(), "could not be read")
	assert.Equal(t, EnsureResult{}, res)
	creates, _, _ := s.counts()
	assert.Equal(t, 1, creates)
}

func TestEnsureReplicationContextEndsWhileConfirming(t *testing.T) {
	t.Parallel()
	c, s := newEnsureSvc(t)
	ctx, cancel := context.WithCancel(t.Context())
	s.onWrite = func(*ensureSvc, http.ResponseWriter, string) {
		cancel()
		panic(http.ErrAbortHandler)
	}
	began := time.Now()
	_, err := c.EnsureReplication(ctx, testInstance, shopRequest(), WithConfirmWait(time.Minute))
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	require.ErrorIs(t, err, context.Canceled)
	assert.Less(t, time.Since(began), 10*time.Second, "returns when the context ends, not after the confirm wait")
	creates, _, _ := s.counts()
	assert.Equal(t, 1, creates)
}

func TestEnsureReplicationTwiceCreatesOnce(t *testing.T) {
	t.Parallel()
	c, s := newEnsureSvc(t)
	first, err := c.EnsureReplication(t.Context(), testInstance, shopRequest())
	require.NoError(t, err)
	assert.True(t, first.Created)
	second, err := c.EnsureReplication(t.Context(), testInstance, shopRequest())
	require.NoError(t, err)
	assert.False(t, second.Created)
	assert.Empty(t, second.JobID)
	creates, _, _ := s.counts()
	assert.Equal(t, 1, creates)
}

func TestEnsureReplicationAbsentOutcomes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		tasks       []string
		onWrite     func(*ensureSvc, http.ResponseWriter, string)
		want        EnsureAbsentResult
		wantErr     error
		wantStatus  int
		wantDeletes int
		wantTasks   []string
	}{
		{name: "absent already", tasks: []string{"other"}, wantDeletes: 0, wantTasks: []string{"other"}},
		{name: "deleted", tasks: []string{"shop", "other"}, want: EnsureAbsentResult{Deleted: true, JobID: "job-delete-1"}, wantDeletes: 1, wantTasks: []string{"other"}},
		{name: "answer lost after acting", tasks: []string{"shop"}, onWrite: cutAfterActing(0), want: EnsureAbsentResult{Deleted: true, JobIDLost: true}, wantDeletes: 1, wantTasks: []string{}},
		{name: "answer lost, task still listed", tasks: []string{"shop"}, onWrite: cutWithoutActing, wantErr: ErrOutcomeUnknown, wantDeletes: 1, wantTasks: []string{"shop"}},
		{name: "5xx without acting", tasks: []string{"shop"}, onWrite: answer(http.StatusServiceUnavailable, "APIGW.0201", false), wantErr: ErrOutcomeUnknown, wantStatus: 503, wantDeletes: 1, wantTasks: []string{"shop"}},
		{name: "400 not found: deleted by someone else", tasks: []string{"shop"}, onWrite: answer(http.StatusBadRequest, "DBS.280292", true), wantDeletes: 1, wantTasks: []string{}},
		{name: "400 parameter error", tasks: []string{"shop"}, onWrite: answer(http.StatusBadRequest, "DBS.200001", false), wantStatus: 400, wantDeletes: 1, wantTasks: []string{"shop"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, s := newEnsureSvc(t, tt.tasks...)
			s.onWrite = tt.onWrite
			res, err := c.EnsureReplicationAbsent(t.Context(), testInstance, "shop", WithConfirmWait(shortConfirm))
			_, deletes, _ := s.counts()
			assert.Equal(t, tt.wantDeletes, deletes, "deletes sent")
			s.mu.Lock()
			assert.Equal(t, tt.wantTasks, s.tasks)
			s.mu.Unlock()
			if tt.wantErr != nil || tt.wantStatus != 0 {
				require.Error(t, err)
				if tt.wantErr != nil {
					require.ErrorIs(t, err, tt.wantErr)
				} else {
					assert.NotErrorIs(t, err, ErrOutcomeUnknown)
				}
				if tt.wantStatus != 0 {
					var apiErr *APIError
					require.ErrorAs(t, err, &apiErr)
					assert.Equal(t, tt.wantStatus, apiErr.StatusCode)
				}
				assert.Equal(t, EnsureAbsentResult{}, res)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, res)
		})
	}
}

func TestWithConfirmWait(t *testing.T) {
	t.Parallel()
	assert.Equal(t, DefaultConfirmWait, ensureOptions(nil).confirmWait)
	assert.Equal(t, DefaultConfirmWait, ensureOptions([]EnsureOption{WithConfirmWait(-1), nil}).confirmWait)
	assert.Equal(t, time.Duration(0), ensureOptions([]EnsureOption{WithConfirmWait(0)}).confirmWait)
	assert.Equal(t, 10*time.Millisecond, ensureOptions([]EnsureOption{WithConfirmWait(0)}).confirmPoll())
	assert.Equal(t, 2*time.Second, ensureOptions(nil).confirmPoll())
}

func TestOutcomeUnknownMessage(t *testing.T) {
	t.Parallel()
	sendErr := &APIError{StatusCode: 502, Message: "bad gateway"}
	err := unknown("create of database \"shop\" on instance i1", sendErr, nil, time.Second, nil)
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Contains(t, err.Error(), "did not show its effect within 1s")
	assert.Contains(t, err.Error(), "calling again is safe")
	assert.True(t, errors.Is(unknown("x", sendErr, nil, 0, context.Canceled), context.Canceled))
}

func TestValidateExports(t *testing.T) {
	t.Parallel()
	require.NoError(t, ValidateReplication(testInstance, shopRequest()))
	require.NoError(t, ValidateDatabaseName("ventes été"))
	require.NoError(t, ValidateID(testInstance))
	require.ErrorIs(t, ValidateID("a/b"), ErrInvalidRequest)
	require.ErrorIs(t, ValidateID(""), ErrInvalidRequest)
	for _, name := range []string{"", "a.b", "a/b", "trailing ", "tab\there"} {
		var ire *InvalidRequestError
		require.ErrorAs(t, ValidateDatabaseName(name), &ire, "%q", name)
		assert.Equal(t, "database", ire.Field)
	}
}

// TestWithoutFirstLook: the create (the delete) is sent without a list
// before it; what follows its answer is unchanged: a lost answer is
// confirmed with the list, and the service's "exists" ("does not exist")
// answer is taken from a task the caller's list missed.
func TestWithoutFirstLook(t *testing.T) {
	t.Parallel()
	t.Run("create", func(t *testing.T) {
		t.Parallel()
		c, s := newEnsureSvc(t)
		res, err := c.EnsureReplication(t.Context(), testInstance, shopRequest(), WithoutFirstLook())
		require.NoError(t, err)
		assert.Equal(t, EnsureResult{Created: true, JobID: "job-post-1"}, res)
		creates, _, lists := s.counts()
		assert.Equal(t, 1, creates)
		assert.Zero(t, lists, "no list before the create")
	})
	t.Run("create, answer lost", func(t *testing.T) {
		t.Parallel()
		c, s := newEnsureSvc(t)
		s.onWrite = cutAfterActing(0)
		res, err := c.EnsureReplication(t.Context(), testInstance, shopRequest(), WithoutFirstLook(), WithConfirmWait(shortConfirm))
		require.NoError(t, err)
		assert.True(t, res.Created && res.JobIDLost, "%+v", res)
		creates, _, lists := s.counts()
		assert.Equal(t, 1, creates)
		assert.Equal(t, 1, lists, "one list, after the lost answer")
	})
	t.Run("create of a task the caller's list missed", func(t *testing.T) {
		t.Parallel()
		c, s := newEnsureSvc(t, "shop")
		s.onWrite = answer(http.StatusBadRequest, "DBS.280293", false)
		res, err := c.EnsureReplication(t.Context(), testInstance, shopRequest(), WithoutFirstLook(), WithConfirmWait(shortConfirm))
		require.NoError(t, err)
		assert.False(t, res.Created)
		require.NotNil(t, res.Replication)
		assert.Equal(t, "shop", res.Replication.Database())
	})
	t.Run("delete", func(t *testing.T) {
		t.Parallel()
		c, s := newEnsureSvc(t, "shop")
		res, err := c.EnsureReplicationAbsent(t.Context(), testInstance, "shop", WithoutFirstLook())
		require.NoError(t, err)
		assert.Equal(t, EnsureAbsentResult{Deleted: true, JobID: "job-delete-1"}, res)
		_, deletes, lists := s.counts()
		assert.Equal(t, 1, deletes)
		assert.Zero(t, lists, "no list before the delete")
	})
	t.Run("delete of a task already gone", func(t *testing.T) {
		t.Parallel()
		c, s := newEnsureSvc(t)
		s.onWrite = answer(http.StatusBadRequest, "DBS.280292", false)
		res, err := c.EnsureReplicationAbsent(t.Context(), testInstance, "shop", WithoutFirstLook(), WithConfirmWait(shortConfirm))
		require.NoError(t, err)
		assert.Equal(t, EnsureAbsentResult{}, res)
	})
}

const (
	otherSource = "77aa4096cb824a61b93dab5ca00ecc8fin07"
	nodeA       = "57bfeacf6e8d4eb685ea907372374b35no07"
	nodeB       = "0c2a8b2e9f1d4e3c8d7b6a5f4e3d2c1bno07"
)

// TestEnsureReplicationSourceConflict: a task of the database that reads
// from another source instance or node is never adopted: the error names
// both sources, wraps ErrSourceConflict, and no create is sent after it
// was found (on the first look, after the service's "exists" answer, or
// on the list after a lost answer).
func TestEnsureReplicationSourceConflict(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name        string
		tasks       []string
		have        ReplicationSource
		wantNode    string
		onWrite     func(*ensureSvc, http.ResponseWriter, string)
		conflict    bool
		wantCreates int
	}{
		{name: "another instance", tasks: []string{"shop"}, have: ReplicationSource{InstanceID: otherSource}, conflict: true},
		{name: "another instance, its node named", tasks: []string{"shop"}, have: ReplicationSource{InstanceID: otherSource, NodeID: nodeA}, conflict: true},
		{name: "another node", tasks: []string{"shop"}, have: ReplicationSource{InstanceID: ensureSource, NodeID: nodeB}, wantNode: nodeA, conflict: true},
		{name: "the same node", tasks: []string{"shop"}, have: ReplicationSource{InstanceID: ensureSource, NodeID: nodeA}, wantNode: nodeA},
		{name: "primary asked, the config names a node", tasks: []string{"shop"}, have: ReplicationSource{InstanceID: ensureSource, NodeID: nodeA}},
		{name: "a config without a source", tasks: []string{"shop"}, have: ReplicationSource{}},
		{
			name: "the service says it exists", have: ReplicationSource{InstanceID: otherSource},
			onWrite: answer(http.StatusBadRequest, "DBS.280293", true), conflict: true, wantCreates: 1,
		},
		{
			name: "a lost answer, the list shows another source's task", have: ReplicationSource{InstanceID: otherSource},
			onWrite: cutAfterActing(0), conflict: true, wantCreates: 1,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, s := newEnsureSvc(t, tt.tasks...)
			s.sources = map[string]ReplicationSource{"shop": tt.have}
			s.onWrite = tt.onWrite
			req := shopRequest()
			req.SourceNodeID = tt.wantNode
			res, err := c.EnsureReplication(t.Context(), testInstance, req, WithConfirmWait(shortConfirm))
			creates, _, _ := s.counts()
			assert.Equal(t, tt.wantCreates, creates, "creates sent")
			s.mu.Lock()
			assert.Positive(t, s.configs, "the source was read from the configuration")
			s.mu.Unlock()
			if !tt.conflict {
				require.NoError(t, err)
				require.NotNil(t, res.Replication)
				return
			}
			require.Error(t, err)
			assert.True(t, IsSourceConflict(err))
			assert.NotErrorIs(t, err, ErrOutcomeUnknown)
			var sc *SourceConflictError
			require.ErrorAs(t, err, &sc)
			assert.Equal(t, tt.have, sc.Have)
			assert.Equal(t, SourceOf(req), sc.Want)
			assert.Equal(t, "shop", sc.Database)
			assert.Contains(t, err.Error(), tt.have.String(), "names the task's source")
			assert.Contains(t, err.Error(), SourceOf(req).String(), "names the source asked for")
			assert.Equal(t, EnsureResult{}, res)
		})
	}
}

// TestEnsureReplicationConfigUnreadable: when the source of an existing
// task cannot be read, nothing is decided and nothing is sent.
func TestEnsureReplicationConfigUnreadable(t *testing.T) {
	t.Parallel()
	c, ts := setup(t, WithoutRetry())
	ts.handle("GET "+replicationPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"total_count":1,"replications":[{"source_database":"shop","target_database":"shop","status":"normal"}]}`)
	})
	ts.handle("GET "+replicationPath+"/config", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, `{"error_code":"DBS.200001","error_msg":"boom"}`)
	})
	creates := 0
	ts.handle("POST "+replicationPath, func(w http.ResponseWriter, _ *http.Request) { creates++ })
	_, err := c.EnsureReplication(t.Context(), testInstance, shopRequest())
	require.Error(t, err)
	assert.False(t, IsSourceConflict(err))
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusInternalServerError, apiErr.StatusCode)
	assert.Contains(t, err.Error(), "reading the source of the task")
	assert.Zero(t, creates)
}

// TestEnsureReplicationStarting: a task found in its first stages is
// reported Starting (its create may still fail); one in its steady stage
// is not.
func TestEnsureReplicationStarting(t *testing.T) {
	t.Parallel()
	for stage, starting := range map[string]bool{"wait": true, "full": true, "Full": true, "incremental": false, "": false, "other": false} {
		c, s := newEnsureSvc(t, "shop")
		s.stages = map[string]string{"shop": stage}
		res, err := c.EnsureReplication(t.Context(), testInstance, shopRequest())
		require.NoError(t, err)
		assert.Equal(t, starting, res.Starting, "stage %q", stage)
		assert.False(t, res.Created)
	}
}
