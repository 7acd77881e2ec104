package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/gaussdb-tools/chreplication/fake"
)

// DefaultMaxBodySize is the largest request or response body a Transport
// buffers to validate.
const DefaultMaxBodySize = 4 << 20

// GatewayStatuses are the statuses the spec's `default` response stands
// for: the API gateway's own answers for any operation, and the service's
// 409 when the instance is busy with another operation.
var GatewayStatuses = []int{401, 403, 404, 409, 429, 502, 503, 504}

// A Transport validates requests and responses against the spec; see the
// package documentation for what it checks. It is safe for concurrent use.
type Transport struct {
	base         http.RoundTripper
	doc          *openapi3.T
	router       routers.Router
	strict       bool
	skipSecurity bool
	maxBody      int64

	mu         sync.Mutex
	violations []error
	dropped    int
}

// An Option configures a Transport.
type Option func(*Transport)

// Strict makes RoundTrip return the first violation of a request (without
// sending it) or of a response (closing its body) as its error, a
// *Violation. By default violations are only recorded.
func Strict() Option { return func(t *Transport) { t.strict = true } }

// WithSpec validates against doc instead of the spec embedded in package
// fake. doc must not be changed afterwards.
func WithSpec(doc *openapi3.T) Option { return func(t *Transport) { t.doc = doc } }

// WithMaxBodySize sets the largest body the Transport buffers and
// validates (DefaultMaxBodySize when not set). A larger body is passed on
// whole and recorded as a violation.
func WithMaxBodySize(n int64) Option { return func(t *Transport) { t.maxBody = n } }

// SkipSecurity stops checking that requests carry credentials.
func SkipSecurity() Option { return func(t *Transport) { t.skipSecurity = true } }

// NewTransport returns a Transport that sends requests through base
// (http.DefaultTransport when nil).
func NewTransport(base http.RoundTripper, opts ...Option) (*Transport, error) {
	t := &Transport{base: base, maxBody: DefaultMaxBodySize}
	for _, o := range opts {
		o(t)
	}
	if t.base == nil {
		t.base = http.DefaultTransport
	}
	if t.maxBody <= 0 {
		return nil, errors.New("contract: WithMaxBodySize: the size must be positive")
	}
	if t.doc == nil {
		doc, err := fake.Spec()
		if err != nil {
			return nil, fmt.Errorf("contract: %w", err)
		}
		t.doc = doc
	}
	if err := t.doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("contract: the spec is invalid: %w", err)
	}
	r, err := fake.NewRouter(t.doc)
	if err != nil {
		return nil, fmt.Errorf("contract: %w", err)
	}
	t.router = r
	return t, nil
}

// Client returns an http.Client that sends through t.
func (t *Transport) Client() *http.Client { return &http.Client{Transport: t} }

// MaxViolations is how many violations a Transport keeps; later ones are
// counted (Dropped) but not kept, so a long-lived client wrapped in a
// Transport does not grow without bound.
const MaxViolations = 1000

// Violations returns the violations recorded so far, oldest first, at most
// MaxViolations of them; each is a *Violation.
func (t *Transport) Violations() []error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.violations)
}

// Dropped returns how many violations were not kept because MaxViolations
// were already recorded.
func (t *Transport) Dropped() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.dropped
}

// Err returns the violations recorded so far joined into one error, or nil;
// it says how many more were dropped, if any.
func (t *Transport) Err() error {
	errs := t.Violations()
	if n := t.Dropped(); n > 0 {
		errs = append(errs, fmt.Errorf("contract: %d more violations not kept", n))
	}
	return errors.Join(errs...)
}

// Reset forgets the recorded violations.
func (t *Transport) Reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.violations = nil
	t.dropped = 0
}

func (t *Transport) record(v *Violation) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.violations) < MaxViolations {
		t.violations = append(t.violations, v)
	} else {
		t.dropped++
	}
	return v
}

// A Violation is a request or response that does not keep the contract.
type Violation struct {
	Response  bool   // false: the request broke the contract
	Method    string // of the request
	URL       string // of the request, without user info
	Operation string // the operationId, or "" when no operation matched
	Status    int    // of the response; 0 for a request violation
	Err       error  // what is wrong
}

