package chreplication_test

import (
	"context"
	"fmt"
	"slices"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/auth"
)

// A client records a span per call, parent of a span per HTTP attempt,
// and the client.call.* metrics, with the providers it is given; in real
// use they are the application's own (exporting with OTLP, say).
func ExampleWithTracerProvider() {
	s := newFake()
	defer s.Close()
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	metrics := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(metrics))

	c, err := chreplication.NewClient(s.URL(),
		chreplication.WithProjectID(s.ProjectID()),
		chreplication.WithAuth(auth.StaticToken(s.Token())),
		chreplication.WithTracerProvider(tp),
		chreplication.WithMeterProvider(mp))
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = c.CreateReplication(context.Background(), "54e42160670e48e789af7075e1efea1fin16",
		chreplication.CreateReplicationRequest{SourceInstanceID: "ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07", SourceDatabase: "sales"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, sp := range spans.Ended() {
		fmt.Println("span", sp.Name())
	}
	var rm metricdata.ResourceMetrics
	if err := metrics.Collect(context.Background(), &rm); err != nil {
		fmt.Println(err)
		return
	}
	var names []string
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			names = append(names, m.Name)
		}
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Println("metric", n)
	}
	_ = tp.Shutdown(context.Background())
	_ = mp.Shutdown(context.Background())
	// Output:
	// span POST
	// span CreateClickHouseDataBaseReplication
	// metric client.call.attempts
	// metric client.call.duration
}
