package chreplication

import (
	"context"
	"io"
	"math"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication/auth"
)

// fakeClock is a budgetClock that moves only when Advance says so.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers map[*fakeTimer]bool
}

type fakeTimer struct {
	at time.Time
	c  chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC), timers: map[*fakeTimer]bool{}}
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) Timer(d time.Duration) (<-chan time.Time, func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := &fakeTimer{at: f.now.Add(d), c: make(chan time.Time, 1)}
	if d <= 0 {
		t.c <- f.now
		return t.c, func() {}
	}
	f.timers[t] = true
	return t.c, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		delete(f.timers, t)
	}
}

// Advance moves the clock on by d and fires the timers due by then.
func (f *fakeClock) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
	for t := range f.timers {
		if !t.at.After(f.now) {
			t.c <- f.now
			delete(f.timers, t)
		}
	}
}

// pending is the number of timers not fired nor stopped.
func (f *fakeClock) pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.timers)
}

// eventually waits, for at most 20 s, until cond holds: it waits for
// other goroutines to reach a state, and asserts nothing about time.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 20000 {
		if cond() {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("never happened: %s", what)
}

// queued is the number of requests waiting at the budget's gate.
func (b *budget) queued() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.queue.Len()
}

// withClock makes the client's budget run on clk.
func withClock(clk budgetClock) Option {
	return func(c *Client) error {
		c.budget.clock = clk
		return nil
	}
}

// withoutSlowdown keeps the adaptive slowdown out of a test about
// something else: a throttle leaves the rate unlimited.
func withoutSlowdown() Option {
	return func(c *Client) error {
		c.budget.ctl.floor = math.Inf(1)
		return nil
	}
}

func TestWithRateLimitRefusesBadValues(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name      string
		perSecond float64
		burst     int
		want      string
	}{
		{"zero rate", 0, 1, "perSecond"},
		{"negative rate", -1, 1, "perSecond"},
		{"NaN rate", math.NaN(), 1, "perSecond"},
		{"infinite rate", math.Inf(1), 1, "perSecond"},
		{"zero burst", 5, 0, "burst"},
		{"negative burst", 5, -3, "burst"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewClient("https://gaussdb.cn-north-4.myhuaweicloud.com", WithProjectID(testProject),
				WithAuth(auth.StaticToken(testToken)), WithRateLimit(tt.perSecond, tt.burst))
			require.ErrorIs(t, err, ErrInvalidRequest)
			var ire *InvalidRequestError
			require.ErrorAs(t, err, &ire)
			assert.Equal(t, "rateLimit", ire.Field)
			assert.Contains(t, ire.Reason, "WithRateLimit")
			assert.Contains(t, ire.Reason, tt.want)
		})
	}
	_, err := NewClient("https://gaussdb.cn-north-4.myhuaweicloud.com", WithProjectID(testProject),
		WithAuth(auth.StaticToken(testToken)), WithRateLimit(0.25, 1))
	require.NoError(t, err, "a rate below one a second is fine")
}

// TestRateLimitSpacesRequests: five calls at once through a budget of 2 a
// second in bursts of 2: two go at once, then one every 500ms of the
// (fake) clock, not sooner.
func TestRateLimitSpacesRequests(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	c, ts := setup(t, WithRateLimit(2, 2), withClock(clk))
	ts.handle("GET "+replicationPath, func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, okBodies["list"])
	})
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			_, err := c.ListReplications(t.Context(), testInstance, ListOptions{})
			assert.NoError(t, err)
		})
	}
	eventually(t, "two sent, three queued, the head on a timer", func() bool {
		return ts.requests.Load() == 2 && c.budget.queued() == 3 && clk.pending() == 1
	})
	for sent := int64(3); sent <= 5; sent++ {
		clk.Advance(499 * time.Millisecond)
		assert.Equal(t, 1, clk.pending(), "the head's timer has not fired")
		assert.Equal(t, sent-1, ts.requests.Load(), "nothing more sent before 500ms")
		clk.Advance(time.Millisecond)
		eventually(t, "the next one sent", func() bool {
			return ts.requests.Load() == sent && c.budget.queued() == int(5-sent) && clk.pending() == min(1, int(5-sent))
		})
	}
	wg.Wait()
	assert.Equal(t, int64(5), ts.requests.Load())
	c.budget.mu.Lock()
	tokens := c.budget.lim.TokensAt(clk.Now())
	c.budget.mu.Unlock()
	assert.InDelta(t, 0, tokens, 1e-9, "every token spent")
}

