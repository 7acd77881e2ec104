package chreplication

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// WaitOption configures WaitJob.
type WaitOption func(*waitConfig)

type waitConfig struct {
	first, max time.Duration
	maxSet     bool // WithPollInterval gave max: it bounds blind polling too
	grace      time.Duration
	progress   func(*Job)
}

// Polling defaults of WaitJob.
const (
	// DefaultPollInterval is the shortest time between two looks at a job,
	// and the first delay of the backoff WaitJob uses while it cannot
	// predict the job's end.
	DefaultPollInterval = time.Second
	// DefaultMaxPollInterval is the longest time between two looks while
	// WaitJob cannot predict the job's end (the job reports no progress, or
	// the predictions kept missing): the backoff stops doubling there.
	DefaultMaxPollInterval = 30 * time.Second
	// DefaultMaxPredictedPollInterval is the longest time between two looks
	// while the job's progress lets WaitJob predict its end.
	DefaultMaxPredictedPollInterval = 10 * time.Minute
	// DefaultVisibilityGrace is how long after its first look WaitJob takes
	// a 404 or 400 answer to mean that the service does not show the job
	// yet (see WithVisibilityGrace).
	DefaultVisibilityGrace = 2 * time.Minute
)

// WithPollInterval sets the shortest (first) and the longest (max) time
// between two looks at the job; WaitJob never looks more often than first
// and never waits longer than max. While WaitJob cannot predict the job's
// end, the delay starts at first and doubles after every look up to max, so
// a job that takes T is looked at about log2(T/first) times until the delay
// reaches max. Values ≤ 0 keep the defaults: first DefaultPollInterval, and
// max DefaultMaxPollInterval while WaitJob cannot predict the end,
// DefaultMaxPredictedPollInterval while it can; a max given here applies to
// both. A max below first is raised to first.
func WithPollInterval(first, max time.Duration) WaitOption {
	return func(w *waitConfig) {
		if first > 0 {
			w.first = first
		}
		if max > 0 {
			w.max, w.maxSet = max, true
		}
	}
}

// WithVisibilityGrace sets how long, from WaitJob's first look, an answer
// 404 or 400 to the job query counts as "the service does not show the job
// yet" (Huawei documents that a new job takes a few seconds before its ID
// can be queried): WaitJob reports it as an EventJobNotVisible (see
// WithEventHook) and looks again with its usual polling. An answer that
// comes later ends the wait with an error wrapping the *APIError. The
// default is DefaultVisibilityGrace; d ≤ 0 turns the grace off, so the
// first 404 or 400 ends the wait.
func WithVisibilityGrace(d time.Duration) WaitOption {
	return func(w *waitConfig) { w.grace = max(d, 0) }
}

// WithProgress calls fn with the job after each look at it whose status or
// progress differs from the previous one (and after the first). fn runs on
// WaitJob's goroutine and must not keep the *Job past its return. nil calls
// nothing.
func WithProgress(fn func(*Job)) WaitOption {
	return func(w *waitConfig) { w.progress = fn }
}

func newWaitConfig(opts []WaitOption) waitConfig {
	cfg := waitConfig{first: DefaultPollInterval, grace: DefaultVisibilityGrace}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if cfg.maxSet {
		cfg.max = max(cfg.max, cfg.first)
	}
	return cfg
}

