package controller_test

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/yaml"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/auth"
	"github.com/gaussdb-tools/chreplication/fake"
	v1alpha1 "github.com/gaussdb-tools/chreplication/operator/api/v1alpha1"
	"github.com/gaussdb-tools/chreplication/operator/internal/controller"
	"github.com/gaussdb-tools/chreplication/operator/internal/envtestutil"
)

const (
	instance    = "54e42160670e48e789af7075e1efea1fin16"
	source      = "ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07"
	otherSource = "77aa4096cb824a61b93dab5ca00ecc8fin07"
	opCreate    = "CreateClickHouseDataBaseReplication"
	opDelete    = "DeleteClickHouseDataBaseReplication"
	opScope     = "UpdateClickHouseDataBaseConfig"
)

// env is one API server, one fake of the service and one manager running
// the reconciler, for a test.
type env struct {
	c      client.Client
	srv    *fake.Server
	te     *envtest.Environment
	mgrCfg *rest.Config
	scheme *runtime.Scheme
	token  bool
	stop   func() // stops the first manager
	// opts are given to every client the managers make.
	opts []chreplication.Option
	// poll is the managers' Poll (100 ms when 0).
	poll time.Duration
}

var skipNameValidation = true

// start runs a real kube-apiserver and etcd (make envtest-bins builds them
// into ../.bin) with the CRD, a fake of the service, and a manager with the
// reconciler; without the binaries the test skips, naming make test,
// unless CHREPLICATION_REQUIRE_TOOLS is set (make test sets it).
func start(t testing.TB, managerToken bool, opts ...fake.Option) *env {
	t.Helper()
	scheme := runtime.NewScheme()
	require.NoError(t, clientgoscheme.AddToScheme(scheme))
	require.NoError(t, v1alpha1.AddToScheme(scheme))
	e, cfg := envtestutil.Start(t, scheme, filepath.Join("..", ".."))
	if len(opts) == 0 {
		opts = []fake.Option{fake.WithJobDuration(300 * time.Millisecond), fake.WithJobVisibilityDelay(0), fake.WithOneOperationPerInstance()}
	}
	return startWith(t, e, cfg, scheme, managerToken, opts...)
}

// startWith is start with the fake's options.
func startWith(t testing.TB, e *envtest.Environment, cfg *rest.Config, scheme *runtime.Scheme, managerToken bool, opts ...fake.Option) *env {
	t.Helper()
	srv, err := fake.NewServer(opts...)
	require.NoError(t, err)
	t.Cleanup(srv.Close)

	// The manager runs as a user with config/rbac/role.yaml only: the
	// tests fail if the role lacks what the controller needs.
	mgrCfg := leastPrivilege(t, e, cfg, scheme)
	mgrCfg.QPS = -1 // as ctrl.GetConfig sets it: no client-side throttle, the API server's priority and fairness
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	require.NoError(t, err)
	en := &env{c: c, srv: srv, te: e, mgrCfg: mgrCfg, scheme: scheme, token: managerToken}
	en.stop = en.manager(t, nil)
	return en
}

// manager starts a manager with the reconciler; counted, when not nil,
// counts the requests its clients send. It returns the function that stops
// it (also called when the test ends).
func (en *env) manager(t testing.TB, counted *atomic.Int64) func() {
	t.Helper()
	mgr, err := ctrl.NewManager(en.mgrCfg, ctrl.Options{
		Scheme: en.scheme, Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0",
		LeaderElection: true, LeaderElectionID: "chreplication-operator", LeaderElectionNamespace: "default",
		LeaseDuration: ptr(4 * time.Second), RenewDeadline: ptr(2 * time.Second), RetryPeriod: ptr(500 * time.Millisecond),
		LeaderElectionReleaseOnCancel: true,
		// One process runs several managers.
		Controller: config.Controller{SkipNameValidation: &skipNameValidation},
	})
	require.NoError(t, err)
	srv := en.srv
	opts := append([]chreplication.Option(nil), en.opts...)
	if counted != nil {
		opts = append(opts, chreplication.WithHTTPClient(&http.Client{Transport: countingTransport{n: counted, next: http.DefaultTransport}}))
	}
	r := &controller.Reconciler{
		Client:       mgr.GetClient(),
		SecretReader: mgr.GetAPIReader(),
		Places: &controller.Places{Endpoint: srv.URL(), ProjectID: srv.ProjectID(), Options: opts,
			Env: func(name string) string {
				if name == auth.EnvAuthToken && en.token {
					return srv.Token()
				}
				return ""
			}},
		Recorder: mgr.GetEventRecorder("chreplication-operator"),
		Resync:   time.Minute,
		Poll:     cmp.Or(en.poll, 100*time.Millisecond),
	}
	require.NoError(t, r.SetupWithManager(mgr))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = mgr.Start(ctx) }()
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

