package fake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// DecodePathParams percent-decodes the path parameters a kin-openapi router
// found. The router matches the escaped path and answers escaped values;
// openapi3filter would validate those (so `a%2Fb` would pass a pattern
// that forbids `/`, and a name of 64 non-ASCII letters would fail
// maxLength). Validate the decoded values instead.
func DecodePathParams(params map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(params))
	for k, v := range params {
		d, err := url.PathUnescape(v)
		if err != nil {
			return nil, &openapi3filter.RequestError{
				Parameter: &openapi3.Parameter{Name: k, In: openapi3.ParameterInPath},
				Reason:    "invalid percent-encoding",
				Err:       err,
			}
		}
		out[k] = d
	}
	return out, nil
}

// validationOptions are the openapi3filter options the fake validates
// requests with: security is not checked (the fake's own middleware does
// it), defaults are not written into the request, and every error is
// reported.
func validationOptions() *openapi3filter.Options {
	return &openapi3filter.Options{
		AuthenticationFunc:  openapi3filter.NoopAuthenticationFunc,
		SkipSettingDefaults: true,
		MultiError:          true,
	}
}

// validateRequest checks r, whose buffered body is body, against its
// route. r.Body must be re-readable (the server has buffered it).
func validateRequest(ctx context.Context, r *http.Request, body []byte, route *routers.Route, pathParams map[string]string) error {
	params, err := DecodePathParams(pathParams)
	if err != nil {
		return err
	}
	input := &openapi3filter.RequestValidationInput{
		Request:    r,
		PathParams: params,
		Route:      route,
		Options:    validationOptions(),
	}
	if err := openapi3filter.ValidateRequest(ctx, input); err != nil {
		return err
	}
	// kin-openapi decodes the first JSON value and ignores what follows it,
	// as does the generated handler: reject a body that is not one JSON
	// value, such as {"a":1} followed by anything but white space.
	if rb := route.Operation.RequestBody; rb != nil && len(body) > 0 && isJSONMediaType(r.Header) && !json.Valid(body) {
		return &openapi3filter.RequestError{Input: input, RequestBody: rb.Value, Reason: "not valid JSON",
			Err: errors.New("the body is not one JSON value")}
	}
	return nil
}

// isJSONMediaType reports whether the Content-Type of h is JSON
// (application/json or a +json type).
func isJSONMediaType(h http.Header) bool {
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// DescribeError turns a kin-openapi validation error into one message that
// names each wrong parameter or body field, such as
// `parameter "limit" in query: number must be at most 100` or
// `body: property "source_database" is missing`. It never quotes a
// parameter's value.
func DescribeError(err error) string {
	var msgs []string
	for _, e := range flatten(err) {
		re, ok := e.(*openapi3filter.RequestError) //nolint:errorlint // only this level
		if !ok {
			msgs = append(msgs, e.Error())
			continue
		}
		where := re.Reason
		switch {
		case re.Parameter != nil:
			where = fmt.Sprintf("parameter %q in %s", re.Parameter.Name, re.Parameter.In)
		case re.RequestBody != nil:
			where = "body"
		}
		if re.Err == nil {
			msgs = append(msgs, where)
			continue
		}
		for _, cause := range flatten(re.Err) {
			msgs = append(msgs, where+describeCause(cause))
		}
	}
	return strings.Join(msgs, "; ")
}

// flatten lists the errors of a (nested) openapi3.MultiError.
func flatten(err error) []error {
	me, ok := err.(openapi3.MultiError) //nolint:errorlint // only this level, not what it wraps
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range me {
		out = append(out, flatten(e)...)
	}
	return out
}

// describeCause describes the cause of a RequestError: for a schema error,
// the field it is about and its reason, without the value and the schema
// that kin-openapi's Error prints.
func describeCause(err error) string {
	se, ok := err.(*openapi3.SchemaError) //nolint:errorlint // only this level
	if !ok {
		return ": " + err.Error()
	}
	field, reason := SchemaErrorReason(se)
	if field != "" {
		return fmt.Sprintf(" field %q: %s", field, reason)
	}
	return ": " + reason
}

// SchemaErrorReason returns what a schema error is about: the dotted path
// of the field ("" for the value itself) and the innermost reason (allOf
// wraps the error of the referenced schema), without the value and the
// schema that kin-openapi's Error prints.
func SchemaErrorReason(se *openapi3.SchemaError) (field, reason string) {
	reason = se.Reason
	for o := se.Origin; o != nil; {
		var inner *openapi3.SchemaError
		if !errors.As(o, &inner) {
			break
		}
		if inner.Reason != "" {
			reason = inner.Reason
		}
		o = inner.Origin
	}
	if reason == "" {
		reason = "does not match the schema"
	}
	return strings.Join(se.JSONPointer(), "."), reason
}
