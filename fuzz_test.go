package chreplication

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication/auth"
	"github.com/gaussdb-tools/chreplication/fake"
)

// fuzzAnswer is what FuzzResponse's operations are checked against: the
// answer every request got.
type fuzzAnswer struct {
	status int
	body   []byte
	id     string
}

// fuzzOutcome is what an operation of responseOps returned: whether its result
// is usable (only read when err is nil), the error, and the errors beside
// the client's typed ones that it may return (ErrJobFailed, ErrOutcomeUnknown,
// context.Canceled, ...).
type fuzzOutcome struct {
	ok   bool
	err  error
	also []error
}

// responseOps are the facade's operations FuzzResponse runs against any
// answer, each with what makes its result usable. A new facade operation
// gets an entry here: a name, the call, the checks of its result.
var responseOps = []struct {
	name string
	run  func(ctx context.Context, c *Client, a fuzzAnswer) fuzzOutcome
}{
	{"CreateReplication", func(ctx context.Context, c *Client, _ fuzzAnswer) fuzzOutcome {
		id, err := c.CreateReplication(ctx, testInstance, CreateReplicationRequest{SourceInstanceID: "s", SourceDatabase: "d"})
		return fuzzOutcome{ok: id != "", err: err}
	}},
	{"DeleteReplication", func(ctx context.Context, c *Client, _ fuzzAnswer) fuzzOutcome {
		id, err := c.DeleteReplication(ctx, testInstance, "d")
		return fuzzOutcome{ok: id != "", err: err}
	}},
	{"ListReplications", func(ctx context.Context, c *Client, _ fuzzAnswer) fuzzOutcome {
		page, err := c.ListReplications(ctx, testInstance, ListOptions{})
		return fuzzOutcome{ok: page != nil && page.TotalCount >= 0 && page.Replications != nil && usableReplications(page.Replications), err: err}
	}},
	{"AllReplications", func(ctx context.Context, c *Client, _ fuzzAnswer) fuzzOutcome {
		var seen []Replication
		var err error
		n := 0
		for r, e := range c.AllReplications(ctx, testInstance) {
			n++
			if err != nil {
				return fuzzOutcome{ok: false, err: errors.New("AllReplications: a value after the error")}
			}
			if e != nil {
				if r != (Replication{}) {
					return fuzzOutcome{ok: false, err: errors.New("AllReplications: an error with a replication")}
				}
				err = e
				continue
			}
			if seen = append(seen, r); n == 5 {
				break // a page of one that claims many would page for long
			}
		}
		return fuzzOutcome{ok: usableReplications(seen), err: err}
	}},
	{"Job", func(ctx context.Context, c *Client, _ fuzzAnswer) fuzzOutcome {
		job, err := c.Job(ctx, "j1")
		return fuzzOutcome{ok: usableJob(job), err: err}
	}},
	{"WaitJob", func(ctx context.Context, c *Client, a fuzzAnswer) fuzzOutcome {
		// One look: a running job ends the wait through its context.
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		job, err := c.WaitJob(ctx, "j1", WithVisibilityGrace(0), WithPollInterval(time.Millisecond, time.Millisecond),
			WithProgress(func(j *Job) {
				if !j.Status.Done() {
					cancel()
				}
			}))
		switch {
		case err == nil:
			return fuzzOutcome{ok: usableJob(job) && job.Status == JobCompleted}
		case errors.Is(err, ErrJobFailed):
			if !usableJob(job) || job.Status != JobFailed || !is2xx(a.status) {
				return fuzzOutcome{err: fmt.Errorf("WaitJob: ErrJobFailed without a failed job: %w", err)}
			}
		case errors.Is(err, context.Canceled):
			if !usableJob(job) || job.Status.Done() || !is2xx(a.status) {
				return fuzzOutcome{err: fmt.Errorf("WaitJob: ended by its context without a running job: %w", err)}
			}
		}
		return fuzzOutcome{err: err, also: []error{ErrJobFailed, context.Canceled}}
	}},
	{"EnsureReplication", func(ctx context.Context, c *Client, _ fuzzAnswer) fuzzOutcome {
		res, err := c.EnsureReplication(ctx, testInstance, CreateReplicationRequest{SourceInstanceID: "s", SourceDatabase: "d"}, WithConfirmWait(0))
		ok := res.Created && res.JobID != "" && !res.JobIDLost && res.Replication == nil ||
			res.Created && res.JobID == "" && res.JobIDLost && res.Replication != nil ||
			!res.Created && res.JobID == "" && res.Replication != nil && res.Replication.SourceDatabase == "d"
		return fuzzOutcome{ok: ok, err: err, also: []error{ErrOutcomeUnknown}}
	}},
	{"EnsureReplicationAbsent", func(ctx context.Context, c *Client, _ fuzzAnswer) fuzzOutcome {
		res, err := c.EnsureReplicationAbsent(ctx, testInstance, "d", WithConfirmWait(0))
		ok := res.Deleted && (res.JobID != "") != res.JobIDLost || !res.Deleted && res.JobID == "" && !res.JobIDLost
		return fuzzOutcome{ok: ok, err: err, also: []error{ErrOutcomeUnknown}}
	}},
	{"CheckSource", func(ctx context.Context, c *Client, _ fuzzAnswer) fuzzOutcome {
		err := c.CheckSource(ctx, testInstance, "d", ReplicationSource{InstanceID: "s"})
		var sc *SourceConflictError
		if errors.As(err, &sc) && (sc.Have.InstanceID == "s" || sc.Have.InstanceID == "" || sc.Want.InstanceID != "s") {
			return fuzzOutcome{err: fmt.Errorf("CheckSource: a conflict with the same source: %w", err)}
		}
		return fuzzOutcome{ok: err == nil, err: err, also: []error{ErrSourceConflict}}
	}},
	{"WaitReplicationStarted", func(ctx context.Context, c *Client, _ fuzzAnswer) fuzzOutcome {
		// Every answer is the same: a task still starting is followed until
		// the context ends.
		ctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		r, err := c.WaitReplicationStarted(ctx, testInstance, "d", WithPollInterval(time.Millisecond, time.Millisecond))
		switch {
		case err == nil:
			return fuzzOutcome{ok: r != nil && !r.Starting() && r.Database() == "d"}
		case errors.Is(err, context.DeadlineExceeded) && r != nil && !r.Starting():
			return fuzzOutcome{err: fmt.Errorf("WaitReplicationStarted: ended by its context with a task that is not starting: %w", err)}
		}
		return fuzzOutcome{err: err, also: []error{ErrReplicationGone, context.DeadlineExceeded}}
	}},
	{"ListDatabases", func(ctx context.Context, c *Client, _ fuzzAnswer) fuzzOutcome {
		page, err := c.ListDatabases(ctx, testInstance, DatabaseListOptions{})
		return fuzzOutcome{ok: page != nil && page.TotalCount >= 0 && page.Databases != nil, err: err}
	}},
	{"AllDatabases", func(ctx context.Context, c *Client, _ fuzzAnswer) fuzzOutcome {
		var err error
		n := 0
		for db, e := range c.AllDatabases(ctx, testInstance, "") {
			n++
			if err != nil {
				return fuzzOutcome{err: errors.New("AllDatabases: a value after the error")}
			}
			if e != nil {
				if db != "" {
					return fuzzOutcome{err: errors.New("AllDatabases: an error with a database")}
				}
				err = e
				continue
			}
			if n == 5 {
				break
			}
		}
		return fuzzOutcome{ok: true, err: err}
	}},
	{"DatabaseParameters", func(ctx context.Context, c *Client, _ fuzzAnswer) fuzzOutcome {
		ps, err := c.DatabaseParameters(ctx, testInstance)
		return fuzzOutcome{ok: ps != nil, err: err}
	}},
	{"CheckDatabaseConfig", func(ctx context.Context, c *Client, _ fuzzAnswer) fuzzOutcome {
		res, err := c.CheckDatabaseConfig(ctx, testInstance, CheckRequest{SourceInstanceID: "s", SourceDatabase: "d",
			Settings: []Setting{{Name: "max_sync_threads", Value: "1"}}})
		return fuzzOutcome{ok: res != nil && res.Settings != nil, err: err}
	}},
	{"CheckTableConfig", func(ctx context.Context, c *Client, _ fuzzAnswer) fuzzOutcome {
		res, err := c.CheckTableConfig(ctx, testInstance, CheckRequest{SourceInstanceID: "s", SourceDatabase: "d",
			Tables: []TableConfig{{Table: "t", Config: "ORDER BY id"}}})
		return fuzzOutcome{ok: res != nil && res.Tables != nil, err: err}
	}},
	{"ShowReplicationConfig", func(ctx context.Context, c *Client, _ fuzzAnswer) fuzzOutcome {
		cfg, err := c.ShowReplicationConfig(ctx, testInstance, "d")
		ok := cfg != nil && cfg.Database != "" && cfg.Settings != nil && cfg.Tables != nil && cfg.Scope.Tables != nil &&
			string(cfg.Scope.Mode) == strings.ToLower(strings.TrimSpace(string(cfg.Scope.Mode))) &&
			(cfg.Pending == nil || cfg.Pending.Tables != nil)
		return fuzzOutcome{ok: ok, err: err}
	}},
	{"UpdateScope", func(ctx context.Context, c *Client, _ fuzzAnswer) fuzzOutcome {
		id, err := c.UpdateScope(ctx, testInstance, ScopeUpdate{SourceInstanceID: "s", Database: "d", Scope: TableScope{Tables: []string{"t1", "t2"}}})
		return fuzzOutcome{ok: id != "", err: err, also: []error{ErrScopeModeChange}}
	}},
	{"CancelScopeUpdate", func(ctx context.Context, c *Client, _ fuzzAnswer) fuzzOutcome {
		id, err := c.CancelScopeUpdate(ctx, testInstance, "d")
		return fuzzOutcome{ok: id != "", err: err}
	}},
}

