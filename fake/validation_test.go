package fake_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication/fake"
)

func TestValidation(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithJobMode(fake.JobsManual))
	require.NoError(t, s.AddReplication(testInstance, "sales"))
	p := "/v3/" + s.ProjectID()
	repl := replicationPath(s, testInstance)

	tests := []struct {
		name   string
		method string
		path   string
		body   string
		header []string
		// wantIn are substrings of error_msg: the parameter or field at fault.
		wantIn []string
	}{
		{"project ID with a space", http.MethodGet, "/v3/bad%20id/instances/" + testInstance + "/clickhouse/replication", "", nil,
			[]string{`parameter "project_id" in path`}},
		{"instance ID with a control character", http.MethodGet, p + "/instances/ab%01cd/clickhouse/replication", "", nil,
			[]string{`parameter "instance_id" in path`}},
		{"instance ID with an escaped slash", http.MethodGet, p + "/instances/ab%2Fcd/clickhouse/replication", "", nil,
			[]string{`parameter "instance_id" in path`}},
		{"instance ID too long", http.MethodGet, p + "/instances/" + strings.Repeat("a", 65) + "/clickhouse/replication", "", nil,
			[]string{`parameter "instance_id" in path`, "maximum string length is 64"}},
		{"database name with an escaped slash", http.MethodDelete, repl + "/a%2Fb", "", nil,
			[]string{`parameter "database_name" in path`}},
		{"database name ending in a space", http.MethodDelete, repl + "/sales%20", "", nil,
			[]string{`parameter "database_name" in path`}},
		{"database name dot", http.MethodDelete, repl + "/sa.les", "", nil,
			[]string{`parameter "database_name" in path`}},
		{"missing source_database", http.MethodPost, repl, `{"source_instance_id":"abc"}`, nil,
			[]string{`body field "source_database"`, "missing"}},
		{"missing source_instance_id", http.MethodPost, repl, `{"source_database":"abc"}`, nil,
			[]string{`body field "source_instance_id"`, "missing"}},
		{"source_instance_id a number", http.MethodPost, repl, `{"source_instance_id":3,"source_database":"abc"}`, nil,
			[]string{`body field "source_instance_id"`, "string"}},
		{"source_node_id with a slash", http.MethodPost, repl, `{"source_instance_id":"abc","source_node_id":"a/b","source_database":"abc"}`, nil,
			[]string{`body field "source_node_id"`}},
		{"source_database with a control character", http.MethodPost, repl, `{"source_instance_id":"abc","source_database":"a\u0007b"}`, nil,
			[]string{`body field "source_database"`}},
		{"two bad fields", http.MethodPost, repl, `{"source_instance_id":"a b","source_database":""}`, nil,
			[]string{`body field "source_database"`, `body field "source_instance_id"`}},
		{"body not JSON", http.MethodPost, repl, `{"source_instance_id":`, nil, []string{"body"}},
		{"body with trailing data", http.MethodPost, repl, `{"source_instance_id":"abc","source_database":"abc"} x`, nil,
			[]string{"body: the body is not one JSON value"}},
		{"body of two JSON values", http.MethodPost, repl, `{"source_instance_id":"abc","source_database":"abc"}{}`, nil,
			[]string{"body"}},
		{"body missing", http.MethodPost, repl, "", nil, []string{"body", "missing"}},
		{"body wrong content type", http.MethodPost, repl, `source_database=abc`, []string{"Content-Type", "application/x-www-form-urlencoded"},
			[]string{"body"}},
		{"limit 0", http.MethodGet, repl + "?limit=0", "", nil, []string{`parameter "limit" in query`, "at least 1"}},
		{"limit 101", http.MethodGet, repl + "?limit=101", "", nil, []string{`parameter "limit" in query`, "at most 100"}},
		{"limit not a number", http.MethodGet, repl + "?limit=ten", "", nil, []string{`parameter "limit" in query`}},
		{"offset negative", http.MethodGet, repl + "?offset=-1", "", nil, []string{`parameter "offset" in query`, "at least 0"}},
		{"bad X-Language", http.MethodGet, repl, "", []string{"X-Language", "fr-fr"}, []string{`parameter "X-Language" in header`}},
		{"job without id", http.MethodGet, p + "/jobs", "", nil, []string{`parameter "id" in query`, "missing"}},
		{"job id with a space", http.MethodGet, p + "/jobs?id=a+b", "", nil, []string{`parameter "id" in query`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := call(t, s, tt.method, tt.path, tt.body, tt.header...)
			require.Equal(t, http.StatusBadRequest, a.Status, "body %s", a.Body)
			assert.Equal(t, "application/json", a.Header.Get("Content-Type"))
			e := a.errorBody(t)
			assert.Equal(t, fake.CodeInvalidParameter, e.ErrorCode)
			for _, w := range tt.wantIn {
				assert.Contains(t, e.ErrorMsg, w)
			}
			assert.NotContains(t, e.ErrorMsg, "Schema:", "the message must not dump the schema")
		})
	}
	t.Run("nothing changed", func(t *testing.T) {
		t.Parallel()
		assert.Len(t, s.Replications(testInstance), 1)
	})
}