func ptr[T any](v T) *T { return &v }

// countingTransport counts the requests it sends.
type countingTransport struct {
	n    *atomic.Int64
	next http.RoundTripper
}

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

func replication(name, db string) *v1alpha1.ClickHouseReplication {
	return &v1alpha1.ClickHouseReplication{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec:       v1alpha1.ClickHouseReplicationSpec{InstanceID: instance, SourceInstanceID: source, Database: db},
	}
}

// eventually waits (bounded) until cond holds for the resource.
func (e *env) eventually(t *testing.T, name, what string, cond func(*v1alpha1.ClickHouseReplication) bool) *v1alpha1.ClickHouseReplication {
	t.Helper()
	var cur v1alpha1.ClickHouseReplication
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if err := e.c.Get(context.Background(), client.ObjectKey{Namespace: "default", Name: name}, &cur); err == nil && cond(&cur) {
			return &cur
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: %s did not happen within a minute; status %+v", name, what, cur.Status)
	return nil
}

func ready(reason string) func(*v1alpha1.ClickHouseReplication) bool {
	return func(r *v1alpha1.ClickHouseReplication) bool {
		c := meta.FindStatusCondition(r.Status.Conditions, controller.ConditionReady)
		return c != nil && c.Status == metav1.ConditionTrue && c.Reason == reason && r.Status.ObservedGeneration == r.Generation
	}
}

func writes(srv *fake.Server, op string) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Operation == op && r.Status == 200 {
			n++
		}
	}
	return n
}

// TestLifecycle: a resource's task is created once, its fields shown,
// its scope changed in place; deleting the resource deletes the task and
// removes the finalizer; with Retain the task stays. Leader election holds
// a Lease.
func TestLifecycle(t *testing.T) {
	e := start(t, true)
	ctx := context.Background()
	require.NoError(t, e.c.Create(ctx, replication("shop", "shop")))
	cur := e.eventually(t, "shop", "Ready", ready(controller.ReasonUpToDate))
	assert.Equal(t, 1, writes(e.srv, opCreate), "one create")
	assert.Equal(t, "normal", cur.Status.Status)
	assert.Equal(t, "incremental", cur.Status.Stage)
	assert.EqualValues(t, 100, cur.Status.Percentage)
	assert.NotEmpty(t, cur.Status.JobID)
	assert.Contains(t, cur.Finalizers, controller.Finalizer)

	cur.Spec.TableScope = &v1alpha1.TableScope{Tables: []v1alpha1.TableName{"audit_log"}}
	require.NoError(t, e.c.Update(ctx, cur))
	e.eventually(t, "shop", "the scope changed", func(r *v1alpha1.ClickHouseReplication) bool {
		c := meta.FindStatusCondition(r.Status.Conditions, controller.ConditionSynced)
		return writes(e.srv, opScope) == 1 && c != nil && c.Status == metav1.ConditionTrue && c.Reason == controller.ReasonUpToDate &&
			r.Status.ObservedGeneration == r.Generation
	})
	c, err := chreplication.NewClient(e.srv.URL(), chreplication.WithProjectID(e.srv.ProjectID()), chreplication.WithAuth(auth.StaticToken(e.srv.Token())))
	require.NoError(t, err)
	cfg, err := c.ShowReplicationConfig(ctx, instance, "shop")
	require.NoError(t, err)
	assert.Equal(t, []string{"audit_log"}, cfg.Scope.Tables)

	require.NoError(t, e.c.Delete(ctx, cur))
	gone(t, e, "shop")
	assert.Equal(t, 1, writes(e.srv, opDelete))
	assert.Empty(t, e.srv.Replications(instance), "the task was deleted")

	kept := replication("kept", "sales")
	kept.Spec.DeletionPolicy = v1alpha1.DeletionRetain
	require.NoError(t, e.c.Create(ctx, kept))
	e.eventually(t, "kept", "Ready", ready(controller.ReasonUpToDate))
	require.NoError(t, e.c.Delete(ctx, kept))
	gone(t, e, "kept")
	assert.Len(t, e.srv.Replications(instance), 1, "Retain keeps the task")

	var lease coordinationv1.Lease
	require.NoError(t, e.c.Get(ctx, client.ObjectKey{Namespace: "default", Name: "chreplication-operator"}, &lease), "leader election holds a Lease")
	assert.NotNil(t, lease.Spec.HolderIdentity)
}

