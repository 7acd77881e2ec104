// Command manager runs the ClickHouseReplication controller: it keeps each
// ClickHouseReplication resource's synchronization task on Huawei Cloud
// GaussDB(for MySQL) as its spec says.
//
// Credentials and defaults come from the environment, as the chreplication
// CLI reads them (HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK, or
// HUAWEICLOUD_AUTH_TOKEN, or the HUAWEICLOUD_IAM_* password variables;
// HUAWEICLOUD_SDK_PROJECT_ID, HUAWEICLOUD_SDK_REGION or
// HUAWEICLOUD_SDK_ENDPOINT): in a cluster, from a Secret (config/manager).
// A resource's credentialsSecretRef names a Secret of its own namespace
// instead. No credential is ever logged.
package main

import (
	"context"
	"flag"
	"os"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/auth"
	"github.com/gaussdb-tools/chreplication/internal/otelenv"
	v1alpha1 "github.com/gaussdb-tools/chreplication/operator/api/v1alpha1"
	"github.com/gaussdb-tools/chreplication/operator/internal/controller"
)

func main() { os.Exit(run()) }

// run is the manager; it returns the exit code once the manager stops.
func run() int {
	var (
		metricsAddr, probeAddr string
		leaderElect            bool
		rateLimit              float64
		workers                int
		resync, poll           time.Duration
	)
	flag.StringVar(&metricsAddr, "metrics-bind-address", ":8080", "address of the metrics endpoint (0: off)")
	flag.StringVar(&probeAddr, "health-probe-bind-address", ":8081", "address of /healthz and /readyz")
	flag.BoolVar(&leaderElect, "leader-elect", true, "run one active manager, elected on a Lease")
	flag.Float64Var(&rateLimit, "rate-limit", 0, "requests a second to each place (endpoint, project, credentials), shared by every worker; 0: none (a 429 slows the client down in any case)")
	flag.DurationVar(&resync, "resync-interval", controller.DefaultResync, "drift resync interval of a resource without the resync annotation (a tenth more at random)")
	flag.DurationVar(&poll, "poll-interval", time.Second, "shortest time between two looks at a running job (the looks aim just after the end its progress predicts)")
	flag.IntVar(&workers, "max-concurrent-reconciles", 8, "resources reconciled at once (one step at a time per instance)")
	opts := zap.Options{}
	opts.BindFlags(flag.CommandLine)
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&opts)))
	log := ctrl.Log.WithName("setup")

	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		log.Error(err, "scheme")
		return 1
	}
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		log.Error(err, "scheme")
		return 1
	}
	mgr, err := ctrl.NewManager(ctrl.GetConfigOrDie(), ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: metricsAddr},
		HealthProbeBindAddress: probeAddr,
		LeaderElection:         leaderElect,
		LeaderElectionID:       "chreplication-operator.gaussdb-tools.github.io",
	})
	if err != nil {
		log.Error(err, "the manager cannot start")
		return 1
	}
	// Tracing and metrics of the calls to the service, when the OTEL_*
	// environment asks for them (OTLP over HTTP); nothing otherwise.
	ctx := ctrl.SetupSignalHandler()
	tel, err := otelenv.Setup(ctx, os.Getenv, "chreplication-operator")
	if err != nil {
		log.Error(err, "OpenTelemetry")
		return 1
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = tel.Shutdown(sctx)
	}()
	clientOpts := clientOptions(rateLimit, tel)
	r := &controller.Reconciler{
		Client:       mgr.GetClient(),
		SecretReader: mgr.GetAPIReader(),
		Places: &controller.Places{
			Endpoint:  os.Getenv("HUAWEICLOUD_SDK_ENDPOINT"),
			Region:    os.Getenv(auth.EnvRegion),
			ProjectID: os.Getenv(auth.EnvProjectID),
			Env:       os.Getenv,
			Options:   clientOpts,
		},
		Recorder: mgr.GetEventRecorder("chreplication-operator"),
		Resync:   resync,
		Poll:     poll,

		MaxConcurrentReconciles: workers,
	}
	if err := r.SetupWithManager(mgr); err != nil {
		log.Error(err, "the controller cannot start")
		return 1
	}
	// The exporter's replication gauges for the resources the manager
	// keeps, beside controller-runtime's own metrics.
	if err := metrics.Registry.Register(controller.StatusCollector{Reader: mgr.GetClient()}); err != nil {
		log.Error(err, "metrics")
		return 1
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		log.Error(err, "healthz")
		return 1
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		log.Error(err, "readyz")
		return 1
	}
	log.Info("starting the manager", "leader-elect", leaderElect, "rate-limit", rateLimit, "resync-interval", resync, "otel", tel.Enabled())
	if err := mgr.Start(ctx); err != nil {
		log.Error(err, "the manager stopped")
		return 1
	}
	return 0
}

// clientOptions are the options of every client the manager makes: the
// rate limit (requests a second to each place; none when 0), the user
// agent, and tel's tracing and metrics.
func clientOptions(rateLimit float64, tel *otelenv.Telemetry) []chreplication.Option {
	var opts []chreplication.Option
	if rateLimit > 0 {
		opts = append(opts, chreplication.WithRateLimit(rateLimit, 1))
	}
	opts = append(opts, chreplication.WithUserAgent("chreplication-operator/"+chreplication.Version))
	return append(opts, tel.Options()...)
}
