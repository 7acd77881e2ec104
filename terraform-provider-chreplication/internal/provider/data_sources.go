package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/gaussdb-tools/chreplication"
)

// baseDataSource holds what every data source shares: the client.
type baseDataSource struct {
	data *clientData
}

func (d *baseDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	if req.ProviderData == nil {
		return
	}
	data, ok := req.ProviderData.(*clientData)
	if !ok {
		resp.Diagnostics.AddError("Unexpected provider data", fmt.Sprintf("got %T", req.ProviderData))
		return
	}
	d.data = data
}

func (d *baseDataSource) configured(diags *diag.Diagnostics) bool {
	if d.data == nil {
		diags.AddError("Provider not configured", "The chreplication provider has no client: its configuration failed or was not read.")
		return false
	}
	return true
}

func instanceIDAttribute() schema.StringAttribute {
	return schema.StringAttribute{
		MarkdownDescription: "The instance whose ClickHouse node is asked.",
		Required:            true,
		Validators:          []validator.String{validID},
	}
}

func projectAttribute() schema.StringAttribute {
	return schema.StringAttribute{
		MarkdownDescription: "The project of the instance, when it is not the provider's.",
		Optional:            true,
		Validators:          []validator.String{validOptionalID},
	}
}

func regionAttribute() schema.StringAttribute {
	return schema.StringAttribute{
		MarkdownDescription: "The region of the instance, such as `cn-north-4`, when it is not the provider's (the service's endpoint there, with the provider's credentials).",
		Optional:            true,
		Validators:          []validator.String{validRegion},
	}
}

func computedString(desc string) schema.StringAttribute {
	return schema.StringAttribute{MarkdownDescription: desc, Computed: true}
}

// replicationsDataSource is chreplication_replications: the tasks of an
// instance.
type replicationsDataSource struct{ baseDataSource }

func newReplicationsDataSource() datasource.DataSource { return &replicationsDataSource{} }

type replicationsModel struct {
	ID           types.String     `tfsdk:"id"`
	InstanceID   types.String     `tfsdk:"instance_id"`
	ProjectID    types.String     `tfsdk:"project_id"`
	Region       types.String     `tfsdk:"region"`
	Replications []replicationRow `tfsdk:"replications"`
}

type replicationRow struct {
	Database       types.String `tfsdk:"database"`
	SourceDatabase types.String `tfsdk:"source_database"`
	TargetDatabase types.String `tfsdk:"target_database"`
	Status         types.String `tfsdk:"status"`
	Stage          types.String `tfsdk:"stage"`
	CatchupStage   types.String `tfsdk:"catchup_stage"`
	Percentage     types.Int64  `tfsdk:"percentage"`
}

func (d *replicationsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_replications"
}

func (d *replicationsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The synchronization tasks of an instance's ClickHouse node, every page read, in the order the service lists them.",
		Attributes: map[string]schema.Attribute{
			"id":          computedString("The instance ID."),
			"instance_id": instanceIDAttribute(),
			"project_id":  projectAttribute(),
			"region":      regionAttribute(),
			"replications": schema.ListNestedAttribute{
				MarkdownDescription: "The tasks.",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"database":        computedString("The database the task synchronises: its source database, or its target database when the service leaves the source out."),
					"source_database": computedString("The source database, as the service shows it (may be empty)."),
					"target_database": computedString("The database in ClickHouse."),
					"status":          computedString("`normal` or `abnormal`."),
					"stage":           computedString("The synchronization stage."),
					"catchup_stage":   computedString("The catch-up stage."),
					"percentage":      schema.Int64Attribute{MarkdownDescription: "The progress of the current stage, 0 to 100.", Computed: true},
				}},
			},
		},
	}
}

