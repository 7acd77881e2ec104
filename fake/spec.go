package fake

import (
	"bytes"
	"fmt"
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
func NewRouter(doc *openapi3.T) (routers.Router, error) {
	d := *doc
	d.Servers = nil
	r, err := gorillamux.NewRouter(&d)
	if err != nil {
		return nil, fmt.Errorf("fake: build the router: %w", err)
	}
	return r, nil
}

// router is the router every Server shares over the embedded spec.
var router = sync.OnceValues(func() (routers.Router, error) {
	doc, err := Spec()
	if err != nil {
		return nil, err
	}
	return NewRouter(doc)
})
