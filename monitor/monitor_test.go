package monitor_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/auth"
	"github.com/gaussdb-tools/chreplication/fake"
	"github.com/gaussdb-tools/chreplication/monitor"
)

func TestNewRefusesBadTargets(t *testing.T) {
	t.Parallel()
	_, c := newFake(t)
	tests := []struct {
		name    string
		targets []monitor.Target
		field   string
	}{
		{"none", nil, "targets:"},
		{"no client", []monitor.Target{{InstanceID: instA}}, "targets[0].Client"},
		{"empty instance", []monitor.Target{{Client: c, InstanceID: instA}, {Client: c}}, "targets[1].InstanceID"},
		{"malformed instance", []monitor.Target{{Client: c, InstanceID: "../x"}}, "targets[0].InstanceID"},
		{"twice", []monitor.Target{{Client: c, InstanceID: instA}, {Client: c, InstanceID: instB}, {Client: c, InstanceID: instA}}, "targets[2].InstanceID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := monitor.New(tt.targets)
			require.ErrorIs(t, err, monitor.ErrInvalidTarget)
			assert.Nil(t, m)
			assert.Contains(t, err.Error(), tt.field)
		})
	}
}

func TestLookReadsEveryPage(t *testing.T) {
	t.Parallel()
	s, c := newFake(t)
	s.AddReplications(instA, 250)
	m, err := monitor.New([]monitor.Target{{Client: c, InstanceID: instA}, {Client: c, InstanceID: instB}})
	require.NoError(t, err)

	snaps := m.LookAll(t.Context())
	require.Len(t, snaps, 2)
	a, b := snaps[0], snaps[1]
	require.NoError(t, a.Err)
	require.NoError(t, b.Err)
	assert.Equal(t, instA, a.InstanceID)
	require.Len(t, a.Tasks, 250)
	for i, r := range a.Tasks {
		assert.Equal(t, fmt.Sprintf("db_%06d", i+1), r.SourceDatabase)
	}
	assert.Equal(t, instB, b.InstanceID)
	assert.Empty(t, b.Tasks)
	// Pages of 100: 3 requests for 250 tasks, 1 for an instance with none.
	assert.Equal(t, 4, s.RequestCount(opList))
}

func TestLookSeesEveryState(t *testing.T) {
	t.Parallel()
	s, c := newFake(t)
	for _, db := range []string{"shop", "sales", "stock"} {
		require.NoError(t, s.AddReplication(instA, db))
	}
	require.NoError(t, s.SetReplicationState(instA, "sales", fake.ReplicationState{
		Status: fake.StatusAbnormal, Stage: fake.StageFull, CatchupStage: fake.StageFailed, Percentage: 37}))
	require.NoError(t, s.SetReplicationState(instA, "stock", fake.ReplicationState{
		Status: fake.StatusNormal, Stage: "Full", CatchupStage: fake.StageFull, Percentage: 64}))
	m, err := monitor.New([]monitor.Target{{Client: c, InstanceID: instA}})
	require.NoError(t, err)

	snap := m.Look(t.Context(), m.Targets()[0])
	require.NoError(t, snap.Err)
	assert.Equal(t, []chreplication.Replication{
		{SourceDatabase: "sales", TargetDatabase: "sales", Status: chreplication.ReplicationAbnormal, Stage: "full", CatchupStage: chreplication.CatchupFailed, Percentage: 37},
		{SourceDatabase: "shop", TargetDatabase: "shop", Status: chreplication.ReplicationNormal, Stage: "incremental", CatchupStage: chreplication.CatchupIncremental, Percentage: 100},
		{SourceDatabase: "stock", TargetDatabase: "stock", Status: chreplication.ReplicationNormal, Stage: "full", CatchupStage: chreplication.CatchupFull, Percentage: 64},
	}, snap.Tasks)
	ab := snap.Abnormal()
	require.Len(t, ab, 1)
	assert.Equal(t, "sales", ab[0].SourceDatabase)
	r, ok := snap.Task("stock")
	require.True(t, ok)
	assert.Equal(t, 64, r.Percentage)
	_, ok = snap.Task("nothing")
	assert.False(t, ok)
}

func TestLookFailure(t *testing.T) {
	t.Parallel()
	s, c := newFake(t)
	s.AddReplications(instA, 150)
	m, err := monitor.New([]monitor.Target{{Client: c, InstanceID: instA}})
	require.NoError(t, err)
	// The second page fails: a look sees every task or none.
	s.InjectFault(fake.Fault{Operation: opList, Times: 1}) // served as usual
	s.InjectFault(fake.Fault{Operation: opList, Times: 1, Status: http.StatusServiceUnavailable,
		Body: []byte(`{"error_code":"APIGW.0201","error_msg":"Service unavailable"}`)})

	snap := m.Look(t.Context(), m.Targets()[0])
	var apiErr *chreplication.APIError
	require.ErrorAs(t, snap.Err, &apiErr)
	assert.Equal(t, http.StatusServiceUnavailable, apiErr.StatusCode)
	assert.Nil(t, snap.Tasks)
	assert.Equal(t, 2, s.RequestCount(opList))
}

