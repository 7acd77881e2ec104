// Package otelenv sets up OpenTelemetry for the project's commands (the
// CLI, its exporter, the Terraform provider, the Kubernetes controller)
// from the standard OTEL_* environment: traces and metrics are exported
// with OTLP over HTTP (protobuf) when the environment asks for it, and
// nothing is exported otherwise. The library itself takes providers
// (chreplication.WithTracerProvider, WithMeterProvider) and never links
// the SDK; only commands import this package.
package otelenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"

	"github.com/gaussdb-tools/chreplication"
)

// Telemetry is what Setup made: the client options that record with it,
// and the shutdown that flushes what is left to export.
type Telemetry struct {
	tp *sdktrace.TracerProvider // nil: no traces exported
	mp *sdkmetric.MeterProvider // nil: no metrics exported
}

// Options are the client options that record spans and metrics with the
// providers Setup made (none when it made none).
func (t *Telemetry) Options() []chreplication.Option {
	var opts []chreplication.Option
	if t == nil {
		return nil
	}
	if t.tp != nil {
		opts = append(opts, chreplication.WithTracerProvider(t.tp))
	}
	if t.mp != nil {
		opts = append(opts, chreplication.WithMeterProvider(t.mp))
	}
	return opts
}

// Enabled reports whether anything is exported.
func (t *Telemetry) Enabled() bool { return t != nil && (t.tp != nil || t.mp != nil) }

// Shutdown exports what is left and stops the exporters; ctx bounds it.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	var errs []error
	if t.tp != nil {
		errs = append(errs, t.tp.Shutdown(ctx))
	}
	if t.mp != nil {
		errs = append(errs, t.mp.Shutdown(ctx))
	}
	return errors.Join(errs...)
}

// signal is what the environment says of traces or of metrics.
type signal struct {
	name     string // "traces" or "metrics"
	exporter string // OTEL_TRACES_EXPORTER or OTEL_METRICS_EXPORTER
	prefix   string // OTEL_EXPORTER_OTLP_TRACES_ or ..._METRICS_
	path     string // the OTLP/HTTP path: v1/traces or v1/metrics
}

var (
	traces  = signal{"traces", "OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_TRACES_", "v1/traces"}
	metrics = signal{"metrics", "OTEL_METRICS_EXPORTER", "OTEL_EXPORTER_OTLP_METRICS_", "v1/metrics"}
)

// otlpTarget is where a signal goes: the URL and the headers.
type otlpTarget struct {
	url     string
	headers map[string]string
}

// target reads the environment for s: nil when s is not exported. It is
// exported when its exporter variable says otlp, or when it is unset and
// an OTLP endpoint is (OTEL_EXPORTER_OTLP_ENDPOINT or the signal's own);
// "none" or neither exports nothing. Only OTLP over HTTP with protobuf is
// spoken; another exporter or protocol is an error naming the variable.
func target(getenv func(string) string, s signal) (*otlpTarget, error) {
	exp := strings.ToLower(strings.TrimSpace(getenv(s.exporter)))
	own := strings.TrimSpace(getenv(s.prefix + "ENDPOINT"))
	base := strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_ENDPOINT"))
	switch exp {
	case "none":
		return nil, nil
	case "":
		if own == "" && base == "" {
			return nil, nil
		}
	case "otlp":
	default:
		return nil, fmt.Errorf("%s=%q: only otlp (or none) is supported", s.exporter, exp)
	}
	for _, v := range []string{s.prefix + "PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		if p := strings.TrimSpace(getenv(v)); p != "" {
			if p != "http/protobuf" {
				return nil, fmt.Errorf("%s=%q: only http/protobuf is supported", v, p)
			}
			break
		}
	}
	t := &otlpTarget{}
	switch {
	case own != "":
		t.url = own // used as it is, as the specification says
	case base != "":
		t.url = strings.TrimRight(base, "/") + "/" + s.path
	default:
		t.url = "http://localhost:4318/" + s.path
	}
	u, err := url.Parse(t.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("the OTLP endpoint for %s is not an http or https URL", s.name)
	}
	if u.User != nil {
		return nil, fmt.Errorf("the OTLP endpoint for %s must not hold a user name or password: use OTEL_EXPORTER_OTLP_HEADERS", s.name)
	}
	headerVar := s.prefix + "HEADERS"
	raw := getenv(headerVar)
	if raw == "" {
		headerVar, raw = "OTEL_EXPORTER_OTLP_HEADERS", getenv("OTEL_EXPORTER_OTLP_HEADERS")
	}
	if t.headers, err = parseHeaders(raw); err != nil {
		return nil, fmt.Errorf("%s: %w", headerVar, err)
	}
	if u.Scheme == "http" && len(t.headers) > 0 && !loopback(u.Hostname()) {
		// The headers are how collectors take credentials.
		return nil, fmt.Errorf("%s would travel in clear text: the OTLP endpoint for %s is plain http to a host that is not loopback; use https", headerVar, s.name)
	}
	return t, nil
}

// parseHeaders reads "k1=v1,k2=v2" (values percent-encoded). Its errors
// never quote a value: the headers may hold credentials.
func parseHeaders(raw string) (map[string]string, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, nil
	}
	h := map[string]string{}
	for i, kv := range strings.Split(raw, ",") {
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("entry %d is not key=value", i+1)
		}
		dv, err := url.PathUnescape(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("the value of %q is not percent-encoded", k)
		}
		h[k] = dv
	}
	return h, nil
}

func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Setup reads the environment through getenv (os.Getenv in the commands)
// and makes the providers it asks for, naming the service service unless
// OTEL_SERVICE_NAME does. OTEL_SDK_DISABLED=true turns everything off. A
// Telemetry that exports nothing is returned when the environment asks for
// nothing; an error says which variable is wrong, and nothing is set up.
func Setup(ctx context.Context, getenv func(string) string, service string) (*Telemetry, error) {
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		return &Telemetry{}, nil
	}
	tt, err := target(getenv, traces)
	if err != nil {
		return nil, err
	}
	mt, err := target(getenv, metrics)
	if err != nil {
		return nil, err
	}
	if tt == nil && mt == nil {
		return &Telemetry{}, nil
	}
	name := strings.TrimSpace(getenv("OTEL_SERVICE_NAME"))
	if name == "" {
		name = service
	}
	res := resource.NewWithAttributes(semconv.SchemaURL, semconv.ServiceName(name), semconv.ServiceVersion(chreplication.Version))
	t := &Telemetry{}
	if tt != nil {
		exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(tt.url), otlptracehttp.WithHeaders(tt.headers))
		if err != nil {
			return nil, fmt.Errorf("the OTLP trace exporter: %w", err)
		}
		t.tp = sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	}
	if mt != nil {
		exp, err := otlpmetrichttp.New(ctx, otlpmetrichttp.WithEndpointURL(mt.url), otlpmetrichttp.WithHeaders(mt.headers))
		if err != nil {
			_ = t.Shutdown(ctx)
			return nil, fmt.Errorf("the OTLP metric exporter: %w", err)
		}
		t.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewPeriodicReader(exp)), sdkmetric.WithResource(res))
	}
	return t, nil
}
