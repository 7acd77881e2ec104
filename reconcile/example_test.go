package reconcile_test

import (
	"context"
	"fmt"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/auth"
	"github.com/gaussdb-tools/chreplication/fake"
	"github.com/gaussdb-tools/chreplication/reconcile"
)

// Apply a file against a fake server: plan, then carry the plan out.
func Example() {
	srv, err := fake.NewServer(fake.WithJobMode(fake.JobsStepOnPoll))
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	_ = srv.AddReplication("54e42160670e48e789af7075e1efea1fin16", "old")

	decl, err := reconcile.Parse("replications.yaml", []byte(`
replications:
  - instance_id: 54e42160670e48e789af7075e1efea1fin16
    source_instance_id: ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07
    databases: [shop, sales]
`))
	if err != nil {
		panic(err)
	}
	a, err := reconcile.New(reconcile.Options{
		Endpoint:  srv.URL(),
		ProjectID: srv.ProjectID(),
		Prune:     true,
		Client: func(endpoint, projectID string) (*chreplication.Client, error) {
			return chreplication.NewClient(endpoint, chreplication.WithProjectID(projectID),
				chreplication.WithAuth(auth.StaticToken(srv.Token())), chreplication.WithRateLimit(20, 5))
		},
		PollInterval: chreplication.DefaultPollInterval / 100,
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	plan, err := a.Plan(ctx, decl)
	if err != nil {
		panic(err)
	}
	for _, ch := range plan.Changes {
		fmt.Println("plan:", ch.Action, ch.Database, ch.Result)
	}
	for _, ch := range a.Apply(ctx, plan) {
		fmt.Println("applied:", ch.Action, ch.Database, ch.Result, ch.Err)
	}
	// Output:
	// plan: create shop planned
	// plan: create sales planned
	// plan: delete old planned
	// applied: create shop done <nil>
	// applied: create sales done <nil>
	// applied: delete old done <nil>
}

// Parse refuses a bad file before anything is sent, naming each problem.
func ExampleParse() {
	_, err := reconcile.Parse("replications.yaml", []byte(`
replications:
  - instance_id: 54e42160670e48e789af7075e1efea1fin16
    source_instance_id: ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07
    databases: [shop, "a/b"]
    region: mars-1
`))
	fmt.Println(err)
	// Output:
	// replications.yaml is not a valid apply file: replications[0].region (line 6): unknown region "mars-1"; known regions: af-south-1, ap-southeast-1, ap-southeast-2, ap-southeast-3, ap-southeast-4, cn-east-3, cn-east-5, cn-north-11, cn-north-2, cn-north-4, cn-north-9, cn-south-1, cn-south-4, cn-southwest-2, cn-southwest-3, la-north-2, me-east-1, ru-northwest-2, sa-brazil-1, tr-west-1; replications[0].databases[1] (line 5): "a/b" must not contain '/', '\', '.' or control characters
}