// TestResponseOpsCoverFacade fails when the Client has an operation (a
// method that takes a context) that is not in responseOps: add it there.
func TestResponseOpsCoverFacade(t *testing.T) {
	t.Parallel()
	listed := map[string]bool{}
	for _, op := range responseOps {
		listed[op.name] = true
	}
	ctxType := reflect.TypeFor[context.Context]()
	ct := reflect.TypeFor[*Client]()
	operations := 0
	for i := range ct.NumMethod() {
		m := ct.Method(i)
		if m.Type.NumIn() < 2 || m.Type.In(1) != ctxType {
			continue // ProjectID, String, ...: they send nothing
		}
		operations++
		assert.True(t, listed[m.Name], "Client.%s is not in responseOps", m.Name)
	}
	assert.Equal(t, len(responseOps), operations, "responseOps names an operation the Client does not have")
}

func is2xx(status int) bool { return status >= 200 && status <= 299 }

// usableReplications checks what the facade promises of listed tasks: a
// percentage in 0..100, a source database whenever the answer named a
// target, the known stages and statuses in the constants' case.
func usableReplications(rs []Replication) bool {
	for _, r := range rs {
		if r.Percentage < 0 || r.Percentage > 100 || r.SourceDatabase == "" && r.TargetDatabase != "" {
			return false
		}
		if !normalised(string(r.Status), replicationStatuses) || !normalised(r.Stage, stages) || !normalised(string(r.CatchupStage), stages) {
			return false
		}
	}
	return true
}

