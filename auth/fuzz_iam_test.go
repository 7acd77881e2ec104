package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// fuzzPasswords are the passwords FuzzIAMTokenAnswer's requests carry: one
// that JSON quotes, one with a space and a '?' (what printable makes of a
// control character and of invalid UTF-8), one that JSON escapes as \u.
var fuzzPasswords = []string{`S3cr3t-P4ss"word`, "my secret?pass ü", "<&>pw\u2028x9"}

// cutReader returns its bytes and then fails, as a connection cut in the
// middle of a body.
type cutReader struct{ r io.Reader }

func (c cutReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if errors.Is(err, io.EOF) {
		return n, io.ErrUnexpectedEOF
	}
	return n, err
}

// roundTripper answers every request without a network.
type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// containsSecret reports whether text holds secret or one of the ways Go and
// JSON quote it.
func containsSecret(text, secret string) bool {
	for _, form := range quotedForms(secret) {
		if strings.Contains(text, form) {
			return true
		}
	}
	return false
}

// FuzzIAMTokenAnswer gives PasswordTokenSource.Token any answer (status,
// X-Subject-Token, X-Request-Id, Location, body, a body cut short) and
// checks the outcome: either a token whose value is the X-Subject-Token of
// a 201 answer and whose expiry is the body's token.expires_at, a time that
// encodes and compares (years 1 to 9999 in UTC), or an error that quotes
// neither the password nor the token. Never a panic.
func FuzzIAMTokenAnswer(f *testing.F) {
	const tok = "MIIT-fuzz-subject-token-0123456789"
	for _, s := range []struct {
		status           int
		subject, id, loc string
		body             string
		cut              int
		pw               uint8
	}{
		{201, tok, "", "", `{"token":{"expires_at":"2020-01-04T09:05:22.701000Z","issued_at":"2020-01-03T09:05:22.701000Z","methods":["password"]}}`, 0, 0},
		{201, tok, "r1", "", `{"token":{"expires_at":"2026-12-02T17:50:00.5+08:00"}}`, 0, 1},
		{201, tok, "", "", `{"token":{"expires_at":"2026-12-02T09:50:00Z"}}`, 20, 0},
		{201, "", "", "", `{"token":{"expires_at":"2026-12-02T09:50:00Z"}}`, 0, 0},
		{201, "tok\x00en", "", "", `{"token":{"expires_at":"2026-12-02T09:50:00Z"}}`, 0, 0},
		{201, tok, "", "", `{"token":{"expires_at":null}}`, 0, 0},
		{201, tok, "", "", `{"token":{"expires_at":1767225600}}`, 0, 0},
		{201, tok, "", "", `{"token":"x"}`, 0, 0},
		{201, tok, "", "", `[]`, 0, 0},
		{201, tok, "", "", `{"token":{"expires_at":"2020-01-04 09:05:22"}}`, 0, 0},
		// Times whose UTC form is outside the years 1 to 9999, and the zero
		// Time (which reads as "never expires"): refused.
		{201, tok, "", "", `{"token":{"expires_at":"0000-01-01T00:00:00+01:00"}}`, 0, 0},
		{201, tok, "", "", `{"token":{"expires_at":"9999-12-31T23:59:59-01:00"}}`, 0, 0},
		{201, tok, "", "", `{"token":{"expires_at":"0001-01-01T00:00:00Z"}}`, 0, 0},
		// The password echoed where an error quotes the answer: in
		// expires_at, in a message, in X-Request-Id, and spelled by what
		// printable makes of a control character or invalid UTF-8.
		{201, tok, "", "", `{"token":{"expires_at":"S3cr3t-P4ss\"word"}}`, 0, 0},
		{201, tok, "", "", `{"token":{"expires_at":"my secret?pass ü"}}`, 0, 1},
		{200, tok, "", "", `{"token":{"expires_at":"2026-12-02T09:50:00Z"}}`, 0, 0},
		{401, "", "req-9", "", `{"error":{"code":"1101","message":"The username or password is wrong: S3cr3t-P4ss\"word","title":"Unauthorized"}}`, 0, 0},
		{400, "", "", "", `{"error_code":"IAM.0011","error_msg":"my\u0001secret?pass ü"}`, 0, 1},
		{403, "", "S3cr3t-P4ss\"word", "", `{"error":{"code":403,"message":null}}`, 0, 0},
		{500, "", "", "", "my\x01secret\xffpass ü", 0, 1},
		{502, "", "", "", "<html><body>Bad Gateway</body></html>", 0, 2},
		{302, "", "", "https://evil.example.com/v3/auth/tokens", "", 0, 0},
		{307, "", "", "::not a url", "", 0, 0},
		{503, "", "", "", `{"error":{"code":"IAM.0001","message":"<&>pw\u2028x9"}}`, 0, 2},
	} {
		f.Add(s.status, s.subject, s.id, s.loc, []byte(s.body), s.cut, s.pw)
	}
	f.Fuzz(func(t *testing.T, status int, subject, reqID, location string, body []byte, cut int, pwSel uint8) {
		if status < 100 || status > 999 {
			status = 100 + abs(status)%900 // the three-digit statuses a client can receive
		}
		pw := fuzzPasswords[int(pwSel)%len(fuzzPasswords)]
		var sent bool
		src := PasswordTokenSource{
			Endpoint: "http://127.0.0.1:1", Domain: "my-domain", User: "my-user", Password: pw, ProjectID: fuzzProject,
			HTTPClient: &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
				sent = true
				h := http.Header{}
				for name, v := range map[string]string{HeaderSubjectToken: subject, "X-Request-Id": reqID, "Location": location} {
					if v != "" {
						h[name] = []string{v}
					}
				}
				var rd io.Reader = bytes.NewReader(body)
				if cut > 0 && cut < len(body) {
					rd = cutReader{bytes.NewReader(body[:cut])}
				}
				return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(rd), Request: r}, nil
			})},
		}
		got, err := src.Token(context.Background())
		if !sent {
			t.Fatalf("nothing was sent")
		}
		if err != nil {
			for e := err; e != nil; e = errors.Unwrap(e) {
				if containsSecret(e.Error(), pw) {
					t.Fatalf("the error of a %d answer quotes the password (error not printed)", status)
				}
				if len(subject) >= 8 && strings.Contains(e.Error(), subject) &&
					!bytes.Contains(body, []byte(subject)) && !strings.Contains(reqID+location, subject) {
					t.Fatalf("the error of a %d answer quotes the token (error not printed)", status)
				}
			}
			var ie *IAMError
			if errors.As(err, &ie) && (ie.StatusCode != status || status == http.StatusCreated) {
				t.Fatalf("IAMError with status %d for a %d answer", ie.StatusCode, status)
			}
			return
		}

		if status != http.StatusCreated {
			t.Fatalf("a token from a %d answer", status)
		}
		if got.Value == "" || got.Value != subject || controlByte(got.Value) >= 0 {
			t.Fatalf("the token is not the X-Subject-Token header (values not printed)")
		}
		var want struct {
			Token struct {
				ExpiresAt string `json:"expires_at"`
			} `json:"token"`
		}
		if cut > 0 && cut < len(body) {
			t.Fatalf("a token from a body cut short")
		}
		if jerr := json.Unmarshal(body, &want); jerr != nil {
			t.Fatalf("a token from a body that is not the expected JSON: %v", jerr)
		}
		exp, perr := time.Parse(time.RFC3339Nano, want.Token.ExpiresAt)
		if perr != nil || !exp.Equal(got.ExpiresAt) || got.ExpiresAt.IsZero() {
			t.Fatalf("ExpiresAt %s is not the body's expires_at %q", got.ExpiresAt, want.Token.ExpiresAt)
		}
		if y := got.ExpiresAt.UTC().Year(); y < 1 || y > 9999 {
			t.Fatalf("ExpiresAt %s is outside the years 1 to 9999", got.ExpiresAt)
		}
		if _, merr := json.Marshal(got); merr != nil {
			t.Fatalf("the token does not encode: %v", merr)
		}
		// The cache accepts it and hands it out as it came.
		cached, cerr := ReuseTokenSource(TokenSourceFunc(func(context.Context) (Token, error) { return got, nil }), 0).Token(context.Background())
		if cerr != nil || cached != got {
			t.Fatalf("the cache does not hand out the token as it came (values not printed)")
		}
	})
}

func abs(n int) int {
	if n < 0 {
		if n == -n {
			return 0
		}
		return -n
	}
	return n
}
