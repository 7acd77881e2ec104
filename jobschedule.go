package chreplication

import (
	"sync"
	"time"
)

// JobSchedule is WaitJob's schedule for a caller that does not block on a
// job: a controller that looks at the job once per reconcile and requeues
// the next look, or a loop of its own. After each look, Next says how long
// to wait before the next one: just after the end the job's progress
// predicts, or, while it cannot predict, the backoff WaitJob uses (see
// WaitJob and WithPollInterval, the one WaitOption it reads). A
// JobSchedule follows one job; it is safe for concurrent use.
type JobSchedule struct {
	mu sync.Mutex
	p  *predictor
}

// NewJobSchedule returns the schedule of one job. Of opts, only
// WithPollInterval matters.
func NewJobSchedule(opts ...WaitOption) *JobSchedule {
	return &JobSchedule{p: newPredictor(newWaitConfig(opts))}
}

// Next records one look at the job, sent at sent and answered at got, that
// showed job (nil when the service did not show the job yet), and returns
// the delay from got to the next look. A look at a job that has ended
// needs no next one; Next still returns a delay (the backoff's).
func (s *JobSchedule) Next(sent, got time.Time, job *Job) time.Duration {
	if got.Before(sent) {
		got = sent
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.p.next(look{sent: sent, got: got, job: job})
}
