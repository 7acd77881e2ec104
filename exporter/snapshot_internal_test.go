package exporter

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/auth"
	"github.com/gaussdb-tools/chreplication/fake"
	"github.com/gaussdb-tools/chreplication/monitor"
)

// TestAScrapeNeverDelaysARefresh: a scrape stopped in the middle of its
// Collect (a slow scraper) does not hold up a refresh, which records a new
// snapshot; the stopped scrape goes on with the values it started with.
// (With a lock held over Collect, the refresh waited for every scrape.)
func TestAScrapeNeverDelaysARefresh(t *testing.T) {
	t.Parallel()
	const inst = "54e42160670e48e789af7075e1efea1fin16"
	s, err := fake.NewServer()
	require.NoError(t, err)
	t.Cleanup(s.Close)
	require.NoError(t, s.AddReplication(inst, "shop"))
	c, err := chreplication.NewClient(s.URL(), chreplication.WithProjectID(s.ProjectID()), chreplication.WithAuth(auth.StaticToken(s.Token())))
	require.NoError(t, err)
	e, err := New([]monitor.Target{{Client: c, InstanceID: inst}})
	require.NoError(t, err)
	require.NoError(t, e.Refresh(t.Context()))

	ch := make(chan prometheus.Metric) // not drained: Collect stops at its first metric
	collecting := make(chan struct{})
	go func() {
		close(collecting)
		collector{e}.Collect(ch)
		close(ch)
	}()
	<-collecting
	first := <-ch // the scrape has begun; it now waits for its reader

	require.NoError(t, s.AddReplication(inst, "sales"))
	refreshed := make(chan error, 1)
	go func() { refreshed <- e.Refresh(context.Background()) }()
	select {
	case err := <-refreshed:
		require.NoError(t, err)
	case <-time.After(time.Minute): // a bound for a broken run, not a measure
		t.Fatal("the refresh waited for the scrape")
	}
	assert.Len(t, (*e.state.Load())[inst].tasks, 2, "the refresh recorded its snapshot")

	// The stopped scrape finishes with the values it began with: one task.
	require.NotNil(t, first)
	n := 1
	for range ch {
		n++
	}
	assert.Equal(t, 5, n, "refresh_success, last_refresh and shop's normal, info and percentage")
}
