// Package controller holds the reconciler of ClickHouseReplication: it
// keeps each resource's synchronization task as its spec says, through the
// chreplication client (EnsureReplication, EnsureReplicationAbsent and the
// configuration calls), never blocking a worker on a job.
package controller

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/gaussdb-tools/chreplication"
	v1alpha1 "github.com/gaussdb-tools/chreplication/operator/api/v1alpha1"
)

// Annotations a resource may carry.
const (
	// AnnotationReconcile "paused" stops the controller from touching the
	// resource's task (anything else, or none, reconciles).
	AnnotationReconcile = "chreplication.gaussdb-tools.github.io/reconcile"
	// AnnotationResync is the resource's drift resync interval, a
	// duration such as "30m" (default: the manager's, 10 minutes).
	AnnotationResync = "chreplication.gaussdb-tools.github.io/resync-interval"
	// Finalizer deletes the task (unless deletionPolicy is Retain) before
	// the resource goes.
	Finalizer = "chreplication.gaussdb-tools.github.io/task"
)

// Condition types and reasons.
const (
	ConditionReady  = "Ready"
	ConditionSynced = "Synced"

	ReasonCreating       = "Creating"
	ReasonAdopted        = "Adopted"
	ReasonUpToDate       = "UpToDate"
	ReasonAbnormal       = "Abnormal"
	ReasonJobFailed      = "JobFailed"
	ReasonSourceConflict = "SourceConflict"
	ReasonScopeChanging  = "ScopeChanging"
	ReasonScopeMode      = "ScopeModeChange"
	ReasonThrottled      = "Throttled"
	ReasonDeleting       = "Deleting"
	ReasonPaused         = "Paused"
	// ReasonDuplicate: another resource, older, names the same instance
	// and database; it keeps the task, and nothing is sent for this one.
	ReasonDuplicate = "Duplicate"
	ReasonError     = "Error"
)

// DefaultResync is the drift resync interval of a resource that names
// none; each requeue adds up to a tenth of it at random, so that resources
// made together do not all look at once.
const DefaultResync = 10 * time.Minute

// Reconciler reconciles ClickHouseReplication resources.
//
// The resources of one instance share what the controller knows of it (an
// instanceView): one list of its tasks serves them all, each change the
// controller makes is kept in it, and one operation (a create, a delete, a
// scope change) runs on the instance at a time; a resource with an
// operation to start waits, requeued, until the one running ends. A
// resource that needs a list newer than the instance's last one (its job
// ended, its resync is due) waits for it while other resources of the
// instance have operations to run, at most ListDefer, so that one list
// serves the lot.
type Reconciler struct {
	client.Client
	// SecretReader reads the Secrets credentialsSecretRef names, one Get
	// each, without a cache of every Secret (the manager's APIReader); nil
	// reads them through Client.
	SecretReader client.Reader
	Places       *Places
	Recorder     events.EventRecorder
	// Resync is the default drift resync interval (DefaultResync when 0).
	Resync time.Duration
	// Poll is the shortest time between two looks at a job (1 s when 0);
	// the looks follow WaitJob's schedule (chreplication.JobSchedule): just
	// after the end the job's progress predicts.
	Poll time.Duration
	// StepTimeout bounds one step's calls to the service (30 s when 0).
	StepTimeout time.Duration
	// ListDefer is how long a resource waits for its instance to be listed
	// while other resources of the instance have operations to run (60 s
	// when 0). A resource whose create job completed is Ready meanwhile;
	// the list brings its status, stage and progress.
	ListDefer time.Duration
	// MaxConcurrentReconciles is the number of workers (8 when 0).
	MaxConcurrentReconciles int

	views     sync.Map // instance ID → *instanceView
	schedules sync.Map // job ID → *chreplication.JobSchedule
	// scopeSeen holds, per resource UID, the generation whose table scope
	// the service was last seen to hold.
	scopeSeen sync.Map
	// replaced holds, per resource UID, the resource versions this
	// controller's last writes replaced: a cached copy still at one of them
	// is older than what the controller wrote (see stale).
	replaced sync.Map
}

// +kubebuilder:rbac:groups=chreplication.gaussdb-tools.github.io,resources=clickhousereplications,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=chreplication.gaussdb-tools.github.io,resources=clickhousereplications/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=chreplication.gaussdb-tools.github.io,resources=clickhousereplications/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=coordination.k8s.io,resources=leases,verbs=get;list;watch;create;update;patch;delete

