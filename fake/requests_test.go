package fake_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication/fake"
)

func TestRequestsAreRecorded(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithJobMode(fake.JobsManual))
	body := createBody("orders")
	a := call(t, s, http.MethodPost, replicationPath(s, testInstance), body, "X-Language", "zh-cn")
	require.Equal(t, http.StatusOK, a.Status)
	call(t, s, http.MethodGet, replicationPath(s, testInstance)+"?limit=5", "", "X-Auth-Token", "")
	call(t, s, http.MethodGet, "/nowhere", "")

	reqs := s.Requests()
	require.Len(t, reqs, 3)
	r := reqs[0]
	assert.Equal(t, http.MethodPost, r.Method)
	assert.Equal(t, replicationPath(s, testInstance), r.Path)
	assert.Equal(t, "CreateClickHouseDataBaseReplication", r.Operation)
	assert.Equal(t, body, string(r.Body))
	assert.Equal(t, "zh-cn", r.Header.Get("X-Language"))
	assert.Equal(t, fake.Redacted, r.Header.Get("X-Auth-Token"))
	assert.Equal(t, "X-Auth-Token", r.AuthHeader)
	assert.True(t, r.Authenticated)
	assert.Equal(t, http.StatusOK, r.Status)
	assert.Equal(t, a.Header.Get("X-Request-Id"), r.RequestID)
	assert.False(t, r.Time.IsZero())

	r = reqs[1]
	assert.Equal(t, "ListClickHouseDataBaseReplication", r.Operation)
	assert.Equal(t, "limit=5", r.RawQuery)
	assert.Empty(t, r.AuthHeader)
	assert.False(t, r.Authenticated)
	assert.Equal(t, http.StatusUnauthorized, r.Status)

	assert.Empty(t, reqs[2].Operation)
	assert.Equal(t, http.StatusNotFound, reqs[2].Status)

	assert.Equal(t, 3, s.RequestCount(""))
	assert.Equal(t, 1, s.RequestCount("CreateClickHouseDataBaseReplication"))
	assert.Equal(t, 0, s.RequestCount("ShowGaussMySqlJobInfo"))

	// The copy belongs to the caller.
	reqs[0].Header.Set("X-Language", "changed")
	assert.Equal(t, "zh-cn", s.Requests()[0].Header.Get("X-Language"))

	s.ResetRequests()
	assert.Empty(t, s.Requests())
	assert.Zero(t, s.RequestCount(""))
}

func TestRequestLogSize(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithRequestLogSize(3))
	for i := range 5 {
		call(t, s, http.MethodGet, replicationPath(s, testInstance)+"?offset="+string(rune('0'+i)), "")
	}
	reqs := s.Requests()
	require.Len(t, reqs, 3)
	assert.Equal(t, []string{"offset=2", "offset=3", "offset=4"}, []string{reqs[0].RawQuery, reqs[1].RawQuery, reqs[2].RawQuery})
	assert.Equal(t, 5, s.RequestCount(""), "counts are not limited by the log size")
}

func TestConnectionsAreCounted(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	for range 20 {
		call(t, s, http.MethodGet, replicationPath(s, testInstance), "")
	}
	assert.EqualValues(t, 1, s.Connections(), "sequential requests of one client reuse one connection")

	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	for range 3 {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL()+replicationPath(s, testInstance), http.NoBody)
		require.NoError(t, err)
		req.Header.Set("X-Auth-Token", s.Token())
		resp, err := tr.RoundTrip(req)
		require.NoError(t, err)
		resp.Body.Close()
	}
	assert.EqualValues(t, 4, s.Connections(), "each request without keep-alive opens a connection")
}

func TestHandlerOnAnotherServer(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	hs := httptest.NewServer(s.Handler())
	defer hs.Close()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, hs.URL+replicationPath(s, testInstance), http.NoBody)
	require.NoError(t, err)
	req.Header.Set("X-Auth-Token", s.Token())
	resp, err := hs.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, 1, s.RequestCount("ListClickHouseDataBaseReplication"))
	assert.Zero(t, s.Connections(), "connections of another server are not counted")
}

func TestClose(t *testing.T) {
	t.Parallel()
	s, err := fake.NewServer()
	require.NoError(t, err)
	url := s.URL()
	require.Regexp(t, `^http://127\.0\.0\.1:\d+$`, url)
	s.Close()
	s.Close() // idempotent

	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url+"/", http.NoBody)
	require.NoError(t, err)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := tr.RoundTrip(req)
	if err == nil {
		resp.Body.Close()
	}
	require.Error(t, err, "nothing listens after Close")

	// The handler answers 503 after Close.
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", http.NoBody))
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.Regexp(t, `^[0-9a-f]{32}$`, rec.Header().Get("X-Request-Id"), "every answer carries an X-Request-Id")
}

func TestWithAddr(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithAddr("127.0.0.1:0"))
	assert.Regexp(t, `^http://127\.0\.0\.1:\d+$`, s.URL())
	assert.Equal(t, s.URL(), s.IAMEndpoint())
}

// TestMisaddressedIAMBodyIsNotRecorded sends the IAM password body to
// paths that miss the IAM endpoint: the fake answers 404 and must not
// keep the password in Requests.
func TestMisaddressedIAMBodyIsNotRecorded(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	domain, user, password := s.IAMUser()
	body := iamBody(domain, user, password, s.ProjectID())
	for _, path := range []string{"/v3/auth/tokens/", "//v3/auth/tokens", "/v3/auth/token"} {
		a := call(t, s, http.MethodPost, path, body, "X-Auth-Token", "")
		assert.Equal(t, http.StatusNotFound, a.Status, path)
	}
	reqs := s.Requests()
	require.Len(t, reqs, 3)
	for _, r := range reqs {
		assert.Empty(t, r.Operation)
		// Not assert.Nil: its failure message would print the password.
		assert.True(t, r.Body == nil, "%s: a request of no operation may carry a password", r.Path)
	}
}