func gone(t *testing.T, e *env, name string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		var cur v1alpha1.ClickHouseReplication
		if err := e.c.Get(context.Background(), client.ObjectKey{Namespace: "default", Name: name}, &cur); apierrors.IsNotFound(err) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s was not removed", name)
}

// TestAdoptionConflictAndDrift: a task of the same source is adopted with
// no create; one of another source is a conflict, nothing sent; a task
// deleted outside comes back at the resync.
func TestAdoptionConflictAndDrift(t *testing.T) {
	e := start(t, true)
	ctx := context.Background()
	require.NoError(t, e.srv.AddReplicationFrom(instance, "shop", source, ""))
	require.NoError(t, e.srv.AddReplicationFrom(instance, "legacy", otherSource, ""))

	require.NoError(t, e.c.Create(ctx, replication("shop", "shop")))
	e.eventually(t, "shop", "adopted", ready(controller.ReasonAdopted))

	require.NoError(t, e.c.Create(ctx, replication("legacy", "legacy")))
	cur := e.eventually(t, "legacy", "a conflict", func(r *v1alpha1.ClickHouseReplication) bool {
		c := meta.FindStatusCondition(r.Status.Conditions, controller.ConditionSynced)
		return c != nil && c.Reason == controller.ReasonSourceConflict
	})
	assert.Contains(t, meta.FindStatusCondition(cur.Status.Conditions, controller.ConditionSynced).Message, otherSource)
	assert.Zero(t, writes(e.srv, opCreate), "nothing was sent")

	// Drift: the task of shop is deleted outside; the resync creates it again.
	var shop v1alpha1.ClickHouseReplication
	require.NoError(t, e.c.Get(ctx, client.ObjectKey{Namespace: "default", Name: "shop"}, &shop))
	shop.Annotations = map[string]string{controller.AnnotationResync: "1s"}
	require.NoError(t, e.c.Update(ctx, &shop))
	c, err := chreplication.NewClient(e.srv.URL(), chreplication.WithProjectID(e.srv.ProjectID()), chreplication.WithAuth(auth.StaticToken(e.srv.Token())))
	require.NoError(t, err)
	_, err = c.DeleteReplication(ctx, instance, "shop")
	require.NoError(t, err)
	e.eventually(t, "shop", "created again", func(r *v1alpha1.ClickHouseReplication) bool {
		return writes(e.srv, opCreate) == 1 && ready(controller.ReasonAdopted)(r) || writes(e.srv, opCreate) == 1 && ready(controller.ReasonUpToDate)(r)
	})
}