// Reconcile makes the service hold r's task as its spec says, one step at
// a time: it never waits for a job, it requeues at the job's predicted end.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var res v1alpha1.ClickHouseReplication
	if err := r.Get(ctx, req.NamespacedName, &res); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if r.stale(&res) {
		// The cache has not caught up with this controller's last write
		// yet: acting on it would act on what the controller knew before.
		return ctrl.Result{RequeueAfter: r.poll() / 4}, nil
	}
	before := res.Status.DeepCopy()
	if res.Annotations[AnnotationReconcile] == "paused" {
		r.set(&res, ConditionSynced, metav1.ConditionFalse, ReasonPaused, "reconciliation is paused by the annotation "+AnnotationReconcile)
		return ctrl.Result{}, r.updateStatus(ctx, &res, before)
	}
	// One step at a time on an instance: a resource of an instance another
	// step holds is requeued.
	v := r.view(res.Spec.InstanceID)
	if !v.mu.TryLock() {
		return ctrl.Result{RequeueAfter: r.poll() + time.Duration(rand.Int64N(int64(r.poll())+1))}, nil
	}
	defer v.mu.Unlock()

	c, err := r.Places.clientFor(ctx, r.reader(), &res)
	if err != nil {
		r.set(&res, ConditionSynced, metav1.ConditionFalse, ReasonError, err.Error())
		return ctrl.Result{}, errors.Join(err, r.updateStatus(ctx, &res, before)) // backoff
	}
	// A worker never waits long for the service: a busy instance or the
	// gateway's throttle ridden out longer than this ends the step, which
	// is requeued.
	ctx, cancel := context.WithTimeout(ctx, r.stepTimeout())
	defer cancel()
	if !res.DeletionTimestamp.IsZero() {
		return r.reconcileDelete(ctx, c, v, &res, before)
	}
	if !controllerutil.ContainsFinalizer(&res, Finalizer) {
		controllerutil.AddFinalizer(&res, Finalizer)
		rv := res.ResourceVersion
		if err := r.Update(ctx, &res); err != nil {
			return ctrl.Result{}, err
		}
		r.wrote(&res, rv)
	}
	// A database has one task per instance: of the resources that name
	// it, the oldest keeps it; the others are refused, nothing sent.
	others, err := r.sameTask(ctx, &res)
	if err != nil {
		return ctrl.Result{}, err
	}
	if len(others) > 0 && older(&others[0], &res) {
		o := others[0]
		msg := fmt.Sprintf("the resource %s/%s keeps the task of database %s on instance %s: nothing is sent for this one", o.Namespace, o.Name, res.Spec.Database, res.Spec.InstanceID)
		if synced := meta.FindStatusCondition(res.Status.Conditions, ConditionSynced); synced == nil || synced.Reason != ReasonDuplicate {
			r.event(&res, corev1.EventTypeWarning, ReasonDuplicate, msg)
		}
		r.set(&res, ConditionReady, metav1.ConditionFalse, ReasonDuplicate, msg)
		r.set(&res, ConditionSynced, metav1.ConditionFalse, ReasonDuplicate, msg)
		res.Status.ObservedGeneration = res.Generation
		return ctrl.Result{RequeueAfter: r.resync(&res)}, r.updateStatus(ctx, &res, before)
	}
	result, err := r.reconcileNormal(ctx, c, v, &res)
	log.FromContext(ctx).V(1).Info("reconciled", "instance", res.Spec.InstanceID, "database", res.Spec.Database,
		"status", res.Status.Status, "stage", res.Status.Stage, "job", res.Status.JobID, "requeueAfter", result.RequeueAfter, "error", err)
	res.Status.ObservedGeneration = res.Generation
	if uerr := r.updateStatus(ctx, &res, before); uerr != nil {
		return ctrl.Result{}, errors.Join(err, uerr)
	}
	return result, err
}

// updateStatus writes res's status when it differs from before. On a
// conflict (the resource changed meanwhile: its spec, its metadata) the
// status is written onto the resource as it is now: the status is this
// controller's alone, and a job it names must not be forgotten.
func (r *Reconciler) updateStatus(ctx context.Context, res *v1alpha1.ClickHouseReplication, before *v1alpha1.ClickHouseReplicationStatus) error {
	if equality.Semantic.DeepEqual(before, &res.Status) {
		return nil
	}
	status := res.Status.DeepCopy()
	for attempt := 0; ; attempt++ {
		rv := res.ResourceVersion
		err := r.Status().Update(ctx, res)
		if err == nil {
			r.wrote(res, rv)
			return nil
		}
		if !apierrors.IsConflict(err) || attempt == 2 {
			return err
		}
		var now v1alpha1.ClickHouseReplication
		if err := r.reader().Get(ctx, client.ObjectKeyFromObject(res), &now); err != nil {
			return client.IgnoreNotFound(err)
		}
		*res = now
		status.DeepCopyInto(&res.Status)
	}
}

// reader reads past the cache (the manager's APIReader), or through
// Client when SecretReader is nil.
func (r *Reconciler) reader() client.Reader {
	if r.SecretReader != nil {
		return r.SecretReader
	}
	return r.Client
}

