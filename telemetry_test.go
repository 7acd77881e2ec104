package chreplication_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/auth"
	"github.com/gaussdb-tools/chreplication/fake"
)

// traced is a client of a fake with an in-memory span recorder and metric
// reader; ak signs with AK/SK instead of the token.
func traced(t *testing.T, ak bool, opts ...chreplication.Option) (*fake.Server, *chreplication.Client, *tracetest.SpanRecorder, *sdkmetric.ManualReader) {
	t.Helper()
	s, err := fake.NewServer(fake.WithJobDuration(200*time.Millisecond), fake.WithJobVisibilityDelay(100*time.Millisecond))
	require.NoError(t, err)
	t.Cleanup(s.Close)
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()); _ = mp.Shutdown(context.Background()) })
	a := auth.StaticToken(s.Token())
	if ak {
		key, secret := s.AccessKey()
		a = auth.AKSK{AccessKey: key, SecretKey: secret}
	}
	all := append([]chreplication.Option{chreplication.WithProjectID(s.ProjectID()), chreplication.WithAuth(a),
		chreplication.WithTracerProvider(tp), chreplication.WithMeterProvider(mp),
		chreplication.WithRetry(chreplication.RetryPolicy{MaxAttempts: 3, BaseDelay: 10 * time.Millisecond, MaxDelay: 20 * time.Millisecond})}, opts...)
	c, err := chreplication.NewClient(s.URL(), all...)
	require.NoError(t, err)
	return s, c, rec, reader
}

func attrsOf(kv []attribute.KeyValue) map[string]string {
	m := map[string]string{}
	for _, a := range kv {
		m[string(a.Key)] = a.Value.String()
	}
	return m
}

// noSecret fails when any span's name, attribute, event or status holds
// one of secrets.
func noSecret(t *testing.T, spans []sdktrace.ReadOnlySpan, secrets ...string) {
	t.Helper()
	for _, sp := range spans {
		var b strings.Builder
		fmt.Fprintf(&b, "%s %s ", sp.Name(), sp.Status().Description)
		for _, a := range sp.Attributes() {
			fmt.Fprintf(&b, "%s=%s ", a.Key, a.Value.String())
		}
		for _, e := range sp.Events() {
			fmt.Fprintf(&b, "%s ", e.Name)
			for _, a := range e.Attributes {
				fmt.Fprintf(&b, "%s=%s ", a.Key, a.Value.String())
			}
		}
		for _, s := range secrets {
			if strings.Contains(b.String(), s) {
				t.Errorf("span %q holds a secret", sp.Name())
			}
		}
	}
}

// TestTracingCreate: a create is one span named by its operationId, with
// the rpc.* attributes, the instance and the job it started, parent of one
// HTTP client span with the semantic conventions' attributes; no trace
// header is sent; nothing secret is in any span.
func TestTracingCreate(t *testing.T) {
	t.Parallel()
	s, c, rec, _ := traced(t, true)
	jobID, err := c.CreateReplication(t.Context(), chInstance, chreplication.CreateReplicationRequest{SourceInstanceID: srcInstance, SourceDatabase: "shop"})
	require.NoError(t, err)

	spans := rec.Ended()
	require.Len(t, spans, 2)
	attempt, call := spans[0], spans[1]
	assert.Equal(t, "CreateClickHouseDataBaseReplication", call.Name())
	assert.Equal(t, "POST", attempt.Name())
	assert.Equal(t, call.SpanContext().SpanID(), attempt.Parent().SpanID(), "the attempt is the call's child")
	assert.False(t, call.Parent().IsValid(), "the call is a root span here")

	ca := attrsOf(call.Attributes())
	assert.Equal(t, "CreateClickHouseDataBaseReplication", ca["rpc.method"])
	assert.Equal(t, "GaussDB", ca["rpc.service"])
	assert.Equal(t, chInstance, ca["huaweicloud.gaussdb.instance_id"])
	assert.Equal(t, jobID, ca["huaweicloud.gaussdb.job_id"])
	assert.Equal(t, codes.Unset, call.Status().Code)

	aa := attrsOf(attempt.Attributes())
	assert.Equal(t, "POST", aa["http.request.method"])
	assert.Equal(t, "127.0.0.1", aa["server.address"])
	assert.Equal(t, s.URL()[strings.LastIndex(s.URL(), ":")+1:], aa["server.port"])
	assert.Equal(t, s.URL()+"/v3/"+s.ProjectID()+"/instances/"+chInstance+"/clickhouse/replication", aa["url.full"])
	assert.Equal(t, "200", aa["http.response.status_code"])
	assert.NotEmpty(t, aa["huaweicloud.request_id"])
	_, resent := aa["http.request.resend_count"]
	assert.False(t, resent, "a first attempt is no resend")

	for _, r := range s.Requests() {
		assert.Empty(t, r.Header.Get("Traceparent"), "no trace header unless asked")
	}
	key, secret := s.AccessKey()
	noSecret(t, spans, secret, key, s.Token())
}

