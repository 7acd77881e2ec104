package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// frozenClock is a clock that moves only when told to.
type frozenClock struct{ t atomic.Pointer[time.Time] }

func newFrozenClock(t time.Time) *frozenClock {
	c := &frozenClock{}
	c.set(t)
	return c
}
func (c *frozenClock) now() time.Time          { return *c.t.Load() }
func (c *frozenClock) set(t time.Time)         { c.t.Store(&t) }
func (c *frozenClock) advance(d time.Duration) { c.set(c.now().Add(d)) }

// countingSource hands out tok-1, tok-2, ... expiring lifetime after the
// clock's now, and counts its calls.
type countingSource struct {
	clock    *frozenClock
	lifetime time.Duration
	calls    atomic.Int32
	gate     chan struct{} // if set, each fetch waits for it
	errs     []error       // errs[i] is returned by call i+1 when set
	mu       sync.Mutex
}

func (s *countingSource) Token(ctx context.Context) (Token, error) {
	n := s.calls.Add(1)
	if s.gate != nil {
		select {
		case <-s.gate:
		case <-ctx.Done():
			return Token{}, ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if int(n) <= len(s.errs) && s.errs[n-1] != nil {
		return Token{}, s.errs[n-1]
	}
	exp := time.Time{}
	if s.lifetime > 0 {
		exp = s.clock.now().Add(s.lifetime)
	}
	return Token{Value: fmt.Sprintf("tok-%d", n), ExpiresAt: exp}, nil
}

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func newCache(src TokenSource, margin time.Duration, clock *frozenClock) *CachingTokenSource {
	c := ReuseTokenSource(src, margin)
	c.now = clock.now
	return c
}

func TestCacheConcurrentCallersShareOneFetch(t *testing.T) {
	t.Parallel()
	clock := newFrozenClock(t0)
	src := &countingSource{clock: clock, lifetime: time.Hour, gate: make(chan struct{})}
	c := newCache(src, 0, clock)

	const n = 100
	var wg sync.WaitGroup
	results := make([]Token, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { results[i], errs[i] = c.Token(t.Context()) })
	}
	require.Eventually(t, func() bool { return src.calls.Load() >= 1 }, 5*time.Second, time.Millisecond)
	time.Sleep(20 * time.Millisecond) // let the others queue up behind the fetch
	close(src.gate)
	wg.Wait()
	assert.EqualValues(t, 1, src.calls.Load(), "fetches")
	for i := range n {
		require.NoError(t, errs[i])
		assert.Equal(t, "tok-1", results[i].Value)
	}
}

func TestCacheRefreshBeforeExpiry(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		lifetime  time.Duration
		margin    time.Duration
		refreshAt time.Duration // after t0
	}{
		{"default margin", 24 * time.Hour, 0, 24*time.Hour - DefaultRefreshMargin},
		{"custom margin", time.Hour, 10 * time.Minute, 50 * time.Minute},
		{"short-lived token refreshes at half-life", 2 * time.Minute, 5 * time.Minute, time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clock := newFrozenClock(t0)
			src := &countingSource{clock: clock, lifetime: tc.lifetime}
			c := newCache(src, tc.margin, clock)

			tok, err := c.Token(t.Context())
			require.NoError(t, err)
			assert.Equal(t, "tok-1", tok.Value)
			assert.Equal(t, t0.Add(tc.lifetime), tok.ExpiresAt)

			clock.set(t0.Add(tc.refreshAt - time.Second))
			tok, err = c.Token(t.Context())
			require.NoError(t, err)
			assert.Equal(t, "tok-1", tok.Value, "still fresh just before the margin")

			clock.set(t0.Add(tc.refreshAt))
			tok, err = c.Token(t.Context())
			require.NoError(t, err)
			assert.Equal(t, "tok-2", tok.Value, "replaced at the margin")
			assert.EqualValues(t, 2, src.calls.Load())
		})
	}
}

func TestCacheNonExpiringToken(t *testing.T) {
	t.Parallel()
	clock := newFrozenClock(t0)
	src := &countingSource{clock: clock}
	c := newCache(src, 0, clock)
	for range 3 {
		tok, err := c.Token(t.Context())
		require.NoError(t, err)
		assert.Equal(t, "tok-1", tok.Value)
		clock.advance(1000 * time.Hour)
	}
	assert.EqualValues(t, 1, src.calls.Load())
}

func TestCacheInvalidate(t *testing.T) {
	t.Parallel()
	clock := newFrozenClock(t0)
	src := &countingSource{clock: clock, lifetime: time.Hour}
	c := newCache(src, 0, clock)

	assert.False(t, c.Invalidate("tok-1"), "nothing cached yet")
	_, err := c.Token(t.Context())
	require.NoError(t, err)

	assert.False(t, c.Invalidate("tok-0"), "another token")
	assert.False(t, c.Invalidate(""), "empty")
	tok, err := c.Token(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "tok-1", tok.Value, "kept after a non-matching Invalidate")

	assert.True(t, c.Invalidate("tok-1"))
	assert.False(t, c.Invalidate("tok-1"), "already dropped")
	tok, err = c.Token(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "tok-2", tok.Value)
	assert.False(t, c.Invalidate("tok-1"), "a stale rejection does not drop the new token")
	assert.EqualValues(t, 2, src.calls.Load())
}

