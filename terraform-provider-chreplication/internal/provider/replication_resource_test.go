package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/auth"
	"github.com/gaussdb-tools/chreplication/fake"
)

// readOnce runs the resource's Read on a state holding the task of
// database, against srv.
func readOnce(t *testing.T, srv *fake.Server, database string) (*replicationModel, diag.Diagnostics) {
	t.Helper()
	ctx := t.Context()
	c, err := chreplication.NewClient(srv.URL(), chreplication.WithProjectID(srv.ProjectID()), chreplication.WithAuth(auth.StaticToken(srv.Token())))
	require.NoError(t, err)
	r := &replicationResource{data: &clientData{client: c}}
	var sresp resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &sresp)
	sch := sresp.Schema
	state := tfsdk.State{Schema: sch, Raw: tftypes.NewValue(sch.Type().TerraformType(ctx), nil)}
	require.False(t, state.SetAttribute(ctx, path.Root("instance_id"), accInstance).HasError())
	require.False(t, state.SetAttribute(ctx, path.Root("database"), database).HasError())
	resp := resource.ReadResponse{State: state}
	r.Read(ctx, resource.ReadRequest{State: state}, &resp)
	if resp.State.Raw.IsNull() {
		return nil, resp.Diagnostics
	}
	var m replicationModel
	require.False(t, resp.State.Get(ctx, &m).HasError())
	return &m, resp.Diagnostics
}

func TestReadAbnormalWarns(t *testing.T) {
	t.Parallel()
	srv := accServer(t)
	require.NoError(t, srv.AddReplication(accInstance, "sales"))
	require.NoError(t, srv.AddReplication(accInstance, "shop"))
	require.NoError(t, srv.SetReplicationState(accInstance, "sales",
		fake.ReplicationState{Status: fake.StatusAbnormal, Stage: fake.StageFull, CatchupStage: fake.StageFailed, Percentage: 20}))

	m, diags := readOnce(t, srv, "sales")
	require.NotNil(t, m)
	assert.False(t, diags.HasError(), "%v", diags)
	require.Len(t, diags.Warnings(), 1)
	assert.Contains(t, diags.Warnings()[0].Summary(), `"sales"`)
	assert.Contains(t, diags.Warnings()[0].Summary(), "abnormal")
	assert.Equal(t, types.StringValue("abnormal"), m.Status)
	assert.Equal(t, types.Int64Value(20), m.Percentage)
	assert.Equal(t, types.StringValue(""), m.SourceNodeID)
	assert.Equal(t, scopeValue(chreplication.TableScope{}), m.TableScope)

	m, diags = readOnce(t, srv, "shop")
	require.NotNil(t, m)
	assert.Empty(t, diags, "a normal task gives no diagnostic")
	assert.Equal(t, types.StringValue("normal"), m.Status)
	assert.Equal(t, types.StringValue(accInstance+"/shop"), m.ID)
}

func TestReadGoneRemoves(t *testing.T) {
	t.Parallel()
	srv := accServer(t)
	m, diags := readOnce(t, srv, "sales")
	assert.Nil(t, m, "a task the list does not show leaves the state")
	assert.Empty(t, diags)
}

func TestReadListErrorKeepsState(t *testing.T) {
	t.Parallel()
	srv := accServer(t)
	require.NoError(t, srv.AddReplication(accInstance, "sales"))
	srv.InjectFault(fake.Fault{Operation: "ListClickHouseDataBaseReplication", Status: 403,
		Body: []byte(`{"error_code":"APIGW.0305","error_msg":"denied"}`)})
	m, diags := readOnce(t, srv, "sales")
	require.True(t, diags.HasError())
	assert.Contains(t, diags.Errors()[0].Detail(), "APIGW.0305")
	assert.NotNil(t, m, "an error is not a deletion: the state keeps the task")
}
