package fake_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication/fake"
)

// jobState is the part of a job and its replication a lifecycle test checks.
type jobState struct {
	Status     fake.JobStatus
	Process    string
	Stage      string
	Catchup    string
	Percentage int64
	Health     string
}

var createLifecycle = []jobState{
	{fake.JobStatusPending, "", "full", "wait", 0, "normal"},
	{fake.JobStatusRunning, "20%", "full", "full", 20, "normal"},
	{fake.JobStatusRunning, "40%", "full", "full", 40, "normal"},
	{fake.JobStatusRunning, "60%", "full", "full", 60, "normal"},
	{fake.JobStatusRunning, "80%", "full", "full", 80, "normal"},
	{fake.JobStatusCompleted, "", "incremental", "incremental", 100, "normal"},
}

var failedState = jobState{fake.JobStatusFailed, "", "full", "failed", 80, "abnormal"}

// observe lists the replication (first of the instance) then shows the job
// through the API; in JobsStepOnPoll mode the show moves the job.
func observe(t *testing.T, s *fake.Server, jobID string) jobState {
	t.Helper()
	page := list(t, s, testInstance, -1, -1)
	require.Len(t, page.Replications, 1)
	r := page.Replications[0]
	j := showJob(t, s, jobID)
	return jobState{j.Status, deref(j.Process), deref(r.Stage), deref(r.CatchupStage), int64(r.Percentage), r.Status}
}

func TestJobLifecycle(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		fail string
		want []jobState
	}{
		{"completes", "", createLifecycle},
		{"fails", "source database is unreachable", append(append([]jobState(nil), createLifecycle[:5]...), failedState)},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/step on poll", func(t *testing.T) {
			t.Parallel()
			s := newServer(t, fake.WithJobMode(fake.JobsStepOnPoll))
			if tt.fail != "" {
				s.FailNextJob(tt.fail)
			}
			id := create(t, s, testInstance, "orders")
			var got []jobState
			for range tt.want {
				got = append(got, observe(t, s, id))
			}
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.want[len(tt.want)-1], observe(t, s, id), "a finished job stays finished")
			checkFinished(t, s, id, tt.fail)
		})
		t.Run(tt.name+"/manual", func(t *testing.T) {
			t.Parallel()
			s := newServer(t, fake.WithJobMode(fake.JobsManual))
			if tt.fail != "" {
				s.FailNextJob(tt.fail)
			}
			id := create(t, s, testInstance, "orders")
			var got []jobState
			for range tt.want {
				got = append(got, observe(t, s, id))
				assert.Equal(t, got[len(got)-1], observe(t, s, id), "polling does not move a manual job")
				s.Advance(1)
			}
			assert.Equal(t, tt.want, got)
			checkFinished(t, s, id, tt.fail)
		})
		t.Run(tt.name+"/wall clock", func(t *testing.T) {
			t.Parallel()
			c := newClock()
			s := newServer(t, fake.WithJobDuration(5*time.Second), fake.WithClock(c.Now))
			if tt.fail != "" {
				s.FailNextJob(tt.fail)
			}
			start := c.Now()
			id := create(t, s, testInstance, "orders")
			var got []jobState
			for range tt.want {
				got = append(got, observe(t, s, id))
				c.Add(time.Second)
			}
			assert.Equal(t, tt.want, got)
			j := checkFinished(t, s, id, tt.fail)
			assert.Equal(t, start.Add(5*time.Second).Format("2006-01-02T15:04:05-0700"), deref(j.Ended))
		})
	}
}

// checkFinished checks the fields of a finished job.
func checkFinished(t *testing.T, s *fake.Server, id, failReason string) fake.Job {
	t.Helper()
	j, ok := s.Job(id)
	require.True(t, ok)
	assert.Equal(t, id, j.ID)
	assert.Equal(t, "CreateClickHouseDataBaseReplication", j.Name)
	assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$`, j.Created)
	assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$`, deref(j.Ended))
	assert.Equal(t, failReason, deref(j.FailReason))
	require.NotNil(t, j.Instance)
	assert.Equal(t, testInstance, j.Instance.ID)
	assert.Equal(t, "clickhouse-54e42160", j.Instance.Name)
	return j
}

