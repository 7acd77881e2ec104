package chreplication

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// events collects the events of a client's hook.
type events struct {
	mu  sync.Mutex
	all []Event
}

func (e *events) hook(ev Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.all = append(e.all, ev)
}

func (e *events) list() []Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Event(nil), e.all...)
}

// jobAnswers serves the job route: the first len(errs) requests get the
// error answers (status, body), the rest the job in status Completed. It
// checks every request's X-Language against lang ("": none sent).
func jobAnswers(t *testing.T, ts *testServer, lang string, errs ...[2]string) *atomic.Int64 {
	t.Helper()
	var n atomic.Int64
	ts.handle("GET "+jobsPath, func(w http.ResponseWriter, r *http.Request) {
		testHeader(t, r, "X-Language", lang)
		i := int(n.Add(1)) - 1
		if i < len(errs) {
			status, err := strconv.Atoi(errs[i][0])
			require.NoError(t, err)
			w.Header().Set("X-Request-Id", "req-"+strconv.Itoa(i))
			w.WriteHeader(status)
			_, _ = w.Write([]byte(errs[i][1]))
			return
		}
		_, _ = fmt.Fprintf(w, `{"job":{"id":%q,"status":"Completed","process":""}}`, r.URL.Query().Get("id"))
	})
	return &n
}

// TestWaitJobRidesOutAJobNotVisibleYet: within the visibility grace, 404
// and 400 answers to the job query, whatever their error code, body and
// language, are reported as EventJobNotVisible and the job is looked at
// again with the backoff, until it shows.
func TestWaitJobRidesOutAJobNotVisibleYet(t *testing.T) {
	t.Parallel()
	answers := map[string][2]string{
		"404 service":  {"404", `{"error_code":"DBS.200543","error_msg":"The job does not exist."}`},
		"404 gateway":  {"404", `{"error_code":"APIGW.0101","error_msg":"The API does not exist or has not been published in the environment"}`},
		"404 no body":  {"404", ``},
		"400 service":  {"400", `{"error_code":"DBS.200001","error_msg":"Parameter error."}`},
		"400 chinese":  {"400", `{"error_code":"DBS.200001","error_msg":"参数错误。"}`},
		"400 html":     {"400", `<html><body>Bad Request</body></html>`},
		"404 then 400": {"404", `{"error_code":"DBS.200543","error_msg":"任务不存在。"}`},
	}
	for name, answer := range answers {
		for _, lang := range []string{"", "en-us", "zh-cn"} {
			t.Run(name+"/language="+lang, func(t *testing.T) {
				t.Parallel()
				var ev events
				opts := []Option{WithEventHook(ev.hook)}
				if lang != "" {
					opts = append(opts, WithLanguage(lang))
				}
				c, ts := setup(t, opts...)
				second := answer
				if name == "404 then 400" {
					second = [2]string{"400", `{"error_code":"DBS.200001","error_msg":"参数错误。"}`}
				}
				requests := jobAnswers(t, ts, lang, answer, second, answer)

				job, err := c.WaitJob(t.Context(), "job-1", WithPollInterval(time.Millisecond, 50*time.Millisecond))
				require.NoError(t, err)
				assert.Equal(t, JobCompleted, job.Status)
				assert.EqualValues(t, 4, requests.Load())

				got := ev.list()
				require.Len(t, got, 3)
				var elapsed time.Duration
				for i, e := range got {
					assert.Equal(t, EventJobNotVisible, e.Kind)
					assert.Equal(t, "ShowGaussMySqlJobInfo", e.Operation)
					assert.Equal(t, "job-1", e.JobID)
					assert.Equal(t, i+1, e.Attempt)
					assert.Equal(t, time.Millisecond<<i, e.Delay, "the backoff's delays: 1ms, 2ms, 4ms")
					assert.GreaterOrEqual(t, e.Elapsed, elapsed, "elapsed since the first look grows")
					elapsed = e.Elapsed
					require.NotNil(t, e.Err)
					want := answer
					if i == 1 {
						want = second
					}
					assert.Equal(t, want[0], strconv.Itoa(e.Err.StatusCode))
					assert.Equal(t, "req-"+strconv.Itoa(i), e.Err.RequestID)
				}
				assert.Less(t, got[0].Elapsed, time.Second, "elapsed counts from the first look")
			})
		}
	}
}