// wrote records that a write of this controller replaced res's resource
// version rv (a write that changed nothing keeps the version: nothing to
// record).
func (r *Reconciler) wrote(res *v1alpha1.ClickHouseReplication, rv string) {
	if res.ResourceVersion == rv {
		return
	}
	var kept []string
	if v, ok := r.replaced.Load(res.UID); ok {
		kept = v.([]string)
	}
	kept = append(kept, rv)
	if len(kept) > 4 {
		kept = kept[len(kept)-4:]
	}
	r.replaced.Store(res.UID, kept)
}

// stale reports whether res, as the cache has it, is a version a write of
// this controller has replaced.
func (r *Reconciler) stale(res *v1alpha1.ClickHouseReplication) bool {
	v, ok := r.replaced.Load(res.UID)
	return ok && slices.Contains(v.([]string), res.ResourceVersion)
}

// reconcileNormal creates, adopts or updates the task, one step.
func (r *Reconciler) reconcileNormal(ctx context.Context, c *chreplication.Client, v *instanceView, res *v1alpha1.ClickHouseReplication) (ctrl.Result, error) {
	inst, db := res.Spec.InstanceID, res.Spec.Database
	if wait, err := r.followJob(ctx, c, v, res); wait > 0 || err != nil {
		return ctrl.Result{RequeueAfter: wait}, err
	}
	now := time.Now()
	if wait, err := r.fresh(ctx, c, v, res, now); wait > 0 || err != nil {
		return ctrl.Result{RequeueAfter: wait}, err
	}
	t, exists := v.tasks[db]
	switch {
	case !exists && v.created[db]:
		// Created by another resource of the same database since the
		// list: the next list shows it.
		return ctrl.Result{RequeueAfter: r.listDefer()}, nil
	case !exists:
		return r.create(ctx, c, v, res, now)
	}
	adopting := res.Status.JobID == "" && res.Status.Status == ""
	res.Status.Status, res.Status.Stage, res.Status.CatchupStage, res.Status.Percentage = string(t.Status), t.Stage, string(t.CatchupStage), int32(t.Percentage)
	synced := micro(v.listed)
	res.Status.LastSyncTime = &synced

	// The task's configuration, read once: the source of a task adopted,
	// and the table scope when the spec changed, at each resync, and once
	// after the manager starts.
	var cfg *chreplication.ReplicationConfig
	if adopting || r.scopeUnseen(res) || r.resyncing(res, now) {
		var err error
		if cfg, err = c.ShowReplicationConfig(ctx, inst, db); err != nil {
			if chreplication.IsNotFound(err) {
				v.listed = time.Time{} // the list was wrong: read it again
				return ctrl.Result{RequeueAfter: r.poll()}, nil
			}
			r.set(res, ConditionSynced, metav1.ConditionFalse, ReasonError, err.Error())
			return ctrl.Result{}, err
		}
		want := chreplication.ReplicationSource{InstanceID: res.Spec.SourceInstanceID, NodeID: res.Spec.SourceNodeID}
		have := chreplication.ReplicationSource{InstanceID: cfg.SourceInstanceID, NodeID: cfg.SourceNodeID}
		if !have.Matches(want) {
			err := &chreplication.SourceConflictError{InstanceID: inst, Database: db, Want: want, Have: have}
			r.set(res, ConditionSynced, metav1.ConditionFalse, ReasonSourceConflict, err.Error())
			r.set(res, ConditionReady, metav1.ConditionFalse, ReasonSourceConflict, "the database has a task of another source: nothing was sent")
			r.event(res, corev1.EventTypeWarning, ReasonSourceConflict, err.Error())
			return ctrl.Result{RequeueAfter: r.resync(res)}, nil
		}
	}
	if adopting {
		r.event(res, corev1.EventTypeNormal, ReasonAdopted, "the task of database "+db+" existed with this source: adopted")
	}
	switch {
	case t.Status == chreplication.ReplicationAbnormal && readyReason(res) == ReasonJobFailed:
		// The task this resource's job left abnormal: the job's failure,
		// with the service's reason, stays the condition.
		r.set(res, ConditionSynced, metav1.ConditionTrue, ReasonAbnormal, "left alone")
		return ctrl.Result{RequeueAfter: r.resync(res)}, nil
	case t.Status == chreplication.ReplicationAbnormal:
		if readyReason(res) != ReasonAbnormal {
			r.event(res, corev1.EventTypeWarning, ReasonAbnormal, "the task is abnormal; it is left alone")
		}
		r.set(res, ConditionReady, metav1.ConditionFalse, ReasonAbnormal, fmt.Sprintf("the service shows the task abnormal (stage %q, catch-up %q): left alone", t.Stage, t.CatchupStage))
		r.set(res, ConditionSynced, metav1.ConditionTrue, ReasonAbnormal, "left alone")
		return ctrl.Result{RequeueAfter: r.resync(res)}, nil
	case t.Starting() && !readyTrue(res):
		// A task found, not made by this resource's job: its create job
		// may still run, and fail. Looked at again on a later list. (The
		// task this resource's create job made is ready once the job
		// completed, whatever its stage: the full copy may take hours.)
		r.set(res, ConditionReady, metav1.ConditionFalse, ReasonCreating, "the task has not left its first stages")
		return ctrl.Result{RequeueAfter: r.startingWait()}, nil
	}
	if cfg != nil {
		if wait, err := r.reconcileScope(ctx, c, v, res, cfg, now); wait > 0 || err != nil {
			return ctrl.Result{RequeueAfter: wait}, err
		}
	}
	reason := ReasonUpToDate
	if adopting || readyReason(res) == ReasonAdopted {
		reason = ReasonAdopted
	}
	r.set(res, ConditionReady, metav1.ConditionTrue, reason, "the task synchronises the database")
	r.set(res, ConditionSynced, metav1.ConditionTrue, ReasonUpToDate, "the service matches the spec")
	return ctrl.Result{RequeueAfter: r.resync(res)}, nil
}

