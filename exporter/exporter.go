// Package exporter serves the state of ClickHouse synchronization tasks as
// Prometheus metrics.
//
// An Exporter looks at every task of a set of instances in the background
// (a monitor.Monitor round every refresh interval, the looks spread over
// it, every request through the instance's client and so within its
// request budget) and keeps the latest values; a scrape of /metrics reads
// them and never calls the API. The metrics:
//
//	chreplication_replication_normal{instance_id,database}          1 normal, 0 otherwise
//	chreplication_replication_info{instance_id,database,status,stage,catchup_stage}  1
//	chreplication_replication_percentage{instance_id,database}      0 to 100
//	chreplication_refresh_success{instance_id}                      1 when the last look succeeded
//	chreplication_last_refresh_timestamp_seconds{instance_id}       when the last successful look ended
//	chreplication_api_requests_total{operation,code}                requests spent (see RequestCounter)
//
// Every configured instance has its refresh_success from the first scrape:
// 0 until its first look ends (the looks of the first round are spread
// over the interval too). A failed look keeps the instance's last values
// and sets its refresh_success to 0; a task that is gone from the list is
// gone from the metrics at the next successful look. A scrape reads an
// immutable snapshot of the latest values: however many scrape at once,
// none waits for a refresh and no refresh waits for a scrape.
//
// Example to serve the metrics of two instances on :9108:
//
//	rc := exporter.NewRequestCounter(nil)
//	c, err := chreplication.NewClient(endpoint, chreplication.WithProjectID(pid),
//		chreplication.WithAuth(a), chreplication.WithHTTPClient(rc.Client()),
//		chreplication.WithRateLimit(2, 1))
//	...
//	e, err := exporter.New([]monitor.Target{{Client: c, InstanceID: i1}, {Client: c, InstanceID: i2}},
//		exporter.WithRequestCounter(rc))
//	...
//	go e.Run(ctx)
//	http.ListenAndServe(":9108", e.Handler())
package exporter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/monitor"
)

// DefaultRefreshInterval is how often an Exporter looks at every instance
// unless WithRefreshInterval says otherwise.
const DefaultRefreshInterval = 60 * time.Second

// Option configures an Exporter in New.
type Option func(*config) error

type config struct {
	interval time.Duration
	logger   *slog.Logger
	requests *RequestCounter
	clock    monitor.Clock
}

// WithRefreshInterval sets how often Run looks at every instance
// (DefaultRefreshInterval when not set): one round per interval, the looks
// spread evenly over it. It must be positive.
func WithRefreshInterval(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("exporter: refresh interval: %v must be positive", d)
		}
		c.interval = d
		return nil
	}
}

// WithLogger sets where the Exporter logs (a failed look at Warn, each
// look at Debug); nil, the default, logs nothing.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		c.logger = l
		return nil
	}
}

// WithRequestCounter serves rc's chreplication_api_requests_total with the
// other metrics. rc must be the transport of the targets' clients (see
// RequestCounter) to count their requests. nil serves no request counts.
func WithRequestCounter(rc *RequestCounter) Option {
	return func(c *config) error {
		c.requests = rc
		return nil
	}
}

// WithClock makes Run read time and wait on clock (see monitor.WithClock);
// nil keeps the system clock.
func WithClock(clock monitor.Clock) Option {
	return func(c *config) error {
		c.clock = clock
		return nil
	}
}

// Exporter keeps the latest state of the synchronization tasks of a set of
// instances and serves it as Prometheus metrics. Build it with New; it is
// safe for concurrent use (scrapes run while a refresh records).
type Exporter struct {
	mon      *monitor.Monitor
	interval time.Duration
	log      *slog.Logger
	now      func() time.Time
	registry *prometheus.Registry
	handler  http.Handler

	// state is the latest values, replaced whole by each record (copy on
	// write) and read by scrapes without a lock. mu orders the records.
	mu    sync.Mutex
	state atomic.Pointer[map[string]instanceState]
}

// instanceState is what the Exporter knows of one instance.
type instanceState struct {
	looked  bool                        // a look ended, successful or not
	ok      bool                        // the last look succeeded
	lastOK  time.Time                   // when the last successful look ended
	tasks   []chreplication.Replication // of the last successful look
	lastErr string
	metrics []prometheus.Metric // built from the above when recorded; shared by scrapes, never modified
}