// TestPausedSecretAndAbnormal: a paused resource is not touched; a
// resource with credentialsSecretRef uses its namespace's Secret (the
// manager has no credentials here); an abnormal task is reported and left
// alone.
func TestPausedSecretAndAbnormal(t *testing.T) {
	e := start(t, false)
	ctx := context.Background()
	require.NoError(t, e.c.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "huaweicloud", Namespace: "default"},
		Data:       map[string][]byte{auth.EnvAuthToken: []byte(e.srv.Token())},
	}))

	paused := replication("paused", "shop")
	paused.Annotations = map[string]string{controller.AnnotationReconcile: "paused"}
	paused.Spec.CredentialsSecretRef = &corev1.LocalObjectReference{Name: "huaweicloud"}
	require.NoError(t, e.c.Create(ctx, paused))
	e.eventually(t, "paused", "paused", func(r *v1alpha1.ClickHouseReplication) bool {
		c := meta.FindStatusCondition(r.Status.Conditions, controller.ConditionSynced)
		return c != nil && c.Reason == controller.ReasonPaused
	})

	noCreds := replication("nocreds", "stock")
	require.NoError(t, e.c.Create(ctx, noCreds))
	cur := e.eventually(t, "nocreds", "an error", func(r *v1alpha1.ClickHouseReplication) bool {
		c := meta.FindStatusCondition(r.Status.Conditions, controller.ConditionSynced)
		return c != nil && c.Reason == controller.ReasonError
	})
	assert.Contains(t, meta.FindStatusCondition(cur.Status.Conditions, controller.ConditionSynced).Message, "no credentials")

	withSecret := replication("secret", "sales")
	withSecret.Spec.CredentialsSecretRef = &corev1.LocalObjectReference{Name: "huaweicloud"}
	require.NoError(t, e.c.Create(ctx, withSecret))
	e.eventually(t, "secret", "Ready through the Secret", ready(controller.ReasonUpToDate))

	require.NoError(t, e.srv.AddReplicationFrom(instance, "sick", source, ""))
	require.NoError(t, e.srv.SetReplicationState(instance, "sick", fake.ReplicationState{Status: fake.StatusAbnormal, Stage: fake.StageFull, CatchupStage: fake.StageFailed, Percentage: 30}))
	sick := replication("sick", "sick")
	sick.Spec.CredentialsSecretRef = &corev1.LocalObjectReference{Name: "huaweicloud"}
	require.NoError(t, e.c.Create(ctx, sick))
	cur = e.eventually(t, "sick", "abnormal", func(r *v1alpha1.ClickHouseReplication) bool {
		c := meta.FindStatusCondition(r.Status.Conditions, controller.ConditionReady)
		return c != nil && c.Reason == controller.ReasonAbnormal
	})
	assert.Equal(t, "abnormal", cur.Status.Status)
	assert.Equal(t, 1, writes(e.srv, opCreate), "only the Secret's create: nothing for the paused and abnormal ones")
	assert.Zero(t, writes(e.srv, opDelete))
}

// leastPrivilege binds config/rbac/role.yaml to a new user and returns the
// user's config.
func leastPrivilege(t testing.TB, e *envtest.Environment, admin *rest.Config, scheme *runtime.Scheme) *rest.Config {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "config", "rbac", "role.yaml"))
	require.NoError(t, err)
	var role rbacv1.ClusterRole
	require.NoError(t, yaml.Unmarshal(raw, &role))
	c, err := client.New(admin, client.Options{Scheme: scheme})
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, c.Create(ctx, &role))
	require.NoError(t, c.Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "chreplication-operator"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: "User", Name: "chreplication-operator"}},
	}))
	u, err := e.AddUser(envtest.User{Name: "chreplication-operator"}, nil)
	require.NoError(t, err)
	// The role reads only the Secrets it is asked for: listing them is
	// refused.
	limited, err := client.New(u.Config(), client.Options{Scheme: scheme})
	require.NoError(t, err)
	var secrets corev1.SecretList
	assert.True(t, apierrors.IsForbidden(limited.List(ctx, &secrets)), "the role may not list Secrets")
	return u.Config()
}

