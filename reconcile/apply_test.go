package reconcile_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/auth"
	"github.com/gaussdb-tools/chreplication/fake"
	"github.com/gaussdb-tools/chreplication/reconcile"
)

const (
	opCreate = "CreateClickHouseDataBaseReplication"
	opDelete = "DeleteClickHouseDataBaseReplication"
	opList   = "ListClickHouseDataBaseReplication"
	opJob    = "ShowGaussMySqlJobInfo"
	opConfig = "ListClickHouseDataBaseReplicationConfig"
)

// abnormalTask makes the fake hold an abnormal task for db: its create job
// failed.
func abnormalTask(t *testing.T, s *fake.Server, instance, db string) {
	t.Helper()
	c, err := chreplication.NewClient(s.URL(), chreplication.WithProjectID(s.ProjectID()), chreplication.WithAuth(auth.StaticToken(testToken)))
	require.NoError(t, err)
	s.FailNextJob("the source database has no primary key")
	_, err = c.CreateReplication(t.Context(), instance, chreplication.CreateReplicationRequest{SourceInstanceID: sourceInstanceID, SourceDatabase: db})
	require.NoError(t, err)
	s.FinishJobs()
}

func TestPlanAndApply(t *testing.T) {
	t.Parallel()
	s := newFake(t, fake.WithOneOperationPerInstance())
	for _, db := range []string{"old", "shop"} {
		require.NoError(t, s.AddReplication(instanceID, db))
	}
	abnormalTask(t, s, instanceID, "broken")
	abnormalTask(t, s, instanceID, "sick")
	require.NoError(t, s.AddReplication(otherInstanceID+"x", "elsewhere"))
	s.ResetRequests()
	d := parse(t, file(entry(instanceID, "shop, sales, sick"), entry(otherInstanceID, `"ventes été", b`)))

	a, cs := newApplier(t, s, reconcile.Options{Prune: true})
	plan, err := a.Plan(t.Context(), d)
	require.NoError(t, err)
	assert.Equal(t, 2, plan.Instances)
	assert.Equal(t, 2, s.RequestCount(opList), "the plan lists each instance once")
	assert.Equal(t, 2, s.RequestCount(opConfig), "and reads the source of each task the file wants and the list shows (shop, sick)")
	assert.Equal(t, 4, s.RequestCount(""), "and sends nothing else")
	type row struct {
		db     string
		action reconcile.Action
		result reconcile.Result
	}
	var rows []row
	for _, ch := range plan.Changes {
		rows = append(rows, row{ch.InstanceID[:4] + "/" + ch.Database, ch.Action, ch.Result})
		assert.Equal(t, s.URL(), ch.Endpoint)
		assert.Equal(t, s.ProjectID(), ch.ProjectID)
	}
	assert.Equal(t, []row{
		{"54e4/shop", reconcile.ActionNone, reconcile.ResultDone},
		{"54e4/sales", reconcile.ActionCreate, reconcile.ResultPlanned},
		{"54e4/sick", reconcile.ActionNone, reconcile.ResultAbnormal},
		{"54e4/old", reconcile.ActionDelete, reconcile.ResultPlanned},
		{"54e4/broken", reconcile.ActionNone, reconcile.ResultAbnormal},
		{"0f1e/ventes été", reconcile.ActionCreate, reconcile.ResultPlanned},
		{"0f1e/b", reconcile.ActionCreate, reconcile.ResultPlanned},
	}, rows)

	var mu sync.Mutex
	kinds := map[reconcile.EventKind]int{}
	a2, _ := newApplier(t, s, reconcile.Options{Prune: true, OnEvent: func(e reconcile.Event) {
		mu.Lock()
		defer mu.Unlock()
		kinds[e.Kind]++
	}})
	out := a2.Apply(t.Context(), plan)
	require.Len(t, out, len(plan.Changes))
	assert.Equal(t, reconcile.ResultPlanned, plan.Changes[1].Result, "the plan is not modified")
	for _, ch := range out {
		require.NoError(t, ch.Err, ch.Database)
		switch ch.Action {
		case reconcile.ActionCreate, reconcile.ActionDelete:
			assert.Equal(t, reconcile.ResultDone, ch.Result, ch.Database)
			assert.NotEmpty(t, ch.JobID, ch.Database)
			job, ok := s.Job(ch.JobID)
			require.True(t, ok)
			assert.Equal(t, fake.JobStatusCompleted, job.Status)
		}
	}
	assert.ElementsMatch(t, []string{"shop", "broken", "sick", "sales"}, databasesOf(s, instanceID))
	assert.ElementsMatch(t, []string{"ventes été", "b"}, databasesOf(s, otherInstanceID))
	assert.Equal(t, map[int]int{http.StatusOK: 3}, writes(s, opCreate), "one create per database, none refused as busy")
	assert.Equal(t, map[int]int{http.StatusOK: 1}, writes(s, opDelete))
	assert.Equal(t, map[string]int{s.URL() + " " + s.ProjectID(): 1}, cs.count(), "one client for the place")
	assert.Equal(t, 4, kinds[reconcile.EventStarted])
	assert.Equal(t, 4, kinds[reconcile.EventDone])

	// A second plan finds nothing to do.
	plan, err = a.Plan(t.Context(), d)
	require.NoError(t, err)
	for _, ch := range plan.Changes {
		assert.Equal(t, reconcile.ActionNone, ch.Action, ch.Database)
	}
}

