package interop

import (
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/def"
	gaussdb "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/gaussdb/v3"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/gaussdb/v3/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// specPath is the contract the SDK's models are compared with.
const specPath = "../openapi.yaml"

// sdkOperations are the SDK's side of every operation of the API, by
// Huawei's operationId (which the spec keeps). TestSpecAgreesWithSDKModels
// compares those the spec has; an operation the spec has and this table
// lacks fails it. To add one: its GenReqDefFor function and its request and
// answer models, as the SDK's GaussDBClient method of that name takes and
// returns them.
var sdkOperations = []sdkOperation{
	{"CreateClickHouseDataBaseReplication", gaussdb.GenReqDefForCreateClickHouseDataBaseReplication,
		model.CreateClickHouseDataBaseReplicationRequest{}, model.CreateClickHouseDataBaseReplicationResponse{}},
	{"ListClickHouseDataBaseReplication", gaussdb.GenReqDefForListClickHouseDataBaseReplication,
		model.ListClickHouseDataBaseReplicationRequest{}, model.ListClickHouseDataBaseReplicationResponse{}},
	{"DeleteClickHouseDataBaseReplication", gaussdb.GenReqDefForDeleteClickHouseDataBaseReplication,
		model.DeleteClickHouseDataBaseReplicationRequest{}, model.DeleteClickHouseDataBaseReplicationResponse{}},
	{"ShowGaussMySqlJobInfo", gaussdb.GenReqDefForShowGaussMySqlJobInfo,
		model.ShowGaussMySqlJobInfoRequest{}, model.ShowGaussMySqlJobInfoResponse{}},
	{"ListClickHouseDataBase", gaussdb.GenReqDefForListClickHouseDataBase,
		model.ListClickHouseDataBaseRequest{}, model.ListClickHouseDataBaseResponse{}},
	{"ListClickHouseDataBaseParameter", gaussdb.GenReqDefForListClickHouseDataBaseParameter,
		model.ListClickHouseDataBaseParameterRequest{}, model.ListClickHouseDataBaseParameterResponse{}},
	{"CheckClickHouseDataBaseConfig", gaussdb.GenReqDefForCheckClickHouseDataBaseConfig,
		model.CheckClickHouseDataBaseConfigRequest{}, model.CheckClickHouseDataBaseConfigResponse{}},
	{"CheckClickHouseTableConfig", gaussdb.GenReqDefForCheckClickHouseTableConfig,
		model.CheckClickHouseTableConfigRequest{}, model.CheckClickHouseTableConfigResponse{}},
	{"ListClickHouseDataBaseReplicationConfig", gaussdb.GenReqDefForListClickHouseDataBaseReplicationConfig,
		model.ListClickHouseDataBaseReplicationConfigRequest{}, model.ListClickHouseDataBaseReplicationConfigResponse{}},
	{"UpdateClickHouseDataBaseConfig", gaussdb.GenReqDefForUpdateClickHouseDataBaseConfig,
		model.UpdateClickHouseDataBaseConfigRequest{}, model.UpdateClickHouseDataBaseConfigResponse{}},
	{"DeleteClickHouseDataBaseConfig", gaussdb.GenReqDefForDeleteClickHouseDataBaseConfig,
		model.DeleteClickHouseDataBaseConfigRequest{}, model.DeleteClickHouseDataBaseConfigResponse{}},
}

// coreOperations must be in the spec, so that the comparison never passes
// on an empty spec.
var coreOperations = []string{
	"CreateClickHouseDataBaseReplication",
	"ListClickHouseDataBaseReplication",
	"DeleteClickHouseDataBaseReplication",
	"ShowGaussMySqlJobInfo",
}

// TestSDKOperationTable checks each row of sdkOperations against the SDK
// itself: the client method of that name takes the row's request model and
// returns its answer model, which the request definition decodes into.
func TestSDKOperationTable(t *testing.T) {
	t.Parallel()
	client := reflect.TypeFor[*gaussdb.GaussDBClient]()
	seen := map[string]bool{}
	for _, op := range sdkOperations {
		assert.False(t, seen[op.OperationID], "%s is in the table twice", op.OperationID)
		seen[op.OperationID] = true
		m, ok := client.MethodByName(op.OperationID)
		if !assert.True(t, ok, "the SDK's client has no method %s", op.OperationID) {
			continue
		}
		// In(0) is the receiver.
		require.Equal(t, 2, m.Type.NumIn(), op.OperationID)
		assert.Equal(t, reflect.PointerTo(reflect.TypeOf(op.Request)), m.Type.In(1), "%s: request model", op.OperationID)
		assert.Equal(t, reflect.PointerTo(reflect.TypeOf(op.Response)), m.Type.Out(0), "%s: answer model", op.OperationID)
		assert.Equal(t, reflect.PointerTo(reflect.TypeOf(op.Response)), reflect.TypeOf(op.Def().Response), "%s: the definition's answer model", op.OperationID)
	}
}

// TestSpecAgreesWithSDKModels compares, for every operation of openapi.yaml,
// the method and path, the parameters, the request body and the 200 answer
// with the official SDK's request definition and models, field by field:
// JSON names (from the SDK's struct tags) and JSON types (string, integer
// and its format, number, boolean, object, array). A disagreement fails the
// test unless the spec marks it, with a reason, by x-sdk-difference on the
// property or parameter (or x-sdk-extra-fields on the object, for a field
// only the SDK has); a mark on something that agrees fails it too.
// Differences that decode either way (required or not) are logged.
func TestSpecAgreesWithSDKModels(t *testing.T) {
	t.Parallel()
	doc, err := openapi3.NewLoader().LoadFromFile(specPath)
	require.NoError(t, err, "loading %s", specPath)

	byID := map[string]sdkOperation{}
	for _, op := range sdkOperations {
		byID[op.OperationID] = op
	}
	var c comparison
	var compared []string
	for _, path := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(path)
		ops := item.Operations()
		for _, method := range sortedKeys(ops) {
			op := ops[method]
			sdk, ok := byID[op.OperationID]
			if !assert.True(t, ok, "the spec has %s (%s %s), which sdkOperations lacks: add the SDK's models to the table",
				op.OperationID, method, path) {
				continue
			}
			compareOperation(&c, path, method, op, item.Parameters, sdk)
			compared = append(compared, op.OperationID)
		}
	}
	for _, id := range coreOperations {
		assert.Contains(t, compared, id, "the spec lacks %s", id)
	}
	slices.Sort(compared)
	t.Logf("compared %d operations: %s", len(compared), strings.Join(compared, ", "))
	for _, op := range sdkOperations {
		if !slices.Contains(compared, op.OperationID) {
			t.Logf("not in the spec yet: %s", op.OperationID)
		}
	}
	for _, f := range c.known {
		t.Logf("known difference: %s", f)
	}
	for _, f := range c.notes {
		t.Logf("note: %s", f)
	}
	for _, f := range c.stale {
		t.Errorf("stale or empty mark: %s", f)
	}
	for _, f := range c.diffs {
		t.Errorf("spec and SDK disagree: %s", f)
	}
}

