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
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"

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
	ReasonError          = "Error"
)

// DefaultResync is the drift resync interval of a resource that names
// none; each requeue adds up to a tenth of it at random, so that resources
// made together do not all look at once.
const DefaultResync = 10 * time.Minute

// Reconciler reconciles ClickHouseReplication resources.
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
	// Poll is the shortest time before a look at a running job (1 s when
	// 0); the look is requeued at the job's predicted end.
	Poll time.Duration
	// StepTimeout bounds one step's calls to the service (30 s when 0).
	StepTimeout time.Duration

	busy sync.Map // instance ID → struct{}: one operation per instance at a time
}

// +kubebuilder:rbac:groups=chreplication.gaussdb-tools.github.io,resources=clickhousereplications,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=chreplication.gaussdb-tools.github.io,resources=clickhousereplications/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=chreplication.gaussdb-tools.github.io,resources=clickhousereplications/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=coordination.k8s.io,resources=leases,verbs=get;list;watch;create;update;patch;delete

// Reconcile makes the service hold r's task as its spec says, one step at
// a time: it never waits for a job, it requeues at the job's predicted end.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var res v1alpha1.ClickHouseReplication
	if err := r.Get(ctx, req.NamespacedName, &res); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if res.Annotations[AnnotationReconcile] == "paused" {
		r.set(&res, ConditionSynced, metav1.ConditionFalse, ReasonPaused, "reconciliation is paused by the annotation "+AnnotationReconcile)
		return ctrl.Result{}, r.Status().Update(ctx, &res)
	}
	// One operation per instance at a time: another resource of the
	// instance at work makes this one wait its turn.
	if _, taken := r.busy.LoadOrStore(res.Spec.InstanceID, struct{}{}); taken {
		return ctrl.Result{RequeueAfter: r.poll()}, nil
	}
	defer r.busy.Delete(res.Spec.InstanceID)

	secrets := r.SecretReader
	if secrets == nil {
		secrets = r.Client
	}
	c, err := r.Places.clientFor(ctx, secrets, &res)
	if err != nil {
		r.set(&res, ConditionSynced, metav1.ConditionFalse, ReasonError, err.Error())
		_ = r.Status().Update(ctx, &res)
		return ctrl.Result{}, err // backoff
	}
	// A worker never waits long for the service: a busy instance or the
	// gateway's throttle ridden out longer than this ends the step, which
	// is requeued.
	ctx, cancel := context.WithTimeout(ctx, r.stepTimeout())
	defer cancel()
	if !res.DeletionTimestamp.IsZero() {
		return r.reconcileDelete(ctx, c, &res)
	}
	if !controllerutil.ContainsFinalizer(&res, Finalizer) {
		controllerutil.AddFinalizer(&res, Finalizer)
		if err := r.Update(ctx, &res); err != nil {
			return ctrl.Result{}, err
		}
	}
	result, err := r.reconcileNormal(ctx, c, &res)
	log.FromContext(ctx).V(1).Info("reconciled", "instance", res.Spec.InstanceID, "database", res.Spec.Database,
		"status", res.Status.Status, "stage", res.Status.Stage, "job", res.Status.JobID, "requeueAfter", result.RequeueAfter, "error", err)
	now := metav1.Now()
	res.Status.LastSyncTime, res.Status.ObservedGeneration = &now, res.Generation
	if uerr := r.Status().Update(ctx, &res); uerr != nil && !apierrors.IsConflict(uerr) {
		return ctrl.Result{}, errors.Join(err, uerr)
	}
	return result, err
}

