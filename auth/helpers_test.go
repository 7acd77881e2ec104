package auth

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// assertNoSecret fails if text contains any of the secrets, raw or hex-encoded.
// The message names the secret's position, never the secret or the text.
func assertNoSecret(t *testing.T, text string, secrets ...string) {
	t.Helper()
	for i, s := range secrets {
		if s == "" {
			continue
		}
		assert.False(t, strings.Contains(text, s), "output contains secret #%d", i)
		assert.False(t, strings.Contains(strings.ToLower(text), hex.EncodeToString([]byte(s))), "output contains secret #%d hex-encoded", i)
	}
}

// assertErrNoSecret is assertNoSecret over the whole chain of err.
func assertErrNoSecret(t *testing.T, err error, secrets ...string) {
	t.Helper()
	for e := err; e != nil; e = errors.Unwrap(e) {
		assertNoSecret(t, e.Error(), secrets...)
	}
}

// toServer sends req through the wire format and parses it back the way an
// HTTP server does (Host from the Host header, URL from the request line),
// without consuming req's body.
func toServer(t *testing.T, req *http.Request) *http.Request {
	t.Helper()
	out := req.Clone(t.Context())
	if req.GetBody != nil {
		b, err := req.GetBody()
		require.NoError(t, err)
		out.Body = b
	}
	var buf bytes.Buffer
	require.NoError(t, out.Write(&buf))
	sreq, err := http.ReadRequest(bufio.NewReader(&buf))
	require.NoError(t, err)
	return sreq
}

// hasText checks that text contains sub; on failure it prints sub only, so
// a text that (wrongly) holds a secret is not echoed into the test log.
func hasText(t *testing.T, text, sub string) bool {
	t.Helper()
	return assert.True(t, strings.Contains(text, sub), "text does not contain %q", sub)
}

// lacksText checks that text does not contain sub, printing sub only.
func lacksText(t *testing.T, text, sub string) bool {
	t.Helper()
	return assert.False(t, strings.Contains(text, sub), "text contains %q", sub)
}

// equalSecret checks want == got for values that hold secrets, naming only
// what on failure: testify's diff prints struct fields raw (it ignores
// String, GoString and Format), so assert.Equal would show the secret.
func equalSecret(t *testing.T, want, got any, what string) bool {
	t.Helper()
	return assert.True(t, want == got, "%s differs (values not printed: they hold secrets)", what)
}

// isErr checks errors.Is(err, target) without printing err.
func isErr(t *testing.T, err, target error) bool {
	t.Helper()
	return assert.True(t, errors.Is(err, target), "error does not wrap %q", target.Error())
}
