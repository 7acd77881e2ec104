package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// otlpReceiver is an OTLP/HTTP receiver on loopback: it decodes the
// protobuf payloads of /v1/traces and /v1/metrics and keeps what came,
// and the headers of the requests.
type otlpReceiver struct {
	*httptest.Server
	mu      sync.Mutex
	spans   []string // span names
	attrs   []string // "key=value" of every span attribute
	metrics []string // metric names
	headers []http.Header
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	t.Helper()
	r := &otlpReceiver{}
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

func (r *otlpReceiver) got() (spans, attrs, metrics []string, headers []http.Header) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.spans...), append([]string(nil), r.attrs...), append([]string(nil), r.metrics...), append([]http.Header(nil), r.headers...)
}

// TestCLIExportsTracesAndMetrics: with OTEL_EXPORTER_OTLP_ENDPOINT set,
// create --wait exports the spans of its calls (the create, WaitJob and
// its looks, the HTTP attempts) and the client's metrics to the OTLP/HTTP
// receiver before it exits, with the headers of OTEL_EXPORTER_OTLP_HEADERS;
// no secret is in what it sent.
func TestCLIExportsTracesAndMetrics(t *testing.T) {
	s := newFake(t)
	rcv := newOTLPReceiver(t)
	env := with(tokenEnv(s), "OTEL_EXPORTER_OTLP_ENDPOINT", rcv.URL, "OTEL_EXPORTER_OTLP_HEADERS", "x-collector-key=k%20v")
	r := runCLI(t, env, "create", "--instance-id", instanceID, "--source-instance-id", sourceInstanceID, "--source-database", "shop", "--wait")
	require.Equal(t, 0, r.code, r.stderr)

	spans, attrs, metrics, headers := rcv.got()
	assert.Contains(t, spans, "CreateClickHouseDataBaseReplication")
	assert.Contains(t, spans, "WaitJob")
	assert.Contains(t, spans, "ShowGaussMySqlJobInfo")
	assert.Contains(t, spans, "POST")
	assert.Contains(t, attrs, "rpc.method=CreateClickHouseDataBaseReplication")
	assert.Contains(t, attrs, "huaweicloud.gaussdb.instance_id="+instanceID)
	assert.Contains(t, metrics, "client.call.duration")
	assert.Contains(t, metrics, "client.call.attempts")
	require.NotEmpty(t, headers)
	for _, h := range headers {
		assert.Equal(t, "k v", h.Get("X-Collector-Key"), "OTEL_EXPORTER_OTLP_HEADERS, decoded")
	}
	assertNoSecrets(t, strings.Join(spans, " "), strings.Join(attrs, " "))
	for _, req := range s.Requests() {
		assert.Empty(t, req.Header.Get("Traceparent"), "the service gets no trace header")
	}
}

// TestCLIExportsNothingUnlessAsked: without OTEL_* variables, or with
// OTEL_TRACES_EXPORTER and OTEL_METRICS_EXPORTER none, nothing reaches the
// receiver; a protocol or exporter the CLI does not speak is a usage error
// naming the variable, and nothing is sent to the service.
func TestCLIExportsNothingUnlessAsked(t *testing.T) {
	s := newFake(t)
	rcv := newOTLPReceiver(t)
	args := []string{"list", "--instance-id", instanceID}
	require.Equal(t, 0, runCLI(t, tokenEnv(s), args...).code)
	r := runCLI(t, with(tokenEnv(s), "OTEL_EXPORTER_OTLP_ENDPOINT", rcv.URL, "OTEL_TRACES_EXPORTER", "none", "OTEL_METRICS_EXPORTER", "none"), args...)
	require.Equal(t, 0, r.code, r.stderr)
	spans, _, metrics, _ := rcv.got()
	assert.Empty(t, spans)
	assert.Empty(t, metrics)

	sent := len(s.Requests())
	for _, bad := range [][2]string{
		{"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"},
		{"OTEL_TRACES_EXPORTER", "zipkin"},
	} {
		r := runCLI(t, with(tokenEnv(s), "OTEL_EXPORTER_OTLP_ENDPOINT", rcv.URL, bad[0], bad[1]), args...)
		assert.Equal(t, exitUsage, r.code)
		assert.Contains(t, r.stderr, bad[0])
	}
	// Headers (a collector's credentials) never go in clear text to a
	// remote host, and the error does not quote them.
	r = runCLI(t, with(tokenEnv(s), "OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector.example:4318", "OTEL_EXPORTER_OTLP_HEADERS", "api-key=hunter2"), args...)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "OTEL_EXPORTER_OTLP_HEADERS would travel in clear text")
	assert.NotContains(t, r.stderr, "hunter2")
	assert.Equal(t, sent, len(s.Requests()), "nothing sent to the service")
}
