package chreplication

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// operation describes one API operation to the transport: its name (the
// spec's operationId) and whether sending it twice is harmless.
type operation struct {
	name       string
	idempotent bool
}

// The operations, as the spec's operationIds.
var (
	opCreate = &operation{"CreateClickHouseDataBaseReplication", false}
	opList   = &operation{"ListClickHouseDataBaseReplication", true}
	opDelete = &operation{"DeleteClickHouseDataBaseReplication", false}
	opJob    = &operation{"ShowGaussMySqlJobInfo", true}
)

type operationKey struct{}

// operationOf returns the operation a request belongs to, as call put it in
// the request's context. A request that did not come through call (a
// caller's own use of the doer) is treated as a write of an unknown
// operation: never re-sent once it may have reached the service.
func operationOf(ctx context.Context) *operation {
	if op, ok := ctx.Value(operationKey{}).(*operation); ok {
		return op
	}
	return &operation{name: "request"}
}

// reply is what the facade keeps of a 2xx answer, to say which one it
// was in an error.
type reply struct {
	method, path string
	status       int
	requestID    string
}

// invalid returns an error wrapping ErrInvalidResponse about the answer.
func (a *reply) invalid(what string) error {
	msg := strconv.Itoa(a.status) + " with " + what
	if a.method != "" {
		msg = a.method + " " + a.path + ": " + msg
	}
	if a.requestID != "" {
		msg += " (request ID " + clean(a.requestID) + ")"
	}
	return fmt.Errorf("%w: %s", ErrInvalidResponse, msg)
}

// json200 is what every generated Parse...Response result has.
type json200[T any] interface{ GetJSON200() *T }

// run runs one operation through the generated client and returns the 2xx
// model T the spec promises. send is the generated method, called with a
// context that carries the operation and the client's per-call timeout;
// parse is the generated Parse...Response. A non-2xx answer gives an
// *APIError; a 2xx answer whose body is not a JSON object, or does not
// decode into T, an error wrapping ErrInvalidResponse. When the answer did
// not say it is JSON (so the generated parser left JSON200 nil), its body
// is decoded into the same generated model.
func run[T any, R json200[T]](c *Client, ctx context.Context, op *operation,
	send func(context.Context) (*http.Response, error), parse func(*http.Response) (R, error),
) (*T, *reply, error) {
	if c.timeout > 0 {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, c.timeout)
			defer cancel()
		}
	}
	if c.tel != nil {
		return runTraced(c, ctx, op, send, parse)
	}
	return runOnce(c, ctx, op, send, parse, nil)
}

// runTraced is runOnce within the call's span and metrics.
func runTraced[T any, R json200[T]](c *Client, ctx context.Context, op *operation,
	send func(context.Context) (*http.Response, error), parse func(*http.Response) (R, error),
) (*T, *reply, error) {
	began := time.Now()
	ctx, span := c.tel.startCall(ctx, op)
	var body []byte
	v, a, err := runOnce(c, ctx, op, send, parse, &body)
	c.tel.endCall(ctx, span, op, began, err, body)
	return v, a, err
}

// runOnce is run without the telemetry; body, when not nil, is set to the
// answer's body.
func runOnce[T any, R json200[T]](c *Client, ctx context.Context, op *operation,
	send func(context.Context) (*http.Response, error), parse func(*http.Response) (R, error), bodyOut *[]byte,
) (*T, *reply, error) {
	resp, err := send(context.WithValue(ctx, operationKey{}, op))
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close() // read in full by the doer: closing frees nothing
	if bodyOut != nil {
		*bodyOut = bodyOf(resp)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, nil, apiErrorOf(op, resp)
	}
	a := &reply{status: resp.StatusCode, requestID: resp.Header.Get("X-Request-Id")}
	a.method, a.path = requestOf(resp)
	body := bodyOf(resp)
	if !startsWithObject(body) {
		what := "an empty body"
		if len(body) > 0 {
			what = "a body that is not a JSON object"
		}
		return nil, a, a.invalid(what)
	}
	r, err := parse(resp)
	if err != nil {
		return nil, a, a.invalid("malformed JSON: " + err.Error())
	}
	if v := r.GetJSON200(); v != nil {
		return v, a, nil
	}
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, a, a.invalid("malformed JSON: " + err.Error())
	}
	return &v, a, nil
}

// apiErrorOf is the *APIError of a non-2xx answer.
func apiErrorOf(op *operation, resp *http.Response) *APIError {
	method, path := requestOf(resp)
	return newAPIError(op.name, method, path, resp.StatusCode, resp.Header, bodyOf(resp))
}

