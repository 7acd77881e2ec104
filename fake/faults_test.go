package fake_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication/fake"
)

func TestFaultAnswers(t *testing.T) {
	t.Parallel()
	html := []byte("<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>")
	tests := []struct {
		name      string
		fault     fake.Fault
		wantType  string
		wantBody  []byte
		wantExtra http.Header
	}{
		{"HTML 503", fake.Fault{Status: 503, Body: html}, "text/html; charset=utf-8", html, nil},
		{"JSON 429 with headers", fake.Fault{Status: 429, Header: http.Header{"Retry-After": {"2"}, "X-Request-Id": {"fixed-id"}},
			Body: []byte(`{"error_code":"APIGW.0308","error_msg":"The throttling threshold has been reached."}`)},
			"application/json", []byte(`{"error_code":"APIGW.0308","error_msg":"The throttling threshold has been reached."}`),
			http.Header{"Retry-After": {"2"}, "X-Request-Id": {"fixed-id"}}},
		{"empty 502", fake.Fault{Status: 502}, "", []byte{}, nil},
		{"invalid JSON 500 with explicit type", fake.Fault{Status: 500, Header: http.Header{"Content-Type": {"application/json"}},
			Body: []byte(`{"error_code":"DBS.`)}, "application/json", []byte(`{"error_code":"DBS.`), nil},
		{"400 of the service", fake.Fault{Status: 400, Body: []byte(`{"error_code":"DBS.280292","error_msg":"gone"}`)},
			"application/json", []byte(`{"error_code":"DBS.280292","error_msg":"gone"}`), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t)
			s.InjectFault(tt.fault)
			a := call(t, s, http.MethodGet, replicationPath(s, testInstance), "")
			assert.Equal(t, tt.fault.Status, a.Status)
			assert.Equal(t, tt.wantType, a.Header.Get("Content-Type"))
			assert.Equal(t, tt.wantBody, a.Body)
			for k := range tt.wantExtra {
				assert.Equal(t, tt.wantExtra.Get(k), a.Header.Get(k), k)
			}
			if tt.wantExtra.Get("X-Request-Id") == "" {
				assert.Regexp(t, `^[0-9a-f]{32}$`, a.Header.Get("X-Request-Id"))
			}
			assert.Equal(t, http.StatusOK, call(t, s, http.MethodGet, replicationPath(s, testInstance), "").Status,
				"the fault affects one request")
		})
	}
}

func TestFaultCountAndOperation(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.InjectFault(fake.Fault{Operation: "CreateClickHouseDataBaseReplication", Times: 2, Status: 503})
	repl := replicationPath(s, testInstance)

	assert.Equal(t, http.StatusOK, call(t, s, http.MethodGet, repl, "").Status, "other operations are not affected")
	assert.Equal(t, 503, call(t, s, http.MethodPost, repl, createBody("a")).Status)
	assert.Equal(t, http.StatusOK, call(t, s, http.MethodGet, repl, "").Status)
	assert.Equal(t, 503, call(t, s, http.MethodPost, repl, createBody("a")).Status)
	assert.Equal(t, http.StatusOK, call(t, s, http.MethodPost, repl, createBody("a")).Status, "two requests only")
	assert.Len(t, s.Replications(testInstance), 1, "faulted requests do not reach the store")
	assert.Equal(t, 3, s.RequestCount("CreateClickHouseDataBaseReplication"))
}

func TestFaultOrderUnlimitedAndClear(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	repl := replicationPath(s, testInstance)
	s.InjectFault(fake.Fault{Status: 500})                 // first: any request, once
	s.InjectFault(fake.Fault{Times: -1, Status: 429})      // then: every request
	s.InjectFault(fake.Fault{Operation: "x", Status: 418}) // never reached
	assert.Equal(t, 500, call(t, s, http.MethodGet, repl, "").Status)
	for range 5 {
		assert.Equal(t, 429, call(t, s, http.MethodGet, repl, "").Status)
	}
	s.ClearFaults()
	assert.Equal(t, http.StatusOK, call(t, s, http.MethodGet, repl, "").Status)
}

