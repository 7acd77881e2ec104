// Package fake is a fake of the Huawei Cloud GaussDB(for MySQL) ClickHouse
// replication API, for tests, demos and teams writing clients in other
// languages. It serves the four operations of openapi.yaml
// (CreateClickHouseDataBaseReplication, ListClickHouseDataBaseReplication,
// DeleteClickHouseDataBaseReplication, ShowGaussMySqlJobInfo) from memory,
// plus an IAM token endpoint (POST /v3/auth/tokens).
//
// The server side is generated from openapi.yaml by oapi-codegen (cfg.yaml,
// server.gen.go: models, a net/http ServeMux server, the strict server
// interface and the embedded spec), the same spec the client is generated
// from. Every API request goes through, in order:
//
//  1. recording (Server.Requests, Server.RequestCount; secrets redacted),
//  2. injected faults (Server.InjectFault),
//  3. routing: a method and path of no operation gets 404 APIGW.0101,
//  4. credentials: a valid X-Auth-Token (the static token or an unexpired
//     token from the IAM endpoint) or a valid AK/SK signature (checked with
//     auth.Verifier), else 401 APIGW.0301,
//  5. validation with kin-openapi's openapi3filter against the embedded
//     spec (path parameters percent-decoded first), else 400 DBS.280001
//     with a message naming each wrong parameter or body field,
//  6. the project: another project than Server.ProjectID gets 403 APIGW.0302,
//  7. the operation, on a store safe for concurrent use.
//
// Every answer carries an X-Request-Id. Errors have the spec's
// ErrorResponse body; the Code constants list the codes. An unknown job ID
// is answered 400 CodeJobNotFound (the spec's answer for a missing
// resource), not 404 (the gateway's answer for a missing API).
//
// # Jobs
//
// Create and delete start a job that goes Pending (0%), Running (20%,
// 40%, 60%, 80%), then Completed (100%), or Failed (fail_reason set,
// process 80%) when Server.FailNextJob asked for it. While a create job
// runs, its replication shows stage "full" with catchup_stage "wait" then
// "full" and the job's percentage; once it completes, "incremental" and
// 100; once it fails, status "abnormal" and catchup_stage "failed". Jobs
// need no goroutine: their state is computed when they are read. The job
// mode says what moves them:
//
//   - JobsWallClock (the default; WithJobDuration, default 2s): the clock.
//   - JobsStepOnPoll: each ShowGaussMySqlJobInfo of a job answers its
//     state and then moves it one step, so polling a new job shows
//     exactly Pending, Running 20%, 40%, 60%, 80%, Completed.
//   - JobsManual: only Server.Advance, Server.AdvanceJob and
//     Server.FinishJobs.
//
// Advance, AdvanceJob and FinishJobs work in every mode.
//
// # Example to start a fake for your tests
//
//	s, err := fake.NewServer(fake.WithJobMode(fake.JobsStepOnPoll))
//	if err != nil {
//		t.Fatal(err)
//	}
//	t.Cleanup(s.Close)
//	// Point the client under test at s.URL() with project s.ProjectID()
//	// and token s.Token() (or s.AccessKey(), or s.IAMUser() against the
//	// IAM endpoint at s.URL()).
//
// # Example to inject a fault
//
//	// The next create answers an HTML 503, as a gateway might.
//	s.InjectFault(fake.Fault{
//		Operation: "CreateClickHouseDataBaseReplication",
//		Status:    http.StatusServiceUnavailable,
//		Body:      []byte("<html><body>503 Service Unavailable</body></html>"),
//	})
//	// Every request waits 2s first (until the client gives up).
//	s.InjectFault(fake.Fault{Times: -1, Delay: 2 * time.Second})
//	defer s.ClearFaults()
//
// # Example to drive a job
//
//	s, _ := fake.NewServer(fake.WithJobMode(fake.JobsManual))
//	s.FailNextJob("source database is unreachable") // optional
//	// ... create a replication through the API, get jobID ...
//	s.Advance(2)             // Running 40%
//	s.FinishJobs()           // Completed, or Failed as asked
//	job, _ := s.Job(jobID)   // what ShowGaussMySqlJobInfo shows
//
// # Example to check what the client sent
//
//	for _, r := range s.Requests() {
//		fmt.Println(r.Method, r.Path, r.Operation, r.Status, r.AuthHeader)
//	}
//	n := s.Connections() // TCP connections opened: shows connection reuse
//
// Secrets never leave the fake: errors and logs quote no token, secret key
// or password, recorded headers are redacted, and only the bodies of the
// spec's operations are recorded (not those of IAM token requests, nor of
// requests that match no operation). By default the fake logs nothing (see WithLogger).
package fake
