package chreplication

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// TestCancelledWaitAndIterationLeaveNothing: a WaitJob and an
// AllReplications loop ended by their context leave no goroutine behind.
// Not parallel: goleak looks at every goroutine of the process.
func TestCancelledWaitAndIterationLeaveNothing(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent(), goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"))
	func() {
		c, ts := setup(t)
		defer ts.server.Close()
		ts.handle("GET "+jobsPath, func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"job":{"id":"j1","status":"Running","process":"10%"}}`))
		})
		var requests []string
		ts.handle("GET "+replicationPath, pagingHandler(t, 1000, &requests))

		ctx, cancel := context.WithTimeout(t.Context(), 150*time.Millisecond)
		defer cancel()
		job, err := c.WaitJob(ctx, "j1", WithPollInterval(10*time.Millisecond, 20*time.Millisecond))
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, JobRunning, job.Status)

		ctx2, cancel2 := context.WithCancel(t.Context())
		defer cancel2()
		n, errs := 0, 0
		for _, err := range c.AllReplications(ctx2, testInstance) {
			if err != nil {
				require.ErrorIs(t, err, context.Canceled)
				errs++
				continue
			}
			if n++; n == 150 {
				cancel2() // the next page's request sees the cancelled context
			}
		}
		assert.Equal(t, 200, n, "the page in hand is finished, no new page is fetched")
		assert.Equal(t, 1, errs)
		defaultTransport.CloseIdleConnections()
	}()
}
