package chreplication

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication/auth"
)

// opCalls calls each operation once against the test server's routes.
var opCalls = map[string]struct {
	pattern string
	call    func(t *testing.T, c *Client) error
}{
	"create": {"POST " + replicationPath, func(t *testing.T, c *Client) error {
		_, err := c.CreateReplication(t.Context(), testInstance, CreateReplicationRequest{SourceInstanceID: "s", SourceDatabase: "d"})
		return err
	}},
	"delete": {"DELETE " + replicationPath + "/{db}", func(t *testing.T, c *Client) error {
		_, err := c.DeleteReplication(t.Context(), testInstance, "d")
		return err
	}},
	"list": {"GET " + replicationPath, func(t *testing.T, c *Client) error {
		_, err := c.ListReplications(t.Context(), testInstance, ListOptions{})
		return err
	}},
	"job": {"GET " + jobsPath, func(t *testing.T, c *Client) error {
		_, err := c.Job(t.Context(), "j1")
		return err
	}},
}

var okBodies = map[string]string{
	"create": `{"job_id":"j1"}`,
	"delete": `{"job_id":"j1"}`,
	"list":   `{"total_count":0,"replications":[]}`,
	"job":    `{"job":{"id":"j1","status":"Running"}}`,
}

// TestRetries answers each operation with a failing status (first failures
// times, then 200) and counts the requests the server saw: reads are
// retried on 429/502/503/504, writes only on 429, nothing on 500.
func TestRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		op           string
		status       int
		failures     int
		wantRequests int64
		wantErr      bool
	}{
		{"list", 503, 2, 3, false},
		{"list", 502, 1, 2, false},
		{"list", 504, 1, 2, false},
		{"list", 429, 1, 2, false},
		{"job", 503, 2, 3, false},
		{"job", 503, 5, 3, true}, // attempts are bounded (3 in setup)
		{"list", 500, 1, 1, true},
		{"job", 400, 1, 1, true},
		{"create", 500, 1, 1, true},
		{"create", 502, 1, 1, true},
		{"create", 503, 1, 1, true},
		{"create", 504, 1, 1, true},
		{"create", 429, 1, 2, false},
		{"delete", 503, 1, 1, true},
		{"delete", 500, 1, 1, true},
		{"delete", 429, 2, 3, false},
	}
	for _, tt := range tests {
		t.Run(tt.op+"/"+http.StatusText(tt.status), func(t *testing.T) {
			t.Parallel()
			c, ts := setup(t)
			op := opCalls[tt.op]
			var n atomic.Int64
			ts.handle(op.pattern, func(w http.ResponseWriter, r *http.Request) {
				if n.Add(1) <= int64(tt.failures) {
					w.WriteHeader(tt.status)
					_, _ = io.WriteString(w, `{"error_code":"X.1","error_msg":"failure"}`)
					return
				}
				_, _ = io.WriteString(w, okBodies[tt.op])
			})
			err := op.call(t, c)
			if tt.wantErr {
				var apiErr *APIError
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, tt.status, apiErr.StatusCode)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.wantRequests, ts.requests.Load())
		})
	}
}

