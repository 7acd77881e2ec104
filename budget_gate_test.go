package chreplication

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGateLetsTheEarliestDueThrough: with a budget of one request a second
// in bursts of 1, requests that queue are let through one a second in the
// order of the time each is due, not of their arrival.
func TestGateLetsTheEarliestDueThrough(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	b := newBudget(clk, 1, 1)
	_, err := b.wait(t.Context(), time.Time{}, nil) // the bucket's one token
	require.NoError(t, err)
	t0 := clk.Now()
	// Arrival order: far from its end, due now, due soon, due latest.
	dues := []time.Duration{8 * time.Second, 0, 2 * time.Second, 20 * time.Second, time.Second}
	var (
		mu    sync.Mutex
		order []time.Duration
		wg    sync.WaitGroup
	)
	for i, due := range dues {
		wg.Go(func() {
			_, err := b.wait(t.Context(), t0.Add(due), nil)
			assert.NoError(t, err)
			mu.Lock()
			order = append(order, due)
			mu.Unlock()
		})
		eventually(t, fmt.Sprintf("%d queued", i+1), func() bool { return b.queued() == i+1 })
	}
	for n := 1; n <= len(dues); n++ {
		eventually(t, "the head waits for its token", func() bool { return clk.pending() == 1 })
		clk.Advance(time.Second)
		eventually(t, "one let through", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(order) == n
		})
	}
	wg.Wait()
	assert.Equal(t, []time.Duration{0, time.Second, 2 * time.Second, 8 * time.Second, 20 * time.Second}, order)
}

// TestLooksQueueByTheirDueTime: the due time a request's context carries
// reaches the client's budget: job queries queued at once are sent in the
// order of their due times.
func TestLooksQueueByTheirDueTime(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	c, ts := setup(t, WithRateLimit(1, 1), withClock(clk))
	var (
		mu   sync.Mutex
		sent []string
	)
	ts.handle("GET "+jobsPath, func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("id")
		mu.Lock()
		sent = append(sent, id)
		mu.Unlock()
		_, _ = fmt.Fprintf(w, `{"job":{"id":%q,"status":"Running"}}`, id)
	})
	_, err := c.Job(t.Context(), "first")
	require.NoError(t, err)
	t0 := clk.Now()
	var wg sync.WaitGroup
	for i, id := range []string{"late", "due", "soon"} {
		due := map[string]time.Duration{"late": time.Minute, "due": 0, "soon": 5 * time.Second}[id]
		wg.Go(func() {
			_, err := c.Job(withDue(t.Context(), t0.Add(due)), id)
			assert.NoError(t, err)
		})
		eventually(t, "queued", func() bool { return c.budget.queued() == i+1 })
	}
	for range 3 {
		eventually(t, "the head waits", func() bool { return clk.pending() == 1 })
		clk.Advance(time.Second)
	}
	wg.Wait()
	assert.Equal(t, []string{"first", "due", "soon", "late"}, sent)
}

// TestWaitJobMarksItsLooks: each look after the first carries the time it
// is due, later by the predictor's slack for a look at a job far from its
// predicted end, and no later than the delay before it.
func TestWaitJobMarksItsLooks(t *testing.T) {
	t.Parallel()
	clk := &simClock{now: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)}
	start := clk.now
	job := linearJob(10 * time.Minute)
	var dues []time.Time
	var looks []time.Time
	cfg := newWaitConfig(nil)
	w := waiter{
		jobID: "j1", cfg: cfg, clock: clk, plan: newPredictor(cfg),
		look: func(ctx context.Context) (*Job, error) {
			dues = append(dues, dueOf(ctx))
			looks = append(looks, clk.now)
			at := clk.now.Sub(start)
			if at >= job.end {
				return &Job{ID: "j1", Status: JobCompleted}, nil
			}
			return &Job{ID: "j1", Status: JobRunning, Process: job.progress(at)}, nil
		},
	}
	_, err := w.run(t.Context())
	require.NoError(t, err)
	require.Greater(t, len(looks), 3)
	assert.True(t, dues[0].IsZero(), "the first look is due at once")
	slack := 0
	for i := 1; i < len(looks); i++ {
		require.False(t, dues[i].IsZero())
		assert.False(t, dues[i].Before(looks[i]), "look %d due no sooner than it is sent", i)
		gap := looks[i].Sub(looks[i-1])
		assert.LessOrEqual(t, dues[i].Sub(looks[i]), gap, "look %d: slack at most the delay before it", i)
		if dues[i].After(looks[i]) {
			slack++
		}
	}
	assert.Positive(t, slack, "some looks at a job far from its end have slack")
	last := len(looks) - 1
	assert.Equal(t, looks[last], dues[last], "the look that finds the job ended was aimed at its end: no slack")
}
