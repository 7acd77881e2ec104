package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// DefaultIAMEndpoint is the global IAM endpoint, used when a
// PasswordTokenSource has neither Endpoint nor Region.
const DefaultIAMEndpoint = "https://iam.myhuaweicloud.com"

// maxIAMBody bounds how much of an IAM response is read.
const maxIAMBody = 1 << 20

// defaultIAMClient is used when PasswordTokenSource.HTTPClient is nil.
var defaultIAMClient = &http.Client{Timeout: time.Minute}

var regionRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// PasswordTokenSource is a TokenSource that gets a project-scoped IAM token
// with a user name and password: POST {Endpoint}/v3/auth/tokens?nocatalog=true
// (the catalog is not needed and can be large), answer 201 with the token in
// the X-Subject-Token header and its expiry in token.expires_at. IAM tokens
// are valid for 24 hours; wrap the source in TokenAuth (or ReuseTokenSource)
// so that it is asked again only shortly before that.
//
// Endpoint is the IAM base URL (https://iam.cn-north-4.myhuaweicloud.com; a
// trailing "/v3" is accepted). When it is empty it is derived from Region as
// https://iam.{Region}.myhuaweicloud.com, and is DefaultIAMEndpoint when
// Region is empty too. Plain http is accepted only for loopback hosts (a
// local fake), so that the password never crosses a network unencrypted.
// Domain is the account name, User the IAM user name, ProjectID the project
// the token is scoped to: all four of Domain, User, Password and ProjectID
// are required. HTTPClient nil means a client with a one-minute timeout;
// redirects are never followed (the request carries the password).
//
// Password is a secret: the value prints redacted through fmt (every verb),
// slog and encoding/json, and no error quotes it. Token and Validate do not
// modify the value, so one PasswordTokenSource is safe for concurrent use.
type PasswordTokenSource struct {
	Endpoint   string
	Region     string
	Domain     string
	User       string
	Password   string
	ProjectID  string
	HTTPClient *http.Client
}

// Validate reports missing fields and a malformed endpoint or region, without
// any I/O.
func (s PasswordTokenSource) Validate() error {
	var missing []string
	for _, f := range []struct{ name, v string }{
		{"User", s.User}, {"Password", s.Password}, {"Domain", s.Domain}, {"ProjectID", s.ProjectID},
	} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("auth: IAM password token source: missing %s", strings.Join(missing, ", "))
	}
	_, err := s.tokenURL()
	return err
}