func TestCacheNoDoubleWrap(t *testing.T) {
	t.Parallel()
	src := &countingSource{clock: newFrozenClock(t0)}
	c := ReuseTokenSource(src, time.Minute)
	assert.Same(t, c, ReuseTokenSource(c, time.Hour))
	assert.Same(t, c, ReuseTokenSource(c, 0))
	a, ok := TokenAuth(c).(*tokenAuth)
	require.True(t, ok)
	assert.Same(t, c, a.src)
	assert.Equal(t, DefaultRefreshMargin, ReuseTokenSource(src, -time.Second).margin)
}

func TestCacheFetchErrorNotCached(t *testing.T) {
	t.Parallel()
	clock := newFrozenClock(t0)
	boom := errors.New("IAM is down")
	src := &countingSource{clock: clock, lifetime: time.Hour, errs: []error{boom}}
	c := newCache(src, 0, clock)

	_, err := c.Token(t.Context())
	require.ErrorIs(t, err, boom)
	tok, err := c.Token(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "tok-2", tok.Value)
	assert.EqualValues(t, 2, src.calls.Load())
}

func TestCacheBadTokens(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		tok  Token
	}{
		{"empty", Token{}},
		{"newline", Token{Value: "secret-token-value\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := ReuseTokenSource(TokenSourceFunc(func(context.Context) (Token, error) { return tc.tok, nil }), 0)
			_, err := c.Token(t.Context())
			require.Error(t, err)
			assertErrNoSecret(t, err, tc.tok.Value)
			assert.Nil(t, c.cur.Load(), "not cached")
		})
	}
	var zero CachingTokenSource
	_, err := zero.Token(t.Context())
	assert.Error(t, err)
	assert.Error(t, zero.Validate())
	_, err = ReuseTokenSource(nil, 0).Token(t.Context())
	assert.Error(t, err)

	// A nil cache: errors, not panics, whether called or wrapped.
	var nilCache *CachingTokenSource
	_, err = nilCache.Token(t.Context())
	assert.Error(t, err)
	assert.False(t, nilCache.Invalidate("tok"))
	_, err = ReuseTokenSource(nilCache, 0).Token(t.Context())
	assert.Error(t, err)
	a := TokenAuth(nilCache)
	assert.Error(t, a.(Validator).Validate())
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://h/x", nil)
	assert.Error(t, a.Authenticate(t.Context(), req))
}

func TestCacheLeaderGivesUp(t *testing.T) {
	t.Parallel()
	clock := newFrozenClock(t0)
	started := make(chan struct{}, 10)
	var calls atomic.Int32
	src := TokenSourceFunc(func(ctx context.Context) (Token, error) {
		n := calls.Add(1)
		started <- struct{}{}
		if n == 1 {
			<-ctx.Done() // the first caller's context ends mid-fetch
			return Token{}, ctx.Err()
		}
		return Token{Value: "tok-2", ExpiresAt: t0.Add(time.Hour)}, nil
	})
	c := newCache(src, 0, clock)

	leaderCtx, cancel := context.WithCancel(t.Context())
	leaderErr := make(chan error, 1)
	go func() {
		_, err := c.Token(leaderCtx)
		leaderErr <- err
	}()
	<-started
	waiter := make(chan Token, 1)
	go func() {
		tok, err := c.Token(t.Context())
		assert.NoError(t, err)
		waiter <- tok
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	assert.ErrorIs(t, <-leaderErr, context.Canceled)
	assert.Equal(t, "tok-2", (<-waiter).Value, "a waiter with a live context fetches again")
	assert.EqualValues(t, 2, calls.Load())
}

func TestCacheWaiterContextEnds(t *testing.T) {
	t.Parallel()
	clock := newFrozenClock(t0)
	src := &countingSource{clock: clock, lifetime: time.Hour, gate: make(chan struct{})}
	c := newCache(src, 0, clock)
	go func() { _, _ = c.Token(context.Background()) }()
	require.Eventually(t, func() bool { return src.calls.Load() == 1 }, 5*time.Second, time.Millisecond)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	_, err := c.Token(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	close(src.gate)
}

func TestCacheSourcePanics(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	c := ReuseTokenSource(TokenSourceFunc(func(context.Context) (Token, error) {
		if calls.Add(1) == 1 {
			panic("boom")
		}
		return Token{Value: "tok"}, nil
	}), 0)
	assert.Panics(t, func() { _, _ = c.Token(t.Context()) })
	tok, err := c.Token(t.Context())
	require.NoError(t, err, "the cache is usable after a panic")
	assert.Equal(t, "tok", tok.Value)
}

func TestTokenAuth(t *testing.T) {
	t.Parallel()
	clock := newFrozenClock(t0)
	src := &countingSource{clock: clock, lifetime: time.Hour}
	a := TokenAuth(src).(*tokenAuth)
	a.src.now = clock.now
	require.NoError(t, a.Validate())

	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://h/x", nil)
	require.NoError(t, err)
	require.NoError(t, a.Authenticate(t.Context(), req))
	assert.Equal(t, "tok-1", req.Header.Get(HeaderAuthToken))

	// 401 with tok-1: drop it, fetch tok-2, retry.
	retry, err := a.Reauthenticate(t.Context(), req)
	require.NoError(t, err)
	assert.True(t, retry)
	assert.Equal(t, "tok-1", req.Header.Get(HeaderAuthToken), "the rejected request is not changed")
	assert.EqualValues(t, 2, src.calls.Load())

	// Another request rejected with tok-1 (sent before the refresh): tok-2 is kept.
	retry, err = a.Reauthenticate(t.Context(), req)
	require.NoError(t, err)
	assert.True(t, retry, "the current token differs from the rejected one")
	assert.EqualValues(t, 2, src.calls.Load(), "no second refresh")

	req2, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://h/x", nil)
	require.NoError(t, a.Authenticate(t.Context(), req2))
	assert.Equal(t, "tok-2", req2.Header.Get(HeaderAuthToken))

	// A request without our header is not ours.
	retry, err = a.Reauthenticate(t.Context(), &http.Request{Header: http.Header{}})
	require.NoError(t, err)
	assert.False(t, retry)
	retry, err = a.Reauthenticate(t.Context(), nil)
	require.NoError(t, err)
	assert.False(t, retry)
	assert.Error(t, a.Authenticate(t.Context(), nil))
}

func TestTokenAuthConcurrentReauthenticate(t *testing.T) {
	t.Parallel()
	clock := newFrozenClock(t0)
	src := &countingSource{clock: clock, lifetime: time.Hour}
	a := TokenAuth(src).(*tokenAuth)
	a.src.now = clock.now
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://h/x", nil)
	require.NoError(t, a.Authenticate(t.Context(), req))

	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			rejected := req.Clone(t.Context())
			retry, err := a.Reauthenticate(t.Context(), rejected)
			assert.NoError(t, err)
			assert.True(t, retry)
		})
	}
	wg.Wait()
	assert.EqualValues(t, 2, src.calls.Load(), "20 rejections with the same token share one refresh")
}

