package fake_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication/auth"
	"github.com/gaussdb-tools/chreplication/fake"
)

func TestStaticToken(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithToken("static-token-for-tests"))
	require.Equal(t, "static-token-for-tests", s.Token())
	path := replicationPath(s, testInstance)

	tests := []struct {
		name   string
		header []string
		want   int
		msgIn  string
	}{
		{"valid token", nil, http.StatusOK, ""},
		{"no credentials", []string{"X-Auth-Token", ""}, http.StatusUnauthorized, "neither X-Auth-Token nor"},
		{"wrong token", []string{"X-Auth-Token", "static-token-for-tests-not"}, http.StatusUnauthorized, "invalid or has expired"},
		{"token prefix", []string{"X-Auth-Token", "static-token"}, http.StatusUnauthorized, "invalid or has expired"},
		{"garbage Authorization", []string{"X-Auth-Token", "", "Authorization", "Bearer abc"}, http.StatusUnauthorized, "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := call(t, s, http.MethodGet, path, "", tt.header...)
			require.Equal(t, tt.want, a.Status, "body %s", a.Body)
			if tt.want == http.StatusOK {
				return
			}
			e := a.errorBody(t)
			assert.Equal(t, fake.CodeAuthFailed, e.ErrorCode)
			assert.Contains(t, e.ErrorMsg, "Incorrect IAM authentication information: ")
			assert.Contains(t, e.ErrorMsg, tt.msgIn)
			assert.NotContains(t, string(a.Body), "static-token")
		})
	}
}

func TestAuthComesBeforeValidation(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	a := call(t, s, http.MethodGet, replicationPath(s, testInstance)+"?limit=0", "", "X-Auth-Token", "")
	assert.Equal(t, http.StatusUnauthorized, a.Status)
}

// iamBody is the password token request body of DESIGN.md.
func iamBody(domain, user, password, project string) string {
	var b struct {
		Auth struct {
			Identity struct {
				Methods  []string `json:"methods"`
				Password struct {
					User struct {
						Domain   map[string]string `json:"domain"`
						Name     string            `json:"name"`
						Password string            `json:"password"`
					} `json:"user"`
				} `json:"password"`
			} `json:"identity"`
			Scope struct {
				Project map[string]string `json:"project"`
			} `json:"scope"`
		} `json:"auth"`
	}
	b.Auth.Identity.Methods = []string{"password"}
	b.Auth.Identity.Password.User.Domain = map[string]string{"name": domain}
	b.Auth.Identity.Password.User.Name = user
	b.Auth.Identity.Password.User.Password = password
	b.Auth.Scope.Project = map[string]string{"id": project}
	out, _ := json.Marshal(b)
	return string(out)
}

