package chreplication

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// instrumentationName names the tracer and the meter of this package.
const instrumentationName = "github.com/gaussdb-tools/chreplication"

// Span and metric names (README "Tracing and metrics").
const (
	// SpanWaitJob is the span of one WaitJob call: its looks at the job
	// are its children.
	SpanWaitJob = "WaitJob"
	// MetricCallDuration is the histogram of the duration of each call, in
	// seconds, with the attributes rpc.method and outcome ("ok" or
	// "error").
	MetricCallDuration = "client.call.duration"
	// MetricCallAttempts counts the requests sent (each attempt of each
	// call), by rpc.method.
	MetricCallAttempts = "client.call.attempts"
	// MetricCallThrottles counts the answers 429 of the API gateway, by
	// rpc.method.
	MetricCallThrottles = "client.call.throttles"
	// MetricCallErrors counts the calls that ended in an error, by
	// rpc.method and error.type (the service's error code, such as
	// DBS.200001, or the kind of failure).
	MetricCallErrors = "client.call.errors"
)

// Attribute keys this package sets besides the semantic conventions'.
const (
	attrInstanceID = attribute.Key("huaweicloud.gaussdb.instance_id")
	attrJobID      = attribute.Key("huaweicloud.gaussdb.job_id")
	attrErrorCode  = attribute.Key("huaweicloud.error_code")
	attrRequestID  = attribute.Key("huaweicloud.request_id")
)

// telemetry is the client's OpenTelemetry instruments; nil when neither
// WithTracerProvider nor WithMeterProvider was given, so that a client
// without them pays one nil check a call.
type telemetry struct {
	tracer trace.Tracer                  // nil: no spans
	prop   propagation.TextMapPropagator // nil: no trace headers sent
	meter  bool                          // the instruments below are set

	duration  metric.Float64Histogram
	attempts  metric.Int64Counter
	throttles metric.Int64Counter
	errors    metric.Int64Counter

	sets sync.Map // *operation → *opSets: the attribute sets of its metrics, made once
}

// opSets are the attribute sets of an operation's metrics.
type opSets struct {
	method   metric.MeasurementOption // rpc.method
	ok, fail metric.MeasurementOption // rpc.method and outcome
}

func (t *telemetry) setsOf(op *operation) *opSets {
	if v, ok := t.sets.Load(op); ok {
		return v.(*opSets)
	}
	m := attribute.String("rpc.method", op.name)
	v, _ := t.sets.LoadOrStore(op, &opSets{
		method: metric.WithAttributeSet(attribute.NewSet(m)),
		ok:     metric.WithAttributeSet(attribute.NewSet(m, attribute.String("outcome", "ok"))),
		fail:   metric.WithAttributeSet(attribute.NewSet(m, attribute.String("outcome", "error"))),
	})
	return v.(*opSets)
}

// WithTracerProvider makes the client record spans with tp: one per
// operation (named by its operationId, such as
// CreateClickHouseDataBaseReplication, with rpc.* attributes, the instance
// and job IDs, the service's error code and request ID), parent of one
// HTTP client span per attempt (the semantic conventions' http.* and url.*
// attributes; credentials are never in them), with the waits the client
// chose as span events (throttled, instance-busy, rate-wait, retry,
// job-not-visible); WaitJob is one span (SpanWaitJob) over its looks.
// Without it (or with nil) the client records no span. No trace header is
// sent unless WithPropagator asks for it: the service does not read them.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *Client) error {
		if tp == nil {
			return nil
		}
		t := c.telemetry()
		t.tracer = tp.Tracer(instrumentationName, trace.WithInstrumentationVersion(Version))
		return nil
	}
}

// WithMeterProvider makes the client record metrics with mp:
// MetricCallDuration, MetricCallAttempts, MetricCallThrottles and
// MetricCallErrors. Without it (or with nil) the client records none.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *Client) error {
		if mp == nil {
			return nil
		}
		m := mp.Meter(instrumentationName, metric.WithInstrumentationVersion(Version))
		t := c.telemetry()
		var errs [4]error
		t.duration, errs[0] = m.Float64Histogram(MetricCallDuration, metric.WithUnit("s"),
			metric.WithDescription("Duration of each call of the client, all its attempts and waits included."))
		t.attempts, errs[1] = m.Int64Counter(MetricCallAttempts, metric.WithUnit("{attempt}"),
			metric.WithDescription("Requests sent: each attempt of each call."))
		t.throttles, errs[2] = m.Int64Counter(MetricCallThrottles, metric.WithUnit("{throttle}"),
			metric.WithDescription("Answers 429 of the API gateway."))
		t.errors, errs[3] = m.Int64Counter(MetricCallErrors, metric.WithUnit("{error}"),
			metric.WithDescription("Calls that ended in an error, by the service's error code or the kind of failure."))
		if err := errors.Join(errs[:]...); err != nil {
			return invalid("meterProvider", "cannot make the instruments: "+err.Error())
		}
		t.meter = true
		return nil
	}
}

