package provider

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/gaussdb-tools/chreplication"
)

// replicationResource is chreplication_replication: one database of a
// GaussDB(for MySQL) instance synchronised into the ClickHouse node of an
// instance.
type replicationResource struct {
	data *clientData
}

func newReplicationResource() resource.Resource { return &replicationResource{} }

var (
	_ resource.ResourceWithConfigure   = (*replicationResource)(nil)
	_ resource.ResourceWithImportState = (*replicationResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*replicationResource)(nil)
)

// replicationModel is the resource's state and plan.
type replicationModel struct {
	ID               types.String   `tfsdk:"id"`
	InstanceID       types.String   `tfsdk:"instance_id"`
	SourceInstanceID types.String   `tfsdk:"source_instance_id"`
	SourceNodeID     types.String   `tfsdk:"source_node_id"`
	Database         types.String   `tfsdk:"database"`
	TableScope       types.Object   `tfsdk:"table_scope"`
	Status           types.String   `tfsdk:"status"`
	Stage            types.String   `tfsdk:"stage"`
	CatchupStage     types.String   `tfsdk:"catchup_stage"`
	Percentage       types.Int64    `tfsdk:"percentage"`
	TargetDatabase   types.String   `tfsdk:"target_database"`
	ProjectID        types.String   `tfsdk:"project_id"`
	Region           types.String   `tfsdk:"region"`
	Timeouts         timeouts.Value `tfsdk:"timeouts"`
}

// scopeModel is table_scope.
type scopeModel struct {
	Mode   types.String `tfsdk:"mode"`
	Tables types.Set    `tfsdk:"tables"`
}

var scopeAttrTypes = map[string]attr.Type{
	"mode":   types.StringType,
	"tables": types.SetType{ElemType: types.StringType},
}

// scopeValue is the table_scope value of a scope; its tables are a set.
func scopeValue(s chreplication.TableScope) types.Object {
	mode := s.Mode
	if mode == "" {
		mode = chreplication.ScopeExclude
	}
	tables := make([]attr.Value, len(s.Tables))
	for i, t := range s.Tables {
		tables[i] = types.StringValue(t)
	}
	return types.ObjectValueMust(scopeAttrTypes, map[string]attr.Value{
		"mode":   types.StringValue(string(mode)),
		"tables": types.SetValueMust(types.StringType, tables),
	})
}

// scopeOf reads a known table_scope value; its tables come sorted.
func scopeOf(ctx context.Context, v types.Object) (chreplication.TableScope, diag.Diagnostics) {
	var m scopeModel
	diags := v.As(ctx, &m, objectAsOptions)
	if diags.HasError() {
		return chreplication.TableScope{}, diags
	}
	var tables []string
	diags.Append(m.Tables.ElementsAs(ctx, &tables, false)...)
	slices.Sort(tables)
	return chreplication.TableScope{Mode: chreplication.ScopeMode(m.Mode.ValueString()), Tables: tables}, diags
}

func (r *replicationResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_replication"
}

