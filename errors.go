package chreplication

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

var (
	// ErrInvalidRequest is wrapped by every error about input the client
	// refused before sending anything. Find the field with errors.As and
	// *InvalidRequestError.
	ErrInvalidRequest = errors.New("chreplication: invalid request")

	// ErrInvalidResponse is wrapped by the errors returned when a successful
	// (2xx) answer cannot be used: an empty or malformed body, or a required
	// field missing, such as a job ID.
	ErrInvalidResponse = errors.New("chreplication: invalid response")

	// ErrResponseTooLarge is wrapped when the body of a successful (2xx)
	// answer exceeds the client's read limit (WithMaxResponseBytes). The rest
	// of the body is not read. An error answer is never too large: its body
	// is cut at 64 KiB and it gives an *APIError.
	ErrResponseTooLarge = errors.New("chreplication: response body too large")

	// ErrJobFailed is wrapped by the error WaitJob returns when the job ends
	// with status Failed. The job, with its FailReason, is returned too.
	ErrJobFailed = errors.New("chreplication: job failed")
)

// InvalidRequestError describes input that the client refused before sending
// anything. It wraps ErrInvalidRequest.
type InvalidRequestError struct {
	// Field names the parameter, e.g. "instanceID" or "SourceDatabase".
	Field string
	// Reason says what is wrong with it.
	Reason string
}

// Error implements error.
func (e *InvalidRequestError) Error() string {
	return "chreplication: invalid " + e.Field + ": " + e.Reason
}

// Unwrap returns ErrInvalidRequest.
func (e *InvalidRequestError) Unwrap() error { return ErrInvalidRequest }

// APIError is the error returned for every answer whose status is not 2xx,
// whatever its body: a service error ({"error_code","error_msg"}), a gateway
// error, an HTML page, plain text or nothing at all.
type APIError struct {
	// StatusCode is the HTTP status of the answer.
	StatusCode int
	// Code is the error code from the body, such as "DBS.280292" or
	// "APIGW.0301"; empty when the body has none.
	Code string
	// Message is the error message from the body or, when the body has
	// none, the status text or the body's first line.
	Message string
	// RequestID is the X-Request-Id header of the answer, for support.
	RequestID string
	// Operation is the API operation, such as "CreateClickHouseDataBaseReplication".
	Operation string
	// Method and Path are the request's method and URL path.
	Method, Path string
}

// Error implements error: "chreplication: POST /v3/...: 400 Bad Request:
// DBS.280292: message (request ID ...)".
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("chreplication: ")
	if e.Method != "" {
		b.WriteString(e.Method)
		b.WriteByte(' ')
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(strconv.Itoa(e.StatusCode))
	if t := http.StatusText(e.StatusCode); t != "" {
		b.WriteByte(' ')
		b.WriteString(t)
	}
	if e.Code != "" {
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

// IsNotFound reports whether err is, or wraps, an *APIError that says the
// thing asked for does not exist: any answer with status 404, or an answer
// with status 400 and one of these error codes:
//   - DBS.200543: the job does not exist (ShowGaussMySqlJobInfo; also a new
//     job not visible yet, see WithVisibilityGrace);
//   - DBS.280292: the database has no synchronization task (delete,
//     configuration and scope calls; the code of the error example in
//     Huawei's definitions of these operations, and the fake's);
//   - DBS.280128: the database name does not exist (a source database
//     unknown to the instance);
//   - DBS.270022 and DBS.05000091: the replication task does not exist, as
//     Huawei's Terraform provider reads and deletes the tasks of TaurusDB's
//     HTAP (StarRocks) edition.
//
// Any other 400 (a parameter error, DBS.200001) is not a "not found".
func IsNotFound(err error) bool {
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	return apiErr.StatusCode == http.StatusNotFound ||
		apiErr.StatusCode == http.StatusBadRequest && absentCodes[apiErr.Code]
}

// absentCodes are the error codes of a 400 answer that IsNotFound takes
// for "does not exist".
var absentCodes = map[string]bool{
	"DBS.200543":   true,
	"DBS.280292":   true,
	"DBS.280128":   true,
	"DBS.270022":   true,
	"DBS.05000091": true,
}

// IsBusy reports whether err is, or wraps, an *APIError that says the
// instance is running another operation: status 409 with error code
// DBS.200019, DBS.201014, DBS.201015, DBS.200047, DBS.05000084 or DBS.212033,
// or status 403 with DBS.212033 ("Instance is currently being operated").
// Such a refusal changed nothing; the client sends these calls again until
// their deadline (see RetryPolicy), so a caller sees one only when the
// deadline came first.
func IsBusy(err error) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && busyAnswer(apiErr.StatusCode, apiErr.Code)
}

// IsThrottled reports whether err is, or wraps, an *APIError with status 429.
func IsThrottled(err error) bool { return hasStatus(err, http.StatusTooManyRequests) }

// IsUnauthorized reports whether err is, or wraps, an *APIError with status
// 401: the credentials were refused.
func IsUnauthorized(err error) bool { return hasStatus(err, http.StatusUnauthorized) }

func hasStatus(err error, status int) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && apiErr.StatusCode == status
}

