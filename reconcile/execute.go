package reconcile

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/gaussdb-tools/chreplication"
)

// maxRetryDelay caps the delay between two tries of a change.
const maxRetryDelay = 30 * time.Second

// Apply carries out the planned changes of p and returns every change of p,
// in p's order, with its result; p is not modified. The changes of one
// instance are made one after the other (the service runs one operation
// per instance), at most Options.Parallel instances at once, each through
// the client of its place.
//
// A create is sent only when the plan's list lacks the task; a delete only
// when it showed it. After an answer that may have been lost (a cut
// connection, a timeout, a 5xx) Apply looks at the list, for up to
// Options.ConfirmWait, before deciding anything, and from then on makes the
// change through EnsureReplication or EnsureReplicationAbsent: a database
// is never created twice. An answer saying the task exists already (or is
// gone already) is checked on the list the same way, and the change becomes
// ActionNone with Already set. Lost answers, throttled calls (429) and a
// busy instance (409) are tried again for as long as ctx allows; other
// errors that may pass (a 5xx, a network error) up to Options.MaxAttempts
// tries; any other error fails the change at once. Apply then waits for the
// change's job: its first look comes a little after the latest time at
// which earlier jobs of this Applier were still seen running, so that a
// wait usually costs one look.
//
// When ctx ends, Apply returns promptly: a change whose job was started and
// not seen to end is ResultRunning (the service goes on with it), one not
// started keeps ResultPlanned with Err set to ctx's error, one whose
// request may have reached the service is ResultFailed with MayRun set.
func (a *Applier) Apply(ctx context.Context, p *Plan) []Change {
	if p == nil {
		return nil
	}
	out := slices.Clone(p.Changes)
	type key struct{ endpoint, projectID, instanceID string }
	var groups [][]int
	index := map[key]int{}
	for i, ch := range out {
		k := key{ch.Endpoint, ch.ProjectID, ch.InstanceID}
		g, ok := index[k]
		if !ok {
			g = len(groups)
			index[k] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	a.each(len(groups), func(g int) {
		for _, i := range groups[g] {
			a.carryOut(ctx, &out[i])
		}
	})
	return out
}

// carryOut makes one planned change.
func (a *Applier) carryOut(ctx context.Context, ch *Change) {
	following := ch.Action == ActionNone && ch.Starting
	if ch.Result != ResultPlanned || (ch.Action != ActionCreate && ch.Action != ActionDelete && !following) {
		return
	}
	if err := ctx.Err(); err != nil {
		ch.Err = err
		return
	}
	c, err := a.client(place{ch.Endpoint, ch.ProjectID})
	if err != nil {
		ch.Result, ch.Err = ResultFailed, err
		a.emit(Event{Kind: EventDone, Change: *ch})
		return
	}
	began := time.Now()
	op := &operation{a: a, c: c, ch: ch}
	if following {
		op.followStart(ctx)
	} else {
		op.run(ctx)
	}
	ch.Took = time.Since(began)
	a.emit(Event{Kind: EventDone, Change: *ch})
}

// operation is one create or delete being made.
type operation struct {
	a    *Applier
	c    *chreplication.Client
	ch   *Change
	lost bool // an earlier try's answer was lost: go through the Ensure methods
	// accepted is when the create or delete was answered: the job runs
	// from about then.
	accepted time.Time
}

// run tries the change until it is made or fails, then follows its job.
func (op *operation) run(ctx context.Context) {
	for attempt := 1; ; attempt++ {
		var started bool
		var err error
		if op.ch.Action == ActionCreate {
			started, err = op.create(ctx)
		} else {
			started, err = op.remove(ctx)
		}
		switch {
		case err == nil && started:
			op.accepted = time.Now()
			op.ch.MayRun = false
			op.follow(ctx)
			return
		case err == nil && op.ch.Starting:
			op.followStart(ctx)
			return
		case err == nil:
			if op.ch.Result == ResultPlanned {
				op.ch.Result = ResultDone
			}
			return
		case chreplication.IsSourceConflict(err):
			// The task that exists reads from another source: left alone.
			op.ch.Action, op.ch.Result, op.ch.Err, op.ch.MayRun = ActionNone, ResultConflict, err, false
			return
		}
		if !op.again(ctx, attempt, err) {
			return
		}
	}
}

// already records that the service was found as wanted.
func (op *operation) already(r *chreplication.Replication) {
	op.ch.Action, op.ch.Already, op.ch.MayRun = ActionNone, true, false
	if r != nil {
		op.ch.Replication = r
		if isAbnormal(*r) {
			op.ch.Result = ResultAbnormal
		}
		op.ch.Starting = r.Starting()
	}
}

// followStart follows, on the list, a task that has not left its first
// stages and whose create job is unknown (found by the plan, answered
// "exists", or made by a create whose answer was lost), until it reaches
// its steady stage (done) or turns abnormal. A task still starting when
// ctx ends is ResultRunning.
func (op *operation) followStart(ctx context.Context) {
	ch := op.ch
	ch.Result = ResultRunning
	op.a.emit(Event{Kind: EventStarted, Change: *ch})
	var r *chreplication.Replication
	var err error
	for attempt := 1; ; attempt++ {
		r, err = op.c.WaitReplicationStarted(ctx, ch.InstanceID, ch.Database,
			chreplication.WithPollInterval(op.a.opts.PollInterval, 0))
		if r != nil {
			ch.Replication = r
		}
		// A look that failed in a way that may pass is tried again, as
		// follow does for a job.
		if err == nil || ctx.Err() != nil || errors.Is(err, chreplication.ErrReplicationGone) ||
			!patient(err) && (attempt >= op.a.opts.MaxAttempts || !transient(err)) {
			break
		}
		delay := min(op.a.opts.PollInterval<<min(attempt-1, 16), maxRetryDelay)
		op.a.emit(Event{Kind: EventRetry, Change: *ch, Err: err, Attempt: attempt, Delay: delay})
		if sleep(ctx, delay) != nil {
			break
		}
	}
	switch {
	case err == nil:
		ch.Starting = false
		ch.Result = ResultDone
		if isAbnormal(*r) {
			ch.Result = ResultAbnormal
		}
	case ctx.Err() != nil:
		// Still being created: the service goes on with it.
	case errors.Is(err, chreplication.ErrReplicationGone):
		ch.Result, ch.Err = ResultFailed, fmt.Errorf("the task was being created and the list no longer shows it (its create failed, or it was deleted): %w", err)
	default:
		ch.Result, ch.Err = ResultFailed, err
	}
}

// ensureOptions are the options of a try's Ensure call: the first try
// skips the list, since the plan's list has just shown the change needed;
// a try after a lost answer looks first.
func (op *operation) ensureOptions() []chreplication.EnsureOption {
	opts := []chreplication.EnsureOption{chreplication.WithConfirmWait(op.a.opts.ConfirmWait)}
	if !op.lost {
		opts = append(opts, chreplication.WithoutFirstLook())
	}
	return opts
}

// create makes one try of a create through EnsureReplication. It reports
// whether a job was started (ch.JobID, or ch.JobIDLost). An error wrapping
// ErrOutcomeUnknown marks the operation lost (see again).
func (op *operation) create(ctx context.Context) (bool, error) {
	ch := op.ch
	res, err := op.c.EnsureReplication(ctx, ch.InstanceID, ch.Request, op.ensureOptions()...)
	if err != nil {
		return false, err
	}
	switch {
	case res.Created:
		ch.JobID, ch.JobIDLost = res.JobID, res.JobIDLost
		if res.JobIDLost {
			ch.Replication = res.Replication
		}
		return true, nil
	case op.lost:
		// The list shows the task an earlier try's lost create made.
		ch.JobIDLost, ch.Replication = true, res.Replication
		return true, nil
	}
	op.already(res.Replication)
	return false, nil
}

// remove makes one try of a delete, as create does.
func (op *operation) remove(ctx context.Context) (bool, error) {
	ch := op.ch
	res, err := op.c.EnsureReplicationAbsent(ctx, ch.InstanceID, ch.Database, op.ensureOptions()...)
	if err != nil {
		return false, err
	}
	switch {
	case res.Deleted:
		ch.JobID, ch.JobIDLost = res.JobID, res.JobIDLost
		return true, nil
	case op.lost:
		ch.JobIDLost = true
		return true, nil
	}
	op.already(nil)
	return false, nil
}

// again decides, after a failed try, whether to try once more (and waits
// before it), or records the failure.
func (op *operation) again(ctx context.Context, attempt int, err error) bool {
	ch := op.ch
	if errors.Is(err, chreplication.ErrOutcomeUnknown) {
		op.lost, ch.MayRun = true, true
	}
	endless := patient(err)
	if ctx.Err() != nil && errors.Is(err, chreplication.ErrNotStarted) && !op.lost {
		// Nothing of this change reached the service (the budget had no
		// room, or every answer was a throttle or a busy refusal): it was
		// not started.
		ch.Result, ch.Err, ch.MayRun = ResultPlanned, err, false
		return false
	}
	if ctx.Err() != nil || (!endless && (attempt >= op.a.opts.MaxAttempts || !transient(err))) {
		ch.Result, ch.Err = ResultFailed, err
		return false
	}
	delay := min(op.a.opts.PollInterval<<min(attempt-1, 16), maxRetryDelay)
	op.a.emit(Event{Kind: EventRetry, Change: *ch, Err: err, Attempt: attempt, Delay: delay})
	if sleep(ctx, delay) != nil {
		ch.Result, ch.Err = ResultFailed, err
		if errors.Is(err, chreplication.ErrNotStarted) && !op.lost {
			ch.Result, ch.MayRun = ResultPlanned, false
		}
		return false
	}
	return true
}

// follow waits for the change's job and records how it ended. A delete
// whose job ID was lost is done: the list no longer showed the task. A
// create whose job ID was lost is followed on the list until the task it
// made leaves its first stages.
func (op *operation) follow(ctx context.Context) {
	ch := op.ch
	if ch.JobID == "" && ch.Action == ActionCreate && ch.Replication != nil && ch.Replication.Starting() {
		ch.Starting = true
		op.followStart(ctx)
		return
	}
	if ch.JobID == "" {
		ch.Result = ResultDone
		op.a.emit(Event{Kind: EventStarted, Change: *ch})
		return
	}
	ch.Result = ResultRunning
	op.a.emit(Event{Kind: EventStarted, Change: *ch})
	// The first look comes when the jobs seen so far were known to be
	// still running, and a little later: most jobs have ended by then.
	// Before any job was seen running, the first look waits the shortest
	// interval: a new job has not ended at once (and may not be visible
	// yet).
	est := op.a.est.get()
	if sleep(ctx, max(est, op.a.opts.PollInterval)-time.Since(op.accepted)) != nil {
		return // still running
	}
	first := op.a.opts.PollInterval
	if est > 0 {
		first = max(first, est/16)
	}
	progress := chreplication.WithProgress(func(j *chreplication.Job) {
		if !j.Status.Done() {
			op.a.est.running(time.Since(op.accepted))
		}
		jc := *j
		ch.Job = &jc
		op.a.emit(Event{Kind: EventProgress, Change: *ch, Job: &jc})
	})
	for attempt := 1; ; attempt++ {
		job, err := op.c.WaitJob(ctx, ch.JobID, chreplication.WithPollInterval(first, 0), progress)
		if job != nil {
			jc := *job
			ch.Job = &jc
		}
		switch {
		case err == nil:
			ch.Result = ResultDone
			return
		case errors.Is(err, chreplication.ErrJobFailed):
			reason := "no reason given"
			if job != nil && job.FailReason != "" {
				reason = printable(job.FailReason)
			}
			ch.Result, ch.JobFailed = ResultFailed, true
			ch.Err = fmt.Errorf("job %s failed: %s", ch.JobID, reason)
			return
		case ctx.Err() != nil:
			return // still running
		case !patient(err) && (attempt >= op.a.opts.MaxAttempts || !transient(err)):
			ch.Result, ch.Err = ResultFailed, fmt.Errorf("following job %s: %w", ch.JobID, err)
			return
		}
		delay := min(first<<min(attempt-1, 16), maxRetryDelay)
		op.a.emit(Event{Kind: EventRetry, Change: *ch, Err: err, Attempt: attempt, Delay: delay})
		if sleep(ctx, delay) != nil {
			return
		}
	}
}

// estimate learns how long jobs run: the latest times, counted from the
// create's or delete's answer, at which a look found a job still running.
// A job cannot have ended before them, so looking a little after the
// longest of them finds most jobs ended; a look that finds a job running
// raises them, so the estimate never drifts up on its own (as one built on
// the looks that found jobs ended would: each comes a little late).
type estimate struct {
	mu     sync.Mutex
	recent []time.Duration // at most estimateSize
}

const estimateSize = 32

// running records that a job was seen running d after its start was
// answered.
func (e *estimate) running(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.recent = append(e.recent, d)
	if len(e.recent) > estimateSize {
		e.recent = e.recent[len(e.recent)-estimateSize:]
	}
}

// get returns when to look at a new job, from its start's answer: the
// longest of the latest times a job was seen running, and 5% more; 0 when
// none was seen yet.
func (e *estimate) get() time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	var longest time.Duration
	for _, d := range e.recent {
		longest = max(longest, d)
	}
	return longest + longest/20
}

// patient reports whether err is one Apply tries again for as long as the
// context allows: a lost answer, a throttled call, a busy instance, a call
// that started nothing (its turn in the request budget came after its own
// deadline, as after a stated policy's pause).
func patient(err error) bool {
	return errors.Is(err, chreplication.ErrOutcomeUnknown) || chreplication.IsThrottled(err) || chreplication.IsBusy(err) ||
		errors.Is(err, chreplication.ErrNotStarted)
}

// transient reports whether an error may pass when the change is tried
// again: the service or the network failed. A refusal of the request itself
// (a 4xx, invalid input) would come again.
func transient(err error) bool {
	switch {
	case errors.Is(err, chreplication.ErrInvalidRequest), errors.Is(err, chreplication.ErrJobFailed):
		return false
	}
	var apiErr *chreplication.APIError
	if errors.As(err, &apiErr) {
		return apiErr.StatusCode >= 500 || apiErr.StatusCode == http.StatusRequestTimeout
	}
	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// sleep waits d or until ctx ends, and returns ctx's error then.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
