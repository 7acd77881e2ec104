package fake_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"strings"

	"github.com/gaussdb-tools/chreplication/fake"
)

// post sends one control request, which needs no credentials.
func post(s *fake.Server, path, body string) string {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, s.URL()+path, strings.NewReader(body))
	if err != nil {
		panic(err)
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
	return strings.TrimSpace(resp.Status + " " + string(b))
}

// Drive the fake over HTTP, as a test in another language does: make the
// next job fail, then show the task abnormal.
func ExampleWithControl() {
	s, err := fake.NewServer(fake.WithControl(), fake.WithJobDuration(0))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	const instance = "54e42160670e48e789af7075e1efea1fin16"
	path := "/v3/" + s.ProjectID() + "/instances/" + instance + "/clickhouse/replication"

	fmt.Println(post(s, "/_fake/jobs/fail-next", `{"reason":"source binlog is disabled"}`))
	send(s, http.MethodPost, path, `{"source_instance_id":"ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07","source_database":"shop"}`)
	_, body := send(s, http.MethodGet, path, "")
	fmt.Println(body)

	fmt.Println(post(s, "/_fake/replications/"+instance+"/shop/state", `{"status":"abnormal","stage":"incremental","percentage":100}`))
	fmt.Println(post(s, "/_fake/replications/"+instance+"/shop/state", `{"status":"abnormal","percent":100}`))
	// Output:
	// 204 No Content
	// {"ext_text":null,"replications":[{"catchup_stage":"failed","percentage":"80","source_database":"shop","stage":"full","status":"abnormal","target_database":"shop"}],"total_count":1}
	// 200 OK {"percentage":"100","source_database":"shop","stage":"incremental","status":"abnormal","target_database":"shop"}
	// 400 Bad Request {"error_code":"FAKE.0400","error_msg":"Invalid request body: unknown field \"percent\"."}
}
