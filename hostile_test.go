package chreplication

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication/auth"
)

// TestHostileSuccessAnswers: a 2xx answer that is not what the spec
// promises gives an error wrapping ErrInvalidResponse, never a zero result
// with a nil error.
func TestHostileSuccessAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		op, contentType, body string
		wantErr               error
	}{
		{"create", "application/json", "", ErrInvalidResponse},
		{"create", "application/json", "{", ErrInvalidResponse},
		{"create", "application/json", "null", ErrInvalidResponse},
		{"create", "application/json", "[]", ErrInvalidResponse},
		{"create", "application/json", `{}`, ErrInvalidResponse},
		{"create", "application/json", `{"job_id":""}`, ErrInvalidResponse},
		{"create", "application/json", `{"job_id":42}`, ErrInvalidResponse},
		{"create", "text/html", "<html><body>Login to the Wi-Fi</body></html>", ErrInvalidResponse},
		{"create", "text/plain", `{"job_id":"j1"}`, nil}, // wrong content type, right body: the job ID is usable
		{"delete", "application/json", `{"jobid":"j1"}`, ErrInvalidResponse},
		{"list", "application/json", "", ErrInvalidResponse},
		{"list", "application/json", `{"total_count":"many"}`, ErrInvalidResponse},
		{"list", "application/json", `{"total_count":-1,"replications":[]}`, ErrInvalidResponse},
		{"list", "application/json", `{"total_count":1,"replications":{}}`, ErrInvalidResponse},
		{"job", "application/json", `{}`, ErrInvalidResponse},
		{"job", "application/json", `{"job":{"status":"Running"}}`, ErrInvalidResponse},
		{"job", "application/json", `{"job":{"id":"j1"}}`, ErrInvalidResponse},
		{"job", "application/json", `{"job":"j1"}`, ErrInvalidResponse},
	}
	for i, tt := range tests {
		t.Run(strconv.Itoa(i)+"/"+tt.op, func(t *testing.T) {
			t.Parallel()
			c, ts := setup(t)
			ts.handle(opCalls[tt.op].pattern, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.contentType)
				w.Header().Set("X-Request-Id", "rid-9")
				_, _ = io.WriteString(w, tt.body)
			})
			err := opCalls[tt.op].call(t, c)
			if tt.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
			assert.Contains(t, err.Error(), "rid-9")
			assert.Equal(t, int64(1), ts.requests.Load(), "a bad 200 is not retried")
		})
	}
}

// hugeBody writes n bytes of JSON-looking filler without holding them.
func hugeBody(w http.ResponseWriter, status, n int, withLength bool) {
	if withLength {
		w.Header().Set("Content-Length", strconv.Itoa(n))
	}
	w.WriteHeader(status)
	chunk := make([]byte, 64<<10)
	for i := range chunk {
		chunk[i] = 'a'
	}
	chunk[0] = '{'
	for n > 0 {
		k := min(n, len(chunk))
		if _, err := w.Write(chunk[:k]); err != nil {
			return
		}
		chunk[0] = 'a'
		n -= k
	}
}

// TestHugeBodies: a 100 MiB answer is read through a limit; memory stays
// small whether or not the server announces the length, for success and
// error statuses alike.
func TestHugeBodies(t *testing.T) {
	const size = 100 << 20
	for _, tt := range []struct {
		name       string
		status     int
		withLength bool
	}{
		{"200 chunked", 200, false},
		{"200 with Content-Length", 200, true},
		{"500 chunked", 500, false},
		{"500 with Content-Length", 500, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, ts := setup(t, WithoutRetry())
			ts.handle("GET "+replicationPath, func(w http.ResponseWriter, r *http.Request) {
				hugeBody(w, tt.status, size, tt.withLength)
			})
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := c.ListReplications(t.Context(), testInstance, ListOptions{})
			runtime.ReadMemStats(&after)
			require.Error(t, err)
			if tt.status == 200 {
				assert.ErrorIs(t, err, ErrResponseTooLarge)
			} else {
				var apiErr *APIError
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, tt.status, apiErr.StatusCode)
				assert.LessOrEqual(t, len(apiErr.Message), maxMessageLen+3)
			}
			allocated := after.TotalAlloc - before.TotalAlloc
			t.Logf("reading a 100 MiB answer allocated %d bytes", allocated)
			assert.Less(t, allocated, uint64(3*DefaultMaxResponseBytes), "allocated %d bytes", allocated)
		})
	}
}

