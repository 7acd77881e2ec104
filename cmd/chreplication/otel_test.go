package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication/internal/otelenv/otlptest"
)

// TestCLIExportsTracesAndMetrics: with OTEL_EXPORTER_OTLP_ENDPOINT set,
// create --wait exports the spans of its calls (the create, WaitJob and
// its looks, the HTTP attempts) and the client's metrics to the OTLP/HTTP
// receiver before it exits, with the headers of OTEL_EXPORTER_OTLP_HEADERS;
// no secret is in what it sent.
func TestCLIExportsTracesAndMetrics(t *testing.T) {
	s := newFake(t)
	rcv := otlptest.NewReceiver(t)
	env := with(tokenEnv(s), "OTEL_EXPORTER_OTLP_ENDPOINT", rcv.URL, "OTEL_EXPORTER_OTLP_HEADERS", "x-collector-key=k%20v")
	r := runCLI(t, env, "create", "--instance-id", instanceID, "--source-instance-id", sourceInstanceID, "--source-database", "shop", "--wait")
	require.Equal(t, 0, r.code, r.stderr)

	spans, attrs, metrics, headers := rcv.Got()
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
	rcv := otlptest.NewReceiver(t)
	args := []string{"list", "--instance-id", instanceID}
	require.Equal(t, 0, runCLI(t, tokenEnv(s), args...).code)
	r := runCLI(t, with(tokenEnv(s), "OTEL_EXPORTER_OTLP_ENDPOINT", rcv.URL, "OTEL_TRACES_EXPORTER", "none", "OTEL_METRICS_EXPORTER", "none"), args...)
	require.Equal(t, 0, r.code, r.stderr)
	spans, _, metrics, _ := rcv.Got()
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

// TestExporterExportsTraces: the exporter's looks at the instances are
// spans at the collector too (the OTEL_* environment reaches its clients).
func TestExporterExportsTraces(t *testing.T) {
	s := newFake(t)
	rcv := otlptest.NewReceiver(t)
	env := with(tokenEnv(s), "OTEL_EXPORTER_OTLP_ENDPOINT", rcv.URL)
	r := runCLI(t, env, "exporter", "--listen", "127.0.0.1:0", "--instance-id", instanceID, "--refresh", "50ms", "--timeout", "500ms")
	require.Equal(t, exitOK, r.code, r.stderr)
	spans, attrs, _, _ := rcv.Got()
	assert.Contains(t, spans, "ListClickHouseDataBaseReplication")
	assert.Contains(t, attrs, "huaweicloud.gaussdb.instance_id="+instanceID)
}