// TestRateLimitCoversRetriesAndLooks: a retry and each of WaitJob's looks
// pass the budget like any request.
func TestRateLimitCoversRetriesAndLooks(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	c, ts := setup(t, WithRateLimit(1, 1), withClock(clk))
	var n atomic.Int64
	ts.handle("GET "+jobsPath, func(w http.ResponseWriter, _ *http.Request) {
		switch n.Add(1) {
		case 1:
			w.WriteHeader(http.StatusServiceUnavailable) // retried
		case 2:
			_, _ = io.WriteString(w, `{"job":{"id":"j1","status":"Running"}}`)
		default:
			_, _ = io.WriteString(w, `{"job":{"id":"j1","status":"Completed"}}`)
		}
	})
	done := make(chan error, 1)
	go func() {
		_, err := c.WaitJob(t.Context(), "j1", WithPollInterval(time.Millisecond, time.Millisecond))
		done <- err
	}()
	for want := int64(1); want <= 2; want++ {
		eventually(t, "a request waits for its token", func() bool {
			return ts.requests.Load() == want && c.budget.queued() == 1 && clk.pending() == 1
		})
		clk.Advance(time.Second)
	}
	require.NoError(t, <-done)
	assert.Equal(t, int64(3), ts.requests.Load(), "a first look, its retry, a second look")
}

// TestRateLimitNoRoomBeforeTheDeadline: a call whose turn would come after
// its deadline fails at once with an error wrapping DeadlineExceeded, and
// sends nothing.
func TestRateLimitNoRoomBeforeTheDeadline(t *testing.T) {
	t.Parallel()
	c, ts := setup(t, WithRateLimit(0.001, 1)) // a token every 1000 s
	ts.handle("GET "+jobsPath, func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, okBodies["job"])
	})
	_, err := c.Job(t.Context(), "j1")
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, err = c.Job(ctx, "j1")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "request budget")
	assert.NoError(t, ctx.Err(), "returned at once, not at the deadline")
	assert.Equal(t, int64(1), ts.requests.Load())
}

// TestRateLimitCancelledWhileQueued: a call whose context ends while it
// waits for its turn returns the context's error and leaves the queue; the
// next one takes its place.
func TestRateLimitCancelledWhileQueued(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	c, ts := setup(t, WithRateLimit(1, 1), withClock(clk))
	ts.handle("GET "+jobsPath, func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, okBodies["job"])
	})
	_, err := c.Job(t.Context(), "j1")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	first := make(chan error, 1)
	go func() { _, err := c.Job(ctx, "j1"); first <- err }()
	eventually(t, "the first queued", func() bool { return c.budget.queued() == 1 && clk.pending() == 1 })
	second := make(chan error, 1)
	go func() { _, err := c.Job(t.Context(), "j1"); second <- err }()
	eventually(t, "the second queued", func() bool { return c.budget.queued() == 2 })
	cancel()
	require.ErrorIs(t, <-first, context.Canceled)
	eventually(t, "the second at the head", func() bool { return c.budget.queued() == 1 && clk.pending() == 1 })
	clk.Advance(time.Second)
	require.NoError(t, <-second)
	assert.Equal(t, int64(2), ts.requests.Load())
}

