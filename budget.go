package chreplication

import (
	"container/heap"
	"context"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// WithRateLimit gives the client one request budget: perSecond requests a
// second on average, with bursts of up to burst requests. Every request the
// client sends passes it first, whatever the goroutine and the operation:
// first attempts, retries, and WaitJob's looks alike. A request waits for
// its turn, or returns an error wrapping context.DeadlineExceeded at once
// when its turn would come after its context's deadline. When requests
// queue, WaitJob's looks at jobs whose end is due go before looks at jobs
// far from their end; other requests go in the order they came.
//
// Whether or not a limit is set, an answer 429 (the API gateway throttled
// the request) slows the client down. When the 429 states the gateway's
// policy, as Huawei's does in its error_msg ("...,limit:200,time:5
// minute"), the client keeps it: a request goes only when fewer than 200
// of the requests the client sent, the throttled ones included (a gateway
// may count them, and a client that kept sending would stay throttled),
// are within the last 5 minutes (and a margin of a twentieth of that, at
// most a second), and within perSecond. Otherwise the rate drops to half
// of what it sent in the last second (or of its limit, if lower), but not
// below half a request a second (or the limit, if lower), and the client
// pauses, 1 s after the first throttled round and twice as long after each
// next one in a row. Once answers pass again the
// rate climbs back, slowly at first (a cubic curve that regains the rate of
// the last throttle after a few seconds), up to perSecond; without
// WithRateLimit it keeps climbing, so a client that is no longer throttled
// is soon limited in nothing. See RetryPolicy for how the throttled request
// itself is sent again.
//
// perSecond must be a positive, finite number and burst at least 1; other
// values give an error wrapping ErrInvalidRequest. The budget belongs to
// one Client: clients built separately have their own.
func WithRateLimit(perSecond float64, burst int) Option {
	return func(c *Client) error {
		if math.IsNaN(perSecond) || math.IsInf(perSecond, 0) || perSecond <= 0 {
			return invalid("rateLimit", fmt.Sprintf("WithRateLimit: perSecond must be a positive, finite number of requests a second, got %v", perSecond))
		}
		if burst < 1 {
			return invalid("rateLimit", fmt.Sprintf("WithRateLimit: burst must be at least 1, got %d", burst))
		}
		c.budget = newBudget(wallClock{}, perSecond, burst)
		return nil
	}
}

// How the send rate adapts to throttling (after aws-sdk-go-v2's adaptive
// retry mode, with one decrease per round of requests).
const (
	// throttleBeta is the share of the rate kept after a throttle.
	throttleBeta = 0.5
	// cubicScale sets how fast the rate climbs back after a throttle: it
	// regains the rate of the last throttle after
	// cbrt(rate·(1-throttleBeta)/cubicScale) seconds (2.9 s for 20 a
	// second), then grows faster and faster.
	cubicScale = 0.4
	// minRate is the least rate a throttle leaves, in requests a second
	// (or the configured rate, if lower).
	minRate = 0.5
)

// rateController decides the client's send rate from the throttles seen:
// a multiplicative decrease on a throttle, a cubic increase after it, up to
// the configured rate. It measures the rate requests are sent at over the
// last second. Every method takes the current time: it reads no clock. Its
// zero value is not usable: newRateController makes one. Not safe for
// concurrent use (the budget's mutex guards it).
type rateController struct {
	ceiling float64 // the configured rate; +Inf when none
	floor   float64
	// After the first throttle: the rate the last one came at, when it
	// came, and the seconds the cubic takes to climb back to that rate.
	throttled    bool
	lastMax      float64
	lastThrottle time.Time
	k            float64
	// The measured send rate: requests sent in the current one-second
	// window (from winStart) and in the window before it.
	winStart  time.Time
	cur, prev float64
	// policy is the gateway's stated rate, in requests a second, once a
	// 429 said it and the budget keeps it as a rate; 0 before. windowed:
	// the budget keeps a stated policy with its send log, and the rate is
	// only the ceiling.
	policy   float64
	windowed bool
}

func newRateController(ceiling float64) rateController {
	return rateController{ceiling: ceiling, floor: min(minRate, ceiling)}
}

// rate is the send rate allowed at now, in requests a second; +Inf when
// nothing limits it.
func (rc *rateController) rate(now time.Time) float64 {
	if rc.windowed {
		return rc.ceiling
	}
	if rc.policy > 0 {
		return min(rc.policy, rc.ceiling)
	}
	if !rc.throttled {
		return rc.ceiling
	}
	t := now.Sub(rc.lastThrottle).Seconds() - rc.k
	r := cubicScale*t*t*t + rc.lastMax
	return min(max(r, rc.floor), rc.ceiling)
}

// sent counts a request sent at now.
func (rc *rateController) sent(now time.Time) {
	rc.roll(now)
	rc.cur++
}

// measured is the rate requests were sent at over the second before now:
// the current window's count plus the part of the previous window's that
// falls within that second.
func (rc *rateController) measured(now time.Time) float64 {
	rc.roll(now)
	if rc.winStart.IsZero() {
		return 0
	}
	frac := now.Sub(rc.winStart).Seconds()
	return rc.cur + rc.prev*(1-frac)
}

// roll moves the windows on to the one holding now.
func (rc *rateController) roll(now time.Time) {
	if rc.winStart.IsZero() {
		rc.winStart = now
		return
	}
	switch d := now.Sub(rc.winStart); {
	case d < time.Second:
	case d < 2*time.Second:
		rc.prev, rc.cur = rc.cur, 0
		rc.winStart = rc.winStart.Add(time.Second)
	default:
		rc.prev, rc.cur = 0, 0
		rc.winStart = rc.winStart.Add(d.Truncate(time.Second))
	}
}

// throttle takes in a throttled answer, at now, to a request sent at
// sentAt, and reports whether it lowered the rate. A request sent before
// the last decrease was sent at the old rate: its throttle says nothing
// new, so each round of requests lowers the rate once, however many of
// them were throttled.
func (rc *rateController) throttle(now, sentAt time.Time) bool {
	if rc.throttled && sentAt.Before(rc.lastThrottle) {
		return false
	}
	base := min(rc.rate(now), rc.measured(now))
	rc.throttled = true
	rc.lastMax = max(base, rc.floor)
	rc.lastThrottle = now
	// The cubic starts at throttleBeta·lastMax and is back at lastMax
	// after k seconds.
	rc.k = math.Cbrt(rc.lastMax * (1 - throttleBeta) / cubicScale)
	return true
}

// budgetClock is the time a budget runs on: the wall clock, or a fake one
// in tests.
type budgetClock interface {
	Now() time.Time
	// Timer returns a channel that receives once d has passed, and a
	// function that stops the timer.
	Timer(d time.Duration) (<-chan time.Time, func())
}

// Timer implements budgetClock.
func (wallClock) Timer(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTimer(d)
	return t.C, func() { t.Stop() }
}

// budget is a client's request budget: a token bucket (rate.Limiter)
// whose rate the rateController sets, entered through a gate that lets
// waiting requests through in the order of their keys (the time each is
// due), not of their arrival. It starts no goroutine: the request at the
// head of the queue waits for the next token on a timer of its own. Safe
// for concurrent use.
type budget struct {
	clock budgetClock
	burst int

	mu    sync.Mutex
	ctl   rateController
	lim   *rate.Limiter // nil while nothing limits the rate
	queue gateQueue
	seq   uint64
	next  time.Time // a token reserved for the head of the queue; zero: none
	// pausedUntil: nothing is let through before it (the pause after a
	// throttle that stated no policy, or after a policy too large for the
	// send log).
	pausedUntil time.Time
	// log holds the send times of the last len(log) requests let through
	// (a ring; logNext is the oldest's place, logLen how many it holds): a
	// stated policy of winN requests per winW is kept by letting a request
	// through only when fewer than winN of them are within winW.
	log     []time.Time
	logNext int
	logLen  int
	winN    int
	winW    time.Duration
	// unstated counts the throttled rounds in a row whose 429 stated no
	// policy: each pauses the budget twice as long as the one before.
	// inRow mirrors unstated > 0, read without the lock.
	unstated int
	inRow    atomic.Bool
}

// newBudget returns a budget of perSecond requests a second (+Inf: none
// until a throttle) in bursts of burst.
func newBudget(clk budgetClock, perSecond float64, burst int) *budget {
	return &budget{clock: clk, burst: burst, ctl: newRateController(perSecond)}
}

// gateWaiter is a request waiting at the gate.
type gateWaiter struct {
	key   time.Time
	seq   uint64
	index int           // in the queue; -1 once out
	wake  chan struct{} // told when it may have become the head
}

// gateQueue is a heap of waiters: the earliest key first, then the
// earliest arrival.
type gateQueue []*gateWaiter

func (q gateQueue) Len() int { return len(q) }
func (q gateQueue) Less(i, j int) bool {
	if !q[i].key.Equal(q[j].key) {
		return q[i].key.Before(q[j].key)
	}
	return q[i].seq < q[j].seq
}

func (q gateQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}

func (q *gateQueue) Push(x any) {
	w, _ := x.(*gateWaiter)
	w.index = len(*q)
	*q = append(*q, w)
}

func (q *gateQueue) Pop() any {
	old := *q
	w := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	w.index = -1
	return w
}

// errNoBudget is returned when a request's turn would come after its
// context's deadline.
var errNoBudget = fmt.Errorf("the request budget (WithRateLimit, or the rate lowered after a 429) has no room before the deadline: %w", context.DeadlineExceeded)

// wait returns when the request may be sent, with the time it was let
// through, or ctx's error (or errNoBudget) without letting it through.
// key orders the requests that wait: the earliest goes first. A nil budget
// lets everything through.
func (b *budget) wait(ctx context.Context, key time.Time, notify func(time.Duration)) (time.Time, error) {
	if b == nil {
		return time.Time{}, nil
	}
	told := false
	b.mu.Lock()
	now := b.clock.Now()
	if key.IsZero() {
		key = now
	}
	if b.queue.Len() == 0 && b.next.IsZero() && b.take(now) {
		b.ctl.sent(now)
		b.logSend(now)
		b.mu.Unlock()
		return now, nil
	}
	b.seq++
	w := &gateWaiter{key: key, seq: b.seq, wake: make(chan struct{}, 1)}
	heap.Push(&b.queue, w)
	if w.index == 0 && b.queue.Len() > 1 {
		b.queue[1].tell() // no longer the head
	}
	for {
		// b.mu is held here.
		if w.index != 0 {
			b.mu.Unlock()
			select {
			case <-w.wake:
			case <-ctx.Done():
				return time.Time{}, b.leave(w, ctx.Err())
			}
			b.mu.Lock()
			continue
		}
		now = b.clock.Now()
		if b.next.IsZero() {
			if b.take(now) {
				return now, b.admit(w, now)
			}
			b.next = b.reserve(now)
		} else if !now.Before(b.next) {
			b.next = time.Time{}
			return now, b.admit(w, now)
		}
		d := b.next.Sub(now)
		b.mu.Unlock()
		if !fits(ctx, d) {
			return time.Time{}, b.leave(w, errNoBudget)
		}
		if d >= notifyWait && !told && notify != nil {
			told = true
			notify(d)
		}
		c, stop := b.clock.Timer(d)
		select {
		case <-c:
		case <-w.wake:
		case <-ctx.Done():
			stop()
			return time.Time{}, b.leave(w, ctx.Err())
		}
		stop()
		b.mu.Lock()
	}
}

// take reports whether a request may go now: the bucket held a token
// (taken now), or nothing limits the rate. b.mu is held.
func (b *budget) take(now time.Time) bool {
	if now.Before(b.pausedUntil) || now.Before(b.windowFree()) {
		return false
	}
	r := b.ctl.rate(now)
	if math.IsInf(r, 1) {
		b.lim = nil
		return true
	}
	b.setRate(now, r)
	return b.lim.AllowN(now, 1)
}

// reserve takes the next token from the bucket for the head of the queue
// and returns when it is due. b.mu is held, and take just failed.
func (b *budget) reserve(now time.Time) time.Time {
	at := maxTime(now, maxTime(b.pausedUntil, b.windowFree()))
	if b.lim == nil || math.IsInf(b.ctl.rate(at), 1) {
		return at // only the pause or the window holds it back
	}
	b.setRate(at, b.ctl.rate(at))
	res := b.lim.ReserveN(at, 1)
	return at.Add(res.DelayFrom(at))
}

// sendLogSize is how many send times a budget keeps: a stated policy of
// more requests per window is kept with a pause and an even rate instead.
const sendLogSize = 1024

// logSend records a request let through at now. b.mu is held.
func (b *budget) logSend(now time.Time) {
	if b.log == nil {
		b.log = make([]time.Time, sendLogSize)
	}
	b.log[b.logNext] = now
	b.logNext = (b.logNext + 1) % len(b.log)
	b.logLen = min(b.logLen+1, len(b.log))
}

// windowFree is when the stated policy lets the next request through:
// when the winN-th latest send leaves the window (with a margin for the
// time requests take to reach the gateway); zero when it does now, or
// when no policy is kept this way. b.mu is held.
func (b *budget) windowFree() time.Time {
	if b.winN <= 0 || b.logLen < b.winN {
		return time.Time{}
	}
	i := (b.logNext - b.winN + len(b.log)) % len(b.log)
	return b.log[i].Add(b.winW + windowMargin(b.winW))
}

// windowMargin is the time added to a window, for requests that reach the
// gateway later than others: a twentieth of it, at most a second.
func windowMargin(w time.Duration) time.Duration { return min(w/20, time.Second) }

// setRate makes the bucket fill at r requests a second from now on.
func (b *budget) setRate(now time.Time, r float64) {
	if b.lim == nil {
		b.lim = rate.NewLimiter(rate.Limit(r), b.burst)
		b.lim.SetLimitAt(now, rate.Limit(r)) // the bucket starts full at now
		return
	}
	if b.lim.Limit() != rate.Limit(r) {
		b.lim.SetLimitAt(now, rate.Limit(r))
	}
}

// admit takes w, the head, out of the queue as let through at now, and
// tells the new head. b.mu is held and released.
func (b *budget) admit(w *gateWaiter, now time.Time) error {
	heap.Remove(&b.queue, w.index)
	b.ctl.sent(now)
	b.logSend(now)
	if b.queue.Len() > 0 {
		b.queue[0].tell()
	}
	b.mu.Unlock()
	return nil
}

// leave takes w out of the queue without letting it through and returns
// err. A head that leaves passes its place (and any token reserved for it)
// to the next.
func (b *budget) leave(w *gateWaiter, err error) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if w.index >= 0 {
		wasHead := w.index == 0
		heap.Remove(&b.queue, w.index)
		if wasHead && b.queue.Len() > 0 {
			b.queue[0].tell()
		}
	}
	return err
}

