package chreplication

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// DefaultConfirmWait is how long EnsureReplication and
// EnsureReplicationAbsent keep looking at the list, after an answer that may
// have been lost, for the list to show what the request did.
const DefaultConfirmWait = 30 * time.Second

// ErrOutcomeUnknown is wrapped by the error of EnsureReplication and
// EnsureReplicationAbsent when a create or delete may have reached the
// service (its answer was lost: a cut connection, a timeout, a 5xx) and the
// list did not show its effect within the confirm wait, or could not be read,
// or the context ended first. The error wraps the request's own error too.
// Calling the same method again is safe: it looks at the list before sending
// anything.
var ErrOutcomeUnknown = errors.New("chreplication: outcome unknown")

// EnsureOption configures EnsureReplication and EnsureReplicationAbsent.
type EnsureOption func(*ensureConfig)

type ensureConfig struct {
	confirmWait time.Duration
	noFirstLook bool
}

// WithConfirmWait sets how long EnsureReplication and
// EnsureReplicationAbsent keep looking at the list, after an answer that may
// have been lost, before giving up with ErrOutcomeUnknown (default
// DefaultConfirmWait). The list may lag behind the service: a task can take
// a few seconds to show. Zero looks once; a negative value keeps the
// default.
func WithConfirmWait(d time.Duration) EnsureOption {
	return func(c *ensureConfig) {
		if d >= 0 {
			c.confirmWait = d
		}
	}
}

// WithoutFirstLook makes EnsureReplication send the create (and
// EnsureReplicationAbsent the delete) without looking at the list first:
// for a caller that has just listed the instance's tasks and found the
// change needed, such as a planner working through many databases, so that
// each change costs one list fewer. What follows the answer is unchanged: a
// lost answer, or one saying the task exists (does not exist), is still
// confirmed with the list, so a create is never sent twice by one call. A
// task that the caller's list missed is then found by the service's answer
// (the task exists) instead of by the first look.
func WithoutFirstLook() EnsureOption {
	return func(c *ensureConfig) { c.noFirstLook = true }
}

func ensureOptions(opts []EnsureOption) ensureConfig {
	cfg := ensureConfig{confirmWait: DefaultConfirmWait}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	return cfg
}

// confirmPoll is the delay between two looks at the list while confirming:
// a tenth of the confirm wait, between 10ms and 2s.
func (c ensureConfig) confirmPoll() time.Duration {
	return min(max(c.confirmWait/10, 10*time.Millisecond), 2*time.Second)
}

// EnsureResult says what EnsureReplication did.
type EnsureResult struct {
	// Created reports whether this call created the task: its create was
	// accepted, or its answer was lost and the list then showed the task.
	Created bool
	// JobID is the job the create started. It is "" when nothing was
	// created, and when the create's answer was lost (JobIDLost).
	JobID string
	// JobIDLost reports that the create reached the service but its answer,
	// and with it the job ID, was lost: the list showed the task afterwards.
	// The job runs all the same; only its ID is unknown.
	JobIDLost bool
	// Replication is the task as the list last showed it: the task that
	// existed already (Created false), or the one a create whose answer was
	// lost made (JobIDLost). It is nil after a create whose answer came back
	// (the answer says nothing about the task).
	Replication *Replication
	// Starting reports that Replication has not left its first stages
	// (Replication.Starting: normal, stage wait or full): the create job of
	// a task found rather than created may still be running, and may still
	// fail. Such a task is not done yet: follow it with
	// WaitReplicationStarted before counting it as synchronising.
	Starting bool
}

// found is the result of a task found on the list, after its source was
// checked.
func found(r *Replication, created bool) EnsureResult {
	return EnsureResult{Created: created, JobIDLost: created, Replication: r, Starting: r.Starting()}
}

// EnsureAbsentResult says what EnsureReplicationAbsent did.
type EnsureAbsentResult struct {
	// Deleted reports whether this call deleted the task: its delete was
	// accepted, or its answer was lost and the list then no longer showed
	// the task.
	Deleted bool
	// JobID is the job the delete started; "" when nothing was deleted, and
	// when the delete's answer was lost (JobIDLost).
	JobID string
	// JobIDLost reports that the delete reached the service but its answer,
	// and with it the job ID, was lost: the list no longer showed the task
	// afterwards.
	JobIDLost bool
}

