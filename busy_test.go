package chreplication

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBusyInstanceIsRiddenOut answers each operation with 409 and a
// busy-instance code three times, then 200: every method (writes included,
// the refusal changed nothing) ends with the answer, four requests on the
// wire, even with MaxAttempts below four, and one event per refusal.
func TestBusyInstanceIsRiddenOut(t *testing.T) {
	t.Parallel()
	for op, oc := range opCalls {
		for _, code := range []string{"DBS.200019", "DBS.201014", "DBS.201015", "DBS.200047", "DBS.05000084", "DBS.212033"} {
			t.Run(op+"/"+code, func(t *testing.T) {
				t.Parallel()
				var mu sync.Mutex
				var events []Event
				c, ts := setup(t,
					WithRetry(RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}),
					WithEventHook(func(e Event) { mu.Lock(); events = append(events, e); mu.Unlock() }))
				var n atomic.Int64
				ts.handle(oc.pattern, func(w http.ResponseWriter, _ *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					if n.Add(1) <= 3 {
						w.Header().Set("X-Request-Id", "busy-"+strconv.FormatInt(n.Load(), 10))
						w.WriteHeader(http.StatusConflict)
						_, _ = io.WriteString(w, `{"error_code":"`+code+`","error_msg":"Another operation is being performed on the instance."}`)
						return
					}
					_, _ = io.WriteString(w, okBodies[op])
				})
				require.NoError(t, oc.call(t, c))
				assert.Equal(t, int64(4), ts.requests.Load())
				mu.Lock()
				defer mu.Unlock()
				require.Len(t, events, 3)
				for i, e := range events {
					assert.Equal(t, EventInstanceBusy, e.Kind)
					assert.Equal(t, i+1, e.Attempt)
					assert.Positive(t, e.Delay)
					require.NotNil(t, e.Err)
					assert.Equal(t, http.StatusConflict, e.Err.StatusCode)
					assert.Equal(t, code, e.Err.Code)
					assert.Equal(t, "busy-"+strconv.Itoa(i+1), e.Err.RequestID)
				}
			})
		}
	}
}

// TestBeingOperatedAs403IsRiddenOut: DBS.212033 ("Instance is currently
// being operated") comes with a 403 from some of Huawei's database
// services: it is ridden out as from a 409. Another 403 is not.
func TestBeingOperatedAs403IsRiddenOut(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		code         string
		wantRequests int64
	}{{"DBS.212033", 3}, {"DBS.200019", 1}, {"APIGW.0302", 1}} {
		t.Run(tt.code, func(t *testing.T) {
			t.Parallel()
			var ev events
			c, ts := setup(t, WithEventHook(ev.hook))
			var n atomic.Int64
			ts.handle(opCalls["create"].pattern, func(w http.ResponseWriter, _ *http.Request) {
				if n.Add(1) <= 2 {
					w.WriteHeader(http.StatusForbidden)
					_, _ = io.WriteString(w, `{"error_code":"`+tt.code+`","error_msg":"Instance is currently being operated."}`)
					return
				}
				_, _ = io.WriteString(w, okBodies["create"])
			})
			err := opCalls["create"].call(t, c)
			assert.Equal(t, tt.wantRequests, ts.requests.Load())
			if tt.wantRequests == 1 {
				var apiErr *APIError
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, http.StatusForbidden, apiErr.StatusCode)
				assert.Empty(t, ev.list())
				return
			}
			require.NoError(t, err)
			require.Len(t, ev.list(), 2)
			assert.Equal(t, EventInstanceBusy, ev.list()[0].Kind)
		})
	}
}

// TestOtherConflictIsSentOnce: a 409 without a busy code (the database
// already synchronised, say) is the caller's to handle.
func TestOtherConflictIsSentOnce(t *testing.T) {
	t.Parallel()
	for op, oc := range opCalls {
		for _, body := range []string{
			`{"error_code":"DBS.280343","error_msg":"The database is already being synchronised."}`,
			`{"error_code":"DBS.200019x","error_msg":"near miss"}`,
			`<html>409</html>`,
			``,
		} {
			t.Run(op+"/"+body, func(t *testing.T) {
				t.Parallel()
				c, ts := setup(t)
				ts.handle(oc.pattern, func(w http.ResponseWriter, _ *http.Request) {
					w.WriteHeader(http.StatusConflict)
					_, _ = io.WriteString(w, body)
				})
				err := oc.call(t, c)
				var apiErr *APIError
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, http.StatusConflict, apiErr.StatusCode)
				assert.Equal(t, int64(1), ts.requests.Load())
			})
		}
	}
}

// TestBusyInstanceUntilTheDeadline: busy refusals are retried while the
// call's deadline allows, not longer: the last refusal is returned.
func TestBusyInstanceUntilTheDeadline(t *testing.T) {
	t.Parallel()
	var events atomic.Int64
	c, ts := setup(t, WithTimeout(150*time.Millisecond),
		WithRetry(RetryPolicy{MaxAttempts: 1, BaseDelay: 10 * time.Millisecond, MaxDelay: 20 * time.Millisecond}),
		WithEventHook(func(Event) { events.Add(1) }))
	ts.handle(opCalls["create"].pattern, func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusConflict)
		_, _ = io.WriteString(w, `{"error_code":"DBS.200019","error_msg":"busy"}`)
	})
	start := time.Now()
	err := opCalls["create"].call(t, c)
	assert.Less(t, time.Since(start), 2*time.Second)
	assert.Greater(t, ts.requests.Load(), int64(3), "retried while the deadline allowed")
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		// The last refusal stands: the next wait would have outlasted the
		// deadline, so no event announced it.
		assert.Equal(t, "DBS.200019", apiErr.Code)
		assert.Equal(t, ts.requests.Load()-1, events.Load(), "an event for every wait, none for the wait the deadline did not allow")
		return
	}
	// Or the deadline came while the last retry was on the wire (a loaded
	// machine): every request but the first followed an event.
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.GreaterOrEqual(t, events.Load(), ts.requests.Load()-1)
}

// TestRetryLeavesTimeForTheAnswer: a retry is started only when its wait
// and its answer (judged by the last attempt's) fit before the deadline, so
// the call ends with the service's certain refusal, not with a request the
// deadline cut off (whose outcome would be unknown).
func TestRetryLeavesTimeForTheAnswer(t *testing.T) {
	t.Parallel()
	c, ts := setup(t, WithTimeout(300*time.Millisecond),
		WithRetry(RetryPolicy{MaxAttempts: 5, BaseDelay: 10 * time.Millisecond, MaxDelay: 10 * time.Millisecond}))
	ts.handle(opCalls["create"].pattern, func(w http.ResponseWriter, _ *http.Request) {
		time.Sleep(120 * time.Millisecond) // a slow answer: two do not fit in what is left after the first
		w.WriteHeader(http.StatusConflict)
		_, _ = io.WriteString(w, `{"error_code":"DBS.200019","error_msg":"busy"}`)
	})
	err := opCalls["create"].call(t, c)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr, "the refusal stands; got %v", err)
	assert.Equal(t, "DBS.200019", apiErr.Code)
	assert.NotErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, int64(1), ts.requests.Load(), "no retry that the deadline would cut off")
}