// TestCompareFindsDifferences runs the comparison on a small spec made to
// disagree with made-up models in every way it must catch.
func TestCompareFindsDifferences(t *testing.T) {
	t.Parallel()
	const spec = `
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /v3/{project_id}/things/{thing_id}:
    parameters:
      - {name: project_id, in: path, required: true, schema: {type: string}}
      - {name: thing_id, in: path, required: true, schema: {type: string}}
    post:
      operationId: MakeThing
      parameters:
        - {name: limit, in: query, schema: {type: string}}
        - {name: only_in_spec, in: query, schema: {type: string}}
        - {name: excused_param, in: query, x-sdk-difference: "named otherwise", schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              properties:
                name: {type: string}
                size: {type: integer, format: int64}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                type: object
                x-sdk-extra-fields: {excused_extra: "the SDK reads a field the service never sends"}
                properties:
                  count: {type: integer}
                  tags: {type: object, properties: {a: {type: string}}}
                  items: {type: array, items: {type: integer}}
                  percentage:
                    x-sdk-difference: "Huawei's example sends numbers"
                    anyOf: [{type: string}, {type: integer}]
                  agrees: {type: string, x-sdk-difference: "nothing"}
                  spec_only: {type: string}
                  nested:
                    type: object
                    properties:
                      deep: {type: boolean}
`
	type body struct {
		Name string `json:"name"`
		Size *int32 `json:"size,omitempty"` // int64 in the spec
	}
	type request struct {
		ThingID string  `json:"thing_id"`
		Limit   *int32  `json:"limit,omitempty"` // string in the spec
		Body    *body   `json:"body,omitempty"`
		Extra   *string `json:"extra,omitempty"` // not in the spec
	}
	type nested struct {
		Deep string `json:"deep"` // boolean in the spec
	}
	type response struct {
		Count          *string   `json:"count,omitempty"` // integer in the spec
		Tags           *[]string `json:"tags,omitempty"`  // object in the spec
		Items          *[]int32  `json:"items,omitempty"`
		Percentage     string    `json:"percentage"`
		Agrees         string    `json:"agrees"`
		Nested         *nested   `json:"nested,omitempty"`
		SDKOnly        string    `json:"sdk_only"`
		ExcusedExtra   string    `json:"excused_extra"`
		HTTPStatusCode int       `json:"-"` // the SDK names it HttpStatusCode
	}
	sdk := sdkOperation{
		OperationID: "MakeThing",
		Def: func() *def.HttpRequestDef {
			return def.NewHttpRequestDefBuilder().
				WithMethod(http.MethodPost).
				WithPath("/v3/{project_id}/things/{thing_id}").
				WithResponse(new(response)).
				WithContentType("application/json;charset=UTF-8").
				WithRequestField(def.NewFieldDef().WithName("ThingID").WithJsonTag("thing_id").WithLocationType(def.Path)).
				WithRequestField(def.NewFieldDef().WithName("Limit").WithJsonTag("limit").WithLocationType(def.Query)).
				WithRequestField(def.NewFieldDef().WithName("Extra").WithJsonTag("extra").WithLocationType(def.Query)).
				WithRequestField(def.NewFieldDef().WithName("Body").WithLocationType(def.Body)).
				Build()
		},
		Request:  request{},
		Response: response{},
	}
	doc, err := openapi3.NewLoader().LoadFromData([]byte(spec))
	require.NoError(t, err)
	path := "/v3/{project_id}/things/{thing_id}"
	item := doc.Paths.Value(path)
	var c comparison
	compareOperation(&c, path, http.MethodPost, item.Post, item.Parameters, sdk)

	wheres := func(fs []finding) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.where)
		}
		return out
	}
	assert.ElementsMatch(t, []string{
		"MakeThing: query parameter limit",        // string vs integer
		"MakeThing: query parameter extra",        // SDK only
		"MakeThing: query parameter only_in_spec", // spec only
		"MakeThing: request body.size",            // int64 vs int32
		"MakeThing: answer.count",                 // integer vs string
		"MakeThing: answer.tags",                  // object vs array
		"MakeThing: answer.nested.deep",           // boolean vs string
		"MakeThing: answer.spec_only",
		"MakeThing: answer.sdk_only",
	}, wheres(c.diffs), "diffs: %v", c.diffs)
	assert.ElementsMatch(t, []string{
		"MakeThing: query parameter excused_param",
		"MakeThing: answer.percentage",
		"MakeThing: answer.excused_extra",
	}, wheres(c.known), "known: %v", c.known)
	assert.Equal(t, []string{"MakeThing: answer.agrees"}, wheres(c.stale), "stale: %v", c.stale)
	assert.Contains(t, wheres(c.notes), "MakeThing: request body", "the media types differ")
}
