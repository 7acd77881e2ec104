package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/internal/otelenv"
	"github.com/gaussdb-tools/chreplication/internal/otelenv/otlptest"
)

// TestProviderExportsTraces: the options NewWith takes (main gives it
// those of the OTEL_* environment) reach every client the provider makes:
// its calls are spans and metrics at the collector.
func TestProviderExportsTraces(t *testing.T) {
	srv := accServer(t)
	rcv := otlptest.NewReceiver(t)
	otel := env{"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.URL}
	tel, err := otelenv.Setup(t.Context(), otel.get, "terraform-provider-chreplication")
	require.NoError(t, err)
	p := NewWith("test", tel.Options()...)().(*chProvider)
	p.getenv = env{"HW_AUTH_TOKEN": srv.Token(), "HW_PROJECT_ID": srv.ProjectID()}.get
	c, err := p.newClient(providerModel{Endpoint: types.StringValue(srv.URL())})
	require.NoError(t, err)
	_, err = c.ListReplications(t.Context(), "54e42160670e48e789af7075e1efea1fin16", chreplication.ListOptions{})
	require.NoError(t, err)
	require.NoError(t, tel.Shutdown(context.Background()))
	spans, attrs, metrics, _ := rcv.Got()
	assert.Contains(t, spans, "ListClickHouseDataBaseReplication")
	assert.Contains(t, attrs, "rpc.method=ListClickHouseDataBaseReplication")
	assert.Contains(t, metrics, chreplication.MetricCallAttempts)
}