// reconcileNormal creates, adopts or updates the task, one step.
func (r *Reconciler) reconcileNormal(ctx context.Context, c *chreplication.Client, res *v1alpha1.ClickHouseReplication) (ctrl.Result, error) {
	inst, db := res.Spec.InstanceID, res.Spec.Database
	if wait, err := r.followJob(ctx, c, res); wait > 0 || err != nil {
		return ctrl.Result{RequeueAfter: wait}, err
	}
	req := chreplication.CreateReplicationRequest{SourceInstanceID: res.Spec.SourceInstanceID, SourceNodeID: res.Spec.SourceNodeID, SourceDatabase: db}
	adopting := res.Status.JobID == "" && res.Status.Status == ""
	ens, err := c.EnsureReplication(ctx, inst, req)
	switch {
	case chreplication.IsSourceConflict(err):
		r.set(res, ConditionSynced, metav1.ConditionFalse, ReasonSourceConflict, err.Error())
		r.set(res, ConditionReady, metav1.ConditionFalse, ReasonSourceConflict, "the database has a task of another source: nothing was sent")
		r.event(res, corev1.EventTypeWarning, ReasonSourceConflict, err.Error())
		return ctrl.Result{RequeueAfter: r.resync(res)}, nil
	case chreplication.IsThrottled(err) || errors.Is(err, chreplication.ErrNotStarted) || chreplication.IsBusy(err):
		// Nothing was started: the gateway's throttle, or the instance
		// busy with another operation. Requeued, not retried here.
		r.set(res, ConditionSynced, metav1.ConditionFalse, ReasonThrottled, err.Error())
		return ctrl.Result{RequeueAfter: r.stepTimeout()}, nil
	case err != nil:
		r.set(res, ConditionSynced, metav1.ConditionFalse, ReasonError, err.Error())
		return ctrl.Result{}, err // backoff
	case ens.Created:
		res.Status.JobID, res.Status.JobEnded = ens.JobID, nil
		r.set(res, ConditionReady, metav1.ConditionFalse, ReasonCreating, "the task is being created")
		r.set(res, ConditionSynced, metav1.ConditionTrue, ReasonCreating, "create sent")
		r.event(res, corev1.EventTypeNormal, "Created", "the task of database "+db+" is being created (job "+ens.JobID+")")
		return ctrl.Result{RequeueAfter: r.poll()}, nil
	}
	t := ens.Replication
	res.Status.Status, res.Status.Stage, res.Status.CatchupStage, res.Status.Percentage = string(t.Status), t.Stage, string(t.CatchupStage), int32(t.Percentage)
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
		r.set(res, ConditionReady, metav1.ConditionFalse, ReasonAbnormal, fmt.Sprintf("the service shows the task abnormal (stage %q, catch-up %q): left alone", t.Stage, t.CatchupStage))
		r.set(res, ConditionSynced, metav1.ConditionTrue, ReasonAbnormal, "left alone")
		r.event(res, corev1.EventTypeWarning, ReasonAbnormal, "the task is abnormal; it is left alone")
		return ctrl.Result{RequeueAfter: r.resync(res)}, nil
	case ens.Starting:
		r.set(res, ConditionReady, metav1.ConditionFalse, ReasonCreating, "the task has not left its first stages")
		return ctrl.Result{RequeueAfter: r.poll() * 5}, nil
	}
	if wait, err := r.reconcileScope(ctx, c, res); wait > 0 || err != nil {
		return ctrl.Result{RequeueAfter: wait}, err
	}
	reason := ReasonUpToDate
	if adopting || readyReason(res) == ReasonAdopted {
		reason = ReasonAdopted
	}
	r.set(res, ConditionReady, metav1.ConditionTrue, reason, "the task synchronises the database")
	r.set(res, ConditionSynced, metav1.ConditionTrue, ReasonUpToDate, "the service matches the spec")
	return ctrl.Result{RequeueAfter: r.resync(res)}, nil
}

// reconcileScope changes the task's table scope to the spec's, in place.
func (r *Reconciler) reconcileScope(ctx context.Context, c *chreplication.Client, res *v1alpha1.ClickHouseReplication) (time.Duration, error) {
	want := chreplication.TableScope{Mode: chreplication.ScopeExclude}
	if s := res.Spec.TableScope; s != nil {
		if s.Mode != "" {
			want.Mode = chreplication.ScopeMode(s.Mode)
		}
		for _, t := range s.Tables {
			want.Tables = append(want.Tables, string(t))
		}
	}
	cfg, err := c.ShowReplicationConfig(ctx, res.Spec.InstanceID, res.Spec.Database)
	if err != nil {
		r.set(res, ConditionSynced, metav1.ConditionFalse, ReasonError, err.Error())
		return 0, err
	}
	have := slices.Clone(cfg.Scope.Tables)
	slices.Sort(have)
	slices.Sort(want.Tables)
	mode := cfg.Scope.Mode
	if mode == "" {
		mode = chreplication.ScopeExclude
	}
	if mode == want.Mode && slices.Equal(have, want.Tables) {
		return 0, nil
	}
	jobID, err := c.UpdateScope(ctx, res.Spec.InstanceID, chreplication.ScopeUpdate{
		SourceInstanceID: res.Spec.SourceInstanceID, SourceNodeID: res.Spec.SourceNodeID, Database: res.Spec.Database, Scope: want})
	if errors.Is(err, chreplication.ErrScopeModeChange) {
		r.set(res, ConditionSynced, metav1.ConditionFalse, ReasonScopeMode, err.Error())
		return r.resync(res), nil
	}
	if err != nil {
		r.set(res, ConditionSynced, metav1.ConditionFalse, ReasonError, err.Error())
		return 0, err
	}
	res.Status.JobID, res.Status.JobEnded = jobID, nil
	r.set(res, ConditionSynced, metav1.ConditionFalse, ReasonScopeChanging, "the table scope is changing (job "+jobID+")")
	r.event(res, corev1.EventTypeNormal, ReasonScopeChanging, "the table scope is changing (job "+jobID+")")
	return r.poll(), nil
}