// WaitJob looks at the job jobID until it ends and returns it: Completed
// with a nil error, Failed with an error wrapping ErrJobFailed that holds
// the job's FailReason. It looks at once, then just after the end it
// predicts from the progress the job reports, or, while it cannot predict,
// after 1s, 2s, 4s … up to 30s; WithPollInterval bounds the time between
// two looks. A job the service does not show yet (404 or 400 within
// WithVisibilityGrace) is looked at again and reported as an
// EventJobNotVisible; any other error from a look (after the client's
// retries) ends the wait and is returned with the last job seen (nil if
// none). WithProgress reports each change.
//
// When ctx ends first, WaitJob returns promptly with the last job it saw
// (nil if none) and an error wrapping ctx's error. Each look passes the
// client's request budget (see WithRateLimit). WaitJob starts no
// goroutine; many waits may share one Client.
func (c *Client) WaitJob(ctx context.Context, jobID string, opts ...WaitOption) (*Job, error) {
	if err := checkID("jobID", jobID); err != nil {
		return nil, err
	}
	cfg := newWaitConfig(opts)
	var span trace.Span
	if c.tel != nil && c.tel.tracer != nil {
		ctx, span = c.tel.tracer.Start(ctx, SpanWaitJob, trace.WithAttributes(attrJobID.String(jobID)))
	}
	w := waiter{
		jobID: jobID,
		cfg:   cfg,
		clock: wallClock{},
		look:  func(ctx context.Context) (*Job, error) { return c.Job(withJob(ctx, jobID), jobID) },
		emit:  func(e Event) { c.emit(ctx, e) },
		plan:  newPredictor(cfg),
	}
	job, err := w.run(ctx)
	if span != nil {
		if job != nil {
			span.SetAttributes(attribute.String("huaweicloud.gaussdb.job_status", string(job.Status)))
		}
		if err != nil {
			span.SetAttributes(attribute.String("error.type", errorType(err)))
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}
	return job, err
}

// clock is the time WaitJob's loop runs on: the wall clock for WaitJob, a
// simulated one in tests.
type clock interface {
	Now() time.Time
	// Sleep waits d and returns nil, or returns ctx's error as soon as ctx
	// ends.
	Sleep(ctx context.Context, d time.Duration) error
}

// wallClock is the real time.
type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

func (wallClock) Sleep(ctx context.Context, d time.Duration) error { return pause(ctx, d) }

// look is one look at the job: when it was sent, when its answer came and
// the job it showed (nil when the service did not show the job yet).
type look struct {
	sent, got time.Time
	job       *Job
}

// schedule decides when the loop looks at the job. Each wait has its own.
type schedule interface {
	// initial is the delay before the first look.
	initial() time.Duration
	// next is the delay from the answer of l to the next look.
	next(l look) time.Duration
}

// waiter is WaitJob's loop and what it runs on.
type waiter struct {
	jobID string
	cfg   waitConfig
	clock clock
	look  func(context.Context) (*Job, error)
	emit  func(Event) // nil: no events
	plan  schedule
}

// run looks at the job until it ends, an error ends the wait or ctx ends.
func (w *waiter) run(ctx context.Context) (*Job, error) {
	if d := w.plan.initial(); d > 0 {
		if err := w.clock.Sleep(ctx, d); err != nil {
			return nil, fmt.Errorf("chreplication: waiting for job %s (not looked at yet): %w", w.jobID, err)
		}
	}
	var (
		last       *Job
		first      time.Time // the first look was sent
		notVisible int
	)
	var due time.Time // when the next look is due, for the client's budget; zero: now
	for {
		sent := w.clock.Now()
		if first.IsZero() {
			first = sent
		}
		lookCtx := ctx
		if !due.IsZero() {
			lookCtx = withDue(ctx, due)
		}
		job, err := w.look(lookCtx)
		got := w.clock.Now()
		if err != nil {
			apiErr := notVisibleAnswer(err)
			if apiErr == nil || ctx.Err() != nil {
				return last, err
			}
			elapsed := got.Sub(first)
			if elapsed >= w.cfg.grace {
				if w.cfg.grace <= 0 {
					return last, err
				}
				return last, fmt.Errorf("chreplication: job %s still not shown %v after the first look: %w",
					w.jobID, elapsed.Round(time.Millisecond), err)
			}
			notVisible++
			d := w.plan.next(look{sent: sent, got: got})
			due = got.Add(d)
			if w.emit != nil {
				w.emit(Event{Kind: EventJobNotVisible, Operation: jobOperation, JobID: w.jobID,
					Attempt: notVisible, Delay: d, Elapsed: elapsed, Err: apiErr})
			}
			if err := w.clock.Sleep(ctx, d); err != nil {
				return last, fmt.Errorf("chreplication: waiting for job %s (not shown yet): %w (last answer: %w)", w.jobID, err, apiErr)
			}
			continue
		}
		if w.cfg.progress != nil && (last == nil || last.Status != job.Status || last.Process != job.Process) {
			w.cfg.progress(job)
		}
		last = job
		switch job.Status {
		case JobCompleted:
			return job, nil
		case JobFailed:
			reason := job.FailReason
			if reason == "" {
				reason = "no reason given"
			}
			return job, fmt.Errorf("%w: job %s (%s): %s", ErrJobFailed, job.ID, job.Name, clean(reason))
		}
		d := w.plan.next(look{sent: sent, got: got, job: job})
		// When looks queue for the client's budget, the one due first goes
		// first; a look at a job still far from its predicted end counts
		// as due that much later.
		due = got.Add(d)
		if s, ok := w.plan.(interface{ slack() time.Duration }); ok {
			due = due.Add(s.slack())
		}
		if err := w.clock.Sleep(ctx, d); err != nil {
			return last, fmt.Errorf("chreplication: waiting for job %s (last status %s): %w", w.jobID, last.Status, err)
		}
	}
}

// jobOperation is the operationId of the job query, as events name it.
const jobOperation = "ShowGaussMySqlJobInfo"

// notVisibleAnswer returns the *APIError of a look that may mean the job
// is not visible yet (a 404 or a 400: the job ID passed the local checks),
// or nil.
func notVisibleAnswer(err error) *APIError {
	var apiErr *APIError
	if errors.As(err, &apiErr) && (apiErr.StatusCode == http.StatusNotFound || apiErr.StatusCode == http.StatusBadRequest) {
		return apiErr
	}
	return nil
}