func TestWithoutRetry(t *testing.T) {
	t.Parallel()
	c, ts := setup(t, WithoutRetry())
	ts.handle("GET "+replicationPath, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	_, err := c.ListReplications(t.Context(), testInstance, ListOptions{})
	require.Error(t, err)
	assert.Equal(t, int64(1), ts.requests.Load())
}

// TestRetryAfterBeyondDeadline: a Retry-After longer than the time the
// context has left is not waited for; the answer is returned at once.
func TestRetryAfterBeyondDeadline(t *testing.T) {
	t.Parallel()
	c, ts := setup(t, WithRetry(RetryPolicy{MaxAttempts: 5, BaseDelay: time.Millisecond, MaxDelay: time.Minute}))
	ts.handle("GET "+replicationPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	start := time.Now()
	_, err := c.ListReplications(ctx, testInstance, ListOptions{})
	assert.True(t, IsThrottled(err), "got %v", err)
	assert.Less(t, time.Since(start), time.Second)
	assert.Equal(t, int64(1), ts.requests.Load())
}

func TestRetryAfterHonoured(t *testing.T) {
	t.Parallel()
	c, ts := setup(t, WithRetry(RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Second}))
	var first time.Time
	ts.handle("GET "+jobsPath, func(w http.ResponseWriter, r *http.Request) {
		if first.IsZero() {
			first = time.Now()
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		assert.GreaterOrEqual(t, time.Since(first), 900*time.Millisecond, "Retry-After: 1 is honoured")
		_, _ = io.WriteString(w, okBodies["job"])
	})
	_, err := c.Job(t.Context(), "j1")
	require.NoError(t, err)
	assert.Equal(t, int64(2), ts.requests.Load())
}

func TestRetryAfterParsing(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"":                              0,
		"0":                             0,
		"-5":                            0,
		"3":                             3 * time.Second,
		"junk":                          0,
		"Fri, 27 Nov 2026 10:00:07 GMT": 7 * time.Second,
		"Fri, 27 Nov 2026 09:00:00 GMT": 0,
		"99999999":                      24 * time.Hour,
	} {
		assert.Equal(t, want, retryAfter(http.Header{"Retry-After": {v}}, now), v)
	}
}

func TestRetryDelay(t *testing.T) {
	t.Parallel()
	p := RetryPolicy{MaxAttempts: 10, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}
	for n := 1; n <= 8; n++ {
		step := min(100*time.Millisecond<<(n-1), time.Second)
		for range 50 {
			d := p.delay(n, 0)
			assert.GreaterOrEqual(t, d, step/2)
			assert.LessOrEqual(t, d, step)
		}
	}
	assert.Equal(t, 700*time.Millisecond, p.delay(1, 700*time.Millisecond), "Retry-After raises the delay")
	assert.Equal(t, time.Second, p.delay(1, time.Hour), "and is capped by MaxDelay")
}

// countingTransport counts the requests handed to the network.
type countingTransport struct {
	base http.RoundTripper
	n    atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.base.RoundTrip(r)
}

// TestConnectionRefusedIsRetried: a refused connection never reached the
// service, so even a create is retried.
func TestConnectionRefusedIsRetried(t *testing.T) {
	t.Parallel()
	l, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())

	ct := &countingTransport{base: http.DefaultTransport}
	c, err := NewClient("http://"+addr, WithProjectID(testProject), WithAuth(auth.StaticToken(testToken)),
		WithHTTPClient(&http.Client{Transport: ct}),
		WithRetry(RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}))
	require.NoError(t, err)
	_, err = c.CreateReplication(t.Context(), testInstance, CreateReplicationRequest{SourceInstanceID: "s", SourceDatabase: "d"})
	require.ErrorIs(t, err, syscall.ECONNREFUSED)
	assert.Equal(t, int64(3), ct.n.Load())
	assert.NotContains(t, err.Error(), testToken)
}

// resetServer answers its first `resets` requests by closing the
// connection after reading the request, then 200 with body.
func resetServer(t *testing.T, resets int64, body string) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= resets {
			conn, _, err := http.NewResponseController(w).Hijack()
			if assert.NoError(t, err) {
				if tc, ok := conn.(*net.TCPConn); ok {
					_ = tc.SetLinger(0) // send RST
				}
				_ = conn.Close()
			}
			return
		}
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(s.Close)
	return s, &n
}

func TestConnectionResetAfterRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		op           string
		wantRequests int64
		wantErr      bool
	}{
		{"create", 1, true}, // it may have reached the service: never re-sent
		{"delete", 1, true},
		{"list", 2, false},
		{"job", 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.op, func(t *testing.T) {
			t.Parallel()
			s, n := resetServer(t, 1, okBodies[tt.op])
			c, err := NewClient(s.URL, WithProjectID(testProject), WithAuth(auth.StaticToken(testToken)),
				WithRetry(RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}))
			require.NoError(t, err)
			err = opCalls[tt.op].call(t, c)
			if tt.wantErr {
				require.Error(t, err)
				var apiErr *APIError
				assert.NotErrorAs(t, err, &apiErr)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.wantRequests, n.Load())
		})
	}
}

// reauthAuth is an Authenticator whose token can be refreshed: it sends
// tokens[i] and moves to the next one when told the current was rejected.
type reauthAuth struct {
	tokens  []string
	current atomic.Int64
	reauths atomic.Int64
}

