package exporter_test

import (
	"bufio"
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/auth"
	"github.com/gaussdb-tools/chreplication/exporter"
	"github.com/gaussdb-tools/chreplication/fake"
	"github.com/gaussdb-tools/chreplication/monitor"
)

// Serve the metrics of an instance's tasks. A program calls Run in the
// background instead of Refresh.
func Example() {
	s, err := fake.NewServer()
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	const instance = "54e42160670e48e789af7075e1efea1fin16"
	if err := s.AddReplication(instance, "shop"); err != nil {
		panic(err)
	}

	// Count what the exporter spends of the API through the clients' transport.
	rc := exporter.NewRequestCounter(nil)
	c, err := chreplication.NewClient(s.URL(),
		chreplication.WithProjectID(s.ProjectID()),
		chreplication.WithAuth(auth.StaticToken(s.Token())),
		chreplication.WithHTTPClient(rc.Client()))
	if err != nil {
		panic(err)
	}
	e, err := exporter.New([]monitor.Target{{Client: c, InstanceID: instance}}, exporter.WithRequestCounter(rc))
	if err != nil {
		panic(err)
	}
	if err := e.Refresh(context.Background()); err != nil {
		panic(err)
	}

	srv := httptest.NewServer(e.Handler())
	defer srv.Close()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL+"/metrics", nil)
	if err != nil {
		panic(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "chreplication_replication_") || strings.HasPrefix(line, "chreplication_api") {
			fmt.Println(line)
		}
	}
	// Output:
	// chreplication_api_requests_total{code="200",operation="ListClickHouseDataBaseReplication"} 1
	// chreplication_replication_info{catchup_stage="incremental",database="shop",instance_id="54e42160670e48e789af7075e1efea1fin16",stage="incremental",status="normal"} 1
	// chreplication_replication_normal{database="shop",instance_id="54e42160670e48e789af7075e1efea1fin16"} 1
	// chreplication_replication_percentage{database="shop",instance_id="54e42160670e48e789af7075e1efea1fin16"} 100
}
