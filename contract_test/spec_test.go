package contract_test

import (
	"encoding/json"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication/fake"
)

func TestSpecLoadsAndValidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		load func() (*openapi3.T, error)
	}{
		{"openapi.yaml", func() (*openapi3.T, error) { return openapi3.NewLoader().LoadFromFile("../openapi.yaml") }},
		{"fake.Spec", fake.Spec},
		{"fake.OpenAPI", func() (*openapi3.T, error) { return openapi3.NewLoader().LoadFromData(fake.OpenAPI()) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc, err := tt.load()
			require.NoError(t, err)
			// Validate also checks every example against its schema.
			require.NoError(t, doc.Validate(t.Context()))
			assert.Equal(t, "3.0.3", doc.OpenAPI)
			require.Len(t, doc.Paths.Map(), 9)
			for _, path := range doc.Paths.InMatchingOrder() {
				for method, op := range doc.Paths.Value(path).Operations() {
					require.NotNil(t, op.Responses.Status(200), "%s %s: 200", method, path)
					require.NotNil(t, op.Responses.Status(400), "%s %s: 400", method, path)
					require.NotNil(t, op.Responses.Status(500), "%s %s: 500", method, path)
					require.NotNil(t, op.Responses.Default(), "%s %s: default", method, path)
				}
			}
		})
	}
}

// TestSpecCarriesTheSeedExamples checks that the seed's example request
// and response are the spec's examples of CreateClickHouseDataBaseReplication.
func TestSpecCarriesTheSeedExamples(t *testing.T) {
	t.Parallel()
	doc, err := fake.Spec()
	require.NoError(t, err)
	op := doc.Paths.Find("/v3/{project_id}/instances/{instance_id}/clickhouse/replication").Post
	require.NotNil(t, op)
	assert.Equal(t, "CreateClickHouseDataBaseReplication", op.OperationID)

	reqExample, err := json.Marshal(op.RequestBody.Value.Content.Get("application/json").Example)
	require.NoError(t, err)
	assert.JSONEq(t, seedBody, string(reqExample))

	respExample, err := json.Marshal(op.Responses.Status(200).Value.Content.Get("application/json").Example)
	require.NoError(t, err)
	assert.JSONEq(t, `{"job_id":"`+seedJobID+`"}`, string(respExample))

	params := doc.Components.Parameters
	assert.Equal(t, seedProject, params["ProjectID"].Value.Example)
	assert.Equal(t, seedInstance, params["InstanceID"].Value.Example)
}