// normalised reports whether v, if it is one of known but for case and
// surrounding spaces, is written as known writes it.
func normalised(v string, known []string) bool {
	for _, k := range known {
		if strings.EqualFold(strings.TrimSpace(v), k) && v != k {
			return false
		}
	}
	return true
}

// usableJob checks what the facade promises of a job: an ID and a status,
// times in UTC (or zero), a percentage in 0..100 when there is one.
func usableJob(j *Job) bool {
	if j == nil || j.ID == "" || j.Status == "" {
		return false
	}
	for _, at := range []time.Time{j.Created, j.Ended} {
		if !at.IsZero() && at.Location() != time.UTC {
			return false
		}
	}
	p, ok := j.Percent()
	return !ok || p >= 0 && p <= 100
}

// FuzzResponse gives every facade operation (responseOps) an arbitrary
// answer (status, content type, request ID, body) and checks the outcome:
// a usable result, or one of the client's typed errors (an *APIError for a
// status other than 2xx, ErrInvalidResponse or ErrResponseTooLarge for a 2xx
// it cannot use, or the errors the operation documents); never a panic,
// never a nil error with an unusable result, never the token in an error.
func FuzzResponse(f *testing.F) {
	seeds := []struct {
		status    int
		ctype, id string
		body      string
	}{
		{200, "application/json", "r1", `{"job_id":"18ef8ee3-b880-4851-8978-bb6acbd4e695"}`},
		{200, "application/json", "", `{"total_count":1,"replications":[{"source_database":"a","percentage":40}]}`},
		{200, "application/json", "", `{"job":{"id":"j","status":"Running","created":"2018-08-06T10:41:14+0000","process":"40%"}}`},
		// Huawei's documented answers: the list (percentage numbers, null
		// stages, stages capitalised, entries without source_database), the
		// list as the schema has it (percentage strings), the job (created
		// with +0800, entities), the workflow operations' examples.
		{200, "application/json", "", `{"ext_text":null,"replications":[` +
			`{"catchup_stage":null,"percentage":0,"source_database":"test","stage":"Full","status":"abnormal","target_database":"test"},` +
			`{"catchup_stage":null,"percentage":100,"stage":"Incremental","status":"normal","target_database":"blackwhite_0018_61474479"},` +
			`{"catchup_stage":null,"percentage":0,"stage":"Wait","status":"normal","target_database":"blackwhite_0017_22525694"}],"total_count":3}`},
		{200, "application/json;charset=UTF-8", "", `{"ext_text":"","replications":[` +
			`{"catchup_stage":"incremental","percentage":"100","source_database":"sales","stage":"incremental","status":"normal","target_database":"sales"},` +
			`{"catchup_stage":"full","percentage":"60","source_database":"d","stage":"full","status":"normal","target_database":"d"}],"total_count":2}`},
		{200, "application/json", "", `{"job":{"created":"2018-08-06T10:41:14+0800","ended":"2018-08-06T16:41:14+0000","entities":{"instance":` +
			`{"datastore":{"type":"gaussdb-mysql","version":"8.0"},"endpoint":"192.168.1.203:3306","type":"Cluster"},"resource_ids":` +
			`["a48e43ff268f4c0e879652d65e63d0fbin07.vm"]},"id":"31b8ae23-c687-4d80-b7b4-42a66c9bb886","instance":` +
			`{"id":"a48e43ff268f4c0e879652d65e63d0fbin07","name":"DO-NOT-TOUCH-mgr2-mysql-single"},"name":"CreateGaussDBforMySQLInstance","process":"","status":"Completed"}}`},
		{200, "application/json", "", `{"job":{"created":"2018-08-06T10:41:14+0800","ended":"2018-08-06T10:43:02+0800","entities":{},` +
			`"fail_reason":"The source database does not exist.","id":"7c0e4a52","instance":{"id":"i","name":"c"},"name":"CreateClickHouseDataBaseReplication","process":"","status":"Failed"}}`},
		{200, "application/json", "", `{"job":{"created":"2018-08-06T10:41:14+0800","ended":"","entities":{},"id":"j","process":"60%","status":"Running"}}`},
		{200, "application/json", "", `{"databases":["black_0003_47852503","blackwhite_0017_22525694"],"total_count":42}`},
		{200, "application/json", "", `{"db_parameters":[{"param_name":"default_isolation_level","data_type":"String","default_value":"QUERY_SNAPSHOT",` +
			`"value_range":"READ_COMMITTED|READ_UNCOMMITTED|QUERY_RAW|QUERY_SNAPSHOT","description":"Default isolation level."}]}`},
		{200, "application/json", "", `{"database_name":"blackwhite_0017_22525694","db_config_check_results":[{"param_name":"max_sync_threads","value":"1","check_result":"success"}]}`},
		{200, "application/json", "", `{"source_database_name":"blackwhite_0017_22525694","table_config_check_results":[{"table_name":"sbtest100","table_config":"ORDER BY id","check_result":"Check Override Table Failed"}]}`},
		{200, "application/json", "", `{"source_instance_id":"77aa4096cb824a61b93dab5ca00ecc8fin07","source_node_id":"57bfeacf6e8d4eb685ea907372374b35no07",` +
			`"database_info":{"database_name":"blackwhite_0018_61474479","db_config_check_results":[{"param_name":"max_sync_threads","value":"1","check_result":"success"}]},` +
			`"table_infos":[],"table_repl_config":{"repl_type":"black_list","tables":[]},"is_tables_change":false,` +
			`"new_table_repl_config":{"repl_type":null,"tables":null},"last_error_of_alter_table":null}`},
		{200, "application/json", "", `{"source_instance_id":"s","database_info":{"database_name":"sales"},"table_repl_config":{"repl_type":" Black_List ","tables":null},` +
			`"is_tables_change":true,"new_table_repl_config":{"repl_type":"black_list","tables":["audit_log","tmp_import"]}}`},
		// One body for a list and a create (EnsureReplication), for a list
		// that shows the task and a job.
		{200, "application/json", "", `{"job_id":"j2","total_count":0,"replications":[]}`},
		{200, "application/json", "", `{"job_id":"j2","total_count":1,"replications":[{"source_database":"d","status":"normal"}]}`},
		{200, "application/json", "", ``},
		{200, "text/html", "", `<html>`},
		{200, "application/json", "", `{"job_id":""}`},
		{200, "application/json", "", `{"total_count":-5,"replications":null}`},
		{200, "application/json", "", `{"total_count":1000,"replications":[{"source_database":"x"}],"databases":["x"]}`},
		{200, "application/json", "", `{"job":{"id":"j","status":"Nope","created":"yesterday"}}`},
		{200, "application/json", "", `{"job":{"id":"j","status":"Running","created":"0000-01-01T00:00:00+0800","process":"150%"}}`},
		{200, "application/json", "", `{"replications":[{"percentage":"abc"}],"db_parameters":null,"databases":null}`},
		{201, "application/json", "", `{"job_id":"x"}`},
		{204, "", "", ``},
		{400, "application/json", "r2", `{"error_code":"DBS.280292","error_msg":"gone"}`},
		{401, "application/json", "", `{"error":{"code":401,"message":"no"}}`},
		{404, "application/json", "", `{"error_code":"DBS.200543","error_msg":"job not found ` + testToken + `"}`},
		{409, "application/json", "", `{"error_code":"DBS.200019","error_msg":"busy"}`},
		{429, "text/plain", "", "slow down\n"},
		{500, "application/json", "", `{"error_code":`},
		{502, "text/html", "", "<html><title>502</title></html>"},
		{503, "", "\x00\x01", "\xff\xfe"},
		{302, "", "", ""},
	}
	for _, s := range seeds {
		f.Add(s.status, s.ctype, s.id, []byte(s.body))
	}

	var (
		once sync.Once
		srv  *httptest.Server
		mu   sync.Mutex
		next struct {
			status    int
			ctype, id string
			body      []byte
		}
		c *Client
	)
	f.Cleanup(func() {
		if srv != nil {
			srv.Close()
		}
	})
	f.Fuzz(func(t *testing.T, status int, ctype, id string, body []byte) {
		once.Do(func() {
			srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				mu.Lock()
				n := next
				mu.Unlock()
				if n.ctype != "" {
					w.Header()["Content-Type"] = []string{n.ctype}
				}
				if n.id != "" {
					w.Header()["X-Request-Id"] = []string{n.id}
				}
				if n.status == http.StatusTooManyRequests {
					// A throttle is ridden out until the deadline unless
					// Retry-After asks for longer: one answer is enough.
					w.Header()["Retry-After"] = []string{"3600"}
				}
				w.WriteHeader(n.status)
				_, _ = w.Write(n.body)
			}))
			var err error
			c, err = NewClient(srv.URL, WithProjectID(testProject), WithAuth(auth.StaticToken(testToken)), WithoutRetry(), WithTimeout(5*time.Second))
			require.NoError(t, err)
		})
		status = 200 + abs(status)%400                  // 200..599: the statuses a server can send
		ctype, id = headerValue(ctype), headerValue(id) // what a server can send
		mu.Lock()
		next.status, next.ctype, next.id, next.body = status, ctype, id, body
		mu.Unlock()

		a := fuzzAnswer{status: status, body: body, id: id}
		for _, op := range responseOps {
			checkOutcome(t, op.name, a, op.run(t.Context(), c, a))
		}
	})
}

