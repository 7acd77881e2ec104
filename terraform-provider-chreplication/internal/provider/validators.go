package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/gaussdb-tools/chreplication"
)

// checkString is a validator.String that refuses a value check refuses,
// before anything is sent. Null and unknown values pass (Required says
// whether a value is needed).
type checkString struct {
	desc  string
	check func(string) error
}

func (v checkString) Description(context.Context) string         { return v.desc }
func (v checkString) MarkdownDescription(context.Context) string { return v.desc }

func (v checkString) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := v.check(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid value",
			req.Path.String()+": "+strings.TrimPrefix(err.Error(), "chreplication: "))
	}
}

// validID accepts an ID of the API (an instance, a node).
var validID = checkString{desc: "an ID of the API: letters, digits, '-' and '_'", check: chreplication.ValidateID}

// validOptionalID accepts "" (the primary node) or an ID.
var validOptionalID = checkString{desc: "\"\" or an ID of the API", check: func(s string) error {
	if s == "" {
		return nil
	}
	return chreplication.ValidateID(s)
}}

// validRegion accepts a region whose endpoint the client knows.
var validRegion = checkString{desc: "a Huawei Cloud region, such as cn-north-4", check: func(s string) error {
	_, err := chreplication.RegionEndpoint(s)
	return err
}}

// validDatabase accepts a MySQL database (or table) name.
var validDatabase = checkString{desc: "a MySQL database name", check: chreplication.ValidateDatabaseName}

// tablesValidator refuses a table name the API cannot carry in a list: not
// a MySQL name, or holding ',' (the service's separator).
type tablesValidator struct{}

func (tablesValidator) Description(context.Context) string {
	return "MySQL table names without ','"
}

func (v tablesValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (tablesValidator) ValidateSet(ctx context.Context, req validator.SetRequest, resp *validator.SetResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	for _, e := range req.ConfigValue.Elements() {
		s, ok := e.(types.String)
		if !ok || s.IsUnknown() || s.IsNull() {
			continue
		}
		name := s.ValueString()
		if err := chreplication.ValidateDatabaseName(name); err != nil {
			resp.Diagnostics.AddAttributeError(req.Path, "Invalid table name",
				fmt.Sprintf("%s: %q is not a MySQL table name: %s", req.Path, name,
					strings.TrimPrefix(err.Error(), "chreplication: ")))
			continue
		}
		if strings.Contains(name, ",") {
			resp.Diagnostics.AddAttributeError(req.Path, "Invalid table name",
				fmt.Sprintf("%s: %q must not contain ',': the service separates tables with it", req.Path, name))
		}
	}
}

// scopeValidator refuses a white_list without tables.
type scopeValidator struct{}

func (scopeValidator) Description(context.Context) string {
	return "white_list names at least one table"
}

func (v scopeValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (scopeValidator) ValidateObject(ctx context.Context, req validator.ObjectRequest, resp *validator.ObjectResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	var m scopeModel
	resp.Diagnostics.Append(req.ConfigValue.As(ctx, &m, objectAsOptions)...)
	if resp.Diagnostics.HasError() || m.Mode.IsUnknown() || m.Tables.IsUnknown() {
		return
	}
	if m.Mode.ValueString() == string(chreplication.ScopeInclude) && len(m.Tables.Elements()) == 0 {
		resp.Diagnostics.AddAttributeError(req.Path.AtName("tables"), "No tables",
			"table_scope.tables must name at least one table when the mode is white_list.")
	}
}

// objectAsOptions reads an object whose attributes may be unknown or null.
var objectAsOptions = basetypes.ObjectAsOptions{UnhandledNullAsEmpty: true, UnhandledUnknownAsEmpty: true}
