package exporter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication/exporter"
	"github.com/gaussdb-tools/chreplication/fake"
	"github.com/gaussdb-tools/chreplication/monitor"
)

// promDeadline bounds the whole conversation with Prometheus: starting,
// scraping, evaluating the rules. Each step ends as soon as Prometheus
// reports what is expected; the bound only stops a broken run.
const promDeadline = 90 * time.Second

// TestPrometheusScrapesAndAlerts runs the exporter against the fake and a
// real Prometheus (Debian's prometheus package) that scrapes it every
// second with deploy/prometheus/alerts.yaml loaded, drives a task abnormal
// in the fake, and asserts on what Prometheus's HTTP API reports: the
// series chreplication_replication_normal == 0 and the alerts
// ChReplicationTaskAbnormal and ChReplicationCatchupFailed firing.
func TestPrometheusScrapesAndAlerts(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		// A plain `go test ./...` on a fresh clone has no prometheus: skip,
		// naming the command that installs it. make test sets
		// CHREPLICATION_REQUIRE_TOOLS, so CI never skips this silently.
		msg := fmt.Sprintf("the prometheus binary is not on PATH (%v): `make test` (or `make prometheus`) installs it (Debian's prometheus package) and runs this test", err)
		if os.Getenv("CHREPLICATION_REQUIRE_TOOLS") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	rules, err := filepath.Abs(filepath.Join("..", "deploy", "prometheus", "alerts.yaml"))
	require.NoError(t, err)
	require.FileExists(t, rules)

	s := newFake(t)
	require.NoError(t, s.AddReplication(instA, "shop"))
	require.NoError(t, s.AddReplication(instA, "sales"))
	rc := exporter.NewRequestCounter(s.Client().Transport)
	e, err := exporter.New([]monitor.Target{{Client: newClient(t, s, rc), InstanceID: instA}},
		exporter.WithRequestCounter(rc), exporter.WithRefreshInterval(500*time.Millisecond))
	require.NoError(t, err)
	srv := httptest.NewServer(e.Handler()) // 127.0.0.1
	defer srv.Close()
	ctx, cancel := context.WithTimeout(t.Context(), promDeadline)
	defer cancel()
	var running sync.WaitGroup
	running.Go(func() { _ = e.Run(ctx) })
	defer running.Wait()
	defer cancel()

	prom := startPrometheus(t, ctx, bin, rules, srv.Listener.Addr().String())
	defer prom.stop(t)

	// Prometheus scrapes the exporter and sees both tasks normal.
	prom.await(t, ctx, "both tasks scraped as normal", func() bool {
		return len(prom.query(t, ctx, `chreplication_replication_normal{instance_id="`+instA+`"} == 1`)) == 2
	})

	// The catch-up of sales fails: the task turns abnormal.
	require.NoError(t, s.SetReplicationState(instA, "sales", fake.ReplicationState{
		Status: fake.StatusAbnormal, Stage: fake.StageFull, CatchupStage: fake.StageFailed, Percentage: 37}))

	prom.await(t, ctx, "chreplication_replication_normal == 0 for sales", func() bool {
		got := prom.query(t, ctx, `chreplication_replication_normal == 0`)
		return len(got) == 1 && got[0]["database"] == "sales" && got[0]["instance_id"] == instA
	})
	prom.await(t, ctx, "ChReplicationTaskAbnormal and ChReplicationCatchupFailed firing for sales", func() bool {
		firing := map[string]bool{}
		for _, a := range prom.alerts(t, ctx) {
			if a.State == "firing" && a.Labels["database"] == "sales" && a.Labels["instance_id"] == instA {
				firing[a.Labels["alertname"]] = true
			}
		}
		return firing["ChReplicationTaskAbnormal"] && firing["ChReplicationCatchupFailed"]
	})
	// shop stays normal: no alert names it.
	for _, a := range prom.alerts(t, ctx) {
		require.NotEqual(t, "shop", a.Labels["database"], "alert %v", a.Labels)
	}
}

// prometheus is a running Prometheus server of one test.
type prometheus struct {
	cmd    *exec.Cmd
	base   string
	out    *syncBuffer
	client *http.Client
	done   chan struct{} // closed when the process has exited
	err    error         // its exit, once done is closed
}

