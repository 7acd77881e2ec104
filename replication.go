package chreplication

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"net/url"
	"strconv"

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

// Replication is one synchronization task. Fields the answer left out are
// zero.
type Replication struct {
	SourceDatabase string            `json:"source_database"`
	TargetDatabase string            `json:"target_database"`
	Status         ReplicationStatus `json:"status"`
	Stage          string            `json:"stage"`
	CatchupStage   CatchupStage      `json:"catchup_stage"`
	Percentage     int               `json:"percentage"`
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
// service (see RetryPolicy), so it never creates a task twice.
func (c *Client) CreateReplication(ctx context.Context, instanceID string, req CreateReplicationRequest) (string, error) {
	if err := checkID("instanceID", instanceID); err != nil {
		return "", err
	}
	if err := checkID("SourceInstanceID", req.SourceInstanceID); err != nil {
		return "", err
	}
	if err := checkDatabase("SourceDatabase", req.SourceDatabase); err != nil {
		return "", err
	}
	body := generated.CreateReplicationRequest{
		SourceInstanceID: req.SourceInstanceID,
		SourceDatabase:   req.SourceDatabase,
	}
	if req.SourceNodeID != "" {
		if err := checkID("SourceNodeID", req.SourceNodeID); err != nil {
			return "", err
		}
		body.SourceNodeID = req.SourceNodeID
	}
	buf, err := json.Marshal(body)
	if err != nil {
		return "", err
	}
	u := c.tasksURL(instanceID, "")
	r, err := c.send(ctx, opCreate, false, func(ctx context.Context) (*http.Request, error) {
		return c.newRequest(ctx, http.MethodPost, u, buf)
	})
	if err != nil {
		return "", err
	}
	return jobID(&r)
}

// DeleteReplication stops synchronising database into the ClickHouse node
// of instanceID and returns the ID of the job doing it. database may hold
// spaces and non-ASCII letters; it is escaped in the path. Like
// CreateReplication it is not retried once it may have reached the service.
func (c *Client) DeleteReplication(ctx context.Context, instanceID, database string) (string, error) {
	if err := checkID("instanceID", instanceID); err != nil {
		return "", err
	}
	if err := checkDatabase("database", database); err != nil {
		return "", err
	}
	// The generated builder escapes a path parameter with url.PathEscape.
	u := c.tasksURL(instanceID, "/"+url.PathEscape(database))
	r, err := c.send(ctx, opDelete, false, func(ctx context.Context) (*http.Request, error) {
		return c.newRequest(ctx, http.MethodDelete, u, nil)
	})
	if err != nil {
		return "", err
	}
	return jobID(&r)
}

// tasksURL is the URL of an instance's synchronization tasks followed by
// suffix (escaped), in one allocation. IDs passed checkID: they need no
// escaping.
func (c *Client) tasksURL(instanceID, suffix string) string {
	return c.base + "instances/" + instanceID + "/clickhouse/replication" + suffix
}

func jobID(r *response) (string, error) {
	var out generated.JobIDResponse
	if err := decode(r, &out); err != nil {
		return "", err
	}
	if out.JobID == "" {
		return "", r.invalid("no job_id")
	}
	return out.JobID, nil
}

// ListReplications returns one page of the synchronization tasks of the
// ClickHouse node of instanceID.
func (c *Client) ListReplications(ctx context.Context, instanceID string, opts ListOptions) (*ReplicationPage, error) {
	if err := checkID("instanceID", instanceID); err != nil {
		return nil, err
	}
	if err := checkListOptions(opts); err != nil {
		return nil, err
	}
	// The query as the generated builder writes it: limit, then offset,
	// each left out when zero (the API's default).
	var qb [48]byte
	q := qb[:0]
	if opts.Limit != 0 {
		q = append(q, "?limit="...)
		q = strconv.AppendInt(q, int64(opts.Limit), 10)
	}
	if opts.Offset != 0 {
		if len(q) == 0 {
			q = append(q, '?')
		} else {
			q = append(q, '&')
		}
		q = append(q, "offset="...)
		q = strconv.AppendInt(q, int64(opts.Offset), 10)
	}
	u := c.tasksURL(instanceID, string(q))
	r, err := c.send(ctx, opList, true, func(ctx context.Context) (*http.Request, error) {
		return c.newRequest(ctx, http.MethodGet, u, nil)
	})
	if err != nil {
		return nil, err
	}
	var out listAnswer
	if err := decode(&r, &out); err != nil {
		return nil, err
	}
	if out.TotalCount < 0 {
		return nil, r.invalid("a negative total_count")
	}
	page := &ReplicationPage{TotalCount: int(out.TotalCount), Replications: make([]Replication, len(out.Replications))}
	for i, w := range out.Replications {
		page.Replications[i] = Replication{
			SourceDatabase: w.SourceDatabase,
			TargetDatabase: w.TargetDatabase,
			Status:         w.Status,
			Stage:          w.Stage,
			CatchupStage:   w.CatchupStage,
			Percentage:     int(w.Percentage),
		}
	}
	return page, nil
}

// listAnswer and taskAnswer are the spec's ListReplicationsResponse and
// Replication as the generated models (generated.ListReplicationsResponse)
// read them, numbers as int32 included, but with value fields where the
// models have pointers: a field left out or null leaves the zero value, as
// the nil pointer did, and a page of 100 tasks is decoded without the 600
// allocations of one pointer per field.
type listAnswer struct {
	Replications []taskAnswer `json:"replications"`
	TotalCount   int32        `json:"total_count"`
}

type taskAnswer struct {
	CatchupStage   CatchupStage      `json:"catchup_stage"`
	Percentage     int32             `json:"percentage"`
	SourceDatabase string            `json:"source_database"`
	Stage          string            `json:"stage"`
	Status         ReplicationStatus `json:"status"`
	TargetDatabase string            `json:"target_database"`
}

// allPageSize is the page size AllReplications asks for: the API's maximum,
// so the fewest requests are made.
const allPageSize = maxListLimit

// AllReplications iterates over every synchronization task of the
// ClickHouse node of instanceID, fetching pages of 100 as the loop goes: it
// holds one page at a time, whatever the number of tasks. An error is
// yielded once, with a zero Replication, and ends the iteration; so does the
// end of ctx. Breaking out of the loop stops fetching.
func (c *Client) AllReplications(ctx context.Context, instanceID string) iter.Seq2[Replication, error] {
	return func(yield func(Replication, error) bool) {
		offset := 0
		for {
			page, err := c.ListReplications(ctx, instanceID, ListOptions{Limit: allPageSize, Offset: offset})
			if err != nil {
				yield(Replication{}, err)
				return
			}
			for _, r := range page.Replications {
				if !yield(r, nil) {
					return
				}
			}
			offset += len(page.Replications)
			if len(page.Replications) == 0 || offset >= page.TotalCount || offset > maxOffset-allPageSize {
				return
			}
		}
	}
}
