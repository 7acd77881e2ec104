package chreplication

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gaussdb-tools/chreplication/generated"
)

// JobStatus is the state of an asynchronous job.
type JobStatus string

// Job statuses. Completed and Failed are final.
const (
	JobPending   JobStatus = "Pending"
	JobRunning   JobStatus = "Running"
	JobCompleted JobStatus = "Completed"
	JobFailed    JobStatus = "Failed"
)

// Done reports whether the status is final (Completed or Failed).
func (s JobStatus) Done() bool { return s == JobCompleted || s == JobFailed }

// Job is an asynchronous job, such as the one CreateReplication started.
type Job struct {
	ID     string    `json:"id"`
	Name   string    `json:"name,omitempty"`
	Status JobStatus `json:"status"`
	// Created and Ended are zero when the answer left them out or had them
	// in a form that could not be read; Ended is zero while the job runs.
	Created time.Time `json:"created,omitzero"`
	Ended   time.Time `json:"ended,omitzero"`
	// Process is the progress of a running job as the API puts it, such as
	// "40%". See Percent.
	Process    string      `json:"process,omitempty"`
	Instance   JobInstance `json:"instance,omitzero"`
	FailReason string      `json:"fail_reason,omitempty"`
	// Entities holds details that depend on the job, as the service sent
	// them (free-form); nil when it sent none.
	Entities map[string]any `json:"entities,omitempty"`
}

// JobInstance is the instance a job works on.
type JobInstance struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

// Percent returns the job's progress in percent, read from Process, and
// whether Process held one. A completed job whose Process holds no
// percentage is at 100.
func (j *Job) Percent() (int, bool) {
	p, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(j.Process), "%")))
	if err != nil || p < 0 || p > 100 {
		if j.Status == JobCompleted {
			return 100, true
		}
		return 0, false
	}
	return p, true
}

// Job returns the job jobID, as a create or delete answer named it. A job
// the service does not show (yet: a new job takes a few seconds to become
// visible, see WaitJob) is an *APIError, usually 404 or 400.
func (c *Client) Job(ctx context.Context, jobID string) (*Job, error) {
	if err := checkID("jobID", jobID); err != nil {
		return nil, err
	}
	params := generated.ShowGaussMySQLJobInfoParams{ID: jobID, XLanguage: c.language}
	out, a, err := run[generated.ShowJobResponse](c, ctx, opJob, func(ctx context.Context) (*http.Response, error) {
		return c.gen.ShowGaussMySQLJobInfo(ctx, c.projectID, &params)
	}, generated.ParseShowGaussMySQLJobInfoResponse)
	if err != nil {
		return nil, err
	}
	if out.Job.ID == "" || out.Job.Status == "" {
		return nil, a.invalid("a job without id or status")
	}
	return jobFromWire(&out.Job), nil
}

func jobFromWire(w *generated.Job) *Job {
	j := &Job{
		ID:         w.ID,
		Name:       w.Name,
		Status:     JobStatus(w.Status),
		Process:    w.Process,
		Instance:   JobInstance{ID: w.Instance.ID, Name: w.Instance.Name},
		Entities:   w.Entities,
		FailReason: w.FailReason,
	}
	if w.Created != "" {
		j.Created = parseJobTime(w.Created)
	}
	if w.Ended != "" {
		j.Ended = parseJobTime(w.Ended)
	}
	return j
}

// jobTimeLayouts are the forms job timestamps come in: the API's own
// "2018-08-06T10:41:14+0000", and RFC 3339 in case it moves to it.
var jobTimeLayouts = []string{"2006-01-02T15:04:05-0700", time.RFC3339Nano}

// parseJobTime reads a job timestamp in UTC, or returns the zero Time for
// one it cannot read, and for one whose UTC year is outside 1..9999 (such
// as "0000-01-01T00:00:00+0800"): no timestamp the service means can be
// there, and such a time cannot be written as RFC 3339 (a Job would not
// marshal to JSON).
func parseJobTime(s string) time.Time {
	for _, layout := range jobTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			if y := t.UTC().Year(); y < 1 || y > 9999 {
				return time.Time{}
			}
			return t.UTC()
		}
	}
	return time.Time{}
}
