package bench

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/auth"
)

// steadyJobs answers the job route for jobs that report steady progress:
// job id runs from its start for its duration, showing "N%" (N rounded
// down), then is Completed with "", as the simulated jobs of the root
// package's BenchmarkWaitJobSimulated do. It counts the looks at each job.
type steadyJobs struct {
	mu    sync.Mutex
	jobs  map[string]*steadyJob
	other atomic.Int64 // requests for no known job
}

type steadyJob struct {
	start time.Time
	took  time.Duration
	looks atomic.Int64
}

func (h *steadyJobs) add(id string, start time.Time, took time.Duration) *steadyJob {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.jobs == nil {
		h.jobs = map[string]*steadyJob{}
	}
	j := &steadyJob{start: start, took: took}
	h.jobs[id] = j
	return j
}

func (h *steadyJobs) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	id := r.URL.Query().Get("id")
	h.mu.Lock()
	j := h.jobs[id]
	h.mu.Unlock()
	if j == nil || !strings.HasSuffix(r.URL.Path, "/jobs") {
		h.other.Add(1)
		http.NotFound(w, r)
		return
	}
	j.looks.Add(1)
	status, process := "Completed", ""
	if since := now.Sub(j.start); since < j.took {
		status, process = "Running", fmt.Sprintf("%d%%", min(100*since/j.took, 99))
	}
	body := []byte(`{"job":{"id":"` + id + `","status":"` + status + `","process":"` + process + `"}}`)
	answer(w, r, body, contentLength(body))
}

// realWaiters are the waiters BenchmarkWaitJobRealTime runs side by side:
// WaitJob with its defaults, and, written out with Client.Job, the
// doubling waiter of earlier versions (1s doubling up to 30s) and
// Terraform's GaussDB waiter (10s before the first look, then every 10s).
var realWaiters = []struct {
	name string
	wait func(ctx context.Context, c *chreplication.Client, id string) error
}{
	{"predictive", func(ctx context.Context, c *chreplication.Client, id string) error {
		_, err := c.WaitJob(ctx, id)
		return err
	}},
	{"doubling", func(ctx context.Context, c *chreplication.Client, id string) error {
		return pollJob(ctx, c, id, 0, func(d time.Duration) time.Duration {
			if d == 0 {
				return chreplication.DefaultPollInterval
			}
			return min(2*d, chreplication.DefaultMaxPollInterval)
		})
	}},
	{"fixed-10s", func(ctx context.Context, c *chreplication.Client, id string) error {
		return pollJob(ctx, c, id, 10*time.Second, func(time.Duration) time.Duration { return 10 * time.Second })
	}},
}

// pollJob waits before, then looks at the job until it is done, waiting
// next(previous delay) between looks (previous is 0 at first).
func pollJob(ctx context.Context, c *chreplication.Client, id string, before time.Duration, next func(time.Duration) time.Duration) error {
	delay := time.Duration(0)
	t := time.NewTimer(before)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		job, err := c.Job(ctx, id)
		if err != nil {
			return err
		}
		if job.Status.Done() {
			return nil
		}
		delay = next(delay)
		t.Reset(delay)
	}
}

// BenchmarkWaitJobRealTime waits, on the clock, for a job that takes 10s
// and reports steady progress, with each of realWaiters at the same time
// (each its own job, all started together), against a loopback job server
// the benchmark starts and stops. It reports each waiter's lag (from the
// job's end to the wait's return, <waiter>-lag-ms) and looks
// (<waiter>-looks): what the root package's simulation predicts for the
// same job (BenchmarkWaitJobSimulated). Run it with -benchtime 1x: one op
// takes about 15s (the doubling waiter's last look).
func BenchmarkWaitJobRealTime(b *testing.B) {
	const took = 10 * time.Second
	h := &steadyJobs{}
	s := newServer(h)
	defer s.Close()
	c, err := chreplication.NewClient(s.URL, chreplication.WithProjectID(projectID), chreplication.WithAuth(auth.StaticToken(token)))
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	lags := make([]time.Duration, len(realWaiters))
	looks := make([]int64, len(realWaiters))
	round := 0
	for b.Loop() {
		round++
		start := time.Now()
		var wg sync.WaitGroup
		errs := make([]error, len(realWaiters))
		for i, w := range realWaiters {
			id := fmt.Sprintf("steady-%s-%d", w.name, round)
			j := h.add(id, start, took)
			wg.Go(func() {
				errs[i] = w.wait(ctx, c, id)
				lags[i] += time.Since(start) - took
				looks[i] += j.looks.Load()
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				b.Fatalf("%s: %v", realWaiters[i].name, err)
			}
		}
	}
	if n := h.other.Load(); n != 0 {
		b.Fatalf("%d requests for no known job", n)
	}
	for i, w := range realWaiters {
		b.ReportMetric(float64(lags[i])/float64(b.N)/float64(time.Millisecond), w.name+"-lag-ms")
		b.ReportMetric(float64(looks[i])/float64(b.N), w.name+"-looks")
	}
}
