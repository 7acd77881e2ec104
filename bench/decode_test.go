package bench

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/auth"
	"github.com/gaussdb-tools/chreplication/generated"
)

// bodyTransport answers every request with 200 and body.
type bodyTransport struct{ body string }

func (t bodyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return okJSON(req, []byte(t.body)), nil
}

func clientAnswering(t *testing.T, body string) *chreplication.Client {
	t.Helper()
	c, err := chreplication.NewClient("http://127.0.0.1:1", chreplication.WithProjectID(projectID),
		chreplication.WithAuth(auth.StaticToken(token)), chreplication.WithoutRetry(),
		chreplication.WithHTTPClient(&http.Client{Transport: bodyTransport{body}}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// listThroughGenerated is how the facade read a list answer when it decoded
// into the generated model: one pointer per field, nil read as zero.
func listThroughGenerated(body string) (*chreplication.ReplicationPage, bool) {
	var out generated.ListReplicationsResponse
	if json.Unmarshal([]byte(body), &out) != nil || out.TotalCount < 0 {
		return nil, false
	}
	page := &chreplication.ReplicationPage{TotalCount: int(out.TotalCount), Replications: make([]chreplication.Replication, len(out.Replications))}
	for i, w := range out.Replications {
		r := &page.Replications[i]
		if w.SourceDatabase != nil {
			r.SourceDatabase = *w.SourceDatabase
		}
		if w.TargetDatabase != nil {
			r.TargetDatabase = *w.TargetDatabase
		}
		if w.Status != nil {
			r.Status = chreplication.ReplicationStatus(*w.Status)
		}
		if w.Stage != nil {
			r.Stage = *w.Stage
		}
		if w.CatchupStage != nil {
			r.CatchupStage = chreplication.CatchupStage(*w.CatchupStage)
		}
		if w.Percentage != nil {
			r.Percentage = int(*w.Percentage)
		}
	}
	return page, true
}

// TestListDecodesAsTheGeneratedModel checks that ListReplications reads
// every answer (fields missing, null, of the wrong type, out of the int32
// range, in another case, unknown) as decoding into the generated model
// did: the same page, or an error wrapping ErrInvalidResponse for the same
// answers.
func TestListDecodesAsTheGeneratedModel(t *testing.T) {
	bodies := []string{
		string(listAnswer),
		`{"total_count":2,"replications":[{"source_database":"a","target_database":"b","status":"abnormal","stage":"full","catchup_stage":"wait","percentage":40},{}]}`,
		`{"total_count":1,"replications":[{"source_database":null,"target_database":null,"status":null,"stage":null,"catchup_stage":null,"percentage":null}]}`,
		`{"total_count":null,"replications":null}`,
		`{"total_count":1,"replications":[null]}`,
		`{"total_count":0}`,
		`{}`,
		`{"Total_Count":3,"REPLICATIONS":[{"Source_Database":"x","PERCENTAGE":7}]}`,
		`{"total_count":1,"replications":[{"source_database":"a","extra":{"deep":[1,2]}}],"more":true}`,
		`{"total_count":1,"replications":[{"status":"unknown-status","catchup_stage":"new-stage"}]}`,
		`{"total_count":-1,"replications":[]}`,
		`{"total_count":3000000000,"replications":[]}`,
		`{"total_count":1,"replications":[{"percentage":3000000000}]}`,
		`{"total_count":1,"replications":[{"percentage":-2147483648}]}`,
		`{"total_count":1,"replications":[{"percentage":1.5}]}`,
		`{"total_count":1,"replications":[{"percentage":"40"}]}`,
		`{"total_count":1,"replications":[{"source_database":1}]}`,
		`{"total_count":1,"replications":{}}`,
		`{"total_count":"1"}`,
		`{"total_count":1,"replications":[{"source_database":"\u00e9\ud83d\ude00"}]}`,
		`{"total_count":1,"replications":[`,
	}
	ctx := context.Background()
	for _, body := range bodies {
		got, err := clientAnswering(t, body).ListReplications(ctx, instanceID, chreplication.ListOptions{})
		want, ok := listThroughGenerated(body)
		if !ok {
			if err == nil || !errors.Is(err, chreplication.ErrInvalidResponse) {
				t.Errorf("%.80s: the generated model refused it, ListReplications returned %v", body, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%.80s: the generated model read it, ListReplications returned %v", body, err)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%.80s: ListReplications read %+v, the generated model %+v", body, got, want)
		}
	}
}

// jobThroughGenerated is how the facade read a job answer when it decoded
// into the generated model.
func jobThroughGenerated(body string) (*chreplication.Job, bool) {
	var out generated.ShowJobResponse
	if json.Unmarshal([]byte(body), &out) != nil || out.Job.ID == "" || out.Job.Status == "" {
		return nil, false
	}
	w := out.Job
	j := &chreplication.Job{ID: w.ID, Status: chreplication.JobStatus(w.Status)}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	j.Name, j.Process, j.FailReason = str(w.Name), str(w.Process), str(w.FailReason)
	if w.Instance != nil {
		j.Instance.ID, j.Instance.Name = str(w.Instance.ID), str(w.Instance.Name)
	}
	for _, t := range []struct {
		p   *string
		dst *time.Time
	}{{w.Created, &j.Created}, {w.Ended, &j.Ended}} {
		if t.p == nil {
			continue
		}
		for _, layout := range []string{"2006-01-02T15:04:05-0700", time.RFC3339Nano} {
			if v, err := time.Parse(layout, *t.p); err == nil {
				*t.dst = v.UTC()
				break
			}
		}
	}
	return j, true
}

// TestJobDecodesAsTheGeneratedModel is TestListDecodesAsTheGeneratedModel
// for Job.
func TestJobDecodesAsTheGeneratedModel(t *testing.T) {
	bodies := []string{
		string(jobAnswer),
		`{"job":{"id":"j1","status":"Running"}}`,
		`{"job":{"id":"j1","status":"Failed","fail_reason":"disk full","name":null,"process":null,"created":null,"ended":null,"instance":null}}`,
		`{"job":{"id":"j1","status":"Running","instance":{"id":null,"name":"n"}}}`,
		`{"job":{"id":"j1","status":"Running","instance":{}}}`,
		`{"job":{"id":"j1","status":"Completed","created":"2018-08-06T10:41:14Z","ended":"2018-08-06T18:41:14+08:00"}}`,
		`{"job":{"id":"j1","status":"Completed","created":"yesterday","ended":""}}`,
		`{"job":{"id":"j1","status":"Pending","process":"40%","extra":[1,{"a":null}]}}`,
		`{"JOB":{"ID":"j1","Status":"Running","Fail_Reason":"x"}}`,
		`{"job":{"id":"j1","status":"SomethingNew"}}`,
		`{"job":{"id":"","status":"Running"}}`,
		`{"job":{"id":"j1"}}`,
		`{"job":null}`,
		`{}`,
		`{"job":{"id":"j1","status":"Running","instance":"i"}}`,
		`{"job":{"id":"j1","status":"Running","process":40}}`,
		`{"job":{"id":1,"status":"Running"}}`,
		`{"job":{"id":"j1","status":"Running"`,
	}
	ctx := context.Background()
	for _, body := range bodies {
		got, err := clientAnswering(t, body).Job(ctx, "j1")
		want, ok := jobThroughGenerated(body)
		if !ok {
			if err == nil || !errors.Is(err, chreplication.ErrInvalidResponse) {
				t.Errorf("%.80s: the generated model refused it, Job returned %v", body, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%.80s: the generated model read it, Job returned %v", body, err)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%.80s: Job read %+v, the generated model %+v", body, got, want)
		}
	}
}