func (r *replicationResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	computed := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{
			MarkdownDescription: desc,
			Computed:            true,
			PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		}
	}
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	resp.Schema = schema.Schema{
		MarkdownDescription: "One database of a GaussDB(for MySQL) instance synchronised into the ClickHouse node of an instance " +
			"(a data synchronization task). Creating it starts the task with every table and the default parameters, " +
			"then applies `table_scope` when it excludes tables; changing `table_scope.tables` updates the task in place; " +
			"changing any other argument replaces it.\n\n" +
			"The API changes the tables of a task's list, never its type: a task is created with `black_list` (every table but those listed), " +
			"and a plan that changes `table_scope.mode` is refused. " +
			"A task whose job ends `Failed` is an error at once (the task is tainted, and replaced on the next apply); " +

			"a task shown as `abnormal` keeps its state and raises a warning at each refresh. " +
			"Writes to one instance that runs another operation wait their turn, so several tasks of one instance may be applied together.\n\n" +
			"A task that exists already is adopted only when it replicates from the configured source, and once it has left its first stages " +
			"(a task still being created is followed until then); a task of another source is an error, and nothing is stored. " +
			"A database has one task per instance, so `create_before_destroy` cannot work for this resource " +
			"(the new task of the database cannot exist beside the old one): leave it unset.",
		Attributes: map[string]schema.Attribute{
			"id": computed("`INSTANCE_ID/DATABASE`, as `import` takes it."),
			"instance_id": schema.StringAttribute{
				MarkdownDescription: "The instance whose ClickHouse node receives the database. Changing it replaces the task.",
				Required:            true,
				Validators:          []validator.String{validID},
				PlanModifiers:       replace,
			},
			"source_instance_id": schema.StringAttribute{
				MarkdownDescription: "The GaussDB(for MySQL) instance the database is copied from. Changing it replaces the task.",
				Required:            true,
				Validators:          []validator.String{validID},
				PlanModifiers:       replace,
			},
			"source_node_id": schema.StringAttribute{
				MarkdownDescription: "The read replica the database is copied from; `\"\"` (the default, the same as leaving it out) means the primary node. " +
					"Changing it replaces the task.",
				Optional:      true,
				Computed:      true,
				Default:       stringdefault.StaticString(""),
				Validators:    []validator.String{validOptionalID},
				PlanModifiers: replace,
			},
			"database": schema.StringAttribute{
				MarkdownDescription: "The database to synchronise. Changing it replaces the task.",
				Required:            true,
				Validators:          []validator.String{validDatabase},
				PlanModifiers:       replace,
			},
			"table_scope": schema.SingleNestedAttribute{
				MarkdownDescription: "Which tables are copied. Left out: every table (`black_list` with no tables). " +
					"Changing `tables` updates the task in place; `mode` cannot change.",
				Optional:   true,
				Computed:   true,
				Default:    objectdefault.StaticValue(scopeValue(chreplication.TableScope{})),
				Validators: []validator.Object{scopeValidator{}},
				Attributes: map[string]schema.Attribute{
					"mode": schema.StringAttribute{
						MarkdownDescription: "`black_list`: every table but `tables`. `white_list`: only `tables` " +
							"(a task has it only when it was created so elsewhere and imported: this API cannot set it).",
						Required:   true,
						Validators: []validator.String{stringvalidator.OneOf(string(chreplication.ScopeExclude), string(chreplication.ScopeInclude))},
					},
					"tables": schema.SetAttribute{
						MarkdownDescription: "The tables `mode` applies to (default none). Names must not contain `,`.",
						ElementType:         types.StringType,
						Optional:            true,
						Computed:            true,
						Default:             setdefault.StaticValue(types.SetValueMust(types.StringType, nil)),
						Validators:          []validator.Set{tablesValidator{}},
					},
				},
			},
			"project_id": schema.StringAttribute{
				MarkdownDescription: "The project of the instance, when it is not the provider's (`project_id` of the provider block). Changing it replaces the task.",
				Optional:            true,
				Validators:          []validator.String{validOptionalID},
				PlanModifiers:       replace,
			},
			"region": schema.StringAttribute{
				MarkdownDescription: "The region of the instance, such as `cn-north-4`, when it is not the provider's: the service's endpoint there is used, " +
					"with the provider's credentials. Changing it replaces the task.",
				Optional:      true,
				Validators:    []validator.String{validRegion},
				PlanModifiers: replace,
			},
			"status":          computed("The task's health: `normal` or `abnormal` (other values are shown as the service sends them)."),
			"stage":           computed("The synchronization stage, such as `full` or `incremental`."),
			"catchup_stage":   computed("The catch-up stage: `wait`, `full`, `incremental`, `failed` or `other`."),
			"target_database": computed("The database in ClickHouse."),
			"percentage": schema.Int64Attribute{
				MarkdownDescription: "The progress of the current stage, 0 to 100.",
				Computed:            true,
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
			},
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{
				Create: true, Update: true, Delete: true,
				CreateDescription: "How long the create may take, its job and the table scope's included, as a duration such as `\"45m\"` (default `\"" + shortDuration(defaultCreateTimeout) + "\"`). " +
					"When it runs out, the error names it and the state records what the service holds.",
				UpdateDescription: "How long a table scope change may take, its job included (default `\"" + shortDuration(defaultUpdateTimeout) + "\"`).",
				DeleteDescription: "How long the delete may take, its job included (default `\"" + shortDuration(defaultDeleteTimeout) + "\"`).",
			}),
		},
	}
}

func (r *replicationResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if req.ProviderData == nil {
		return
	}
	data, ok := req.ProviderData.(*clientData)
	if !ok {
		resp.Diagnostics.AddError("Unexpected provider data", fmt.Sprintf("got %T", req.ProviderData))
		return
	}
	r.data = data
}

