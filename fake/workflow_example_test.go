package fake_test

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"

	"github.com/gaussdb-tools/chreplication/fake"
)

// Give an instance its source databases, synchronise one, then change the
// tables it copies and watch the change through the task's configuration.
func ExampleWithSourceDatabases() {
	const instance = "54e42160670e48e789af7075e1efea1fin16"
	s, err := fake.NewServer(fake.WithJobMode(fake.JobsManual),
		fake.WithSourceDatabases(instance, "sales", "hr", "inventory"))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	base := "/v3/" + s.ProjectID() + "/instances/" + instance + "/clickhouse"

	fmt.Println(send(s, http.MethodGet, base+"/databases", ""))
	fmt.Println(send(s, http.MethodGet, base+"/databases?database_name=sa", ""))

	send(s, http.MethodPost, base+"/replication", `{"source_instance_id":"ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07","source_database":"sales"}`)
	s.FinishJobs()
	status, _ := send(s, http.MethodPut, base+"/databases/replication/config",
		`{"source_instance_id":"ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07","database":"sales","value":"{\"black_list\":\"audit_log\"}"}`)
	fmt.Println(status)

	var config fake.ReplicationConfigResponse
	show := func() {
		_, body := send(s, http.MethodGet, base+"/replication/config?database_name=sales", "")
		if err := json.Unmarshal([]byte(body), &config); err != nil {
			log.Fatal(err)
		}
		fmt.Println(config.IsTablesChange, config.TableReplConfig.ReplType, config.TableReplConfig.Tables)
	}
	show()
	s.FinishJobs()
	show()
	// Output:
	// 200 {"databases":["hr","inventory","sales"],"total_count":3}
	// 200 {"databases":["sales"],"total_count":1}
	// 200
	// true black_list []
	// false black_list [audit_log]
}