func TestFaultBeforeAuthAndOnIAM(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.InjectFault(fake.Fault{Operation: fake.OperationIAMToken, Status: 500})
	domain, user, password := s.IAMUser()
	a := call(t, s, http.MethodPost, "/v3/auth/tokens", iamBody(domain, user, password, s.ProjectID()), "X-Auth-Token", "")
	assert.Equal(t, 500, a.Status)
	issueToken(t, s) // the fault is used up

	// A fault answers before credentials are checked: it plays the gateway.
	s.InjectFault(fake.Fault{Status: 401, Body: []byte(`{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information: token expired"}`)})
	assert.Equal(t, 401, call(t, s, http.MethodGet, replicationPath(s, testInstance), "").Status)
	assert.Equal(t, http.StatusOK, call(t, s, http.MethodGet, replicationPath(s, testInstance), "").Status)
}

func TestFaultDelay(t *testing.T) {
	t.Parallel()
	t.Run("then served", func(t *testing.T) {
		t.Parallel()
		s := newServer(t)
		s.InjectFault(fake.Fault{Delay: 50 * time.Millisecond})
		start := time.Now()
		a := call(t, s, http.MethodGet, replicationPath(s, testInstance), "")
		assert.Equal(t, http.StatusOK, a.Status)
		assert.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond)
	})
	t.Run("then answered", func(t *testing.T) {
		t.Parallel()
		s := newServer(t)
		s.InjectFault(fake.Fault{Delay: 20 * time.Millisecond, Status: 504})
		assert.Equal(t, 504, call(t, s, http.MethodGet, replicationPath(s, testInstance), "").Status)
	})
	t.Run("client gives up", func(t *testing.T) {
		t.Parallel()
		s := newServer(t)
		s.InjectFault(fake.Fault{Delay: time.Hour, Status: 200})
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL()+replicationPath(s, testInstance), http.NoBody)
		require.NoError(t, err)
		req.Header.Set("X-Auth-Token", s.Token())
		start := time.Now()
		resp, err := s.Client().Do(req)
		if resp != nil {
			resp.Body.Close()
		}
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Less(t, time.Since(start), 10*time.Second)
		// The server notices and records the request as unanswered.
		require.Eventually(t, func() bool {
			reqs := s.Requests()
			return len(reqs) == 1 && reqs[0].Status == 0
		}, 5*time.Second, 5*time.Millisecond)
	})
	t.Run("server closes", func(t *testing.T) {
		t.Parallel()
		s, err := fake.NewServer()
		require.NoError(t, err)
		s.InjectFault(fake.Fault{Delay: time.Hour})
		type result struct {
			status int
			err    error
		}
		done := make(chan result, 1)
		go func() {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL()+replicationPath(s, testInstance), http.NoBody)
			if err != nil {
				done <- result{0, err}
				return
			}
			req.Header.Set("X-Auth-Token", s.Token())
			resp, err := s.Client().Do(req)
			if err != nil {
				done <- result{0, err}
				return
			}
			resp.Body.Close()
			done <- result{resp.StatusCode, nil}
		}()
		require.Eventually(t, func() bool { return s.Connections() == 1 }, 5*time.Second, time.Millisecond)
		closed := make(chan struct{})
		go func() { s.Close(); close(closed) }()
		select {
		case <-closed:
		case <-time.After(10 * time.Second):
			t.Fatal("Close waited for the injected delay")
		}
		// Depending on when the request got in, the client sees the
		// connection close or a 503 from the closing server; never a 200.
		r := <-done
		if r.err == nil {
			assert.Equal(t, http.StatusServiceUnavailable, r.status)
		}
	})
}

func TestInjectFaultPanicsOnInvalidStatus(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	assert.Panics(t, func() { s.InjectFault(fake.Fault{Status: 42}) })
	assert.Panics(t, func() { s.InjectFault(fake.Fault{Status: 103}) }, "a 1xx is not an answer: the client would see a 200")
	assert.Panics(t, func() { s.InjectFault(fake.Fault{Status: 1000}) })
	assert.NotPanics(t, func() { s.InjectFault(fake.Fault{Status: 200}) })
}
