package chreplication

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAPIErrorEveryStatusAndBody drives every operation into every non-2xx
// status the gateway or service answers, with every body shape, and checks
// that an *APIError with the status, the code and message where the body has
// them, and the request ID comes back.
func TestAPIErrorEveryStatusAndBody(t *testing.T) {
	t.Parallel()
	bodies := []struct {
		name, contentType, body string
		wantCode, wantMsg       string
	}{
		{"json error", "application/json", `{"error_code":"DBS.280292","error_msg":"The database does not exist."}`, "DBS.280292", "The database does not exist."},
		{"gateway json", "application/json", `{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information"}`, "APIGW.0301", "Incorrect IAM authentication information"},
		{"iam shape", "application/json", `{"error":{"code":"401","title":"Unauthorized","message":"The request you have made requires authentication."}}`, "401", "The request you have made requires authentication."},
		{"code/message shape", "application/json", `{"code":429,"message":"too many requests"}`, "429", "too many requests"},
		{"html page", "text/html", "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>", "", ""},
		{"plain text", "text/plain", "upstream connect error\nmore detail", "", "upstream connect error"},
		{"empty body", "", "", "", ""},
		{"invalid json", "application/json", `{"error_code": "DBS.1", "error_msg": `, "", `{"error_code": "DBS.1", "error_msg":`},
		{"json array", "application/json", `[1,2,3]`, "", "[1,2,3]"},
	}
	statuses := []int{400, 401, 403, 404, 429, 500, 502, 503}
	ops := []struct {
		name    string
		pattern string
		call    func(c *Client) error
	}{
		{"create", "POST " + replicationPath, func(c *Client) error {
			id, err := c.CreateReplication(t.Context(), testInstance, CreateReplicationRequest{SourceInstanceID: "s", SourceDatabase: "d"})
			assert.Empty(t, id)
			return err
		}},
		{"list", "GET " + replicationPath, func(c *Client) error {
			p, err := c.ListReplications(t.Context(), testInstance, ListOptions{})
			assert.Nil(t, p)
			return err
		}},
		{"delete", "DELETE " + replicationPath + "/{db}", func(c *Client) error {
			id, err := c.DeleteReplication(t.Context(), testInstance, "d")
			assert.Empty(t, id)
			return err
		}},
		{"job", "GET " + jobsPath, func(c *Client) error {
			j, err := c.Job(t.Context(), "j1")
			assert.Nil(t, j)
			return err
		}},
	}
	for _, op := range ops {
		for _, status := range statuses {
			for _, b := range bodies {
				t.Run(fmt.Sprintf("%s/%d/%s", op.name, status, b.name), func(t *testing.T) {
					t.Parallel()
					c, ts := setup(t, WithoutRetry())
					ts.handle(op.pattern, func(w http.ResponseWriter, r *http.Request) {
						if b.contentType != "" {
							w.Header().Set("Content-Type", b.contentType)
						}
						w.Header().Set("X-Request-Id", "req-123")
						if status == http.StatusTooManyRequests {
							// A throttle is ridden out until the deadline
							// unless Retry-After asks for longer.
							w.Header().Set("Retry-After", "3600")
						}
						w.WriteHeader(status)
						_, _ = io.WriteString(w, b.body)
					})
					err := op.call(c)
					require.Error(t, err)
					var apiErr *APIError
					require.ErrorAs(t, err, &apiErr)
					assert.Equal(t, status, apiErr.StatusCode)
					assert.Equal(t, "req-123", apiErr.RequestID)
					assert.Equal(t, b.wantCode, apiErr.Code)
					if b.wantMsg != "" {
						assert.Equal(t, b.wantMsg, apiErr.Message)
					} else {
						assert.Equal(t, http.StatusText(status), apiErr.Message)
					}
					assert.Contains(t, err.Error(), fmt.Sprint(status))
					assert.Contains(t, err.Error(), "req-123")
					assert.Equal(t, status == 404 || status == 400 && b.wantCode == "DBS.280292", IsNotFound(err))
					assert.Equal(t, status == 429, IsThrottled(err))
					assert.Equal(t, status == 401, IsUnauthorized(err))
					assert.False(t, errors.Is(err, ErrInvalidRequest))
					assert.NotContains(t, err.Error(), testToken)
				})
			}
		}
	}
}

func TestAPIErrorMessage(t *testing.T) {
	t.Parallel()
	e := newAPIError(opCreate.name, "POST", "/v3/p/x", 400, http.Header{"X-Request-Id": {"r1"}},
		[]byte(`{"error_code":"DBS.280292","error_msg":"bad\nthing\u001b[31m"}`))
	assert.Equal(t, "chreplication: POST /v3/p/x: 400 Bad Request: DBS.280292: bad thing [31m (request ID r1)", e.Error())

	long := newAPIError(opCreate.name, "POST", "/", 500, http.Header{}, []byte(strings.Repeat("x", 10000)))
	assert.LessOrEqual(t, len(long.Message), maxMessageLen+3)
}