// TestFailedJobBacksOff: a create whose job fails makes Ready False with
// reason JobFailed and the service's reason; the abnormal task it leaves is
// not created again in a hot loop (the requests over 3 s are few).
func TestFailedJobBacksOff(t *testing.T) {
	e := start(t, true)
	ctx := context.Background()
	e.srv.FailNextJob("source binlog is disabled")
	require.NoError(t, e.c.Create(ctx, replication("shop", "shop")))
	cur := e.eventually(t, "shop", "JobFailed", func(r *v1alpha1.ClickHouseReplication) bool {
		c := meta.FindStatusCondition(r.Status.Conditions, controller.ConditionReady)
		s := meta.FindStatusCondition(r.Status.Conditions, controller.ConditionSynced)
		return c != nil && c.Status == metav1.ConditionFalse && c.Reason == controller.ReasonJobFailed && s != nil && s.Reason == controller.ReasonAbnormal
	})
	assert.Contains(t, meta.FindStatusCondition(cur.Status.Conditions, controller.ConditionReady).Message, "source binlog is disabled", "the service's reason")
	assert.Equal(t, "abnormal", cur.Status.Status)
	before := len(e.srv.Requests())
	time.Sleep(3 * time.Second)
	after := len(e.srv.Requests())
	assert.LessOrEqual(t, after-before, 10, "no hot loop: %d requests in 3 s", after-before)
	assert.Equal(t, 1, writes(e.srv, opCreate), "the failed task is not created again")
	var events eventsv1.EventList
	require.NoError(t, e.c.List(ctx, &events, client.InNamespace("default")))
	reasons := map[string]bool{}
	for _, ev := range events.Items {
		reasons[ev.Reason] = true
		if ev.Reason == controller.ReasonJobFailed {
			assert.Contains(t, ev.Note, "source binlog is disabled", "the service's reason")
		}
	}
	assert.True(t, reasons[controller.ReasonJobFailed], "an event for the failure: %v", reasons)
}

// TestOnlyTheLeaderSends: with two managers, only the one elected sends
// requests; when it stops, the other takes over.
func TestOnlyTheLeaderSends(t *testing.T) {
	e := start(t, true)
	e.stop() // the default manager: replaced by two counted ones
	var first, second atomic.Int64
	stopFirst := e.manager(t, &first)
	ctx := context.Background()
	require.NoError(t, e.c.Create(ctx, replication("shop", "shop")))
	e.eventually(t, "shop", "Ready", ready(controller.ReasonUpToDate))
	e.manager(t, &second)
	require.NoError(t, e.c.Create(ctx, replication("sales", "sales")))
	e.eventually(t, "sales", "Ready", ready(controller.ReasonUpToDate))
	assert.Positive(t, first.Load())
	assert.Zero(t, second.Load(), "the manager that is not the leader sends nothing")

	stopFirst()
	require.NoError(t, e.c.Create(ctx, replication("stock", "stock")))
	e.eventually(t, "stock", "Ready, by the new leader", ready(controller.ReasonUpToDate))
	assert.Positive(t, second.Load())
}

// TestCrashWhileJobsRun: the manager stops while the create jobs run; a
// new one finds the tasks being created and follows them: one task, one
// create per database.
func TestCrashWhileJobsRun(t *testing.T) {
	e := start(t, true, fake.WithJobMode(fake.JobsManual), fake.WithJobVisibilityDelay(0))
	ctx := context.Background()
	dbs := []string{"a", "b", "c"}
	for i, db := range dbs {
		r := replication(db, db)
		r.Spec.InstanceID = []string{instance, "0f1e2d3c4b5a49788796a5b4c3d2e1f0in16", "8a7b1d1e0e6e4f8c9b0f2a3c4d5e6f70in16"}[i]
		require.NoError(t, e.c.Create(ctx, r))
	}
	deadline := time.Now().Add(time.Minute)
	for writes(e.srv, opCreate) < len(dbs) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	require.Equal(t, len(dbs), writes(e.srv, opCreate))
	e.stop() // a crash while every job runs
	e.manager(t, nil)
	e.srv.FinishJobs()
	for _, db := range dbs {
		e.eventually(t, db, "Ready", func(r *v1alpha1.ClickHouseReplication) bool {
			return ready(controller.ReasonUpToDate)(r) || ready(controller.ReasonAdopted)(r)
		})
	}
	assert.Equal(t, len(dbs), writes(e.srv, opCreate), "one create per database")
}

