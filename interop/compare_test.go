package interop

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/def"
)

// The vendor extensions by which openapi.yaml marks a known, described
// difference from the official SDK's models. The value is the reason, a
// non-empty string.
const (
	// extDifference, on a property or a parameter: the spec and the SDK
	// disagree on it (its type, or the SDK lacks it), and why.
	extDifference = "x-sdk-difference"
	// extExtraFields, on an object schema (or on an operation, for
	// parameters): a map from the name of a field the SDK's model has and
	// the spec leaves out to why.
	extExtraFields = "x-sdk-extra-fields"
)

// finding is one result of comparing a spec operation with the SDK's
// models. where is a path such as "ListClickHouseDataBaseReplication:
// answer.replications[].percentage".
type finding struct {
	where string
	what  string
	why   string // the spec's reason, for a known difference
}

func (f finding) String() string {
	if f.why != "" {
		return fmt.Sprintf("%s: %s (known: %s)", f.where, f.what, strings.Join(strings.Fields(f.why), " "))
	}
	return f.where + ": " + f.what
}

// comparison collects what comparing found.
type comparison struct {
	// diffs are disagreements on names or types the spec does not mark.
	diffs []finding
	// known are disagreements the spec marks with a reason.
	known []finding
	// stale are marks on things that agree, and marks without a reason.
	stale []finding
	// notes are disagreements that decode either way: required or not,
	// the request's media type.
	notes []finding
}

func (c *comparison) diff(where, format string, args ...any) {
	c.diffs = append(c.diffs, finding{where: where, what: fmt.Sprintf(format, args...)})
}

func (c *comparison) note(where, format string, args ...any) {
	c.notes = append(c.notes, finding{where: where, what: fmt.Sprintf(format, args...)})
}

// excused runs check into a comparison of its own and files what it found
// under the reason why (from the spec's mark; "" when unmarked): unmarked
// disagreements are diffs, marked ones known; a mark on something that
// agrees is stale.
func (c *comparison) excused(where string, why any, check func(*comparison)) {
	var sub comparison
	check(&sub)
	c.notes = append(c.notes, sub.notes...)
	c.stale = append(c.stale, sub.stale...)
	c.known = append(c.known, sub.known...)
	reason, marked := why.(string)
	switch {
	case why == nil:
		c.diffs = append(c.diffs, sub.diffs...)
	case !marked || strings.TrimSpace(reason) == "":
		c.stale = append(c.stale, finding{where: where, what: extDifference + " must be a non-empty string saying why"})
		c.diffs = append(c.diffs, sub.diffs...)
	case len(sub.diffs) == 0:
		c.stale = append(c.stale, finding{where: where, what: extDifference + " is set but the spec and the SDK agree here: remove it", why: reason})
	default:
		for _, d := range sub.diffs {
			d.why = reason
			c.known = append(c.known, d)
		}
	}
}

// sdkOperation names the SDK's side of one operation: the request
// definition its client sends by (method, path, where each request field
// goes) and its request and answer models.
type sdkOperation struct {
	OperationID string
	Def         func() *def.HttpRequestDef
	Request     any // the SDK's request model, a zero value
	Response    any // the SDK's answer model, a zero value
}

