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
	return func(c *config) { c.rateLimit, c.gateway = perSecond, Gateway{Limit: perSecond} }
}

// GatewayKind is how the fake's API gateway counts a credential's requests
// against its limit (Huawei does not publish how its gateway counts; these
// are the usual ways).
type GatewayKind int

// Gateway kinds.
const (
	// GatewayFixedWindow counts the requests of each window of the fake's
	// clock (whole seconds for a one-second window): WithRateLimit's.
	GatewayFixedWindow GatewayKind = iota
	// GatewaySlidingWindow counts the requests of the Window before each
	// request.
	GatewaySlidingWindow
	// GatewayTokenBucket holds Limit tokens, refilled evenly over Window
	// (Limit/Window a second); a request takes one.
	GatewayTokenBucket
)

// Gateway describes the fake's API gateway throttle (WithGateway): beyond
// Limit requests per Window and credential, a request is answered 429
// CodeThrottled before anything else looks at it.
type Gateway struct {
	Kind GatewayKind
	// Limit is the requests a credential may send per Window; 0 throttles
	// nothing.
	Limit int
	// Window is the period of Limit (default one second).
	Window time.Duration
	// CountRefused makes a throttled request count against the window too
	// (GatewaySlidingWindow: a client that keeps sending while throttled
	// stays throttled).
	CountRefused bool
	// HidePolicy leaves the policy out of the error_msg of a 429 ("The
	// throttling threshold has been reached" only), as a gateway that does
	// not say it.
	HidePolicy bool
}

// WithGateway makes the fake throttle as g says (see Gateway; WithRateLimit
// is Gateway{Limit: n}). A negative Limit or Window makes NewServer fail.
func WithGateway(g Gateway) Option {
	return func(c *config) { c.gateway, c.rateLimit = g, g.Limit }
}

// throttledMsg is the error_msg of a throttled request, as the gateway
// writes it with its limit and period (Huawei's: "...,limit:200,time:5
// minute"), or without them when the policy is hidden.
func throttledMsg(g Gateway, limit int) string {
	const msg = "The throttling threshold has been reached"
	if g.HidePolicy {
		return msg
	}
	return msg + ": policy user over ratelimit,limit:" + strconv.Itoa(limit) + ",time:" + windowWords(g.window())
}

// windowWords writes a window as Huawei's gateway does: "1 second",
// "5 minute".
func windowWords(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return strconv.Itoa(int(d/time.Hour)) + " hour"
	case d%time.Minute == 0:
		return strconv.Itoa(int(d/time.Minute)) + " minute"
	case d%time.Second == 0:
		return strconv.Itoa(int(d/time.Second)) + " second"
	}
	return strconv.Itoa(int(d/time.Millisecond)) + " millisecond"
}

func (g Gateway) window() time.Duration {
	if g.Window <= 0 {
		return time.Second
	}
	return g.Window
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

// limiter counts requests per credential as its gateway says. Its keys are
// the four above; a sliding window keeps at most Limit times per key (the
// Limit-th latest is in the window exactly when Limit requests are), so
// its memory is bounded whatever a client sends.
type limiter struct {
	limit     atomic.Int64 // requests per window per key; 0: no limit
	throttled atomic.Int64

	mu      sync.Mutex
	gateway Gateway
	window  time.Time // GatewayFixedWindow: the start of the window counted
	counts  map[string]int
	recent  map[string][]time.Time // GatewaySlidingWindow: the latest times, oldest first
	tokens  map[string]float64     // GatewayTokenBucket
	filled  map[string]time.Time
}

// allow counts one request of key at now and reports whether it is within
// the limit, and the limit it was judged against.
func (l *limiter) allow(key string, now time.Time) (bool, int) {
	limit := int(l.limit.Load())
	if limit <= 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.gateway.window()
	ok := false
	switch l.gateway.Kind {
	case GatewaySlidingWindow:
		if l.recent == nil {
			l.recent = make(map[string][]time.Time, 4)
		}
		times := l.recent[key]
		// Within the limit when fewer than limit of the latest requests
		// are in the window.
		in := 0
		for i := len(times) - 1; i >= 0 && now.Sub(times[i]) < w; i-- {
			in++
		}
		ok = in < limit
		if ok || l.gateway.CountRefused {
			times = append(times, now)
			if len(times) > limit {
				times = times[len(times)-limit:]
			}
			l.recent[key] = times
		}
	case GatewayTokenBucket:
		if l.tokens == nil {
			l.tokens, l.filled = make(map[string]float64, 4), make(map[string]time.Time, 4)
		}
		tok, last := l.tokens[key], l.filled[key]
		if last.IsZero() {
			tok = float64(limit)
		} else {
			tok = min(float64(limit), tok+now.Sub(last).Seconds()*float64(limit)/w.Seconds())
		}
		l.filled[key] = now
		ok = tok >= 1
		if ok {
			tok--
		}
		l.tokens[key] = tok
	default:
		start := now.Truncate(w)
		if !start.Equal(l.window) || l.counts == nil {
			l.window, l.counts = start, make(map[string]int, 4)
		}
		ok = l.counts[key] < limit
		if ok || l.gateway.CountRefused {
			l.counts[key]++
		}
	}
	if !ok {
		l.throttled.Add(1)
	}
	return ok, limit
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
// issued), and the requests with no credentials or unknown ones. The
// window and the way requests are counted are WithGateway's (by default a
// fixed window of one second of the fake's clock, WithClock's time). A throttled request gets 429 CodeThrottled with the error_msg
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
	s.limiter.mu.Lock()
	g := s.limiter.gateway
	s.limiter.mu.Unlock()
	writeError(w, http.StatusTooManyRequests, CodeThrottled, throttledMsg(g, limit))
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

// checkGateway checks WithGateway's value.
func checkGateway(g Gateway) error {
	switch {
	case g.Limit < 0:
		return fmt.Errorf("WithGateway: Limit %d must not be negative", g.Limit)
	case g.Window < 0:
		return fmt.Errorf("WithGateway: Window %v must not be negative", g.Window)
	case g.Kind < GatewayFixedWindow || g.Kind > GatewayTokenBucket:
		return fmt.Errorf("WithGateway: unknown Kind %d", g.Kind)
	}
	return nil
}
