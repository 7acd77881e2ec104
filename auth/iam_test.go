package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gaussdb-tools/chreplication/auth"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	iamPassword = `S3cr3t-P4ss"word`
	iamToken    = "MIIT-secret-token-value-0123456789"
	iamProject  = "0123456789abcdef0123456789abcdef"
)

func passwordSource(endpoint string) auth.PasswordTokenSource {
	return auth.PasswordTokenSource{
		Endpoint:  endpoint,
		Domain:    "my-domain",
		User:      "my-user",
		Password:  iamPassword,
		ProjectID: iamProject,
	}
}

// iamServer starts an IAM stand-in on 127.0.0.1 that checks the request and
// then answers with respond.
func iamServer(t *testing.T, respond func(w http.ResponseWriter)) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		body, err := io.ReadAll(r.Body)
		if !assert.NoError(t, err) {
			return
		}
		assert.Equal(t, http.MethodPost, r.Method)
		assert.Equal(t, "/v3/auth/tokens", r.URL.Path)
		assert.Equal(t, "true", r.URL.Query().Get("nocatalog"))
		assert.Equal(t, "application/json;charset=UTF-8", r.Header.Get("Content-Type"))
		assert.Empty(t, r.Header.Get("X-Auth-Token"))
		// The body of DESIGN.md, byte for byte.
		auth.EqualSecret(t,
			`{"auth":{"identity":{"methods":["password"],"password":{"user":{"domain":{"name":"my-domain"},"name":"my-user","password":"S3cr3t-P4ss\"word"}}},"scope":{"project":{"id":"0123456789abcdef0123456789abcdef"}}}}`,
			string(body), "the request body (DESIGN.md's)")
		respond(w)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func created(w http.ResponseWriter, token, body string) {
	if token != "" {
		w.Header().Set("X-Subject-Token", token)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(w, body)
}

func TestPasswordTokenSource(t *testing.T) {
	t.Parallel()
	srv, hits := iamServer(t, func(w http.ResponseWriter) {
		created(w, iamToken, `{"token":{"expires_at":"2020-01-04T09:05:22.701000Z","issued_at":"2020-01-03T09:05:22.701000Z","methods":["password"]}}`)
	})
	for _, endpoint := range []string{srv.URL, srv.URL + "/", srv.URL + "/v3", srv.URL + "/v3/"} {
		tok, err := passwordSource(endpoint).Token(t.Context())
		require.NoError(t, err, endpoint)
		auth.EqualSecret(t, iamToken, tok.Value, "the token")
		assert.Equal(t, time.Date(2020, 1, 4, 9, 5, 22, 701000000, time.UTC), tok.ExpiresAt)
	}
	assert.EqualValues(t, 4, hits.Load())
}

func TestPasswordTokenSourceErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		respond func(w http.ResponseWriter)
		want    []string // substrings of the error
		status  int      // >0: an *auth.IAMError with this status
	}{
		{
			name: "401 keystone style",
			respond: func(w http.ResponseWriter) {
				w.Header().Set("X-Request-Id", "req-123")
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = io.WriteString(w, `{"error":{"code":401,"title":"Unauthorized","message":"The request you have made requires authentication."}}`)
			},
			want:   []string{"POST http://127.0.0.1", "/v3/auth/tokens", "401 Unauthorized", "requires authentication", "req-123"},
			status: 401,
		},
		{
			name: "401 IAM style",
			respond: func(w http.ResponseWriter) {
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = io.WriteString(w, `{"error_code":"IAM.0001","error_msg":"The username or password is wrong."}`)
			},
			want:   []string{"401 Unauthorized", "IAM.0001", "The username or password is wrong."},
			status: 401,
		},
		{
			name: "400 echoing the password",
			respond: func(w http.ResponseWriter) {
				w.WriteHeader(http.StatusBadRequest)
				b, _ := json.Marshal(map[string]any{"error": map[string]any{"code": "IAM.0007", "message": "bad password " + iamPassword}})
				_, _ = w.Write(b)
			},
			want:   []string{"400 Bad Request", "IAM.0007", "bad password [REDACTED]"},
			status: 400,
		},
		{
			name: "500 HTML",
			respond: func(w http.ResponseWriter) {
				w.WriteHeader(http.StatusInternalServerError)
				_, _ = io.WriteString(w, "<html><body>\nInternal error\r\n</body></html>")
			},
			want:   []string{"500 Internal Server Error", "<html><body> Internal error"},
			status: 500,
		},
		{
			name: "200 instead of 201",
			respond: func(w http.ResponseWriter) {
				w.Header().Set("X-Subject-Token", iamToken)
				_, _ = io.WriteString(w, `{"token":{"expires_at":"2020-01-04T09:05:22.701000Z"}}`)
			},
			want:   []string{"200 OK"},
			status: 200,
		},
		{
			name:    "no X-Subject-Token",
			respond: func(w http.ResponseWriter) { created(w, "", `{"token":{"expires_at":"2020-01-04T09:05:22.701000Z"}}`) },
			want:    []string{"no X-Subject-Token"},
		},
		{
			name:    "bad expires_at",
			respond: func(w http.ResponseWriter) { created(w, iamToken, `{"token":{"expires_at":"04/01/2020 09:05"}}`) },
			want:    []string{"expires_at", "04/01/2020 09:05", "RFC 3339"},
		},
		{
			name:    "no expires_at",
			respond: func(w http.ResponseWriter) { created(w, iamToken, `{"token":{}}`) },
			want:    []string{"no token.expires_at"},
		},
		{
			name:    "body not JSON",
			respond: func(w http.ResponseWriter) { created(w, iamToken, `<html>`) },
			want:    []string{"not the expected JSON"},
		},
		{
			name: "body too large",
			respond: func(w http.ResponseWriter) {
				created(w, iamToken, `{"token":{"expires_at":"2020-01-04T09:05:22.701000Z","pad":"`+strings.Repeat("x", auth.MaxIAMBody)+`"}}`)
			},
			want: []string{"exceeds"},
		},
		{
			name: "error body too large",
			respond: func(w http.ResponseWriter) {
				w.WriteHeader(http.StatusBadGateway)
				_, _ = io.WriteString(w, strings.Repeat("x", auth.MaxIAMBody+10))
			},
			want:   []string{"502 Bad Gateway", "larger than"},
			status: 502,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := iamServer(t, tc.respond)
			tok, err := passwordSource(srv.URL).Token(t.Context())
			require.Error(t, err)
			assert.Empty(t, tok.Value)
			for _, s := range tc.want {
				auth.HasText(t, err.Error(), s)
			}
			auth.AssertErrNoSecret(t, err, iamPassword, iamToken)
			var ie *auth.IAMError
			if tc.status > 0 {
				require.ErrorAs(t, err, &ie)
				assert.Equal(t, tc.status, ie.StatusCode)
			} else {
				assert.False(t, errors.As(err, &ie))
			}
		})
	}
}

// TestPasswordTokenSourceEchoedRequest: an error page that quotes the
// request body holds the password JSON-escaped as it was sent ("&" is
// \u0026 there): that form is scrubbed too.
func TestPasswordTokenSourceEchoedRequest(t *testing.T) {
	t.Parallel()
	const password = `pw<&>"\x-secret`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, "bad request: "+string(body))
	}))
	t.Cleanup(srv.Close)
	src := passwordSource(srv.URL)
	src.Password = password
	_, err := src.Token(t.Context())
	require.Error(t, err)
	auth.HasText(t, err.Error(), "400 Bad Request")
	auth.HasText(t, err.Error(), "[REDACTED]")
	auth.AssertErrNoSecret(t, err, password, "x-secret")
}

