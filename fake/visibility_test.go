package fake_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication/fake"
)

// assertJobHidden checks that ShowGaussMySqlJobInfo answers for the job
// what it answers for a job that does not exist.
func assertJobHidden(t *testing.T, s *fake.Server, id string) {
	t.Helper()
	a := call(t, s, http.MethodGet, jobPath(s, id), "")
	require.Equal(t, http.StatusBadRequest, a.Status, "body %s", a.Body)
	e := a.errorBody(t)
	assert.Equal(t, fake.CodeJobNotFound, e.ErrorCode)
	assert.Equal(t, "The job does not exist: "+id+".", e.ErrorMsg, "the message names the job")
}

func TestJobVisibilityDelay(t *testing.T) {
	t.Parallel()
	c := newClock()
	s := newServer(t, fake.WithJobMode(fake.JobsManual), fake.WithClock(c.Now),
		fake.WithJobVisibilityDelay(3*time.Second))
	id := create(t, s, testInstance, "orders")

	assertJobHidden(t, s, id)
	// The answer is the one for a job the fake never issued.
	unknown := call(t, s, http.MethodGet, jobPath(s, "18ef8ee3-b880-4851-8978-bb6acbd4e695"), "")
	require.Equal(t, http.StatusBadRequest, unknown.Status)
	assert.Equal(t, fake.CodeJobNotFound, unknown.errorBody(t).ErrorCode)

	// The job exists all the same, and its replication is listed at once.
	j, ok := s.Job(id)
	require.True(t, ok, "Server.Job shows a job that the API does not show yet")
	assert.Equal(t, fake.JobStatusPending, j.Status)
	assert.Len(t, s.Replications(testInstance), 1)

	c.Add(3*time.Second - time.Millisecond)
	assertJobHidden(t, s, id)
	c.Add(time.Millisecond)
	assert.Equal(t, fake.JobStatusPending, showJob(t, s, id).Status, "visible once the delay has passed")

	// A delete's job is hidden the same way, from its own creation.
	s.FinishJobs()
	a := call(t, s, http.MethodDelete, deletePath(s, testInstance, "orders"), "")
	require.Equal(t, http.StatusOK, a.Status, "body %s", a.Body)
	var del fake.JobIDResponse
	a.decode(t, &del)
	assertJobHidden(t, s, del.JobID)
	assert.Equal(t, fake.JobStatusCompleted, showJob(t, s, id).Status, "an older job stays visible")
	c.Add(3 * time.Second)
	assert.Equal(t, fake.JobStatusPending, showJob(t, s, del.JobID).Status)
}

func TestJobVisibilityDelayStepOnPoll(t *testing.T) {
	t.Parallel()
	c := newClock()
	s := newServer(t, fake.WithJobMode(fake.JobsStepOnPoll), fake.WithClock(c.Now),
		fake.WithJobVisibilityDelay(time.Second))
	id := create(t, s, testInstance, "orders")
	for range 3 {
		assertJobHidden(t, s, id)
	}
	c.Add(time.Second)
	// The polls that did not see the job did not move it.
	var got []fake.JobStatus
	for range 6 {
		got = append(got, showJob(t, s, id).Status)
	}
	assert.Equal(t, []fake.JobStatus{
		fake.JobStatusPending, fake.JobStatusRunning, fake.JobStatusRunning,
		fake.JobStatusRunning, fake.JobStatusRunning, fake.JobStatusCompleted,
	}, got)
}

func TestJobVisibilityDelayWallClock(t *testing.T) {
	t.Parallel()
	c := newClock()
	s := newServer(t, fake.WithJobDuration(5*time.Second), fake.WithClock(c.Now),
		fake.WithJobVisibilityDelay(2*time.Second))
	id := create(t, s, testInstance, "orders")
	c.Add(time.Second)
	assertJobHidden(t, s, id)
	c.Add(time.Second)
	j := showJob(t, s, id)
	assert.Equal(t, fake.JobStatusRunning, j.Status, "the job ran while it was hidden")
	assert.Equal(t, "40%", deref(j.Process))
}

func TestJobVisibilityDelayInRealTime(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithJobDuration(0), fake.WithJobVisibilityDelay(200*time.Millisecond))
	id := create(t, s, testInstance, "orders")
	assertJobHidden(t, s, id)
	// Bounded polling of a job that shows up on its own.
	require.Eventually(t, func() bool {
		return call(t, s, http.MethodGet, jobPath(s, id), "").Status == http.StatusOK
	}, 5*time.Second, 20*time.Millisecond)
	assert.Equal(t, fake.JobStatusCompleted, showJob(t, s, id).Status)
}

func TestJobVisibilityDelayOffByDefault(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithJobMode(fake.JobsManual))
	id := create(t, s, testInstance, "orders")
	assert.Equal(t, fake.JobStatusPending, showJob(t, s, id).Status)
}

func TestJobVisibilityDelayNegative(t *testing.T) {
	t.Parallel()
	_, err := fake.NewServer(fake.WithJobVisibilityDelay(-time.Second))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "WithJobVisibilityDelay")
}
