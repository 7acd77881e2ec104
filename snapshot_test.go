package chreplication

import (
	"bytes"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication/auth"
)

var update = flag.Bool("update", false, "rewrite the request snapshots in testdata/requests")

// captureTransport records the request it is given and answers 200 with
// the body that answer returns for it.
type captureTransport struct {
	got    []byte
	answer func(*http.Request) string
}

// volatileHeaders change from run to run (or hold credentials): the
// snapshot says only that they were sent.
var volatileHeaders = map[string]bool{"User-Agent": true, "X-Auth-Token": true}

func (c *captureTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var b bytes.Buffer
	b.WriteString(req.Method + " " + req.URL.RequestURI() + "\n")
	b.WriteString("Host: " + req.URL.Host + "\n")
	names := make([]string, 0, len(req.Header))
	for name := range req.Header {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		v := strings.Join(req.Header.Values(name), ", ")
		if volatileHeaders[name] {
			v = "(set)"
		}
		b.WriteString(name + ": " + v + "\n")
	}
	if req.Body != nil {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		b.WriteString("\n" + string(body) + "\n")
	}
	c.got = b.Bytes()
	return &http.Response{
		StatusCode: http.StatusOK,
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       io.NopCloser(strings.NewReader(c.answer(req))),
		Request:    req,
	}, nil
}

// TestRequestSnapshots pins every operation's exact wire form (method,
// path, query, headers, body) in testdata/requests: any change the spec,
// the generator or the facade makes to what is sent shows up as a diff.
// Run with -update to accept a change.
func TestRequestSnapshots(t *testing.T) {
	t.Parallel()
	answers := map[string]string{
		http.MethodGet + " /api/v3/" + testProject + "/jobs":                  `{"job":{"id":"j1","status":"Running"}}`,
		http.MethodGet + " /api" + chPath + "/databases":                      `{"databases":[],"total_count":0}`,
		http.MethodGet + " /api" + chPath + "/replication/database-parameter": `{"db_parameters":[]}`,
		http.MethodGet + " /api" + chPath + "/replication/config":             `{"database_info":{"database_name":"d"}}`,
		http.MethodPost + " /api" + chPath + "/replication/database-check":    `{"database_name":"d","db_config_check_results":[]}`,
		http.MethodPost + " /api" + chPath + "/replication/table-check":       `{"source_database_name":"d","table_config_check_results":[]}`,
		http.MethodGet:    `{"total_count":0,"replications":[]}`,
		http.MethodPost:   `{"job_id":"j1"}`,
		http.MethodDelete: `{"job_id":"j1"}`,
		http.MethodPut:    `{"job_id":"j1"}`,
	}
	tr := &captureTransport{answer: func(r *http.Request) string {
		if a, ok := answers[r.Method+" "+r.URL.Path]; ok {
			return a
		}
		return answers[r.Method]
	}}
	newClient := func(opts ...Option) *Client {
		c, err := NewClient("https://gaussdb.cn-north-4.myhuaweicloud.com/api", append([]Option{
			WithProjectID(testProject), WithAuth(auth.StaticToken("snapshot-token")),
			WithHTTPClient(&http.Client{Transport: tr}), WithoutRetry(),
		}, opts...)...)
		require.NoError(t, err)
		return c
	}
	plain, zh := newClient(), newClient(WithLanguage("zh-cn"))
	snapshots := []struct {
		name string
		call func(c *Client) error
	}{
		{"create", func(c *Client) error {
			_, err := c.CreateReplication(t.Context(), testInstance, CreateReplicationRequest{SourceInstanceID: "ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07", SourceDatabase: "shop"})
			return err
		}},
		{"create-node", func(c *Client) error {
			_, err := c.CreateReplication(t.Context(), testInstance, CreateReplicationRequest{SourceInstanceID: "ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07", SourceNodeID: "node-1", SourceDatabase: "销售 数据"})
			return err
		}},
		{"list", func(c *Client) error {
			_, err := c.ListReplications(t.Context(), testInstance, ListOptions{})
			return err
		}},
		{"list-page", func(c *Client) error {
			_, err := c.ListReplications(t.Context(), testInstance, ListOptions{Limit: 100, Offset: 200})
			return err
		}},
		{"delete", func(c *Client) error {
			_, err := c.DeleteReplication(t.Context(), testInstance, "my db ü")
			return err
		}},
		{"job", func(c *Client) error {
			_, err := c.Job(t.Context(), "18ef8ee3-b880-4851-8978-bb6acbd4e695")
			return err
		}},
		{"databases", func(c *Client) error {
			_, err := c.ListDatabases(t.Context(), testInstance, DatabaseListOptions{})
			return err
		}},
		{"databases-page", func(c *Client) error {
			_, err := c.ListDatabases(t.Context(), testInstance, DatabaseListOptions{Name: "销售 db", Limit: 20, Offset: 40})
			return err
		}},
		{"params", func(c *Client) error {
			_, err := c.DatabaseParameters(t.Context(), testInstance)
			return err
		}},
		{"check-database", func(c *Client) error {
			_, err := c.CheckDatabaseConfig(t.Context(), testInstance, CheckRequest{
				SourceInstanceID: "ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07", SourceDatabase: "shop",
				Settings: []Setting{{Name: "max_sync_threads", Value: "2"}},
			})
			return err
		}},
		{"check-tables", func(c *Client) error {
			_, err := c.CheckTableConfig(t.Context(), testInstance, CheckRequest{
				SourceInstanceID: "ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07", SourceNodeID: "node-1", SourceDatabase: "shop",
				Scope:  TableScope{Mode: ScopeInclude, Tables: []string{"orders"}},
				Tables: []TableConfig{{Table: "orders", Config: "ORDER BY id"}},
			})
			return err
		}},
		{"config", func(c *Client) error {
			_, err := c.ShowReplicationConfig(t.Context(), testInstance, "my db ü")
			return err
		}},
		{"scope", func(c *Client) error {
			_, err := c.UpdateScope(t.Context(), testInstance, ScopeUpdate{
				SourceInstanceID: "ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07", Database: "shop",
				Scope: TableScope{Mode: ScopeExclude, Tables: []string{"audit_log", "tmp"}},
			})
			return err
		}},
		{"scope-cancel", func(c *Client) error {
			_, err := c.CancelScopeUpdate(t.Context(), testInstance, "my db ü")
			return err
		}},
	}
	for _, s := range snapshots {
		for lang, c := range map[string]*Client{"": plain, "-zh": zh} {
			name := s.name + lang
			require.NoError(t, s.call(c), name)
			file := filepath.Join("testdata", "requests", name+".txt")
			if *update {
				require.NoError(t, os.WriteFile(file, tr.got, 0o644))
				continue
			}
			want, err := os.ReadFile(file)
			require.NoError(t, err, "run go test -run TestRequestSnapshots -update to write the snapshots")
			assert.Equal(t, string(want), string(tr.got), name)
		}
	}
}
