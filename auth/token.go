package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultRefreshMargin is how long before its ExpiresAt a cached token is
// replaced when ReuseTokenSource is given no margin.
const DefaultRefreshMargin = 5 * time.Minute

// Token is an IAM token and the time it stops being valid.
//
// A zero ExpiresAt means the token does not expire (or its expiry is
// unknown): a cache keeps it until it is invalidated.
//
// Value is a secret: Token prints as [REDACTED] through fmt (every verb),
// slog and encoding/json. Read t.Value explicitly to use or persist it.
type Token struct {
	Value     string
	ExpiresAt time.Time
}

func (t Token) fields() []field {
	return []field{
		{name: "Value", key: "value", value: t.Value, secret: true},
		{name: "ExpiresAt", key: "expires_at", value: t.ExpiresAt},
	}
}

// String returns the token with its value redacted.
func (t Token) String() string { return renderFields('v', false, false, "", t.fields()) }

// GoString returns the token with its value redacted.
func (t Token) GoString() string { return renderFields('v', false, true, "auth.Token", t.fields()) }

// Format prints the token with its value redacted, whatever the verb.
func (t Token) Format(f fmt.State, verb rune) { formatFields(f, verb, "auth.Token", t.fields()) }

// LogValue is the slog form of the token, with its value redacted.
func (t Token) LogValue() slog.Value { return logValue(t.fields()) }

// MarshalJSON encodes the token with its value redacted.
func (t Token) MarshalJSON() ([]byte, error) { return json.Marshal(jsonFields(t.fields())) }

// TokenSource supplies IAM tokens.
//
// Token returns a token that is valid now (or an error); it may do network
// I/O and should honour ctx. Implementations must be safe for concurrent use
// by multiple goroutines. Wrap one in ReuseTokenSource (TokenAuth does) so
// that it is called only when the cached token is about to expire.
type TokenSource interface {
	Token(ctx context.Context) (Token, error)
}

// TokenSourceFunc adapts a function to a TokenSource. The function must be
// safe for concurrent use.
type TokenSourceFunc func(ctx context.Context) (Token, error)

// Token calls f(ctx).
func (f TokenSourceFunc) Token(ctx context.Context) (Token, error) { return f(ctx) }

// CachingTokenSource is a TokenSource that caches the token of another one.
//
// Token returns the cached token until margin before its ExpiresAt (at most
// half of its lifetime, so a short-lived token is not fetched on every call),
// then fetches a new one. Concurrent callers that find no fresh token share a
// single fetch; a failed fetch is returned to the callers waiting for it and
// is not cached. Invalidate drops a token the API rejected.
//
// Create one with ReuseTokenSource. The zero value and a nil
// *CachingTokenSource have no source: Token and Validate return an error and
// Invalidate does nothing. It is safe for concurrent use by multiple goroutines.
type CachingTokenSource struct {
	src    TokenSource
	margin time.Duration
	now    func() time.Time // nil: timeNow

	cur atomic.Pointer[cachedToken]

	mu       sync.Mutex
	inflight *fetchCall
}

var errNoSource = errors.New("auth: token cache has no TokenSource")

type cachedToken struct {
	tok       Token
	refreshAt time.Time // zero: never
}

type fetchCall struct {
	done chan struct{}
	tok  Token
	err  error
	// abandoned is set when the fetch failed because the context of the
	// caller that ran it ended: a waiter whose own context is alive tries again.
	abandoned bool
}

// ReuseTokenSource returns a CachingTokenSource over src that replaces the
// cached token margin before it expires; margin <= 0 means DefaultRefreshMargin.
//
// If src is already a *CachingTokenSource it is returned unchanged (with its
// own margin): a source is never wrapped twice. A nil src (or a nil
// *CachingTokenSource) gives a source whose Token and Validate return an error.
func ReuseTokenSource(src TokenSource, margin time.Duration) *CachingTokenSource {
	if c, ok := src.(*CachingTokenSource); ok {
		if c != nil {
			return c
		}
		src = nil // wrapping a nil cache would only defer its panic to Token
	}
	if margin <= 0 {
		margin = DefaultRefreshMargin
	}
	return &CachingTokenSource{src: src, margin: margin}
}

func (c *CachingTokenSource) clock() time.Time {
	if c.now != nil {
		return c.now()
	}
	return timeNow()
}

// fresh reports whether the cached entry can still be handed out at now.
func (e *cachedToken) fresh(now time.Time) bool {
	return e.refreshAt.IsZero() || now.Before(e.refreshAt)
}

// Token returns the cached token while it is fresh, else fetches a new one
// from the underlying source (one fetch for all concurrent callers).
func (c *CachingTokenSource) Token(ctx context.Context) (Token, error) {
	if c == nil {
		return Token{}, errNoSource
	}
	if e := c.cur.Load(); e != nil && e.fresh(c.clock()) {
		return e.tok, nil
	}
	return c.slow(ctx)
}

func (c *CachingTokenSource) slow(ctx context.Context) (Token, error) {
	if c.src == nil {
		return Token{}, errNoSource
	}
	for {
		c.mu.Lock()
		if e := c.cur.Load(); e != nil && e.fresh(c.clock()) {
			c.mu.Unlock()
			return e.tok, nil
		}
		if call := c.inflight; call != nil {
			c.mu.Unlock()
			select {
			case <-call.done:
			case <-ctx.Done():
				return Token{}, ctx.Err()
			}
			if call.err == nil {
				return call.tok, nil
			}
			if call.abandoned && ctx.Err() == nil {
				continue // the fetching caller gave up; fetch with our context
			}
			return Token{}, call.err
		}
		call := &fetchCall{done: make(chan struct{})}
		c.inflight = call
		c.mu.Unlock()
		c.fetch(ctx, call)
		return call.tok, call.err
	}
}

// fetch runs the underlying source for call and publishes the result, even
// if the source panics (the panic then goes on, and the waiters get an error).
func (c *CachingTokenSource) fetch(ctx context.Context, call *fetchCall) {
	call.err = errors.New("auth: token source panicked")
	defer func() {
		c.mu.Lock()
		if call.err == nil {
			c.cur.Store(c.entry(call.tok))
		} else {
			call.tok = Token{}
			call.abandoned = ctx.Err() != nil
		}
		c.inflight = nil
		c.mu.Unlock()
		close(call.done)
	}()
	tok, err := c.src.Token(ctx)
	if err != nil {
		call.err = fmt.Errorf("auth: get token: %w", err)
		return
	}
	if call.err = validateToken("token from the token source", tok.Value); call.err == nil {
		call.tok = tok
	}
}

// entry computes when a token fetched now must be replaced: margin before
// it expires, but no earlier than half-way through its lifetime.
func (c *CachingTokenSource) entry(tok Token) *cachedToken {
	e := &cachedToken{tok: tok}
	if tok.ExpiresAt.IsZero() {
		return e
	}
	margin := c.margin
	if life := tok.ExpiresAt.Sub(c.clock()); margin > life/2 {
		margin = max(life/2, 0)
	}
	e.refreshAt = tok.ExpiresAt.Add(-margin)
	return e
}

// Invalidate drops the cached token if its value is still rejected, and
// reports whether it did. A token that another caller already replaced is
// kept, so that callers rejected with the same token share one refresh.
func (c *CachingTokenSource) Invalidate(rejected string) bool {
	if c == nil {
		return false
	}
	e := c.cur.Load()
	if e == nil || rejected == "" || e.tok.Value != rejected {
		return false
	}
	return c.cur.CompareAndSwap(e, nil)
}

// Validate reports a missing source, and calls the source's Validate if it
// has one.
func (c *CachingTokenSource) Validate() error {
	if c == nil || c.src == nil {
		return errNoSource
	}
	if v, ok := c.src.(Validator); ok {
		return v.Validate()
	}
	return nil
}

