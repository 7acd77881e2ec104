package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/exporter"
)

// exporterShutdownGrace bounds how long the exporter's server waits for
// scrapes in flight once interrupted.
const exporterShutdownGrace = 5 * time.Second

var _ = register(newExporterCommand)

// newExporterCommand is 'chreplication exporter'.
func newExporterCommand(c *cli) *cobra.Command {
	var (
		a       apiFlags
		inst    instanceFlags
		listen  string
		refresh time.Duration
	)
	cc := &cobra.Command{
		Use:   "exporter",
		Short: "serve the state of the replications of instances as Prometheus metrics",
		Long: strings.TrimSpace(`
Serve GET /metrics (Prometheus) and GET /healthz on --listen. In the
background, look at every replication (data synchronization task) of the
instances named by --instance-id (repeated) or by the apply file -f, every
--refresh (the looks spread evenly over it); a scrape serves the latest
values and never calls the API.

Metrics:
  chreplication_replication_normal{instance_id,database}        1 normal, 0 otherwise
  chreplication_replication_info{instance_id,database,status,stage,catchup_stage}  1
  chreplication_replication_percentage{instance_id,database}    0 to 100
  chreplication_refresh_success{instance_id}                    1 when the last look succeeded
  chreplication_last_refresh_timestamp_seconds{instance_id}     end of the last successful look
  chreplication_api_requests_total{operation,code}              requests sent, retries included
A failed look keeps the instance's last values and sets refresh_success to 0.
Alert rules for these metrics: deploy/prometheus/alerts.yaml.

Logs (log/slog, text) go to stderr; --verbose adds one line per look.
Runs until interrupted (exit 130); 2 for a usage error or an invalid file
(nothing sent), 1 when --listen cannot be used.`),
		Example: `  chreplication exporter --listen :9108 --region cn-north-4 \
      --instance-id 54e42160670e48e789af7075e1efea1fin16 --instance-id 8a7b1d1e0e6e4f8c9b0f2a3c4d5e6f70in16
  chreplication exporter --listen 127.0.0.1:9108 -f replications.yaml --refresh 2m`,
		Annotations: map[string]string{
			annSynopsis: "exporter --listen ADDR (--instance-id I ... | -f FILE) [--refresh D] [API flags]",
			annAPI:      "true",
		},
	}
	fs := cc.Flags()
	a.register(fs)
	inst.register(fs)
	fs.StringVar(&listen, "listen", "", "`address` to serve /metrics and /healthz on, such as :9108 or 127.0.0.1:9108 (required)")
	fs.DurationVar(&refresh, "refresh", exporter.DefaultRefreshInterval, "how often to look at every instance (`duration`); the looks spread evenly over it")
	cc.RunE = func(cc *cobra.Command, _ []string) error {
		inst.check(c)
		if listen == "" {
			c.note(usageErrorf("missing --listen ADDR, such as :9108"))
		} else if _, _, err := net.SplitHostPort(listen); err != nil {
			c.note(usageErrorf("invalid --listen %s: want host:port or :port, such as :9108", quoted(listen)))
		}
		if refresh <= 0 {
			c.note(usageErrorf("--refresh must be positive"))
		}
		if err := c.check(a.checkOutput()); err != nil {
			return err
		}
		c.events = &eventLines{w: c.stderr, verbose: a.verbose}
		rc := exporter.NewRequestCounter(nil)
		targets, err := inst.targets(c, &a, chreplication.WithHTTPClient(rc.Client()))
		if err := c.check(err); err != nil {
			return err
		}
		level := slog.LevelInfo
		if a.verbose {
			level = slog.LevelDebug
		}
		logger := slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: level}))
		e, err := exporter.New(targets, exporter.WithRefreshInterval(refresh),
			exporter.WithRequestCounter(rc), exporter.WithLogger(logger))
		if err != nil {
			return usageErrorf("%s", err.Error())
		}
		ctx := cc.Context()
		if a.timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, a.timeout)
			defer cancel()
		}
		return serveExporter(ctx, cc.Context(), listen, e, logger)
	}
	return cc
}

// serveExporter serves e's handler on listen and refreshes e until ctx
// ends; then it stops serving (scrapes in flight get a few seconds). It
// returns the interruption (signal ends it) or nil when only ctx's timeout
// ended it.
func serveExporter(ctx, signal context.Context, listen string, e *exporter.Exporter, logger *slog.Logger) error {
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", listen)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           e.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	logger.Info("serving /metrics and /healthz", "address", l.Addr().String())
	ctx, stop := context.WithCancel(ctx) // a server that fails ends the refreshes too
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	refreshed := make(chan struct{})
	go func() {
		defer close(refreshed)
		_ = e.Run(ctx)
	}()
	select {
	case <-ctx.Done():
	case err = <-served:
	}
	stop()
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), exporterShutdownGrace)
	defer cancel()
	_ = srv.Shutdown(shutdown)
	<-refreshed
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return signal.Err()
}