func TestPasswordTokenSourceNoRedirect(t *testing.T) {
	t.Parallel()
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		created(w, iamToken, `{"token":{"expires_at":"2020-01-04T09:05:22.701000Z"}}`)
	}))
	t.Cleanup(other.Close)
	srv, _ := iamServer(t, func(w http.ResponseWriter) {
		w.Header().Set("Location", other.URL+"/v3/auth/tokens")
		w.WriteHeader(http.StatusTemporaryRedirect)
	})
	_, err := passwordSource(srv.URL).Token(t.Context())
	require.Error(t, err)
	auth.HasText(t, err.Error(), "307")
	auth.HasText(t, err.Error(), "not followed")
	assert.Zero(t, elsewhere.Load(), "the password was not resent elsewhere")
	auth.AssertErrNoSecret(t, err, iamPassword)

	// Even a client that follows redirects is not allowed to.
	src := passwordSource(srv.URL)
	src.HTTPClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return nil }}
	_, err = src.Token(t.Context())
	require.Error(t, err)
	assert.Zero(t, elsewhere.Load())
}

func TestPasswordTokenSourceTransportErrors(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	_, err := passwordSource(url).Token(t.Context())
	require.Error(t, err)
	auth.HasText(t, err.Error(), "IAM token request")
	auth.AssertErrNoSecret(t, err, iamPassword)

	live, _ := iamServer(t, func(w http.ResponseWriter) { created(w, iamToken, `{}`) })
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = passwordSource(live.URL).Token(ctx)
	auth.IsErr(t, err, context.Canceled)
	auth.AssertErrNoSecret(t, err, iamPassword)
}