// startPrometheus writes a configuration scraping target every second with
// rules loaded, and starts bin on a free loopback port, its data in a
// temporary folder.
func startPrometheus(t *testing.T, ctx context.Context, bin, rules, target string) *prometheus {
	t.Helper()
	dir := t.TempDir()
	config := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 900ms
  evaluation_interval: 1s
rule_files:
  - %q
scrape_configs:
  - job_name: chreplication
    static_configs:
      - targets: [%q]
`, rules, target)
	cfg := filepath.Join(dir, "prometheus.yml")
	require.NoError(t, os.WriteFile(cfg, []byte(config), 0o600))
	addr := freeLoopbackAddr(t)
	out := &syncBuffer{}
	cmd := exec.CommandContext(ctx, bin, //nolint:gosec // the binary found on PATH, arguments of this test
		"--config.file="+cfg,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
		"--log.level=warn")
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	p := &prometheus{
		cmd: cmd, base: "http://" + addr, out: out, done: make(chan struct{}),
		client: &http.Client{Transport: &http.Transport{}, Timeout: 5 * time.Second},
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	p.await(t, ctx, "Prometheus ready", func() bool {
		status, _, err := p.get(ctx, "/-/ready")
		return err == nil && status == http.StatusOK
	})
	return p
}

// stop ends Prometheus (SIGTERM, then SIGKILL after 10 s) and waits for it.
func (p *prometheus) stop(t *testing.T) {
	t.Helper()
	p.client.CloseIdleConnections()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	if t.Failed() {
		t.Logf("prometheus output:\n%s", p.out.String())
	}
}

// await polls cond every 200ms until it holds; it fails the test when ctx
// ends first or Prometheus exits.
func (p *prometheus) await(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v; prometheus output:\n%s", what, ctx.Err(), p.out.String())
		case <-p.done:
			t.Fatalf("waiting for %s: prometheus exited: %v; its output:\n%s", what, p.err, p.out.String())
		case <-tick.C:
		}
	}
}

// get GETs path and returns the status and the body (up to 1 MiB).
func (p *prometheus) get(ctx context.Context, path string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.base+path, nil)
	if err != nil {
		return 0, nil, err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, body, err
}

// apiData GETs an /api/v1 path and decodes its data; nil when Prometheus
// did not answer success (it may not be ready yet).
func (p *prometheus) apiData(t *testing.T, ctx context.Context, path string, data any) bool {
	t.Helper()
	status, body, err := p.get(ctx, path)
	if err != nil || status != http.StatusOK {
		return false
	}
	var env struct {
		Status string          `json:"status"`
		Data   json.RawMessage `json:"data"`
	}
	require.NoError(t, json.Unmarshal(body, &env), "%s", body)
	if env.Status != "success" {
		return false
	}
	require.NoError(t, json.Unmarshal(env.Data, data))
	return true
}

// query runs an instant query and returns the label sets of its result.
func (p *prometheus) query(t *testing.T, ctx context.Context, q string) []map[string]string {
	t.Helper()
	var data struct {
		Result []struct {
			Metric map[string]string `json:"metric"`
		} `json:"result"`
	}
	if !p.apiData(t, ctx, "/api/v1/query?query="+url.QueryEscape(q), &data) {
		return nil
	}
	out := make([]map[string]string, len(data.Result))
	for i, r := range data.Result {
		out[i] = r.Metric
	}
	return out
}

type alert struct {
	Labels map[string]string `json:"labels"`
	State  string            `json:"state"`
}

// alerts returns the alerts Prometheus holds (pending and firing).
func (p *prometheus) alerts(t *testing.T, ctx context.Context) []alert {
	t.Helper()
	var data struct {
		Alerts []alert `json:"alerts"`
	}
	if !p.apiData(t, ctx, "/api/v1/alerts", &data) {
		return nil
	}
	return data.Alerts
}

// freeLoopbackAddr returns a 127.0.0.1 address whose port was free a moment
// ago.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	var lc net.ListenConfig
	l, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// syncBuffer is a bytes.Buffer safe for the writes of a process's output
// and the reads of the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestPrometheusMissing runs TestPrometheusScrapesAndAlerts in a child
// process whose PATH has no prometheus: under a plain `go test` it skips,
// naming make test; with CHREPLICATION_REQUIRE_TOOLS set (make test sets
// it) it fails, so CI never skips it silently.
func TestPrometheusMissing(t *testing.T) {
	t.Parallel()
	if os.Getenv("CHREPLICATION_CHILD") != "" {
		t.Skip("the child process runs only the test it is asked for")
	}
	empty := t.TempDir()
	for _, tc := range []struct {
		name    string
		require bool
	}{{"plain go test", false}, {"make test", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestPrometheusScrapesAndAlerts$", "-test.v")
			env := []string{"PATH=" + empty, "CHREPLICATION_CHILD=1", "HOME=" + os.Getenv("HOME")}
			if tc.require {
				env = append(env, "CHREPLICATION_REQUIRE_TOOLS=1")
			}
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			require.Contains(t, string(out), "`make test`", "the message names make test")
			if tc.require {
				require.Error(t, err, "with CHREPLICATION_REQUIRE_TOOLS the test fails:\n%s", out)
				require.Contains(t, string(out), "--- FAIL: TestPrometheusScrapesAndAlerts")
			} else {
				require.NoError(t, err, "without it the test skips:\n%s", out)
				require.Contains(t, string(out), "--- SKIP: TestPrometheusScrapesAndAlerts")
			}
		})
	}
}