// fresh makes sure the instance's view is recent enough for res: a list
// sent after res's job ended, after its resync fell due, or any list at
// all for a resource seen first. It lists the instance, or, while other
// resources of the instance have operations to run, returns how long to
// wait for the list one of them will make (at most ListDefer in all).
func (r *Reconciler) fresh(ctx context.Context, c *chreplication.Client, v *instanceView, res *v1alpha1.ClickHouseReplication, now time.Time) (time.Duration, error) {
	need := r.need(res, now)
	if !v.listed.IsZero() && !v.listed.Before(need) {
		return 0, nil
	}
	key := client.ObjectKeyFromObject(res)
	if !v.listed.IsZero() && now.Sub(need) < r.listDefer() {
		if op := v.opOf(key, now, r.opGrace()); op != nil {
			return max(op.next.Sub(now)+r.poll()/4, r.poll()/4), nil
		}
		if others, err := r.othersToCreate(ctx, v, res); err != nil {
			return 0, err
		} else if others {
			return r.poll(), nil
		}
	}
	if err := v.list(ctx, c, res.Spec.InstanceID); err != nil {
		r.set(res, ConditionSynced, metav1.ConditionFalse, ReasonError, err.Error())
		return 0, err
	}
	return 0, nil
}

// othersToCreate reports whether other resources of res's instance have
// a task to create: their databases are neither in the instance's list
// nor created since. Their creates come first; a list now would be made
// again after them.
func (r *Reconciler) othersToCreate(ctx context.Context, v *instanceView, res *v1alpha1.ClickHouseReplication) (bool, error) {
	others, err := r.others(ctx, res, false)
	if err != nil {
		return false, err
	}
	for i := range others {
		o := &others[i]
		if !o.DeletionTimestamp.IsZero() || o.Annotations[AnnotationReconcile] == "paused" {
			continue
		}
		if _, listed := v.tasks[o.Spec.Database]; !listed && !v.created[o.Spec.Database] {
			return true, nil
		}
	}
	return false, nil
}

// sameTask returns the other resources, not being deleted, that name
// res's instance and database, the oldest first.
func (r *Reconciler) sameTask(ctx context.Context, res *v1alpha1.ClickHouseReplication) ([]v1alpha1.ClickHouseReplication, error) {
	all, err := r.others(ctx, res, true)
	if err != nil {
		return nil, err
	}
	same := slices.DeleteFunc(all, func(o v1alpha1.ClickHouseReplication) bool { return !o.DeletionTimestamp.IsZero() })
	slices.SortFunc(same, func(a, b v1alpha1.ClickHouseReplication) int {
		if older(&a, &b) {
			return -1
		}
		return 1
	})
	return same, nil
}

// older reports whether a was made before b (by namespace and name when
// at the same second).
func older(a, b *v1alpha1.ClickHouseReplication) bool {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	}
	return a.Namespace+"/"+a.Name < b.Namespace+"/"+b.Name
}

// others returns the resources of res's instance other than res, as the
// cache has them (by instanceIndex); sameDatabase keeps those of res's
// database only.
func (r *Reconciler) others(ctx context.Context, res *v1alpha1.ClickHouseReplication, sameDatabase bool) ([]v1alpha1.ClickHouseReplication, error) {
	var all v1alpha1.ClickHouseReplicationList
	if err := r.List(ctx, &all, client.MatchingFields{instanceIndex: res.Spec.InstanceID}); err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all.Items, func(o v1alpha1.ClickHouseReplication) bool {
		return o.UID == res.UID || sameDatabase && o.Spec.Database != res.Spec.Database
	}), nil
}

