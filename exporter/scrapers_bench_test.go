package exporter_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/auth"
	"github.com/gaussdb-tools/chreplication/exporter"
	"github.com/gaussdb-tools/chreplication/fake"
	"github.com/gaussdb-tools/chreplication/monitor"
)

// BenchmarkScrapersDuringRefresh runs the exporter on 500 tasks with a
// refresh every second for 8 s while 0 or 20 scrapers GET /metrics back to
// back, and reports the longest time between two refreshes, as a ratio to
// the interval (refresh/interval): a refresh on schedule keeps it near 1;
// scrapes that delayed refreshes would raise it. A light scraper reads
// chreplication_last_refresh_timestamp_seconds every 50ms to see each
// refresh; the 20 others only fetch, as Prometheus servers would.
// make bench-exporter runs it; BENCHMARKS.md has its numbers.
func BenchmarkScrapersDuringRefresh(b *testing.B) {
	for _, scrapers := range []int{0, 20} {
		b.Run(map[int]string{0: "scrapers=0", 20: "scrapers=20"}[scrapers], func(b *testing.B) {
			for range b.N {
				b.ReportMetric(longestRefreshRatio(b, scrapers), "refresh/interval")
			}
		})
	}
}

func longestRefreshRatio(b *testing.B, scrapers int) float64 {
	const interval, run = time.Second, 8 * time.Second
	s, err := fake.NewServer()
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	s.AddReplications(instA, 500)
	c, err := chreplication.NewClient(s.URL(), chreplication.WithProjectID(s.ProjectID()), chreplication.WithAuth(auth.StaticToken(s.Token())))
	if err != nil {
		b.Fatal(err)
	}
	e, err := exporter.New([]monitor.Target{{Client: c, InstanceID: instA}}, exporter.WithRefreshInterval(interval))
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(b.Context(), run)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { _ = e.Run(ctx) })
	fetch := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		e.Handler().ServeHTTP(rec, httptest.NewRequestWithContext(ctx, http.MethodGet, "/metrics", nil))
		return rec
	}
	for range scrapers {
		wg.Go(func() {
			for ctx.Err() == nil {
				_ = fetch()
			}
		})
	}
	var seen []float64
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for ctx.Err() == nil {
		select {
		case <-tick.C:
		case <-ctx.Done():
			continue
		}
		p := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := p.TextToMetricFamilies(fetch().Body)
		if err != nil {
			continue
		}
		for _, m := range fams["chreplication_last_refresh_timestamp_seconds"].GetMetric() {
			if v := m.GetGauge().GetValue(); len(seen) == 0 || v != seen[len(seen)-1] {
				seen = append(seen, v)
			}
		}
	}
	wg.Wait()
	var longest float64
	for i := 1; i < len(seen); i++ {
		longest = max(longest, seen[i]-seen[i-1])
	}
	return longest / interval.Seconds()
}
