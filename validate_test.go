package chreplication

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication/auth"
)

var badIDs = []struct{ name, id string }{
	{"empty", ""},
	{"dot", "."},
	{"dotdot", ".."},
	{"slash", "a/b"},
	{"leading slash", "/abc"},
	{"question mark", "abc?x=1"},
	{"hash", "abc#frag"},
	{"percent", "abc%2F"},
	{"space", "abc def"},
	{"tab", "abc\tdef"},
	{"newline", "abc\ndef"},
	{"nul", "abc\x00"},
	{"del", "abc\x7f"},
	{"non-ASCII", "abcé"},
	{"leading dash", "-abc"},
	{"65 characters", strings.Repeat("a", 65)},
	{"10 kB", strings.Repeat("a", 10_000)},
}

var badDatabases = []struct{ name, db string }{
	{"empty", ""},
	{"dot", "."},
	{"dotdot", ".."},
	{"slash", "a/b"},
	{"backslash", `a\b`},
	{"dot inside", "a.b"},
	{"trailing space", "abc "},
	{"newline", "a\nb"},
	{"nul", "a\x00b"},
	{"C1 control", "a\u0085b"},
	{"invalid UTF-8", "a\xffb"},
	{"65 characters", strings.Repeat("é", 65)},
	{"10 kB", strings.Repeat("a", 10_000)},
}

// TestInvalidInputSendsNothing checks every operation's every input: a bad
// value gives an error wrapping ErrInvalidRequest that names the field, and
// the server sees no request at all.
func TestInvalidInputSendsNothing(t *testing.T) {
	t.Parallel()
	type call struct {
		name, field string
		do          func(c *Client) error
	}
	var calls []call
	for _, b := range badIDs {
		calls = append(calls,
			call{"create/instanceID/" + b.name, "instanceID", func(c *Client) error {
				_, err := c.CreateReplication(t.Context(), b.id, CreateReplicationRequest{SourceInstanceID: "s", SourceDatabase: "d"})
				return err
			}},
			call{"create/SourceInstanceID/" + b.name, "SourceInstanceID", func(c *Client) error {
				_, err := c.CreateReplication(t.Context(), testInstance, CreateReplicationRequest{SourceInstanceID: b.id, SourceDatabase: "d"})
				return err
			}},
			call{"list/instanceID/" + b.name, "instanceID", func(c *Client) error {
				_, err := c.ListReplications(t.Context(), b.id, ListOptions{})
				return err
			}},
			call{"all/instanceID/" + b.name, "instanceID", func(c *Client) error {
				for _, err := range c.AllReplications(t.Context(), b.id) {
					return err
				}
				return nil
			}},
			call{"delete/instanceID/" + b.name, "instanceID", func(c *Client) error {
				_, err := c.DeleteReplication(t.Context(), b.id, "d")
				return err
			}},
			call{"job/jobID/" + b.name, "jobID", func(c *Client) error {
				_, err := c.Job(t.Context(), b.id)
				return err
			}},
			call{"wait/jobID/" + b.name, "jobID", func(c *Client) error {
				_, err := c.WaitJob(t.Context(), b.id)
				return err
			}},
		)
		if b.id != "" { // "" means the primary node
			calls = append(calls, call{"create/SourceNodeID/" + b.name, "SourceNodeID", func(c *Client) error {
				_, err := c.CreateReplication(t.Context(), testInstance, CreateReplicationRequest{SourceInstanceID: "s", SourceDatabase: "d", SourceNodeID: b.id})
				return err
			}})
		}
	}
	for _, b := range badDatabases {
		calls = append(calls,
			call{"create/SourceDatabase/" + b.name, "SourceDatabase", func(c *Client) error {
				_, err := c.CreateReplication(t.Context(), testInstance, CreateReplicationRequest{SourceInstanceID: "s", SourceDatabase: b.db})
				return err
			}},
			call{"delete/database/" + b.name, "database", func(c *Client) error {
				_, err := c.DeleteReplication(t.Context(), testInstance, b.db)
				return err
			}},
		)
	}
	for _, o := range []struct {
		name  string
		opts  ListOptions
		field string
	}{
		{"limit -1", ListOptions{Limit: -1}, "Limit"},
		{"limit 101", ListOptions{Limit: 101}, "Limit"},
		{"offset -1", ListOptions{Offset: -1}, "Offset"},
		{"offset beyond int32", ListOptions{Offset: 1 << 31}, "Offset"},
	} {
		calls = append(calls, call{"list/" + o.name, o.field, func(c *Client) error {
			_, err := c.ListReplications(t.Context(), testInstance, o.opts)
			return err
		}})
	}

	for _, tc := range calls {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, ts := setup(t)
			err := tc.do(c)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalidRequest)
			var ire *InvalidRequestError
			require.ErrorAs(t, err, &ire)
			assert.Equal(t, tc.field, ire.Field)
			assert.Contains(t, err.Error(), tc.field)
			assert.Less(t, len(err.Error()), 300, "the error quotes a bounded part of the value")
			assert.Zero(t, ts.requests.Load(), "nothing may be sent")
		})
	}
}

