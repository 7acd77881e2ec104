package fake_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication/fake"
)

// assertBusy checks a refusal of a busy instance that names the job it runs.
func assertBusy(t *testing.T, a answer, runningJob string) {
	t.Helper()
	require.Equal(t, http.StatusConflict, a.Status, "body %s", a.Body)
	assert.Equal(t, "application/json", a.Header.Get("Content-Type"))
	assert.NotEmpty(t, a.Header.Get("X-Request-Id"))
	e := a.errorBody(t)
	assert.Equal(t, fake.CodeInstanceBusy, e.ErrorCode)
	assert.Contains(t, e.ErrorMsg, "Another operation is being performed on the DB instance")
	assert.Contains(t, e.ErrorMsg, runningJob)
}

// databases lists the source databases of an instance's replications.
func databases(s *fake.Server, instance string) []string {
	var names []string
	for _, r := range s.Replications(instance) {
		names = append(names, deref(r.SourceDatabase))
	}
	return names
}

func TestOneOperationPerInstance(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithJobMode(fake.JobsManual), fake.WithOneOperationPerInstance())
	require.NoError(t, s.AddReplication(testInstance, "sales"))
	first := create(t, s, testInstance, "orders")
	s.FailNextJob("queued for the next job that starts")
	before := s.Replications(testInstance)
	s.ResetRequests()

	// Every write to the instance is refused while the job runs.
	assertBusy(t, call(t, s, http.MethodPost, replicationPath(s, testInstance), createBody("stock")), first)
	assertBusy(t, call(t, s, http.MethodPost, replicationPath(s, testInstance), createBody("orders")), first)
	assertBusy(t, call(t, s, http.MethodDelete, deletePath(s, testInstance, "sales"), ""), first)
	s.Advance(2) // Running 40%: still busy
	assertBusy(t, call(t, s, http.MethodDelete, deletePath(s, testInstance, "orders"), ""), first)

	// Reads are never refused.
	assert.Len(t, list(t, s, testInstance, -1, -1).Replications, 2)
	assert.Equal(t, fake.JobStatusRunning, showJob(t, s, first).Status)

	// The refusals changed nothing: the store, and the request log shows
	// each write answered 409 and no other write.
	assert.Equal(t, len(before), len(s.Replications(testInstance)))
	assert.Equal(t, []string{"sales", "orders"}, databases(s, testInstance))
	var statuses []string
	for _, r := range s.Requests() {
		statuses = append(statuses, fmt.Sprint(r.Operation, " ", r.Status))
	}
	assert.Equal(t, []string{
		"CreateClickHouseDataBaseReplication 409",
		"CreateClickHouseDataBaseReplication 409",
		"DeleteClickHouseDataBaseReplication 409",
		"DeleteClickHouseDataBaseReplication 409",
		"ListClickHouseDataBaseReplication 200",
		"ShowGaussMySqlJobInfo 200",
	}, statuses)

	// Another instance is not busy. Its job is the first to start since
	// the failure was queued: the refused writes started none.
	other := create(t, s, "otherinstance01", "orders")

	// Once the job has ended, the same write is accepted.
	s.FinishJobs()
	assert.Equal(t, fake.JobStatusCompleted, showJob(t, s, first).Status)
	o := showJob(t, s, other)
	assert.Equal(t, fake.JobStatusFailed, o.Status)
	assert.Equal(t, "queued for the next job that starts", deref(o.FailReason))
	second := create(t, s, testInstance, "stock")
	assert.Equal(t, []string{"sales", "orders", "stock"}, databases(s, testInstance))
	s.FinishJobs()
	assert.Equal(t, fake.JobStatusCompleted, showJob(t, s, second).Status)
}