// checkOutcome checks one operation's outcome against the answer it got.
func checkOutcome(t *testing.T, op string, a fuzzAnswer, o fuzzOutcome) {
	t.Helper()
	status, err := a.status, o.err
	if err == nil {
		if !o.ok {
			t.Fatalf("%s: nil error with an unusable result (status %d)", op, status)
		}
		if !is2xx(status) {
			t.Fatalf("%s: nil error for status %d", op, status)
		}
		return
	}
	if strings.Contains(err.Error(), testToken) && !bytes.Contains(a.body, []byte(testToken)) && !strings.Contains(a.id, testToken) {
		t.Fatalf("%s: the error quotes the token (error not printed)", op)
	}
	var apiErr *APIError
	switch {
	case errors.As(err, &apiErr):
		if apiErr.StatusCode != status || status < 300 {
			t.Fatalf("%s: APIError status %d for answer %d", op, apiErr.StatusCode, status)
		}
		if len(apiErr.Message) > maxMessageLen+3 || strings.ContainsAny(apiErr.Message, "\n\r") {
			t.Fatalf("%s: message not cleaned: %q", op, apiErr.Message)
		}
	case errors.Is(err, ErrInvalidResponse), errors.Is(err, ErrResponseTooLarge):
		if !is2xx(status) {
			t.Fatalf("%s: invalid-response error for status %d", op, status)
		}
	default:
		for _, e := range o.also {
			if errors.Is(err, e) {
				return
			}
		}
		t.Fatalf("%s: untyped error %v", op, err)
	}
}