// requestOf is the method and escaped path of the request resp answers
// ("" when the answer names no request).
func requestOf(resp *http.Response) (method, path string) {
	if req := resp.Request; req != nil {
		return req.Method, req.URL.EscapedPath()
	}
	return "", ""
}

// requestError is err about request r: "chreplication: POST /v3/…: err".
func requestError(r *http.Request, err error) error {
	return fmt.Errorf("chreplication: %s %s: %w", r.Method, r.URL.EscapedPath(), err)
}

// readBody is the body of an answer the transport has read in full: the
// generated parsers read it as any body, and the facade takes the bytes
// without copying them.
type readBody struct {
	bytes.Reader
	b []byte
}

func (*readBody) Close() error { return nil }

func newReadBody(b []byte) *readBody {
	r := &readBody{b: b}
	r.Reset(b)
	return r
}

// bodyOf returns the bytes of an answer's body as the transport read them.
func bodyOf(resp *http.Response) []byte {
	if rb, ok := resp.Body.(*readBody); ok {
		return rb.b
	}
	return nil
}

// doer is the HttpRequestDoer the facade gives the generated client: every
// request of every operation goes through Do, which adds what the
// generated code does not do. Every request, retries included, first passes
// the client's request budget (WithRateLimit, and the rate a 429 lowers).
// Do retries as the client's RetryPolicy and the operation's idempotency
// allow (a write refused by a busy instance or throttled by the gateway
// included), re-sends once with refreshed credentials after a 401, reads
// every answer through a size limit and never follows a redirect (the
// client's http.Client refuses them).
type doer struct{ c *Client }

// Do sends req, whose headers (credentials included) the generated client
// and the request editors have set, and returns the last answer, whatever
// its status, with its body read in full (a successful answer up to the
// client's limit, an error answer cut at 64 KiB). A retry sends a copy of
// req, authenticated again. Do returns an error when no answer could be
// used: the network failed, the context ended, the request budget had no
// room before the deadline, or a successful answer was too large.
func (d doer) Do(req *http.Request) (*http.Response, error) {
	c := d.c
	ctx := req.Context()
	op := operationOf(ctx)
	due := dueOf(ctx)
	attempts := c.retry.attempts()
	start := time.Now()
	busy, throttled := 0, 0
	reauthenticated := false
	// acted: an attempt was sent whose outcome may have changed something
	// on the service (any outcome but a throttle or a busy refusal).
	acted := false
	var (
		prev    *http.Response // the answer a retry follows
		prevErr error          // or the error
	)
	r := req
	for n := 1; ; n++ {
		admitted, err := c.budget.wait(ctx, due, func(d time.Duration) {
			c.emit(ctx, Event{Kind: EventRateWait, Operation: op.name, JobID: jobOf(ctx), Attempt: n, Delay: d, Elapsed: time.Since(start)})
		})
		if err != nil {
			return giveUp(ctx, op, r, prev, prevErr, notStarted(acted, err))
		}
		sent := time.Now()
		send, span := r, trace.Span(nil)
		if c.tel != nil {
			send, span = c.tel.startAttempt(ctx, r, op, n)
		}
		resp, err := c.http.Do(send) //nolint:bodyclose // read closes it
		if err == nil {
			err = c.read(resp)
		}
		if c.tel != nil {
			c.tel.endAttempt(ctx, span, op, resp, err)
		}
		took := time.Since(sent)
		lowered := c.budget.answered(admitted, err == nil && resp.StatusCode == http.StatusTooManyRequests)
		if err == nil && resp.StatusCode == http.StatusTooManyRequests {
			if limit, window, ok := gatewayPolicy(apiErrorOf(op, resp).Message); ok {
				c.budget.policy(limit, window)
			} else {
				c.budget.throttledUnstated(lowered)
			}
		}
		acted = acted || err != nil && !neverReached(err) || err == nil && resp.StatusCode != http.StatusTooManyRequests && !isBusy(resp)
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return nil, requestError(r, ctxErr)
			}
			if n < attempts && retryable(op.idempotent, 0, err) {
				delay := c.retry.delay(n, 0)
				serr := context.DeadlineExceeded // no time for another attempt
				if fits(ctx, delay+answerMargin(took)) {
					if c.tel != nil {
						c.tel.retried(ctx, n, delay, 0)
					}
					serr = sleep(ctx, delay)
				}
				if serr == nil {
					prev, prevErr = nil, err
					if r, err = d.again(req); err == nil {
						continue
					}
				} else if ctxErr := ctx.Err(); ctxErr != nil {
					err = errors.Join(err, ctxErr) // the context ended during the wait
				}
			}
			return nil, requestError(r, err)
		}
		if resp.StatusCode == http.StatusUnauthorized && c.reauth != nil && !reauthenticated {
			reauthenticated = true
			ok, rerr := c.reauth.Reauthenticate(ctx, r)
			if rerr != nil {
				// Say why no fresh credentials came, beside the 401 itself.
				return nil, errors.Join(apiErrorOf(op, resp),
					fmt.Errorf("chreplication: refreshing credentials after 401: %w", rerr))
			}
			if ok {
				if r, err = d.again(req); err != nil {
					return nil, err
				}
				prev, prevErr = resp, nil
				n-- // a refresh is not a retry: it does not use up an attempt
				continue
			}
		}
		var (
			wait    time.Duration
			ride    EventKind // the answer is ridden out: a busy instance or the gateway's throttle
			attempt int
		)
		ra := retryAfter(resp.Header, time.Now())
		switch {
		case isBusy(resp):
			// The instance runs another operation: the refusal changed
			// nothing, so any call may be sent again, for as long as the
			// call's deadline allows.
			busy++
			ride, attempt, wait = EventInstanceBusy, busy, c.retry.delay(busy, ra)
		case resp.StatusCode == http.StatusTooManyRequests:
			// The gateway throttled the request: it never reached the
			// service, so any call may be sent again, for as long as the
			// call's deadline allows, and not before Retry-After.
			throttled++
			ride, attempt, wait = EventThrottled, throttled, max(c.retry.delay(throttled, 0), ra)
		case n < attempts && retryable(op.idempotent, resp.StatusCode, nil):
			wait = c.retry.delay(n, ra)
		default:
			return resp, nil
		}
		// Send again only when the wait and the next answer fit before the
		// deadline: a request cut off by it leaves its outcome unknown,
		// where this answer is certain.
		if !fits(ctx, wait+answerMargin(took)) || ride != 0 && !mayRideOut(ctx, start, wait) {
			return resp, nil
		}
		if ride == 0 && c.tel != nil {
			c.tel.retried(ctx, n, wait, resp.StatusCode)
		}
		if ride != 0 {
			c.emit(ctx, Event{Kind: ride, Operation: op.name, Attempt: attempt, Delay: wait,
				Elapsed: time.Since(start), Err: apiErrorOf(op, resp)})
		}
		if serr := sleep(ctx, wait); serr != nil {
			if ctx.Err() != nil {
				return giveUp(ctx, op, r, resp, nil, notStarted(acted, serr))
			}
			return resp, nil // the wait would outlast the deadline: the last answer stands
		}
		if r, err = d.again(req); err != nil {
			return nil, err
		}
		prev, prevErr = resp, nil
	}
}

