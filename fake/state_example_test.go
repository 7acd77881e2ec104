package fake_test

import (
	"fmt"
	"log"
	"net/http"

	"github.com/gaussdb-tools/chreplication/fake"
)

// Drive a task into a state the API does not reach by itself: abnormal
// while its create job completed, as a client that watches tasks must see.
func ExampleServer_SetReplicationState() {
	s, err := fake.NewServer(fake.WithJobDuration(0)) // every job ends at once
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	const instance = "54e42160670e48e789af7075e1efea1fin16"
	path := "/v3/" + s.ProjectID() + "/instances/" + instance + "/clickhouse/replication"
	send(s, http.MethodPost, path, `{"source_instance_id":"ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07","source_database":"shop"}`)

	err = s.SetReplicationState(instance, "shop", fake.ReplicationState{
		Status: fake.StatusAbnormal, Stage: fake.StageIncremental, CatchupStage: fake.StageFailed, Percentage: 100,
	})
	fmt.Println("set:", err)
	_, body := send(s, http.MethodGet, path, "")
	fmt.Println(body)

	err = s.SetReplicationState(instance, "sales", fake.ReplicationState{Status: fake.StatusNormal})
	fmt.Println(err)
	// Output:
	// set: <nil>
	// {"ext_text":null,"replications":[{"catchup_stage":"failed","percentage":"100","source_database":"shop","stage":"incremental","status":"abnormal","target_database":"shop"}],"total_count":1}
	// fake: SetReplicationState: no synchronization task of database "sales" on instance "54e42160670e48e789af7075e1efea1fin16"
}