func TestSchedule(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n        int
		interval time.Duration
		want     []time.Duration
	}{
		{0, time.Minute, nil},
		{1, time.Minute, []time.Duration{0}},
		{4, time.Minute, []time.Duration{0, 15 * time.Second, 30 * time.Second, 45 * time.Second}},
		{3, 0, []time.Duration{0, 0, 0}},
		{3, 10 * time.Nanosecond, []time.Duration{0, 3, 6}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, monitor.Schedule(tt.n, tt.interval), "n %d interval %v", tt.n, tt.interval)
	}
}

func TestRoundSpreadsLooksOverTheInterval(t *testing.T) {
	t.Parallel()
	s, c := newFake(t)
	clock := newFakeClock()
	ids := []string{instA, instB, instC, instD}
	targets := make([]monitor.Target, len(ids))
	for i, id := range ids {
		s.AddReplications(id, 120) // two pages each
		targets[i] = monitor.Target{Client: c, InstanceID: id}
	}
	m, err := monitor.New(targets, monitor.WithClock(clock))
	require.NoError(t, err)

	var seen []string
	var at []time.Duration
	var requests []int
	err = m.Round(t.Context(), time.Minute, func(snap monitor.Snapshot) {
		require.NoError(t, snap.Err)
		seen = append(seen, snap.InstanceID)
		at = append(at, clock.elapsed())
		requests = append(requests, s.RequestCount(opList))
	})
	require.NoError(t, err)
	assert.Equal(t, ids, seen)
	assert.Equal(t, []time.Duration{0, 15 * time.Second, 30 * time.Second, 45 * time.Second}, at)
	// Two requests per look, each look's requests sent in its own slot.
	assert.Equal(t, []int{2, 4, 6, 8}, requests)
	// The round lasts the interval.
	assert.Equal(t, time.Minute, clock.elapsed())
}

func TestRoundEndsWithItsContext(t *testing.T) {
	t.Parallel()
	s, c := newFake(t)
	m, err := monitor.New([]monitor.Target{{Client: c, InstanceID: instA}, {Client: c, InstanceID: instB}},
		monitor.WithClock(newFakeClock()))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	n := 0
	err = m.Round(ctx, time.Minute, func(monitor.Snapshot) {
		n++
		cancel()
	})
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 1, n)
	assert.Equal(t, 1, s.RequestCount(opList))
}

func TestRun(t *testing.T) {
	t.Parallel()
	s, c := newFake(t)
	clock := newFakeClock()
	m, err := monitor.New([]monitor.Target{{Client: c, InstanceID: instA}, {Client: c, InstanceID: instB}},
		monitor.WithClock(clock))
	require.NoError(t, err)

	require.ErrorContains(t, m.Run(t.Context(), 0, nil), "interval")
	assert.Zero(t, s.RequestCount(opList))

	ctx, cancel := context.WithCancel(t.Context())
	looks := 0
	require.NoError(t, m.Run(ctx, 10*time.Second, func(monitor.Snapshot) {
		looks++
		if looks == 5 {
			cancel()
		}
	}))
	assert.Equal(t, 5, looks)
	assert.Equal(t, 5, s.RequestCount(opList))
	// Looks at 0, 5, 10, 15, 20 s: the fifth began two rounds in.
	assert.Equal(t, 20*time.Second, clock.elapsed())
}

func TestLookWithoutClient(t *testing.T) {
	t.Parallel()
	_, c := newFake(t)
	m, err := monitor.New([]monitor.Target{{Client: c, InstanceID: instA}})
	require.NoError(t, err)
	snap := m.Look(t.Context(), monitor.Target{InstanceID: instA})
	require.True(t, errors.Is(snap.Err, monitor.ErrInvalidTarget))
}

func TestLookBoundsTheTasksItReads(t *testing.T) {
	t.Parallel()
	// A broken service: every page is full and the total never reached.
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		var b strings.Builder
		b.WriteString(`{"total_count":2000000000,"replications":[`)
		for i := range 100 {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `{"source_database":"db_%d","target_database":"db_%d","status":"normal","stage":"full","percentage":"1"}`, i, i)
		}
		b.WriteString(`]}`)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, b.String())
	}))
	defer srv.Close()
	c, err := chreplication.NewClient(srv.URL, chreplication.WithProjectID("23a50154cf494ec9ad6883979a12db0a"),
		chreplication.WithAuth(auth.StaticToken("t")), chreplication.WithoutRetry())
	require.NoError(t, err)
	m, err := monitor.New([]monitor.Target{{Client: c, InstanceID: instA}}, monitor.WithMaxTasks(250))
	require.NoError(t, err)
	snap := m.Look(t.Context(), m.Targets()[0])
	require.ErrorIs(t, snap.Err, monitor.ErrTooManyTasks)
	assert.Contains(t, snap.Err.Error(), instA)
	assert.Nil(t, snap.Tasks)
	assert.Equal(t, int32(3), requests.Load())
}
