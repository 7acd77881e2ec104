package bench

import (
	"context"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/auth"
)

// discard is a span processor that keeps nothing: the spans are recorded
// (sampled, their attributes and events set), then dropped, so that the
// benchmark measures the client's instrumentation, not an exporter.
type discard struct{}

func (discard) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (discard) OnEnd(sdktrace.ReadOnlySpan)                     {}
func (discard) Shutdown(context.Context) error                  { return nil }
func (discard) ForceFlush(context.Context) error                { return nil }

// tracedFacade is the facade with a static token whose calls are recorded
// by an SDK tracer provider (every span sampled) and meter provider.
func tracedFacade(tb testing.TB) contender {
	tb.Helper()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()), sdktrace.WithSpanProcessor(discard{}))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	tb.Cleanup(func() { _ = tp.Shutdown(context.Background()); _ = mp.Shutdown(context.Background()) })
	c, err := newFacade("facade-traced", sharedServer().URL, auth.StaticToken(token), nil,
		chreplication.WithTracerProvider(tp), chreplication.WithMeterProvider(mp))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// BenchmarkTelemetry is the cost of tracing and metrics: a create of the
// facade with a recording tracer and meter provider (tracedFacade) against
// the same facade without them, on the shared loopback server.
//
//   - plain, traced: each alone, with its allocations;
//   - interleaved: the two one after the other in alternating order, the
//     ratio of their mean call times (traced/plain) as make bench reports
//     it.
//
// Without the options the client pays one nil check a call: the facade's
// own budgets (BenchmarkInterleaved, BenchmarkCreate) hold it.
func BenchmarkTelemetry(b *testing.B) {
	plain, traced := contenderNamed(b, nameFacadeToken), tracedFacade(b)
	ctx := context.Background()
	for _, c := range []contender{plain, traced} {
		if _, err := c.create(ctx); err != nil {
			b.Fatal(err)
		}
	}
	for _, c := range []contender{plain, traced} {
		name := "plain"
		if c.name != nameFacadeToken {
			name = "traced"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.create(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("interleaved", func(b *testing.B) {
		cs := [2]contender{plain, traced}
		var spent [2]time.Duration
		for i := 0; b.Loop(); i++ {
			for k := range 2 {
				j := (i + k) % 2
				start := time.Now()
				if _, err := cs[j].create(ctx); err != nil {
					b.Fatal(err)
				}
				spent[j] += time.Since(start)
			}
		}
		n := float64(b.N)
		b.ReportMetric(float64(spent[0])/n, "plain-ns/call")
		b.ReportMetric(float64(spent[1])/n, "traced-ns/call")
		b.ReportMetric(float64(spent[1])/float64(spent[0]), "traced/plain")
	})
}