// TestApplyPlaces: entries of other projects and endpoints go to their own
// place through one client per place; the same instance ID in two places
// is two instances.
func TestApplyPlaces(t *testing.T) {
	t.Parallel()
	home := newFake(t)
	away := newFake(t, fake.WithProjectID(otherProjectID))
	d := parse(t, file(
		entry(instanceID, "shop"),
		entry(instanceID, "shop, sales", "project_id: "+otherProjectID, "endpoint: "+away.URL()+"/"),
		entry(otherInstanceID, "b", "endpoint: "+away.URL(), "project_id: "+otherProjectID),
		entry(otherInstanceID, "c"),
	))
	a, cs := newApplier(t, home, reconcile.Options{})
	plan, err := a.Plan(t.Context(), d)
	require.NoError(t, err)
	assert.Equal(t, 4, plan.Instances)
	out := a.Apply(t.Context(), plan)
	for _, ch := range out {
		assert.Equal(t, reconcile.ResultDone, ch.Result, "%s %s: %v", ch.Endpoint, ch.Database, ch.Err)
	}
	assert.Equal(t, []string{"shop"}, databasesOf(home, instanceID))
	assert.Equal(t, []string{"c"}, databasesOf(home, otherInstanceID))
	assert.Equal(t, []string{"shop", "sales"}, databasesOf(away, instanceID))
	assert.Equal(t, []string{"b"}, databasesOf(away, otherInstanceID))
	assert.Equal(t, map[string]int{
		home.URL() + " " + home.ProjectID(): 1,
		away.URL() + " " + otherProjectID:   1,
	}, cs.count(), "one client per (endpoint, project), made once")

	// A place whose client cannot be made: Plan says so and sends nothing.
	bad := parse(t, file(entry(instanceID, "x", "endpoint: https://127.0.0.1:1", "project_id: "+otherProjectID)))
	b, err := reconcile.New(reconcile.Options{Client: func(string, string) (*chreplication.Client, error) {
		return nil, chreplication.ErrInvalidRequest
	}})
	require.NoError(t, err)
	_, err = b.Plan(t.Context(), bad)
	require.ErrorIs(t, err, chreplication.ErrInvalidRequest)
	assert.ErrorContains(t, err, "project "+otherProjectID+" at https://127.0.0.1:1")
}

// TestApplyLostAnswers: the answers of the first create and the first
// delete are lost after the fake served them. Apply looks at the list,
// finds the effect, and never sends them again.
func TestApplyLostAnswers(t *testing.T) {
	t.Parallel()
	for _, method := range []string{http.MethodPost, http.MethodDelete} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			s := newFake(t, fake.WithOneOperationPerInstance())
			require.NoError(t, s.AddReplication(instanceID, "old"))
			a, _ := newApplier(t, s, reconcile.Options{Prune: true, Endpoint: losingProxy(t, s, method, 1)})
			plan, err := a.Plan(t.Context(), parse(t, file(entry(instanceID, "shop, sales"))))
			require.NoError(t, err)
			out := byKey(a.Apply(t.Context(), plan))
			lost := "shop"
			if method == http.MethodDelete {
				lost = "old"
			}
			for db, ch := range out {
				assert.Equal(t, reconcile.ResultDone, ch.Result, "%s: %v", db, ch.Err)
				assert.Equal(t, strings.HasSuffix(db, "/"+lost), ch.JobIDLost, db)
				assert.Equal(t, ch.JobIDLost, ch.JobID == "", db)
				assert.False(t, ch.MayRun)
			}
			assert.Equal(t, []string{"shop", "sales"}, databasesOf(s, instanceID))
			assert.Equal(t, 2, writes(s, opCreate)[http.StatusOK], "each create sent once")
			assert.Equal(t, 1, writes(s, opDelete)[http.StatusOK], "the delete sent once")
		})
	}
}

