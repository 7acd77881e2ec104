package fake_test

import (
	"encoding/json"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication/fake"
)

func TestSpecIsOpenAPIYAML(t *testing.T) {
	t.Parallel()
	embedded, err := fake.Spec()
	require.NoError(t, err)
	require.NoError(t, embedded.Validate(t.Context()))

	file, err := openapi3.NewLoader().LoadFromFile("../openapi.yaml")
	require.NoError(t, err)
	want, err := json.Marshal(file)
	require.NoError(t, err)
	got, err := json.Marshal(embedded)
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(got), "the embedded spec is out of date: run go generate ./...")

	var ids []string
	for _, path := range embedded.Paths.InMatchingOrder() {
		for _, op := range embedded.Paths.Value(path).Operations() {
			ids = append(ids, op.OperationID)
		}
	}
	assert.ElementsMatch(t, []string{
		"CreateClickHouseDataBaseReplication", "ListClickHouseDataBaseReplication",
		"DeleteClickHouseDataBaseReplication", "ShowGaussMySqlJobInfo",
		"ListClickHouseDataBase", "ListClickHouseDataBaseParameter",
		"CheckClickHouseDataBaseConfig", "CheckClickHouseTableConfig",
		"ListClickHouseDataBaseReplicationConfig", "UpdateClickHouseDataBaseConfig",
		"DeleteClickHouseDataBaseConfig",
	}, ids, "the spec's own operationIds, not the Go names")
}

func TestOpenAPI(t *testing.T) {
	t.Parallel()
	b := fake.OpenAPI()
	require.True(t, json.Valid(b))
	doc, err := openapi3.NewLoader().LoadFromData(b)
	require.NoError(t, err)
	assert.Equal(t, "3.0.3", doc.OpenAPI)
	b[0] = 'x' // the caller owns its copy
	assert.True(t, json.Valid(fake.OpenAPI()))

	// Spec returns a fresh document each time.
	d1, err := fake.Spec()
	require.NoError(t, err)
	d1.Info.Title = "changed"
	d2, err := fake.Spec()
	require.NoError(t, err)
	assert.NotEqual(t, "changed", d2.Info.Title)
}