// compareOperation compares the spec's operation op (at method and path)
// with the SDK's.
func compareOperation(c *comparison, path, method string, op *openapi3.Operation, pathParams openapi3.Parameters, sdk sdkOperation) {
	id := sdk.OperationID
	d := sdk.Def()
	if !strings.EqualFold(d.Method, method) || d.Path != path {
		c.diff(id, "spec %s %s, SDK %s %s", method, path, d.Method, d.Path)
	}
	reqType := reflect.TypeOf(sdk.Request)

	// Parameters: the spec's (operation level over path level) against the
	// SDK's request fields that go into the path, the query or a header.
	// project_id is the SDK credentials' (it fills it in every path), not a
	// field of any request model.
	params := map[string]*openapi3.Parameter{}
	for _, refs := range []openapi3.Parameters{pathParams, op.Parameters} {
		for _, p := range refs {
			if p.Value != nil {
				params[paramKey(p.Value.In, p.Value.Name)] = p.Value
			}
		}
	}
	delete(params, paramKey(openapi3.ParameterInPath, "project_id"))
	var bodyField *def.FieldDef
	for _, f := range d.RequestFields {
		in := ""
		switch f.LocationType {
		case def.Path:
			in = openapi3.ParameterInPath
		case def.Query:
			in = openapi3.ParameterInQuery
		case def.Header:
			in = openapi3.ParameterInHeader
		case def.Body:
			bodyField = f
			continue
		default:
			c.diff(id, "SDK request field %s goes where this comparison does not look (location %d)", f.Name, f.LocationType)
			continue
		}
		where := fmt.Sprintf("%s: %s parameter %s", id, in, f.JsonTag)
		sf, ok := reqType.FieldByName(f.Name)
		if !ok {
			c.diff(where, "the SDK's request definition names field %s, which %s lacks", f.Name, reqType)
			continue
		}
		p, ok := params[paramKey(in, f.JsonTag)]
		if !ok {
			if why, ok := extraField(op.Extensions, f.JsonTag); ok {
				c.known = append(c.known, finding{where: where, what: "in the SDK only", why: why})
			} else {
				c.diff(where, "in the SDK (%s %s) but not in the spec", f.Name, sf.Type)
			}
			continue
		}
		delete(params, paramKey(in, f.JsonTag))
		c.excused(where, p.Extensions[extDifference], func(c *comparison) {
			if p.Schema == nil {
				c.diff(where, "the spec's parameter has no schema")
				return
			}
			compareValue(c, where, p.Schema, sf.Type)
		})
		if sdkReq := isRequiredField(sf); sdkReq != p.Required {
			c.note(where, "required: spec %t, SDK %t", p.Required, sdkReq)
		}
	}
	for _, key := range sortedKeys(params) {
		p := params[key]
		where := fmt.Sprintf("%s: %s parameter %s", id, p.In, p.Name)
		c.excused(where, p.Extensions[extDifference], func(c *comparison) {
			c.diff(where, "in the spec but not in the SDK's request model")
		})
	}

	// The request body.
	var specBody *openapi3.SchemaRef
	var mediaTypes []string
	if op.RequestBody != nil && op.RequestBody.Value != nil {
		for mt, m := range op.RequestBody.Value.Content {
			mediaTypes = append(mediaTypes, mt)
			if isJSON(mt) && m.Schema != nil {
				specBody = m.Schema
			}
		}
	}
	where := id + ": request body"
	switch {
	case specBody == nil && bodyField == nil:
	case specBody == nil:
		c.diff(where, "in the SDK (%s) but not in the spec", d.ContentType)
	case bodyField == nil:
		c.diff(where, "in the spec but not in the SDK")
	default:
		sf, ok := reqType.FieldByName(bodyField.Name)
		if !ok {
			c.diff(where, "the SDK's request definition names field %s, which %s lacks", bodyField.Name, reqType)
			break
		}
		compareValue(c, where, specBody, sf.Type)
		if !slices.Contains(mediaTypes, d.ContentType) {
			slices.Sort(mediaTypes)
			c.note(where, "media type: spec %s, SDK %s", strings.Join(mediaTypes, ", "), d.ContentType)
		}
		if required := op.RequestBody.Value.Required; !required {
			c.note(where, "required: spec false, the SDK always sends one")
		}
	}

	// The 200 answer. The SDK decodes the body into the answer model itself,
	// or into its Body field when the definition says the body goes there.
	where = id + ": answer"
	respType := reflect.TypeOf(sdk.Response)
	for _, f := range d.ResponseFields {
		if f.LocationType == def.Body {
			if sf, ok := respType.FieldByName(f.Name); ok {
				respType = sf.Type
			}
		}
	}
	var specResp *openapi3.SchemaRef
	if r := op.Responses.Status(http.StatusOK); r != nil && r.Value != nil {
		for mt, m := range r.Value.Content {
			if isJSON(mt) && m.Schema != nil {
				specResp = m.Schema
			}
		}
	}
	if specResp == nil {
		c.diff(where, "the spec has no JSON 200 answer")
		return
	}
	compareValue(c, where, specResp, respType)
}