func TestCleanMessages(t *testing.T) {
	t.Parallel()
	long := "bad\xffbyte " + strings.Repeat("é", 400) // invalid UTF-8 early, cut inside a character
	got := clean(long)
	assert.True(t, utf8.ValidString(got))
	assert.True(t, strings.HasPrefix(got, "bad\uFFFDbyte "), "the text before and after the bad byte is kept")
	assert.True(t, strings.HasSuffix(got, "é..."), "cut at a character boundary")
	assert.LessOrEqual(t, len(got), maxMessageLen+3+2)
	assert.Equal(t, "a b  c", clean(" a\tb\r\nc\x00 "))
	assert.Equal(t, "x\uFFFDy", clean("x\xc3y"))
}

// TestIsNotFound: a 404, or a 400 whose code says that the job, the task or
// the database does not exist; no other 400, nor those codes with another
// status, nor an error that is not an *APIError.
func TestIsNotFound(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		status int
		code   string
		want   bool
	}{
		{404, "", true},
		{404, "APIGW.0101", true},
		{404, "DBS.200001", true},
		{400, "DBS.200543", true},
		{400, "DBS.280292", true},
		{400, "DBS.280128", true},
		{400, "DBS.270022", true},
		{400, "DBS.05000091", true},
		{400, "DBS.200001", false},
		{400, "DBS.280293", false},
		{400, "", false},
		{400, "dbs.200543", false},
		{409, "DBS.200543", false},
		{500, "DBS.280292", false},
	} {
		t.Run(fmt.Sprintf("%d/%s", tt.status, tt.code), func(t *testing.T) {
			t.Parallel()
			err := fmt.Errorf("wrapped: %w", &APIError{StatusCode: tt.status, Code: tt.code})
			assert.Equal(t, tt.want, IsNotFound(err))
		})
	}
	assert.False(t, IsNotFound(nil))
	assert.False(t, IsNotFound(errors.New("DBS.200543 404")))
}

// TestIsBusy: the busy codes of a 409, and DBS.212033 from a 403 too.
func TestIsBusy(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		status int
		code   string
		want   bool
	}{
		{409, "DBS.200019", true},
		{409, "DBS.201014", true},
		{409, "DBS.201015", true},
		{409, "DBS.200047", true},
		{409, "DBS.05000084", true},
		{409, "DBS.212033", true},
		{403, "DBS.212033", true},
		{403, "DBS.200019", false},
		{409, "DBS.280293", false},
		{409, "", false},
		{400, "DBS.212033", false},
		{429, "APIGW.0308", false},
	} {
		t.Run(fmt.Sprintf("%d/%s", tt.status, tt.code), func(t *testing.T) {
			t.Parallel()
			err := fmt.Errorf("wrapped: %w", &APIError{StatusCode: tt.status, Code: tt.code})
			assert.Equal(t, tt.want, IsBusy(err))
		})
	}
	assert.False(t, IsBusy(nil))
	assert.False(t, IsBusy(errors.New("409 DBS.200019")))
}

// TestIsNotFoundOfAnUnknownJob: the service's answer to a job it does not
// know, through the client.
func TestIsNotFoundOfAnUnknownJob(t *testing.T) {
	t.Parallel()
	c, ts := setup(t)
	ts.handle("GET "+jobsPath, func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error_code":"DBS.200543","error_msg":"The job does not exist."}`)
	})
	_, err := c.Job(t.Context(), "j1")
	assert.True(t, IsNotFound(err), "got %v", err)
}

// TestRedirectIsNotFollowedAndSaysSo: a redirect is an *APIError that says
// it was not followed and where it pointed, without the Location's user
// information or query (which may hold secrets), not the page's "Found".
func TestRedirectIsNotFollowedAndSaysSo(t *testing.T) {
	t.Parallel()
	c, ts := setup(t, WithoutRetry())
	var elsewhere atomic.Int32
	ts.handle("GET "+replicationPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "https://user:pw@elsewhere.example/login?token=S3CRET#x")
		w.WriteHeader(http.StatusFound)
		_, _ = io.WriteString(w, `<a href="https://elsewhere.example/login">Found</a>.`)
	})
	ts.handle("/login", func(http.ResponseWriter, *http.Request) { elsewhere.Add(1) })
	_, err := c.ListReplications(t.Context(), testInstance, ListOptions{})
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusFound, apiErr.StatusCode)
	assert.Equal(t, "redirect to https://elsewhere.example/login not followed (the client follows no redirect: the credentials would go with it)", apiErr.Message)
	assert.NotContains(t, err.Error(), "S3CRET")
	assert.NotContains(t, err.Error(), "pw@")
	assert.Zero(t, elsewhere.Load())
}
