package chreplication_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/auth"
	"github.com/gaussdb-tools/chreplication/fake"
)

const (
	srcInstance   = "ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07"
	otherInstance = "77aa4096cb824a61b93dab5ca00ecc8fin07"
	chInstance    = "54e42160670e48e789af7075e1efea1fin16"
)

func fakeClient(t *testing.T, opts ...fake.Option) (*fake.Server, *chreplication.Client) {
	t.Helper()
	s, err := fake.NewServer(opts...)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	c, err := chreplication.NewClient(s.URL(), chreplication.WithProjectID(s.ProjectID()),
		chreplication.WithAuth(auth.StaticToken(s.Token())))
	require.NoError(t, err)
	return s, c
}

// TestEnsureReplicationNeverAdoptsAnotherSource: against the fake, the
// task of "legacy" that replicates from another instance is refused with
// a *SourceConflictError naming both sources, and no create is sent.
func TestEnsureReplicationNeverAdoptsAnotherSource(t *testing.T) {
	t.Parallel()
	s, c := fakeClient(t)
	require.NoError(t, s.AddReplicationFrom(chInstance, "legacy", otherInstance, ""))
	_, err := c.EnsureReplication(t.Context(), chInstance, chreplication.CreateReplicationRequest{
		SourceInstanceID: srcInstance, SourceDatabase: "legacy"})
	require.Error(t, err)
	require.True(t, chreplication.IsSourceConflict(err), "%v", err)
	assert.Contains(t, err.Error(), "replicated from instance "+otherInstance+", not from instance "+srcInstance)
	assert.Zero(t, s.RequestCount("CreateClickHouseDataBaseReplication"), "nothing is sent")

	// The same source is adopted.
	res, err := c.EnsureReplication(t.Context(), chInstance, chreplication.CreateReplicationRequest{
		SourceInstanceID: otherInstance, SourceDatabase: "legacy"})
	require.NoError(t, err)
	assert.False(t, res.Created)
	assert.False(t, res.Starting)
}

// TestWaitReplicationStarted: a task whose create job has not ended is
// starting; WaitReplicationStarted follows it on the list until it leaves
// its first stages, here abnormal because its job failed.
func TestWaitReplicationStarted(t *testing.T) {
	t.Parallel()
	s, c := fakeClient(t, fake.WithJobMode(fake.JobsManual))
	s.FailNextJob("source binlog is disabled")
	_, err := c.CreateReplication(t.Context(), chInstance, chreplication.CreateReplicationRequest{
		SourceInstanceID: srcInstance, SourceDatabase: "shop"})
	require.NoError(t, err)

	res, err := c.EnsureReplication(t.Context(), chInstance, chreplication.CreateReplicationRequest{
		SourceInstanceID: srcInstance, SourceDatabase: "shop"})
	require.NoError(t, err)
	require.True(t, res.Starting, "the create job is still running: %+v", res.Replication)

	type result struct {
		r   *chreplication.Replication
		err error
	}
	done := make(chan result, 1)
	lists := s.RequestCount("ListClickHouseDataBaseReplication")
	go func() {
		r, err := c.WaitReplicationStarted(t.Context(), chInstance, "shop", chreplication.WithPollInterval(5*time.Millisecond, 20*time.Millisecond))
		done <- result{r, err}
	}()
	// The job is manual: until it is finished, the task stays starting and
	// the wait cannot end, however long it looks.
	deadline := time.Now().Add(time.Minute)
	for s.RequestCount("ListClickHouseDataBaseReplication") < lists+3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case r := <-done:
		t.Fatalf("the wait ended while the job runs: %+v, %v", r.r, r.err)
	default:
	}
	s.FinishJobs()
	r := <-done
	require.NoError(t, r.err)
	assert.Equal(t, chreplication.ReplicationAbnormal, r.r.Status)
	assert.False(t, r.r.Starting())

	// A context that ends first returns the last task seen and ctx's error.
	_, err = c.CreateReplication(t.Context(), chInstance, chreplication.CreateReplicationRequest{
		SourceInstanceID: srcInstance, SourceDatabase: "sales"})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	last, err := c.WaitReplicationStarted(ctx, chInstance, "sales", chreplication.WithPollInterval(5*time.Millisecond, 0))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.NotNil(t, last)
	assert.True(t, last.Starting())

	// A task that is not listed.
	_, err = c.WaitReplicationStarted(t.Context(), chInstance, "nothing")
	require.ErrorIs(t, err, chreplication.ErrReplicationGone)
}

// TestReplicationDatabase: a task is found by its source database, or by
// its target database when the answer left the source out.
func TestReplicationDatabase(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "shop", chreplication.Replication{SourceDatabase: "shop", TargetDatabase: "shop_ch"}.Database())
	assert.Equal(t, "shop_ch", chreplication.Replication{TargetDatabase: "shop_ch"}.Database())
	assert.Empty(t, chreplication.Replication{}.Database())
}