// tell wakes w if it sleeps; a wake that finds it awake is kept for its
// next sleep.
func (w *gateWaiter) tell() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// answered takes in the answer to a request let through at sentAt: a
// throttle (429) lowers the rate. It reports whether it did.
func (b *budget) answered(sentAt time.Time, throttled bool) bool {
	if b == nil {
		return false
	}
	if !throttled {
		// The common answer takes no lock: only a row of unstated
		// throttles has anything to end.
		if b.inRow.Load() {
			b.mu.Lock()
			b.unstated = 0
			b.inRow.Store(false)
			b.mu.Unlock()
		}
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if sentAt.IsZero() {
		sentAt = b.clock.Now()
	}
	return b.ctl.throttle(b.clock.Now(), sentAt)
}

// throttledUnstated takes in a 429 that stated no policy, after answered
// lowered the rate for its round (lowered): the budget also pauses, 1 s
// after the first such round, twice as long after each next one in a row
// (up to maxUnstatedPause), so that a gateway that counts the requests it
// refuses sees the client stop long enough for its window to drain.
func (b *budget) throttledUnstated(lowered bool) {
	if b == nil || !lowered {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ctl.windowed || b.ctl.policy > 0 {
		return // a policy stated before holds
	}
	d := min(time.Second<<min(b.unstated, 10), maxUnstatedPause)
	b.unstated++
	b.inRow.Store(true)
	b.pausedUntil = maxTime(b.pausedUntil, b.clock.Now().Add(d))
	b.next = time.Time{}
	if b.queue.Len() > 0 {
		b.queue[0].tell()
	}
}

// maxUnstatedPause bounds the pause after throttles that stated no policy.
const maxUnstatedPause = 2 * time.Minute

// notifyWait is the least wait in the budget a request reports (see
// EventRateWait).
const notifyWait = time.Second

// maxPolicyPause bounds the pause after a stated policy's 429.
const maxPolicyPause = 30 * time.Minute

// policy takes in the gateway's stated policy, limit requests per window,
// from a 429 answered at now. The budget then lets a request through only
// when fewer than limit of those it let through (throttled ones included:
// a gateway may count them) are within the window, as the gateway counts
// (whether it counts in a sliding window, fixed windows or a bucket of
// limit tokens, no window then holds more than limit). A policy of more
// requests than the send log holds pauses the budget for a window and
// then spaces the requests evenly, limit a window.
func (b *budget) policy(limit int, window time.Duration) {
	if b == nil || limit <= 0 || window <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.clock.Now()
	b.next = time.Time{}
	b.unstated = 0
	b.inRow.Store(false)
	if limit <= sendLogSize {
		b.winN, b.winW = limit, min(window, maxPolicyPause)
		b.ctl.policy, b.ctl.windowed = 0, true
	} else {
		b.winN = 0
		b.ctl.policy, b.ctl.windowed = float64(limit)/window.Seconds(), false
		b.pausedUntil = maxTime(b.pausedUntil, now.Add(min(window, maxPolicyPause)))
		r := b.ctl.rate(now)
		if b.lim == nil {
			b.lim = rate.NewLimiter(rate.Limit(r), 1)
		}
		b.lim.SetLimitAt(now, rate.Limit(r))
		b.lim.SetBurstAt(now, 1)
	}
	if b.queue.Len() > 0 {
		b.queue[0].tell() // the head re-reads when it may go
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// gatewayPolicy reads the policy a 429's error_msg states, as Huawei's
// gateway writes it: "The throttling threshold has been reached: policy
// user over ratelimit,limit:200,time:5 minute". ok is false when it states
// none.
func gatewayPolicy(msg string) (limit int, window time.Duration, ok bool) {
	m := policyPattern.FindStringSubmatch(msg)
	if m == nil {
		return 0, 0, false
	}
	n, err1 := strconv.Atoi(m[1])
	k, err2 := strconv.Atoi(m[2])
	if err1 != nil || err2 != nil || n <= 0 || k <= 0 || k > 1<<20 {
		return 0, 0, false
	}
	unit := map[string]time.Duration{"second": time.Second, "minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}[strings.ToLower(m[3])]
	return n, time.Duration(k) * unit, true
}

var policyPattern = regexp.MustCompile(`(?i)limit\s*:\s*(\d{1,9})\s*,\s*time\s*:\s*(\d{1,9})\s*(second|minute|hour|day)s?\b`)

// jobKey is the context key of the job a request looks at (WaitJob's
// looks), for the events of its waits.
type jobKey struct{}

func withJob(ctx context.Context, jobID string) context.Context {
	return context.WithValue(ctx, jobKey{}, jobID)
}

func jobOf(ctx context.Context) string {
	id, _ := ctx.Value(jobKey{}).(string)
	return id
}

// dueKey is the context key of the time a request is due (see withDue).
type dueKey struct{}

// withDue returns ctx marking its requests as due at t: when requests
// queue for the budget, the earliest due goes first. A request not marked
// is due when it reaches the budget.
func withDue(ctx context.Context, t time.Time) context.Context {
	return context.WithValue(ctx, dueKey{}, t)
}

// dueOf is the time ctx's requests are due, or zero.
func dueOf(ctx context.Context) time.Time {
	t, _ := ctx.Value(dueKey{}).(time.Time)
	return t
}
