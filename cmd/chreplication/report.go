package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/auth"
)

// usageError is a mistake in the command line or the environment, found
// before anything was sent. It exits with code 2.
// msg is the first problem found, more the others; noHint leaves out the
// pointer to the command's --help.
type usageError struct {
	msg    string
	more   []string
	noHint bool
}

func (e *usageError) Error() string { return strings.Join(e.problems(), "; ") }

// problems returns every problem the error reports.
func (e *usageError) problems() []string { return append([]string{e.msg}, e.more...) }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// jobFailedError reports a waited job that ended Failed. It exits with
// code 3.
type jobFailedError struct {
	job *chreplication.Job
	err error
}

func (e *jobFailedError) Error() string { return e.err.Error() }
func (e *jobFailedError) Unwrap() error { return e.err }

// exitError ends a command with code once it has printed what happened
// (apply's summary); msg, when not empty, is the last line on stderr.
// err, when not nil, is the error behind it (for the JSON document).
type exitError struct {
	code int
	msg  string
	err  error
}

func (e *exitError) Error() string { return e.msg }
func (e *exitError) Unwrap() error { return e.err }

// fieldFlags maps the fields the client names in an InvalidRequestError to
// the flags that set them, so that the message names what the user typed.
var fieldFlags = map[string]string{
	"instanceID":       "--instance-id",
	"SourceInstanceID": "--source-instance-id",
	"SourceDatabase":   "--source-database",
	"SourceNodeID":     "--source-node-id",
	"database":         "--database",
	"jobID":            "--job-id",
	"projectID":        "--project-id",
	"language":         "--language",
	"region":           "--region",
	"endpoint":         "--endpoint",
	"Limit":            "--limit",
	"Offset":           "--offset",
	"timeout":          "--timeout",
	"rateLimit":        "--rate-limit",
}

// exitCode maps an error to the exit code of the CLI contract.
func exitCode(err error) int {
	var (
		ue  *usageError
		ee  *exitError
		ife *invalidFileError
	)
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ife):
		return exitUsage
	case errors.Is(err, context.Canceled):
		// Only the signal context is ever cancelled (--timeout ends with
		// DeadlineExceeded).
		return exitInterrupted
	case errors.Is(err, chreplication.ErrJobFailed):
		return exitJobFailed
	case errors.As(err, &ue), errors.Is(err, chreplication.ErrInvalidRequest):
		return exitUsage
	}
	return exitAPI
}