// TestRateControllerSlowsAndRecovers follows the send rate through
// throttles on a made-up timeline.
func TestRateControllerSlowsAndRecovers(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

	rc := newRateController(20)
	assert.InDelta(t, 20, rc.rate(t0), 0, "the configured rate until a throttle")
	for i := range 20 { // 20 requests in the first second
		rc.sent(at(float64(i) * 0.05))
	}
	assert.InDelta(t, 20, rc.measured(at(0.99)), 1e-9)
	require.True(t, rc.throttle(at(1), at(0.95)))
	assert.InDelta(t, 10, rc.rate(at(1)), 1e-9, "half the rate sent at")
	assert.False(t, rc.throttle(at(1.01), at(0.97)), "a request sent before the decrease lowers nothing")
	assert.InDelta(t, 10, rc.rate(at(1)), 1e-9)

	// The climb back: slow, then back at 20 after cbrt(20·0.5/0.4) s, and
	// never above the configured rate.
	k := math.Cbrt(20 * 0.5 / 0.4)
	prev := rc.rate(at(1))
	for s := 0.25; s < k; s += 0.25 {
		r := rc.rate(at(1 + s))
		assert.Greater(t, r, prev, "climbing at %.2fs", s)
		assert.Less(t, r, 20.0)
		prev = r
	}
	assert.InDelta(t, 20, rc.rate(at(1+k)), 1e-9)
	assert.InDelta(t, 20, rc.rate(at(60)), 0, "capped by the configured rate")

	// A throttle later, at a measured rate below the rate allowed: half of
	// what was sent.
	for i := range 8 {
		rc.sent(at(100 + float64(i)*0.1))
	}
	require.True(t, rc.throttle(at(100.8), at(100.7)))
	assert.InDelta(t, 4, rc.rate(at(100.8)), 1e-9)

	// Without a configured rate: nothing limits until a throttle, then
	// the climb has no ceiling.
	free := newRateController(math.Inf(1))
	assert.True(t, math.IsInf(free.rate(t0), 1))
	for i := range 50 {
		free.sent(at(float64(i) * 0.01))
	}
	require.True(t, free.throttle(at(0.5), at(0.49)))
	assert.InDelta(t, 25, free.rate(at(0.5)), 1e-9)
	assert.Greater(t, free.rate(at(60)), 1000.0)

	// The floor: half a request a second, or the configured rate if lower.
	slow := newRateController(math.Inf(1))
	slow.sent(t0)
	require.True(t, slow.throttle(at(10), t0), "nothing sent in the last second")
	assert.InDelta(t, 0.5, slow.rate(at(10)), 1e-9)
	slower := newRateController(0.1)
	slower.sent(t0)
	require.True(t, slower.throttle(at(0.1), t0))
	assert.InDelta(t, 0.1, slower.rate(at(0.1)), 1e-9)
}

// TestThrottleLowersTheClientRate: 429 answers to requests of several
// goroutines lower the rate of the whole client once per round, and the
// requests that follow are spaced by it.
func TestThrottleLowersTheClientRate(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	b := newBudget(clk, math.Inf(1), 1)
	var sent []time.Time
	for range 10 { // ten requests at once: nothing limits them yet
		at, err := b.wait(t.Context(), time.Time{}, nil)
		require.NoError(t, err)
		sent = append(sent, at)
	}
	clk.Advance(100 * time.Millisecond)
	assert.True(t, b.answered(sent[0], true), "the first throttle lowers the rate")
	for _, at := range sent[1:] {
		assert.False(t, b.answered(at, true), "the others of the round do not")
	}
	b.mu.Lock()
	r := b.ctl.rate(clk.Now())
	b.mu.Unlock()
	assert.InDelta(t, 5, r, 1e-9, "half of the ten sent in the last second")
	// The next request takes the bucket's one token; the one after waits
	// for the next, 200ms later at 5 a second.
	_, err := b.wait(t.Context(), time.Time{}, nil)
	require.NoError(t, err)
	got := make(chan time.Time, 1)
	go func() {
		at, err := b.wait(t.Context(), time.Time{}, nil)
		assert.NoError(t, err)
		got <- at
	}()
	eventually(t, "the next request waits", func() bool { return b.queued() == 1 && clk.pending() == 1 })
	start := clk.Now()
	clk.Advance(199 * time.Millisecond)
	assert.Equal(t, 1, clk.pending())
	clk.Advance(time.Millisecond)
	assert.Equal(t, start.Add(200*time.Millisecond), <-got)
}

const throttleBody = `{"error_code":"APIGW.0308","error_msg":"The throttling threshold has been reached: policy user over ratelimit,limit:10,time:1 second"}`

// TestThrottledCallsAreRiddenOut answers each operation with Huawei's 429
// three times, then 200: every call (writes included: a throttled request
// never reached the service) ends with the answer after four requests,
// even with MaxAttempts below four, and one event per throttle.
func TestThrottledCallsAreRiddenOut(t *testing.T) {
	t.Parallel()
	for op, oc := range opCalls {
		t.Run(op, func(t *testing.T) {
			t.Parallel()
			var ev events
			c, ts := setup(t, withoutSlowdown(),
				WithRetry(RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}),
				WithEventHook(ev.hook))
			var n atomic.Int64
			ts.handle(oc.pattern, func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				if n.Add(1) <= 3 {
					w.Header().Set("X-Request-Id", "throttled-"+string(rune('0'+n.Load())))
					w.WriteHeader(http.StatusTooManyRequests)
					_, _ = io.WriteString(w, throttleBody)
					return
				}
				_, _ = io.WriteString(w, okBodies[op])
			})
			require.NoError(t, oc.call(t, c))
			assert.Equal(t, int64(4), ts.requests.Load())
			all := ev.list()
			require.Len(t, all, 3)
			for i, e := range all {
				assert.Equal(t, EventThrottled, e.Kind)
				assert.Equal(t, "throttled", e.Kind.String())
				assert.Equal(t, i+1, e.Attempt)
				assert.Positive(t, e.Delay)
				require.NotNil(t, e.Err)
				assert.Equal(t, http.StatusTooManyRequests, e.Err.StatusCode)
				assert.Equal(t, "APIGW.0308", e.Err.Code)
				assert.Equal(t, "throttled-"+string(rune('1'+i)), e.Err.RequestID)
				assert.NotEmpty(t, e.Operation)
			}
		})
	}
}

// TestThrottleRetryAfterIsHonoured: a throttle's Retry-After sets the wait
// even above MaxDelay.
func TestThrottleRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	var ev events
	c, ts := setup(t, withoutSlowdown(), WithEventHook(ev.hook),
		WithRetry(RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}))
	var n atomic.Int64
	ts.handle(opCalls["create"].pattern, func(w http.ResponseWriter, _ *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = io.WriteString(w, throttleBody)
			return
		}
		_, _ = io.WriteString(w, okBodies["create"])
	})
	require.NoError(t, opCalls["create"].call(t, c))
	all := ev.list()
	require.Len(t, all, 1)
	assert.Equal(t, time.Second, all[0].Delay)
	assert.Equal(t, int64(2), ts.requests.Load())
}

// TestThrottleDeadlineDoesNotAllowTheRetry: when the wait before the next
// attempt, or the turn the budget gives it, comes after the deadline, the
// 429 is returned at once as an *APIError, while the context is alive.
func TestThrottleDeadlineDoesNotAllowTheRetry(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name       string
		opts       []Option
		retryAfter string
		wantEvents int
	}{
		{"Retry-After beyond the deadline", []Option{withoutSlowdown()}, "60", 0},
		{"the budget's next token beyond the deadline", []Option{WithRateLimit(0.001, 1)}, "", 1},
	} {
		for _, op := range []string{"create", "list"} {
			t.Run(tt.name+"/"+op, func(t *testing.T) {
				t.Parallel()
				var ev events
				c, ts := setup(t, append(tt.opts, WithEventHook(ev.hook))...)
				ts.handle(opCalls[op].pattern, func(w http.ResponseWriter, _ *http.Request) {
					if tt.retryAfter != "" {
						w.Header().Set("Retry-After", tt.retryAfter)
					}
					w.WriteHeader(http.StatusTooManyRequests)
					_, _ = io.WriteString(w, throttleBody)
				})
				ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
				defer cancel()
				var err error
				if op == "create" {
					_, err = c.CreateReplication(ctx, testInstance, CreateReplicationRequest{SourceInstanceID: "s", SourceDatabase: "d"})
				} else {
					_, err = c.ListReplications(ctx, testInstance, ListOptions{})
				}
				var apiErr *APIError
				require.ErrorAs(t, err, &apiErr, "got %v", err)
				assert.True(t, IsThrottled(err))
				assert.Equal(t, "APIGW.0308", apiErr.Code)
				assert.NotErrorIs(t, err, context.DeadlineExceeded)
				assert.NoError(t, ctx.Err(), "returned before the deadline")
				assert.Equal(t, int64(1), ts.requests.Load())
				assert.Len(t, ev.list(), tt.wantEvents)
			})
		}
	}
}

// TestGatewayPolicy reads the policy Huawei's gateway states in a 429's
// error_msg, and nothing from a message that states none.
func TestGatewayPolicy(t *testing.T) {
	t.Parallel()
	for msg, want := range map[string]struct {
		limit  int
		window time.Duration
		ok     bool
	}{
		"The throttling threshold has been reached: policy user over ratelimit,limit:200,time:5 minute": {200, 5 * time.Minute, true},
		"The throttling threshold has been reached: policy user over ratelimit,limit:10,time:1 second":  {10, time.Second, true},
		"policy app over ratelimit, limit: 60 , time: 1 minutes":                                        {60, time.Minute, true},
		"The throttling threshold has been reached":                                                     {},
		"limit:0,time:1 second":    {},
		"limit:5,time:0 second":    {},
		"limit:5,time:3 fortnight": {},
	} {
		limit, window, ok := gatewayPolicy(msg)
		assert.Equal(t, want.ok, ok, msg)
		assert.Equal(t, want.limit, limit, msg)
		assert.Equal(t, want.window, window, msg)
	}
}

// TestStatedPolicyKeepsTheWindow: after a 429 that states "60 a minute",
// the budget lets a request through only when fewer than 60 of those it
// let through (the throttled ones too) are within the last minute (and a
// second's margin): the 10 sent at t0 leave at t0+61s, the 50 sent at
// t0+10s at t0+71s; the request that waits is told how long.
func TestStatedPolicyKeepsTheWindow(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	b := newBudget(clk, math.Inf(1), 1)
	t0 := clk.Now()
	send := func(n int) time.Time {
		var at time.Time
		for range n {
			var err error
			at, err = b.wait(t.Context(), time.Time{}, nil)
			require.NoError(t, err)
		}
		return at
	}
	send(10)
	clk.Advance(10 * time.Second)
	last := send(50)
	b.answered(last, true)
	b.policy(60, time.Minute)

	got := make(chan time.Time, 12)
	var told []time.Duration
	var mu sync.Mutex
	for range 12 {
		go func() {
			at, err := b.wait(t.Context(), time.Time{}, func(d time.Duration) {
				mu.Lock()
				told = append(told, d)
				mu.Unlock()
			})
			assert.NoError(t, err)
			got <- at
		}()
	}
	eventually(t, "the requests wait", func() bool { return b.queued() == 12 && clk.pending() == 1 })
	clk.Advance(51*time.Second - time.Millisecond) // t0+61s-1ms
	assert.Empty(t, got, "nothing while 60 are within the window")
	clk.Advance(time.Millisecond)
	for range 10 {
		assert.Equal(t, t0.Add(61*time.Second), <-got, "the 10 of t0 have left the window")
	}
	eventually(t, "the last two wait", func() bool { return b.queued() == 2 && clk.pending() == 1 })
	clk.Advance(10 * time.Second)
	assert.Equal(t, t0.Add(71*time.Second), <-got)
	assert.Equal(t, t0.Add(71*time.Second), <-got)
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, told)
	assert.Equal(t, 51*time.Second, told[0], "the head is told how long it waits")
}

// TestUnstatedThrottlePauses: a throttled round whose 429 states no policy
// pauses the budget 1 s, the next in a row 2 s; an answer that passes
// resets it.
func TestUnstatedThrottlePauses(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	b := newBudget(clk, math.Inf(1), 1)
	at, err := b.wait(t.Context(), time.Time{}, nil)
	require.NoError(t, err)
	b.throttledUnstated(b.answered(at, true))
	b.mu.Lock()
	assert.Equal(t, clk.Now().Add(time.Second), b.pausedUntil)
	b.mu.Unlock()
	clk.Advance(time.Second)
	at, err = b.wait(t.Context(), time.Time{}, nil)
	require.NoError(t, err)
	clk.Advance(10 * time.Millisecond)
	b.throttledUnstated(b.answered(at, true))
	b.mu.Lock()
	assert.Equal(t, clk.Now().Add(2*time.Second), b.pausedUntil, "twice as long, in a row")
	b.mu.Unlock()
	b.answered(at, false)
	b.mu.Lock()
	assert.Zero(t, b.unstated, "a passing answer ends the row")
	b.mu.Unlock()
}
