package fake

import (
	"bytes"
	"net/http"
	"sync"
	"time"
)

// A Request is what the server recorded of one request it saw. Secrets are
// never recorded: the values of X-Auth-Token, Authorization,
// X-Security-Token, Cookie and X-Subject-Token read "REDACTED", and the
// body is recorded only for the spec's operations (an IAM token request,
// or a request that misses the IAM path, may hold a password).
type Request struct {
	Time      time.Time
	Method    string
	Path      string // as sent, percent-encoded
	RawQuery  string
	Operation string      // the spec's operationId, OperationIAMToken, or "" when none matched
	Header    http.Header // a copy, secrets redacted
	Body      []byte      // the body as received; nil unless Operation is one of the spec's
	// AuthHeader names the header that carried credentials: "X-Auth-Token",
	// "Authorization" (AK/SK), or "" when the request carried neither.
	AuthHeader string
	// Authenticated reports whether the credentials were accepted.
	Authenticated bool
	// Throttled reports whether the request was answered 429 because of
	// the rate limit (WithRateLimit) without being served.
	Throttled bool
	// Status is the status the server answered, or 0 when it answered
	// nothing (the client went away during an injected delay).
	Status    int
	RequestID string // the X-Request-Id the server answered
}

// Redacted is the value recorded in place of a secret header value.
const Redacted = "REDACTED"

var secretHeaders = []string{"X-Auth-Token", "Authorization", "X-Security-Token", "Cookie", "X-Subject-Token"}

func redactHeader(h http.Header) http.Header {
	c := h.Clone()
	if c == nil {
		c = http.Header{}
	}
	for _, k := range secretHeaders {
		if vs, ok := c[k]; ok {
			red := make([]string, len(vs))
			for i := range red {
				red[i] = Redacted
			}
			c[k] = red
		}
	}
	return c
}

// requestLog keeps the latest requests and counts all of them.
type requestLog struct {
	mu     sync.Mutex
	size   int
	buf    []Request // ring of at most size entries
	next   int       // where the next entry goes once buf is full
	total  int
	counts map[string]int
}

func (l *requestLog) add(r Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total++
	if l.counts == nil {
		l.counts = make(map[string]int)
	}
	l.counts[r.Operation]++
	if l.size == 0 {
		return
	}
	if len(l.buf) < l.size {
		l.buf = append(l.buf, r)
		return
	}
	l.buf[l.next] = r
	l.next = (l.next + 1) % l.size
}

func (l *requestLog) all() []Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Request, 0, len(l.buf))
	out = append(out, l.buf[l.next:]...)
	out = append(out, l.buf[:l.next]...)
	for i := range out {
		out[i].Header = out[i].Header.Clone()
		out[i].Body = bytes.Clone(out[i].Body)
	}
	return out
}

func (l *requestLog) count(op string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if op == "" {
		return l.total
	}
	return l.counts[op]
}

func (l *requestLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf, l.next, l.total, l.counts = nil, 0, 0, nil
}

// recorder is the ResponseWriter the server hands down the chain: it
// records the request the moment the answer starts, so that a test that
// has read the answer always finds the request recorded.
type recorder struct {
	http.ResponseWriter
	rec      Request
	log      *requestLog
	state    *requestState
	recorded bool
}

func (w *recorder) record(status int) {
	if w.recorded {
		return
	}
	w.recorded = true
	w.rec.Status = status
	w.rec.Operation = w.state.operation
	w.rec.Authenticated = w.state.authenticated
	w.rec.Throttled = w.state.throttled
	w.log.add(w.rec)
}

func (w *recorder) WriteHeader(status int) {
	if status >= 200 {
		w.record(status)
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *recorder) Write(b []byte) (int, error) {
	w.record(http.StatusOK)
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }
