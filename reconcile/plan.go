package reconcile

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gaussdb-tools/chreplication"
)

// Action is what a change does to the service.
type Action string

// Actions, as apply's JSON document spells them.
const (
	ActionCreate Action = "create"
	ActionDelete Action = "delete"
	ActionNone   Action = "none"
)

// Result is how a change ended, or where it stands.
type Result string

// Results, as apply's JSON document spells them.
const (
	// ResultPlanned: the change is to be made (a plan), or was not started
	// (Apply's context ended first, before anything of it reached the
	// service: Change.Err says so).
	ResultPlanned Result = "planned"
	// ResultDone: the service is as the file wants it for this database.
	ResultDone Result = "done"
	// ResultFailed: an error left the database unlike the file (Change.Err),
	// or its job ended Failed (Change.JobFailed).
	ResultFailed Result = "failed"
	// ResultAbnormal: the task exists but is abnormal; it is left alone.
	ResultAbnormal Result = "abnormal"
	// ResultRunning: the change's job was started, or the task found was
	// still being created (Change.Starting), and it was still running when
	// Apply's context ended: the service goes on with it.
	ResultRunning Result = "running"
	// ResultConflict: the database has a task on the instance, but it
	// replicates from another source than the file's (Change.Err is a
	// *chreplication.SourceConflictError naming both); it is left alone.
	ResultConflict Result = "conflict"
)

// Change is one line of a plan: a database of an instance, what to do with
// it and, after Apply, how it ended.
type Change struct {
	// Endpoint and ProjectID are the place of the instance, defaults
	// (Options) filled in.
	Endpoint   string
	ProjectID  string
	InstanceID string
	Database   string
	Action     Action
	Result     Result
	// JobID is the job the create or delete started ("" when none, or when
	// its answer was lost: JobIDLost).
	JobID string
	// JobIDLost reports that the create or delete reached the service but
	// its answer, and with it the job ID, was lost: the list showed its
	// effect.
	JobIDLost bool
	// Already reports that the service was found as the file wants it when
	// the change was made (someone else made it since the plan): Action is
	// then ActionNone.
	Already bool
	// JobFailed reports that Result is ResultFailed because the job ended
	// Failed (Err holds its reason).
	JobFailed bool
	// MayRun reports that a create or delete whose answer was lost may have
	// reached the service and its effect was not seen: a job may be running.
	MayRun bool
	// Err is why the change failed, or why it was not started (the
	// context's error); nil otherwise.
	Err error
	// Starting reports that the task the file wants was found still in its
	// first stages (chreplication.Replication.Starting: its create job may
	// still be running, and may still fail): Action is ActionNone, and
	// Apply follows the task on the list until it leaves them
	// (chreplication.Client.WaitReplicationStarted) before calling it done.
	Starting bool
	// Replication is the task as the plan's list showed it (or as Apply
	// last saw it); nil when the list did not show one.
	Replication *chreplication.Replication
	// Request is the create's request (ActionCreate, and a database the
	// file wants).
	Request chreplication.CreateReplicationRequest
	// Took is how long the change took in Apply, waits for the request
	// budget included; the job's own duration is Job's (Ended - Created).
	Took time.Duration
	// Job is the change's job as the last look showed it (nil when its ID
	// is unknown or it was not looked at): its Created and Ended times
	// are the service's.
	Job *chreplication.Job
}

// Plan is what Applier.Plan found: a change per database of each instance
// the file names (and, with Options.Prune, per task the file does not
// name), instance by instance in the order of the file.
type Plan struct {
	Changes []Change
	// Instances is the number of instances the plan covers.
	Instances int
}

// ClientFunc returns the client of one place: an API endpoint and a
// project. Applier calls it once per place and uses that client for every
// request of the place, so that the place's requests share one budget (a
// client built with chreplication.WithRateLimit). It must return a client
// whose Endpoint and ProjectID are those asked.
type ClientFunc func(endpoint, projectID string) (*chreplication.Client, error)

// Defaults of Options.
const (
	// DefaultParallel is how many instances Apply works on at once.
	DefaultParallel = 16
	// DefaultMaxAttempts is how many times Apply tries a change that
	// failed with an error that may pass (a 5xx, a network error), when the
	// error says nothing was done. Lost answers, throttling (429) and busy
	// instances (409) are tried again for as long as the context allows,
	// without this bound.
	DefaultMaxAttempts = 5
)

// Options configure an Applier.
type Options struct {
	// Client makes the client of a place (required).
	Client ClientFunc
	// Endpoint and ProjectID are the place of the targets that name none.
	Endpoint  string
	ProjectID string
	// Prune makes the plan delete the tasks the file does not name, on the
	// instances it names (instances it does not name are never touched).
	Prune bool
	// Parallel bounds how many instances Apply works on at once
	// (DefaultParallel when ≤ 0). Each instance runs one operation at a
	// time, as the service does.
	Parallel int
	// ConfirmWait is how long, after an answer that may have been lost,
	// Apply looks at the list for the request's effect before deciding
	// (chreplication.DefaultConfirmWait when 0; negative: look once).
	ConfirmWait time.Duration
	// PollInterval is the shortest time between two looks at a job, and
	// the first delay of the backoffs (chreplication.DefaultPollInterval
	// when ≤ 0).
	PollInterval time.Duration
	// MaxAttempts bounds the tries of a change that failed with an error
	// that may pass (DefaultMaxAttempts when ≤ 0); see DefaultMaxAttempts.
	MaxAttempts int
	// SkipSourceCheck makes Plan trust the list alone: it does not read
	// the configuration of each task the file wants and the list shows
	// (one request per task) to compare its source with the file's. A task
	// of another source is then counted as done, so skip the check only
	// when nothing but this file creates the instances' tasks (as
	// -refresh=false trusts the state). Creates are checked all the same:
	// a create answered "exists" adopts the task only when its source is
	// the file's.
	SkipSourceCheck bool
	// OnEvent, when not nil, is called for every Event. It is called from
	// several goroutines at once (one per instance at work) and must be
	// safe for concurrent use and return quickly.
	OnEvent func(Event)
}

// Applier plans and applies declarations. Make it with New. It is safe for
// concurrent use; it keeps one client per place for its whole life, and
// learns how long jobs take to look at each job about when it ends.
type Applier struct {
	opts Options

	mu      sync.Mutex
	clients map[place]*chreplication.Client

	est estimate
}

// place is an endpoint and a project.
type place struct{ endpoint, projectID string }

// New returns an Applier. A nil Client is an error wrapping
// chreplication.ErrInvalidRequest.
func New(opts Options) (*Applier, error) {
	if opts.Client == nil {
		return nil, fmt.Errorf("%w: reconcile: Options.Client is required", chreplication.ErrInvalidRequest)
	}
	if opts.Parallel <= 0 {
		opts.Parallel = DefaultParallel
	}
	switch {
	case opts.ConfirmWait == 0:
		opts.ConfirmWait = chreplication.DefaultConfirmWait
	case opts.ConfirmWait < 0:
		opts.ConfirmWait = 0
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = chreplication.DefaultPollInterval
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	opts.Endpoint = normalEndpoint(opts.Endpoint)
	return &Applier{opts: opts, clients: map[place]*chreplication.Client{}}, nil
}

// placeOf fills the defaults into a target's place.
func (a *Applier) placeOf(t *Target) place {
	p := place{normalEndpoint(t.Endpoint), t.ProjectID}
	if p.endpoint == "" {
		p.endpoint = a.opts.Endpoint
	}
	if p.projectID == "" {
		p.projectID = a.opts.ProjectID
	}
	return p
}

// client returns the client of p, making it once.
func (a *Applier) client(p place) (*chreplication.Client, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if c, ok := a.clients[p]; ok {
		return c, nil
	}
	c, err := a.opts.Client(p.endpoint, p.projectID)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, errors.New("reconcile: Options.Client returned no client and no error")
	}
	a.clients[p] = c
	return c, nil
}