// roundTripFunc answers requests without a network.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestPasswordTokenSourceEndpoint(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, endpoint, region string
		want                   string // URL posted to; "" = Validate fails
	}{
		{"default", "", "", "https://iam.myhuaweicloud.com/v3/auth/tokens?nocatalog=true"},
		{"region", "", "cn-north-4", "https://iam.cn-north-4.myhuaweicloud.com/v3/auth/tokens?nocatalog=true"},
		{"explicit beats region", "https://iam.example.com/", "cn-north-4", "https://iam.example.com/v3/auth/tokens?nocatalog=true"},
		{"explicit with /v3", "https://iam.example.com/v3", "", "https://iam.example.com/v3/auth/tokens?nocatalog=true"},
		{"explicit with a base path", "https://proxy.example.com/iam/", "", "https://proxy.example.com/iam/v3/auth/tokens?nocatalog=true"},
		{"loopback http", "http://localhost:8080", "", "http://localhost:8080/v3/auth/tokens?nocatalog=true"},
		{"loopback ipv6 http", "http://[::1]:8080", "", "http://[::1]:8080/v3/auth/tokens?nocatalog=true"},
		{"bad region", "", "cn-north-4.evil.com/x", ""},
		{"plain http to a remote host", "http://iam.example.com", "", ""},
		{"not a URL", "iam.example.com", "", ""},
		{"ftp", "ftp://iam.example.com", "", ""},
		{"user info", "https://admin:" + iamPassword + "@iam.example.com", "", ""},
		{"query", "https://iam.example.com/?x=1", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got string
			src := passwordSource(tc.endpoint)
			src.Region = tc.region
			src.HTTPClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				got = r.URL.String()
				h := http.Header{}
				h.Set("X-Subject-Token", iamToken)
				return &http.Response{StatusCode: http.StatusCreated, Header: h, Request: r,
					Body: io.NopCloser(strings.NewReader(`{"token":{"expires_at":"2020-01-04T09:05:22.701000Z"}}`))}, nil
			})}
			tok, err := src.Token(t.Context())
			if tc.want == "" {
				require.Error(t, err)
				assert.Error(t, src.Validate())
				assert.Empty(t, got, "nothing sent")
				auth.AssertErrNoSecret(t, err, iamPassword)
				return
			}
			require.NoError(t, err)
			assert.NoError(t, src.Validate())
			assert.Equal(t, tc.want, got)
			auth.EqualSecret(t, iamToken, tok.Value, "the token")
		})
	}
}

func TestPasswordTokenSourceValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		src     auth.PasswordTokenSource
		missing []string
	}{
		{"zero", auth.PasswordTokenSource{}, []string{"User", "Password", "Domain", "ProjectID"}},
		{"no password", auth.PasswordTokenSource{User: "u", Domain: "d", ProjectID: "p"}, []string{"Password"}},
		{"no domain, no project", auth.PasswordTokenSource{User: "u", Password: iamPassword}, []string{"Domain", "ProjectID"}},
		{"blank user", auth.PasswordTokenSource{User: " ", Password: iamPassword, Domain: "d", ProjectID: "p"}, []string{"User"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.src.Validate()
			require.Error(t, err)
			for _, m := range tc.missing {
				auth.HasText(t, err.Error(), m)
			}
			_, terr := tc.src.Token(t.Context())
			assert.True(t, terr != nil && terr.Error() == err.Error(), "Token validates first")
			auth.AssertErrNoSecret(t, err, iamPassword)
		})
	}
}

// TestTokenAuthAgainstIAM: the whole path with a short-lived token: the
// cache fetches once, refreshes early, and a 401 makes Reauthenticate fetch a
// new token for the retry.
func TestTokenAuthAgainstIAM(t *testing.T) {
	t.Parallel()
	var issued atomic.Int32
	srv, hits := iamServer(t, func(w http.ResponseWriter) {
		n := issued.Add(1)
		exp := time.Now().Add(time.Hour).UTC().Format("2006-01-02T15:04:05.000000Z")
		created(w, "token-"+string('0'+n), `{"token":{"expires_at":"`+exp+`"}}`)
	})
	valid := atomic.Pointer[string]{}
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if cur := valid.Load(); cur == nil || r.Header.Get("X-Auth-Token") != *cur {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(api.Close)

	a := auth.TokenAuth(passwordSource(srv.URL))
	require.NoError(t, a.(auth.Validator).Validate())
	do := func() (*http.Request, int) {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, api.URL+"/v3/p/jobs?id=1", nil)
		require.NoError(t, err)
		require.NoError(t, a.Authenticate(t.Context(), req))
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
		return req, resp.StatusCode
	}

	first := "token-1"
	valid.Store(&first)
	for range 3 {
		_, status := do()
		assert.Equal(t, 200, status)
	}
	assert.EqualValues(t, 1, hits.Load(), "one IAM call for three requests")

	// The API revokes token-1: 401, reauthenticate, retry once with token-2.
	second := "token-2"
	valid.Store(&second)
	req, status := do()
	require.Equal(t, 401, status)
	retry, err := a.(auth.Reauthenticator).Reauthenticate(t.Context(), req)
	require.NoError(t, err)
	require.True(t, retry)
	_, status = do()
	assert.Equal(t, 200, status)
	assert.EqualValues(t, 2, hits.Load())
}

// TestTokenAuthShortLivedToken: a token that lives less than twice the
// refresh margin is replaced half-way through its life.
func TestTokenAuthShortLivedToken(t *testing.T) {
	t.Parallel()
	var issued atomic.Int32
	srv, hits := iamServer(t, func(w http.ResponseWriter) {
		n := issued.Add(1)
		exp := time.Now().Add(time.Second).UTC().Format(time.RFC3339Nano)
		created(w, "short-"+string('0'+n), `{"token":{"expires_at":"`+exp+`"}}`)
	})
	a := auth.TokenAuth(passwordSource(srv.URL))
	get := func() string {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://127.0.0.1/x", nil)
		require.NoError(t, err)
		require.NoError(t, a.Authenticate(t.Context(), req))
		return req.Header.Get("X-Auth-Token")
	}
	assert.Equal(t, "short-1", get())
	assert.Equal(t, "short-1", get())
	time.Sleep(700 * time.Millisecond) // past half of the one-second lifetime
	assert.Equal(t, "short-2", get())
	assert.EqualValues(t, 2, hits.Load())
}
