package chreplication

import (
	"context"
	"iter"
	"net/http"
	"strings"

	"github.com/gaussdb-tools/chreplication/generated"
)

// CreateReplicationRequest says what CreateReplication synchronises.
type CreateReplicationRequest struct {
	// SourceInstanceID is the ID of the GaussDB(for MySQL) instance to copy
	// from (required).
	SourceInstanceID string
	// SourceDatabase is the database to synchronise (required).
	SourceDatabase string
	// SourceNodeID is the read replica to copy from; "" means the primary
	// node, and the field is left out of the request.
	SourceNodeID string
}

// ReplicationStatus is the health of a synchronization task.
type ReplicationStatus string

// Replication statuses.
const (
	ReplicationNormal   ReplicationStatus = "normal"
	ReplicationAbnormal ReplicationStatus = "abnormal"
)

// CatchupStage is the catch-up stage of a synchronization task.
type CatchupStage string

// Catch-up stages.
const (
	CatchupWait        CatchupStage = "wait"
	CatchupFailed      CatchupStage = "failed"
	CatchupIncremental CatchupStage = "incremental"
	CatchupFull        CatchupStage = "full"
	CatchupOther       CatchupStage = "other"
)

// Replication is one synchronization task. Fields the answer left out (or
// sent as null) are zero, except SourceDatabase: when the answer leaves it
// out, TargetDatabase stands for it. Status, Stage and CatchupStage values
// the client knows are normalised to the constants' case ("Full" is
// CatchupFull, "full"); other values are kept as sent.
type Replication struct {
	SourceDatabase string            `json:"source_database"`
	TargetDatabase string            `json:"target_database"`
	Status         ReplicationStatus `json:"status"`
	// Stage is the synchronization stage, with the values of CatchupStage.
	Stage        string       `json:"stage"`
	CatchupStage CatchupStage `json:"catchup_stage"`
	// Percentage is the progress of the current stage, 0 to 100, read from
	// a string ("100", as Huawei's schema says) or a number (as Huawei's
	// example shows).
	Percentage int `json:"percentage"`
}

// ReplicationPage is one page of ListReplications.
type ReplicationPage struct {
	// TotalCount is the number of tasks in all pages.
	TotalCount int `json:"total_count"`
	// Replications are the tasks of this page.
	Replications []Replication `json:"replications"`
}

// ListOptions pages through a list. Zero values mean the API's defaults
// (limit 10, offset 0).
type ListOptions struct {
	// Limit is the page size, 1 to 100.
	Limit int
	// Offset is the number of tasks to skip.
	Offset int
}

// CreateReplication starts synchronising req.SourceDatabase of instance
// req.SourceInstanceID into the ClickHouse node of instanceID, and returns the
// ID of the job doing it (follow it with Job or WaitJob). Bad input returns
// an error wrapping ErrInvalidRequest and sends nothing; a non-2xx answer
// returns an *APIError. The call is not retried once it may have reached the
// service (see RetryPolicy), so it never creates a task twice; a refusal
// because the instance is busy is retried, since it changed nothing.
func (c *Client) CreateReplication(ctx context.Context, instanceID string, req CreateReplicationRequest) (string, error) {
	if err := ValidateReplication(instanceID, req); err != nil {
		return "", err
	}
	body := generated.CreateReplicationRequest{
		SourceInstanceID: req.SourceInstanceID,
		SourceDatabase:   req.SourceDatabase,
		SourceNodeID:     req.SourceNodeID, // "" is left out of the body
	}
	params := generated.CreateClickHouseDataBaseReplicationParams{XLanguage: c.language}
	out, a, err := run[generated.JobIDResponse](c, ctx, opCreate, func(ctx context.Context) (*http.Response, error) {
		return c.gen.CreateClickHouseDataBaseReplication(ctx, c.projectID, instanceID, &params, body)
	}, generated.ParseCreateClickHouseDataBaseReplicationResponse)
	return jobID(a, out, err)
}