// Plan lists every instance the declaration names, in parallel (at most
// Options.Parallel at once), and works out its changes: create what the
// file wants and the list lacks, delete (with Options.Prune) what the list
// shows and the file does not name, leave a task that is abnormal alone
// (ResultAbnormal). Each task the file wants and the list shows has its
// configuration read (unless Options.SkipSourceCheck): a task of another
// source instance or node is a conflict (ActionNone, ResultConflict, Err
// naming both sources), left alone. A task still in its first stages is
// marked Starting, for Apply to follow. A list (or configuration) that
// fails makes the instance's (the task's) changes failed ones (ActionNone,
// ResultFailed, Err). Plan sends nothing but reads; it returns an error,
// having sent nothing, only when d is nil or a client cannot be made
// (Options.Client's error).
func (a *Applier) Plan(ctx context.Context, d *Declaration) (*Plan, error) {
	if d == nil {
		return nil, fmt.Errorf("%w: reconcile: nil declaration", chreplication.ErrInvalidRequest)
	}
	clients := make([]*chreplication.Client, len(d.Targets))
	for i := range d.Targets {
		p := a.placeOf(&d.Targets[i])
		c, err := a.client(p)
		if err != nil {
			return nil, fmt.Errorf("reconcile: the client of project %s at %s: %w", p.projectID, p.endpoint, err)
		}
		clients[i] = c
	}
	per := make([][]Change, len(d.Targets))
	a.each(len(d.Targets), func(i int) {
		per[i] = a.planInstance(ctx, clients[i], &d.Targets[i])
		a.emit(Event{Kind: EventListed, Change: Change{Endpoint: a.placeOf(&d.Targets[i]).endpoint, ProjectID: clients[i].ProjectID(), InstanceID: d.Targets[i].InstanceID}})
	})
	plan := &Plan{Instances: len(d.Targets)}
	for _, cs := range per {
		plan.Changes = append(plan.Changes, cs...)
	}
	return plan, nil
}

// each calls fn(0) … fn(n-1), at most Options.Parallel at once, and
// returns when all have returned.
func (a *Applier) each(n int, fn func(int)) {
	sem := make(chan struct{}, a.opts.Parallel)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			fn(i)
		})
	}
	wg.Wait()
}

func (a *Applier) planInstance(ctx context.Context, c *chreplication.Client, t *Target) []Change {
	p := a.placeOf(t)
	base := Change{Endpoint: p.endpoint, ProjectID: p.projectID, InstanceID: t.InstanceID}
	existing := map[string]chreplication.Replication{}
	var order []string
	var listErr error
	for r, err := range c.AllReplications(ctx, t.InstanceID) {
		if err != nil {
			listErr = err
			break
		}
		key := r.Database()
		if _, dup := existing[key]; !dup {
			order = append(order, key)
		}
		existing[key] = r
	}
	var out []Change
	wanted := map[string]bool{}
	for _, req := range t.Replications {
		wanted[req.SourceDatabase] = true
		ch := base
		ch.Database, ch.Request = req.SourceDatabase, req
		r, ok := existing[req.SourceDatabase]
		if ok {
			ch.Replication = &r
		}
		var srcErr error
		if ok && listErr == nil && !a.opts.SkipSourceCheck {
			srcErr = c.CheckSource(ctx, t.InstanceID, req.SourceDatabase, chreplication.SourceOf(req))
		}
		switch {
		case listErr != nil:
			ch.Action, ch.Result = ActionNone, ResultFailed
			ch.Err = fmt.Errorf("listing the replications of the instance: %w", listErr)
		case chreplication.IsSourceConflict(srcErr):
			ch.Action, ch.Result, ch.Err = ActionNone, ResultConflict, srcErr
		case srcErr != nil:
			ch.Action, ch.Result, ch.Err = ActionNone, ResultFailed, srcErr
		case ok && isAbnormal(r):
			ch.Action, ch.Result = ActionNone, ResultAbnormal
		case ok && r.Starting():
			ch.Action, ch.Result, ch.Starting = ActionNone, ResultPlanned, true
		case ok:
			ch.Action, ch.Result = ActionNone, ResultDone
		default:
			ch.Action, ch.Result = ActionCreate, ResultPlanned
		}
		out = append(out, ch)
	}
	if a.opts.Prune && listErr == nil {
		for _, db := range order {
			if wanted[db] {
				continue
			}
			r := existing[db]
			ch := base
			ch.Database, ch.Replication = db, &r
			ch.Action, ch.Result = ActionDelete, ResultPlanned
			if isAbnormal(r) {
				ch.Action, ch.Result = ActionNone, ResultAbnormal
			}
			out = append(out, ch)
		}
	}
	return out
}

func isAbnormal(r chreplication.Replication) bool {
	return strings.EqualFold(string(r.Status), string(chreplication.ReplicationAbnormal))
}