// ModifyPlan refuses a table scope the API cannot reach (a new task with
// white_list, a change of mode) and marks the task's progress unknown when
// an update will run.
func (r *replicationResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return // destroy
	}
	var plan replicationModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() || plan.TableScope.IsUnknown() || plan.TableScope.IsNull() {
		return
	}
	var mode types.String
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("table_scope").AtName("mode"), &mode)...)
	if resp.Diagnostics.HasError() || mode.IsUnknown() {
		return
	}
	modePath := path.Root("table_scope").AtName("mode")
	if req.State.Raw.IsNull() {
		if mode.ValueString() == string(chreplication.ScopeInclude) {
			resp.Diagnostics.AddAttributeError(modePath, "A new task cannot have white_list",
				"The API creates a task with every table (black_list) and can change only the tables of its list, never its type, "+
					"so a new task cannot be given white_list. Use black_list with the tables to leave out, "+
					"or import a task that already has white_list.")
		}
		return
	}
	var state replicationModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || state.TableScope.IsNull() || state.TableScope.IsUnknown() {
		return
	}
	if mustReplace(plan, state) {
		return // a new task: its progress is unknown anyway
	}
	var stateMode types.String
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, modePath, &stateMode)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if stateMode.ValueString() != mode.ValueString() {
		resp.Diagnostics.AddAttributeError(modePath, "table_scope.mode cannot change",
			fmt.Sprintf("The task of database %q has %s; the API changes only the tables of a task's list, never its type, "+
				"so it cannot become %s. Keep mode %q and change tables.",
				state.Database.ValueString(), stateMode.ValueString(), mode.ValueString(), stateMode.ValueString()))
		return
	}
	if !plan.TableScope.Equal(state.TableScope) {
		// The update runs a job: the progress after it is not known now.
		plan.Status = types.StringUnknown()
		plan.Stage = types.StringUnknown()
		plan.CatchupStage = types.StringUnknown()
		plan.Percentage = types.Int64Unknown()
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
	}
}

// nullUnknowns sets the computed values a failed read left unknown to
// null: a state holds no unknown value.
func (m *replicationModel) nullUnknowns() {
	for _, v := range []*types.String{&m.ID, &m.Status, &m.Stage, &m.CatchupStage, &m.TargetDatabase, &m.SourceNodeID} {
		if v.IsUnknown() {
			*v = types.StringNull()
		}
	}
	if m.Percentage.IsUnknown() {
		m.Percentage = types.Int64Null()
	}
	if m.TableScope.IsUnknown() {
		m.TableScope = types.ObjectNull(scopeAttrTypes)
	}
}

// mustReplace reports whether plan replaces the task of state.
func mustReplace(plan, state replicationModel) bool {
	return !plan.InstanceID.Equal(state.InstanceID) || !plan.Database.Equal(state.Database) ||
		!plan.SourceInstanceID.Equal(state.SourceInstanceID) || !plan.SourceNodeID.Equal(state.SourceNodeID) ||
		!plan.ProjectID.Equal(state.ProjectID) || !plan.Region.Equal(state.Region)
}

func (r *replicationResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan replicationModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() || !r.configured(&resp.Diagnostics) {
		return
	}
	timeout, diags := plan.Timeouts.Create(ctx, defaultCreateTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	want, diags := scopeOf(ctx, plan.TableScope)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}

	c, diags := r.data.clientOf(plan.ProjectID, plan.Region)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	instance, db := plan.InstanceID.ValueString(), plan.Database.ValueString()
	op := operation{what: "create of " + taskName(instance, db), timeout: "timeouts.create", limit: timeout, ctx: ctx}
	res, err := ensureCreated(ctx, c, instance, chreplication.CreateReplicationRequest{
		SourceInstanceID: plan.SourceInstanceID.ValueString(),
		SourceNodeID:     plan.SourceNodeID.ValueString(),
		SourceDatabase:   db,
	}, r.data.ensure)
	switch {
	case chreplication.IsSourceConflict(err):
		resp.Diagnostics.AddError("The database already has a task of another source", err.Error()+
			"\n\nA database has at most one task per instance, and its source cannot change. Nothing was sent, and nothing is stored in the state. "+
			"To replicate from the configured source, delete the existing task first (or import it with its own source). "+
			"For the same reason create_before_destroy cannot work for this resource: the new task of the database cannot exist beside the old one.")
		return
	case err != nil:
		op.fail(&resp.Diagnostics, "Cannot create the replication of "+taskName(instance, db), err, createRetryHint(err))
		return
	}
	plan.ID = types.StringValue(instance + "/" + db)
	if !res.Created {
		resp.Diagnostics.AddWarning("The replication of "+taskName(instance, db)+" existed already",
			"The instance already synchronised the database from the configured source; the task is now managed by this resource as it is.")
	}
	// From here on the task exists: whatever fails, the state records it
	// as the service holds it (Terraform then marks it tainted and
	// replaces it on the next apply). The last read has time of its own:
	// the operation's may be spent.
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshTimeout)
		defer cancel()
		resp.Diagnostics.Append(r.refreshInto(rctx, c, &plan, false)...)
		plan.nullUnknowns()
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	}()
	switch {
	case res.JobID != "":
		if !r.waitJob(ctx, c, &resp.Diagnostics, op, res.JobID) {
			return
		}
	case res.Starting:
		// A task found rather than created (or made by a create whose
		// answer was lost): its create job may still be running.
		if !r.waitStarted(ctx, c, &resp.Diagnostics, op, instance, db) {
			return
		}
	}
	cur, err := c.ShowReplicationConfig(ctx, instance, db)
	if err != nil {
		op.fail(&resp.Diagnostics, "Cannot read the table scope of "+taskName(instance, db), err, "")
		return
	}
	r.applyScope(ctx, c, &resp.Diagnostics, op, plan, cur.Scope, want)
}