func TestValidationAcceptsLegalValues(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	repl := replicationPath(s, testInstance)
	tests := []struct {
		name, method, path, body string
		header                   []string
	}{
		{"seed example body", http.MethodPost, repl,
			`{"source_instance_id":"source_instance_id","source_node_id":"source_node_id","source_database":"source_database"}`, nil},
		{"body with charset", http.MethodPost, repl, `{"source_instance_id":"abc","source_database":"charset"}`,
			[]string{"Content-Type", "application/json; charset=utf-8"}},
		// What Huawei's definitions declare and the official SDKs send.
		{"body with Huawei's content type", http.MethodPost, repl, `{"source_instance_id":"abc","source_database":"huawei"}`,
			[]string{"Content-Type", "application/json;charset=UTF-8"}},
		{"body with plain JSON content type", http.MethodPost, repl, `{"source_instance_id":"abc","source_database":"plain"}`,
			[]string{"Content-Type", "application/json"}},
		{"body with upper-case content type", http.MethodPost, repl, `{"source_instance_id":"abc","source_database":"upper"}`,
			[]string{"Content-Type", "Application/JSON;Charset=UTF-8"}},
		{"64 non-ASCII letters", http.MethodPost, repl, createBody(strings.Repeat("数", 64)), nil},
		// Huawei: an empty source_node_id means the primary node.
		{"empty source_node_id", http.MethodPost, repl, `{"source_instance_id":"abc","source_node_id":"","source_database":"primary"}`, nil},
		{"limit 1", http.MethodGet, repl + "?limit=1", "", nil},
		{"limit 100 offset 5", http.MethodGet, repl + "?limit=100&offset=5", "", nil},
		{"zh-cn", http.MethodGet, repl, "", []string{"X-Language", "zh-cn"}},
		{"en-us", http.MethodGet, repl, "", []string{"X-Language", "en-us"}},
	}
	// The group returns once its parallel requests have ended.
	t.Run("requests", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				a := call(t, s, tt.method, tt.path, tt.body, tt.header...)
				assert.Equal(t, http.StatusOK, a.Status, "body %s", a.Body)
			})
		}
	})
	var names []string
	for _, r := range s.Replications(testInstance) {
		names = append(names, deref(r.SourceDatabase))
	}
	for _, want := range []string{"charset", "huawei", "plain", "upper"} {
		assert.Contains(t, names, want, "the body reached the operation")
	}
}

func TestUnknownAPI(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	tests := []struct{ name, method, path string }{
		{"unknown path", http.MethodGet, "/v3/" + s.ProjectID() + "/instances"},
		{"unknown method", http.MethodPut, replicationPath(s, testInstance)},
		{"root", http.MethodGet, "/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := call(t, s, tt.method, tt.path, "")
			require.Equal(t, http.StatusNotFound, a.Status)
			assert.Equal(t, fake.CodeAPINotFound, a.errorBody(t).ErrorCode)
		})
	}
}

func TestOtherProjectIsForbidden(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithProjectID("23a50154cf494ec9ad6883979a12db0a"))
	assert.Equal(t, "23a50154cf494ec9ad6883979a12db0a", s.ProjectID())
	a := call(t, s, http.MethodGet, "/v3/0123456789abcdef0123456789abcdef/instances/"+testInstance+"/clickhouse/replication", "")
	require.Equal(t, http.StatusForbidden, a.Status)
	assert.Equal(t, fake.CodeForbidden, a.errorBody(t).ErrorCode)
}

func TestBodyTooLarge(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	// Valid JSON, padded past the fake's 1 MiB limit.
	body := createBody("orders") + strings.Repeat(" ", 1<<20)
	a := call(t, s, http.MethodPost, replicationPath(s, testInstance), body)
	require.Equal(t, http.StatusBadRequest, a.Status, "the spec declares 400, not 413")
	e := a.errorBody(t)
	assert.Equal(t, fake.CodeInvalidParameter, e.ErrorCode)
	assert.Contains(t, e.ErrorMsg, "larger than 1 MiB")
	assert.Empty(t, s.Replications(testInstance))
}