// ErrNotStarted is wrapped by the error of a call that ended (its context
// ended, or the request budget had no room before its deadline) before
// anything it sent could have changed the service: no attempt was sent,
// or every attempt was refused by the gateway's throttle (429: it never
// reached the service) or as a busy instance (409: it changed nothing). A
// create or delete whose error wraps it certainly started nothing; one
// whose error does not, and whose context ended, may have.
var ErrNotStarted = errors.New("chreplication: nothing was started on the service")

// notStarted wraps err with ErrNotStarted when no attempt acted.
func notStarted(acted bool, err error) error {
	if acted {
		return err
	}
	return fmt.Errorf("%w: %w", ErrNotStarted, err)
}

// giveUp is Do's outcome when a retry cannot be sent: the wait before it,
// or the request budget, ran into the context's end (err). With the
// context still alive (the budget had no room before the deadline), the
// last answer stands. Otherwise the error wraps both the last outcome (an
// *APIError or a network error) and the context's error.
func giveUp(ctx context.Context, op *operation, r *http.Request, last *http.Response, lastErr, err error) (*http.Response, error) {
	switch {
	case last != nil && ctx.Err() == nil:
		return last, nil
	case last != nil:
		return nil, errors.Join(apiErrorOf(op, last),
			fmt.Errorf("chreplication: %s %s: gave up retrying: %w", r.Method, r.URL.EscapedPath(), err))
	case lastErr != nil:
		return nil, requestError(r, errors.Join(lastErr, err))
	}
	return nil, requestError(r, err)
}

// answerMargin is the time a retry leaves for its answer before the
// deadline: twice what the last attempt took, and at least 25ms.
func answerMargin(took time.Duration) time.Duration { return max(2*took, 25*time.Millisecond) }

// again returns a copy of req to send once more: with a fresh body and
// authenticated again (a new signature date, a refreshed token).
func (d doer) again(req *http.Request) (*http.Request, error) {
	r := req.Clone(req.Context())
	if req.Body != nil && req.Body != http.NoBody {
		if req.GetBody == nil {
			return nil, fmt.Errorf("chreplication: %s %s: the request body cannot be sent again", req.Method, req.URL.EscapedPath())
		}
		body, err := req.GetBody()
		if err != nil {
			return nil, requestError(req, err)
		}
		r.Body = body
	}
	if err := d.c.authenticate(r.Context(), r); err != nil {
		return nil, err
	}
	return r, nil
}

