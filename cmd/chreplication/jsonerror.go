package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/auth"
)

// Kinds of errorBody.
const (
	kindUsage       = "usage"        // exit 2: the command line or the environment; nothing was sent
	kindInvalidFile = "invalid_file" // exit 2: apply's file; nothing was sent
	kindAPI         = "api"          // exit 1: the API answered with an error
	kindIAM         = "iam"          // exit 1: IAM refused the token request
	kindNetwork     = "network"      // exit 1: the request did not get through
	kindTimeout     = "timeout"      // exit 1: --timeout ran out
	kindInterrupted = "interrupted"  // exit 130
	kindJobFailed   = "job_failed"   // exit 3
	kindCheckFailed = "check_failed" // exit 4
	kindError       = "error"        // exit 1: anything else
)

// errorBody is the "error" member of the JSON document a command prints
// with --output json when it fails: what happened, and for an answer of
// the API (or of IAM) its HTTP status, error_code and request ID.
type errorBody struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
	// Status, Code and RequestID are the answer's, when the API or IAM
	// answered.
	Status    int    `json:"status,omitempty"`
	Code      string `json:"code,omitempty"`
	RequestID string `json:"request_id,omitempty"`
	// Problems lists every problem of a command line or of an apply file,
	// when there are several.
	Problems []string `json:"problems,omitempty"`
	ExitCode int      `json:"exit_code"`
}

// failureDoc is what a command knew when it failed, for the document of
// the failure: the job it started (create, delete, scope) and the job as
// last seen (a wait).
type failureDoc struct {
	jobID string
	job   *chreplication.Job
}

// errorDoc is the JSON document of a failed command: {"error": {...}},
// with "job_id" and "job" when the command started or waited for a job.
type errorDoc struct {
	Error *errorBody         `json:"error"`
	JobID string             `json:"job_id,omitempty"`
	Job   *chreplication.Job `json:"job,omitempty"`
}

// jobErrorDoc is the job object with an "error" member: wait's document
// for a job that ended Failed.
type jobErrorDoc struct {
	*chreplication.Job
	Error *errorBody `json:"error"`
}

// errorDoc is the document of err for c's command.
func (c *cli) errorDoc(err error) errorDoc {
	return errorDoc{Error: describeFailure(err), JobID: c.failure.jobID, Job: c.failure.job}
}

// describeFailure says what err is, in the fields of errorBody. Like
// report, it holds nothing from the environment's secrets.
func describeFailure(err error) *errorBody {
	b := &errorBody{ExitCode: exitCode(err), Kind: kindError, Message: printable(userWords(trimPrefix(firstLine(err.Error()))))}
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
	case errors.As(err, &ife):
		b.Kind, b.Message = kindInvalidFile, fmt.Sprintf("%s is not a valid apply file; nothing was sent", printable(ife.name))
		for _, p := range ife.problems {
			b.Problems = append(b.Problems, printable(p))
		}
	case errors.As(err, &ue):
		b.Kind, b.Message = kindUsage, ue.msg
		if len(ue.more) > 0 {
			b.Message = fmt.Sprintf("%d problems; nothing was sent", len(ue.more)+1)
			b.Problems = ue.problems()
		}
	case errors.Is(err, context.Canceled):
		// Interrupted, whatever the last answer was (a busy instance's
		// 409 ridden out, say): that answer is kept beside.
		b.Kind, b.Message = kindInterrupted, "interrupted"
		if errors.Is(err, chreplication.ErrNotStarted) {
			b.Message = "interrupted; nothing was started on the service"
		}
		if errors.As(err, &apiErr) {
			b.Status, b.Code, b.RequestID = apiErr.StatusCode, printable(apiErr.Code), printable(apiErr.RequestID)
			b.Message += " (the last answer: " + printable(describeHTTPError(apiErr.StatusCode, "", "", apiErr.Code, apiErr.Message, apiErr.RequestID)) + ")"
		}
	case errors.As(err, &jf):
		b.Kind = kindJobFailed
		id, reason := "", "no reason given"
		if jf.job != nil {
			id = jf.job.ID
			if jf.job.FailReason != "" {
				reason = jf.job.FailReason
			}
		}
		b.Message = fmt.Sprintf("job %s failed: %s", printable(id), printable(reason))
	case errors.As(err, &apiErr):
		b.Kind, b.Status, b.Code, b.RequestID = kindAPI, apiErr.StatusCode, printable(apiErr.Code), printable(apiErr.RequestID)
		b.Message = printable(apiErr.Message)
		if b.Message == "" {
			b.Message = describeHTTPError(apiErr.StatusCode, apiErr.Method, apiErr.Path, apiErr.Code, "", "")
		}
	case errors.As(err, &iamErr):
		b.Kind, b.Status, b.Code, b.RequestID = kindIAM, iamErr.StatusCode, printable(iamErr.Code), printable(iamErr.RequestID)
		b.Message = printable(iamErr.Message)
		if b.Message == "" {
			b.Message = "IAM refused the token request"
		}
	case errors.As(err, &ire):
		b.Kind, b.Message = kindUsage, problemText(err)
	case errors.As(err, &ee):
		switch ee.code {
		case exitCheckFailed:
			b.Kind = kindCheckFailed
		case exitUsage:
			b.Kind = kindUsage
		}
		b.Message = printable(ee.msg)
	case errors.Is(err, context.DeadlineExceeded):
		b.Kind = kindTimeout
		b.Message = "timed out (" + b.Message + "); raise --timeout to wait longer"
	case errors.As(err, &urlErr):
		b.Kind = kindNetwork
	}
	return b
}