// compareValue compares a spec schema with the Go type the SDK decodes it
// into (or encodes it from).
func compareValue(c *comparison, where string, ref *openapi3.SchemaRef, t reflect.Type) {
	s := ref.Value
	if s == nil {
		c.diff(where, "unresolved schema %s", ref.Ref)
		return
	}
	t = elemType(t)
	specKind, specFormat := schemaKind(s)
	sdkKind, sdkFormat := goKind(t)
	if specKind != sdkKind && specKind != "any" {
		c.diff(where, "spec %s, SDK %s (%s)", specKind, sdkKind, t)
		return
	}
	if specKind == "integer" && specFormat != "" && sdkFormat != "" && specFormat != sdkFormat {
		c.diff(where, "spec integer %s, SDK %s", specFormat, t)
		return
	}
	switch specKind {
	case "array":
		items := schemaItems(s)
		if items == nil {
			return // any items
		}
		compareValue(c, where+"[]", items, t.Elem())
	case "object":
		compareObject(c, where, s, t)
	}
}

// compareObject compares the properties of an object schema (allOf
// members merged) with the JSON fields of the SDK's struct. A free-form
// schema (no properties) agrees with any struct or map; a map agrees with
// any object schema.
func compareObject(c *comparison, where string, s *openapi3.Schema, t reflect.Type) {
	props, required, extra := schemaProperties(s)
	if len(props) == 0 || t.Kind() == reflect.Map {
		return
	}
	fields := jsonFields(t)
	names := map[string]bool{}
	for n := range props {
		names[n] = true
	}
	for n := range fields {
		names[n] = true
	}
	for _, name := range sortedKeys(names) {
		fw := where + "." + name
		if where == "" {
			fw = name
		}
		p, inSpec := props[name]
		f, inSDK := fields[name]
		switch {
		case inSpec && !inSDK:
			c.excused(fw, p.Value.Extensions[extDifference], func(c *comparison) {
				c.diff(fw, "in the spec but not in the SDK's %s", t)
			})
		case !inSpec && inSDK:
			if why, ok := extra[name]; ok {
				c.known = append(c.known, finding{where: fw, what: fmt.Sprintf("in the SDK's %s only", t), why: why})
			} else {
				c.diff(fw, "in the SDK's %s (%s %s) but not in the spec", t, f.Name, f.Type)
			}
		default:
			c.excused(fw, p.Value.Extensions[extDifference], func(c *comparison) {
				compareValue(c, fw, p, f.Type)
			})
			if specReq, sdkReq := required[name], isRequiredField(f); specReq != sdkReq {
				c.note(fw, "required: spec %t, SDK %t", specReq, sdkReq)
			}
		}
	}
}

// schemaKind returns the JSON type a schema admits: one of string,
// integer, number, boolean, object, array, any, or the alternatives of an
// anyOf or oneOf joined by "|" ("integer|string"); and the integer format.
func schemaKind(s *openapi3.Schema) (kind, format string) {
	if alts := append(slices.Clone(s.AnyOf), s.OneOf...); len(alts) > 0 {
		var kinds []string
		for _, a := range alts {
			if a.Value == nil {
				continue
			}
			k, _ := schemaKind(a.Value)
			if !slices.Contains(kinds, k) {
				kinds = append(kinds, k)
			}
		}
		sort.Strings(kinds)
		return strings.Join(kinds, "|"), ""
	}
	var types []string
	if s.Type != nil {
		types = append(types, s.Type.Slice()...)
	}
	format = s.Format
	for _, m := range s.AllOf {
		if m.Value == nil {
			continue
		}
		k, f := schemaKind(m.Value)
		if k != "any" {
			types = append(types, k)
		}
		if format == "" {
			format = f
		}
	}
	types = slices.DeleteFunc(types, func(t string) bool { return t == "null" })
	slices.Sort(types)
	types = slices.Compact(types)
	switch {
	case len(types) == 0 && len(s.Properties) > 0:
		return "object", ""
	case len(types) == 0:
		return "any", ""
	}
	return strings.Join(types, "&"), format
}