// TestMaxResponseBytesOption: an answer over the limit is an error, and
// since the same answer would come again it is not retried, even for a read.
func TestMaxResponseBytesOption(t *testing.T) {
	t.Parallel()
	for _, op := range []string{"create", "job"} {
		t.Run(op, func(t *testing.T) {
			t.Parallel()
			c, ts := setup(t, WithMaxResponseBytes(10))
			ts.handle(opCalls[op].pattern, func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, okBodies[op]+strings.Repeat(" ", 100))
			})
			err := opCalls[op].call(t, c)
			require.ErrorIs(t, err, ErrResponseTooLarge)
			assert.Equal(t, int64(1), ts.requests.Load())
		})
	}
}

// TestBodyCutHalfWay: the server announces a length, sends part of the
// body and drops the connection.
func TestBodyCutHalfWay(t *testing.T) {
	t.Parallel()
	for _, op := range []string{"create", "job"} {
		t.Run(op, func(t *testing.T) {
			t.Parallel()
			c, ts := setup(t, WithoutRetry())
			ts.handle(opCalls[op].pattern, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", "1000")
				w.WriteHeader(http.StatusOK)
				_, _ = io.WriteString(w, `{"job_id":"j1", "padding": "`)
				http.NewResponseController(w).Flush() //nolint:errcheck // best effort
				conn, _, err := http.NewResponseController(w).Hijack()
				if err == nil {
					_ = conn.Close()
				}
			})
			err := opCalls[op].call(t, c)
			require.Error(t, err)
			assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
		})
	}
}

// TestServerNeverAnswers: the client's default timeout and the caller's
// context both end a call to a server that never answers.
func TestServerNeverAnswers(t *testing.T) {
	t.Parallel()
	// block holds the answer until the client goes away. It reads the body
	// first: the server only notices a closed connection once it is reading
	// in the background.
	block := func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	}
	t.Run("client timeout", func(t *testing.T) {
		t.Parallel()
		c, ts := setup(t, WithTimeout(100*time.Millisecond))
		ts.handle("GET "+replicationPath, block)
		start := time.Now()
		_, err := c.ListReplications(context.Background(), testInstance, ListOptions{})
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Less(t, time.Since(start), 2*time.Second)
	})
	t.Run("caller cancels", func(t *testing.T) {
		t.Parallel()
		c, ts := setup(t)
		ts.handle("POST "+replicationPath, block)
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(50*time.Millisecond, cancel)
		start := time.Now()
		_, err := c.CreateReplication(ctx, testInstance, CreateReplicationRequest{SourceInstanceID: "s", SourceDatabase: "d"})
		require.ErrorIs(t, err, context.Canceled)
		assert.Less(t, time.Since(start), 2*time.Second)
		assert.Equal(t, int64(1), ts.requests.Load())
	})
}

// TestRedirectNotFollowed: credentials are never sent to the host a
// redirect names; the 3xx answer is returned as an *APIError.
func TestRedirectNotFollowed(t *testing.T) {
	t.Parallel()
	var stolen atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stolen.Add(1)
		_, _ = io.WriteString(w, `{"job_id":"stolen"}`)
	}))
	t.Cleanup(other.Close)
	for _, status := range []int{301, 302, 303, 307, 308} {
		for _, opts := range [][]Option{nil, {WithHTTPClient(&http.Client{})}} {
			c, ts := setup(t, opts...)
			ts.handle("POST "+replicationPath, func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, other.URL+"/steal", status)
			})
			err := opCalls["create"].call(t, c)
			var apiErr *APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, status, apiErr.StatusCode)
		}
	}
	assert.Zero(t, stolen.Load(), "no request may reach the other host")
}

// TestAuthenticatorErrorSendsNothing: an authenticator that fails (an IAM
// outage, say) ends the call before anything is sent.
func TestAuthenticatorErrorSendsNothing(t *testing.T) {
	t.Parallel()
	boom := errors.New("iam unreachable")
	c, ts := setup(t, WithAuth(authFunc(func(context.Context, *http.Request) error { return boom })))
	err := opCalls["create"].call(t, c)
	require.ErrorIs(t, err, boom)
	assert.Zero(t, ts.requests.Load())
}

type authFunc func(context.Context, *http.Request) error

func (f authFunc) Authenticate(ctx context.Context, r *http.Request) error { return f(ctx, r) }

var _ auth.Authenticator = authFunc(nil)
