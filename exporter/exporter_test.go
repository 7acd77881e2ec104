package exporter_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	chreplication "github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/exporter"
	"github.com/gaussdb-tools/chreplication/fake"
	"github.com/gaussdb-tools/chreplication/monitor"
)

// lbl writes labels as scrape keys them.
func lbl(kv ...string) string {
	out := ""
	for i := 0; i < len(kv); i += 2 {
		if out != "" {
			out += ","
		}
		out += kv[i] + `="` + kv[i+1] + `"`
	}
	return out
}

// threeTasks gives instA the tasks shop (normal, done), sales (abnormal,
// catch-up failed at 37%) and stock (full stage at 64%).
func threeTasks(t *testing.T, s *fake.Server) {
	t.Helper()
	for _, db := range []string{"shop", "sales", "stock"} {
		require.NoError(t, s.AddReplication(instA, db))
	}
	require.NoError(t, s.SetReplicationState(instA, "sales", fake.ReplicationState{
		Status: fake.StatusAbnormal, Stage: fake.StageFull, CatchupStage: fake.StageFailed, Percentage: 37}))
	require.NoError(t, s.SetReplicationState(instA, "stock", fake.ReplicationState{
		Status: fake.StatusNormal, Stage: fake.StageFull, CatchupStage: fake.StageFull, Percentage: 64}))
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	threeTasks(t, s)
	rc := exporter.NewRequestCounter(s.Client().Transport)
	c := newClient(t, s, rc)
	clock := newFakeClock()
	e, err := exporter.New([]monitor.Target{{Client: c, InstanceID: instA}, {Client: c, InstanceID: instB}},
		exporter.WithRequestCounter(rc), exporter.WithClock(clock))
	require.NoError(t, err)

	// Before the first look: every instance's refresh_success, 0, and
	// nothing else of them; no request.
	before := scrape(t, e.Handler())
	assert.Equal(t, map[string]float64{lbl("instance_id", instA): 0, lbl("instance_id", instB): 0}, before["chreplication_refresh_success"])
	assert.NotContains(t, before, "chreplication_last_refresh_timestamp_seconds")
	assert.NotContains(t, before, "chreplication_replication_normal")
	assert.Zero(t, s.RequestCount(opList))

	require.NoError(t, e.Refresh(t.Context()))
	got := scrape(t, e.Handler())
	a := func(db string) string { return lbl("database", db, "instance_id", instA) }

	assert.Equal(t, map[string]float64{a("sales"): 0, a("shop"): 1, a("stock"): 1},
		got["chreplication_replication_normal"])
	assert.Equal(t, map[string]float64{
		lbl("catchup_stage", "failed", "database", "sales", "instance_id", instA, "stage", "full", "status", "abnormal"):          1,
		lbl("catchup_stage", "incremental", "database", "shop", "instance_id", instA, "stage", "incremental", "status", "normal"): 1,
		lbl("catchup_stage", "full", "database", "stock", "instance_id", instA, "stage", "full", "status", "normal"):              1,
	}, got["chreplication_replication_info"])
	assert.Equal(t, map[string]float64{a("sales"): 37, a("shop"): 100, a("stock"): 64},
		got["chreplication_replication_percentage"])
	assert.Equal(t, map[string]float64{lbl("instance_id", instA): 1, lbl("instance_id", instB): 1},
		got["chreplication_refresh_success"])
	at := float64(clock.Now().Unix())
	assert.Equal(t, map[string]float64{lbl("instance_id", instA): at, lbl("instance_id", instB): at},
		got["chreplication_last_refresh_timestamp_seconds"])
	assert.Equal(t, map[string]float64{lbl("code", "200", "operation", opList): 2},
		got["chreplication_api_requests_total"])

	// Scrapes never call the API.
	for range 3 {
		scrape(t, e.Handler())
	}
	assert.Equal(t, 2, s.RequestCount(opList))
}

func TestNullStagesAreEmptyLabels(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	require.NoError(t, s.AddReplication(instA, "shop"))
	require.NoError(t, s.SetReplicationState(instA, "shop", fake.ReplicationState{Status: "Frozen", Percentage: 5}))
	rc := exporter.NewRequestCounter(s.Client().Transport)
	e, err := exporter.New([]monitor.Target{{Client: newClient(t, s, rc), InstanceID: instA}})
	require.NoError(t, err)
	require.NoError(t, e.Refresh(t.Context()))
	got := scrape(t, e.Handler())
	assert.Equal(t, map[string]float64{
		lbl("catchup_stage", "", "database", "shop", "instance_id", instA, "stage", "", "status", "Frozen"): 1,
	}, got["chreplication_replication_info"])
	assert.Equal(t, map[string]float64{lbl("database", "shop", "instance_id", instA): 0},
		got["chreplication_replication_normal"], "a status other than normal is not normal")
	assert.NotContains(t, got, "chreplication_api_requests_total", "no counter given")
}

