package fake_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication/fake"
)

// throttledBody is the gateway's answer with limit N.
func throttledBody(limit int) string {
	return fmt.Sprintf(`{"error_code":"APIGW.0308","error_msg":"The throttling threshold has been reached: policy user over ratelimit,limit:%d,time:1 second"}`, limit)
}

// countStatuses sends n list requests with the header pairs of call and
// counts the answers by status, checking every 429's body.
func countStatuses(t *testing.T, s *fake.Server, n int, header ...string) map[int]int {
	t.Helper()
	got := map[int]int{}
	for range n {
		a := call(t, s, http.MethodGet, replicationPath(s, testInstance), "", header...)
		got[a.Status]++
		if a.Status == http.StatusTooManyRequests {
			assert.JSONEq(t, throttledBody(s.RateLimit()), string(a.Body))
			assert.Equal(t, "application/json", a.Header.Get("Content-Type"))
			assert.NotEmpty(t, a.Header.Get("X-Request-Id"))
		}
	}
	return got
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	tests := []struct{ limit, extra int }{{1, 1}, {3, 2}, {10, 7}}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d+%d", tt.limit, tt.extra), func(t *testing.T) {
			t.Parallel()
			c := newClock()
			s := newServer(t, fake.WithClock(c.Now), fake.WithRateLimit(tt.limit))
			got := countStatuses(t, s, tt.limit+tt.extra)
			assert.Equal(t, map[int]int{http.StatusOK: tt.limit, http.StatusTooManyRequests: tt.extra}, got)
			assert.EqualValues(t, tt.extra, s.ThrottledCount())

			// The log shows which requests were throttled: the last ones.
			reqs := s.Requests()
			require.Len(t, reqs, tt.limit+tt.extra)
			for i, r := range reqs {
				throttled := i >= tt.limit
				assert.Equal(t, throttled, r.Throttled, "request %d", i)
				assert.Equal(t, "ListClickHouseDataBaseReplication", r.Operation, "request %d", i)
				assert.Equal(t, !throttled, r.Authenticated, "request %d: a throttled request is not looked at", i)
				if throttled {
					assert.Equal(t, http.StatusTooManyRequests, r.Status, "request %d", i)
				}
			}

			// Within the same second, still throttled; in the next one, the
			// budget is whole again.
			c.Add(999 * time.Millisecond)
			assert.Equal(t, map[int]int{http.StatusTooManyRequests: 1}, countStatuses(t, s, 1))
			c.Add(time.Millisecond)
			got = countStatuses(t, s, tt.limit+tt.extra)
			assert.Equal(t, map[int]int{http.StatusOK: tt.limit, http.StatusTooManyRequests: tt.extra}, got)
			assert.EqualValues(t, 2*tt.extra+1, s.ThrottledCount())
		})
	}
}