// TestApplyInterruptedReportsRunning: jobs that were started and had not
// ended when the context ended are ResultRunning; changes not started keep
// ResultPlanned with the context's error.
func TestApplyInterruptedReportsRunning(t *testing.T) {
	t.Parallel()
	s := newFake(t, fake.WithJobMode(fake.JobsManual))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var mu sync.Mutex
	started := 0
	a, _ := newApplier(t, s, reconcile.Options{OnEvent: func(e reconcile.Event) {
		mu.Lock()
		defer mu.Unlock()
		if e.Kind == reconcile.EventStarted {
			started++
			if started == 2 {
				cancel() // both instances run a job: interrupt
			}
		}
	}})
	plan, err := a.Plan(ctx, parse(t, file(entry(instanceID, "shop, sales"), entry(otherInstanceID, "b"))))
	require.NoError(t, err)
	out := byKey(a.Apply(ctx, plan))
	running := 0
	for k, ch := range out {
		switch ch.Result {
		case reconcile.ResultRunning:
			running++
			assert.NotEmpty(t, ch.JobID, k)
			assert.NoError(t, ch.Err, k)
			job, ok := s.Job(ch.JobID)
			require.True(t, ok)
			assert.False(t, job.Status == fake.JobStatusCompleted, "the job still runs on the service")
		default:
			assert.Equal(t, instanceID+"/sales", k, "the second change of the first instance was not started")
			assert.Equal(t, reconcile.ResultPlanned, ch.Result)
			assert.ErrorIs(t, ch.Err, context.Canceled)
		}
	}
	assert.Equal(t, 2, running)
	assert.Equal(t, 2, s.RequestCount(opCreate))
}

// TestApplyRidesOutThrottling: the gateway throttles the creates (429);
// they are sent again until they pass, and each database is created once.
func TestApplyRidesOutThrottling(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	s.InjectFault(fake.Fault{Operation: opCreate, Status: http.StatusTooManyRequests, Times: 3,
		Body: []byte(`{"error_code":"APIGW.0308","error_msg":"The throttling threshold has been reached"}`)}) // no policy stated: the adaptive rate
	var mu sync.Mutex
	throttled := 0
	a, _ := newApplier(t, s, reconcile.Options{MaxAttempts: 1}, chreplication.WithEventHook(func(e chreplication.Event) {
		if e.Kind == chreplication.EventThrottled {
			mu.Lock()
			defer mu.Unlock()
			throttled++
		}
	}))
	plan, err := a.Plan(t.Context(), parse(t, file(entry(instanceID, "shop, sales"))))
	require.NoError(t, err)
	for _, ch := range a.Apply(t.Context(), plan) {
		assert.Equal(t, reconcile.ResultDone, ch.Result, "%s: %v", ch.Database, ch.Err)
	}
	assert.Equal(t, map[int]int{http.StatusTooManyRequests: 3, http.StatusOK: 2}, writes(s, opCreate), "each database created once")
	assert.Equal(t, 3, throttled, "MaxAttempts does not bound throttled tries")
	assert.Equal(t, []string{"shop", "sales"}, databasesOf(s, instanceID))
}