func TestTokenAuthNoRetry(t *testing.T) {
	t.Parallel()
	t.Run("same token again", func(t *testing.T) {
		t.Parallel()
		a := TokenAuth(TokenSourceFunc(func(context.Context) (Token, error) { return Token{Value: "same"}, nil }))
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://h/x", nil)
		require.NoError(t, a.Authenticate(t.Context(), req))
		retry, err := a.(Reauthenticator).Reauthenticate(t.Context(), req)
		require.NoError(t, err)
		assert.False(t, retry, "retrying with the rejected token is pointless")
	})
	t.Run("refresh fails", func(t *testing.T) {
		t.Parallel()
		clock := newFrozenClock(t0)
		boom := errors.New("IAM is down")
		src := &countingSource{clock: clock, lifetime: time.Hour, errs: []error{nil, boom}}
		a := TokenAuth(src)
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://h/x", nil)
		require.NoError(t, a.Authenticate(t.Context(), req))
		retry, err := a.(Reauthenticator).Reauthenticate(t.Context(), req)
		assert.ErrorIs(t, err, boom)
		assert.False(t, retry)
	})
	t.Run("Authenticate fails", func(t *testing.T) {
		t.Parallel()
		boom := errors.New("IAM is down")
		a := TokenAuth(TokenSourceFunc(func(context.Context) (Token, error) { return Token{}, boom }))
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://h/x", nil)
		assert.ErrorIs(t, a.Authenticate(t.Context(), req), boom)
		assert.Empty(t, req.Header.Get(HeaderAuthToken))
	})
}

func TestTokenAuthValidate(t *testing.T) {
	t.Parallel()
	assert.Error(t, TokenAuth(nil).(Validator).Validate())
	err := TokenAuth(PasswordTokenSource{Password: "pw-secret-1"}).(Validator).Validate()
	require.Error(t, err)
	hasText(t, err.Error(), "User")
	assertErrNoSecret(t, err, "pw-secret-1")
	assert.NoError(t, TokenAuth(TokenSourceFunc(func(context.Context) (Token, error) { return Token{}, nil })).(Validator).Validate())
}

func BenchmarkCachedToken(b *testing.B) {
	c := ReuseTokenSource(TokenSourceFunc(func(context.Context) (Token, error) {
		return Token{Value: "tok", ExpiresAt: time.Now().Add(time.Hour)}, nil
	}), 0)
	ctx := b.Context()
	if _, err := c.Token(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Token(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCachedTokenParallel(b *testing.B) {
	c := ReuseTokenSource(TokenSourceFunc(func(context.Context) (Token, error) {
		return Token{Value: "tok", ExpiresAt: time.Now().Add(time.Hour)}, nil
	}), 0)
	ctx := b.Context()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Token(ctx); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