// shortDuration writes d as a timeouts block takes it: "30m", not "30m0s".
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// refreshTimeout bounds the read that records the state after an
// operation failed or timed out.
const refreshTimeout = 2 * time.Minute

// operation names what a resource operation does and its timeout, for
// its errors.
type operation struct {
	what    string          // "create of database ..."
	timeout string          // the timeouts attribute: "timeouts.create"
	limit   time.Duration   // its value
	ctx     context.Context // the operation's context, with the timeout
}

// fail adds one error for err: when the operation's timeout ended it, the
// error names the timeouts attribute instead of the context's error.
func (op operation) fail(diags *diag.Diagnostics, summary string, err error, hint string) {
	if errors.Is(op.ctx.Err(), context.DeadlineExceeded) {
		diags.AddError("The "+op.what+" did not finish within "+op.timeout+" ("+op.limit.String()+")",
			fmt.Sprintf("%s: %s ran out (%s).\n\nThe service goes on with what it was asked, and the state records the task as the service holds it; "+
				"raise %s in the resource's timeouts block and apply again: the provider looks at the instance's tasks before sending anything.",
				summary, op.timeout, strings.TrimSuffix(err.Error(), ": "+context.DeadlineExceeded.Error()), op.timeout))
		return
	}
	diags.AddError(summary, err.Error()+hint)
}

// ensureCreated calls EnsureReplication until its outcome is known: an
// answer that may have been lost is settled on the list by the next call
// (which looks before it sends), for as long as ctx allows, as apply does.
func ensureCreated(ctx context.Context, c *chreplication.Client, instance string, req chreplication.CreateReplicationRequest, opts []chreplication.EnsureOption) (chreplication.EnsureResult, error) {
	return untilKnown(ctx, func() (chreplication.EnsureResult, error) { return c.EnsureReplication(ctx, instance, req, opts...) })
}

// ensureDeleted is ensureCreated's counterpart for EnsureReplicationAbsent.
func ensureDeleted(ctx context.Context, c *chreplication.Client, instance, db string, opts []chreplication.EnsureOption) (chreplication.EnsureAbsentResult, error) {
	return untilKnown(ctx, func() (chreplication.EnsureAbsentResult, error) {
		return c.EnsureReplicationAbsent(ctx, instance, db, opts...)
	})
}

// untilKnown calls ensure again, after a pause doubling from 1 s to 30 s,
// while its error wraps ErrOutcomeUnknown and ctx allows; calling an
// Ensure method again is safe after any error.
func untilKnown[T any](ctx context.Context, ensure func() (T, error)) (T, error) {
	for delay := time.Second; ; delay = min(2*delay, 30*time.Second) {
		res, err := ensure()
		if !errors.Is(err, chreplication.ErrOutcomeUnknown) || pause(ctx, delay) != nil {
			return res, err
		}
	}
}

