package bench

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/auth"
	"github.com/gaussdb-tools/chreplication/generated"
)

// captureTransport keeps the last request and answers every one with a body
// that suits the operation.
type captureTransport struct {
	last *http.Request
	body []byte
}

func (t *captureTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.last, t.body = req, nil
	if req.Body != nil {
		t.body, _ = io.ReadAll(req.Body)
	}
	answer := createAnswer
	switch {
	case req.Method == http.MethodGet && strings.HasSuffix(req.URL.Path, "/jobs"):
		answer = jobAnswer
	case req.Method == http.MethodGet:
		answer = []byte(`{"total_count":0,"replications":[]}`)
	}
	return okJSON(req, answer), nil
}

// TestFacadeRequestsMatchGeneratedBuilders checks that the requests the
// facade builds (with one URL parse, see call.go newRequest) are the ones
// the generated request builders make: same method, URL, Content-Type,
// X-Language and body, for endpoints with path prefixes and dot segments,
// database names that need escaping, and every list paging combination.
func TestFacadeRequestsMatchGeneratedBuilders(t *testing.T) {
	endpoints := []string{
		"http://127.0.0.1:8080",
		"https://gaussdb.cn-north-4.myhuaweicloud.com/",
		"https://api.example.com/prefix",
		"https://api.example.com/a/../b/./c/",
		"https://api.example.com/sp%20ace/x%2Fy/",
	}
	databases := []string{
		"db", "my db", "naïve", "数据库", "a+b", "a%b", "a%20b", "a;b", "a,b", "a?b", "a#b",
		"a&b=c", "a@b:c", "[x]", "$!'()*", "~tilde", " lead", "%2F", "a\u00a0b",
	}
	pages := []chreplication.ListOptions{{}, {Limit: 100}, {Offset: 5}, {Limit: 1, Offset: 2147483647}}
	ctx := context.Background()
	for _, endpoint := range endpoints {
		for _, lang := range []string{"", "zh-cn"} {
			tr := &captureTransport{}
			opts := []chreplication.Option{
				chreplication.WithProjectID(projectID),
				chreplication.WithAuth(auth.StaticToken(token)),
				chreplication.WithHTTPClient(&http.Client{Transport: tr}),
			}
			var xl *generated.XLanguage
			if lang != "" {
				opts = append(opts, chreplication.WithLanguage(lang))
				l := generated.XLanguage(lang)
				xl = &l
			}
			c, err := chreplication.NewClient(endpoint, opts...)
			if err != nil {
				t.Fatal(err)
			}
			server := c.Endpoint()
			check := func(what string, want *http.Request, err error) {
				t.Helper()
				if err != nil {
					t.Fatalf("%s: generated builder: %v", what, err)
				}
				var wantBody []byte
				if want.Body != nil {
					wantBody, _ = io.ReadAll(want.Body)
				}
				got := tr.last
				if got == nil {
					t.Fatalf("%s on %s: the facade sent no request", what, endpoint)
				}
				tr.last = nil // the next check must see the next call's request, not this one
				if got.Method != want.Method || got.URL.String() != want.URL.String() || got.URL.RequestURI() != want.URL.RequestURI() ||
					got.Host != want.Host || string(tr.body) != string(wantBody) {
					t.Errorf("%s on %s: facade sent %s %s (%s) %q, generated builder %s %s (%s) %q", what, endpoint,
						got.Method, got.URL, got.URL.RequestURI(), tr.body, want.Method, want.URL, want.URL.RequestURI(), wantBody)
				}
				for _, h := range []string{"Content-Type", "X-Language"} {
					if g, w := strings.Join(got.Header.Values(h), ","), strings.Join(want.Header.Values(h), ","); g != w {
						t.Errorf("%s on %s: facade sent %s %q, generated builder %q", what, endpoint, h, g, w)
					}
				}
			}

			if _, err := c.CreateReplication(ctx, instanceID, chreplication.CreateReplicationRequest{
				SourceInstanceID: sourceInstanceID, SourceDatabase: "my db", SourceNodeID: "node-1"}); err != nil {
				t.Fatal(err)
			}
			node := "node-1"
			want, err := generated.NewCreateClickHouseDataBaseReplicationRequest(server, projectID, instanceID,
				&generated.CreateClickHouseDataBaseReplicationParams{XLanguage: xl},
				generated.CreateReplicationRequest{SourceInstanceID: sourceInstanceID, SourceDatabase: "my db", SourceNodeID: &node})
			check("create", want, err)

			for _, db := range databases {
				if _, err := c.DeleteReplication(ctx, instanceID, db); err != nil {
					t.Fatalf("delete %q: %v", db, err)
				}
				want, err := generated.NewDeleteClickHouseDataBaseReplicationRequest(server, projectID, instanceID, db,
					&generated.DeleteClickHouseDataBaseReplicationParams{XLanguage: xl})
				check("delete "+db, want, err)
			}

			for _, p := range pages {
				if _, err := c.ListReplications(ctx, instanceID, p); err != nil {
					t.Fatal(err)
				}
				params := &generated.ListClickHouseDataBaseReplicationParams{XLanguage: xl}
				if p.Limit != 0 {
					l := int32(p.Limit)
					params.Limit = &l
				}
				if p.Offset != 0 {
					o := int32(p.Offset)
					params.Offset = &o
				}
				want, err := generated.NewListClickHouseDataBaseReplicationRequest(server, projectID, instanceID, params)
				check("list", want, err)
			}

			if _, err := c.Job(ctx, jobID); err != nil {
				t.Fatal(err)
			}
			want, err = generated.NewShowGaussMySQLJobInfoRequest(server, projectID,
				&generated.ShowGaussMySQLJobInfoParams{ID: jobID, XLanguage: xl})
			check("job", want, err)
		}
	}
}