// followJob looks once at the job the status names, when it has not
// ended: it returns when to look again (its predicted end), or records how
// it ended.
func (r *Reconciler) followJob(ctx context.Context, c *chreplication.Client, res *v1alpha1.ClickHouseReplication) (time.Duration, error) {
	if res.Status.JobID == "" || res.Status.JobEnded != nil {
		return 0, nil
	}
	job, err := c.Job(ctx, res.Status.JobID)
	switch {
	case chreplication.IsNotFound(err):
		return r.poll(), nil // not visible yet
	case err != nil:
		return 0, err
	case !job.Status.Done():
		return predictedEnd(job, r.poll()), nil
	}
	ended := metav1.NewTime(job.Ended)
	if job.Ended.IsZero() {
		ended = metav1.Now()
	}
	res.Status.JobEnded = &ended
	if job.Status == chreplication.JobFailed {
		r.set(res, ConditionReady, metav1.ConditionFalse, ReasonJobFailed, "job "+job.ID+" failed: "+job.FailReason)
		r.event(res, corev1.EventTypeWarning, ReasonJobFailed, "job "+job.ID+" failed: "+job.FailReason)
	}
	return 0, nil
}

// predictedEnd is when to look at a running job again: when its progress
// says it ends (from its start and its percentage), at least poll, at most
// a minute.
func predictedEnd(job *chreplication.Job, poll time.Duration) time.Duration {
	pct, ok := job.Percent()
	if !ok || pct <= 0 || job.Created.IsZero() {
		return poll
	}
	elapsed := time.Since(job.Created)
	left := time.Duration(float64(elapsed) * float64(100-pct) / float64(pct))
	return min(max(left, poll), time.Minute)
}

// reconcileDelete deletes the task (unless Retain) and removes the
// finalizer once the list no longer shows it.
func (r *Reconciler) reconcileDelete(ctx context.Context, c *chreplication.Client, res *v1alpha1.ClickHouseReplication) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(res, Finalizer) {
		return ctrl.Result{}, nil
	}
	if res.Spec.DeletionPolicy != v1alpha1.DeletionRetain {
		if wait, err := r.followJob(ctx, c, res); wait > 0 || err != nil {
			return ctrl.Result{RequeueAfter: wait}, err
		}
		abs, err := c.EnsureReplicationAbsent(ctx, res.Spec.InstanceID, res.Spec.Database)
		if err != nil {
			r.set(res, ConditionSynced, metav1.ConditionFalse, ReasonError, err.Error())
			_ = r.Status().Update(ctx, res)
			return ctrl.Result{}, err
		}
		if abs.Deleted && abs.JobID != "" {
			res.Status.JobID, res.Status.JobEnded = abs.JobID, nil
			r.set(res, ConditionReady, metav1.ConditionFalse, ReasonDeleting, "the task is being deleted (job "+abs.JobID+")")
			r.event(res, corev1.EventTypeNormal, ReasonDeleting, "the task of database "+res.Spec.Database+" is being deleted")
			if err := r.Status().Update(ctx, res); err != nil {
				return ctrl.Result{}, err
			}
			return ctrl.Result{RequeueAfter: r.poll()}, nil
		}
	}
	controllerutil.RemoveFinalizer(res, Finalizer)
	return ctrl.Result{}, r.Update(ctx, res)
}

func (r *Reconciler) set(res *v1alpha1.ClickHouseReplication, typ string, status metav1.ConditionStatus, reason, msg string) {
	meta.SetStatusCondition(&res.Status.Conditions, metav1.Condition{
		Type: typ, Status: status, Reason: reason, Message: clip(msg), ObservedGeneration: res.Generation})
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

// resync is the resource's drift resync interval, with up to a tenth more
// at random.
func (r *Reconciler) resync(res *v1alpha1.ClickHouseReplication) time.Duration {
	d := r.Resync
	if d <= 0 {
		d = DefaultResync
	}
	if v, err := time.ParseDuration(res.Annotations[AnnotationResync]); err == nil && v > 0 {
		d = v
	}
	return d + time.Duration(rand.Int64N(int64(d)/10+1))
}

// SetupWithManager registers the reconciler.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).For(&v1alpha1.ClickHouseReplication{}).Named("clickhousereplication").Complete(r)
}