// EnsureReplication makes sure the ClickHouse node of instanceID
// synchronises req.SourceDatabase: it creates the replication only when the
// list (AllReplications) does not show a task for that database, and is safe
// to call again after any error. A task is identified by its source database
// (its target database when the answer leaves the source out). An existing
// task is adopted only when its configuration (one ShowReplicationConfig
// request) shows the source asked for (see ReplicationSource.Matches): a
// task of another source instance or node gives a *SourceConflictError
// (IsSourceConflict) naming both sources, and nothing is sent. An adopted
// task is returned as it is, whatever its status (an abnormal task is not
// touched); one that has not left its first stages has
// EnsureResult.Starting set: its create may still fail, so follow it with
// WaitReplicationStarted before counting it as done.
//
// It sends at most one create. When the create's outcome is unknown (the
// connection was cut or timed out after the request went out, a 5xx, a 2xx
// answer that could not be read) or the service answered that the database
// already has a task, it looks at the list again, every so often for up to
// the confirm wait (WithConfirmWait; the list may lag), before deciding: a
// task that shows counts as created by this call, with JobIDLost set and no
// JobID, once its source is checked as above; a task that never shows gives an error wrapping ErrOutcomeUnknown
// and the create's error. It never reports success for a task the list has
// not shown or the service has not accepted. An answer that certainly
// changed nothing (a 4xx, a refused connection, an instance still busy after
// the client's retries) is returned as it is.
//
// Bad input returns an error wrapping ErrInvalidRequest and sends nothing. It
// does not wait for the job: follow EnsureResult.JobID with WaitJob. It is
// safe for concurrent use, but two concurrent calls for the same database
// may both see no task and both send a create (the service refuses the
// second): serialise the calls of one database, as the service runs one
// operation per instance anyway.
//
// Example:
//
//	res, err := c.EnsureReplication(ctx, instanceID, chreplication.CreateReplicationRequest{
//		SourceInstanceID: sourceInstanceID, SourceDatabase: "sales"})
//	switch {
//	case errors.Is(err, chreplication.ErrOutcomeUnknown):
//		// The create may have reached the service; calling again is safe.
//	case err != nil:
//		return err
//	case res.Created && !res.JobIDLost:
//		_, err = c.WaitJob(ctx, res.JobID)
//	}
func (c *Client) EnsureReplication(ctx context.Context, instanceID string, req CreateReplicationRequest, opts ...EnsureOption) (EnsureResult, error) {
	if err := ValidateReplication(instanceID, req); err != nil {
		return EnsureResult{}, err
	}
	cfg := ensureOptions(opts)
	db := req.SourceDatabase
	if !cfg.noFirstLook {
		existing, err := c.findReplication(ctx, instanceID, db)
		if err != nil {
			return EnsureResult{}, err
		}
		if existing != nil {
			return c.adopt(ctx, instanceID, req, existing, false)
		}
	}
	jobID, err := c.CreateReplication(ctx, instanceID, req)
	if err == nil {
		return EnsureResult{Created: true, JobID: jobID}, nil
	}
	what := fmt.Sprintf("create of database %s on instance %s", quote(db), instanceID)
	switch classify(ctx, err, isExistsAnswer) {
	case outcomeRefused:
		return EnsureResult{}, err
	case outcomeOtherRefusal:
		// A refusal that may hide an existing task: look once.
		r, lerr := c.findReplication(ctx, instanceID, db)
		if lerr == nil && r != nil {
			return c.adopt(ctx, instanceID, req, r, false)
		}
		return EnsureResult{}, err
	case outcomeCanceled:
		return EnsureResult{}, unknown(what, err, nil, 0, ctx.Err())
	case outcomeConflict:
		// The service says the task exists: the list will show it.
		r, lerr := c.confirm(ctx, cfg, instanceID, db)
		if r != nil {
			return c.adopt(ctx, instanceID, req, r, false)
		}
		return EnsureResult{}, unknown(what, err, lerr, cfg.confirmWait, ctx.Err())
	}
	r, lerr := c.confirm(ctx, cfg, instanceID, db)
	if r != nil {
		// The task that shows is this call's only if it reads from the
		// source asked for; another source's task was someone else's.
		return c.adopt(ctx, instanceID, req, r, true)
	}
	return EnsureResult{}, unknown(what, err, lerr, cfg.confirmWait, ctx.Err())
}

