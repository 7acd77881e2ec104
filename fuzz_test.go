package chreplication

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication/auth"
	"github.com/gaussdb-tools/chreplication/fake"
)

// FuzzResponse sends every operation an arbitrary answer (status, content
// type, request ID, body) and checks the outcome is either a valid result or
// one of the client's typed errors: never a panic, never a zero result with
// a nil error.
func FuzzResponse(f *testing.F) {
	seeds := []struct {
		status    int
		ctype, id string
		body      string
	}{
		{200, "application/json", "r1", `{"job_id":"18ef8ee3-b880-4851-8978-bb6acbd4e695"}`},
		{200, "application/json", "", `{"total_count":1,"replications":[{"source_database":"a","percentage":40}]}`},
		{200, "application/json", "", `{"job":{"id":"j","status":"Running","created":"2018-08-06T10:41:14+0000","process":"40%"}}`},
		{200, "application/json", "", ``},
		{200, "text/html", "", `<html>`},
		{200, "application/json", "", `{"job_id":""}`},
		{200, "application/json", "", `{"total_count":-5,"replications":null}`},
		{200, "application/json", "", `{"job":{"id":"j","status":"Nope","created":"yesterday"}}`},
		{201, "application/json", "", `{"job_id":"x"}`},
		{204, "", "", ``},
		{400, "application/json", "r2", `{"error_code":"DBS.280292","error_msg":"gone"}`},
		{401, "application/json", "", `{"error":{"code":401,"message":"no"}}`},
		{429, "text/plain", "", "slow down\n"},
		{500, "application/json", "", `{"error_code":`},
		{502, "text/html", "", "<html><title>502</title></html>"},
		{503, "", "\x00\x01", "\xff\xfe"},
		{302, "", "", ""},
	}
	for _, s := range seeds {
		f.Add(s.status, s.ctype, s.id, []byte(s.body))
	}

	var (
		once sync.Once
		srv  *httptest.Server
		mu   sync.Mutex
		next struct {
			status    int
			ctype, id string
			body      []byte
		}
		c *Client
	)
	f.Cleanup(func() {
		if srv != nil {
			srv.Close()
		}
	})
	f.Fuzz(func(t *testing.T, status int, ctype, id string, body []byte) {
		once.Do(func() {
			srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				mu.Lock()
				n := next
				mu.Unlock()
				if n.ctype != "" {
					w.Header()["Content-Type"] = []string{n.ctype}
				}
				if n.id != "" {
					w.Header()["X-Request-Id"] = []string{n.id}
				}
				w.WriteHeader(n.status)
				_, _ = w.Write(n.body)
			}))
			var err error
			c, err = NewClient(srv.URL, WithProjectID(testProject), WithAuth(auth.StaticToken(testToken)), WithoutRetry(), WithTimeout(5*time.Second))
			require.NoError(t, err)
		})
		status = 200 + abs(status)%400                  // 200..599: the statuses a server can send
		ctype, id = headerValue(ctype), headerValue(id) // what a server can send
		mu.Lock()
		next.status, next.ctype, next.id, next.body = status, ctype, id, body
		mu.Unlock()

		check := func(op string, ok bool, err error) {
			t.Helper()
			if err == nil {
				if !ok {
					t.Fatalf("%s: nil error with an unusable result (status %d)", op, status)
				}
				if status < 200 || status > 299 {
					t.Fatalf("%s: nil error for status %d", op, status)
				}
				return
			}
			var apiErr *APIError
			switch {
			case errors.As(err, &apiErr):
				if apiErr.StatusCode != status || status < 300 {
					t.Fatalf("%s: APIError status %d for answer %d", op, apiErr.StatusCode, status)
				}
				if len(apiErr.Message) > maxMessageLen+3 || strings.ContainsAny(apiErr.Message, "\n\r") {
					t.Fatalf("%s: message not cleaned: %q", op, apiErr.Message)
				}
			case errors.Is(err, ErrInvalidResponse), errors.Is(err, ErrResponseTooLarge):
				if status < 200 || status > 299 {
					t.Fatalf("%s: invalid-response error for status %d", op, status)
				}
			default:
				t.Fatalf("%s: untyped error %v", op, err)
			}
		}
		ctx := t.Context()
		id1, err := c.CreateReplication(ctx, testInstance, CreateReplicationRequest{SourceInstanceID: "s", SourceDatabase: "d"})
		check("create", id1 != "", err)
		id2, err := c.DeleteReplication(ctx, testInstance, "d")
		check("delete", id2 != "", err)
		page, err := c.ListReplications(ctx, testInstance, ListOptions{})
		check("list", page != nil && page.TotalCount >= 0, err)
		job, err := c.Job(ctx, "j1")
		check("job", job != nil && job.ID != "" && job.Status != "", err)
	})
}

func abs(n int) int {
	if n < 0 {
		if n == -n { // math.MinInt
			return 0
		}
		return -n
	}
	return n
}

// headerValue keeps the part of s that can be sent as a header value.
func headerValue(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' && r != '\t' || r == 0x7f || r == utf8.RuneError {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

var (
	specOnce    sync.Once
	specSchemas map[string]*openapi3.Schema
	specErr     error
)

// schema returns a component schema of the spec, as the fake embeds it.
func schema(t testing.TB, name string) *openapi3.Schema {
	t.Helper()
	specOnce.Do(func() {
		doc, err := fake.Spec()
		if err != nil {
			specErr = err
			return
		}
		specSchemas = map[string]*openapi3.Schema{}
		for n, ref := range doc.Components.Schemas {
			specSchemas[n] = ref.Value
		}
	})
	require.NoError(t, specErr)
	s := specSchemas[name]
	require.NotNil(t, s, name)
	return s
}

// FuzzInputChecksAgreeWithSpec is a differential test: for any string, the
// facade accepts it as an ID (or a database name) exactly when the spec's
// schema does, so the facade never refuses what the API takes, nor sends
// what the API would refuse.
func FuzzInputChecksAgreeWithSpec(f *testing.F) {
	for _, b := range badIDs {
		f.Add(b.id)
	}
	for _, b := range badDatabases {
		f.Add(b.db)
	}
	for _, s := range []string{"23a50154cf494ec9ad6883979a12db0a", "54e42160670e48e789af7075e1efea1fin16",
		"18ef8ee3-b880-4851-8978-bb6acbd4e695", "sales db", " x", "日本語", "a\u00a0", "a\u2028b", "\ufeff", "a\u0085", "a\u009f", "a\u00a0 ", "x\t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			// JSON cannot carry invalid UTF-8; the facade refuses it.
			if checkDatabase("db", s) == nil || checkID("id", s) == nil {
				t.Fatalf("accepted invalid UTF-8 %q", s)
			}
			return
		}
		idSpec := schema(t, "ID").VisitJSON(s) == nil
		if idFacade := checkID("id", s) == nil; idFacade != idSpec {
			t.Fatalf("ID %q: facade accepts=%v, spec accepts=%v", s, idFacade, idSpec)
		}
		dbSpec := schema(t, "DatabaseName").VisitJSON(s) == nil
		if dbFacade := checkDatabase("db", s) == nil; dbFacade != dbSpec {
			t.Fatalf("database %q: facade accepts=%v, spec accepts=%v", s, dbFacade, dbSpec)
		}
	})
}
