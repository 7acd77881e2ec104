package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSecretsNeverPrinted formats every secret-holding value with every verb,
// through slog's text and JSON handlers and encoding/json, and checks that
// the secret appears nowhere while the value still says something.
func TestSecretsNeverPrinted(t *testing.T) {
	t.Parallel()
	const (
		sk       = "secret-key-QWERTY123"
		st       = "security-token-ASDF456"
		tok      = "token-value-ZXCV789"
		password = "password-value-POIU000"
		cached   = "cached-token-LKJH111"
	)
	secrets := []string{sk, st, tok, password, cached}

	aksk := AKSK{AccessKey: "AKVISIBLE", SecretKey: sk, SecurityToken: st, ProjectID: "proj-visible"}
	token := Token{Value: tok, ExpiresAt: time.Date(2020, 1, 4, 9, 5, 22, 0, time.UTC)}
	pts := PasswordTokenSource{Region: "cn-north-4", Domain: "dom-visible", User: "user-visible", Password: password, ProjectID: "proj-visible"}
	cache := ReuseTokenSource(TokenSourceFunc(func(context.Context) (Token, error) {
		return Token{Value: cached, ExpiresAt: time.Now().Add(time.Hour)}, nil
	}), 0)
	_, err := cache.Token(t.Context())
	require.NoError(t, err)
	ta := TokenAuth(cache)
	taPassword := TokenAuth(pts)

	type wrapper struct {
		Creds AKSK
		Tok   Token
		Src   PasswordTokenSource
		Auth  Authenticator
	}
	values := []struct {
		name    string
		v       any
		visible []string // non-secret parts that must still show (in %+v)
	}{
		{"AKSK", aksk, []string{"AKVISIBLE", "proj-visible", redacted}},
		{"*AKSK", &aksk, []string{"AKVISIBLE", redacted}},
		{"Token", token, []string{"2020-01-04", redacted}},
		{"*Token", &token, []string{redacted}},
		{"StaticToken", StaticToken(tok), []string{redacted}},
		{"PasswordTokenSource", pts, []string{"user-visible", "dom-visible", redacted}},
		{"*PasswordTokenSource", &pts, []string{"user-visible", redacted}},
		{"CachingTokenSource", cache, []string{redacted}},
		{"TokenAuth(cache)", ta, []string{redacted}},
		{"TokenAuth(password)", taPassword, []string{"PasswordTokenSource"}},
		{"struct of them", wrapper{aksk, token, pts, ta}, []string{"AKVISIBLE", redacted}},
		{"slice of them", []any{aksk, token, pts, ta, StaticToken(tok)}, []string{redacted}},
		{"map of them", map[string]any{"a": aksk, "t": token}, []string{redacted}},
	}
	verbs := []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3v", "%T"}

	for _, val := range values {
		t.Run(val.name, func(t *testing.T) {
			t.Parallel()
			for _, verb := range verbs {
				out := fmt.Sprintf(verb, val.v)
				assertNoSecret(t, out, secrets...)
				assert.NotEmpty(t, out, verb)
			}
			plus := fmt.Sprintf("%+v", val.v)
			for _, s := range val.visible {
				hasText(t, plus, s)
			}
			assertNoSecret(t, fmt.Sprint(val.v), secrets...)
			assertNoSecret(t, fmt.Sprintln(val.v), secrets...)
			if s, ok := val.v.(fmt.Stringer); ok {
				assertNoSecret(t, s.String(), secrets...)
			}
			if s, ok := val.v.(fmt.GoStringer); ok {
				assertNoSecret(t, s.GoString(), secrets...)
			}

			for _, h := range []struct {
				name string
				mk   func(*bytes.Buffer) slog.Handler
			}{
				{"text", func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) }},
				{"json", func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) }},
			} {
				var buf bytes.Buffer
				log := slog.New(h.mk(&buf))
				log.Info("credentials", "value", val.v)
				log.Info("credentials", slog.Any("any", val.v), slog.Group("g", "nested", val.v))
				log.With("with", val.v).Info("x")
				assertNoSecret(t, buf.String(), secrets...)
				hasText(t, buf.String(), "value")
			}

			if b, err := json.Marshal(val.v); err == nil {
				assertNoSecret(t, string(b), secrets...)
			}
		})
	}
}

func TestRedactedFormsReadable(t *testing.T) {
	t.Parallel()
	k := AKSK{AccessKey: "AK", SecretKey: "sk-secret", ProjectID: "p"}
	assert.Equal(t, "{AK [REDACTED]  p}", fmt.Sprint(k))
	assert.Equal(t, "{AccessKey:AK SecretKey:[REDACTED] SecurityToken: ProjectID:p}", fmt.Sprintf("%+v", k))
	assert.Equal(t, `auth.AKSK{AccessKey:"AK", SecretKey:"[REDACTED]", SecurityToken:"", ProjectID:"p"}`, fmt.Sprintf("%#v", k))
	assert.Equal(t, `"{AK [REDACTED]  p}"`, fmt.Sprintf("%q", k))

	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("m", "creds", k)
	assert.Contains(t, buf.String(), `"creds":{"access_key":"AK","secret_key":"[REDACTED]","security_token":"","project_id":"p"}`)

	b, err := json.Marshal(Token{Value: "v-secret"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"value":"[REDACTED]","expires_at":"0001-01-01T00:00:00Z"}`, string(b))

	assert.Equal(t, "{[REDACTED]}", fmt.Sprint(StaticToken("tok-secret")))
	assert.Equal(t, "{}", fmt.Sprint(StaticToken("")), "an unset secret shows as empty")
}

func TestScrubAndPrintable(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "a [REDACTED] b [REDACTED]", scrub(`a pw"1 b pw\"1`, `pw"1`))
	assert.Equal(t, "unchanged", scrub("unchanged", ""))
	assert.Equal(t, "raw [REDACTED], go [REDACTED], json [REDACTED], json [REDACTED]",
		scrub(`raw <&>"\, go <&>\"\\, json \u003c\u0026\u003e\"\\, json <&>\"\\`, `<&>"\`))
	assert.Equal(t, "a b c", printable("a\nb\rc", 10))
	assert.Equal(t, "abc...", printable("abcdef", 3))
	assert.True(t, strings.HasPrefix(printable("\xff\xfe", 10), "?"))
}
