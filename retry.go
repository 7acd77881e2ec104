package chreplication

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"time"
)

// RetryPolicy says how often and how patiently a failed call is sent again.
//
// What is retried, and why:
//   - Reads (list, job, and the other queries) are retried on 502, 503 and
//     504 answers and on network errors: sending a read twice changes
//     nothing.
//   - Writes (create, delete, scope changes) are retried only when the
//     request certainly never reached the service: the connection could
//     not be made (refused, a failed DNS lookup or dial). A write that may
//     have reached the service (a 500, a 502/503/504 from behind the
//     gateway, a connection reset after the request was written, a
//     timeout) is never re-sent, because the service may already have
//     started a job: a retry would create a duplicate task. Those errors
//     are returned for the caller to decide.
//   - Any call (a write too) throttled by the API gateway (429, such as
//     APIGW.0308) is sent again for as long as the call's deadline allows
//     (the context's, or the client's per-call timeout; 30 minutes when
//     there is neither), however many attempts that takes: MaxAttempts
//     does not bound it. A throttled request never reached the service.
//     The wait before each is the backoff below, or the answer's
//     Retry-After when it asks for longer (MaxDelay does not cap it). Each
//     throttle is reported to the event hook (EventThrottled) and lowers
//     the client's sending rate (see WithRateLimit).
//   - Any call refused because the instance runs another operation, 409
//     with error code DBS.200019, DBS.201014, DBS.201015, DBS.200047,
//     DBS.05000084 or DBS.212033 ("Instance is currently being operated",
//     taken from a 403 too), is likewise sent again for as long as the
//     call's deadline allows, whatever MaxAttempts says: such a refusal
//     changed nothing. Each one is reported to the event hook
//     (EventInstanceBusy). Any other 409 is returned, not re-sent.
//
// Delays grow exponentially from BaseDelay up to MaxDelay, with jitter, and
// follow the answer's Retry-After header (seconds or an HTTP date) when it
// asks for longer, up to MaxDelay (a throttle's Retry-After excepted). Retries stop when the context ends: the
// error then wraps both the last attempt's outcome (an *APIError or the
// network error) and the context's error. A retry whose wait, and the time
// its answer needs (twice what the last attempt took, at least 25ms), would
// outlast the context's deadline is not started: the last attempt's outcome
// is returned at once, while the context is still alive. So a call ends
// with a certain answer rather than a request cut off by the deadline.
type RetryPolicy struct {
	// MaxAttempts is the number of times a call is sent at most, the first
	// included. 1 turns retries off; 0 means the default (4).
	MaxAttempts int
	// BaseDelay is the delay before the first retry (default 200ms).
	BaseDelay time.Duration
	// MaxDelay caps every delay, Retry-After included (default 10s).
	MaxDelay time.Duration
}

// DefaultRetryPolicy returns the policy clients use unless WithRetry or
// WithoutRetry says otherwise: 4 attempts, 200ms doubling up to 10s.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 4, BaseDelay: 200 * time.Millisecond, MaxDelay: 10 * time.Second}
}

func (p RetryPolicy) attempts() int {
	if p.MaxAttempts == 0 {
		return 4
	}
	return p.MaxAttempts
}

// delay returns how long to wait before attempt n+1 (n ≥ 1 attempts done):
// exponential backoff with "equal jitter" (between half and all of the
// step), raised to Retry-After when the server asked for longer, capped.
func (p RetryPolicy) delay(n int, retryAfter time.Duration) time.Duration {
	base, maxD := p.BaseDelay, p.MaxDelay
	if base == 0 {
		base = 200 * time.Millisecond
	}
	if maxD == 0 {
		maxD = 10 * time.Second
	}
	d := base
	for i := 1; i < n && d < maxD; i++ {
		d *= 2
	}
	d = min(d, maxD)
	d = d/2 + rand.N(d/2+1) //nolint:gosec // jitter needs no cryptographic randomness
	if retryAfter > d {
		d = retryAfter
	}
	return min(d, maxD)
}

// retryable reports whether a call may be sent again, within MaxAttempts,
// after this outcome: a network error (err), or an answer's status. A
// throttle (429) and a busy instance are ridden out apart from it (see Do).
func retryable(idempotent bool, status int, err error) bool {
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
			errors.Is(err, ErrResponseTooLarge) { // the same answer would come again
			return false
		}
		if neverReached(err) {
			return true
		}
		return idempotent
	}
	switch status {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return idempotent
	}
	return false
}

// neverReached reports whether a transport error shows that the request was
// never sent: the connection could not be made.
func neverReached(err error) bool {
	if errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return true
	}
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr)
}

// retryAfter parses a Retry-After header: delay-seconds or an HTTP date.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, 24*3600)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// sleep waits d or until ctx ends. It does not start a wait that would
// outlast ctx's deadline.
func sleep(ctx context.Context, d time.Duration) error {
	if !fits(ctx, d) {
		return context.DeadlineExceeded
	}
	return pause(ctx, d)
}

// fits reports whether a wait of d ends before ctx's deadline, if any.
func fits(ctx context.Context, d time.Duration) bool {
	dl, ok := ctx.Deadline()
	return !ok || time.Until(dl) >= d
}

// pause waits d or until ctx ends, and returns ctx's error if it ended.
func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
