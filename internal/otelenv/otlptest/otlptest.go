// Package otlptest is an OTLP/HTTP receiver for the tests of the commands
// that export traces and metrics (otelenv): it decodes the protobuf
// payloads as a collector would.
package otlptest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// Receiver is an OTLP/HTTP receiver on loopback, for tests: it decodes the
// protobuf payloads of /v1/traces and /v1/metrics and keeps what came,
// and the headers of the requests.
type Receiver struct {
	*httptest.Server
	mu      sync.Mutex
	spans   []string // span names
	attrs   []string // "key=value" of every span attribute
	metrics []string // metric names
	headers []http.Header
}

// NewReceiver starts a receiver, stopped when t ends.
func NewReceiver(t testing.TB) *Receiver {
	t.Helper()
	r := &Receiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		if err != nil || req.Header.Get("Content-Type") != "application/x-protobuf" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		r.headers = append(r.headers, req.Header.Clone())
		switch req.URL.Path {
		case "/v1/traces":
			var m coltracepb.ExportTraceServiceRequest
			if err := proto.Unmarshal(body, &m); err != nil {
				http.Error(w, "bad protobuf", http.StatusBadRequest)
				return
			}
			for _, rs := range m.ResourceSpans {
				for _, ss := range rs.ScopeSpans {
					for _, sp := range ss.Spans {
						r.spans = append(r.spans, sp.Name)
						for _, a := range sp.Attributes {
							r.attrs = append(r.attrs, a.Key+"="+a.Value.GetStringValue())
						}
					}
				}
			}
			out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
			w.Header().Set("Content-Type", "application/x-protobuf")
			_, _ = w.Write(out)
		case "/v1/metrics":
			var m colmetricpb.ExportMetricsServiceRequest
			if err := proto.Unmarshal(body, &m); err != nil {
				http.Error(w, "bad protobuf", http.StatusBadRequest)
				return
			}
			for _, rm := range m.ResourceMetrics {
				for _, sm := range rm.ScopeMetrics {
					for _, mt := range sm.Metrics {
						r.metrics = append(r.metrics, mt.Name)
					}
				}
			}
			out, _ := proto.Marshal(&colmetricpb.ExportMetricsServiceResponse{})
			w.Header().Set("Content-Type", "application/x-protobuf")
			_, _ = w.Write(out)
		default:
			http.NotFound(w, req)
		}
	}))
	t.Cleanup(r.Close)
	return r
}

// Got returns the names of the spans received, their string attributes
// as "key=value", the names of the metrics and the requests' headers.
func (r *Receiver) Got() (spans, attrs, metrics []string, headers []http.Header) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.spans...), append([]string(nil), r.attrs...), append([]string(nil), r.metrics...), append([]http.Header(nil), r.headers...)
}