// adopt checks the source of a task the list showed and returns it as
// found (created: by this call's create whose answer was lost), or the
// *SourceConflictError, or the error of reading its configuration.
func (c *Client) adopt(ctx context.Context, instanceID string, req CreateReplicationRequest, r *Replication, created bool) (EnsureResult, error) {
	if err := c.CheckSource(ctx, instanceID, req.SourceDatabase, SourceOf(req)); err != nil {
		return EnsureResult{}, err
	}
	return found(r, created), nil
}

// EnsureReplicationAbsent makes sure the ClickHouse node of instanceID does
// not synchronise database: it deletes the replication only when the list
// shows a task for it, and is safe to call again after any error. It is
// EnsureReplication's counterpart, with the same rules: at most one delete
// is sent; after an answer that may have been lost, or an answer saying the
// task does not exist, the list is looked at again for up to the confirm
// wait, and a task that no longer shows counts as deleted by this call
// (JobIDLost set, no JobID); a task that still shows gives an error wrapping
// ErrOutcomeUnknown. Note that a task shown as abnormal is deleted like any
// other: callers that want to keep abnormal tasks check the list first.
func (c *Client) EnsureReplicationAbsent(ctx context.Context, instanceID, database string, opts ...EnsureOption) (EnsureAbsentResult, error) {
	if err := checkID("instanceID", instanceID); err != nil {
		return EnsureAbsentResult{}, err
	}
	if err := checkDatabase("database", database); err != nil {
		return EnsureAbsentResult{}, err
	}
	cfg := ensureOptions(opts)
	if !cfg.noFirstLook {
		existing, err := c.findReplication(ctx, instanceID, database)
		if err != nil {
			return EnsureAbsentResult{}, err
		}
		if existing == nil {
			return EnsureAbsentResult{}, nil
		}
	}
	jobID, err := c.DeleteReplication(ctx, instanceID, database)
	if err == nil {
		return EnsureAbsentResult{Deleted: true, JobID: jobID}, nil
	}
	what := fmt.Sprintf("delete of database %s on instance %s", quote(database), instanceID)
	switch classify(ctx, err, isNotFoundAnswer) {
	case outcomeRefused:
		return EnsureAbsentResult{}, err
	case outcomeOtherRefusal:
		r, lerr := c.findReplication(ctx, instanceID, database)
		if lerr == nil && r == nil {
			return EnsureAbsentResult{}, nil
		}
		return EnsureAbsentResult{}, err
	case outcomeCanceled:
		return EnsureAbsentResult{}, unknown(what, err, nil, 0, ctx.Err())
	case outcomeConflict:
		// The service says there is no task: the list will stop showing it.
		gone, lerr := c.confirmGone(ctx, cfg, instanceID, database)
		if gone {
			return EnsureAbsentResult{}, nil
		}
		return EnsureAbsentResult{}, unknown(what, err, lerr, cfg.confirmWait, ctx.Err())
	}
	gone, lerr := c.confirmGone(ctx, cfg, instanceID, database)
	if gone {
		return EnsureAbsentResult{Deleted: true, JobIDLost: true}, nil
	}
	return EnsureAbsentResult{}, unknown(what, err, lerr, cfg.confirmWait, ctx.Err())
}

// findReplication returns the task of database on instanceID, or nil when
// the list has none.
func (c *Client) findReplication(ctx context.Context, instanceID, database string) (*Replication, error) {
	for r, err := range c.AllReplications(ctx, instanceID) {
		if err != nil {
			return nil, err
		}
		if r.Database() == database {
			return &r, nil
		}
	}
	return nil, nil
}

// confirm looks at the list until it shows the task of database, for up to
// the confirm wait, and returns the task, or nil and the last list
// error (nil when the list answered but did not show it).
func (c *Client) confirm(ctx context.Context, cfg ensureConfig, instanceID, database string) (*Replication, error) {
	var found *Replication
	err := c.lookUntil(ctx, cfg, func() (bool, error) {
		r, err := c.findReplication(ctx, instanceID, database)
		found = r
		return r != nil, err
	})
	return found, err
}