func (a *reauthAuth) Authenticate(_ context.Context, r *http.Request) error {
	r.Header.Set("X-Auth-Token", a.tokens[a.current.Load()])
	return nil
}

func (a *reauthAuth) Reauthenticate(_ context.Context, rejected *http.Request) (bool, error) {
	a.reauths.Add(1)
	i := a.current.Load()
	if rejected.Header.Get("X-Auth-Token") != a.tokens[i] || int(i)+1 >= len(a.tokens) {
		return false, nil
	}
	a.current.Add(1)
	return true, nil
}

func TestUnauthorizedRefreshesOnce(t *testing.T) {
	t.Parallel()
	for _, op := range []string{"create", "delete", "list", "job"} {
		t.Run(op, func(t *testing.T) {
			t.Parallel()
			a := &reauthAuth{tokens: []string{"expired", "fresh"}}
			c, ts := setup(t, WithAuth(a))
			ts.handle(opCalls[op].pattern, func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("X-Auth-Token") != "fresh" {
					w.WriteHeader(http.StatusUnauthorized)
					_, _ = io.WriteString(w, `{"error_code":"APIGW.0307","error_msg":"The token has expired."}`)
					return
				}
				_, _ = io.WriteString(w, okBodies[op])
			})
			require.NoError(t, opCalls[op].call(t, c))
			assert.Equal(t, int64(2), ts.requests.Load())
			assert.Equal(t, int64(1), a.reauths.Load())
		})
	}
}

func TestUnauthorizedTwiceIsAnError(t *testing.T) {
	t.Parallel()
	a := &reauthAuth{tokens: []string{"bad1", "bad2", "bad3"}}
	c, ts := setup(t, WithAuth(a))
	ts.handle("POST "+replicationPath, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information"}`)
	})
	err := opCalls["create"].call(t, c)
	assert.True(t, IsUnauthorized(err), "got %v", err)
	assert.Equal(t, int64(2), ts.requests.Load(), "one refresh, then the 401 is returned")
	assert.Equal(t, int64(1), a.reauths.Load())
}

// failingReauth cannot refresh: its credential source is down.
type failingReauth struct{ reauthAuth }

func (a *failingReauth) Reauthenticate(context.Context, *http.Request) (bool, error) {
	a.reauths.Add(1)
	return false, errIAMDown
}

var errIAMDown = errors.New("iam: 503 Service Unavailable")

// TestUnauthorizedRefreshFails: when fresh credentials cannot be had, the
// 401 is returned together with the reason; nothing more is sent.
func TestUnauthorizedRefreshFails(t *testing.T) {
	t.Parallel()
	a := &failingReauth{reauthAuth{tokens: []string{"expired"}}}
	c, ts := setup(t, WithAuth(a))
	ts.handle("GET "+jobsPath, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
	})
	_, err := c.Job(t.Context(), "j1")
	assert.True(t, IsUnauthorized(err), "got %v", err)
	require.ErrorIs(t, err, errIAMDown)
	assert.Contains(t, err.Error(), "refreshing credentials")
	assert.Equal(t, int64(1), ts.requests.Load())
}

// TestContextEndsDuringRetryWait: cancelled while waiting to retry, a call
// returns an error that wraps both the context's error and the last answer.
func TestContextEndsDuringRetryWait(t *testing.T) {
	t.Parallel()
	c, ts := setup(t, WithRetry(RetryPolicy{MaxAttempts: 5, BaseDelay: time.Minute, MaxDelay: time.Minute}))
	ts.handle("GET "+jobsPath, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.Job(ctx, "j1")
	assert.Less(t, time.Since(start), 5*time.Second)
	require.ErrorIs(t, err, context.Canceled)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusServiceUnavailable, apiErr.StatusCode)
	assert.Equal(t, int64(1), ts.requests.Load())

	// The same for a network error: the server is gone.
	ts.server.Close()
	ctx2, cancel2 := context.WithCancel(t.Context())
	defer cancel2()
	time.AfterFunc(100*time.Millisecond, cancel2)
	_, err = c.Job(ctx2, "j1")
	require.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, err, syscall.ECONNREFUSED)
}
