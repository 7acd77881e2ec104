package chreplication_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/auth"
	"github.com/gaussdb-tools/chreplication/fake"
)

// newFake starts the spec-driven fake API that these examples run against;
// in real use the endpoint comes from RegionEndpoint and the credentials
// from IAM.
func newFake(opts ...fake.Option) *fake.Server {
	s, err := fake.NewServer(append([]fake.Option{fake.WithJobMode(fake.JobsStepOnPoll)}, opts...)...)
	if err != nil {
		log.Fatal(err)
	}
	return s
}

func ExampleRegionEndpoint() {
	endpoint, err := chreplication.RegionEndpoint("cn-north-4")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(endpoint)

	_, err = chreplication.RegionEndpoint("cn-nowhere-1")
	fmt.Println(errors.Is(err, chreplication.ErrInvalidRequest))
	// Output:
	// https://gaussdb.cn-north-4.myhuaweicloud.com
	// true
}

func ExampleNewClient() {
	s := newFake()
	defer s.Close()

	// Against the real service: endpoint, _ := chreplication.RegionEndpoint("cn-north-4")
	c, err := chreplication.NewClient(s.URL(),
		chreplication.WithProjectID(s.ProjectID()),
		chreplication.WithAuth(auth.StaticToken(s.Token())),
		chreplication.WithLanguage("en-us"),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.ProjectID() == s.ProjectID())
	// Output: true
}

func ExampleClient_CreateReplication() {
	s := newFake()
	defer s.Close()
	c, err := chreplication.NewClient(s.URL(),
		chreplication.WithProjectID(s.ProjectID()),
		chreplication.WithAuth(auth.StaticToken(s.Token())))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()

	jobID, err := c.CreateReplication(ctx, "54e42160670e48e789af7075e1efea1fin16", chreplication.CreateReplicationRequest{
		SourceInstanceID: "a1b2c3d4e5f64a7b8c9d0e1f2a3b4c5din07",
		SourceDatabase:   "sales",
		// SourceNodeID left empty: synchronise from the primary node.
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	job, err := c.WaitJob(ctx, jobID, chreplication.WithPollInterval(10*time.Millisecond, 100*time.Millisecond))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(job.Status)
	// Output: Completed
}

func ExampleClient_AllReplications() {
	s := newFake()
	defer s.Close()
	const instanceID = "54e42160670e48e789af7075e1efea1fin16"
	s.AddReplications(instanceID, 250)
	c, err := chreplication.NewClient(s.URL(),
		chreplication.WithProjectID(s.ProjectID()),
		chreplication.WithAuth(auth.StaticToken(s.Token())))
	if err != nil {
		fmt.Println(err)
		return
	}

	n := 0
	for r, err := range c.AllReplications(context.Background(), instanceID) {
		if err != nil {
			fmt.Println(err)
			return
		}
		if r.SourceDatabase != "" {
			n++
		}
	}
	fmt.Println(n, "replications")
	// Output: 250 replications
}

func ExampleAPIError() {
	s := newFake()
	defer s.Close()
	c, err := chreplication.NewClient(s.URL(),
		chreplication.WithProjectID(s.ProjectID()),
		chreplication.WithAuth(auth.StaticToken(s.Token())))
	if err != nil {
		fmt.Println(err)
		return
	}

	// Deleting a replication that does not exist: the service answers 400.
	_, err = c.DeleteReplication(context.Background(), "54e42160670e48e789af7075e1efea1fin16", "no such db")
	var apiErr *chreplication.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Code != "", apiErr.RequestID != "")
	}
	// Output: 400 true true
}

func ExampleClient_WaitJob() {
	s := newFake()
	defer s.Close()
	c, err := chreplication.NewClient(s.URL(),
		chreplication.WithProjectID(s.ProjectID()),
		chreplication.WithAuth(auth.StaticToken(s.Token())))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	s.FailNextJob("the source database has no primary key")
	jobID, err := c.CreateReplication(ctx, "54e42160670e48e789af7075e1efea1fin16", chreplication.CreateReplicationRequest{
		SourceInstanceID: "a1b2c3d4e5f64a7b8c9d0e1f2a3b4c5din07", SourceDatabase: "orders"})
	if err != nil {
		fmt.Println(err)
		return
	}
	job, err := c.WaitJob(ctx, jobID,
		chreplication.WithPollInterval(10*time.Millisecond, 100*time.Millisecond),
		chreplication.WithProgress(func(j *chreplication.Job) {
			fmt.Println(strings.TrimSpace(string(j.Status) + " " + j.Process)) // process is "" unless running
		}))
	if errors.Is(err, chreplication.ErrJobFailed) {
		fmt.Println("failed:", job.FailReason)
	}
	// Output:
	// Pending
	// Running 20%
	// Running 40%
	// Running 60%
	// Running 80%
	// Failed
	// failed: the source database has no primary key
}

func ExampleWithRateLimit() {
	s := newFake(fake.WithRateLimit(20)) // the fake throttles beyond 20 requests a second
	defer s.Close()

	// One budget for every goroutine, operation, retry and WaitJob look of
	// the client: 10 requests a second, in bursts of up to 5.
	c, err := chreplication.NewClient(s.URL(),
		chreplication.WithProjectID(s.ProjectID()),
		chreplication.WithAuth(auth.StaticToken(s.Token())),
		chreplication.WithRateLimit(10, 5),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	errs := make(chan error, 20)
	for i := range 20 {
		go func() {
			_, err := c.ListReplications(ctx, "54e42160670e48e789af7075e1efea1fin16", chreplication.ListOptions{Limit: 10, Offset: i})
			errs <- err
		}()
	}
	failed := 0
	for range 20 {
		if <-errs != nil {
			failed++
		}
	}
	fmt.Println("failed:", failed, "throttled:", s.ThrottledCount())

	_, err = chreplication.NewClient(s.URL(),
		chreplication.WithProjectID(s.ProjectID()),
		chreplication.WithAuth(auth.StaticToken(s.Token())),
		chreplication.WithRateLimit(0, 1))
	fmt.Println(errors.Is(err, chreplication.ErrInvalidRequest))
	// Output:
	// failed: 0 throttled: 0
	// true
}
