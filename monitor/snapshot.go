package monitor

import (
	"cmp"
	"slices"
	"time"

	"github.com/gaussdb-tools/chreplication"
)

// Snapshot is what one look at an instance saw.
type Snapshot struct {
	// InstanceID is the instance looked at.
	InstanceID string
	// Tasks are the instance's synchronization tasks, one per source
	// database, sorted by it; nil when Err is set.
	Tasks []chreplication.Replication
	// At is when the look ended.
	At time.Time
	// Took is how long the look took, every page and every wait for the
	// client's budget included.
	Took time.Duration
	// Err is why the look failed, or nil.
	Err error
}

// Task returns the task of database and whether the snapshot has one.
func (s Snapshot) Task(database string) (chreplication.Replication, bool) {
	i, ok := slices.BinarySearchFunc(s.Tasks, database, func(r chreplication.Replication, db string) int {
		return cmp.Compare(r.SourceDatabase, db)
	})
	if !ok {
		return chreplication.Replication{}, false
	}
	return s.Tasks[i], true
}

// Abnormal returns the snapshot's tasks whose status is not normal (abnormal,
// or a value the service may add), in database order.
func (s Snapshot) Abnormal() []chreplication.Replication {
	var out []chreplication.Replication
	for _, r := range s.Tasks {
		if r.Status != chreplication.ReplicationNormal {
			out = append(out, r)
		}
	}
	return out
}

// normalize sorts tasks by source database and keeps one task per database
// (the last one the pages showed: a task met twice, because the list moved
// between two pages, is the same task).
func normalize(tasks []chreplication.Replication) []chreplication.Replication {
	slices.SortStableFunc(tasks, func(a, b chreplication.Replication) int {
		return cmp.Compare(a.SourceDatabase, b.SourceDatabase)
	})
	out := tasks[:0]
	for _, r := range tasks {
		if n := len(out); n > 0 && out[n-1].SourceDatabase == r.SourceDatabase {
			out[n-1] = r
			continue
		}
		out = append(out, r)
	}
	return slices.Clip(out)
}