func TestFailedRefreshKeepsTheLastValues(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	threeTasks(t, s)
	rc := exporter.NewRequestCounter(s.Client().Transport)
	c := newClient(t, s, rc)
	clock := newFakeClock()
	var logs bytes.Buffer
	e, err := exporter.New([]monitor.Target{{Client: c, InstanceID: instA}, {Client: c, InstanceID: instB}},
		exporter.WithRequestCounter(rc), exporter.WithClock(clock),
		exporter.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	require.NoError(t, err)
	require.NoError(t, e.Refresh(t.Context()))
	good := scrape(t, e.Handler())
	goodAt := clock.Now().Unix()

	// instA's look fails (503 from the gateway); instB's succeeds.
	require.NoError(t, clock.Sleep(t.Context(), time.Minute))
	s.InjectFault(fake.Fault{Operation: opList, Times: 1, Status: http.StatusServiceUnavailable,
		Body: []byte(`{"error_code":"APIGW.0201","error_msg":"Service unavailable"}`)})
	err = e.Refresh(t.Context())
	require.ErrorContains(t, err, instA)
	assert.ErrorContains(t, err, "503")
	bad := scrape(t, e.Handler())

	assert.Equal(t, map[string]float64{lbl("instance_id", instA): 0, lbl("instance_id", instB): 1},
		bad["chreplication_refresh_success"])
	for _, name := range []string{"chreplication_replication_normal", "chreplication_replication_info", "chreplication_replication_percentage"} {
		assert.Equal(t, good[name], bad[name], name)
	}
	assert.Equal(t, map[string]float64{lbl("instance_id", instA): float64(goodAt), lbl("instance_id", instB): float64(goodAt + 60)},
		bad["chreplication_last_refresh_timestamp_seconds"])
	assert.Equal(t, map[string]float64{lbl("code", "200", "operation", opList): 3, lbl("code", "503", "operation", opList): 1},
		bad["chreplication_api_requests_total"])
	assert.Contains(t, logs.String(), "level=WARN")
	assert.Contains(t, logs.String(), "instance_id="+instA)
	assert.NotContains(t, logs.String(), s.Token())

	// Back: success again.
	require.NoError(t, e.Refresh(t.Context()))
	assert.Equal(t, map[string]float64{lbl("instance_id", instA): 1, lbl("instance_id", instB): 1},
		scrape(t, e.Handler())["chreplication_refresh_success"])
}

func TestFirstLookFailsShowsNoTasks(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	threeTasks(t, s)
	rc := exporter.NewRequestCounter(s.Client().Transport)
	e, err := exporter.New([]monitor.Target{{Client: newClient(t, s, rc), InstanceID: instA}})
	require.NoError(t, err)
	s.InjectFault(fake.Fault{Operation: opList, Times: 1, Status: http.StatusInternalServerError,
		Body: []byte(`{"error_code":"DBS.200001","error_msg":"x"}`)})
	require.Error(t, e.Refresh(t.Context()))
	got := scrape(t, e.Handler())
	assert.Equal(t, map[string]float64{lbl("instance_id", instA): 0}, got["chreplication_refresh_success"])
	assert.NotContains(t, got, "chreplication_last_refresh_timestamp_seconds")
	assert.NotContains(t, got, "chreplication_replication_normal")
}

func TestVanishedTaskLeavesTheMetrics(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	threeTasks(t, s)
	rc := exporter.NewRequestCounter(s.Client().Transport)
	c := newClient(t, s, rc)
	e, err := exporter.New([]monitor.Target{{Client: c, InstanceID: instA}}, exporter.WithRequestCounter(rc))
	require.NoError(t, err)
	require.NoError(t, e.Refresh(t.Context()))
	require.Len(t, scrape(t, e.Handler())["chreplication_replication_normal"], 3)

	_, err = c.DeleteReplication(t.Context(), instA, "sales")
	require.NoError(t, err)
	s.FinishJobs()
	require.NoError(t, e.Refresh(t.Context()))
	got := scrape(t, e.Handler())
	a := func(db string) string { return lbl("database", db, "instance_id", instA) }
	for _, name := range []string{"chreplication_replication_normal", "chreplication_replication_percentage"} {
		assert.Equal(t, []string{a("shop"), a("stock")}, keys(got[name]), name)
	}
	assert.Len(t, got["chreplication_replication_info"], 2)
	assert.Equal(t, float64(1), got["chreplication_api_requests_total"][lbl("code", "200", "operation", "DeleteClickHouseDataBaseReplication")])
}

func TestRefreshCost(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	s.AddReplications(instA, 250)
	s.AddReplications(instB, 100)
	rc := exporter.NewRequestCounter(s.Client().Transport)
	c := newClient(t, s, rc)
	e, err := exporter.New([]monitor.Target{{Client: c, InstanceID: instA}, {Client: c, InstanceID: instB}, {Client: c, InstanceID: instC}},
		exporter.WithRequestCounter(rc))
	require.NoError(t, err)
	// One request per page of 100 and instance: 3 + 1 + 1.
	for i := 1; i <= 3; i++ {
		require.NoError(t, e.Refresh(t.Context()))
		assert.Equal(t, 5*i, s.RequestCount(opList))
		assert.Equal(t, float64(5*i), scrape(t, e.Handler())["chreplication_api_requests_total"][lbl("code", "200", "operation", opList)])
	}
	assert.Len(t, scrape(t, e.Handler())["chreplication_replication_normal"], 350)
}

func TestRunSpreadsLooksOverTheInterval(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	s.AddReplications(instA, 150)
	s.AddReplications(instB, 10)
	rc := exporter.NewRequestCounter(s.Client().Transport)
	c := newClient(t, s, rc)
	clock := newFakeClock()
	ctx, cancel := context.WithCancel(t.Context())
	var counts []string
	clock.onSleep = func(elapsed time.Duration) {
		// Requests sent before each wait ends: what the looks spent so far.
		counts = append(counts, fmt.Sprintf("%v:%d", elapsed, s.RequestCount(opList)))
		if elapsed >= 90*time.Second {
			cancel()
		}
	}
	e, err := exporter.New([]monitor.Target{{Client: c, InstanceID: instA}, {Client: c, InstanceID: instB}, {Client: c, InstanceID: instC}},
		exporter.WithRequestCounter(rc), exporter.WithClock(clock), exporter.WithRefreshInterval(30*time.Second))
	require.NoError(t, err)
	require.NoError(t, e.Run(ctx))
	// Three rounds of 30 s; in each, a look every 10 s: A (2 pages), B, C.
	assert.Equal(t, []string{
		"0s:0", "10s:2", "20s:3", "30s:4",
		"30s:4", "40s:6", "50s:7", "1m0s:8",
		"1m0s:8", "1m10s:10", "1m20s:11", "1m30s:12",
	}, counts)
	assert.Equal(t, 12, s.RequestCount(opList))
	assert.Len(t, scrape(t, e.Handler())["chreplication_refresh_success"], 3)
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	rc := exporter.NewRequestCounter(s.Client().Transport)
	e, err := exporter.New([]monitor.Target{{Client: newClient(t, s, rc), InstanceID: instA}})
	require.NoError(t, err)
	code, body := get(t, e.Handler(), "/healthz")
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "ok\n", body)
	code, _ = get(t, e.Handler(), "/nothing")
	assert.Equal(t, http.StatusNotFound, code)
	assert.Zero(t, s.RequestCount(opList))
}

