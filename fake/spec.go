package fake

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// Spec returns the OpenAPI document the fake was generated from and
// validates requests against (openapi.yaml at generation time), freshly
// loaded: the caller may change it. Contract tests use it so that client
// and fake are checked against the same document.
func Spec() (*openapi3.T, error) {
	doc, err := GetSpec()
	if err != nil {
		return nil, fmt.Errorf("fake: load the embedded spec: %w", err)
	}
	return doc, nil
}

// OpenAPI returns the embedded OpenAPI document as JSON (oapi-codegen
// embeds openapi.yaml converted to JSON). The caller may change the bytes.
func OpenAPI() []byte {
	b, err := GetSpecJSON()
	if err != nil {
		// The embedded spec is generated code; it decodes unless the build is broken.
		panic("fake: decode the embedded spec: " + err.Error())
	}
	return bytes.Clone(b)
}

// NewRouter returns a kin-openapi router over doc that matches requests
// whatever their scheme and host: the servers of doc (Huawei Cloud's region
// endpoints) are ignored, so the router works for a fake on 127.0.0.1 as
// well as for the real endpoints. doc is not changed.
//
// A fixed path does not hide a templated one for the methods it lacks: a
// DELETE of .../clickhouse/replication/config, a path that has only a GET,
// is DeleteClickHouseDataBaseReplication of the database named "config"
// (as the generated server routes it), not "method not allowed".
func NewRouter(doc *openapi3.T) (routers.Router, error) {
	all, err := newMuxRouter(doc, "")
	if err != nil {
		return nil, err
	}
	r := &methodRouter{all: all, byMethod: make(map[string]routers.Router)}
	for _, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if r.byMethod[method] != nil {
				continue
			}
			if r.byMethod[method], err = newMuxRouter(doc, method); err != nil {
				return nil, err
			}
		}
	}
	return r, nil
}

// newMuxRouter builds a gorillamux router over doc without its servers and,
// when method is not "", with the operations of that method only.
func newMuxRouter(doc *openapi3.T, method string) (routers.Router, error) {
	d := *doc
	d.Servers = nil
	if method != "" {
		d.Paths = openapi3.NewPaths()
		for path, item := range doc.Paths.Map() {
			op := item.GetOperation(method)
			if op == nil {
				continue
			}
			only := &openapi3.PathItem{Extensions: item.Extensions, Summary: item.Summary,
				Description: item.Description, Servers: item.Servers, Parameters: item.Parameters}
			only.SetOperation(method, op)
			d.Paths.Set(path, only)
		}
	}
	r, err := gorillamux.NewRouter(&d)
	if err != nil {
		return nil, fmt.Errorf("fake: build the router: %w", err)
	}
	return r, nil
}

// methodRouter finds a request's route among all the paths, and when the
// path it matches lacks the request's method, among the paths that have it.
type methodRouter struct {
	all      routers.Router
	byMethod map[string]routers.Router
}

func (r *methodRouter) FindRoute(req *http.Request) (*routers.Route, map[string]string, error) {
	route, params, err := r.all.FindRoute(req)
	if !errors.Is(err, routers.ErrMethodNotAllowed) {
		return route, params, err
	}
	if m := r.byMethod[req.Method]; m != nil {
		if route, params, err := m.FindRoute(req); err == nil {
			return route, params, nil
		}
	}
	return route, params, err
}

// router is the router every Server shares over the embedded spec.
var router = sync.OnceValues(func() (routers.Router, error) {
	doc, err := Spec()
	if err != nil {
		return nil, err
	}
	return NewRouter(doc)
})