// authenticate is the request editor that adds the credentials: the
// generated client runs it on every request it builds, and the doer on
// every copy it sends again.
func (c *Client) authenticate(ctx context.Context, req *http.Request) error {
	if err := c.auth.Authenticate(ctx, req); err != nil {
		return fmt.Errorf("chreplication: %s: authenticating: %w", operationOf(ctx).name, err)
	}
	return nil
}

// setUserAgent is the request editor that names the client.
func (c *Client) setUserAgent(_ context.Context, req *http.Request) error {
	req.Header.Set("User-Agent", c.userAgent)
	return nil
}

// busyCodes are the error codes of a 409 answer that says the instance is
// running another operation (the codes Huawei's Terraform provider retries
// for TaurusDB). Such a refusal changed nothing.
var busyCodes = map[string]bool{
	"DBS.200019":      true,
	"DBS.201014":      true,
	"DBS.201015":      true,
	"DBS.200047":      true,
	"DBS.05000084":    true,
	codeBeingOperated: true,
}

// codeBeingOperated is "Instance is currently being operated". Huawei's
// Terraform provider retries it on a 409 for TaurusDB and notes that RDS
// sends it with a 403: either status is taken as a busy instance.
const codeBeingOperated = "DBS.212033"

// maxBusyWait bounds the time a call rides out a busy instance or the
// gateway's throttling when neither its context nor the client sets a
// deadline.
const maxBusyWait = 30 * time.Minute

// mayRideOut reports whether a call that began at start may wait once more
// for a busy instance or a throttle, wait long: until its deadline (fits
// judges that), or for maxBusyWait in all when it has none.
func mayRideOut(ctx context.Context, start time.Time, wait time.Duration) bool {
	if _, ok := ctx.Deadline(); ok {
		return true
	}
	return time.Since(start)+wait <= maxBusyWait
}

// isBusy reports whether an answer is a busy instance's refusal.
func isBusy(resp *http.Response) bool {
	if resp.StatusCode != http.StatusConflict && resp.StatusCode != http.StatusForbidden {
		return false
	}
	code, _ := parseErrorBody(bodyOf(resp))
	return busyAnswer(resp.StatusCode, code)
}

// busyAnswer reports whether an answer's status and error code are a busy
// instance's refusal.
func busyAnswer(status int, code string) bool {
	switch status {
	case http.StatusConflict:
		return busyCodes[code]
	case http.StatusForbidden:
		return code == codeBeingOperated
	}
	return false
}

// read reads and closes the body of resp and puts the bytes in its place
// (see readBody). A successful answer may be up to maxBody long; an error
// answer is cut at maxErrBody (the cut is enough to show what went wrong).
func (c *Client) read(resp *http.Response) error {
	defer resp.Body.Close()
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	limit := c.maxErrBody
	if ok {
		limit = c.maxBody
	}
	body, err := readLimited(resp.Body, resp.ContentLength, limit)
	if errors.Is(err, ErrResponseTooLarge) && !ok {
		err = nil // keep the start of an oversized error body
	}
	if err != nil {
		return err
	}
	resp.Body = newReadBody(body)
	return nil
}

// readLimited reads r to its end, or returns the first limit bytes and
// ErrResponseTooLarge when r holds more. The buffer starts at the announced
// length (or 512 bytes) and doubles, so reaching the limit allocates at most
// about twice the limit.
func readLimited(r io.Reader, contentLength, limit int64) ([]byte, error) {
	if contentLength > limit {
		return nil, fmt.Errorf("%w: Content-Length %d exceeds the limit of %d bytes", ErrResponseTooLarge, contentLength, limit)
	}
	size := int64(512)
	if contentLength >= 0 {
		size = contentLength + 1 // +1 sees EOF without growing
	}
	buf := make([]byte, 0, min(size, limit))
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) == limit {
				var probe [1]byte
				n, err := io.ReadFull(r, probe[:])
				if n > 0 {
					return buf, fmt.Errorf("%w: more than %d bytes", ErrResponseTooLarge, limit)
				}
				if errors.Is(err, io.EOF) {
					return buf, nil
				}
				return nil, fmt.Errorf("reading the answer: %w", err)
			}
			// Double: append grows large slices by only 1.25x, which
			// allocates several times the limit on the way to it.
			grown := make([]byte, len(buf), min(2*int64(cap(buf)), limit))
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading the answer: %w", err)
		}
	}
}