// instanceIndex is the cache's index of the resources by instance.
const instanceIndex = "spec.instanceID"

// need is when the list res's step needs must have been sent after: its
// job's end (the list shows what the job did), a few polls after the last
// one for a task still starting, a tenth of the resync interval before now
// when its resync is due (the resources of an instance falling due
// together share a list), or zero: any list.
func (r *Reconciler) need(res *v1alpha1.ClickHouseReplication, now time.Time) time.Time {
	var need time.Time
	last := res.Status.LastSyncTime
	if e := res.Status.JobEnded; e != nil && (last == nil || !e.Before(last)) {
		need = e.Time
	}
	if last == nil {
		return need
	}
	if readyReason(res) == ReasonCreating && res.Status.Status != "" {
		need = latest(need, last.Add(r.startingWait()))
	}
	if r.resyncing(res, now) {
		need = latest(need, now.Add(-r.resyncInterval(res)/10))
	}
	return need
}

// micro is t as the API server keeps a MicroTime: to the microsecond,
// so that a status compared with the one read back is equal.
func micro(t time.Time) metav1.MicroTime {
	return metav1.NewMicroTime(t.Truncate(time.Microsecond))
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// resyncing reports whether res's drift resync is due.
func (r *Reconciler) resyncing(res *v1alpha1.ClickHouseReplication, now time.Time) bool {
	last := res.Status.LastSyncTime
	return last != nil && !now.Before(last.Add(r.resyncInterval(res)))
}

// scopeUnseen reports whether the service has not been seen to hold the
// table scope of res's generation.
func (r *Reconciler) scopeUnseen(res *v1alpha1.ClickHouseReplication) bool {
	g, ok := r.scopeSeen.Load(res.UID)
	return !ok || g.(int64) != res.Generation
}

// create sends the create of res's task, which the instance's view does
// not show, unless another operation runs on the instance: res then waits
// its turn.
func (r *Reconciler) create(ctx context.Context, c *chreplication.Client, v *instanceView, res *v1alpha1.ClickHouseReplication, now time.Time) (ctrl.Result, error) {
	key := client.ObjectKeyFromObject(res)
	db := res.Spec.Database
	if readyReason(res) == ReasonJobFailed && res.Status.JobEnded != nil {
		// The create failed and left nothing: tried again after a while,
		// not at once.
		if retry := res.Status.JobEnded.Add(r.resyncInterval(res) / 10); now.Before(retry) {
			return ctrl.Result{RequeueAfter: retry.Sub(now)}, nil
		}
	}
	if op := v.opOf(key, now, r.opGrace()); op != nil {
		r.set(res, ConditionReady, metav1.ConditionFalse, ReasonCreating, "waiting for the operation running on the instance to end")
		return ctrl.Result{RequeueAfter: r.waitFor(op, now)}, nil
	}
	if res.Status.Status != "" {
		r.event(res, corev1.EventTypeWarning, "Missing", "the service no longer shows the task of database "+db+": it is created again")
	}
	req := chreplication.CreateReplicationRequest{SourceInstanceID: res.Spec.SourceInstanceID, SourceNodeID: res.Spec.SourceNodeID, SourceDatabase: db}
	// The view has just shown no task: the create goes without another
	// look (a task made meanwhile is found by the service's answer).
	ens, err := c.EnsureReplication(ctx, res.Spec.InstanceID, req, chreplication.WithoutFirstLook())
	switch {
	case chreplication.IsSourceConflict(err):
		r.set(res, ConditionSynced, metav1.ConditionFalse, ReasonSourceConflict, err.Error())
		r.set(res, ConditionReady, metav1.ConditionFalse, ReasonSourceConflict, "the database has a task of another source: nothing was sent")
		r.event(res, corev1.EventTypeWarning, ReasonSourceConflict, err.Error())
		return ctrl.Result{RequeueAfter: r.resync(res)}, nil
	case chreplication.IsThrottled(err) || errors.Is(err, chreplication.ErrNotStarted) || chreplication.IsBusy(err):
		// Nothing was started: the gateway's throttle, or the instance
		// busy with an operation this controller did not start. Requeued,
		// not retried here.
		r.set(res, ConditionSynced, metav1.ConditionFalse, ReasonThrottled, err.Error())
		return ctrl.Result{RequeueAfter: r.stepTimeout()}, nil
	case err != nil:
		r.set(res, ConditionSynced, metav1.ConditionFalse, ReasonError, err.Error())
		return ctrl.Result{}, err // backoff
	case !ens.Created || ens.JobIDLost:
		// The task existed after all (or the create's answer was lost and
		// the list showed it): the next step reads it from a new list.
		v.listed = time.Time{}
		return ctrl.Result{RequeueAfter: r.poll()}, nil
	}
	res.Status.JobID, res.Status.JobEnded = ens.JobID, nil
	res.Status.Status, res.Status.Stage, res.Status.CatchupStage, res.Status.Percentage = "", "", "", 0
	v.op = &operation{owner: key, job: ens.JobID, next: now.Add(r.poll())}
	if v.created == nil {
		v.created = map[string]bool{}
	}
	v.created[db] = true
	if scopeDefault(res) {
		// A new task has the default scope: nothing to read for it.
		r.scopeSeen.Store(res.UID, res.Generation)
	}
	r.set(res, ConditionReady, metav1.ConditionFalse, ReasonCreating, "the task is being created")
	r.set(res, ConditionSynced, metav1.ConditionTrue, ReasonCreating, "create sent")
	r.event(res, corev1.EventTypeNormal, "Created", "the task of database "+db+" is being created (job "+ens.JobID+")")
	return ctrl.Result{RequeueAfter: r.poll()}, nil
}

// waitFor is when a resource that waits for op to end before it starts
// its own looks again: just after op's owner looks at its job.
func (r *Reconciler) waitFor(op *operation, now time.Time) time.Duration {
	return max(op.next.Sub(now)+r.poll()/4, r.poll()/4)
}

// wantScope is the table scope res's spec asks for.
func wantScope(res *v1alpha1.ClickHouseReplication) chreplication.TableScope {
	want := chreplication.TableScope{Mode: chreplication.ScopeExclude}
	if s := res.Spec.TableScope; s != nil {
		if s.Mode != "" {
			want.Mode = chreplication.ScopeMode(s.Mode)
		}
		for _, t := range s.Tables {
			want.Tables = append(want.Tables, string(t))
		}
	}
	slices.Sort(want.Tables)
	return want
}

// scopeDefault reports whether res asks for the scope a new task has:
// every table (exclude, none listed).
func scopeDefault(res *v1alpha1.ClickHouseReplication) bool {
	w := wantScope(res)
	return w.Mode == chreplication.ScopeExclude && len(w.Tables) == 0
}

// reconcileScope changes the task's table scope to the spec's, in place,
// when cfg shows another.
func (r *Reconciler) reconcileScope(ctx context.Context, c *chreplication.Client, v *instanceView, res *v1alpha1.ClickHouseReplication, cfg *chreplication.ReplicationConfig, now time.Time) (time.Duration, error) {
	want := wantScope(res)
	have := slices.Clone(cfg.Scope.Tables)
	slices.Sort(have)
	mode := cfg.Scope.Mode
	if mode == "" {
		mode = chreplication.ScopeExclude
	}
	if mode == want.Mode && slices.Equal(have, want.Tables) {
		r.scopeSeen.Store(res.UID, res.Generation)
		return 0, nil
	}
	key := client.ObjectKeyFromObject(res)
	if op := v.opOf(key, now, r.opGrace()); op != nil {
		return r.waitFor(op, now), nil
	}
	jobID, err := c.UpdateScope(ctx, res.Spec.InstanceID, chreplication.ScopeUpdate{
		SourceInstanceID: res.Spec.SourceInstanceID, SourceNodeID: res.Spec.SourceNodeID, Database: res.Spec.Database, Scope: want})
	switch {
	case errors.Is(err, chreplication.ErrScopeModeChange):
		r.set(res, ConditionSynced, metav1.ConditionFalse, ReasonScopeMode, err.Error())
		return r.resync(res), nil
	case chreplication.IsThrottled(err) || errors.Is(err, chreplication.ErrNotStarted) || chreplication.IsBusy(err):
		r.set(res, ConditionSynced, metav1.ConditionFalse, ReasonThrottled, err.Error())
		return r.stepTimeout(), nil
	case err != nil:
		r.set(res, ConditionSynced, metav1.ConditionFalse, ReasonError, err.Error())
		return 0, err
	}
	res.Status.JobID, res.Status.JobEnded = jobID, nil
	v.op = &operation{owner: key, job: jobID, next: now.Add(r.poll())}
	r.scopeSeen.Delete(res.UID) // read again once the job ends
	r.set(res, ConditionSynced, metav1.ConditionFalse, ReasonScopeChanging, "the table scope is changing (job "+jobID+")")
	r.event(res, corev1.EventTypeNormal, ReasonScopeChanging, "the table scope is changing (job "+jobID+")")
	return r.poll(), nil
}

// followJob looks once at the job the status names, when it has not
// ended: it returns when to look again (the end the job's progress
// predicts, chreplication.JobSchedule), or records how it ended.
func (r *Reconciler) followJob(ctx context.Context, c *chreplication.Client, v *instanceView, res *v1alpha1.ClickHouseReplication) (time.Duration, error) {
	key := client.ObjectKeyFromObject(res)
	if res.Status.JobID == "" && v.op != nil && v.op.owner == key {
		// The status that named the job was not written (the resource
		// changed meanwhile): the view still knows it.
		res.Status.JobID = v.op.job
	}
	if res.Status.JobID == "" || res.Status.JobEnded != nil {
		return 0, nil
	}
	id := res.Status.JobID
	sv, _ := r.schedules.LoadOrStore(id, &jobFollow{s: chreplication.NewJobSchedule(chreplication.WithPollInterval(r.poll(), 0))})
	f := sv.(*jobFollow)
	sent := time.Now()
	job, err := c.Job(ctx, id)
	got := time.Now()
	if f.first.IsZero() {
		f.first = sent
	}
	switch {
	case chreplication.IsNotFound(err) && got.Sub(f.first) < chreplication.DefaultVisibilityGrace:
		// Not shown yet: new jobs take a few seconds.
		d := f.s.Next(sent, got, nil)
		v.op = &operation{owner: key, job: id, next: got.Add(d)}
		return d, nil
	case err != nil && !chreplication.IsNotFound(err):
		return 0, err
	case err == nil && !job.Status.Done():
		d := f.s.Next(sent, got, job)
		v.op = &operation{owner: key, job: id, next: got.Add(d)}
		return d, nil
	}
	r.schedules.Delete(id)
	if v.op != nil && v.op.owner == key {
		v.op = nil
	}
	// The end as this look saw it: the job's own end may come from
	// another clock, and a list is needed after it.
	ended := micro(got)
	res.Status.JobEnded = &ended
	switch {
	case err != nil:
		// Never shown: what it did is in the list.
		r.event(res, corev1.EventTypeWarning, ReasonError, "job "+id+" was never shown: "+err.Error())
	case job.Status == chreplication.JobFailed:
		r.set(res, ConditionReady, metav1.ConditionFalse, ReasonJobFailed, "job "+job.ID+" failed: "+job.FailReason)
		r.event(res, corev1.EventTypeWarning, ReasonJobFailed, "job "+job.ID+" failed: "+job.FailReason)
	case readyReason(res) == ReasonCreating:
		// The create completed: the task is there (as apply counts it
		// done). Its status, stage and progress come with the instance's
		// next list, which may wait for the other operations queued on
		// the instance (ListDefer).
		r.set(res, ConditionReady, metav1.ConditionTrue, ReasonUpToDate, "the task was created (job "+job.ID+" completed)")
	}
	return 0, nil
}

// jobFollow is the schedule of one job the controller follows, and when
// it was first looked at.
type jobFollow struct {
	s     *chreplication.JobSchedule
	first time.Time
}

// reconcileDelete deletes the task (unless Retain) and removes the
// finalizer once the list no longer shows it.
func (r *Reconciler) reconcileDelete(ctx context.Context, c *chreplication.Client, v *instanceView, res *v1alpha1.ClickHouseReplication, before *v1alpha1.ClickHouseReplicationStatus) (ctrl.Result, error) {
	key := client.ObjectKeyFromObject(res)
	if !controllerutil.ContainsFinalizer(res, Finalizer) {
		return ctrl.Result{}, nil
	}
	others, err := r.sameTask(ctx, res)
	if err != nil {
		return ctrl.Result{}, err
	}
	if len(others) > 0 {
		// Another resource names the task too: it is left to that one
		// (a job of this one's still runs on the service; the other finds
		// its task on the list).
		o := others[0]
		r.event(res, corev1.EventTypeNormal, "HandedOver", fmt.Sprintf("the task of database %s is kept for the resource %s/%s", res.Spec.Database, o.Namespace, o.Name))
	} else if res.Spec.DeletionPolicy != v1alpha1.DeletionRetain {
		if wait, err := r.followJob(ctx, c, v, res); wait > 0 || err != nil {
			return ctrl.Result{RequeueAfter: wait}, errors.Join(err, r.updateStatus(ctx, res, before))
		}
		now := time.Now()
		if op := v.opOf(key, now, r.opGrace()); op != nil {
			return ctrl.Result{RequeueAfter: r.waitFor(op, now)}, nil
		}
		abs, err := c.EnsureReplicationAbsent(ctx, res.Spec.InstanceID, res.Spec.Database)
		if err != nil {
			r.set(res, ConditionSynced, metav1.ConditionFalse, ReasonError, err.Error())
			return ctrl.Result{}, errors.Join(err, r.updateStatus(ctx, res, before))
		}
		delete(v.tasks, res.Spec.Database)
		delete(v.created, res.Spec.Database)
		if abs.Deleted && abs.JobID != "" {
			res.Status.JobID, res.Status.JobEnded = abs.JobID, nil
			v.op = &operation{owner: key, job: abs.JobID, next: now.Add(r.poll())}
			r.set(res, ConditionReady, metav1.ConditionFalse, ReasonDeleting, "the task is being deleted (job "+abs.JobID+")")
			r.event(res, corev1.EventTypeNormal, ReasonDeleting, "the task of database "+res.Spec.Database+" is being deleted")
			if err := r.updateStatus(ctx, res, before); err != nil {
				return ctrl.Result{}, err
			}
			return ctrl.Result{RequeueAfter: r.poll()}, nil
		}
	}
	if v.op != nil && v.op.owner == key {
		v.op = nil
	}
	r.scopeSeen.Delete(res.UID)
	r.replaced.Delete(res.UID)
	controllerutil.RemoveFinalizer(res, Finalizer)
	return ctrl.Result{}, r.Update(ctx, res)
}

func (r *Reconciler) set(res *v1alpha1.ClickHouseReplication, typ string, status metav1.ConditionStatus, reason, msg string) {
	meta.SetStatusCondition(&res.Status.Conditions, metav1.Condition{
		Type: typ, Status: status, Reason: reason, Message: clip(msg), ObservedGeneration: res.Generation})
}

func readyTrue(res *v1alpha1.ClickHouseReplication) bool {
	return meta.IsStatusConditionTrue(res.Status.Conditions, ConditionReady)
}

func readyReason(res *v1alpha1.ClickHouseReplication) string {
	if c := meta.FindStatusCondition(res.Status.Conditions, ConditionReady); c != nil {
		return c.Reason
	}
	return ""
}

func (r *Reconciler) event(res *v1alpha1.ClickHouseReplication, typ, reason, msg string) {
	if r.Recorder != nil {
		r.Recorder.Eventf(res, nil, typ, reason, reason, "%s", clip(msg))
	}
}

// clip bounds a message kept in a condition or an event.
func clip(s string) string {
	s = strings.ReplaceAll(s, "\n", "; ")
	if len(s) > 1000 {
		return s[:1000] + "..."
	}
	return s
}

// StepTimeout bounds one reconcile step's calls to the service (30 s
// when 0).
func (r *Reconciler) stepTimeout() time.Duration {
	if r.StepTimeout > 0 {
		return r.StepTimeout
	}
	return 30 * time.Second
}

func (r *Reconciler) poll() time.Duration {
	if r.Poll > 0 {
		return r.Poll
	}
	return time.Second
}

func (r *Reconciler) listDefer() time.Duration {
	if r.ListDefer > 0 {
		return r.ListDefer
	}
	return time.Minute
}

// opGrace is how long after its owner's next look was due an operation
// still counts as running.
func (r *Reconciler) opGrace() time.Duration { return max(r.stepTimeout(), 10*r.poll()) }

// startingWait is the time between two looks at a task that has not left
// its first stages.
func (r *Reconciler) startingWait() time.Duration { return 5 * r.poll() }

// resyncInterval is the resource's drift resync interval.
func (r *Reconciler) resyncInterval(res *v1alpha1.ClickHouseReplication) time.Duration {
	d := r.Resync
	if d <= 0 {
		d = DefaultResync
	}
	if v, err := time.ParseDuration(res.Annotations[AnnotationResync]); err == nil && v > 0 {
		d = v
	}
	return d
}

// resync is the resource's drift resync interval, with up to a tenth more
// at random.
func (r *Reconciler) resync(res *v1alpha1.ClickHouseReplication) time.Duration {
	d := r.resyncInterval(res)
	return d + time.Duration(rand.Int64N(int64(d)/10+1))
}

// SetupWithManager registers the reconciler.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	workers := r.MaxConcurrentReconciles
	if workers <= 0 {
		workers = 8
	}
	err := mgr.GetFieldIndexer().IndexField(context.Background(), &v1alpha1.ClickHouseReplication{}, instanceIndex, func(o client.Object) []string {
		return []string{o.(*v1alpha1.ClickHouseReplication).Spec.InstanceID}
	})
	if err != nil {
		return err
	}
	// A change of one resource wakes the others that name the same task:
	// a duplicate takes the task over when the resource that kept it goes.
	siblings := handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
		res, ok := o.(*v1alpha1.ClickHouseReplication)
		if !ok {
			return nil
		}
		same, err := r.others(ctx, res, true)
		if err != nil {
			return nil
		}
		reqs := make([]reconcile.Request, 0, len(same))
		for i := range same {
			reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&same[i])})
		}
		return reqs
	})
	return ctrl.NewControllerManagedBy(mgr).For(&v1alpha1.ClickHouseReplication{}).Named("clickhousereplication").
		Watches(&v1alpha1.ClickHouseReplication{}, siblings).
		WithOptions(controller.Options{MaxConcurrentReconciles: workers}).Complete(r)
}