// confirmGone looks at the list until it no longer shows the task of
// database, for up to the confirm wait.
func (c *Client) confirmGone(ctx context.Context, cfg ensureConfig, instanceID, database string) (bool, error) {
	gone := false
	err := c.lookUntil(ctx, cfg, func() (bool, error) {
		r, err := c.findReplication(ctx, instanceID, database)
		gone = err == nil && r == nil
		return gone, err
	})
	return gone, err
}

// lookUntil calls look until it reports true, the confirm wait has passed
// (with at least one look) or ctx ends. It returns look's last error.
func (c *Client) lookUntil(ctx context.Context, cfg ensureConfig, look func() (bool, error)) error {
	deadline := time.Now().Add(cfg.confirmWait)
	poll := cfg.confirmPoll()
	for {
		ok, err := look()
		if ok {
			return nil
		}
		if ctx.Err() != nil || !time.Now().Add(poll).Before(deadline) {
			return err
		}
		if serr := sleep(ctx, poll); serr != nil {
			return err
		}
	}
}

// outcome is what an error of a create or delete says about the service.
type outcome int

const (
	// outcomeMaybe: the request may have reached the service and its
	// answer was lost; the list tells.
	outcomeMaybe outcome = iota
	// outcomeRefused: the service certainly did not act.
	outcomeRefused
	// outcomeOtherRefusal: a 400 that is not the known answer; it may
	// still hide the state the caller wants (an odd message for "exists").
	outcomeOtherRefusal
	// outcomeConflict: the service says the state is already what the
	// caller wants (the task exists; the task does not exist).
	outcomeConflict
	// outcomeCanceled: the caller's context ended; nothing more can be
	// learnt.
	outcomeCanceled
)

// classify sorts the error of a create or delete. conflict recognises the
// service's answer that the state is already the wanted one.
func classify(ctx context.Context, err error, conflict func(*APIError) bool) outcome {
	if errors.Is(err, ErrNotStarted) {
		return outcomeRefused // nothing sent, or only throttled or busy
	}
	if ctx.Err() != nil {
		return outcomeCanceled
	}
	if errors.Is(err, ErrInvalidRequest) {
		return outcomeRefused
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		switch {
		case conflict(apiErr):
			return outcomeConflict
		case apiErr.StatusCode == http.StatusBadRequest:
			return outcomeOtherRefusal
		case apiErr.StatusCode >= 500, apiErr.StatusCode == http.StatusRequestTimeout:
			return outcomeMaybe
		}
		return outcomeRefused
	}
	if neverReached(err) {
		return outcomeRefused
	}
	// A connection cut or reset after the request went out, a timeout, a
	// 2xx answer that could not be read.
	return outcomeMaybe
}

// existsCodes are the error codes of a create refused because the database
// already has a task.
var existsCodes = []string{"DBS.280293"}

// notFoundCodes are the error codes of a delete refused because the
// database has no task.
var notFoundCodes = []string{"DBS.280292"}

func isExistsAnswer(e *APIError) bool {
	return e.StatusCode == http.StatusBadRequest && (hasCode(e, existsCodes) || strings.Contains(strings.ToLower(e.Message), "already"))
}

func isNotFoundAnswer(e *APIError) bool {
	return e.StatusCode == http.StatusBadRequest && hasCode(e, notFoundCodes)
}

func hasCode(e *APIError, codes []string) bool {
	for _, c := range codes {
		if e.Code == c {
			return true
		}
	}
	return false
}

// unknown builds the ErrOutcomeUnknown error: what was sent, the request's
// error, the last list error and the context's, when there are.
func unknown(what string, sendErr, listErr error, waited time.Duration, ctxErr error) error {
	var b strings.Builder
	b.WriteString(what)
	b.WriteString(" may have reached the service")
	switch {
	case ctxErr != nil:
		b.WriteString(", and the context ended before the list could tell")
	case listErr != nil:
		b.WriteString(", and the list could not be read to tell")
	default:
		b.WriteString(", and the list did not show its effect within ")
		b.WriteString(waited.String())
	}
	b.WriteString("; calling again is safe")
	errs := []error{fmt.Errorf("%w: %s", ErrOutcomeUnknown, b.String()), sendErr}
	if listErr != nil {
		errs = append(errs, listErr)
	}
	if ctxErr != nil {
		errs = append(errs, ctxErr)
	}
	return errors.Join(errs...)
}
