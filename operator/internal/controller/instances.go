package controller

import (
	"context"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/gaussdb-tools/chreplication"
)

// instanceView is what the controller knows of one instance, shared by
// the workers reconciling its resources, so that they share one list of
// its tasks and run one operation on it at a time. Its fields are guarded
// by mu, which the one step at work on the instance holds (TryLock: a
// resource of an instance held by another step is requeued, no worker
// waits).
type instanceView struct {
	mu sync.Mutex
	// listed is when the list tasks come from was sent (zero: never); the
	// controller's own creates and deletes since are in tasks too.
	listed time.Time
	tasks  map[string]chreplication.Replication // by database
	// op is the operation this controller runs on the instance (nil:
	// none): the resource that started it, its job, and when that
	// resource looks at the job next.
	op *operation
	// created holds the databases this controller created since the
	// list: their tasks exist, the list will show them.
	created map[string]bool
}

type operation struct {
	owner types.NamespacedName
	job   string
	next  time.Time
}

// view returns the instance's view, made on first use.
func (r *Reconciler) view(instanceID string) *instanceView {
	v, _ := r.views.LoadOrStore(instanceID, &instanceView{})
	return v.(*instanceView)
}

// opOf returns the operation running on the instance for another resource
// than key, or nil. An operation whose owner has not looked at its job
// for a long while (the resource went, or was paused) counts as ended:
// the service then answers "busy" if it still runs.
func (v *instanceView) opOf(key types.NamespacedName, now time.Time, grace time.Duration) *operation {
	if v.op == nil || v.op.owner == key || now.After(v.op.next.Add(grace)) {
		return nil
	}
	return v.op
}

// list reads the instance's tasks, every page.
func (v *instanceView) list(ctx context.Context, c *chreplication.Client, instanceID string) error {
	sent := time.Now()
	tasks := map[string]chreplication.Replication{}
	for t, err := range c.AllReplications(ctx, instanceID) {
		if err != nil {
			return err
		}
		tasks[t.Database()] = t
	}
	v.listed, v.tasks, v.created = sent, tasks, nil
	return nil
}