func TestValidInputAccepted(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"23a50154cf494ec9ad6883979a12db0a", "54e42160670e48e789af7075e1efea1fin16", "18ef8ee3-b880-4851-8978-bb6acbd4e695", "a", "A_b-9", strings.Repeat("a", 64)} {
		assert.NoError(t, checkID("id", id), id)
	}
	for _, db := range []string{"a", "sales db", " leading", "ünïcödé", "日本語", "a-b_c$", strings.Repeat("é", 64)} {
		assert.NoError(t, checkDatabase("db", db), db)
	}
}

func TestNewClientOptions(t *testing.T) {
	t.Parallel()
	tok := auth.StaticToken(testToken)
	tests := []struct {
		name     string
		endpoint string
		opts     []Option
		field    string
	}{
		{"no project", "https://h", []Option{WithAuth(tok)}, "projectID"},
		{"bad project", "https://h", []Option{WithProjectID("a/b"), WithAuth(tok)}, "projectID"},
		{"no auth", "https://h", []Option{WithProjectID(testProject)}, "auth"},
		{"nil auth", "https://h", []Option{WithProjectID(testProject), WithAuth(nil)}, "auth"},
		{"empty token", "https://h", []Option{WithProjectID(testProject), WithAuth(auth.StaticToken(""))}, "auth"},
		{"bad language", "https://h", []Option{WithProjectID(testProject), WithAuth(tok), WithLanguage("fr")}, "language"},
		{"nil http client", "https://h", []Option{WithProjectID(testProject), WithAuth(tok), WithHTTPClient(nil)}, "httpClient"},
		{"negative timeout", "https://h", []Option{WithProjectID(testProject), WithAuth(tok), WithTimeout(-1)}, "timeout"},
		{"bad retry", "https://h", []Option{WithProjectID(testProject), WithAuth(tok), WithRetry(RetryPolicy{MaxAttempts: -1})}, "retry"},
		{"empty endpoint", "", []Option{WithProjectID(testProject), WithAuth(tok)}, "endpoint"},
		{"no scheme", "gaussdb.cn-north-4.myhuaweicloud.com", []Option{WithProjectID(testProject), WithAuth(tok)}, "endpoint"},
		{"ftp", "ftp://h", []Option{WithProjectID(testProject), WithAuth(tok)}, "endpoint"},
		{"query", "https://h/?a=1", []Option{WithProjectID(testProject), WithAuth(tok)}, "endpoint"},
		{"user info", "https://user:hunter2@h", []Option{WithProjectID(testProject), WithAuth(tok)}, "endpoint"},
		{"control char", "https://h/a\x01b", []Option{WithProjectID(testProject), WithAuth(tok)}, "endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := NewClient(tt.endpoint, tt.opts...)
			require.Error(t, err)
			assert.Nil(t, c)
			assert.ErrorIs(t, err, ErrInvalidRequest)
			var ire *InvalidRequestError
			require.ErrorAs(t, err, &ire)
			assert.Equal(t, tt.field, ire.Field)
			assert.NotContains(t, err.Error(), "hunter2")
			assert.NotContains(t, err.Error(), testToken)
		})
	}
}