func (c *CachingTokenSource) fields() []field {
	var tok string
	var exp time.Time
	if e := c.cur.Load(); e != nil {
		tok, exp = e.tok.Value, e.tok.ExpiresAt
	}
	return []field{
		{name: "Source", key: "source", value: fmt.Sprintf("%T", c.src)},
		{name: "Margin", key: "margin", value: c.margin},
		{name: "Token", key: "token", value: tok, secret: true},
		{name: "ExpiresAt", key: "expires_at", value: exp},
	}
}

// String describes the cache with the token redacted.
func (c *CachingTokenSource) String() string {
	return renderFields('v', false, false, "", c.fields())
}

// GoString describes the cache with the token redacted.
func (c *CachingTokenSource) GoString() string {
	return renderFields('v', false, true, "&auth.CachingTokenSource", c.fields())
}

// Format describes the cache with the token redacted, whatever the verb.
func (c *CachingTokenSource) Format(f fmt.State, verb rune) {
	formatFields(f, verb, "&auth.CachingTokenSource", c.fields())
}

// LogValue is the slog form of the cache, with the token redacted.
func (c *CachingTokenSource) LogValue() slog.Value { return logValue(c.fields()) }

// TokenAuth returns an Authenticator that sets X-Auth-Token from src, through
// a CachingTokenSource (ReuseTokenSource(src, 0); src itself if it already is
// one).
//
// It implements Validator (a nil src, or src's own Validate) and
// Reauthenticator: after a 401, Reauthenticate drops the rejected token if it
// is still cached, gets a fresh one (one fetch for all the callers rejected
// with the same token), and reports that a retry is worthwhile when the new
// token differs from the rejected one. It is safe for concurrent use.
func TokenAuth(src TokenSource) Authenticator {
	return &tokenAuth{src: ReuseTokenSource(src, 0)}
}

type tokenAuth struct {
	src *CachingTokenSource
}

// Validate checks the token source without fetching a token.
func (a *tokenAuth) Validate() error { return a.src.Validate() }

// Authenticate sets X-Auth-Token to the cached (or a newly fetched) token.
func (a *tokenAuth) Authenticate(ctx context.Context, req *http.Request) error {
	if req == nil {
		return errors.New("auth: token: nil request")
	}
	tok, err := a.src.Token(ctx)
	if err != nil {
		return err
	}
	if req.Header == nil {
		req.Header = make(http.Header)
	}
	req.Header.Set(HeaderAuthToken, tok.Value)
	return nil
}

// Reauthenticate handles a 401 to rejected: see TokenAuth.
func (a *tokenAuth) Reauthenticate(ctx context.Context, rejected *http.Request) (bool, error) {
	if rejected == nil {
		return false, nil
	}
	old := rejected.Header.Get(HeaderAuthToken)
	if old == "" {
		return false, nil // not a request this authenticator signed
	}
	a.src.Invalidate(old)
	tok, err := a.src.Token(ctx)
	if err != nil {
		return false, fmt.Errorf("auth: refresh token after 401: %w", err)
	}
	return tok.Value != old, nil
}

func (a *tokenAuth) fields() []field {
	return []field{{name: "Source", key: "source", value: a.src.String()}}
}

// String describes the authenticator with the token redacted.
func (a *tokenAuth) String() string { return renderFields('v', false, false, "", a.fields()) }

// GoString describes the authenticator with the token redacted.
func (a *tokenAuth) GoString() string {
	return renderFields('v', false, true, "&auth.tokenAuth", a.fields())
}

// Format describes the authenticator with the token redacted, whatever the verb.
func (a *tokenAuth) Format(f fmt.State, verb rune) {
	formatFields(f, verb, "&auth.tokenAuth", a.fields())
}

// LogValue is the slog form of the authenticator, with the token redacted.
func (a *tokenAuth) LogValue() slog.Value { return logValue(a.fields()) }