// TestApplyRidesOutTheGatewaysLimit: the fake throttles beyond 5 requests
// a second; a client whose budget is the same rides it out.
func TestApplyRidesOutTheGatewaysLimit(t *testing.T) {
	t.Parallel()
	s := newFake(t, fake.WithRateLimit(5), fake.WithOneOperationPerInstance())
	a, _ := newApplier(t, s, reconcile.Options{}, chreplication.WithRateLimit(5, 1))
	plan, err := a.Plan(t.Context(), parse(t, file(entry(instanceID, "a, b"), entry(otherInstanceID, "c, d"))))
	require.NoError(t, err)
	for _, ch := range a.Apply(t.Context(), plan) {
		assert.Equal(t, reconcile.ResultDone, ch.Result, "%s: %v", ch.Database, ch.Err)
	}
	assert.Equal(t, 4, writes(s, opCreate)[http.StatusOK], "each database created once")
	assert.Zero(t, writes(s, opCreate)[http.StatusConflict])
}

// TestApplyWaitsOutABusyInstance: a job started elsewhere keeps the
// instance busy; the create is refused (409) until it ends, then made.
func TestApplyWaitsOutABusyInstance(t *testing.T) {
	t.Parallel()
	s := newFake(t, fake.WithJobMode(fake.JobsManual), fake.WithOneOperationPerInstance())
	c, err := chreplication.NewClient(s.URL(), chreplication.WithProjectID(s.ProjectID()), chreplication.WithAuth(auth.StaticToken(testToken)))
	require.NoError(t, err)
	_, err = c.CreateReplication(t.Context(), instanceID, chreplication.CreateReplicationRequest{SourceInstanceID: sourceInstanceID, SourceDatabase: "other"})
	require.NoError(t, err)
	a, _ := newApplier(t, s, reconcile.Options{MaxAttempts: 1, OnEvent: func(e reconcile.Event) {
		if e.Kind == reconcile.EventStarted {
			s.FinishJobs() // the job apply started ends
		}
	}})
	plan, err := a.Plan(t.Context(), parse(t, file(entry(instanceID, "shop"))))
	require.NoError(t, err)
	done := make(chan []reconcile.Change, 1)
	go func() { done <- a.Apply(t.Context(), plan) }()
	// Once the create was refused as busy, the other job ends.
	require.Eventually(t, func() bool { return writes(s, opCreate)[http.StatusConflict] >= 1 }, 10*time.Second, time.Millisecond)
	s.FinishJobs()
	out := <-done
	assert.Equal(t, reconcile.ResultDone, out[0].Result, "%v", out[0].Err)
	assert.Equal(t, 2, writes(s, opCreate)[http.StatusOK], "the other create and that of shop")
}

func TestApplyFailures(t *testing.T) {
	t.Parallel()
	t.Run("job failed", func(t *testing.T) {
		t.Parallel()
		s := newFake(t)
		s.FailNextJob("binlog is disabled on the source")
		a, _ := newApplier(t, s, reconcile.Options{})
		plan, err := a.Plan(t.Context(), parse(t, file(entry(instanceID, "shop"))))
		require.NoError(t, err)
		out := a.Apply(t.Context(), plan)
		assert.Equal(t, reconcile.ResultFailed, out[0].Result)
		assert.True(t, out[0].JobFailed)
		assert.EqualError(t, out[0].Err, "job "+out[0].JobID+" failed: binlog is disabled on the source")
	})
	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		s := newFake(t)
		s.InjectFault(fake.Fault{Operation: opCreate, Status: http.StatusForbidden,
			Body: []byte(`{"error_code":"DBS.200002","error_msg":"No permission."}`)})
		a, _ := newApplier(t, s, reconcile.Options{})
		plan, err := a.Plan(t.Context(), parse(t, file(entry(instanceID, "shop, sales"))))
		require.NoError(t, err)
		out := byKey(a.Apply(t.Context(), plan))
		failed := out[instanceID+"/shop"]
		assert.Equal(t, reconcile.ResultFailed, failed.Result)
		assert.False(t, failed.JobFailed)
		var apiErr *chreplication.APIError
		require.ErrorAs(t, failed.Err, &apiErr)
		assert.Equal(t, "DBS.200002", apiErr.Code)
		assert.Equal(t, reconcile.ResultDone, out[instanceID+"/sales"].Result, "the next change goes on")
		assert.Equal(t, 2, s.RequestCount(opCreate), "a refusal is not tried again")
	})
	t.Run("list fails", func(t *testing.T) {
		t.Parallel()
		s := newFake(t)
		s.InjectFault(fake.Fault{Operation: opList, Status: http.StatusForbidden, Times: -1,
			Body: []byte(`{"error_code":"APIGW.0302","error_msg":"forbidden"}`)})
		a, _ := newApplier(t, s, reconcile.Options{})
		plan, err := a.Plan(t.Context(), parse(t, file(entry(instanceID, "shop, sales"))))
		require.NoError(t, err)
		for _, ch := range a.Apply(t.Context(), plan) {
			assert.Equal(t, reconcile.ActionNone, ch.Action)
			assert.Equal(t, reconcile.ResultFailed, ch.Result)
			assert.ErrorContains(t, ch.Err, "listing the replications of the instance")
		}
		assert.Zero(t, s.RequestCount(opCreate))
	})
}

