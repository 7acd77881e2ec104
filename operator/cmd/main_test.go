package main

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/auth"
	"github.com/gaussdb-tools/chreplication/fake"
	"github.com/gaussdb-tools/chreplication/internal/otelenv"
	"github.com/gaussdb-tools/chreplication/internal/otelenv/otlptest"
)

// TestManagerExportsTraces: with OTEL_EXPORTER_OTLP_ENDPOINT in the
// manager's environment, its clients' calls are spans and metrics at the
// collector; without it, the options add nothing.
func TestManagerExportsTraces(t *testing.T) {
	srv, err := fake.NewServer()
	require.NoError(t, err)
	defer srv.Close()
	rcv := otlptest.NewReceiver(t)
	env := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.URL}
	tel, err := otelenv.Setup(t.Context(), func(k string) string { return env[k] }, "chreplication-operator")
	require.NoError(t, err)
	require.True(t, tel.Enabled())
	opts := append(clientOptions(5, tel), chreplication.WithProjectID(srv.ProjectID()), chreplication.WithAuth(auth.StaticToken(srv.Token())))
	c, err := chreplication.NewClient(srv.URL(), opts...)
	require.NoError(t, err)
	_, err = c.ListReplications(t.Context(), "54e42160670e48e789af7075e1efea1fin16", chreplication.ListOptions{})
	require.NoError(t, err)
	require.NoError(t, tel.Shutdown(context.Background()))
	spans, attrs, metrics, _ := rcv.Got()
	assert.Contains(t, spans, "ListClickHouseDataBaseReplication")
	assert.Contains(t, spans, "GET")
	assert.Contains(t, attrs, "rpc.method=ListClickHouseDataBaseReplication")
	assert.Contains(t, metrics, chreplication.MetricCallDuration)

	none, err := otelenv.Setup(t.Context(), func(string) string { return "" }, "chreplication-operator")
	require.NoError(t, err)
	assert.False(t, none.Enabled())
	assert.Len(t, clientOptions(0, none), 1, "the user agent only")
}
