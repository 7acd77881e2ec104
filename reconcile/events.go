package reconcile

import (
	"strconv"
	"time"

	"github.com/gaussdb-tools/chreplication"
)

// EventKind says what an Event reports.
type EventKind int

// Event kinds.
const (
	// EventListed: Plan listed an instance (Change names the instance only).
	EventListed EventKind = iota + 1
	// EventStarted: a create or delete was accepted and its job started
	// (Change.JobID; "" when the answer was lost and the list showed the
	// effect).
	EventStarted
	// EventProgress: a look at the change's job found it moved (Job).
	EventProgress
	// EventRetry: a try of the change, or a look at its job, failed with an
	// error that may pass (Err); Apply tries again after Delay.
	EventRetry
	// EventDone: the change ended (Change.Result, Change.Err).
	EventDone
)

// String returns the kind's name, such as "started".
func (k EventKind) String() string {
	switch k {
	case EventListed:
		return "listed"
	case EventStarted:
		return "started"
	case EventProgress:
		return "progress"
	case EventRetry:
		return "retry"
	case EventDone:
		return "done"
	}
	return "EventKind(" + strconv.Itoa(int(k)) + ")"
}

// Event is what Applier reports through Options.OnEvent while it works. It
// holds no credentials.
type Event struct {
	Kind EventKind
	// Change is the change as it stands (a copy).
	Change Change
	// Job is the job as the last look showed it (EventProgress); nil
	// otherwise.
	Job *chreplication.Job
	// Err is the error that is tried again (EventRetry).
	Err error
	// Attempt counts the failed tries of the change so far (EventRetry).
	Attempt int
	// Delay is how long Apply waits before it tries again (EventRetry).
	Delay time.Duration
}

// emit passes e to Options.OnEvent, if any.
func (a *Applier) emit(e Event) {
	if a.opts.OnEvent != nil {
		a.opts.OnEvent(e)
	}
}