// tokenURL is the URL the token request is posted to.
func (s PasswordTokenSource) tokenURL() (string, error) {
	base := strings.TrimSpace(s.Endpoint)
	if base == "" {
		switch {
		case s.Region == "":
			base = DefaultIAMEndpoint
		case regionRE.MatchString(s.Region):
			base = "https://iam." + s.Region + ".myhuaweicloud.com"
		default:
			return "", fmt.Errorf("auth: IAM password token source: region %q is not a region name like cn-north-4", printable(s.Region, 64))
		}
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", errors.New("auth: IAM password token source: endpoint is not an absolute http(s) URL")
	}
	if u.User != nil {
		return "", errors.New("auth: IAM password token source: endpoint must not contain user information")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("auth: IAM password token source: endpoint %q must not have a query or fragment", u.Redacted())
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return "", fmt.Errorf("auth: IAM password token source: refusing to send the password over plain http to %s: use https", u.Host)
	}
	p := strings.TrimSuffix(strings.TrimRight(u.Path, "/"), "/v3")
	u.Path, u.RawPath = p+"/v3/auth/tokens", ""
	u.RawQuery = "nocatalog=true"
	return u.String(), nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// iamRequest is the body of POST /v3/auth/tokens, fields in the order of
// Huawei Cloud's documentation.
type iamRequest struct {
	Auth struct {
		Identity struct {
			Methods  []string `json:"methods"`
			Password struct {
				User struct {
					Domain struct {
						Name string `json:"name"`
					} `json:"domain"`
					Name     string `json:"name"`
					Password string `json:"password"`
				} `json:"user"`
			} `json:"password"`
		} `json:"identity"`
		Scope struct {
			Project struct {
				ID string `json:"id"`
			} `json:"project"`
		} `json:"scope"`
	} `json:"auth"`
}

func (s PasswordTokenSource) requestBody() ([]byte, error) {
	var r iamRequest
	r.Auth.Identity.Methods = []string{"password"}
	r.Auth.Identity.Password.User.Domain.Name = s.Domain
	r.Auth.Identity.Password.User.Name = s.User
	r.Auth.Identity.Password.User.Password = s.Password
	r.Auth.Scope.Project.ID = s.ProjectID
	return json.Marshal(r)
}

// client is HTTPClient (or the default) with redirects turned off.
func (s PasswordTokenSource) client() *http.Client {
	base := s.HTTPClient
	if base == nil {
		base = defaultIAMClient
	}
	c := *base
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// Token asks IAM for a new token. Failures are errors that name the method,
// the URL, the status and IAM's error code and message (an *IAMError when IAM
// answered), never the password or a token.
func (s PasswordTokenSource) Token(ctx context.Context) (Token, error) {
	if err := s.Validate(); err != nil {
		return Token{}, err
	}
	u, _ := s.tokenURL() // checked by Validate
	body, err := s.requestBody()
	if err != nil {
		return Token{}, errors.New("auth: IAM password token source: cannot encode the request body")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return Token{}, fmt.Errorf("auth: IAM token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json;charset=UTF-8")
	req.Header.Set("Accept", "application/json")
	resp, err := s.client().Do(req)
	if err != nil {
		return Token{}, fmt.Errorf("auth: IAM token request: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxIAMBody+1))
	if err != nil {
		return Token{}, fmt.Errorf("auth: IAM token request POST %s: reading the %d answer: %w", u, resp.StatusCode, err)
	}
	tooBig := len(data) > maxIAMBody
	if resp.StatusCode != http.StatusCreated {
		return Token{}, s.newIAMError(u, resp, data, tooBig)
	}
	if tooBig {
		return Token{}, fmt.Errorf("auth: IAM token request POST %s: the 201 answer's body exceeds %d bytes", u, maxIAMBody)
	}
	value := resp.Header.Get(HeaderSubjectToken)
	if value == "" {
		return Token{}, fmt.Errorf("auth: IAM token request POST %s: the 201 answer has no %s header", u, HeaderSubjectToken)
	}
	if controlByte(value) >= 0 {
		return Token{}, fmt.Errorf("auth: IAM token request POST %s: the %s header contains a control character", u, HeaderSubjectToken)
	}
	var tr struct {
		Token struct {
			ExpiresAt string `json:"expires_at"`
		} `json:"token"`
	}
	if err := json.Unmarshal(data, &tr); err != nil {
		return Token{}, fmt.Errorf("auth: IAM token request POST %s: the 201 answer's body is not the expected JSON: %w", u, err)
	}
	if tr.Token.ExpiresAt == "" {
		return Token{}, fmt.Errorf("auth: IAM token request POST %s: the 201 answer has no token.expires_at", u)
	}
	exp, err := time.Parse(time.RFC3339Nano, tr.Token.ExpiresAt)
	if err != nil {
		return Token{}, fmt.Errorf("auth: IAM token request POST %s: token.expires_at %q is not an RFC 3339 time",
			u, s.quote(tr.Token.ExpiresAt, 64))
	}
	// The zero Time would read as "never expires"; an offset can move
	// 0000-01-01 or 9999-12-31 out of the years a time encodes in.
	if y := exp.UTC().Year(); exp.IsZero() || y < 1 || y > 9999 {
		return Token{}, fmt.Errorf("auth: IAM token request POST %s: token.expires_at %q is not after 0001-01-01T00:00:00Z and before the year 10000",
			u, s.quote(tr.Token.ExpiresAt, 64))
	}
	return Token{Value: value, ExpiresAt: exp}, nil
}

// quote returns v, text of IAM's answer, as an error may show it: control
// characters and invalid UTF-8 replaced, at most n bytes, and the password
// in none of its forms, before or after the replacement (a control
// character made a space, invalid UTF-8 made '?', could otherwise spell it).
func (s PasswordTokenSource) quote(v string, n int) string {
	v = printable(scrub(v, s.Password), len(v)+1)
	return printable(scrub(v, s.Password, printable(s.Password, len(s.Password)+1)), n)
}

// IAMError is the error of an IAM token request that IAM answered with a
// status other than 201. Its text never contains the password.
type IAMError struct {
	Method     string // POST
	URL        string // the token URL
	StatusCode int
	Code       string // IAM's error code (error.code or error_code), if any
	Message    string // IAM's message (error.message or error_msg), or the start of a non-JSON body
	RequestID  string // X-Request-Id response header, if any
}

// Error prints "auth: IAM token request POST URL: 401 Unauthorized: CODE: message (request ID ...)".
func (e *IAMError) Error() string {
	var b strings.Builder
	b.WriteString("auth: IAM token request ")
	b.WriteString(e.Method)
	b.WriteByte(' ')
	b.WriteString(e.URL)
	b.WriteString(": ")
	b.WriteString(strconv.Itoa(e.StatusCode))
	if t := http.StatusText(e.StatusCode); t != "" {
		b.WriteByte(' ')
		b.WriteString(t)
	}
	if e.Code != "" && e.Code != strconv.Itoa(e.StatusCode) {
		b.WriteString(": ")
		b.WriteString(e.Code)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.RequestID != "" {
		b.WriteString(" (request ID ")
		b.WriteString(e.RequestID)
		b.WriteByte(')')
	}
	return b.String()
}

func (s PasswordTokenSource) newIAMError(u string, resp *http.Response, data []byte, tooBig bool) *IAMError {
	e := &IAMError{
		Method:     http.MethodPost,
		URL:        u,
		StatusCode: resp.StatusCode,
		RequestID:  s.quote(resp.Header.Get("X-Request-Id"), 128),
	}
	clean := func(v string) string { return s.quote(v, 512) }
	var body struct {
		Error *struct {
			Code    json.RawMessage `json:"code"`
			Title   string          `json:"title"`
			Message string          `json:"message"`
		} `json:"error"`
		ErrorCode string `json:"error_code"`
		ErrorMsg  string `json:"error_msg"`
	}
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		target := "another location"
		if loc, err := resp.Location(); err == nil {
			target = loc.Scheme + "://" + loc.Host
		}
		e.Message = clean("redirect to " + target + " not followed (it would resend the password)")
	case tooBig:
		e.Message = fmt.Sprintf("(body larger than %d bytes)", maxIAMBody)
	case json.Unmarshal(data, &body) == nil && (body.Error != nil || body.ErrorCode != "" || body.ErrorMsg != ""):
		if body.Error != nil {
			code := strings.Trim(string(body.Error.Code), `"`)
			if code == "null" {
				code = ""
			}
			e.Code, e.Message = clean(code), clean(body.Error.Message)
			if e.Message == "" {
				e.Message = clean(body.Error.Title)
			}
		}
		if body.ErrorCode != "" {
			e.Code = clean(body.ErrorCode)
		}
		if body.ErrorMsg != "" {
			e.Message = clean(body.ErrorMsg)
		}
	default:
		e.Message = s.quote(strings.TrimSpace(string(data)), 200)
	}
	return e
}

func (s PasswordTokenSource) fields() []field {
	client := "<nil>"
	if s.HTTPClient != nil {
		client = "<set>"
	}
	return []field{
		{name: "Endpoint", key: "endpoint", value: s.Endpoint},
		{name: "Region", key: "region", value: s.Region},
		{name: "Domain", key: "domain", value: s.Domain},
		{name: "User", key: "user", value: s.User},
		{name: "Password", key: "password", value: s.Password, secret: true},
		{name: "ProjectID", key: "project_id", value: s.ProjectID},
		{name: "HTTPClient", key: "http_client", value: client},
	}
}

// String returns the source with the password redacted.
func (s PasswordTokenSource) String() string {
	return renderFields('v', false, false, "", s.fields())
}

// GoString returns the source with the password redacted.
func (s PasswordTokenSource) GoString() string {
	return renderFields('v', false, true, "auth.PasswordTokenSource", s.fields())
}

// Format prints the source with the password redacted, whatever the verb.
func (s PasswordTokenSource) Format(f fmt.State, verb rune) {
	formatFields(f, verb, "auth.PasswordTokenSource", s.fields())
}

// LogValue is the slog form of the source, with the password redacted.
func (s PasswordTokenSource) LogValue() slog.Value { return logValue(s.fields()) }

// MarshalJSON encodes the source with the password redacted.
func (s PasswordTokenSource) MarshalJSON() ([]byte, error) {
	return json.Marshal(jsonFields(s.fields()))
}