// TestTracingRetryAndThrottle: a list answered 503 then 429 (the gateway,
// with its policy) and then 200 is one call span with three attempt spans,
// the later ones with http.request.resend_count, a "retry" and a
// "throttled" event; the metrics count three attempts, one throttle, one
// call ok. A call that fails ends with error.type the service's code.
func TestTracingRetryAndThrottle(t *testing.T) {
	t.Parallel()
	s, c, rec, reader := traced(t, false)
	s.InjectFault(fake.Fault{Operation: "ListClickHouseDataBaseReplication", Status: http.StatusServiceUnavailable})
	_, err := c.ListReplications(t.Context(), chInstance, chreplication.ListOptions{})
	require.NoError(t, err)
	s.InjectFault(fake.Fault{Operation: "ListClickHouseDataBaseReplication", Status: http.StatusTooManyRequests,
		Body: []byte(`{"error_code":"APIGW.0308","error_msg":"The request is throttled. Throttling policy: limit:1000,time:1 second"}`)})
	_, err = c.ListReplications(t.Context(), chInstance, chreplication.ListOptions{})
	require.NoError(t, err)

	spans := rec.Ended()
	var calls, attempts []sdktrace.ReadOnlySpan
	for _, sp := range spans {
		if sp.Name() == "GET" {
			attempts = append(attempts, sp)
		} else {
			calls = append(calls, sp)
		}
	}
	require.Len(t, calls, 2)
	require.Len(t, attempts, 4)
	for _, a := range attempts {
		assert.Equal(t, "ListClickHouseDataBaseReplication", nameOfParent(spans, a))
	}
	first, second := attrsOf(attempts[0].Attributes()), attrsOf(attempts[1].Attributes())
	assert.Equal(t, "503", first["http.response.status_code"])
	assert.Equal(t, "503", first["error.type"])
	assert.Equal(t, codes.Error, attempts[0].Status().Code)
	assert.Equal(t, "1", second["http.request.resend_count"])
	assert.Equal(t, "429", attrsOf(attempts[2].Attributes())["http.response.status_code"])
	assert.Equal(t, []string{"retry"}, eventNames(calls[0]))
	assert.Equal(t, []string{"throttled"}, eventNames(calls[1]))
	assert.Equal(t, "APIGW.0308", attrsOf(calls[1].Events()[0].Attributes)["huaweicloud.error_code"])

	// A call that fails: the service's code on the span and in the errors.
	_, err = c.DeleteReplication(t.Context(), chInstance, "nothing-here")
	require.Error(t, err)
	last := rec.Ended()[len(rec.Ended())-1]
	assert.Equal(t, "DeleteClickHouseDataBaseReplication", last.Name())
	assert.Equal(t, codes.Error, last.Status().Code)
	var apiErr *chreplication.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, apiErr.Code, attrsOf(last.Attributes())["error.type"])
	assert.Equal(t, apiErr.Code, attrsOf(last.Attributes())["huaweicloud.error_code"])

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(t.Context(), &rm))
	sums := map[string]int64{}
	var durations uint64
	for _, sm := range rm.ScopeMetrics {
		assert.Equal(t, "github.com/gaussdb-tools/chreplication", sm.Scope.Name)
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					method, _ := p.Attributes.Value("rpc.method")
					key := m.Name + " " + method.AsString()
					if et, ok := p.Attributes.Value("error.type"); ok {
						key += " " + et.AsString()
					}
					sums[key] += p.Value
				}
			case metricdata.Histogram[float64]:
				assert.Equal(t, chreplication.MetricCallDuration, m.Name)
				assert.Equal(t, "s", m.Unit)
				for _, p := range d.DataPoints {
					durations += p.Count
				}
			}
		}
	}
	assert.Equal(t, int64(4), sums["client.call.attempts ListClickHouseDataBaseReplication"])
	assert.Equal(t, int64(1), sums["client.call.throttles ListClickHouseDataBaseReplication"])
	assert.Equal(t, int64(1), sums["client.call.errors DeleteClickHouseDataBaseReplication "+apiErr.Code])
	assert.Equal(t, uint64(3), durations, "three calls")
	noSecret(t, rec.Ended(), s.Token())
}

