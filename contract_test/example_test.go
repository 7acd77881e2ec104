package contract_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"strings"

	contract "github.com/gaussdb-tools/chreplication/contract_test"
	"github.com/gaussdb-tools/chreplication/fake"
)

// Check the traffic of an HTTP client against the spec: wrap its transport
// and read the violations afterwards.
func ExampleNewTransport() {
	s, err := fake.NewServer(fake.WithProjectID("23a50154cf494ec9ad6883979a12db0a"))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	tr, err := contract.NewTransport(s.Client().Transport)
	if err != nil {
		panic(err)
	}
	client := tr.Client()

	send := func(query string) {
		req, err := http.NewRequestWithContext(context.Background(), http.MethodGet,
			s.URL()+"/v3/"+s.ProjectID()+"/instances/54e42160670e48e789af7075e1efea1fin16/clickhouse/replication"+query, nil)
		if err != nil {
			panic(err)
		}
		req.Header.Set("X-Auth-Token", s.Token())
		resp, err := client.Do(req)
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body) // the body is still there
		fmt.Println(resp.StatusCode, strings.TrimSpace(string(body)))
	}
	send("?limit=10")
	send("?limit=1000")

	for _, v := range tr.Violations() {
		fmt.Println(strings.Replace(v.Error(), s.URL(), "http://fake", 1))
	}
	// Output:
	// 200 {"ext_text":null,"replications":[],"total_count":0}
	// 400 {"error_code":"DBS.200001","error_msg":"Invalid request: parameter \"limit\" in query: number must be at most 100"}
	// contract: request of ListClickHouseDataBaseReplication (GET http://fake/v3/23a50154cf494ec9ad6883979a12db0a/instances/54e42160670e48e789af7075e1efea1fin16/clickhouse/replication?limit=1000): parameter "limit" in query: number must be at most 100
}