func TestJobFields(t *testing.T) {
	t.Parallel()
	c := newClock()
	s := newServer(t, fake.WithJobMode(fake.JobsManual), fake.WithClock(c.Now),
		fake.WithInstanceName(func(id string) string { return "ch-" + id }))
	id := create(t, s, testInstance, "orders")
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, id)
	j := showJob(t, s, id)
	assert.Equal(t, "2018-08-06T10:41:14+0000", j.Created)
	assert.Empty(t, deref(j.Ended), "ended is empty while the job runs")
	assert.Empty(t, deref(j.FailReason))
	assert.Equal(t, "ch-"+testInstance, j.Instance.Name)

	c.Add(90 * time.Second)
	s.FinishJobs()
	j = showJob(t, s, id)
	assert.Equal(t, fake.JobStatusCompleted, j.Status)
	assert.Equal(t, "2018-08-06T10:42:44+0000", deref(j.Ended))

	a := call(t, s, http.MethodDelete, deletePath(s, testInstance, "orders"), "")
	require.Equal(t, http.StatusOK, a.Status)
	var del fake.JobIDResponse
	a.decode(t, &del)
	assert.NotEqual(t, id, del.JobID)
	j = showJob(t, s, del.JobID)
	assert.Equal(t, "DeleteClickHouseDataBaseReplication", j.Name)
	assert.Equal(t, fake.JobStatusPending, j.Status)
	require.True(t, s.AdvanceJob(del.JobID, 2))
	assert.Equal(t, "40%", deref(showJob(t, s, del.JobID).Process))
	assert.False(t, s.AdvanceJob("no-such-job", 1))
}

func TestJobDurationZeroEndsAtOnce(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithJobDuration(0))
	id := create(t, s, testInstance, "orders")
	assert.Equal(t, fake.JobStatusCompleted, showJob(t, s, id).Status)
}

func TestJobWallClockInRealTime(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithJobDuration(100*time.Millisecond))
	id := create(t, s, testInstance, "orders")
	// Bounded polling of a job that ends on its own.
	require.Eventually(t, func() bool { return showJob(t, s, id).Status == fake.JobStatusCompleted },
		5*time.Second, 10*time.Millisecond)
}

func TestFailNextJobQueues(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithJobMode(fake.JobsManual))
	s.FailNextJob("first")
	s.FailNextJob("")
	ids := []string{create(t, s, testInstance, "a"), create(t, s, testInstance, "b"), create(t, s, testInstance, "c")}
	s.FinishJobs()
	want := []struct {
		status fake.JobStatus
		reason string
	}{{fake.JobStatusFailed, "first"}, {fake.JobStatusFailed, "The job failed."}, {fake.JobStatusCompleted, ""}}
	for i, id := range ids {
		j := showJob(t, s, id)
		assert.Equal(t, want[i].status, j.Status, "job %d", i)
		assert.Equal(t, want[i].reason, deref(j.FailReason), "job %d", i)
	}
	// A failed create leaves an abnormal replication that can be deleted.
	reps := s.Replications(testInstance)
	require.Len(t, reps, 3)
	assert.Equal(t, "abnormal", reps[0].Status)
	assert.Equal(t, http.StatusOK, call(t, s, http.MethodDelete, deletePath(s, testInstance, "a"), "").Status)
}

func TestUnknownJob(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	a := call(t, s, http.MethodGet, jobPath(s, "18ef8ee3-b880-4851-8978-bb6acbd4e695"), "")
	require.Equal(t, http.StatusBadRequest, a.Status)
	assert.Equal(t, fake.CodeJobNotFound, a.errorBody(t).ErrorCode)
	_, ok := s.Job("18ef8ee3-b880-4851-8978-bb6acbd4e695")
	assert.False(t, ok)
}

// TestWireProgress checks progress as it goes on the wire: a replication's
// percentage is a JSON string (as in Huawei's schema and the official
// SDKs), a job's process is "40%" while it runs and "" otherwise.
func TestWireProgress(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithJobMode(fake.JobsManual))
	id := create(t, s, testInstance, "orders")
	// raw answers the JSON text of one field of the answer to GET path.
	raw := func(path string, field func(body []byte) (json.RawMessage, error)) string {
		t.Helper()
		a := call(t, s, http.MethodGet, path, "")
		require.Equal(t, http.StatusOK, a.Status, "body %s", a.Body)
		v, err := field(a.Body)
		require.NoError(t, err, "body %s", a.Body)
		return string(v)
	}
	percentage := func() string {
		return raw(replicationPath(s, testInstance), func(b []byte) (json.RawMessage, error) {
			var page struct{ Replications []map[string]json.RawMessage }
			err := json.Unmarshal(b, &page)
			if err == nil && len(page.Replications) != 1 {
				err = fmt.Errorf("%d replications", len(page.Replications))
			}
			if err != nil {
				return nil, err
			}
			return page.Replications[0]["percentage"], nil
		})
	}
	process := func() string {
		return raw(jobPath(s, id), func(b []byte) (json.RawMessage, error) {
			var shown struct{ Job map[string]json.RawMessage }
			err := json.Unmarshal(b, &shown)
			return shown.Job["process"], err
		})
	}
	assert.Equal(t, `"0"`, percentage())
	assert.Equal(t, `""`, process(), "Pending")
	s.Advance(2)
	assert.Equal(t, `"40"`, percentage())
	assert.Equal(t, `"40%"`, process(), "Running")
	s.FinishJobs()
	assert.Equal(t, `"100"`, percentage())
	assert.Equal(t, `""`, process(), "Completed")
}