// Error describes the violation, such as `contract: response 200 of
// ShowGaussMySqlJobInfo (GET http://...): body field "job.status": ...`.
func (v *Violation) Error() string {
	what := "request"
	if v.Response {
		what = "response " + strconv.Itoa(v.Status)
	}
	op := v.Operation
	if op == "" {
		op = "no operation"
	}
	return fmt.Sprintf("contract: %s of %s (%s %s): %s", what, op, v.Method, v.URL, v.Err)
}

// Unwrap returns Err.
func (v *Violation) Unwrap() error { return v.Err }

// RoundTrip validates req, sends it through the base transport, validates
// the response and returns it with its body intact. It does not change req.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, rest, err := t.readBody(req.Body)
		if err != nil {
			return nil, fmt.Errorf("contract: read the request body: %w", err)
		}
		body = b
		out = req.Clone(req.Context())
		if rest != nil {
			out.Body = rest
		} else {
			out.Body = io.NopCloser(bytes.NewReader(b))
			out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
		}
	}

	base := &Violation{Method: req.Method, URL: req.URL.Redacted()}
	route, input, verr := t.validateRequest(req, body, base)
	if verr != nil {
		err := t.record(verr)
		if t.strict {
			if out.Body != nil {
				_ = out.Body.Close()
			}
			return nil, err
		}
	}

	resp, err := t.base.RoundTrip(out)
	if err != nil || route == nil {
		return resp, err
	}
	if verr := t.validateResponse(resp, input, base); verr != nil {
		err := t.record(verr)
		if t.strict {
			_ = resp.Body.Close()
			return nil, err
		}
	}
	return resp, nil
}

// readBody buffers at most maxBody bytes of rc. When rc is longer, it
// returns (nil, a reader of the whole body, nil) and the body is not
// validated. When reading fails, it closes rc and returns what it read,
// nil and the error.
func (t *Transport) readBody(rc io.ReadCloser) ([]byte, io.ReadCloser, error) {
	b, err := io.ReadAll(io.LimitReader(rc, t.maxBody+1))
	if err != nil {
		_ = rc.Close()
		return b, nil, err
	}
	if int64(len(b)) > t.maxBody {
		return nil, readCloser{io.MultiReader(bytes.NewReader(b), rc), rc}, nil
	}
	_ = rc.Close()
	return b, nil, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// errReader fails every read with err.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

var errTooLarge = errors.New("the body is larger than the size limit and was not validated (see WithMaxBodySize)")

func (t *Transport) validateRequest(req *http.Request, body []byte, base *Violation) (*routers.Route, *openapi3filter.RequestValidationInput, *Violation) {
	v := *base
	route, pathParams, err := t.router.FindRoute(req)
	if err != nil {
		v.Err = fmt.Errorf("no operation of the spec has this method and path: %w", err)
		return nil, nil, &v
	}
	v.Operation = route.Operation.OperationID
	base.Operation = v.Operation
	params, err := fake.DecodePathParams(pathParams)
	if err != nil {
		v.Err = described(fake.DescribeError(err), err)
		return route, &openapi3filter.RequestValidationInput{Request: req, PathParams: pathParams, Route: route}, &v
	}
	// Validate a copy: kin-openapi reads the body and may touch the request.
	vreq := req.Clone(req.Context())
	vreq.Body = http.NoBody
	if req.Body != nil && req.Body != http.NoBody {
		if body == nil {
			v.Err = errTooLarge
			return route, &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route}, &v
		}
		vreq.Body = io.NopCloser(bytes.NewReader(body))
		vreq.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	opts := &openapi3filter.Options{
		SkipSettingDefaults: true,
		MultiError:          true,
		AuthenticationFunc:  headerPresent,
	}
	if t.skipSecurity {
		opts.AuthenticationFunc = openapi3filter.NoopAuthenticationFunc
	}
	input := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route, Options: opts}
	if err := openapi3filter.ValidateRequest(req.Context(), input); err != nil {
		v.Err = described(fake.DescribeError(err), err)
		return route, input, &v
	}
	if len(body) > 0 && isJSONMediaType(req.Header) && !json.Valid(body) {
		v.Err = errTrailingData
		return route, input, &v
	}
	return route, input, nil
}

