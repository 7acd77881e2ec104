package chreplication

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication/auth"
)

const (
	testProject  = "23a50154cf494ec9ad6883979a12db0a"
	testInstance = "54e42160670e48e789af7075e1efea1fin16"
	testToken    = "tok-Secret-6b1f0c2e" //nolint:gosec // a made-up test token
	basePath     = "/api-base"
)

// testServer is an API server for one test: handlers are registered on mux
// under basePath (so a request built with an absolute path misses them) and
// every request that reaches the server is counted.
type testServer struct {
	mux      *http.ServeMux
	server   *httptest.Server
	requests atomic.Int64
}

// setup returns a client wired to a fresh test server. Options given are
// applied after the defaults (project, token, fast retries).
func setup(t *testing.T, opts ...Option) (*Client, *testServer) {
	t.Helper()
	ts := &testServer{mux: http.NewServeMux()}
	api := http.NewServeMux()
	api.Handle(basePath+"/", http.StripPrefix(basePath, ts.mux))
	api.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request outside the base path: %s %s", r.Method, r.URL.Path)
		http.Error(w, "wrong path", http.StatusTeapot)
	})
	ts.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.requests.Add(1)
		api.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.server.Close)
	all := append([]Option{
		WithProjectID(testProject),
		WithAuth(auth.StaticToken(testToken)),
		WithRetry(RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}),
	}, opts...)
	c, err := NewClient(ts.server.URL+basePath, all...)
	require.NoError(t, err)
	return c, ts
}

// handle registers h for pattern ("METHOD /path") relative to the base path.
func (ts *testServer) handle(pattern string, h http.HandlerFunc) { ts.mux.HandleFunc(pattern, h) }

func testHeader(t *testing.T, r *http.Request, name, want string) {
	t.Helper()
	assert.Equal(t, want, r.Header.Get(name), "header %s", name)
}

const (
	replicationPath = "/v3/" + testProject + "/instances/" + testInstance + "/clickhouse/replication"
	jobsPath        = "/v3/" + testProject + "/jobs"
)