// issueToken asks the fake's IAM endpoint for a token.
func issueToken(t testing.TB, s *fake.Server) (token string, expiresAt time.Time) {
	t.Helper()
	domain, user, password := s.IAMUser()
	a := call(t, s, http.MethodPost, "/v3/auth/tokens", iamBody(domain, user, password, s.ProjectID()), "X-Auth-Token", "")
	require.Equal(t, http.StatusCreated, a.Status, "body %s", a.Body)
	token = a.Header.Get("X-Subject-Token")
	require.NotEmpty(t, token)
	var body struct {
		Token struct {
			ExpiresAt string `json:"expires_at"`
			Project   struct {
				ID string `json:"id"`
			} `json:"project"`
		} `json:"token"`
	}
	a.decode(t, &body)
	assert.Equal(t, s.ProjectID(), body.Token.Project.ID)
	assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`, body.Token.ExpiresAt)
	expiresAt, err := time.Parse("2006-01-02T15:04:05.000000Z", body.Token.ExpiresAt)
	require.NoError(t, err)
	return token, expiresAt
}

func TestIAMToken(t *testing.T) {
	t.Parallel()
	c := newClock()
	s := newServer(t, fake.WithIAMUser("my-domain", "my-user", "my-password-123"),
		fake.WithTokenLifetime(time.Hour), fake.WithClock(c.Now))
	domain, user, password := s.IAMUser()
	require.Equal(t, []string{"my-domain", "my-user", "my-password-123"}, []string{domain, user, password})

	token, expires := issueToken(t, s)
	assert.Equal(t, c.Now().Add(time.Hour), expires)
	path := replicationPath(s, testInstance)
	assert.Equal(t, http.StatusOK, call(t, s, http.MethodGet, path, "", "X-Auth-Token", token).Status)

	c.Add(time.Hour - time.Millisecond)
	assert.Equal(t, http.StatusOK, call(t, s, http.MethodGet, path, "", "X-Auth-Token", token).Status, "just before expiry")
	c.Add(time.Millisecond)
	a := call(t, s, http.MethodGet, path, "", "X-Auth-Token", token)
	require.Equal(t, http.StatusUnauthorized, a.Status, "at expiry")
	assert.Equal(t, fake.CodeAuthFailed, a.errorBody(t).ErrorCode)
	assert.NotContains(t, string(a.Body), token)

	// A new token works again; the static token never expires.
	token2, _ := issueToken(t, s)
	assert.NotEqual(t, token, token2)
	assert.Equal(t, http.StatusOK, call(t, s, http.MethodGet, path, "", "X-Auth-Token", token2).Status)
	c.Add(1000 * time.Hour)
	assert.Equal(t, http.StatusOK, call(t, s, http.MethodGet, path, "").Status)
}

func TestIAMTokenExpiresInRealTime(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithTokenLifetime(50*time.Millisecond))
	token, _ := issueToken(t, s)
	path := replicationPath(s, testInstance)
	// Bounded polling: the token must stop working within a few lifetimes.
	require.Eventually(t, func() bool {
		return call(t, s, http.MethodGet, path, "", "X-Auth-Token", token).Status == http.StatusUnauthorized
	}, 5*time.Second, 10*time.Millisecond)
}

func TestIAMTokenErrors(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithIAMUser("dom", "usr", "secret-password-xyz"))
	tests := []struct {
		name   string
		method string
		body   string
		status int
	}{
		{"wrong password", http.MethodPost, iamBody("dom", "usr", "secret-password-xyZ", s.ProjectID()), http.StatusUnauthorized},
		{"wrong user", http.MethodPost, iamBody("dom", "usr2", "secret-password-xyz", s.ProjectID()), http.StatusUnauthorized},
		{"wrong domain", http.MethodPost, iamBody("dom2", "usr", "secret-password-xyz", s.ProjectID()), http.StatusUnauthorized},
		{"other project", http.MethodPost, iamBody("dom", "usr", "secret-password-xyz", "0123456789abcdef0123456789abcdef"), http.StatusNotFound},
		{"not JSON", http.MethodPost, "{", http.StatusBadRequest},
		{"no password method", http.MethodPost, `{"auth":{"identity":{"methods":["token"]}}}`, http.StatusBadRequest},
		{"GET", http.MethodGet, "", http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := call(t, s, tt.method, "/v3/auth/tokens", tt.body, "X-Auth-Token", "")
			require.Equal(t, tt.status, a.Status, "body %s", a.Body)
			assert.Empty(t, a.Header.Get("X-Subject-Token"))
			var e struct {
				Error struct {
					Code    int    `json:"code"`
					Message string `json:"message"`
				} `json:"error"`
				ErrorCode string `json:"error_code"`
				ErrorMsg  string `json:"error_msg"`
			}
			a.decode(t, &e)
			assert.Equal(t, tt.status, e.Error.Code)
			assert.NotEmpty(t, e.Error.Message)
			assert.NotEmpty(t, e.ErrorCode)
			assert.Equal(t, e.Error.Message, e.ErrorMsg)
			assert.NotContains(t, string(a.Body), "secret-password")
		})
	}
	for _, r := range s.Requests() {
		assert.Nil(t, r.Body, "IAM request bodies hold passwords and must not be recorded")
		assert.Equal(t, fake.OperationIAMToken, r.Operation)
	}
}

// signedRequest builds a request to s signed with the auth package's AK/SK
// signer; edit runs after signing (to tamper with the request).
func signedRequest(t testing.TB, s *fake.Server, ak, sk, method, path, body string, edit func(*http.Request)) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL()+path, rd)
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	require.NoError(t, auth.AKSK{AccessKey: ak, SecretKey: sk, ProjectID: s.ProjectID()}.Authenticate(t.Context(), req))
	if edit != nil {
		edit(req)
	}
	resp, err := s.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return answer{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

func TestAKSK(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithAccessKey("MYACCESSKEY0123456789", "my-secret-key-0123456789"), fake.WithJobMode(fake.JobsManual))
	ak, sk := s.AccessKey()
	require.Equal(t, "MYACCESSKEY0123456789", ak)
	const db = "销售 data 2024"
	repl := replicationPath(s, testInstance)

	// Every operation, signed: create, list (query string), delete (escaped
	// non-ASCII name with spaces), job.
	a := signedRequest(t, s, ak, sk, http.MethodPost, repl, createBody(db), nil)
	require.Equal(t, http.StatusOK, a.Status, "body %s", a.Body)
	var created fake.JobIDResponse
	a.decode(t, &created)

	a = signedRequest(t, s, ak, sk, http.MethodGet, repl+"?offset=0&limit=5", "", nil)
	require.Equal(t, http.StatusOK, a.Status, "body %s", a.Body)
	var page fake.ListReplicationsResponse
	a.decode(t, &page)
	assert.EqualValues(t, 1, page.TotalCount)

	a = signedRequest(t, s, ak, sk, http.MethodGet, jobPath(s, created.JobID), "", nil)
	require.Equal(t, http.StatusOK, a.Status, "body %s", a.Body)

	a = signedRequest(t, s, ak, sk, http.MethodDelete, deletePath(s, testInstance, db), "", nil)
	require.Equal(t, http.StatusOK, a.Status, "body %s", a.Body)
	assert.Empty(t, s.Replications(testInstance))

	for _, r := range s.Requests() {
		assert.Equal(t, "Authorization", r.AuthHeader)
		assert.True(t, r.Authenticated)
		assert.Equal(t, []string{fake.Redacted}, r.Header.Values("Authorization"))
	}
}

func TestAKSKRejected(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	ak, sk := s.AccessKey()
	repl := replicationPath(s, testInstance)
	body := createBody("tampered")
	tests := []struct {
		name     string
		ak, sk   string
		method   string
		path     string
		edit     func(*http.Request)
		reasonIn string
	}{
		{"wrong secret key", ak, sk + "x", http.MethodGet, repl, nil, "does not match"},
		{"unknown access key", "UNKNOWNAK", sk, http.MethodGet, repl, nil, "unknown access key"},
		{"tampered body", ak, sk, http.MethodPost, repl, func(r *http.Request) {
			b := []byte(strings.Replace(body, "tampered", "tampereD", 1))
			r.Body = io.NopCloser(bytes.NewReader(b))
			r.GetBody = nil
			r.ContentLength = int64(len(b))
		}, "does not match"},
		{"tampered path", ak, sk, http.MethodGet, repl, func(r *http.Request) {
			r.URL.Path = replicationPath(s, "otherinstance")
		}, "does not match"},
		{"tampered query", ak, sk, http.MethodGet, repl, func(r *http.Request) { r.URL.RawQuery = "limit=2" }, "does not match"},
		{"tampered signed header", ak, sk, http.MethodGet, repl, func(r *http.Request) { r.Header.Set("X-Project-Id", "0123") }, "does not match"},
		{"date too old", ak, sk, http.MethodGet, repl, func(r *http.Request) {
			r.Header.Set("X-Sdk-Date", time.Now().Add(-16*time.Minute).UTC().Format("20060102T150405Z"))
		}, "X-Sdk-Date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := ""
			if tt.method == http.MethodPost {
				b = body
			}
			a := signedRequest(t, s, tt.ak, tt.sk, tt.method, tt.path, b, tt.edit)
			require.Equal(t, http.StatusUnauthorized, a.Status, "body %s", a.Body)
			e := a.errorBody(t)
			assert.Equal(t, fake.CodeAuthFailed, e.ErrorCode)
			assert.Contains(t, e.ErrorMsg, tt.reasonIn)
			assert.NotContains(t, e.ErrorMsg, sk)
		})
	}
	assert.Empty(t, s.Replications(testInstance))
}

func TestAKSKSecurityToken(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithSecurityToken("temporary-security-token"))
	ak, sk := s.AccessKey()
	path := replicationPath(s, testInstance)
	send := func(securityToken string) int {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL()+path, http.NoBody)
		require.NoError(t, err)
		require.NoError(t, auth.AKSK{AccessKey: ak, SecretKey: sk, SecurityToken: securityToken}.Authenticate(t.Context(), req))
		resp, err := s.Client().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusOK, send("temporary-security-token"))
	assert.Equal(t, http.StatusUnauthorized, send("another-token"))
	assert.Equal(t, http.StatusUnauthorized, send(""))
}

func TestMadeUpCredentials(t *testing.T) {
	t.Parallel()
	s1 := newServer(t)
	s2 := newServer(t)
	assert.Regexp(t, `^[0-9a-f]{32}$`, s1.ProjectID())
	assert.NotEqual(t, s1.ProjectID(), s2.ProjectID())
	assert.NotEqual(t, s1.Token(), s2.Token())
	ak1, sk1 := s1.AccessKey()
	ak2, sk2 := s2.AccessKey()
	assert.NotEqual(t, ak1, ak2)
	assert.NotEqual(t, sk1, sk2)
	_, _, p1 := s1.IAMUser()
	_, _, p2 := s2.IAMUser()
	assert.NotEqual(t, p1, p2)
	// Each server accepts only its own token.
	a := call(t, s1, http.MethodGet, replicationPath(s1, testInstance), "", "X-Auth-Token", s2.Token())
	assert.Equal(t, http.StatusUnauthorized, a.Status)
}

func TestOptionErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opt  fake.Option
		want string
	}{
		{"empty token", fake.WithToken(""), "WithToken"},
		{"empty secret key", fake.WithAccessKey("ak", ""), "WithAccessKey"},
		{"empty password", fake.WithIAMUser("d", "u", ""), "WithIAMUser"},
		{"bad project", fake.WithProjectID("a/b"), "WithProjectID"},
		{"zero lifetime", fake.WithTokenLifetime(0), "WithTokenLifetime"},
		{"negative job duration", fake.WithJobDuration(-time.Second), "WithJobDuration"},
		{"nil clock", fake.WithClock(nil), "WithClock"},
		{"negative rate limit", fake.WithRateLimit(-1), "WithRateLimit"},
		{"bad address", fake.WithAddr("127.0.0.1:notaport"), "listen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := fake.NewServer(tt.opt)
			require.Error(t, err)
			assert.Nil(t, s)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// TestNoSecretsAnywhere checks that no credential of the fake shows up in
// what the fake answers, records or logs.
func TestNoSecretsAnywhere(t *testing.T) {
	t.Parallel()
	var logBuf syncBuffer
	s := newServer(t, fake.WithLogger(newTestLogger(&logBuf)))
	ak, sk := s.AccessKey()
	domain, user, password := s.IAMUser()
	token, _ := issueToken(t, s)
	repl := replicationPath(s, testInstance)
	var bodies []string
	for _, a := range []answer{
		call(t, s, http.MethodGet, repl, ""),
		call(t, s, http.MethodGet, repl, "", "X-Auth-Token", token),
		call(t, s, http.MethodGet, repl, "", "X-Auth-Token", token+"x"),
		call(t, s, http.MethodPost, "/v3/auth/tokens", iamBody(domain, user, password+"x", s.ProjectID()), "X-Auth-Token", ""),
		signedRequest(t, s, ak, sk, http.MethodGet, repl, "", nil),
		signedRequest(t, s, ak, sk+"x", http.MethodGet, repl, "", nil),
	} {
		bodies = append(bodies, string(a.Body))
	}
	recorded := fmt.Sprintf("%+v", s.Requests())
	for _, secret := range []string{s.Token(), sk, password, token} {
		for _, b := range bodies {
			assert.NotContains(t, b, secret)
		}
		assert.NotContains(t, recorded, secret)
		assert.NotContains(t, logBuf.String(), secret)
	}
	assert.Contains(t, logBuf.String(), "ListClickHouseDataBaseReplication", "the logger logs requests")
}

// TestExpiredTokensAreForgotten issues tokens that are never presented
// again: once they expire, the fake must not keep them all.
func TestExpiredTokensAreForgotten(t *testing.T) {
	t.Parallel()
	c := newClock()
	s := newServer(t, fake.WithTokenLifetime(time.Minute), fake.WithClock(c.Now))
	for range 200 {
		issueToken(t, s)
	}
	c.Add(2 * time.Minute)
	for range 100 {
		issueToken(t, s)
	}
	assert.LessOrEqual(t, s.HeldTokens(), 2*100, "at most twice the live tokens")
	assert.GreaterOrEqual(t, s.HeldTokens(), 100, "live tokens are kept")
}