// errTrailingData is the violation of a JSON body that kin-openapi
// accepts because it decodes the first JSON value and ignores the rest.
var errTrailingData = errors.New("body: not one JSON value (data follows the first value)")

// headerPresent checks that an apiKey-in-header security scheme's header
// is present; it does not check its value.
func headerPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	s := in.SecurityScheme
	if s.Type != "apiKey" || s.In != "header" {
		return in.NewError(fmt.Errorf("security scheme %q is not an API key in a header", in.SecuritySchemeName))
	}
	if in.RequestValidationInput.Request.Header.Get(s.Name) == "" {
		return in.NewError(fmt.Errorf("no %s header (security scheme %s)", s.Name, in.SecuritySchemeName))
	}
	return nil
}

func (t *Transport) validateResponse(resp *http.Response, input *openapi3filter.RequestValidationInput, base *Violation) *Violation {
	v := *base
	v.Response = true
	v.Status = resp.StatusCode
	op := input.Route.Operation

	var body []byte
	if resp.Body != nil && resp.Body != http.NoBody {
		b, rest, err := t.readBody(resp.Body)
		switch {
		case err != nil:
			// The caller reads what arrived, then the same error.
			resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(b), errReader{err}))
			v.Err = fmt.Errorf("read the body: %w", err)
			return &v
		case rest != nil:
			resp.Body = rest
			v.Err = errTooLarge
			return &v
		}
		body = b
		resp.Body = io.NopCloser(bytes.NewReader(b))
	}

	status := resp.StatusCode
	declared := op.Responses.Status(status) != nil
	if !declared && !slices.Contains(GatewayStatuses, status) {
		v.Err = fmt.Errorf("status %d is neither declared by the operation nor one of the gateway's %v", status, GatewayStatuses)
		return &v
	}
	if !declared || (status != http.StatusOK && !isJSON(resp.Header, body)) {
		// A gateway answer, or a non-JSON error body: the status is the error.
		return nil
	}
	err := openapi3filter.ValidateResponse(input.Request.Context(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: input,
		Status:                 status,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true},
	})
	if err != nil {
		v.Err = described(describeResponseError(err), err)
		return &v
	}
	if !json.Valid(body) {
		v.Err = errTrailingData
		return &v
	}
	return nil
}

// describedError carries kin-openapi's error (for errors.As) under a
// shorter message that names the fields but leaves out schemas and values.
type describedError struct {
	msg string
	err error
}

func described(msg string, err error) error { return &describedError{msg, err} }

func (e *describedError) Error() string { return e.msg }
func (e *describedError) Unwrap() error { return e.err }

// isJSON reports whether a body is JSON by its Content-Type and is not
// empty.
func isJSON(h http.Header, body []byte) bool {
	return isJSONMediaType(h) && len(bytes.TrimSpace(body)) > 0 && json.Valid(body)
}

// isJSONMediaType reports whether the Content-Type of h is JSON
// (application/json or a +json type).
func isJSONMediaType(h http.Header) bool {
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// describeResponseError names the fields of a response error without
// kin-openapi's dump of the schema and the value.
func describeResponseError(err error) string {
	var msgs []string
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) { //nolint:errorlint // walking the tree level by level
		case openapi3.MultiError:
			for _, x := range e {
				walk(x)
			}
		case *openapi3filter.ResponseError:
			if e.Err == nil {
				msgs = append(msgs, e.Reason)
				return
			}
			if e.Reason != "" {
				msgs = append(msgs, e.Reason)
			}
			walk(e.Err)
		case *openapi3.SchemaError:
			msgs = append(msgs, schemaMessage(e))
		default:
			msgs = append(msgs, err.Error())
		}
	}
	walk(err)
	return strings.Join(msgs, "; ")
}

func schemaMessage(se *openapi3.SchemaError) string {
	field, reason := fake.SchemaErrorReason(se)
	if field != "" {
		return fmt.Sprintf("body field %q: %s", field, reason)
	}
	return "body: " + reason
}