// DeleteReplication stops synchronising database into the ClickHouse node
// of instanceID and returns the ID of the job doing it. database may hold
// spaces and non-ASCII letters; the generated client escapes it in the
// path. Like CreateReplication it is not retried once it may have reached
// the service, except after a busy instance's refusal.
func (c *Client) DeleteReplication(ctx context.Context, instanceID, database string) (string, error) {
	if err := checkID("instanceID", instanceID); err != nil {
		return "", err
	}
	if err := checkDatabase("database", database); err != nil {
		return "", err
	}
	params := generated.DeleteClickHouseDataBaseReplicationParams{XLanguage: c.language}
	out, a, err := run[generated.JobIDResponse](c, ctx, opDelete, func(ctx context.Context) (*http.Response, error) {
		return c.gen.DeleteClickHouseDataBaseReplication(ctx, c.projectID, instanceID, database, &params)
	}, generated.ParseDeleteClickHouseDataBaseReplicationResponse)
	return jobID(a, out, err)
}

// jobID returns the job ID of a create or delete answer: one with no
// job_id is unusable.
func jobID(a *reply, out *generated.JobIDResponse, err error) (string, error) {
	if err != nil {
		return "", err
	}
	if out.JobID == "" {
		return "", a.invalid("no job_id")
	}
	return out.JobID, nil
}

// ListReplications returns one page of the synchronization tasks of the
// ClickHouse node of instanceID. Values the service is documented to send
// in other forms are read: a percentage as a string or a number, null
// stages, stages in another case (normalised, see Replication), a task
// without source_database.
func (c *Client) ListReplications(ctx context.Context, instanceID string, opts ListOptions) (*ReplicationPage, error) {
	if err := checkID("instanceID", instanceID); err != nil {
		return nil, err
	}
	if err := checkListOptions(opts); err != nil {
		return nil, err
	}
	params := generated.ListClickHouseDataBaseReplicationParams{XLanguage: c.language}
	params.Limit, params.Offset = pageParams(opts)
	out, a, err := run[generated.ListReplicationsResponse](c, ctx, opList, func(ctx context.Context) (*http.Response, error) {
		return c.gen.ListClickHouseDataBaseReplication(ctx, c.projectID, instanceID, &params)
	}, generated.ParseListClickHouseDataBaseReplicationResponse)
	if err != nil {
		return nil, err
	}
	total, err := totalCount(a, out.TotalCount)
	if err != nil {
		return nil, err
	}
	page := &ReplicationPage{TotalCount: total, Replications: make([]Replication, len(out.Replications))}
	for i := range out.Replications {
		page.Replications[i] = replicationFromWire(&out.Replications[i])
	}
	return page, nil
}

// replicationFromWire turns a task of a list answer into a Replication.
func replicationFromWire(w *generated.Replication) Replication {
	r := Replication{
		SourceDatabase: w.SourceDatabase,
		TargetDatabase: w.TargetDatabase,
		Status:         ReplicationStatus(known(w.Status, replicationStatuses)),
		Stage:          known(w.Stage, stages),
		CatchupStage:   CatchupStage(known(w.CatchupStage, stages)),
		Percentage:     int(max(min(w.Percentage, 100), 0)),
	}
	if r.SourceDatabase == "" {
		r.SourceDatabase = r.TargetDatabase
	}
	return r
}

// Known values, in the constants' case.
var (
	replicationStatuses = []string{string(ReplicationNormal), string(ReplicationAbnormal)}
	stages              = []string{string(CatchupWait), string(CatchupFailed), string(CatchupIncremental), string(CatchupFull), string(CatchupOther)}
)

// known returns the value of values that equals v without regard to case
// and surrounding spaces, or v as it came.
func known(v string, values []string) string {
	t := strings.TrimSpace(v)
	for _, k := range values {
		if strings.EqualFold(t, k) {
			return k
		}
	}
	return v
}

// AllReplications iterates over every synchronization task of the
// ClickHouse node of instanceID, fetching pages of 100 as the loop goes: it
// holds one page at a time, whatever the number of tasks. An error is
// yielded once, with a zero Replication, and ends the iteration; so does the
// end of ctx. Breaking out of the loop stops fetching.
func (c *Client) AllReplications(ctx context.Context, instanceID string) iter.Seq2[Replication, error] {
	return allPages(func(offset int) ([]Replication, int, error) {
		page, err := c.ListReplications(ctx, instanceID, ListOptions{Limit: allPageSize, Offset: offset})
		if err != nil {
			return nil, 0, err
		}
		return page.Replications, page.TotalCount, nil
	})
}
