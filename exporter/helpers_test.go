package exporter_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/auth"
	"github.com/gaussdb-tools/chreplication/exporter"
	"github.com/gaussdb-tools/chreplication/fake"
)

const (
	instA = "54e42160670e48e789af7075e1efea1fin16"
	instB = "8a7b1d1e0e6e4f8c9b0f2a3c4d5e6f70in16"
	instC = "0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5fin16"
)

// opList is the operationId of the list every look sends.
const opList = "ListClickHouseDataBaseReplication"

// newFake starts a fake whose jobs move only when the test says so.
func newFake(t *testing.T, opts ...fake.Option) *fake.Server {
	t.Helper()
	s, err := fake.NewServer(append([]fake.Option{fake.WithJobMode(fake.JobsManual)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s
}

// newClient returns a client of s that sends through rc and does not retry.
func newClient(t *testing.T, s *fake.Server, rc *exporter.RequestCounter, opts ...chreplication.Option) *chreplication.Client {
	t.Helper()
	c, err := chreplication.NewClient(s.URL(), append([]chreplication.Option{
		chreplication.WithProjectID(s.ProjectID()),
		chreplication.WithAuth(auth.StaticToken(s.Token())),
		chreplication.WithHTTPClient(rc.Client()),
		chreplication.WithoutRetry(),
	}, opts...)...)
	require.NoError(t, err)
	return c
}

// series is a scrape: for each metric name, the value of each series by
// its labels written name="value",... in name order.
type series map[string]map[string]float64

// scrape GETs /metrics from h and parses the text exposition.
func scrape(t *testing.T, h http.Handler) series {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/metrics", nil))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(rec.Body)
	require.NoError(t, err)
	out := series{}
	for name, f := range families {
		out[name] = map[string]float64{}
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+`"`+l.GetValue()+`"`)
			}
			sort.Strings(labels)
			v := m.GetGauge().GetValue()
			if m.GetCounter() != nil {
				v = m.GetCounter().GetValue()
			}
			out[name][strings.Join(labels, ",")] = v
		}
	}
	return out
}

// keys returns the label sets of a metric, sorted.
func keys(m map[string]float64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// get GETs path from h and returns the status and body.
func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, path, nil))
	b, err := io.ReadAll(rec.Body)
	require.NoError(t, err)
	return rec.Code, string(b)
}

// fakeClock is a monitor.Clock whose time moves only when Sleep is called;
// onSleep, when set, runs after each Sleep with the time since the start.
type fakeClock struct {
	mu      sync.Mutex
	start   time.Time
	now     time.Time
	sleeps  []time.Duration
	onSleep func(elapsed time.Duration)
}

func newFakeClock() *fakeClock {
	t := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	return &fakeClock{start: t, now: t}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	if d > 0 {
		c.now = c.now.Add(d)
	}
	elapsed, hook := c.now.Sub(c.start), c.onSleep
	c.mu.Unlock()
	if hook != nil {
		hook(elapsed)
	}
	return ctx.Err()
}
