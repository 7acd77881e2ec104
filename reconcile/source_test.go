package reconcile_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/auth"
	"github.com/gaussdb-tools/chreplication/fake"
	"github.com/gaussdb-tools/chreplication/reconcile"
)

const anotherSource = "77aa4096cb824a61b93dab5ca00ecc8fin07"

// TestPlanSourceConflict: a task of a database the file wants that
// replicates from another source is a conflict: left alone, never "done",
// its error naming both sources. With SkipSourceCheck the plan trusts the
// list (and reads no configuration).
func TestPlanSourceConflict(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	require.NoError(t, s.AddReplicationFrom(instanceID, "legacy", anotherSource, ""))
	require.NoError(t, s.AddReplicationFrom(instanceID, "shop", sourceInstanceID, ""))
	d := parse(t, file(entry(instanceID, "legacy, shop")))

	a, _ := newApplier(t, s, reconcile.Options{})
	plan, err := a.Plan(t.Context(), d)
	require.NoError(t, err)
	ch := byKey(plan.Changes)
	legacy := ch[instanceID+"/legacy"]
	assert.Equal(t, reconcile.ActionNone, legacy.Action)
	assert.Equal(t, reconcile.ResultConflict, legacy.Result)
	var sc *chreplication.SourceConflictError
	require.ErrorAs(t, legacy.Err, &sc)
	assert.Equal(t, anotherSource, sc.Have.InstanceID)
	assert.Equal(t, sourceInstanceID, sc.Want.InstanceID)
	assert.Equal(t, reconcile.ResultDone, ch[instanceID+"/shop"].Result)

	s.ResetRequests()
	out := a.Apply(t.Context(), plan)
	assert.Equal(t, reconcile.ResultConflict, byKey(out)[instanceID+"/legacy"].Result)
	assert.Zero(t, s.RequestCount(""), "apply sends nothing for a conflict")

	skip, _ := newApplier(t, s, reconcile.Options{SkipSourceCheck: true})
	plan, err = skip.Plan(t.Context(), d)
	require.NoError(t, err)
	assert.Equal(t, reconcile.ResultDone, byKey(plan.Changes)[instanceID+"/legacy"].Result, "trusted, as asked")
	assert.Zero(t, s.RequestCount(opConfig))
}

// TestApplySourceConflictOnCreate: a task of another source made after the
// plan (the create is answered "exists") is a conflict too, not adopted.
func TestApplySourceConflictOnCreate(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	d := parse(t, file(entry(instanceID, "legacy")))
	a, _ := newApplier(t, s, reconcile.Options{})
	plan, err := a.Plan(t.Context(), d)
	require.NoError(t, err)
	require.Equal(t, reconcile.ActionCreate, plan.Changes[0].Action)
	require.NoError(t, s.AddReplicationFrom(instanceID, "legacy", anotherSource, ""))
	out := a.Apply(t.Context(), plan)
	assert.Equal(t, reconcile.ResultConflict, out[0].Result)
	assert.Equal(t, reconcile.ActionNone, out[0].Action)
	assert.True(t, chreplication.IsSourceConflict(out[0].Err), "%v", out[0].Err)
}

// TestApplyFollowsATaskStillBeingCreated: a rerun that finds the task of
// an earlier create whose job is still running does not call it done: it
// follows the task until it leaves its first stages (here abnormal: the
// job failed), or reports it running when its context ends first.
func TestApplyFollowsATaskStillBeingCreated(t *testing.T) {
	t.Parallel()
	s := newFake(t, fake.WithJobMode(fake.JobsManual))
	c, err := chreplication.NewClient(s.URL(), chreplication.WithProjectID(s.ProjectID()), chreplication.WithAuth(auth.StaticToken(testToken)))
	require.NoError(t, err)
	s.FailNextJob("source binlog is disabled")
	_, err = c.CreateReplication(t.Context(), instanceID, chreplication.CreateReplicationRequest{SourceInstanceID: sourceInstanceID, SourceDatabase: "shop"})
	require.NoError(t, err)

	a, _ := newApplier(t, s, reconcile.Options{})
	d := parse(t, file(entry(instanceID, "shop")))
	plan, err := a.Plan(t.Context(), d)
	require.NoError(t, err)
	require.Len(t, plan.Changes, 1)
	assert.True(t, plan.Changes[0].Starting, "the task is still being created")
	assert.Equal(t, reconcile.ActionNone, plan.Changes[0].Action)
	assert.Equal(t, reconcile.ResultPlanned, plan.Changes[0].Result, "not done")

	// The context ends while the job runs: running, not done.
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	out := a.Apply(ctx, plan)
	cancel()
	assert.Equal(t, reconcile.ResultRunning, out[0].Result)

	// The job fails while apply follows: abnormal, not done.
	lists := s.RequestCount(opList)
	done := make(chan []reconcile.Change, 1)
	go func() { done <- a.Apply(t.Context(), plan) }()
	deadline := time.Now().Add(time.Minute)
	for s.RequestCount(opList) < lists+2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case out := <-done:
		t.Fatalf("apply ended while the create job runs: %+v", out)
	default:
	}
	s.FinishJobs()
	out = <-done
	assert.Equal(t, reconcile.ResultAbnormal, out[0].Result)
	assert.False(t, errors.Is(out[0].Err, context.Canceled))
	assert.Equal(t, chreplication.ReplicationAbnormal, out[0].Replication.Status)
}

// TestFollowingATaskRidesOutAFailedLook: a look at the list that fails
// with a 5xx while apply follows a task being created is tried again.
func TestFollowingATaskRidesOutAFailedLook(t *testing.T) {
	t.Parallel()
	s := newFake(t, fake.WithJobMode(fake.JobsManual))
	c, err := chreplication.NewClient(s.URL(), chreplication.WithProjectID(s.ProjectID()), chreplication.WithAuth(auth.StaticToken(testToken)))
	require.NoError(t, err)
	_, err = c.CreateReplication(t.Context(), instanceID, chreplication.CreateReplicationRequest{SourceInstanceID: sourceInstanceID, SourceDatabase: "shop"})
	require.NoError(t, err)
	a, _ := newApplier(t, s, reconcile.Options{MaxAttempts: 2}, chreplication.WithoutRetry())
	plan, err := a.Plan(t.Context(), parse(t, file(entry(instanceID, "shop"))))
	require.NoError(t, err)
	require.True(t, plan.Changes[0].Starting)
	s.InjectFault(fake.Fault{Operation: opList, Status: http.StatusServiceUnavailable, Body: []byte(`{"error_code":"APIGW.0206","error_msg":"unavailable"}`)})
	lists := s.RequestCount(opList)
	done := make(chan []reconcile.Change, 1)
	go func() { done <- a.Apply(t.Context(), plan) }()
	deadline := time.Now().Add(time.Minute)
	for s.RequestCount(opList) < lists+3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	s.FinishJobs()
	out := <-done
	assert.Equal(t, reconcile.ResultDone, out[0].Result, "%v", out[0].Err)
}