// pause waits d or until ctx ends, and returns ctx's error then.
func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// waitStarted follows a task that has not left its first stages until it
// does; it reports whether the task reached its steady stage, and adds an
// error when it turned abnormal or could not be followed.
func (r *replicationResource) waitStarted(ctx context.Context, c *chreplication.Client, diags *diag.Diagnostics, op operation, instance, db string) bool {
	t, err := c.WaitReplicationStarted(ctx, instance, db, r.data.wait...)
	switch {
	case err != nil:
		op.fail(diags, "Cannot follow the "+op.what, err, "")
		return false
	case t.Status == chreplication.ReplicationAbnormal:
		diags.AddError("The "+op.what+" failed",
			fmt.Sprintf("The task was still being created and turned abnormal (stage %q, catch-up stage %q): its create job failed.", t.Stage, t.CatchupStage))
		return false
	}
	return true
}

// applyScope changes the task's scope from cur to want, when they differ,
// and waits for the job.
func (r *replicationResource) applyScope(ctx context.Context, c *chreplication.Client, diags *diag.Diagnostics, op operation, plan replicationModel, cur, want chreplication.TableScope) {
	instance, db := plan.InstanceID.ValueString(), plan.Database.ValueString()
	curMode, wantMode := cur.Mode, want.Mode
	if curMode == "" {
		curMode = chreplication.ScopeExclude
	}
	if curMode != wantMode {
		diags.AddAttributeError(path.Root("table_scope").AtName("mode"), "table_scope.mode cannot change",
			fmt.Sprintf("The task of %s has %s; the API changes only the tables of a task's list, never its type, so it cannot become %s.",
				taskName(instance, db), curMode, wantMode))
		return
	}
	tables := slices.Clone(cur.Tables)
	slices.Sort(tables)
	if slices.Equal(tables, want.Tables) {
		return
	}
	jobID, err := c.UpdateScope(ctx, instance, chreplication.ScopeUpdate{
		SourceInstanceID: plan.SourceInstanceID.ValueString(),
		SourceNodeID:     plan.SourceNodeID.ValueString(),
		Database:         db,
		Scope:            want,
	})
	if err != nil {
		op.fail(diags, "Cannot change the table scope of "+taskName(instance, db), err, "")
		return
	}
	op.what = "table scope change of " + taskName(instance, db)
	r.waitJob(ctx, c, diags, op, jobID)
}

// waitJob waits for a job; it reports whether the job completed, and adds
// an error diagnostic when it did not.
func (r *replicationResource) waitJob(ctx context.Context, c *chreplication.Client, diags *diag.Diagnostics, op operation, jobID string) bool {
	_, err := c.WaitJob(ctx, jobID, r.data.wait...)
	switch {
	case err == nil:
		return true
	case errors.Is(err, chreplication.ErrJobFailed):
		diags.AddError("The "+op.what+" failed", fmt.Sprintf("Job %s ended Failed: %v", jobID, err))
	default:
		op.fail(diags, "Cannot follow the "+op.what, fmt.Errorf("job %s: %w", jobID, err), "")
	}
	return false
}