// TestManifestsApply: config/'s manifests (the CRD, the RBAC, the
// manager's namespace and Deployment) are accepted by the API server; a
// resource cannot name a Secret of another namespace (only a name, in its
// own).
func TestManifestsApply(t *testing.T) {
	e := start(t, false)
	ctx := context.Background()
	for _, f := range []string{"rbac/service_account.yaml", "rbac/role_binding.yaml", "manager/manager.yaml"} {
		raw, err := os.ReadFile(filepath.Join("..", "..", "config", f))
		require.NoError(t, err)
		for _, doc := range strings.Split(string(raw), "\n---\n") {
			var u unstructured.Unstructured
			require.NoError(t, yaml.Unmarshal([]byte(doc), &u.Object), f)
			if u.GetKind() == "ServiceAccount" || u.GetKind() == "Deployment" {
				// The namespace comes first in manager.yaml; the service
				// account's file is applied before it here.
				_ = e.c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: u.GetNamespace()}})
			}
			err := e.c.Create(ctx, &u)
			if apierrors.IsAlreadyExists(err) {
				continue
			}
			require.NoError(t, err, "%s: %s %s", f, u.GetKind(), u.GetName())
		}
	}
	var dep appsv1.Deployment
	require.NoError(t, e.c.Get(ctx, client.ObjectKey{Namespace: "chreplication-system", Name: "chreplication-operator"}, &dep))
	sc := dep.Spec.Template.Spec.Containers[0].SecurityContext
	require.NotNil(t, sc)
	assert.True(t, *sc.ReadOnlyRootFilesystem)
	assert.True(t, *dep.Spec.Template.Spec.SecurityContext.RunAsNonRoot)

	// A Secret of another namespace is out of reach: the reference is a
	// name, looked up in the resource's namespace.
	require.NoError(t, e.c.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "huaweicloud", Namespace: "chreplication-system"},
		Data:       map[string][]byte{auth.EnvAuthToken: []byte(e.srv.Token())},
	}))
	r := replication("elsewhere", "shop")
	r.Spec.CredentialsSecretRef = &corev1.LocalObjectReference{Name: "huaweicloud"}
	require.NoError(t, e.c.Create(ctx, r))
	cur := e.eventually(t, "elsewhere", "an error", func(r *v1alpha1.ClickHouseReplication) bool {
		c := meta.FindStatusCondition(r.Status.Conditions, controller.ConditionSynced)
		return c != nil && c.Reason == controller.ReasonError
	})
	assert.Contains(t, meta.FindStatusCondition(cur.Status.Conditions, controller.ConditionSynced).Message, `"huaweicloud" of namespace "default"`)
	assert.Zero(t, len(e.srv.Requests()), "nothing was sent")
}

