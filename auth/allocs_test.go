//go:build !race

// The race detector changes allocation counts, so these checks are built
// only without it; `make test` runs them in a run of its own (make allocs).

package auth

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCachedTokenAllocs(t *testing.T) {
	c := ReuseTokenSource(TokenSourceFunc(func(context.Context) (Token, error) {
		return Token{Value: "tok", ExpiresAt: time.Now().Add(time.Hour)}, nil
	}), 0)
	ctx := t.Context()
	_, err := c.Token(ctx)
	require.NoError(t, err)
	assert.Zero(t, testing.AllocsPerRun(1000, func() { _, _ = c.Token(ctx) }))
}

func TestSignAllocs(t *testing.T) {
	req := benchRequest(t)
	k := benchKey
	allocs := testing.AllocsPerRun(100, func() {
		if err := k.sign(req, vectorTime, true); err != nil {
			t.Fatal(err)
		}
	})
	assert.LessOrEqual(t, allocs, 30.0)
}
