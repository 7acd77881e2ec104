package monitor

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gaussdb-tools/chreplication"
)

// ChangeKind says what changed.
type ChangeKind string

// Kinds of change, in the order Changes lists them for one task.
const (
	// TaskAppeared: a task the previous look did not show.
	TaskAppeared ChangeKind = "appeared"
	// TaskDisappeared: a task the previous look showed and this one does
	// not (Task is the task as last seen).
	TaskDisappeared ChangeKind = "disappeared"
	// StatusChanged: the task's status (normal, abnormal).
	StatusChanged ChangeKind = "status"
	// StageChanged: the task's stage.
	StageChanged ChangeKind = "stage"
	// CatchupStageChanged: the task's catch-up stage.
	CatchupStageChanged ChangeKind = "catchup_stage"
	// PercentageChanged: the task's percentage.
	PercentageChanged ChangeKind = "percentage"
	// LookFailed: the look at the instance failed (Err says why) after the
	// previous one succeeded; nothing is known of its tasks.
	LookFailed ChangeKind = "look_failed"
	// LookRecovered: a look succeeded after one or more failed.
	LookRecovered ChangeKind = "look_recovered"
)

// Change is one thing that differs between two looks at an instance.
type Change struct {
	InstanceID string     `json:"instance_id"`
	Kind       ChangeKind `json:"kind"`
	// Database is the task's source database; "" for LookFailed and
	// LookRecovered.
	Database string `json:"database,omitempty"`
	// From and To are the old and new values of a status, stage, catch-up
	// stage or percentage change, as text ("" for a null stage); empty for
	// the other kinds.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Task is the task after the change (for TaskDisappeared, as last
	// seen); zero for LookFailed and LookRecovered.
	Task chreplication.Replication `json:"task"`
	// At is when the look that saw the change ended.
	At time.Time `json:"at"`
	// Err is the look's error (LookFailed only). It is left out of JSON;
	// Error carries its text.
	Err   error  `json:"-"`
	Error string `json:"error,omitempty"`
}

// String returns the change on one line, such as
// "54e4...in16 shop status normal -> abnormal".
func (c Change) String() string {
	var b strings.Builder
	b.WriteString(c.InstanceID)
	if c.Database != "" {
		b.WriteString(" " + strconv.Quote(c.Database))
	}
	b.WriteString(" " + string(c.Kind))
	switch c.Kind {
	case TaskAppeared, TaskDisappeared:
		b.WriteString(": " + describe(c.Task))
	case StatusChanged, StageChanged, CatchupStageChanged, PercentageChanged:
		b.WriteString(" " + orNull(c.From) + " -> " + orNull(c.To))
	case LookFailed:
		b.WriteString(": " + c.Error)
	}
	return b.String()
}

// describe is a task's state on one line.
func describe(r chreplication.Replication) string {
	return "status " + orNull(string(r.Status)) + ", stage " + orNull(r.Stage) +
		", catch-up " + orNull(string(r.CatchupStage)) + ", " + strconv.Itoa(r.Percentage) + "%"
}

func orNull(s string) string {
	if s == "" {
		return "null"
	}
	return s
}

// Changes returns what differs from prev to next, two snapshots of the same
// instance, in database order and, for one task, in the order of the
// ChangeKind constants. A zero prev (no look yet) makes every task of next
// appear. When next failed, the tasks are unknown: Changes returns one
// LookFailed, unless prev failed too (then nothing). When prev failed and
// next did not, it returns LookRecovered and then next's tasks compared with
// prev's (nil: every task appears); use a Tracker to compare with the last
// look that succeeded instead.
func Changes(prev, next Snapshot) []Change {
	if next.Err != nil {
		if prev.Err != nil {
			return nil
		}
		return []Change{{InstanceID: next.InstanceID, Kind: LookFailed, At: next.At, Err: next.Err, Error: next.Err.Error()}}
	}
	var out []Change
	if prev.Err != nil {
		out = append(out, Change{InstanceID: next.InstanceID, Kind: LookRecovered, At: next.At})
	}
	return append(out, taskChanges(next.InstanceID, prev.Tasks, next.Tasks, next.At)...)
}

// taskChanges compares two lists of tasks sorted by database.
func taskChanges(instanceID string, prev, next []chreplication.Replication, at time.Time) []Change {
	var out []Change
	add := func(kind ChangeKind, r chreplication.Replication, from, to string) {
		out = append(out, Change{InstanceID: instanceID, Kind: kind, Database: r.SourceDatabase, From: from, To: to, Task: r, At: at})
	}
	i, j := 0, 0
	for i < len(prev) || j < len(next) {
		switch {
		case j == len(next) || (i < len(prev) && prev[i].SourceDatabase < next[j].SourceDatabase):
			add(TaskDisappeared, prev[i], "", "")
			i++
		case i == len(prev) || next[j].SourceDatabase < prev[i].SourceDatabase:
			add(TaskAppeared, next[j], "", "")
			j++
		default:
			p, n := prev[i], next[j]
			if p.Status != n.Status {
				add(StatusChanged, n, string(p.Status), string(n.Status))
			}
			if p.Stage != n.Stage {
				add(StageChanged, n, p.Stage, n.Stage)
			}
			if p.CatchupStage != n.CatchupStage {
				add(CatchupStageChanged, n, string(p.CatchupStage), string(n.CatchupStage))
			}
			if p.Percentage != n.Percentage {
				add(PercentageChanged, n, strconv.Itoa(p.Percentage), strconv.Itoa(n.Percentage))
			}
			i++
			j++
		}
	}
	return out
}

// Tracker keeps, per instance, the last snapshot whose look succeeded and
// whether the latest look failed, and turns each new snapshot into the
// changes since. A failed look reports LookFailed once and keeps the last
// known tasks, so that the next successful look is compared with them (and
// reports LookRecovered first). The zero Tracker is ready to use; it is safe
// for concurrent use.
type Tracker struct {
	mu      sync.Mutex
	last    map[string]Snapshot // the last look that succeeded
	failing map[string]bool
}

// Update records s and returns what changed since the previous snapshot of
// its instance (see Changes): for the first snapshot of an instance, every
// task appears (or, when it failed, one LookFailed).
func (t *Tracker) Update(s Snapshot) []Change {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.last == nil {
		t.last = make(map[string]Snapshot)
		t.failing = make(map[string]bool)
	}
	prev := t.last[s.InstanceID]
	if t.failing[s.InstanceID] {
		prev.Err = errFailedBefore
	}
	out := Changes(prev, s)
	if s.Err != nil {
		t.failing[s.InstanceID] = true
		return out
	}
	delete(t.failing, s.InstanceID)
	t.last[s.InstanceID] = s
	return out
}

// Last returns the last snapshot of instanceID whose look succeeded, and
// whether there was one.
func (t *Tracker) Last(instanceID string) (Snapshot, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.last[instanceID]
	return s, ok
}

// errFailedBefore marks the previous look as failed for Changes.
var errFailedBefore = errFailed{}

type errFailed struct{}

func (errFailed) Error() string { return "the previous look failed" }