func TestNewRefuses(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	rc := exporter.NewRequestCounter(nil)
	c := newClient(t, s, rc)
	_, err := exporter.New(nil)
	require.ErrorIs(t, err, monitor.ErrInvalidTarget)
	_, err = exporter.New([]monitor.Target{{Client: c, InstanceID: instA}}, exporter.WithRefreshInterval(0))
	require.ErrorContains(t, err, "refresh interval")
}

// TestRefreshWithinTheClientsBudget: the looks of a refresh pass the client's
// request budget (chreplication.WithRateLimit), so an exporter of many
// instances stays under the API gateway's limit instead of being throttled.
// The fake throttles beyond 4 requests a second; the client allows 2 a second
// (a burst of 1), so the 6 looks take about 3 s and none is throttled. Without
// the budget the 6 looks come within one second and the gateway answers 429.
func TestRefreshWithinTheClientsBudget(t *testing.T) {
	t.Parallel()
	s := newFake(t, fake.WithRateLimit(4))
	rc := exporter.NewRequestCounter(s.Client().Transport)
	c := newClient(t, s, rc, chreplication.WithRateLimit(2, 1))
	var targets []monitor.Target
	for i := range 6 {
		id := fmt.Sprintf("%030din16", i)
		require.NoError(t, s.AddReplication(id, "shop"))
		targets = append(targets, monitor.Target{Client: c, InstanceID: id})
	}
	e, err := exporter.New(targets, exporter.WithRequestCounter(rc))
	require.NoError(t, err)
	require.NoError(t, e.Refresh(t.Context()))
	assert.Zero(t, s.ThrottledCount(), "the gateway throttled a look")
	got := scrape(t, e.Handler())
	assert.Len(t, got["chreplication_replication_normal"], 6)
	assert.Equal(t, float64(6), got["chreplication_api_requests_total"][lbl("code", "200", "operation", opList)])
	assert.NotContains(t, got["chreplication_api_requests_total"], lbl("code", "429", "operation", opList))
	for _, ok := range got["chreplication_refresh_success"] {
		assert.Equal(t, float64(1), ok)
	}
}
