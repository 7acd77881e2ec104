package chreplication

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestErrNotStarted: a call whose context ends before anything it sent
// could have changed the service wraps ErrNotStarted: nothing sent (the
// budget had no room), only throttled, only busy. One whose request was in
// flight when the context ended does not: it may have reached the service.
func TestErrNotStarted(t *testing.T) {
	t.Parallel()
	create := func(c *Client, ctx context.Context) error {
		_, err := c.CreateReplication(ctx, testInstance, CreateReplicationRequest{SourceInstanceID: ensureSource, SourceDatabase: "shop"})
		return err
	}
	refuse := func(status int, code string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = io.WriteString(w, `{"error_code":"`+code+`","error_msg":"refused"}`)
		}
	}
	for _, tt := range []struct {
		name       string
		opts       []Option
		handler    func(release <-chan struct{}) http.HandlerFunc
		cancel     bool // cancel once the first request arrived (else a deadline)
		notStarted bool
		sent       int32 // requests that arrived, at least
	}{
		{name: "throttled until interrupted", handler: func(<-chan struct{}) http.HandlerFunc { return refuse(429, "APIGW.0308") }, cancel: true, notStarted: true, sent: 1},
		{name: "busy until interrupted", handler: func(<-chan struct{}) http.HandlerFunc { return refuse(409, "DBS.200019") }, cancel: true, notStarted: true, sent: 1},
		{name: "interrupted in flight", handler: func(release <-chan struct{}) http.HandlerFunc {
			return func(http.ResponseWriter, *http.Request) { <-release }
		}, cancel: true, notStarted: false, sent: 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			release := make(chan struct{})
			defer close(release)
			waiting := make(chan struct{}, 16)
			c, ts := setup(t, append([]Option{WithRetry(RetryPolicy{BaseDelay: 10 * time.Second, MaxDelay: 10 * time.Second}),
				WithEventHook(func(e Event) {
					if e.Kind == EventThrottled || e.Kind == EventInstanceBusy {
						waiting <- struct{}{} // the client is about to wait before sending again
					}
				})}, tt.opts...)...)
			var arrived atomic.Int32
			h := tt.handler(release)
			ts.handle("POST "+replicationPath, func(w http.ResponseWriter, r *http.Request) {
				arrived.Add(1)
				h(w, r)
			})
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			go func() {
				if tt.notStarted {
					<-waiting // the refusal was read: the client waits to send again
				} else {
					for arrived.Load() == 0 && ctx.Err() == nil {
						time.Sleep(time.Millisecond) // the request is in flight: the handler holds it
					}
				}
				cancel()
			}()
			err := create(c, ctx)
			require.Error(t, err)
			require.ErrorIs(t, err, context.Canceled)
			assert.Equal(t, tt.notStarted, errors.Is(err, ErrNotStarted), "%v", err)
			assert.GreaterOrEqual(t, arrived.Load(), tt.sent)
		})
	}

	// The budget has no room before the deadline: nothing is sent.
	c, ts := setup(t, WithRateLimit(0.001, 1))
	var arrived atomic.Int32
	ts.handle("GET "+replicationPath, func(w http.ResponseWriter, _ *http.Request) {
		arrived.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"total_count":0,"replications":[]}`)
	})
	_, err := c.ListReplications(t.Context(), testInstance, ListOptions{}) // uses the one token
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	err = create(c, ctx)
	require.ErrorIs(t, err, ErrNotStarted)
	assert.Equal(t, int32(1), arrived.Load())

	// EnsureReplication does not take such a create for one that may have
	// reached the service.
	ctx, cancel = context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err = c.EnsureReplication(ctx, testInstance, shopRequest(), WithoutFirstLook())
	require.ErrorIs(t, err, ErrNotStarted)
	assert.NotErrorIs(t, err, ErrOutcomeUnknown)
}