// schemaItems returns the items schema of an array (allOf members merged).
func schemaItems(s *openapi3.Schema) *openapi3.SchemaRef {
	if s.Items != nil {
		return s.Items
	}
	for _, m := range s.AllOf {
		if m.Value != nil {
			if it := schemaItems(m.Value); it != nil {
				return it
			}
		}
	}
	return nil
}

// schemaProperties returns the properties, the required set and the
// extExtraFields map of an object schema, allOf members merged.
func schemaProperties(s *openapi3.Schema) (props openapi3.Schemas, required map[string]bool, extra map[string]string) {
	props, required, extra = openapi3.Schemas{}, map[string]bool{}, map[string]string{}
	var walk func(s *openapi3.Schema)
	walk = func(s *openapi3.Schema) {
		for n, p := range s.Properties {
			props[n] = p
		}
		for _, n := range s.Required {
			required[n] = true
		}
		if m, ok := s.Extensions[extExtraFields].(map[string]any); ok {
			for n, why := range m {
				if w, ok := why.(string); ok && strings.TrimSpace(w) != "" {
					extra[n] = w
				}
			}
		}
		for _, m := range s.AllOf {
			if m.Value != nil {
				walk(m.Value)
			}
		}
	}
	walk(s)
	return props, required, extra
}

// extraField returns the reason an extExtraFields map gives for name.
func extraField(ext map[string]any, name string) (string, bool) {
	m, ok := ext[extExtraFields].(map[string]any)
	if !ok {
		return "", false
	}
	why, ok := m[name].(string)
	return why, ok && strings.TrimSpace(why) != ""
}

var (
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	anyType         = reflect.TypeFor[any]()
)

// goKind returns the JSON type a Go type of the SDK's models reads and
// writes, and its integer format. The SDK's enums are structs with an
// unexported value, a Value method and their own JSON methods: they are
// the type Value returns.
func goKind(t reflect.Type) (kind, format string) {
	t = elemType(t)
	if t.Kind() == reflect.Struct && reflect.PointerTo(t).Implements(unmarshalerType) && len(jsonFields(t)) == 0 {
		if m, ok := t.MethodByName("Value"); ok && m.Type.NumOut() == 1 {
			return goKind(m.Type.Out(0))
		}
		return "string", ""
	}
	switch t.Kind() {
	case reflect.String:
		return "string", ""
	case reflect.Bool:
		return "boolean", ""
	case reflect.Int32, reflect.Uint32:
		return "integer", "int32"
	case reflect.Int64, reflect.Uint64:
		return "integer", "int64"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Uint, reflect.Uint8, reflect.Uint16:
		return "integer", ""
	case reflect.Float32, reflect.Float64:
		return "number", ""
	case reflect.Slice, reflect.Array:
		return "array", ""
	case reflect.Map, reflect.Struct:
		return "object", ""
	case reflect.Interface:
		if t == anyType {
			return "any", ""
		}
	}
	return t.Kind().String(), ""
}

// jsonFields returns the exported fields of a struct by JSON name, leaving
// out those tagged "-".
func jsonFields(t reflect.Type) map[string]reflect.StructField {
	fields := map[string]reflect.StructField{}
	if t.Kind() != reflect.Struct {
		return fields
	}
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		fields[name] = f
	}
	return fields
}

// isRequiredField reports whether the SDK's model treats a field as
// required: Huawei's generator writes required fields without omitempty
// (and without a pointer), optional ones with both.
func isRequiredField(f reflect.StructField) bool {
	_, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
	return !slices.Contains(strings.Split(opts, ","), "omitempty")
}

func elemType(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

func paramKey(in, name string) string {
	if in == openapi3.ParameterInHeader {
		name = http.CanonicalHeaderKey(name)
	}
	return in + " " + name
}

func isJSON(mediaType string) bool {
	mt, _, _ := strings.Cut(mediaType, ";")
	return strings.TrimSpace(mt) == "application/json"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