// New returns an Exporter of targets (see monitor.New for what makes a
// target list unusable). It sends nothing: Run or Refresh look at the
// instances. Until an instance's first look ends, the metrics show only
// its refresh_success, 0.
func New(targets []monitor.Target, opts ...Option) (*Exporter, error) {
	c := config{interval: DefaultRefreshInterval}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	var mopts []monitor.Option
	now := time.Now
	if c.clock != nil {
		mopts = append(mopts, monitor.WithClock(c.clock))
		now = c.clock.Now
	}
	mon, err := monitor.New(targets, mopts...)
	if err != nil {
		return nil, err
	}
	logger := c.logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	e := &Exporter{
		mon:      mon,
		interval: c.interval,
		log:      logger,
		now:      now,
		registry: prometheus.NewRegistry(),
	}
	first := make(map[string]instanceState, len(targets))
	for _, t := range targets {
		first[t.InstanceID] = instanceState{metrics: metricsOf(t.InstanceID, instanceState{})}
	}
	e.state.Store(&first)
	if err := e.registry.Register(collector{e}); err != nil {
		return nil, fmt.Errorf("exporter: %w", err)
	}
	if c.requests != nil {
		if err := e.registry.Register(c.requests); err != nil {
			return nil, fmt.Errorf("exporter: %w", err)
		}
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(e.registry, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelError),
	}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	e.handler = mux
	return e, nil
}

// Handler returns the handler serving GET /metrics (the Prometheus text or
// protobuf exposition, as the scraper asks) and GET /healthz ("ok" while
// the process serves). A scrape reads the latest values; it never calls the
// API.
func (e *Exporter) Handler() http.Handler { return e.handler }

// Registry returns the registry the metrics are served from, to add other
// collectors to (such as collectors.NewGoCollector()).
func (e *Exporter) Registry() *prometheus.Registry { return e.registry }

// Refresh looks at every instance once, now, one after another (no
// spreading over the interval), records what it saw and returns the failed
// looks' errors joined (nil when every look succeeded). A failure keeps the
// instance's last values.
func (e *Exporter) Refresh(ctx context.Context) error {
	var errs []error
	for _, s := range e.mon.LookAll(ctx) {
		e.record(s)
		if s.Err != nil {
			errs = append(errs, fmt.Errorf("instance %s: %w", s.InstanceID, s.Err))
		}
	}
	return errors.Join(errs...)
}

// Run refreshes in the background until ctx ends, then returns nil: one
// round every refresh interval, the looks at the instances spread evenly
// over it (see monitor.Monitor.Round), each recorded as soon as it ends. A
// look cut short by the end of ctx is not recorded.
func (e *Exporter) Run(ctx context.Context) error {
	e.log.Info("exporter refreshing", "instances", len(*e.state.Load()), "interval", e.interval)
	err := e.mon.Run(ctx, e.interval, e.record)
	e.log.Info("exporter stopped")
	return err
}

// record keeps what a look saw: a new snapshot of the latest values,
// made from the current one with this instance's values replaced.
func (e *Exporter) record(s monitor.Snapshot) {
	e.mu.Lock()
	cur := *e.state.Load()
	st, ok := cur[s.InstanceID]
	if !ok { // not a target: cannot happen, the monitor looks only at them
		e.mu.Unlock()
		return
	}
	st.looked = true
	st.ok = s.Err == nil
	if s.Err == nil {
		st.tasks = s.Tasks // never modified after: the snapshots share it
		st.lastOK = s.At
		st.lastErr = ""
	} else {
		st.lastErr = s.Err.Error()
	}
	st.metrics = metricsOf(s.InstanceID, st)
	next := make(map[string]instanceState, len(cur))
	for id, v := range cur {
		next[id] = v
	}
	next[s.InstanceID] = st
	e.state.Store(&next)
	e.mu.Unlock()
	if s.Err != nil {
		e.log.Warn("look at instance failed; keeping its last values",
			"instance_id", s.InstanceID, "took", s.Took, "error", s.Err)
		return
	}
	e.log.Debug("looked at instance", "instance_id", s.InstanceID, "tasks", len(s.Tasks),
		"abnormal", len(s.Abnormal()), "took", s.Took)
}