// WithPropagator sends the trace context of each request in its headers,
// as p writes them (such as propagation.TraceContext{}). The service does
// not read them; a proxy of the caller's may. Without it no trace header
// is sent.
func WithPropagator(p propagation.TextMapPropagator) Option {
	return func(c *Client) error {
		if p != nil {
			c.telemetry().prop = p
		}
		return nil
	}
}

func (c *Client) telemetry() *telemetry {
	if c.tel == nil {
		c.tel = &telemetry{}
	}
	return c.tel
}

// startCall starts the span of one call of op (nil span when not
// tracing).
func (t *telemetry) startCall(ctx context.Context, op *operation) (context.Context, trace.Span) {
	if t.tracer == nil {
		return ctx, nil
	}
	attrs := []attribute.KeyValue{
		attribute.String("rpc.system", "huaweicloud-api"),
		attribute.String("rpc.service", "GaussDB"),
		attribute.String("rpc.method", op.name),
	}
	if id := jobOf(ctx); id != "" {
		attrs = append(attrs, attrJobID.String(id))
	}
	return t.tracer.Start(ctx, op.name, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
}

// endCall ends the span of a call and records its metrics: err is the
// call's outcome, body the answer's body (for the job ID it names).
func (t *telemetry) endCall(ctx context.Context, span trace.Span, op *operation, began time.Time, err error, body []byte) {
	if t.meter {
		sets := t.setsOf(op)
		if err == nil {
			t.duration.Record(ctx, time.Since(began).Seconds(), sets.ok)
		} else {
			t.duration.Record(ctx, time.Since(began).Seconds(), sets.fail)
			t.errors.Add(ctx, 1, metric.WithAttributes(attribute.String("rpc.method", op.name), attribute.String("error.type", errorType(err))))
		}
	}
	if span == nil {
		return
	}
	if id := jobIDOf(body); id != "" {
		span.SetAttributes(attrJobID.String(id))
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		if apiErr.Code != "" {
			span.SetAttributes(attrErrorCode.String(apiErr.Code))
		}
		if apiErr.RequestID != "" {
			span.SetAttributes(attrRequestID.String(apiErr.RequestID))
		}
	}
	if err != nil {
		span.SetAttributes(attribute.String("error.type", errorType(err)))
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// jobIDOf returns the job_id a successful answer names, or "": the
// answers of create, delete and the scope change are small objects with
// it at the top.
func jobIDOf(body []byte) string {
	if len(body) > 4096 {
		return ""
	}
	i := bytes.Index(body, []byte(`"job_id"`))
	if i < 0 {
		return ""
	}
	rest := bytes.TrimLeft(body[i+len(`"job_id"`):], " \t\r\n")
	if len(rest) == 0 || rest[0] != ':' {
		return ""
	}
	rest = bytes.TrimLeft(rest[1:], " \t\r\n")
	if len(rest) == 0 || rest[0] != '"' {
		return ""
	}
	end := bytes.IndexByte(rest[1:], '"')
	if end < 0 {
		return ""
	}
	return clean(string(rest[1 : 1+end]))
}

// errorType names the kind of a call's failure: the service's error code
// (or the HTTP status when the answer had none), the context's end, an
// unusable answer, or a failure of the network.
func errorType(err error) string {
	var apiErr *APIError
	switch {
	case errors.As(err, &apiErr) && apiErr.Code != "":
		return apiErr.Code
	case errors.As(err, &apiErr):
		return strconv.Itoa(apiErr.StatusCode)
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline_exceeded"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, ErrInvalidResponse):
		return "invalid_response"
	case errors.Is(err, ErrInvalidRequest):
		return "invalid_request"
	}
	return "network"
}

// startAttempt starts the HTTP client span of attempt n of a call (nil
// when not tracing) and, with a propagator, writes the trace context into
// r's headers. It returns the request to send (r).
func (t *telemetry) startAttempt(ctx context.Context, r *http.Request, op *operation, n int) (*http.Request, trace.Span) {
	if t.meter {
		t.attempts.Add(ctx, 1, t.setsOf(op).method)
	}
	if t.tracer == nil {
		return r, nil
	}
	host, port := r.URL.Hostname(), r.URL.Port()
	if port == "" {
		port = "443"
		if r.URL.Scheme == "http" {
			port = "80"
		}
	}
	full := r.URL
	if full.User != nil { // never: NewClient refuses an endpoint with one
		u := *full
		u.User = nil
		full = &u
	}
	attrs := make([]attribute.KeyValue, 0, 8)
	attrs = append(attrs,
		attribute.String("http.request.method", r.Method),
		attribute.String("server.address", host),
		attribute.String("url.full", full.String()))
	if p, err := strconv.Atoi(port); err == nil {
		attrs = append(attrs, attribute.Int("server.port", p))
	}
	if n > 1 {
		attrs = append(attrs, attribute.Int("http.request.resend_count", n-1))
	}
	if id := instanceOf(r.URL.Path); id != "" {
		attrs = append(attrs, attrInstanceID.String(id))
		trace.SpanFromContext(ctx).SetAttributes(attrInstanceID.String(id))
	}
	ctx, span := t.tracer.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	if t.prop != nil {
		t.prop.Inject(ctx, propagation.HeaderCarrier(r.Header))
	}
	// r keeps its context: the attempt's span is ended here, and what the
	// transport does needs only the call's deadline.
	return r, span
}

// endAttempt ends an attempt's span with its answer or error.
func (t *telemetry) endAttempt(ctx context.Context, span trace.Span, op *operation, resp *http.Response, err error) {
	if t.meter && err == nil && resp.StatusCode == http.StatusTooManyRequests {
		t.throttles.Add(ctx, 1, t.setsOf(op).method)
	}
	if span == nil {
		return
	}
	switch {
	case err != nil:
		kind := "network"
		var netErr net.Error
		if errors.As(err, &netErr) && netErr.Timeout() {
			kind = "timeout"
		}
		span.SetAttributes(attribute.String("error.type", kind))
		span.SetStatus(codes.Error, kind)
	default:
		span.SetAttributes(attribute.Int("http.response.status_code", resp.StatusCode))
		if id := resp.Header.Get("X-Request-Id"); id != "" {
			span.SetAttributes(attrRequestID.String(clean(id)))
		}
		if resp.StatusCode >= 400 {
			span.SetAttributes(attribute.String("error.type", strconv.Itoa(resp.StatusCode)))
			span.SetStatus(codes.Error, "")
		}
	}
	span.End()
}

// instanceOf returns the instance ID of an API path
// (/v3/{project}/instances/{instance}/...), or "".
func instanceOf(path string) string {
	_, rest, ok := strings.Cut(path, "/instances/")
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, "/")
	return id
}

// event adds e to the span of the call ctx belongs to.
func (t *telemetry) event(ctx context.Context, e Event) {
	if t.tracer == nil {
		return
	}
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	attrs := []attribute.KeyValue{
		attribute.Int("attempt", e.Attempt),
		attribute.Float64("delay_seconds", e.Delay.Seconds()),
	}
	if e.Err != nil {
		if e.Err.Code != "" {
			attrs = append(attrs, attrErrorCode.String(e.Err.Code))
		}
		attrs = append(attrs, attribute.Int("http.response.status_code", e.Err.StatusCode))
	}
	span.AddEvent(e.Kind.String(), trace.WithAttributes(attrs...))
}

// retried adds a "retry" event to the call's span: the attempt that
// failed and the delay before the next.
func (t *telemetry) retried(ctx context.Context, attempt int, delay time.Duration, status int) {
	if t.tracer == nil {
		return
	}
	attrs := []attribute.KeyValue{attribute.Int("attempt", attempt), attribute.Float64("delay_seconds", delay.Seconds())}
	if status != 0 {
		attrs = append(attrs, attribute.Int("http.response.status_code", status))
	}
	trace.SpanFromContext(ctx).AddEvent("retry", trace.WithAttributes(attrs...))
}
