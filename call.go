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
)

// Operation names, as the spec's operationIds.
const (
	opCreate = "CreateClickHouseDataBaseReplication"
	opList   = "ListClickHouseDataBaseReplication"
	opDelete = "DeleteClickHouseDataBaseReplication"
	opJob    = "ShowGaussMySqlJobInfo"
)

// response is an answer read in full (through a size limit).
type response struct {
	op, method, path string
	status           int
	header           http.Header
	body             []byte
}

// newRequest returns a request for rawURL, which starts with the project's
// URL (c.base, see projectBase) and is escaped, with ctx and the headers of
// the operation: Content-Type when body is not nil, X-Language when the
// client has a language. The URL is the one the generated request builders
// make, parsed once.
func (c *Client) newRequest(ctx context.Context, method, rawURL string, body []byte) (*http.Request, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, r)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.language != "" {
		req.Header.Set("X-Language", c.language)
	}
	return req, nil
}

// send builds, authenticates and sends a request, retrying as the client's
// RetryPolicy and the operation's idempotency allow, and re-sending once with
// refreshed credentials after a 401. build makes the request of one attempt,
// with the context it is given. send returns the last answer, whatever its
// status, or the error that kept any answer from arriving. The answer is a
// value, which the operations decode in place: it never needs the heap.
func (c *Client) send(ctx context.Context, op string, idempotent bool, build func(context.Context) (*http.Request, error)) (response, error) {
	if c.timeout > 0 {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, c.timeout)
			defer cancel()
		}
	}
	attempts := c.retry.attempts()
	reauthenticated := false
	for n := 1; ; n++ {
		req, err := build(ctx)
		if err != nil {
			return response{}, fmt.Errorf("chreplication: %s: building the request: %w", op, err)
		}
		req.Header.Set("User-Agent", c.userAgent)
		if err := c.auth.Authenticate(ctx, req); err != nil {
			return response{}, fmt.Errorf("chreplication: %s: authenticating: %w", op, err)
		}
		resp, err := c.http.Do(req) //nolint:bodyclose // closed in read
		var r response
		if err == nil {
			r, err = c.read(op, req, resp)
		}
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return response{}, fmt.Errorf("chreplication: %s %s: %w", req.Method, req.URL.EscapedPath(), ctxErr)
			}
			if n < attempts && retryable(idempotent, 0, err) {
				if sleep(ctx, c.retry.delay(n, 0)) == nil {
					continue
				}
				if ctxErr := ctx.Err(); ctxErr != nil {
					err = errors.Join(err, ctxErr) // the context ended during the wait
				}
			}
			return response{}, fmt.Errorf("chreplication: %s %s: %w", req.Method, req.URL.EscapedPath(), err)
		}
		if r.status == http.StatusUnauthorized && c.reauth != nil && !reauthenticated {
			reauthenticated = true
			ok, rerr := c.reauth.Reauthenticate(ctx, req)
			if rerr != nil {
				// Say why no fresh credentials came, beside the 401 itself.
				return response{}, errors.Join(
					r.apiError(),
					fmt.Errorf("chreplication: refreshing credentials after 401: %w", rerr))
			}
			if ok {
				n-- // a refresh is not a retry: it does not use up an attempt
				continue
			}
		}
		if n < attempts && retryable(idempotent, r.status, nil) {
			if sleep(ctx, c.retry.delay(n, retryAfter(r.header, time.Now()))) == nil {
				continue
			}
			if ctxErr := ctx.Err(); ctxErr != nil {
				// The context ended during the wait: report both.
				return response{}, errors.Join(r.apiError(),
					fmt.Errorf("chreplication: %s %s: gave up retrying: %w", r.method, r.path, ctxErr))
			}
		}
		return r, nil
	}
}

// read reads and closes the body of resp. A successful answer may be up to
// maxBody long; an error answer is cut at maxErrBody (the cut is enough to
// show what went wrong).
func (c *Client) read(op string, req *http.Request, resp *http.Response) (response, error) {
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
		return response{}, err
	}
	return response{
		op:     op,
		method: req.Method,
		path:   req.URL.EscapedPath(),
		status: resp.StatusCode,
		header: resp.Header,
		body:   body,
	}, nil
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

// decode turns an answer into v: an *APIError for a non-2xx status, an
// error wrapping ErrInvalidResponse for a 2xx answer that is not the JSON
// object the spec promises.
func decode(r *response, v any) error {
	if r.status < 200 || r.status > 299 {
		return r.apiError()
	}
	if !startsWithObject(r.body) {
		what := "an empty body"
		if len(r.body) > 0 {
			what = "a body that is not a JSON object"
		}
		return r.invalid(what)
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		return r.invalid("malformed JSON: " + err.Error())
	}
	return nil
}

// apiError is the *APIError of a non-2xx answer.
func (r *response) apiError() *APIError {
	return newAPIError(r.op, r.method, r.path, r.status, r.header, r.body)
}

// invalid returns an error wrapping ErrInvalidResponse for a 2xx answer.
func (r *response) invalid(what string) error {
	msg := r.method + " " + r.path + ": " + strconv.Itoa(r.status) + " with " + what
	if id := r.header.Get("X-Request-Id"); id != "" {
		msg += " (request ID " + clean(id) + ")"
	}
	return fmt.Errorf("%w: %s", ErrInvalidResponse, msg)
}