// TestWaitJobVisibilityGraceEnds: an answer 404 that still comes after the
// grace period ends the wait with an error wrapping the *APIError; the
// answers before it were reported as events.
func TestWaitJobVisibilityGraceEnds(t *testing.T) {
	t.Parallel()
	const grace = 60 * time.Millisecond
	var ev events
	c, ts := setup(t, WithEventHook(ev.hook))
	var requests atomic.Int64
	ts.handle("GET "+jobsPath, func(w http.ResponseWriter, _ *http.Request) {
		requests.Add(1)
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"error_code":"DBS.200543","error_msg":"The job does not exist."}`))
	})
	start := time.Now()
	job, err := c.WaitJob(t.Context(), "job-2", WithVisibilityGrace(grace), WithPollInterval(time.Millisecond, 10*time.Millisecond))
	took := time.Since(start)
	require.Error(t, err)
	assert.Nil(t, job)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusNotFound, apiErr.StatusCode)
	assert.Equal(t, "DBS.200543", apiErr.Code)
	assert.Contains(t, err.Error(), "job-2 still not shown")
	assert.GreaterOrEqual(t, took, grace)
	assert.Less(t, took, grace+time.Second)

	got := ev.list()
	require.NotEmpty(t, got)
	assert.EqualValues(t, len(got)+1, requests.Load(), "every answer but the last is an event")
	for _, e := range got {
		assert.Less(t, e.Elapsed, grace, "events come only within the grace")
	}
}

// TestWaitJobWithoutGrace: WithVisibilityGrace(0) ends the wait at the
// first 404, with the *APIError itself.
func TestWaitJobWithoutGrace(t *testing.T) {
	t.Parallel()
	var ev events
	c, ts := setup(t, WithEventHook(ev.hook))
	requests := jobAnswers(t, ts, "", [2]string{"404", `{"error_code":"DBS.200543","error_msg":"The job does not exist."}`})
	job, err := c.WaitJob(t.Context(), "job-3", WithVisibilityGrace(0))
	assert.Nil(t, job)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusNotFound, apiErr.StatusCode)
	assert.IsType(t, &APIError{}, err, "the *APIError itself, not wrapped")
	assert.EqualValues(t, 1, requests.Load())
	assert.Empty(t, ev.list())
}

// TestWaitJobOtherErrorsEndTheWait: answers other than 404 and 400 are not
// "not visible yet": the first one ends the wait, and no event is emitted.
func TestWaitJobOtherErrorsEndTheWait(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusConflict, http.StatusInternalServerError} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			t.Parallel()
			var ev events
			c, ts := setup(t, WithEventHook(ev.hook))
			requests := jobAnswers(t, ts, "", [2]string{strconv.Itoa(status), `{"error_code":"DBS.999999","error_msg":"no"}`})
			job, err := c.WaitJob(t.Context(), "job-4", WithPollInterval(time.Millisecond, 5*time.Millisecond))
			assert.Nil(t, job)
			var apiErr *APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, status, apiErr.StatusCode)
			assert.Empty(t, ev.list())
			assert.Positive(t, requests.Load())
			assert.LessOrEqual(t, requests.Load(), int64(2), "at most the client's own re-authentication")
		})
	}
}

// TestWaitJobNotVisibleWhenContextEnds: a context that ends while the job
// is not visible yet ends the wait at once, with an error wrapping both
// the context's error and the last answer.
func TestWaitJobNotVisibleWhenContextEnds(t *testing.T) {
	t.Parallel()
	c, ts := setup(t)
	ts.handle("GET "+jobsPath, func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"error_code":"DBS.200543","error_msg":"The job does not exist."}`))
	})
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	job, err := c.WaitJob(ctx, "job-5", WithPollInterval(time.Hour, time.Hour))
	assert.Nil(t, job)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusNotFound, apiErr.StatusCode)
	assert.Less(t, time.Since(start), time.Second)
}

// TestWaitJobPredictsOverHTTP: WaitJob itself, over HTTP, waits for a job
// that reports steady progress with few looks and returns soon after its
// end; the doubling schedule with the same shortest interval would return
// later (its looks at 0.05, 0.15, 0.35, 0.75 and 1.55s end 0.75s after).
func TestWaitJobPredictsOverHTTP(t *testing.T) {
	t.Parallel()
	const took = 800 * time.Millisecond
	c, ts := setup(t)
	var (
		once    sync.Once
		started time.Time
		looks   atomic.Int64
	)
	ts.handle("GET "+jobsPath, func(w http.ResponseWriter, _ *http.Request) {
		looks.Add(1)
		once.Do(func() { started = time.Now() })
		since := time.Since(started)
		if since >= took {
			_, _ = w.Write([]byte(`{"job":{"id":"j","status":"Completed","process":""}}`))
			return
		}
		_, _ = fmt.Fprintf(w, `{"job":{"id":"j","status":"Running","process":"%d%%"}}`, 100*since/took)
	})
	job, err := c.WaitJob(t.Context(), "j", WithPollInterval(50*time.Millisecond, 0))
	require.NoError(t, err)
	lag := time.Since(started) - took
	assert.Equal(t, JobCompleted, job.Status)
	assert.Less(t, lag, 300*time.Millisecond, "returned %v after the end", lag)
	assert.LessOrEqual(t, looks.Load(), int64(8))
}

// TestWaitJobReturnsWhenContextEndsDuringAPredictedDelay: a long predicted
// delay ends with the context, with the last job seen.
func TestWaitJobReturnsWhenContextEndsDuringAPredictedDelay(t *testing.T) {
	t.Parallel()
	c, ts := setup(t)
	var looks atomic.Int64
	ts.handle("GET "+jobsPath, func(w http.ResponseWriter, _ *http.Request) {
		n := looks.Add(1)
		_, _ = fmt.Fprintf(w, `{"job":{"id":"j","status":"Running","process":"%d%%"}}`, min(2*n, 99))
	})
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	job, err := c.WaitJob(ctx, "j", WithPollInterval(100*time.Millisecond, 0))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.NotNil(t, job)
	assert.Equal(t, JobRunning, job.Status)
	assert.Less(t, time.Since(start), time.Second)
}

func TestWaitOptions(t *testing.T) {
	t.Parallel()
	cfg := newWaitConfig(nil)
	assert.Equal(t, DefaultPollInterval, cfg.first)
	assert.False(t, cfg.maxSet)
	assert.Equal(t, DefaultVisibilityGrace, cfg.grace)
	p := newPredictor(cfg)
	assert.Equal(t, DefaultMaxPollInterval, p.blindLongest)
	assert.Equal(t, DefaultMaxPredictedPollInterval, p.longest)

	cfg = newWaitConfig([]WaitOption{nil, WithPollInterval(-1, 0), WithVisibilityGrace(-time.Second)})
	assert.Equal(t, DefaultPollInterval, cfg.first, "values ≤ 0 keep the defaults")
	assert.False(t, cfg.maxSet)
	assert.Zero(t, cfg.grace, "a negative grace turns it off")

	p = newPredictor(newWaitConfig([]WaitOption{WithPollInterval(2*time.Second, 5*time.Second)}))
	assert.Equal(t, 2*time.Second, p.floor)
	assert.Equal(t, 5*time.Second, p.longest, "a max given bounds predicted delays")
	assert.Equal(t, 5*time.Second, p.blindLongest, "and the backoff")

	p = newPredictor(newWaitConfig([]WaitOption{WithPollInterval(time.Minute, time.Second)}))
	assert.Equal(t, time.Minute, p.longest, "a max below first is raised to first")
	assert.Equal(t, time.Minute, p.blindLongest)

	p = newPredictor(newWaitConfig([]WaitOption{WithPollInterval(time.Minute, 0)}))
	assert.Equal(t, time.Minute, p.blindLongest, "the backoff's cap is never below first")
}

