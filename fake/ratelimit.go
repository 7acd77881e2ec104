package fake

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// WithRateLimit makes the fake throttle as Huawei Cloud's API gateway does:
// beyond perSecond requests in a second of the fake's clock (see WithClock),
// counted per credential, a request is answered 429 with CodeThrottled
// before anything else looks at it (see Server.SetRateLimit). Zero, the
// default, throttles nothing; a negative perSecond makes NewServer fail.
func WithRateLimit(perSecond int) Option {
	return func(c *config) { c.rateLimit = perSecond }
}

// throttledMsg is the error_msg of a throttled request, as the gateway
// writes it with its limit and period.
func throttledMsg(limit int) string {
	return "The throttling threshold has been reached: policy user over ratelimit,limit:" + strconv.Itoa(limit) + ",time:1 second"
}

// Budget keys of the credentials: the static token, the access key, the
// IAM user (every token its IAM endpoint issued) and requests whose
// credentials are missing or unknown.
const (
	keyToken     = "token"
	keyAccessKey = "access key"
	keyIAMUser   = "IAM user"
	keyNone      = "unauthenticated"
)

// limiter counts requests per credential in fixed windows of one second
// of the fake's clock. Its keys are the four above, so it holds at most
// four counts.
type limiter struct {
	limit     atomic.Int64 // requests a second per key; 0: no limit
	throttled atomic.Int64

	mu     sync.Mutex
	window time.Time // the start of the second counted
	counts map[string]int
}

// allow counts one request of key at now and reports whether it is within
// the limit, and the limit it was judged against.
func (l *limiter) allow(key string, now time.Time) (bool, int) {
	limit := int(l.limit.Load())
	if limit <= 0 {
		return true, 0
	}
	window := now.Truncate(time.Second)
	l.mu.Lock()
	defer l.mu.Unlock()
	if !window.Equal(l.window) || l.counts == nil {
		l.window, l.counts = window, make(map[string]int, 4)
	}
	l.counts[key]++
	if l.counts[key] <= limit {
		return true, limit
	}
	l.throttled.Add(1)
	return false, limit
}

// SetRateLimit changes the limit of WithRateLimit on a running server:
// from the next request on, beyond perSecond requests a second per
// credential are answered 429. Zero (or a negative perSecond) throttles
// nothing. Requests already counted in the current second stay counted.
// It is safe for concurrent use.
//
// Each credential has its own budget, as the gateway's user policy has per
// user: the static token (Server.Token), the access key (Server.AccessKey,
// whatever the signature), the IAM user (all tokens its IAM endpoint
// issued), and the requests with no credentials or unknown ones. A second
// is a fixed window of the fake's clock (a whole second of WithClock's
// time). A throttled request gets 429 CodeThrottled with the error_msg
// "The throttling threshold has been reached: policy user over
// ratelimit,limit:N,time:1 second", N the limit; it reaches no fault,
// credential check, validation or operation, changes nothing, is recorded
// with Request.Throttled set and counts in ThrottledCount. The IAM
// endpoint (POST /v3/auth/tokens), another service on Huawei Cloud, is
// never throttled.
func (s *Server) SetRateLimit(perSecond int) {
	s.limiter.limit.Store(int64(max(perSecond, 0)))
}

// RateLimit returns the limit of WithRateLimit or SetRateLimit: requests a
// second per credential, 0 when none.
func (s *Server) RateLimit() int { return int(s.limiter.limit.Load()) }

// ThrottledCount returns how many requests the server answered 429
// because of the rate limit since it started.
func (s *Server) ThrottledCount() int64 { return s.limiter.throttled.Load() }

// throttle answers 429 and reports true when the request is beyond its
// credential's budget.
func (s *Server) throttle(w http.ResponseWriter, r *http.Request, st *requestState) bool {
	ok, limit := s.limiter.allow(s.budgetKey(r), s.cfg.now())
	if ok {
		return false
	}
	st.throttled = true
	writeError(w, http.StatusTooManyRequests, CodeThrottled, throttledMsg(limit))
	return true
}

// budgetKey names the budget a request counts against, from its
// credentials as they claim to be, before they are checked: the gateway
// knows the user before it throttles.
func (s *Server) budgetKey(r *http.Request) string {
	if tok := r.Header.Get("X-Auth-Token"); tok != "" {
		switch {
		case subtle.ConstantTimeCompare([]byte(tok), []byte(s.token)) == 1:
			return keyToken
		case s.tokens.valid(tok, s.cfg.now()):
			return keyIAMUser
		}
		return keyNone
	}
	if ak, ok := accessKeyOf(r.Header.Get("Authorization")); ok &&
		subtle.ConstantTimeCompare([]byte(ak), []byte(s.ak)) == 1 {
		return keyAccessKey
	}
	return keyNone
}

// accessKeyOf returns the Access part of an SDK-HMAC-SHA256 Authorization
// header.
func accessKeyOf(authz string) (string, bool) {
	rest, ok := strings.CutPrefix(authz, "SDK-HMAC-SHA256 ")
	if !ok {
		return "", false
	}
	for part := range strings.SplitSeq(rest, ",") {
		if ak, ok := strings.CutPrefix(strings.TrimSpace(part), "Access="); ok {
			return ak, true
		}
	}
	return "", false
}

// checkRateLimit checks the option's value.
func checkRateLimit(perSecond int) error {
	if perSecond < 0 {
		return fmt.Errorf("WithRateLimit: %d requests a second: the limit must not be negative", perSecond)
	}
	return nil
}
