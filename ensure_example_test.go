package chreplication_test

import (
	"context"
	"fmt"
	"time"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/auth"
	"github.com/gaussdb-tools/chreplication/fake"
)

func ExampleClient_EnsureReplication() {
	s, err := fake.NewServer(fake.WithJobMode(fake.JobsStepOnPoll))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	c, err := chreplication.NewClient(s.URL(),
		chreplication.WithProjectID(s.ProjectID()),
		chreplication.WithAuth(auth.StaticToken(s.Token())))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	const instanceID = "54e42160670e48e789af7075e1efea1fin16"
	req := chreplication.CreateReplicationRequest{
		SourceInstanceID: "a1b2c3d4e5f64a7b8c9d0e1f2a3b4c5din07",
		SourceDatabase:   "sales",
	}

	// The first call creates the task and starts a job; the second finds
	// the task and sends nothing. After any error, calling again is safe.
	for range 2 {
		res, err := c.EnsureReplication(ctx, instanceID, req)
		if err != nil {
			fmt.Println(err)
			return
		}
		switch {
		case res.Created && res.JobIDLost:
			fmt.Println("created; the answer was lost, so the job ID is unknown")
		case res.Created:
			job, err := c.WaitJob(ctx, res.JobID, chreplication.WithPollInterval(10*time.Millisecond, 100*time.Millisecond))
			if err != nil {
				fmt.Println(err)
				return
			}
			fmt.Println("created:", job.Status)
		default:
			fmt.Println("exists already:", res.Replication.Status)
		}
	}
	fmt.Println(s.RequestCount("CreateClickHouseDataBaseReplication"), "create sent")
	// Output:
	// created: Completed
	// exists already: normal
	// 1 create sent
}