func (d *replicationsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m replicationsModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !d.configured(&resp.Diagnostics) {
		return
	}
	c, diags := d.data.clientOf(m.ProjectID, m.Region)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	instance := m.InstanceID.ValueString()
	m.Replications = []replicationRow{}
	for t, err := range c.AllReplications(ctx, instance) {
		if err != nil {
			resp.Diagnostics.AddError("Cannot list the replications of instance "+instance, err.Error())
			return
		}
		m.Replications = append(m.Replications, replicationRow{
			Database:       types.StringValue(t.Database()),
			SourceDatabase: types.StringValue(t.SourceDatabase),
			TargetDatabase: types.StringValue(t.TargetDatabase),
			Status:         types.StringValue(string(t.Status)),
			Stage:          types.StringValue(t.Stage),
			CatchupStage:   types.StringValue(string(t.CatchupStage)),
			Percentage:     types.Int64Value(int64(t.Percentage)),
		})
	}
	m.ID = types.StringValue(instance)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// databasesDataSource is chreplication_databases: the databases an
// instance's ClickHouse node can synchronise.
type databasesDataSource struct{ baseDataSource }

func newDatabasesDataSource() datasource.DataSource { return &databasesDataSource{} }

type databasesModel struct {
	ID         types.String `tfsdk:"id"`
	InstanceID types.String `tfsdk:"instance_id"`
	ProjectID  types.String `tfsdk:"project_id"`
	Region     types.String `tfsdk:"region"`
	Name       types.String `tfsdk:"name"`
	Databases  []string     `tfsdk:"databases"`
}

func (d *databasesDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_databases"
}

func (d *databasesDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The databases of the source GaussDB(for MySQL) instance that an instance's ClickHouse node can synchronise, every page read.",
		Attributes: map[string]schema.Attribute{
			"id":          computedString("The instance ID."),
			"instance_id": instanceIDAttribute(),
			"project_id":  projectAttribute(),
			"region":      regionAttribute(),
			"name": schema.StringAttribute{
				MarkdownDescription: "Filters the databases by name, as the service does; left out, every database.",
				Optional:            true,
				Validators:          []validator.String{validDatabase},
			},
			"databases": schema.ListAttribute{
				MarkdownDescription: "The databases' names.",
				ElementType:         types.StringType,
				Computed:            true,
			},
		},
	}
}

func (d *databasesDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m databasesModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !d.configured(&resp.Diagnostics) {
		return
	}
	c, diags := d.data.clientOf(m.ProjectID, m.Region)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	instance := m.InstanceID.ValueString()
	m.Databases = []string{}
	for name, err := range c.AllDatabases(ctx, instance, m.Name.ValueString()) {
		if err != nil {
			resp.Diagnostics.AddError("Cannot list the databases of instance "+instance, err.Error())
			return
		}
		m.Databases = append(m.Databases, name)
	}
	m.ID = types.StringValue(instance)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// parametersDataSource is chreplication_database_parameters: the
// synchronization parameters of a database replication.
type parametersDataSource struct{ baseDataSource }

func newParametersDataSource() datasource.DataSource { return &parametersDataSource{} }

type parametersModel struct {
	ID         types.String   `tfsdk:"id"`
	InstanceID types.String   `tfsdk:"instance_id"`
	ProjectID  types.String   `tfsdk:"project_id"`
	Region     types.String   `tfsdk:"region"`
	Parameters []parameterRow `tfsdk:"parameters"`
}

type parameterRow struct {
	Name        types.String `tfsdk:"name"`
	DataType    types.String `tfsdk:"data_type"`
	Default     types.String `tfsdk:"default"`
	Range       types.String `tfsdk:"range"`
	Description types.String `tfsdk:"description"`
}

func (d *parametersDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_database_parameters"
}

func (d *parametersDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The synchronization parameters a database replication of an instance's ClickHouse node has, with their types, defaults and ranges. " +
			"A new replication uses the defaults: this API sets no parameter at create.",
		Attributes: map[string]schema.Attribute{
			"id":          computedString("The instance ID."),
			"instance_id": instanceIDAttribute(),
			"project_id":  projectAttribute(),
			"region":      regionAttribute(),
			"parameters": schema.ListNestedAttribute{
				MarkdownDescription: "The parameters, in the service's order.",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"name":        computedString("The parameter's name, such as `max_sync_threads`."),
					"data_type":   computedString("`Integer` or `String`."),
					"default":     computedString("The value a new replication uses."),
					"range":       computedString("What it accepts: `1-2` for an integer, values separated by `|` for a string."),
					"description": computedString("What it does."),
				}},
			},
		},
	}
}

func (d *parametersDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m parametersModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !d.configured(&resp.Diagnostics) {
		return
	}
	c, diags := d.data.clientOf(m.ProjectID, m.Region)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	instance := m.InstanceID.ValueString()
	ps, err := c.DatabaseParameters(ctx, instance)
	if err != nil {
		resp.Diagnostics.AddError("Cannot list the database parameters of instance "+instance, err.Error())
		return
	}
	m.Parameters = make([]parameterRow, len(ps))
	for i, p := range ps {
		m.Parameters[i] = parameterRowOf(p)
	}
	m.ID = types.StringValue(instance)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func parameterRowOf(p chreplication.Parameter) parameterRow {
	return parameterRow{
		Name:        types.StringValue(p.Name),
		DataType:    types.StringValue(p.DataType),
		Default:     types.StringValue(p.Default),
		Range:       types.StringValue(p.Range),
		Description: types.StringValue(p.Description),
	}
}
