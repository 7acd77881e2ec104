package chreplication

import (
	"context"
	"strconv"
	"time"
)

// EventKind says what a call is waiting for.
type EventKind int

// Event kinds.
const (
	// EventJobNotVisible: WaitJob asked for a job the service does not show
	// yet (a 404 or 400 answer within the visibility grace period, see
	// WithVisibilityGrace) and will look again after Delay.
	EventJobNotVisible EventKind = iota + 1
	// EventInstanceBusy: the instance refused a write because it is running
	// another operation (409 with one of the busy codes, see RetryPolicy);
	// the write is sent again after Delay.
	EventInstanceBusy
	// EventThrottled: the API gateway throttled a request (429, such as
	// APIGW.0308), which never reached the service; the call is sent
	// again after Delay, and the client lowers its sending rate (see
	// WithRateLimit).
	EventThrottled
	// EventRateWait: a request waits its turn in the client's request
	// budget (WithRateLimit, or the rate a 429 lowered, or the pause after
	// a 429 that stated the gateway's policy) for Delay, a second or more,
	// before it is sent. Nothing was sent meanwhile.
	EventRateWait
)

// String returns the kind's name, such as "job-not-visible".
func (k EventKind) String() string {
	switch k {
	case EventJobNotVisible:
		return "job-not-visible"
	case EventInstanceBusy:
		return "instance-busy"
	case EventThrottled:
		return "throttled"
	case EventRateWait:
		return "rate-wait"
	}
	return "EventKind(" + strconv.Itoa(int(k)) + ")"
}

// Event describes a wait the client chose instead of returning an error.
// It holds no credentials.
type Event struct {
	Kind EventKind
	// Operation is the operationId of the call, such as
	// "CreateClickHouseDataBaseReplication".
	Operation string
	// JobID is the job WaitJob waits for (EventJobNotVisible, and the
	// other events of its looks).
	JobID string
	// Attempt counts the answers of this kind so far in the call, from 1.
	Attempt int
	// Delay is how long the client waits before trying again.
	Delay time.Duration
	// Elapsed is the time since the call (or the wait) began.
	Elapsed time.Duration
	// Err is the answer that caused the wait.
	Err *APIError
}

// WithEventHook calls fn for every Event: a job not visible yet, a call
// refused by a busy instance, a request throttled by the gateway, a
// request waiting a second or more in the request budget. fn runs on the calling goroutine, before the
// wait, and must be safe for concurrent use when the client is shared; it
// must not block for long. nil turns the hook off.
func WithEventHook(fn func(Event)) Option {
	return func(c *Client) error {
		c.onEvent = fn
		return nil
	}
}

// emit passes e to the event hook, if any, and adds it to the span of the
// call ctx belongs to when tracing.
func (c *Client) emit(ctx context.Context, e Event) {
	if c.tel != nil {
		c.tel.event(ctx, e)
	}
	if c.onEvent != nil {
		c.onEvent(e)
	}
}