// TestApplyFindsItAlreadyDone: a task created and another deleted by
// someone else between the plan and the apply: the service's answer is
// checked on the list, nothing else is sent.
func TestApplyFindsItAlreadyDone(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	require.NoError(t, s.AddReplication(instanceID, "old"))
	a, _ := newApplier(t, s, reconcile.Options{Prune: true})
	plan, err := a.Plan(t.Context(), parse(t, file(entry(instanceID, "shop"))))
	require.NoError(t, err)
	require.NoError(t, s.AddReplication(instanceID, "shop"))
	c, err := chreplication.NewClient(s.URL(), chreplication.WithProjectID(s.ProjectID()), chreplication.WithAuth(auth.StaticToken(testToken)))
	require.NoError(t, err)
	jobID, err := c.DeleteReplication(t.Context(), instanceID, "old")
	require.NoError(t, err)
	_, err = c.WaitJob(t.Context(), jobID, chreplication.WithPollInterval(5*time.Millisecond, 0))
	require.NoError(t, err)
	s.ResetRequests()
	for _, ch := range a.Apply(t.Context(), plan) {
		assert.Equal(t, reconcile.ResultDone, ch.Result, "%s: %v", ch.Database, ch.Err)
		assert.Equal(t, reconcile.ActionNone, ch.Action)
		assert.True(t, ch.Already)
		assert.Empty(t, ch.JobID)
	}
	assert.Equal(t, 1, s.RequestCount(opCreate))
	assert.Equal(t, 1, s.RequestCount(opDelete))
	assert.Zero(t, s.RequestCount(opJob))
}

func TestNewRefusesNoClient(t *testing.T) {
	t.Parallel()
	_, err := reconcile.New(reconcile.Options{})
	require.ErrorIs(t, err, chreplication.ErrInvalidRequest)
	a, err := reconcile.New(reconcile.Options{Client: (&clients{}).make})
	require.NoError(t, err)
	_, err = a.Plan(t.Context(), nil)
	require.ErrorIs(t, err, chreplication.ErrInvalidRequest)
	assert.Nil(t, a.Apply(t.Context(), nil))
}

// TestApplyKeepsAtALostAnswer: creates answered 502 by the gateway without
// reaching the service, more times than MaxAttempts: each time the list
// does not show the task, so the outcome stays unknown and Apply tries
// again (through EnsureReplication, which looks first), until one create
// passes. One create is accepted.
func TestApplyKeepsAtALostAnswer(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	s.InjectFault(fake.Fault{Operation: opCreate, Status: http.StatusBadGateway, Times: 3})
	var mu sync.Mutex
	unknown := 0
	a, _ := newApplier(t, s, reconcile.Options{MaxAttempts: 1, ConfirmWait: 20 * time.Millisecond, OnEvent: func(e reconcile.Event) {
		if e.Kind == reconcile.EventRetry {
			mu.Lock()
			defer mu.Unlock()
			if errors.Is(e.Err, chreplication.ErrOutcomeUnknown) {
				unknown++
			}
		}
	}})
	plan, err := a.Plan(t.Context(), parse(t, file(entry(instanceID, "shop"))))
	require.NoError(t, err)
	out := a.Apply(t.Context(), plan)
	require.Len(t, out, 1)
	assert.Equal(t, reconcile.ResultDone, out[0].Result, "%v", out[0].Err)
	assert.NotEmpty(t, out[0].JobID)
	assert.False(t, out[0].JobIDLost)
	assert.Equal(t, map[int]int{http.StatusBadGateway: 3, http.StatusOK: 1}, writes(s, opCreate))
	assert.Equal(t, 3, unknown, "each lost answer is tried again, whatever MaxAttempts")
}