func TestNewClientEndpoint(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://gaussdb.cn-north-4.myhuaweicloud.com":  "https://gaussdb.cn-north-4.myhuaweicloud.com/",
		"https://gaussdb.cn-north-4.myhuaweicloud.com/": "https://gaussdb.cn-north-4.myhuaweicloud.com/",
		"\thttp://127.0.0.1:8080/base\n":                "http://127.0.0.1:8080/base/", //nolint:gocritic // surrounding space is trimmed
		"http://[::1]:8080":                             "http://[::1]:8080/",
	} {
		c, err := NewClient(in, WithProjectID(testProject), WithAuth(auth.StaticToken(testToken)))
		require.NoError(t, err, in)
		assert.Equal(t, want, c.Endpoint())
		assert.Equal(t, testProject, c.ProjectID())
	}
}

func TestRegionEndpoint(t *testing.T) {
	t.Parallel()
	for region, want := range map[string]string{
		"cn-north-4":     "https://gaussdb.cn-north-4.myhuaweicloud.com",
		" CN-NORTH-4 ":   "https://gaussdb.cn-north-4.myhuaweicloud.com", //nolint:gocritic // surrounding space is trimmed
		"ap-southeast-1": "https://gaussdbformysql.ap-southeast-1.myhuaweicloud.com",
		"cn-east-5":      "https://gaussdb-mysql.cn-east-5.myhuaweicloud.com",
		"sa-brazil-1":    "https://gaussdb.sa-brazil-1.myhuaweicloud.com",
		"me-east-1":      "https://gaussdbformysql.me-east-1.myhuaweicloud.com",
	} {
		got, err := RegionEndpoint(region)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	assert.Len(t, Regions(), 20)
	_, err := RegionEndpoint("mars-1")
	require.ErrorIs(t, err, ErrInvalidRequest)
	assert.Contains(t, err.Error(), `"mars-1"`)
	assert.Contains(t, err.Error(), "cn-north-4")
	assert.Contains(t, err.Error(), "af-south-1")
	assert.False(t, errors.Is(err, ErrInvalidResponse))
}

func TestPlainHTTPOnlyToLoopback(t *testing.T) {
	t.Parallel()
	for endpoint, ok := range map[string]bool{
		"http://127.0.0.1:8080":                        true,
		"http://127.8.9.10":                            true,
		"http://[::1]:8080":                            true,
		"http://localhost:8080":                        true,
		"http://LOCALHOST":                             true,
		"https://gaussdb.cn-north-4.myhuaweicloud.com": true,
		"http://gaussdb.cn-north-4.myhuaweicloud.com":  false,
		"http://10.0.0.1:8080":                         false,
		"http://localhost.example.com":                 false,
		"http://[::ffff:10.0.0.1]":                     false,
		"http://128.0.0.1":                             false,
	} {
		_, err := NewClient(endpoint, WithProjectID(testProject), WithAuth(auth.StaticToken(testToken)))
		if ok {
			assert.NoError(t, err, endpoint)
			continue
		}
		require.ErrorIs(t, err, ErrInvalidRequest, endpoint)
		var ire *InvalidRequestError
		require.ErrorAs(t, err, &ire)
		assert.Equal(t, "endpoint", ire.Field)
		assert.Contains(t, err.Error(), "clear text")
		_, err = NewClient(endpoint, WithProjectID(testProject), WithAuth(auth.StaticToken(testToken)), WithInsecureHTTP())
		assert.NoError(t, err, endpoint+" with WithInsecureHTTP")
	}
}