func TestOneOperationPerInstanceDelete(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithJobMode(fake.JobsManual), fake.WithOneOperationPerInstance())
	require.NoError(t, s.AddReplication(testInstance, "sales"))
	require.NoError(t, s.AddReplication(testInstance, "orders"))
	a := call(t, s, http.MethodDelete, deletePath(s, testInstance, "sales"), "")
	require.Equal(t, http.StatusOK, a.Status, "body %s", a.Body)
	var del fake.JobIDResponse
	a.decode(t, &del)

	assertBusy(t, call(t, s, http.MethodDelete, deletePath(s, testInstance, "orders"), ""), del.JobID)
	assertBusy(t, call(t, s, http.MethodPost, replicationPath(s, testInstance), createBody("sales")), del.JobID)
	assert.Equal(t, []string{"orders"}, databases(s, testInstance))

	require.True(t, s.AdvanceJob(del.JobID, 5))
	a = call(t, s, http.MethodDelete, deletePath(s, testInstance, "orders"), "")
	assert.Equal(t, http.StatusOK, a.Status, "body %s", a.Body)
	assert.Empty(t, databases(s, testInstance))
}

func TestOneOperationPerInstanceFailedJobEnds(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithJobMode(fake.JobsStepOnPoll), fake.WithOneOperationPerInstance())
	s.FailNextJob("no space left")
	id := create(t, s, testInstance, "orders")
	for range 6 {
		showJob(t, s, id)
	}
	require.Equal(t, fake.JobStatusFailed, showJob(t, s, id).Status)
	// A failed job has ended: the abnormal replication can be deleted.
	a := call(t, s, http.MethodDelete, deletePath(s, testInstance, "orders"), "")
	assert.Equal(t, http.StatusOK, a.Status, "body %s", a.Body)
}

func TestOneOperationPerInstanceWallClock(t *testing.T) {
	t.Parallel()
	c := newClock()
	s := newServer(t, fake.WithJobDuration(5*time.Second), fake.WithClock(c.Now), fake.WithOneOperationPerInstance())
	id := create(t, s, testInstance, "orders")
	c.Add(5*time.Second - time.Millisecond)
	assertBusy(t, call(t, s, http.MethodPost, replicationPath(s, testInstance), createBody("stock")), id)
	c.Add(time.Millisecond)
	create(t, s, testInstance, "stock")
}

func TestOneOperationPerInstanceHiddenJob(t *testing.T) {
	t.Parallel()
	c := newClock()
	s := newServer(t, fake.WithJobMode(fake.JobsManual), fake.WithClock(c.Now),
		fake.WithJobVisibilityDelay(time.Minute), fake.WithOneOperationPerInstance())
	id := create(t, s, testInstance, "orders")
	assertJobHidden(t, s, id)
	// A job not visible yet runs all the same: the instance is busy.
	assertBusy(t, call(t, s, http.MethodPost, replicationPath(s, testInstance), createBody("stock")), id)
}

func TestOneOperationPerInstanceValidatesFirst(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithJobMode(fake.JobsManual), fake.WithOneOperationPerInstance())
	create(t, s, testInstance, "orders")
	a := call(t, s, http.MethodPost, replicationPath(s, testInstance), `{"source_instance_id":"src0123"}`)
	require.Equal(t, http.StatusBadRequest, a.Status, "an invalid request is refused as invalid, busy or not")
	assert.Equal(t, fake.CodeInvalidParameter, a.errorBody(t).ErrorCode)
}

func TestOneOperationPerInstanceConcurrentWrites(t *testing.T) {
	t.Parallel()
	const n = 50
	s := newServer(t, fake.WithJobMode(fake.JobsManual), fake.WithOneOperationPerInstance())
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i := range n {
		wg.Go(func() {
			statuses[i] = call(t, s, http.MethodPost, replicationPath(s, testInstance), createBody(fmt.Sprintf("db%02d", i))).Status
		})
	}
	wg.Wait()
	counts := map[int]int{}
	for _, st := range statuses {
		counts[st]++
	}
	assert.Equal(t, map[int]int{http.StatusOK: 1, http.StatusConflict: n - 1}, counts, "one write starts a job, the others find the instance busy")
	assert.Len(t, s.Replications(testInstance), 1)
}

func TestOneOperationPerInstanceOffByDefault(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithJobMode(fake.JobsManual))
	create(t, s, testInstance, "orders")
	create(t, s, testInstance, "stock")
	a := call(t, s, http.MethodDelete, deletePath(s, testInstance, "orders"), "")
	assert.Equal(t, http.StatusOK, a.Status, "body %s", a.Body)
}
