package fake

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/getkin/kin-openapi/routers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDocumentedCodes pins the codes that GaussDB(for MySQL)'s published
// error code table documents for the fake's cases.
func TestDocumentedCodes(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "DBS.200001", CodeInvalidParameter, "400 Parameter error.")
	assert.Equal(t, "DBS.200019", CodeInstanceBusy, "409 Another operation is being performed on the DB instance")
	assert.Equal(t, "DBS.200543", CodeJobNotFound, "400 The job does not exist.")
	assert.Equal(t, "DBS.200005", CodeInternal, "500 Server failure.")
	assert.NotEqual(t, CodeInvalidParameter, CodeInternal, "a 500 must not answer the parameter error's code")
}

// TestInternalError checks the answer when the fake cannot encode its own
// answer: 500 with CodeInternal.
func TestInternalError(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	writeJSON(rec, http.StatusOK, map[string]any{"unencodable": make(chan int)})
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	var e ErrorResponse
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &e), "body %q", rec.Body.String())
	assert.Equal(t, CodeInternal, e.ErrorCode)
	assert.NotEmpty(t, e.ErrorMsg)
}

// TestStartsJob checks which operations WithOneOperationPerInstance treats
// as writes: those that answer a job_id, never a GET.
func TestStartsJob(t *testing.T) {
	t.Parallel()
	doc, err := Spec()
	require.NoError(t, err)
	want := map[string]bool{
		"CreateClickHouseDataBaseReplication":     true,
		"DeleteClickHouseDataBaseReplication":     true,
		"ListClickHouseDataBaseReplication":       false,
		"ShowGaussMySqlJobInfo":                   false,
		"UpdateClickHouseDataBaseConfig":          true,
		"DeleteClickHouseDataBaseConfig":          true,
		"ListClickHouseDataBase":                  false,
		"ListClickHouseDataBaseParameter":         false,
		"CheckClickHouseDataBaseConfig":           false,
		"CheckClickHouseTableConfig":              false,
		"ListClickHouseDataBaseReplicationConfig": false,
	}
	seen := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			got := startsJob(&routers.Route{Method: method, Operation: op})
			if method == http.MethodGet {
				assert.False(t, got, "%s %s: a read", method, path)
			}
			if w, ok := want[op.OperationID]; ok {
				assert.Equal(t, w, got, op.OperationID)
				seen[op.OperationID] = true
			}
		}
	}
	assert.Len(t, seen, len(want), "every operation above is in the spec")

	// The write that stops a scope change is accepted while the instance
	// runs that scope change.
	del := doc.Paths.Find("/v3/{project_id}/instances/{instance_id}/clickhouse/replication/{database_name}").Delete
	require.NotNil(t, del)
	cancel := *del
	cancel.OperationID = "DeleteClickHouseDataBaseConfig"
	assert.True(t, startsJob(&routers.Route{Method: http.MethodDelete, Operation: &cancel}))
	assert.False(t, refusedWhenBusy(&routers.Route{Method: http.MethodDelete, Operation: &cancel}))
	assert.True(t, refusedWhenBusy(&routers.Route{Method: http.MethodDelete, Operation: del}))
}