// TestRateLimitPerCredential checks that each credential has its own
// budget: the static token, the access key, the IAM user's tokens (all of
// them together) and requests without valid credentials.
func TestRateLimitPerCredential(t *testing.T) {
	t.Parallel()
	const limit = 2
	c := newClock()
	s := newServer(t, fake.WithClock(c.Now), fake.WithRateLimit(limit))
	ak, sk := s.AccessKey()
	// The IAM endpoint is not throttled: three tokens in one second.
	tok1, _ := issueToken(t, s)
	tok2, _ := issueToken(t, s)
	_, _ = issueToken(t, s)

	path := replicationPath(s, testInstance)
	sendAs := map[string]func() int{
		"token": func() int { return call(t, s, http.MethodGet, path, "").Status },
		"access key": func() int {
			return signedRequest(t, s, ak, sk, http.MethodGet, path, "", nil).Status
		},
		"IAM token 1": func() int { return call(t, s, http.MethodGet, path, "", "X-Auth-Token", tok1).Status },
		"IAM token 2": func() int { return call(t, s, http.MethodGet, path, "", "X-Auth-Token", tok2).Status },
		"no credentials": func() int {
			return call(t, s, http.MethodGet, path, "", "X-Auth-Token", "").Status
		},
		"unknown token": func() int {
			return call(t, s, http.MethodGet, path, "", "X-Auth-Token", "not-a-token").Status
		},
		"unknown access key": func() int {
			return signedRequest(t, s, "OTHERAK", sk, http.MethodGet, path, "", nil).Status
		},
	}
	seq := func(who string, n int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = sendAs[who]()
		}
		return out
	}
	ok, bad, throttled := http.StatusOK, http.StatusUnauthorized, http.StatusTooManyRequests
	assert.Equal(t, []int{ok, ok, throttled}, seq("token", 3))
	assert.Equal(t, []int{ok, ok, throttled}, seq("access key", 3), "not the token's budget")
	// The IAM user's tokens share the user's budget.
	assert.Equal(t, []int{ok, ok}, seq("IAM token 1", 2))
	assert.Equal(t, []int{throttled}, seq("IAM token 2", 1), "the IAM user's budget, whatever the token")
	// Requests without valid credentials share a budget of their own.
	assert.Equal(t, []int{bad}, seq("no credentials", 1))
	assert.Equal(t, []int{bad}, seq("unknown token", 1))
	assert.Equal(t, []int{throttled}, seq("unknown access key", 1))
	assert.EqualValues(t, 4, s.ThrottledCount())

	c.Add(time.Second)
	for _, who := range []string{"token", "access key", "IAM token 2"} {
		assert.Equal(t, []int{ok, ok, throttled}, seq(who, 3), who)
	}
	assert.Equal(t, []int{bad, bad, throttled}, seq("no credentials", 3))
	assert.Equal(t, 3, s.RequestCount(fake.OperationIAMToken), "three tokens issued, none throttled")
}

// TestRateLimitComesFirst checks that a throttled request reaches nothing:
// no fault is used up, no task is created, no job started.
func TestRateLimitComesFirst(t *testing.T) {
	t.Parallel()
	c := newClock()
	s := newServer(t, fake.WithClock(c.Now), fake.WithRateLimit(1), fake.WithJobMode(fake.JobsManual))
	create(t, s, testInstance, "shop")
	s.InjectFault(fake.Fault{Operation: "CreateClickHouseDataBaseReplication", Status: http.StatusServiceUnavailable})
	for _, body := range []string{createBody("sales"), createBody("orders"), `{not json`} {
		a := call(t, s, http.MethodPost, replicationPath(s, testInstance), body)
		assert.Equal(t, http.StatusTooManyRequests, a.Status, "body %s", a.Body)
	}
	assert.Len(t, s.Replications(testInstance), 1, "no create served")
	c.Add(time.Second)
	a := call(t, s, http.MethodPost, replicationPath(s, testInstance), createBody("sales"))
	assert.Equal(t, http.StatusServiceUnavailable, a.Status, "the fault waited for a request that passed")
	assert.EqualValues(t, 3, s.ThrottledCount())
}

// TestRateLimitConcurrent checks that requests sent at once are counted
// exactly: of 40 in one second with a limit of 25, 15 are throttled.
func TestRateLimitConcurrent(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithClock(newClock().Now), fake.WithRateLimit(25))
	var wg sync.WaitGroup
	statuses := make([]int, 40)
	for i := range statuses {
		wg.Go(func() {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL()+replicationPath(s, testInstance), nil)
			if err != nil {
				return
			}
			req.Header.Set("X-Auth-Token", s.Token())
			resp, err := s.Client().Do(req)
			if err != nil {
				return
			}
			_ = resp.Body.Close()
			statuses[i] = resp.StatusCode
		})
	}
	wg.Wait()
	got := map[int]int{}
	for _, st := range statuses {
		got[st]++
	}
	assert.Equal(t, map[int]int{http.StatusOK: 25, http.StatusTooManyRequests: 15}, got)
	assert.EqualValues(t, 15, s.ThrottledCount())
}