// maxMessageLen bounds the message taken from an error body.
const maxMessageLen = 512

// newAPIError builds the error for a non-2xx answer from its status, headers
// and (already size-limited) body.
func newAPIError(op, method, path string, status int, header http.Header, body []byte) *APIError {
	e := &APIError{
		StatusCode: status,
		RequestID:  clean(header.Get("X-Request-Id")),
		Operation:  op,
		Method:     method,
		Path:       path,
	}
	e.Code, e.Message = parseErrorBody(body)
	if status >= 300 && status < 400 && e.Code == "" {
		// The client follows no redirect (the credentials would go with
		// it): say so, and where it pointed, instead of the page's text.
		e.Message = redirectMessage(header.Get("Location"))
	}
	if e.Message == "" && e.Code == "" {
		e.Message = firstLine(body)
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	return e
}

// redirectMessage says that a redirect was not followed, naming where it
// pointed without its user information, query or fragment (which may hold
// secrets).
func redirectMessage(location string) string {
	const suffix = " not followed (the client follows no redirect: the credentials would go with it)"
	u, err := url.Parse(strings.TrimSpace(location))
	if location == "" || err != nil {
		return "redirect" + suffix
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	return "redirect to " + clean(u.String()) + suffix
}

// errorShapes are the error bodies seen from the service, the API gateway
// and IAM.
type errorShapes struct {
	ErrorCode string          `json:"error_code"`
	ErrorMsg  string          `json:"error_msg"`
	Code      json.RawMessage `json:"code"`
	Message   string          `json:"message"`
	Error     *struct {
		Code    json.RawMessage `json:"code"`
		Message string          `json:"message"`
		Title   string          `json:"title"`
	} `json:"error"`
}

func parseErrorBody(body []byte) (code, msg string) {
	var s errorShapes
	if !startsWithObject(body) {
		return "", ""
	}
	if json.Unmarshal(body, &s) != nil {
		return "", ""
	}
	switch {
	case s.ErrorCode != "" || s.ErrorMsg != "":
		return clean(s.ErrorCode), clean(s.ErrorMsg)
	case s.Error != nil:
		m := s.Error.Message
		if m == "" {
			m = s.Error.Title
		}
		return clean(rawString(s.Error.Code)), clean(m)
	default:
		return clean(rawString(s.Code)), clean(s.Message)
	}
}

func startsWithObject(b []byte) bool {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{':
			return true
		default:
			return false
		}
	}
	return false
}

// rawString turns a JSON string or number into its text.
func rawString(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	if raw[0] >= '0' && raw[0] <= '9' || raw[0] == '-' {
		return string(raw)
	}
	return ""
}

// firstLine returns the first non-empty line of a plain-text body, or "" for
// HTML and binary bodies.
func firstLine(body []byte) string {
	s := strings.TrimSpace(string(body))
	if s == "" || s[0] == '<' || !utf8.ValidString(s) {
		return ""
	}
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	return clean(s)
}

// clean makes text from the network safe to print on one line: the length
// is bounded (cut at a character boundary), invalid UTF-8 becomes U+FFFD and
// control characters become spaces.
func clean(s string) string {
	if len(s) > maxMessageLen {
		cut := maxMessageLen
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		s = strings.Map(func(r rune) rune {
			if unicode.IsControl(r) {
				return ' '
			}
			return r
		}, s)
	}
	return strings.TrimSpace(s)
}
