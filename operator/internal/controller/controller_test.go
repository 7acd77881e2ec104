package controller_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
	c   client.Client
	srv *fake.Server
}

var skipNameValidation = true

// start runs a real kube-apiserver and etcd (make envtest-bins builds them
// into ../.bin) with the CRD, a fake of the service, and a manager with the
// reconciler; without the binaries the test skips, naming make test,
// unless CHREPLICATION_REQUIRE_TOOLS is set (make test sets it).
func start(t *testing.T, managerToken bool) *env {
	t.Helper()
	assets, err := filepath.Abs(filepath.Join("..", "..", "..", ".bin"))
	require.NoError(t, err)
	if _, err := os.Stat(filepath.Join(assets, "kube-apiserver")); err != nil {
		msg := "kube-apiserver is not in " + assets + ": `make test` (or `make envtest-bins`) builds it and runs this test"
		if os.Getenv("CHREPLICATION_REQUIRE_TOOLS") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	scheme := runtime.NewScheme()
	require.NoError(t, clientgoscheme.AddToScheme(scheme))
	require.NoError(t, v1alpha1.AddToScheme(scheme))
	e := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
		Scheme:                scheme,
	}
	cfg, err := e.Start()
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.Stop() })

	srv, err := fake.NewServer(fake.WithJobDuration(300*time.Millisecond), fake.WithJobVisibilityDelay(0), fake.WithOneOperationPerInstance())
	require.NoError(t, err)
	t.Cleanup(srv.Close)

	// The manager runs as a user with config/rbac/role.yaml only: the
	// tests fail if the role lacks what the controller needs.
	mgrCfg := leastPrivilege(t, e, cfg, scheme)
	mgr, err := ctrl.NewManager(mgrCfg, ctrl.Options{
		Scheme: scheme, Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0",
		LeaderElection: true, LeaderElectionID: "chreplication-operator", LeaderElectionNamespace: "default",
		// One process runs a manager per test.
		Controller: config.Controller{SkipNameValidation: &skipNameValidation},
	})
	require.NoError(t, err)
	r := &controller.Reconciler{
		Client:       mgr.GetClient(),
		SecretReader: mgr.GetAPIReader(),
		Places: &controller.Places{Endpoint: srv.URL(), ProjectID: srv.ProjectID(),
			Env: func(name string) string {
				if name == auth.EnvAuthToken && managerToken {
					return srv.Token()
				}
				return ""
			}},
		Recorder: mgr.GetEventRecorder("chreplication-operator"),
		Resync:   time.Minute,
		Poll:     100 * time.Millisecond,
	}
	require.NoError(t, r.SetupWithManager(mgr))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = mgr.Start(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	require.NoError(t, err)
	return &env{c: c, srv: srv}
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

	noCreds := replication("nocreds", "sales")
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
func leastPrivilege(t *testing.T, e *envtest.Environment, admin *rest.Config, scheme *runtime.Scheme) *rest.Config {
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
