package chreplication_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/auth"
	"github.com/gaussdb-tools/chreplication/fake"
)

// TestFiftyGoroutinesThroughTheFakesThrottle: 50 goroutines share one
// client (no WithRateLimit) against a fake that throttles beyond 20
// requests a second. Each creates a task, then lists the tasks. No call
// fails with a 429, every database is created exactly once, and the
// client's slowdown keeps the throttled requests few.
func TestFiftyGoroutinesThroughTheFakesThrottle(t *testing.T) {
	t.Parallel()
	s, err := fake.NewServer(fake.WithRateLimit(20))
	require.NoError(t, err)
	t.Cleanup(s.Close)
	var throttleEvents atomic.Int64
	c, err := chreplication.NewClient(s.URL(),
		chreplication.WithProjectID(s.ProjectID()),
		chreplication.WithAuth(auth.StaticToken(s.Token())),
		chreplication.WithEventHook(func(e chreplication.Event) {
			if e.Kind == chreplication.EventThrottled {
				throttleEvents.Add(1)
			}
		}))
	require.NoError(t, err)
	const instance = "54e42160670e48e789af7075e1efea1fin16"
	const n = 50
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			db := fmt.Sprintf("db%02d", i)
			_, err := c.CreateReplication(ctx, instance, chreplication.CreateReplicationRequest{
				SourceInstanceID: "ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07", SourceDatabase: db})
			if !assert.NoError(t, err, db) {
				assert.False(t, chreplication.IsThrottled(err), "%s: a 429 before the deadline", db)
				return
			}
			_, err = c.ListReplications(ctx, instance, chreplication.ListOptions{Limit: 100})
			assert.NoError(t, err, db)
		})
	}
	wg.Wait()
	require.NoError(t, ctx.Err())

	created := map[string]int{}
	throttled, served := 0, 0
	for _, r := range s.Requests() {
		if r.Throttled {
			throttled++
			continue
		}
		served++
		if r.Operation == "CreateClickHouseDataBaseReplication" && r.Status == http.StatusOK {
			created[string(r.Body)]++
		}
	}
	assert.Equal(t, n, s.RequestCount("CreateClickHouseDataBaseReplication")-countThrottled(s, "CreateClickHouseDataBaseReplication"),
		"one create served per database")
	assert.Len(t, created, n, "every database created")
	for body, k := range created {
		assert.Equal(t, 1, k, "created twice: %s", body)
	}
	assert.Len(t, s.Replications(instance), n)
	assert.Equal(t, int64(throttled), s.ThrottledCount())
	assert.Equal(t, int64(throttled), throttleEvents.Load(), "every throttle ridden out and reported")
	t.Logf("%d requests served, %d throttled (%.1f%%)", served, throttled, 100*float64(throttled)/float64(served+throttled))
}

// countThrottled is the number of requests of op the fake throttled.
func countThrottled(s *fake.Server, op string) int {
	k := 0
	for _, r := range s.Requests() {
		if r.Operation == op && r.Throttled {
			k++
		}
	}
	return k
}
