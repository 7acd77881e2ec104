package chreplication

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ErrSourceConflict is wrapped by the error of EnsureReplication (and of
// the tools built on it) when the database already has a task on the
// instance and that task replicates from another source than the one
// asked for. A database has at most one task per instance, so the task
// cannot be adopted, and nothing is sent. Find both sources with errors.As
// and *SourceConflictError.
var ErrSourceConflict = errors.New("chreplication: the task replicates from another source")

// ReplicationSource is where a task reads from: a GaussDB(for MySQL)
// instance and one of its nodes ("" is the primary node).
type ReplicationSource struct {
	InstanceID string `json:"source_instance_id"`
	NodeID     string `json:"source_node_id,omitempty"`
}

// SourceOf returns the source a create request asks for.
func SourceOf(req CreateReplicationRequest) ReplicationSource {
	return ReplicationSource{InstanceID: req.SourceInstanceID, NodeID: req.SourceNodeID}
}

// String says the source in words: "instance X" for the primary node,
// "instance X, node N" for another.
func (s ReplicationSource) String() string {
	if s.NodeID == "" {
		return "instance " + s.InstanceID
	}
	return "instance " + s.InstanceID + ", node " + s.NodeID
}

// Matches reports whether a task whose configuration shows s can be the
// task asked for as want. The instances must be the same. The nodes are
// compared when both are named: a create that names no node reads from the
// primary, and the service's configuration may then show the primary's
// node ID (Huawei's example answer names a node), which the request
// cannot be compared with. A configuration that names no source instance
// at all says nothing either way and matches.
func (s ReplicationSource) Matches(want ReplicationSource) bool {
	if s.InstanceID == "" {
		return true
	}
	if s.InstanceID != want.InstanceID {
		return false
	}
	return s.NodeID == "" || want.NodeID == "" || s.NodeID == want.NodeID
}

// SourceConflictError is the error of a task that exists for the database
// but replicates from another source than the one asked for. It wraps
// ErrSourceConflict. It carries IDs only, no credential.
type SourceConflictError struct {
	InstanceID string
	Database   string
	// Want is the source asked for; Have is the source of the task, from
	// its configuration (ShowReplicationConfig).
	Want, Have ReplicationSource
}

// Error names the instance, the database and both sources.
func (e *SourceConflictError) Error() string {
	return fmt.Sprintf("chreplication: database %s on instance %s is replicated from %s, not from %s as asked; a database has one task per instance, so it is left alone (delete that task first to replicate from %s)",
		quote(e.Database), e.InstanceID, e.Have, e.Want, e.Want)
}

// Unwrap returns ErrSourceConflict.
func (e *SourceConflictError) Unwrap() error { return ErrSourceConflict }

// IsSourceConflict reports whether err is, or wraps, the error of a task
// that replicates the database from another source (ErrSourceConflict).
func IsSourceConflict(err error) bool { return errors.Is(err, ErrSourceConflict) }

// CheckSource reads the configuration of the task of database on
// instanceID (one ShowReplicationConfig request) and returns a
// *SourceConflictError when the task replicates from another source than
// want (see ReplicationSource.Matches), nil when it is the same source,
// and the request's error when the configuration cannot be read.
func (c *Client) CheckSource(ctx context.Context, instanceID, database string, want ReplicationSource) error {
	cfg, err := c.ShowReplicationConfig(ctx, instanceID, database)
	if err != nil {
		return fmt.Errorf("reading the source of the task of database %s: %w", quote(database), err)
	}
	have := ReplicationSource{InstanceID: cfg.SourceInstanceID, NodeID: cfg.SourceNodeID}
	if have.Matches(want) {
		return nil
	}
	return &SourceConflictError{InstanceID: instanceID, Database: database, Want: want, Have: have}
}

// Database is what identifies the task on its instance: its source
// database, or its target database when the answer left the source out.
// EnsureReplication, apply, the provider and the controller all find a
// task by it.
func (r Replication) Database() string {
	if r.SourceDatabase != "" {
		return r.SourceDatabase
	}
	return r.TargetDatabase
}

// Starting reports whether the task has not yet left its first stages: it
// is normal and its stage is "wait" or "full" (the full copy that follows
// the create). A task that has reached its steady stage (incremental), an
// abnormal task and a stage the client does not know are not starting.
// The create job of a starting task may still be running and may still
// fail (the task then turns abnormal), so a task is done only once it is
// no longer starting; see WaitReplicationStarted.
func (r Replication) Starting() bool {
	if !strings.EqualFold(string(r.Status), string(ReplicationNormal)) {
		return false
	}
	switch CatchupStage(strings.ToLower(r.Stage)) {
	case CatchupWait, CatchupFull:
		return true
	}
	return false
}

// ErrReplicationGone is wrapped by the error of WaitReplicationStarted when
// the list stops showing the task while it waits (its create failed and
// the task was removed, or someone deleted it).
var ErrReplicationGone = errors.New("chreplication: the task is no longer listed")

// WaitReplicationStarted looks at the list until the task of database on
// instanceID is no longer Starting (it reached its steady stage, or turned
// abnormal) and returns the task as the list last showed it. It is for a
// task found rather than created, whose create job ID is unknown: a task
// that is still being created is not done. The looks follow
// WithPollInterval's first and max (doubling from first; defaults
// DefaultPollInterval and DefaultMaxPollInterval); WithProgress is not
// called (there is no job). A task the list no longer shows gives an error
// wrapping ErrReplicationGone; when ctx ends first, the last task seen and
// an error wrapping ctx's error. Each look passes the client's request
// budget.
func (c *Client) WaitReplicationStarted(ctx context.Context, instanceID, database string, opts ...WaitOption) (*Replication, error) {
	if err := checkID("instanceID", instanceID); err != nil {
		return nil, err
	}
	if err := checkDatabase("database", database); err != nil {
		return nil, err
	}
	cfg := newWaitConfig(opts)
	ceiling := cfg.max
	if !cfg.maxSet {
		ceiling = DefaultMaxPollInterval
	}
	delay := cfg.first
	var last *Replication
	for {
		r, err := c.findReplication(ctx, instanceID, database)
		switch {
		case err != nil && ctx.Err() != nil:
			return last, fmt.Errorf("waiting for the task of database %s to start: %w", quote(database), ctx.Err())
		case err != nil:
			return last, err
		case r == nil:
			return last, fmt.Errorf("%w: database %s on instance %s, while waiting for its task to start", ErrReplicationGone, quote(database), instanceID)
		case !r.Starting():
			return r, nil
		}
		last = r
		if err := pause(ctx, delay); err != nil {
			return last, fmt.Errorf("waiting for the task of database %s to start (stage %s, %d%%): %w", quote(database), quote(r.Stage), r.Percentage, err)
		}
		delay = min(2*delay, max(ceiling, cfg.first))
	}
}
