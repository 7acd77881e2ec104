package exporter_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication/exporter"
)

func TestOperation(t *testing.T) {
	t.Parallel()
	const p = "/v3/23a50154cf494ec9ad6883979a12db0a/instances/" + instA
	tests := []struct{ method, path, want string }{
		{"POST", p + "/clickhouse/replication", "CreateClickHouseDataBaseReplication"},
		{"GET", p + "/clickhouse/replication", "ListClickHouseDataBaseReplication"},
		{"GET", "/base/path" + p + "/clickhouse/replication", "ListClickHouseDataBaseReplication"},
		{"DELETE", p + "/clickhouse/replication/shop", "DeleteClickHouseDataBaseReplication"},
		{"DELETE", p + "/clickhouse/replication/v3", "DeleteClickHouseDataBaseReplication"},
		{"DELETE", p + "/clickhouse/replication/my%20db", "DeleteClickHouseDataBaseReplication"},
		{"GET", "/v3/23a50154cf494ec9ad6883979a12db0a/jobs", "ShowGaussMySqlJobInfo"},
		{"GET", p + "/clickhouse/databases", "ListClickHouseDataBase"},
		{"GET", p + "/clickhouse/replication/database-parameter", "ListClickHouseDataBaseParameter"},
		{"POST", p + "/clickhouse/replication/database-check", "CheckClickHouseDataBaseConfig"},
		{"POST", p + "/clickhouse/replication/table-check", "CheckClickHouseTableConfig"},
		{"GET", p + "/clickhouse/replication/config", "ListClickHouseDataBaseReplicationConfig"},
		{"PUT", p + "/clickhouse/databases/replication/config", "UpdateClickHouseDataBaseConfig"},
		{"DELETE", p + "/clickhouse/databases/replication/config", "DeleteClickHouseDataBaseConfig"},
		{"POST", "/v3/auth/tokens", "KeystoneCreateUserTokenByPassword"},
		{"GET", "/v3/auth/tokens", "other"},
		{"PATCH", p + "/clickhouse/replication", "other"},
		{"GET", p + "//clickhouse/replication", "other"},
		{"GET", "/metrics", "other"},
		{"GET", "/v3/", "other"},
		{"GET", "", "other"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, exporter.Operation(tt.method, tt.path), "%s %s", tt.method, tt.path)
	}
}

type failingTransport struct{}

func (failingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("connection refused")
}

func TestRequestCounterCountsNoAnswer(t *testing.T) {
	t.Parallel()
	rc := exporter.NewRequestCounter(failingTransport{})
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://127.0.0.1:1/v3/p/jobs?id=1", nil)
	require.NoError(t, err)
	resp, err := rc.Client().Do(req) //nolint:bodyclose // no answer
	require.Error(t, err)
	assert.Nil(t, resp)
	require.NoError(t, testutil.CollectAndCompare(rc, strings.NewReader(`
# HELP chreplication_api_requests_total Requests sent to the GaussDB(for MySQL) API, every attempt included, by operation and HTTP status ("error": no answer).
# TYPE chreplication_api_requests_total counter
chreplication_api_requests_total{code="error",operation="ShowGaussMySqlJobInfo"} 1
`)))
}