// TestFleet: 100 resources over 10 instances behind the fake's gateway of
// 10 requests a second, the manager's budget 10 a second (--rate-limit):
// all Ready, each database created exactly once, at most 10% throttled,
// at most 3.5 requests a resource.
func TestFleet(t *testing.T) {
	e := start(t, true)
	e.stop()
	e.srv.SetRateLimit(10)
	e.opts = []chreplication.Option{chreplication.WithRateLimit(10, 1)}
	e.manager(t, nil)
	ctx := context.Background()
	var names []string
	for i := range 10 {
		require.NoError(t, e.srv.SetSourceDatabases(fmt.Sprintf("fleet%04din16", i), "db0", "db1", "db2", "db3", "db4", "db5", "db6", "db7", "db8", "db9"))
	}
	for i := range 10 {
		inst := fmt.Sprintf("fleet%04din16", i)
		for d := range 10 {
			name := fmt.Sprintf("fleet-%d-%d", i, d)
			r := replication(name, fmt.Sprintf("db%d", d))
			r.Spec.InstanceID = inst
			require.NoError(t, e.c.Create(ctx, r))
			names = append(names, name)
		}
	}
	deadline := time.Now().Add(5 * time.Minute)
	for {
		var list v1alpha1.ClickHouseReplicationList
		require.NoError(t, e.c.List(ctx, &list))
		done := 0
		for i := range list.Items {
			if ready(controller.ReasonUpToDate)(&list.Items[i]) {
				done++
			}
		}
		if done == len(names) {
			break
		}
		require.True(t, time.Now().Before(deadline), "%d of %d Ready after 5 minutes", done, len(names))
		time.Sleep(time.Second)
	}
	created := map[string]int{}
	throttled, all := 0, 0
	for _, r := range e.srv.Requests() {
		all++
		if r.Throttled {
			throttled++
		}
		if r.Operation == opCreate && r.Status == 200 {
			created[r.Path+string(r.Body)]++
		}
	}
	assert.Len(t, created, 100, "each database created")
	for k, n := range created {
		assert.Equal(t, 1, n, "%s created once", k)
	}
	assert.LessOrEqual(t, float64(throttled), 0.1*float64(all), "%d of %d requests throttled", throttled, all)
	// One list serves the resources of an instance, and a resource's
	// steps cost its create and the looks at its job: about 2.2 requests
	// a resource (a list and a configuration read per step would be 6).
	assert.LessOrEqual(t, all, 350, "requests for 100 resources")
	t.Logf("fleet: %d requests, %d throttled", all, throttled)
}

// TestDuplicateResources: a second resource naming the same instance and
// database is refused (Duplicate, nothing sent); when the first goes, the
// task is kept and the second takes it over; when the last goes, the task
// is deleted.
func TestDuplicateResources(t *testing.T) {
	e := start(t, true)
	ctx := context.Background()
	require.NoError(t, e.c.Create(ctx, replication("shop", "shop")))
	e.eventually(t, "shop", "Ready", ready(controller.ReasonUpToDate))
	// twin is made after shop (or in the same second, and "shop" < "twin"):
	// shop keeps the task.
	require.NoError(t, e.c.Create(ctx, replication("twin", "shop")))
	cur := e.eventually(t, "twin", "refused as a duplicate", func(r *v1alpha1.ClickHouseReplication) bool {
		c := meta.FindStatusCondition(r.Status.Conditions, controller.ConditionSynced)
		return c != nil && c.Reason == controller.ReasonDuplicate
	})
	assert.Contains(t, meta.FindStatusCondition(cur.Status.Conditions, controller.ConditionSynced).Message, "default/shop")
	assert.Equal(t, 1, writes(e.srv, opCreate), "nothing sent for the duplicate")

	var shop v1alpha1.ClickHouseReplication
	require.NoError(t, e.c.Get(ctx, client.ObjectKey{Namespace: "default", Name: "shop"}, &shop))
	require.NoError(t, e.c.Delete(ctx, &shop))
	gone(t, e, "shop")
	e.eventually(t, "twin", "the task taken over", ready(controller.ReasonAdopted))
	assert.Zero(t, writes(e.srv, opDelete), "the task is kept for twin")
	assert.Equal(t, 1, writes(e.srv, opCreate))

	require.NoError(t, e.c.Get(ctx, client.ObjectKey{Namespace: "default", Name: "twin"}, &shop))
	require.NoError(t, e.c.Delete(ctx, &shop))
	gone(t, e, "twin")
	assert.Equal(t, 1, writes(e.srv, opDelete), "the last resource deletes the task")
	assert.Empty(t, e.srv.Replications(instance))
}