func (r *replicationResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state replicationModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !r.configured(&resp.Diagnostics) {
		return
	}
	c, diags := r.data.clientOf(state.ProjectID, state.Region)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	found, diags := r.refresh(ctx, c, &state, true)
	resp.Diagnostics.Append(diags...)
	if diags.HasError() {
		return
	}
	if !found {
		resp.State.RemoveResource(ctx)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// refreshInto is refresh for a task that must exist.
func (r *replicationResource) refreshInto(ctx context.Context, c *chreplication.Client, m *replicationModel, warnAbnormal bool) diag.Diagnostics {
	found, diags := r.refresh(ctx, c, m, warnAbnormal)
	if !diags.HasError() && !found {
		diags.AddError("The replication of "+taskName(m.InstanceID.ValueString(), m.Database.ValueString())+" is not listed",
			"The instance's list of tasks does not show it.")
	}
	return diags
}

// refresh reads the task of m's instance and database into m: its
// progress from the list, its source and table scope from its
// configuration. It reports false when the list does not show the task.
// An abnormal task gives a warning when warnAbnormal.
func (r *replicationResource) refresh(ctx context.Context, c *chreplication.Client, m *replicationModel, warnAbnormal bool) (bool, diag.Diagnostics) {
	var diags diag.Diagnostics
	instance, db := m.InstanceID.ValueString(), m.Database.ValueString()
	var task *chreplication.Replication
	for t, err := range c.AllReplications(ctx, instance) {
		if err != nil {
			diags.AddError("Cannot list the replications of instance "+instance, err.Error())
			return false, diags
		}
		if t.Database() == db {
			task = &t
			break
		}
	}
	if task == nil {
		return false, diags
	}
	m.ID = types.StringValue(instance + "/" + db)
	m.Status = types.StringValue(string(task.Status))
	m.Stage = types.StringValue(task.Stage)
	m.CatchupStage = types.StringValue(string(task.CatchupStage))
	m.Percentage = types.Int64Value(int64(task.Percentage))
	m.TargetDatabase = types.StringValue(task.TargetDatabase)
	cfg, err := c.ShowReplicationConfig(ctx, instance, db)
	if err != nil {
		diags.AddError("Cannot read the configuration of the replication of "+taskName(instance, db), err.Error())
		return true, diags
	}
	if cfg.SourceInstanceID != "" {
		m.SourceInstanceID = types.StringValue(cfg.SourceInstanceID)
	}
	m.SourceNodeID = types.StringValue(cfg.SourceNodeID)
	m.TableScope = scopeValue(cfg.Scope)
	if warnAbnormal && task.Status == chreplication.ReplicationAbnormal {
		diags.AddWarning("The replication of "+taskName(instance, db)+" is abnormal",
			fmt.Sprintf("The service shows the task as abnormal (stage %q, catch-up stage %q). "+
				"Look at it in the console, or replace it (tofu apply -replace=...).", task.Stage, task.CatchupStage))
	}
	return true, diags
}

func (r *replicationResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state replicationModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !r.configured(&resp.Diagnostics) {
		return
	}
	timeout, diags := plan.Timeouts.Update(ctx, defaultUpdateTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	want, diags := scopeOf(ctx, plan.TableScope)
	resp.Diagnostics.Append(diags...)
	cur, diags := scopeOf(ctx, state.TableScope)
	resp.Diagnostics.Append(diags...)
	c, diags := r.data.clientOf(plan.ProjectID, plan.Region)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	instance, db := plan.InstanceID.ValueString(), plan.Database.ValueString()
	op := operation{what: "table scope change of " + taskName(instance, db), timeout: "timeouts.update", limit: timeout, ctx: ctx}
	r.applyScope(ctx, c, &resp.Diagnostics, op, plan, cur, want)
	// The state records what the service holds, with time of its own.
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), refreshTimeout)
	defer rcancel()
	resp.Diagnostics.Append(r.refreshInto(rctx, c, &plan, false)...)
	plan.nullUnknowns()
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *replicationResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state replicationModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !r.configured(&resp.Diagnostics) {
		return
	}
	timeout, diags := state.Timeouts.Delete(ctx, defaultDeleteTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c, diags := r.data.clientOf(state.ProjectID, state.Region)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	instance, db := state.InstanceID.ValueString(), state.Database.ValueString()
	op := operation{what: "delete of " + taskName(instance, db), timeout: "timeouts.delete", limit: timeout, ctx: ctx}
	res, err := ensureDeleted(ctx, c, instance, db, r.data.ensure)
	if err != nil {
		op.fail(&resp.Diagnostics, "Cannot delete the replication of "+taskName(instance, db), err, "")
		return
	}
	if res.JobID != "" {
		r.waitJob(ctx, c, &resp.Diagnostics, op, res.JobID)
	}
}

// ImportState takes INSTANCE_ID/DATABASE.
func (r *replicationResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	instance, db, ok := strings.Cut(req.ID, "/")
	if !ok || chreplication.ValidateID(instance) != nil || chreplication.ValidateDatabaseName(db) != nil {
		resp.Diagnostics.AddError("Invalid import ID",
			fmt.Sprintf("%q is not INSTANCE_ID/DATABASE, such as 54e42160670e48e789af7075e1efea1fin16/sales.", req.ID))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("instance_id"), instance)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("database"), db)...)
}

// configured adds an error and reports false when the provider was not
// configured.
func (r *replicationResource) configured(diags *diag.Diagnostics) bool {
	if r.data == nil {
		diags.AddError("Provider not configured", "The chreplication provider has no client: its configuration failed or was not read.")
		return false
	}
	return true
}

func taskName(instance, db string) string {
	return fmt.Sprintf("database %q on instance %s", db, instance)
}

// createRetryHint tells what to do after a create whose outcome is unknown.
func createRetryHint(err error) string {
	if errors.Is(err, chreplication.ErrOutcomeUnknown) {
		return "\n\nThe create may have reached the service. Applying again is safe: the provider looks at the instance's tasks before sending another create."
	}
	return ""
}
