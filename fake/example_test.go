package fake_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"strings"

	"github.com/gaussdb-tools/chreplication/fake"
)

// send sends one API request with the fake's static token and returns the
// status and body.
func send(s *fake.Server, method, path, body string) (int, string) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, s.URL()+path, rd)
	if err != nil {
		panic(err)
	}
	req.Header.Set("X-Auth-Token", s.Token())
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		panic(err)
	}
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// Start a fake, create a replication and list the replications, with
// nothing but net/http.
func Example() {
	s, err := fake.NewServer(fake.WithProjectID("23a50154cf494ec9ad6883979a12db0a"), fake.WithJobMode(fake.JobsManual))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	path := "/v3/" + s.ProjectID() + "/instances/54e42160670e48e789af7075e1efea1fin16/clickhouse/replication"

	status, body := send(s, http.MethodPost, path,
		`{"source_instance_id":"source_instance_id","source_node_id":"source_node_id","source_database":"source_database"}`)
	var created struct {
		JobID string `json:"job_id"`
	}
	if err := json.Unmarshal([]byte(body), &created); err != nil {
		panic(err)
	}
	fmt.Println("create:", status, created.JobID != "")

	s.FinishJobs()
	status, body = send(s, http.MethodGet, path+"?limit=10&offset=0", "")
	fmt.Println("list:", status, body)

	status, body = send(s, http.MethodGet, path+"?limit=0", "")
	fmt.Println("bad limit:", status, body)
	// Output:
	// create: 200 true
	// list: 200 {"ext_text":null,"replications":[{"catchup_stage":"incremental","percentage":"100","source_database":"source_database","stage":"incremental","status":"normal","target_database":"source_database"}],"total_count":1}
	// bad limit: 400 {"error_code":"DBS.200001","error_msg":"Invalid request: parameter \"limit\" in query: number must be at least 1"}
}

// Make the next create answer an HTML 503, as a gateway might, and see that
// the fault is used up after one request.
func ExampleServer_InjectFault() {
	s, err := fake.NewServer()
	if err != nil {
		panic(err)
	}
	defer s.Close()
	s.InjectFault(fake.Fault{
		Operation: "CreateClickHouseDataBaseReplication",
		Status:    http.StatusServiceUnavailable,
		Header:    http.Header{"Content-Type": {"text/html"}},
		Body:      []byte("<html><body>503 Service Unavailable</body></html>"),
	})
	path := "/v3/" + s.ProjectID() + "/instances/54e42160670e48e789af7075e1efea1fin16/clickhouse/replication"
	body := `{"source_instance_id":"src01","source_database":"orders"}`

	status, answer := send(s, http.MethodPost, path, body)
	fmt.Println(status, answer)
	status, _ = send(s, http.MethodPost, path, body)
	fmt.Println(status)
	fmt.Println("creates seen:", s.RequestCount("CreateClickHouseDataBaseReplication"))
	// Output:
	// 503 <html><body>503 Service Unavailable</body></html>
	// 200
	// creates seen: 2
}

// Drive a job step by step in JobsStepOnPoll mode: each poll shows the job
// and moves it on. FailNextJob makes it end Failed.
func ExampleServer_FailNextJob() {
	s, err := fake.NewServer(fake.WithJobMode(fake.JobsStepOnPoll))
	if err != nil {
		panic(err)
	}
	defer s.Close()
	s.FailNextJob("source database is unreachable")
	path := "/v3/" + s.ProjectID() + "/instances/54e42160670e48e789af7075e1efea1fin16/clickhouse/replication"
	_, body := send(s, http.MethodPost, path, `{"source_instance_id":"src01","source_database":"orders"}`)
	var created struct {
		JobID string `json:"job_id"`
	}
	if err := json.Unmarshal([]byte(body), &created); err != nil {
		panic(err)
	}
	for {
		_, body := send(s, http.MethodGet, "/v3/"+s.ProjectID()+"/jobs?id="+url.QueryEscape(created.JobID), "")
		var shown fake.ShowJobResponse
		if err := json.Unmarshal([]byte(body), &shown); err != nil {
			panic(err)
		}
		j := shown.Job
		// process is set only while the job runs; fail_reason once it failed.
		line := []string{string(j.Status)}
		for _, v := range []string{*j.Process, *j.FailReason} {
			if v != "" {
				line = append(line, v)
			}
		}
		fmt.Println(strings.Join(line, " "))
		if j.Status == fake.JobStatusCompleted || j.Status == fake.JobStatusFailed {
			break
		}
	}
	// Output:
	// Pending
	// Running 20%
	// Running 40%
	// Running 60%
	// Running 80%
	// Failed source database is unreachable
}

// Move jobs by hand in JobsManual mode.
func ExampleServer_Advance() {
	s, err := fake.NewServer(fake.WithJobMode(fake.JobsManual))
	if err != nil {
		panic(err)
	}
	defer s.Close()
	path := "/v3/" + s.ProjectID() + "/instances/54e42160670e48e789af7075e1efea1fin16/clickhouse/replication"
	_, body := send(s, http.MethodPost, path, `{"source_instance_id":"src01","source_database":"orders"}`)
	var created struct {
		JobID string `json:"job_id"`
	}
	if err := json.Unmarshal([]byte(body), &created); err != nil {
		panic(err)
	}
	show := func() {
		j, _ := s.Job(created.JobID)
		r := s.Replications("54e42160670e48e789af7075e1efea1fin16")[0]
		fmt.Printf("%s process %q, %s %s %d\n", j.Status, *j.Process, *r.Stage, *r.CatchupStage, r.Percentage)
	}
	show()
	s.Advance(2)
	show()
	s.FinishJobs()
	show()
	// Output:
	// Pending process "", full wait 0
	// Running process "40%", full full 40
	// Completed process "", incremental incremental 100
}

// An instance runs one operation at a time: a second write while the first
// job runs is refused with 409 DBS.200019 and changes nothing; once the job
// has ended, the same request is accepted.
func ExampleWithOneOperationPerInstance() {
	s, err := fake.NewServer(fake.WithJobMode(fake.JobsManual), fake.WithOneOperationPerInstance())
	if err != nil {
		panic(err)
	}
	defer s.Close()
	path := "/v3/" + s.ProjectID() + "/instances/54e42160670e48e789af7075e1efea1fin16/clickhouse/replication"

	status, _ := send(s, http.MethodPost, path, `{"source_instance_id":"src01","source_database":"orders"}`)
	fmt.Println("first create:", status)
	status, body := send(s, http.MethodPost, path, `{"source_instance_id":"src01","source_database":"stock"}`)
	var refused fake.ErrorResponse
	if err := json.Unmarshal([]byte(body), &refused); err != nil {
		panic(err)
	}
	fmt.Println("second create:", status, refused.ErrorCode)
	status, _ = send(s, http.MethodGet, path, "")
	fmt.Println("list:", status, len(s.Replications("54e42160670e48e789af7075e1efea1fin16")))

	s.FinishJobs()
	status, _ = send(s, http.MethodPost, path, `{"source_instance_id":"src01","source_database":"stock"}`)
	fmt.Println("second create again:", status)
	// Output:
	// first create: 200
	// second create: 409 DBS.200019
	// list: 200 1
	// second create again: 200
}