// TestTracingWaitJob: WaitJob is one span over its looks, each a call span
// with its attempt; the job not shown yet is an event of the look.
func TestTracingWaitJob(t *testing.T) {
	t.Parallel()
	_, c, rec, _ := traced(t, false)
	jobID, err := c.CreateReplication(t.Context(), chInstance, chreplication.CreateReplicationRequest{SourceInstanceID: srcInstance, SourceDatabase: "shop"})
	require.NoError(t, err)
	job, err := c.WaitJob(t.Context(), jobID, chreplication.WithPollInterval(20*time.Millisecond, 50*time.Millisecond))
	require.NoError(t, err)
	require.Equal(t, chreplication.JobCompleted, job.Status)

	spans := rec.Ended()
	var wait sdktrace.ReadOnlySpan
	for _, sp := range spans {
		if sp.Name() == chreplication.SpanWaitJob {
			wait = sp
		}
	}
	require.NotNil(t, wait)
	assert.Equal(t, jobID, attrsOf(wait.Attributes())["huaweicloud.gaussdb.job_id"])
	assert.Equal(t, "Completed", attrsOf(wait.Attributes())["huaweicloud.gaussdb.job_status"])
	looks := 0
	for _, sp := range spans {
		if sp.Name() == "ShowGaussMySqlJobInfo" {
			looks++
			assert.Equal(t, wait.SpanContext().SpanID(), sp.Parent().SpanID(), "a look is a child of WaitJob")
			assert.Equal(t, jobID, attrsOf(sp.Attributes())["huaweicloud.gaussdb.job_id"])
		}
	}
	assert.GreaterOrEqual(t, looks, 2, "the job was not shown at the first look")
	assert.Contains(t, eventNames(wait), "job-not-visible", "the job not shown yet is an event of the wait")
}

// TestTracingPropagatorOnRequest: WithPropagator sends the trace context
// in the W3C header, the attempt span's.
func TestTracingPropagatorOnRequest(t *testing.T) {
	t.Parallel()
	s, c, rec, _ := traced(t, false, chreplication.WithPropagator(propagation.TraceContext{}))
	_, err := c.ListReplications(t.Context(), chInstance, chreplication.ListOptions{})
	require.NoError(t, err)
	reqs := s.Requests()
	require.Len(t, reqs, 1)
	tp := reqs[0].Header.Get("Traceparent")
	require.NotEmpty(t, tp)
	assert.Contains(t, tp, rec.Ended()[0].SpanContext().SpanID().String())
}

// TestNoTelemetryByDefault: a client without the options records nothing
// and sends no trace header (and a nil provider is no provider).
func TestNoTelemetryByDefault(t *testing.T) {
	t.Parallel()
	s, err := fake.NewServer()
	require.NoError(t, err)
	defer s.Close()
	c, err := chreplication.NewClient(s.URL(), chreplication.WithProjectID(s.ProjectID()), chreplication.WithAuth(auth.StaticToken(s.Token())),
		chreplication.WithTracerProvider(nil), chreplication.WithMeterProvider(nil), chreplication.WithPropagator(nil))
	require.NoError(t, err)
	_, err = c.ListReplications(t.Context(), chInstance, chreplication.ListOptions{})
	require.NoError(t, err)
	assert.Empty(t, s.Requests()[0].Header.Get("Traceparent"))
}

func eventNames(sp sdktrace.ReadOnlySpan) []string {
	var names []string
	for _, e := range sp.Events() {
		names = append(names, e.Name)
	}
	return names
}

func nameOfParent(spans []sdktrace.ReadOnlySpan, child sdktrace.ReadOnlySpan) string {
	for _, sp := range spans {
		if sp.SpanContext().SpanID() == child.Parent().SpanID() {
			return sp.Name()
		}
	}
	return ""
}

// TestTracingBusyInstance: a create refused by a busy instance (409) and
// sent again once the instance is free is one call span with an
// "instance-busy" event and two attempts.
func TestTracingBusyInstance(t *testing.T) {
	t.Parallel()
	// The first create's job runs until the second create is refused as
	// busy: then it ends, and the second is accepted when sent again.
	s, err := fake.NewServer(fake.WithJobMode(fake.JobsManual), fake.WithJobVisibilityDelay(0), fake.WithOneOperationPerInstance())
	require.NoError(t, err)
	t.Cleanup(s.Close)
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	c, err := chreplication.NewClient(s.URL(), chreplication.WithProjectID(s.ProjectID()), chreplication.WithAuth(auth.StaticToken(s.Token())),
		chreplication.WithTracerProvider(tp), chreplication.WithRetry(chreplication.RetryPolicy{BaseDelay: 10 * time.Millisecond, MaxDelay: 20 * time.Millisecond}),
		chreplication.WithEventHook(func(e chreplication.Event) {
			if e.Kind == chreplication.EventInstanceBusy {
				s.FinishJobs()
			}
		}))
	require.NoError(t, err)
	for _, db := range []string{"shop", "sales"} {
		_, err := c.CreateReplication(t.Context(), chInstance, chreplication.CreateReplicationRequest{SourceInstanceID: srcInstance, SourceDatabase: db})
		require.NoError(t, err)
	}
	spans := rec.Ended()
	second := spans[len(spans)-1]
	assert.Equal(t, "CreateClickHouseDataBaseReplication", second.Name())
	assert.Contains(t, eventNames(second), "instance-busy")
	attempts := 0
	for _, sp := range spans {
		if sp.Parent().SpanID() == second.SpanContext().SpanID() {
			attempts++
		}
	}
	assert.GreaterOrEqual(t, attempts, 2, "the busy answer and the accepted one")
}