// TestWaitJobScheduleIsBounded: on every simulated job, with intervals
// given, no two looks are closer than first nor farther apart than max.
func TestWaitJobScheduleIsBounded(t *testing.T) {
	t.Parallel()
	for _, opt := range [][2]time.Duration{{time.Second, 5 * time.Second}, {3 * time.Second, time.Minute}, {100 * time.Millisecond, 2 * time.Minute}} {
		for _, j := range simJobs() {
			p := newPredictor(newWaitConfig([]WaitOption{WithPollInterval(opt[0], opt[1])}))
			r := simulate(t, j, p, simRTT)
			for i, d := range r.delays {
				require.GreaterOrEqual(t, d, opt[0], "%s, %v: delay %d", j.name(), opt, i)
				require.LessOrEqual(t, d, opt[1], "%s, %v: delay %d", j.name(), opt, i)
			}
		}
	}
}

// TestWaitJobFallsBackToBackoff: a job that stays at 99% long after every
// predicted end makes WaitJob stop predicting after three misses and look
// with the backoff, from the shortest interval up to its cap.
func TestWaitJobFallsBackToBackoff(t *testing.T) {
	t.Parallel()
	p := newPredictor(newWaitConfig(nil))
	r := simulate(t, stuckJob(20*time.Minute), p, simRTT)
	require.True(t, p.fallback)
	assert.Equal(t, maxMisses, p.misses)
	tail := r.delays[len(r.delays)-9:]
	assert.Equal(t, []time.Duration{30 * time.Second, 30 * time.Second, 30 * time.Second, 30 * time.Second,
		30 * time.Second, 30 * time.Second, 30 * time.Second, 30 * time.Second, 30 * time.Second}, tail)
	i := len(r.delays) - 1
	for i > 0 && r.delays[i-1] == 30*time.Second {
		i--
	}
	assert.Equal(t, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second},
		r.delays[i-5:i], "the backoff starts again from the shortest interval")
	assert.LessOrEqual(t, r.lag, DefaultMaxPollInterval)
}

// TestWaitJobLeadIsBounded: a job seen to pass a single step (1% after a
// few looks at 0%) bounds its end from below only; WaitJob then looks
// ahead of that bound, but never later than four times the time its looks
// cover, so a job that ends long before its pace said is not overshot by
// more than that.
func TestWaitJobLeadIsBounded(t *testing.T) {
	t.Parallel()
	// 0% until 5s, then 1%, and done at 8s: at 1% its pace promised about
	// 6 minutes.
	early := simJob{"early", 8 * time.Second, func(at time.Duration) string {
		if at < 5*time.Second {
			return "0%"
		}
		return "1%"
	}}
	r := simulate(t, early, newPredictor(newWaitConfig(nil)), simRTT)
	var at time.Duration // when each delay starts, since the first look
	for i, d := range r.delays {
		at += simRTT
		assert.LessOrEqual(t, d, max(4*at, DefaultPollInterval<<i), "delay %d (%v) from %v", i, d, at)
		at += d
	}
	// The 1% is first seen by the look answered 7.08s after the first:
	// the next look comes at most 4×7.08s after that answer (half the way
	// to the end its pace promised would be about 3 minutes).
	answered := 7080 * time.Millisecond
	assert.LessOrEqual(t, r.lag, answered+4*answered+simRTT-early.end, "lag")
}

// TestWaitJobStillAtItsFirstValueBacksOff: a job that keeps showing the
// value it first showed bounds neither its pace nor its end, and is looked
// at as the doubling waiter does.
func TestWaitJobStillAtItsFirstValueBacksOff(t *testing.T) {
	t.Parallel()
	still := simJob{"still-5%", 40 * time.Second, func(time.Duration) string { return "5%" }}
	p := simulate(t, still, newPredictor(newWaitConfig(nil)), simRTT)
	d := simulate(t, still, &doublingSchedule{DefaultPollInterval, DefaultMaxPollInterval}, simRTT)
	assert.Equal(t, d.delays, p.delays)
}