// report writes err to w as one or two lines a person can act on and
// returns the exit code. Nothing it prints comes from the environment's
// secrets: messages are built from the client's errors, which never hold
// one, and from the flags, which never carry one.
func report(w io.Writer, cmd string, err error) int {
	code := exitCode(err)
	prefix := "chreplication " + cmd + ": "
	help := "chreplication " + cmd + " --help"
	if cmd == "" {
		prefix, help = "chreplication: ", "chreplication help"
	}
	var (
		ue     *usageError
		ire    *chreplication.InvalidRequestError
		apiErr *chreplication.APIError
		iamErr *auth.IAMError
		urlErr *url.Error
		jf     *jobFailedError
		ee     *exitError
		ife    *invalidFileError
	)
	switch {
	case errors.As(err, &ee):
		if ee.msg != "" {
			fmt.Fprintf(w, "%s%s\n", prefix, printable(ee.msg))
		}
	case errors.As(err, &ife):
		fmt.Fprintf(w, "%s%s is not a valid apply file; nothing was sent:\n", prefix, printable(ife.name))
		for _, p := range ife.problems {
			fmt.Fprintf(w, "  %s\n", printable(p))
		}
	case errors.As(err, &jf):
		reason := "no reason given"
		id := ""
		if jf.job != nil {
			id = jf.job.ID
			if jf.job.FailReason != "" {
				reason = jf.job.FailReason
			}
		}
		fmt.Fprintf(w, "%sjob %s failed: %s\n", prefix, printable(id), printable(reason))
	case errors.As(err, &ue):
		switch {
		case ue.noHint:
			fmt.Fprintf(w, "%s%s\n", prefix, ue.msg)
		case len(ue.more) == 0:
			fmt.Fprintf(w, "%s%s (see '%s')\n", prefix, ue.msg, help)
		default:
			fmt.Fprintf(w, "%s%d problems; nothing was sent:\n", prefix, len(ue.more)+1)
			for _, p := range ue.problems() {
				fmt.Fprintf(w, "  %s\n", p)
			}
			fmt.Fprintf(w, "  (see '%s')\n", help)
		}
	case errors.As(err, &ire):
		what := ire.Field
		if f, ok := fieldFlags[ire.Field]; ok {
			what = f
		}
		fmt.Fprintf(w, "%sinvalid %s: %s; nothing was sent\n", prefix, what, printable(userWords(ire.Reason)))
		// A joined error (such as unusable credentials) says more.
		if rest := strings.TrimSpace(strings.TrimPrefix(err.Error(), ire.Error())); rest != "" {
			fmt.Fprintf(w, "  %s\n", printable(firstLine(rest)))
		}
	case errors.Is(err, context.Canceled) && errors.As(err, &apiErr):
		// Interrupted while riding out an answer (a busy instance, the
		// gateway's throttle): the interruption is the outcome.
		fmt.Fprintf(w, "%sinterrupted; the last answer was %s\n", prefix, describeHTTPError(apiErr.StatusCode, apiErr.Method, apiErr.Path, apiErr.Code, apiErr.Message, apiErr.RequestID))
	case errors.As(err, &apiErr):
		fmt.Fprintf(w, "%sAPI error: %s\n", prefix, describeHTTPError(apiErr.StatusCode, apiErr.Method, apiErr.Path, apiErr.Code, apiErr.Message, apiErr.RequestID))
		if hint := apiHint(apiErr.StatusCode); hint != "" {
			fmt.Fprintf(w, "  %s\n", hint)
		}
	case errors.As(err, &iamErr):
		// The IAM password token was refused: say so, not "check the
		// endpoint", and name the variables that hold the IAM user.
		fmt.Fprintf(w, "%sIAM token error: %s\n", prefix, describeHTTPError(iamErr.StatusCode, iamErr.Method, iamErr.URL, iamErr.Code, iamErr.Message, iamErr.RequestID))
		if hint := iamHint(iamErr.StatusCode); hint != "" {
			fmt.Fprintf(w, "  %s\n", hint)
		}
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(w, "%sinterrupted\n", prefix)
	case errors.Is(err, context.DeadlineExceeded):
		fmt.Fprintf(w, "%stimed out (%s); raise --timeout to wait longer\n", prefix, printable(trimPrefix(err.Error())))
	default:
		fmt.Fprintf(w, "%s%s\n", prefix, printable(userWords(trimPrefix(err.Error()))))
		// Only a request that did not get through is about the address;
		// other errors (an invalid answer, the fake failing to start) are not.
		if errors.As(err, &urlErr) {
			if isIAMTokenURL(urlErr.URL) {
				fmt.Fprintf(w, "  check %s (or the region) and the network\n", auth.EnvIAMEndpoint)
			} else {
				fmt.Fprint(w, "  check --endpoint (or --region) and the network\n")
			}
		}
	}
	return code
}

// joinProblems returns nil when every err is nil, the one error when there
// is one, and one usage error naming every problem otherwise.
func joinProblems(errs ...error) error {
	var found []error
	for _, err := range errs {
		if err != nil {
			found = append(found, err)
		}
	}
	switch len(found) {
	case 0:
		return nil
	case 1:
		return found[0]
	}
	var problems []string
	for _, err := range found {
		problems = append(problems, problemsOf(err)...)
	}
	return &usageError{msg: problems[0], more: problems[1:]}
}

// problemsOf returns the problems err reports: those of a usage error, or
// err as one.
func problemsOf(err error) []string {
	var ue *usageError
	if errors.As(err, &ue) {
		return ue.problems()
	}
	return []string{problemText(err)}
}

