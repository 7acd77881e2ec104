// Package reconcile makes the ClickHouse replications of GaussDB(for MySQL)
// instances match a declaration: the engine of `chreplication apply`, for
// any Go program (an exporter, a watcher, a Terraform provider).
//
// It knows no flags, terminals or exit codes. Parse reads an apply file
// (YAML or JSON) into a Declaration; an Applier lists each instance and
// works out a Plan (create what the file wants and the service lacks,
// delete with Options.Prune what the file no longer names, leave abnormal
// tasks alone), then Apply carries it out and returns each change's result.
// Progress comes as Events through Options.OnEvent.
//
// The file:
//
//	replications:
//	  - instance_id: 54e42160670e48e789af7075e1efea1fin16        # the ClickHouse node's instance
//	    source_instance_id: ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07 # the GaussDB(for MySQL) instance
//	    source_node_id: ""                                       # optional: a read replica
//	    databases: [shop, sales]                                 # [] for none (with Prune: delete all)
//	    project_id: 0123456789abcdef0123456789abcdef             # optional (default: Options.ProjectID)
//	    region: cn-north-4                                       # optional, or endpoint: https://...
//
// Requests and their budget. An Applier makes one client per place (an
// endpoint and a project) through Options.Client, once, and sends every
// request of that place through it: give the clients
// chreplication.WithRateLimit and the place's requests share one budget,
// however many instances are at work. Each instance runs one operation at
// a time, as the service does, and Options.Parallel instances are worked
// on at once. Creates are sent only for databases the plan's list lacks
// (no second list before each), a lost answer is settled on the list
// before anything is sent again (a database is never created twice), and
// the first look at a job comes when the jobs seen so far were about to
// end, so that waiting for a job usually costs one request.
//
// Example to apply a file:
//
//	decl, err := reconcile.Parse("replications.yaml", data)
//	if err != nil {
//		return err // an *InvalidFileError: nothing was sent
//	}
//	a, err := reconcile.New(reconcile.Options{
//		Endpoint:  endpoint,
//		ProjectID: projectID,
//		Client: func(endpoint, projectID string) (*chreplication.Client, error) {
//			return chreplication.NewClient(endpoint, chreplication.WithProjectID(projectID),
//				chreplication.WithAuth(authenticator), chreplication.WithRateLimit(10, 5))
//		},
//	})
//	if err != nil {
//		return err
//	}
//	plan, err := a.Plan(ctx, decl)
//	if err != nil {
//		return err
//	}
//	for _, ch := range a.Apply(ctx, plan) {
//		fmt.Println(ch.InstanceID, ch.Database, ch.Action, ch.Result, ch.Err)
//	}
package reconcile