func TestSetRateLimit(t *testing.T) {
	t.Parallel()
	c := newClock()
	s := newServer(t, fake.WithClock(c.Now))
	assert.Zero(t, s.RateLimit(), "no limit by default")
	assert.Equal(t, map[int]int{http.StatusOK: 20}, countStatuses(t, s, 20))

	s.SetRateLimit(5)
	assert.Equal(t, 5, s.RateLimit())
	c.Add(time.Second)
	assert.Equal(t, map[int]int{http.StatusOK: 5, http.StatusTooManyRequests: 3}, countStatuses(t, s, 8))

	// A lower limit applies at once to the second being counted.
	s.SetRateLimit(2)
	assert.Equal(t, map[int]int{http.StatusTooManyRequests: 1}, countStatuses(t, s, 1))
	s.SetRateLimit(0)
	assert.Equal(t, map[int]int{http.StatusOK: 10}, countStatuses(t, s, 10))
	s.SetRateLimit(-3)
	assert.Zero(t, s.RateLimit())
	assert.EqualValues(t, 4, s.ThrottledCount())
}

// TestGatewayKinds: a sliding window counts the Window before each request
// (and, when it counts refused requests, a client that keeps sending
// while throttled stays throttled); a token bucket refills evenly; the
// policy is stated in the error_msg, or hidden.
func TestGatewayKinds(t *testing.T) {
	t.Parallel()
	status := func(s *fake.Server) (int, string) {
		a := call(t, s, http.MethodGet, replicationPath(s, testInstance), "")
		return a.Status, string(a.Body)
	}
	t.Run("sliding window", func(t *testing.T) {
		t.Parallel()
		c := newClock()
		s := newServer(t, fake.WithClock(c.Now), fake.WithGateway(fake.Gateway{Kind: fake.GatewaySlidingWindow, Limit: 3, Window: time.Minute}))
		for range 3 {
			st, _ := status(s)
			assert.Equal(t, http.StatusOK, st)
			c.Add(10 * time.Second)
		}
		st, body := status(s) // 3 in the last minute (at 0, 10, 20 s; now 30 s)
		assert.Equal(t, http.StatusTooManyRequests, st)
		assert.Contains(t, body, "policy user over ratelimit,limit:3,time:1 minute")
		c.Add(31 * time.Second) // 61 s: the first has left the window
		st, _ = status(s)
		assert.Equal(t, http.StatusOK, st)
	})
	t.Run("sliding window counting refused requests", func(t *testing.T) {
		t.Parallel()
		c := newClock()
		s := newServer(t, fake.WithClock(c.Now), fake.WithGateway(fake.Gateway{Kind: fake.GatewaySlidingWindow, Limit: 2, Window: time.Minute, CountRefused: true}))
		got := map[int]int{}
		for range 20 { // one every 20 s, for 400 s: after the first two, each refusal keeps the window full
			st, _ := status(s)
			got[st]++
			c.Add(20 * time.Second)
		}
		assert.Equal(t, map[int]int{http.StatusOK: 2, http.StatusTooManyRequests: 18}, got)
		c.Add(time.Minute) // a full window of silence empties it
		st, _ := status(s)
		assert.Equal(t, http.StatusOK, st)
	})
	t.Run("token bucket", func(t *testing.T) {
		t.Parallel()
		c := newClock()
		s := newServer(t, fake.WithClock(c.Now), fake.WithGateway(fake.Gateway{Kind: fake.GatewayTokenBucket, Limit: 4, Window: 4 * time.Second, HidePolicy: true}))
		got := map[int]int{}
		for range 6 {
			st, _ := status(s)
			got[st]++
		}
		assert.Equal(t, map[int]int{http.StatusOK: 4, http.StatusTooManyRequests: 2}, got, "a full bucket, then empty")
		_, body := status(s)
		assert.JSONEq(t, `{"error_code":"APIGW.0308","error_msg":"The throttling threshold has been reached"}`, body, "the policy hidden")
		c.Add(time.Second) // one token back
		st, _ := status(s)
		assert.Equal(t, http.StatusOK, st)
		st, _ = status(s)
		assert.Equal(t, http.StatusTooManyRequests, st)
	})
	t.Run("refused settings", func(t *testing.T) {
		t.Parallel()
		_, err := fake.NewServer(fake.WithGateway(fake.Gateway{Limit: -1}))
		require.ErrorContains(t, err, "Limit -1 must not be negative")
		_, err = fake.NewServer(fake.WithGateway(fake.Gateway{Limit: 1, Window: -time.Second}))
		require.ErrorContains(t, err, "must not be negative")
	})
}