// optionWords names, in place of the client's options that the library's
// messages mention, the flag or the variables that set them.
var optionWords = strings.NewReplacer(
	"WithInsecureHTTP", "--insecure-http",
	"WithProjectID", "--project-id (or "+auth.EnvProjectID+")",
	"WithLanguage", "--language",
	"WithAuth", "the credential variables (see 'chreplication help environment')",
	"WithRateLimit", "--rate-limit",
	"WithTimeout", "--timeout",
	"WithPollInterval", "--poll-interval",
	"WithConfirmWait", "--confirm-wait",
)

// userWords is a message of the library in the words of the CLI's user.
func userWords(s string) string { return optionWords.Replace(s) }

// problemText is err as one problem of a command line: an invalid input
// names the flag, as report does.
func problemText(err error) string {
	var ire *chreplication.InvalidRequestError
	if errors.As(err, &ire) {
		what := ire.Field
		if f, ok := fieldFlags[ire.Field]; ok {
			what = f
		}
		return "invalid " + what + ": " + printable(userWords(ire.Reason))
	}
	return printable(userWords(trimPrefix(firstLine(err.Error()))))
}

// describeHTTPError names everything support needs: the HTTP status, the
// request, error_code, error_msg and the request ID.
func describeHTTPError(status int, method, path, code, msg, requestID string) string {
	var b strings.Builder
	b.WriteString("HTTP ")
	b.WriteString(strconv.Itoa(status))
	if t := http.StatusText(status); t != "" {
		b.WriteString(" " + t)
	}
	if method != "" {
		b.WriteString(" from " + method + " " + printable(path))
	}
	if code != "" {
		b.WriteString(", error_code " + printable(code))
	}
	if msg != "" {
		b.WriteString(", error_msg " + strconv.Quote(printable(msg)))
	}
	if requestID != "" {
		b.WriteString(", request ID " + printable(requestID))
	} else {
		b.WriteString(", no request ID")
	}
	return b.String()
}

// iamHint says what to do about a status of the IAM token request.
func iamHint(status int) string {
	switch status {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden:
		return "IAM refused the password: check " + auth.EnvIAMUser + ", " + auth.EnvIAMPassword + ", " + auth.EnvIAMDomain + " and the project (--project-id)"
	case http.StatusNotFound:
		return "no IAM token API there: check " + auth.EnvIAMEndpoint + " (or the region)"
	}
	return apiHint(status)
}

// isIAMTokenURL reports whether u is the IAM token request's URL.
func isIAMTokenURL(u string) bool {
	p, err := url.Parse(u)
	return err == nil && strings.HasSuffix(p.Path, "/v3/auth/tokens")
}

// apiHint says what to do about a status, when there is something to say.
func apiHint(status int) string {
	switch {
	case status == http.StatusUnauthorized:
		return "the credentials were refused: check HUAWEICLOUD_AUTH_TOKEN (tokens expire after 24 h), or HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK, or the HUAWEICLOUD_IAM_* variables"
	case status == http.StatusForbidden:
		return "access denied: check --project-id (or HUAWEICLOUD_SDK_PROJECT_ID) and the permissions of the credentials"
	case status == http.StatusNotFound:
		return "no such API at this endpoint: check --endpoint or --region"
	case status == http.StatusTooManyRequests:
		return "throttled: wait a little and try again"
	case status >= 500:
		return "the service failed; try again later, and quote the request ID to support if it persists"
	}
	return ""
}

// trimPrefix drops the client's "chreplication: " prefix: the CLI's own
// prefix already names the program.
func trimPrefix(s string) string {
	return strings.TrimPrefix(s, "chreplication: ")
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// printable makes text from the network or the command line safe to write
// to a terminal: control characters (escape sequences included) are shown
// quoted, and invalid UTF-8 is replaced.
func printable(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if unicode.IsControl(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// quoted quotes a command-line argument for an error message, shortened:
// control characters and invalid UTF-8 escaped once, as Go quotes them.
func quoted(s string) string { return quotedAt(s, 40) }

// quotedAt is quoted with about limit bytes of s.
func quotedAt(s string, limit int) string {
	if len(s) <= limit {
		return strconv.Quote(s)
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "..."
}

// clip shortens a command-line argument for an error message.
func clip(s string) string { return clipAt(s, 40) }

// clipAt shortens s to about limit bytes, for an error message.
func clipAt(s string, limit int) string {
	s = printable(s)
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
