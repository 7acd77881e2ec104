package auth_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/gaussdb-tools/chreplication/auth"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStaticToken(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, token string
		ok          bool
	}{
		{"token", "MIIabc-static-secret", true},
		{"empty", "", false},
		{"whitespace", " \t ", false},
		{"trailing newline", "MIIabc-static-secret\n", false},
		{"CR inside", "MIIabc\rstatic-secret", false},
		{"NUL", "MIIabc\x00static-secret", false},
		{"DEL", "MIIabc\x7fstatic-secret", false},
		{"tab", "MIIabc\tstatic-secret", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := auth.StaticToken(tc.token)
			v, ok := a.(auth.Validator)
			require.True(t, ok, "implements Validator")
			_, isRe := a.(auth.Reauthenticator)
			assert.False(t, isRe, "a static token cannot be refreshed")
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://h/x", nil)
			require.NoError(t, err)
			authErr := a.Authenticate(t.Context(), req)
			if tc.ok {
				require.NoError(t, v.Validate())
				require.NoError(t, authErr)
				auth.EqualSecret(t, tc.token, req.Header.Get("X-Auth-Token"), "X-Auth-Token")
				return
			}
			valErr := v.Validate()
			require.Error(t, valErr)
			require.Error(t, authErr)
			assert.True(t, valErr.Error() == authErr.Error(), "Authenticate returns the Validate error")
			assert.Empty(t, req.Header.Get("X-Auth-Token"), "nothing set")
			auth.AssertErrNoSecret(t, valErr, "MIIabc", "static-secret")
		})
	}
	assert.Error(t, auth.StaticToken("x").Authenticate(t.Context(), nil))
	req := &http.Request{} // nil Header
	require.NoError(t, auth.StaticToken("x").Authenticate(t.Context(), req))
	assert.Equal(t, "x", req.Header.Get("X-Auth-Token"))
}

// TestStaticTokenInsideAnotherStruct: printed by reflection as a field of a
// caller's struct (where its Format is not called), the token does not show.
func TestStaticTokenInsideAnotherStruct(t *testing.T) {
	t.Parallel()
	const secret = "tok-inside-3c9e"
	holder := struct{ a auth.Authenticator }{auth.StaticToken(secret)}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		if strings.Contains(fmt.Sprintf(verb, holder), secret) || strings.Contains(fmt.Sprintf(verb, &holder), secret) {
			t.Errorf("the token shows through %s", verb)
		}
	}
}