func abs(n int) int {
	if n < 0 {
		if n == -n { // math.MinInt
			return 0
		}
		return -n
	}
	return n
}

// headerValue keeps the part of s that can be sent as a header value.
func headerValue(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' && r != '\t' || r == 0x7f || r == utf8.RuneError {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

var (
	specOnce    sync.Once
	specSchemas map[string]*openapi3.Schema
	specErr     error
)

// schema returns a component schema of the spec, as the fake embeds it.
func schema(t testing.TB, name string) *openapi3.Schema {
	t.Helper()
	specOnce.Do(func() {
		doc, err := fake.Spec()
		if err != nil {
			specErr = err
			return
		}
		specSchemas = map[string]*openapi3.Schema{}
		for n, ref := range doc.Components.Schemas {
			specSchemas[n] = ref.Value
		}
	})
	require.NoError(t, specErr)
	s := specSchemas[name]
	require.NotNil(t, s, name)
	return s
}

// FuzzInputChecksAgreeWithSpec is a differential test: for any string, the
// facade accepts it as an ID (or a database name) exactly when the spec's
// schema does, so the facade never refuses what the API takes, nor sends
// what the API would refuse.
func FuzzInputChecksAgreeWithSpec(f *testing.F) {
	for _, b := range badIDs {
		f.Add(b.id)
	}
	for _, b := range badDatabases {
		f.Add(b.db)
	}
	for _, s := range []string{"23a50154cf494ec9ad6883979a12db0a", "54e42160670e48e789af7075e1efea1fin16",
		"18ef8ee3-b880-4851-8978-bb6acbd4e695", "sales db", " x", "日本語", "a\u00a0", "a\u2028b", "\ufeff", "a\u0085", "a\u009f", "a\u00a0 ", "x\t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			// JSON cannot carry invalid UTF-8; the facade refuses it.
			if checkDatabase("db", s) == nil || checkID("id", s) == nil {
				t.Fatalf("accepted invalid UTF-8 %q", s)
			}
			return
		}
		idSpec := schema(t, "ID").VisitJSON(s) == nil
		if idFacade := checkID("id", s) == nil; idFacade != idSpec {
			t.Fatalf("ID %q: facade accepts=%v, spec accepts=%v", s, idFacade, idSpec)
		}
		dbSpec := schema(t, "DatabaseName").VisitJSON(s) == nil
		if dbFacade := checkDatabase("db", s) == nil; dbFacade != dbSpec {
			t.Fatalf("database %q: facade accepts=%v, spec accepts=%v", s, dbFacade, dbSpec)
		}
	})
}
