package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
)

// StaticToken returns an Authenticator that sets the X-Auth-Token header of
// every request to token, an IAM token obtained elsewhere (for example with
// `hcloud` or the IAM console). The token is never refreshed: when it expires
// the API answers 401.
//
// The returned value also implements Validator: an empty or all-whitespace
// token, or one containing CR, LF or another control character, is refused
// by Validate and by Authenticate, with an error that does not quote it.
// It prints as [REDACTED] through fmt and slog. It is safe for concurrent use.
func StaticToken(token string) Authenticator {
	return staticToken{token: func() string { return token }, err: validateToken("static token", token)}
}

// staticToken keeps its token in a closure. fmt prints a struct that holds
// a staticToken in an unexported field by reflection, without calling
// Format; a func prints there as an address whatever the verb, where a
// string (or a pointer, under %s) would show the token.
type staticToken struct {
	token func() string
	err   error // the token's check, made once: the token cannot change
}

// Validate reports whether the token can be sent in a header.
func (s staticToken) Validate() error { return s.err }

// Authenticate sets X-Auth-Token.
func (s staticToken) Authenticate(_ context.Context, req *http.Request) error {
	if s.err != nil {
		return s.err
	}
	if req == nil {
		return errors.New("auth: static token: nil request")
	}
	if req.Header == nil {
		req.Header = make(http.Header)
	}
	req.Header.Set(HeaderAuthToken, s.token())
	return nil
}

func (s staticToken) fields() []field {
	return []field{{name: "Token", key: "token", value: s.token(), secret: true}}
}

// String returns the value with the token redacted.
func (s staticToken) String() string { return renderFields('v', false, false, "", s.fields()) }

// GoString returns the value with the token redacted.
func (s staticToken) GoString() string {
	return renderFields('v', false, true, "auth.staticToken", s.fields())
}

// Format prints the value with the token redacted, whatever the verb.
func (s staticToken) Format(f fmt.State, verb rune) {
	formatFields(f, verb, "auth.staticToken", s.fields())
}

// LogValue is the slog form, with the token redacted.
func (s staticToken) LogValue() slog.Value { return logValue(s.fields()) }

// validateToken checks a token before it goes into the X-Auth-Token header.
// what names it in the error; the error never quotes the token.
func validateToken(what, token string) error {
	if strings.TrimSpace(token) == "" {
		return fmt.Errorf("auth: %s is empty", what)
	}
	if i := controlByte(token); i >= 0 {
		return fmt.Errorf("auth: %s contains a control character at byte %d (a stray newline?)", what, i)
	}
	return nil
}
