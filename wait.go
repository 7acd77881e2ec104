package chreplication

import (
	"context"
	"fmt"
	"time"
)

// WaitOption configures WaitJob.
type WaitOption func(*waitConfig)

type waitConfig struct {
	first, max time.Duration
	progress   func(*Job)
}

// Default polling intervals of WaitJob.
const (
	DefaultPollInterval    = time.Second
	DefaultMaxPollInterval = 30 * time.Second
)

// WithPollInterval sets the delay before WaitJob's second look at the job
// (first) and the most it waits between two looks (max). The delay doubles
// after every look, so a job that takes T is looked at about log2(T/first)
// times until the delay reaches max. Values ≤ 0 keep the defaults.
func WithPollInterval(first, max time.Duration) WaitOption {
	return func(w *waitConfig) {
		if first > 0 {
			w.first = first
		}
		if max > 0 {
			w.max = max
		}
	}
}

// WithProgress calls fn with the job after each look at it whose status or
// progress differs from the previous one (and after the first). fn runs on
// WaitJob's goroutine and must not keep the *Job past its return.
func WithProgress(fn func(*Job)) WaitOption {
	return func(w *waitConfig) { w.progress = fn }
}

// WaitJob looks at the job jobID until it is Completed or Failed, waiting
// between looks with capped exponential backoff (see WithPollInterval), and
// returns it. A Failed job is returned with an error wrapping ErrJobFailed
// that holds the job's FailReason. When ctx ends first, WaitJob returns
// promptly with the last job it saw (nil if none) and an error wrapping
// ctx's error (when ctx ends while a look is between two retries, the error
// wraps that look's last outcome too). An error from a look (after the
// client's retries) ends the wait too. WaitJob starts no goroutine.
func (c *Client) WaitJob(ctx context.Context, jobID string, opts ...WaitOption) (*Job, error) {
	if err := checkID("jobID", jobID); err != nil {
		return nil, err
	}
	cfg := waitConfig{first: DefaultPollInterval, max: DefaultMaxPollInterval}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	cfg.max = max(cfg.max, cfg.first)
	var last *Job
	delay := cfg.first
	for {
		job, err := c.Job(ctx, jobID)
		if err != nil {
			return last, err
		}
		if cfg.progress != nil && (last == nil || last.Status != job.Status || last.Process != job.Process) {
			cfg.progress(job)
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
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return last, fmt.Errorf("chreplication: waiting for job %s (last status %s): %w", jobID, last.Status, ctx.Err())
		case <-t.C:
		}
		delay = min(delay*2, cfg.max)
	}
}
