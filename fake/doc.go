// Package fake is a fake of the Huawei Cloud GaussDB(for MySQL) ClickHouse
// replication API, for tests, demos and teams writing clients in other
// languages. It serves the operations of openapi.yaml from memory: the
// tasks (CreateClickHouseDataBaseReplication,
// ListClickHouseDataBaseReplication, DeleteClickHouseDataBaseReplication),
// their jobs (ShowGaussMySqlJobInfo) and the workflow around them
// (ListClickHouseDataBase, ListClickHouseDataBaseParameter,
// CheckClickHouseDataBaseConfig, CheckClickHouseTableConfig,
// ListClickHouseDataBaseReplicationConfig, UpdateClickHouseDataBaseConfig,
// DeleteClickHouseDataBaseConfig), plus an IAM token endpoint
// (POST /v3/auth/tokens).
//
// The server side is generated from openapi.yaml by oapi-codegen (cfg.yaml,
// server.gen.go: models, a net/http ServeMux server, the strict server
// interface and the embedded spec), the same spec the client is generated
// from. Every API request goes through, in order:
//
//  1. recording (Server.Requests, Server.RequestCount; secrets redacted),
//  2. with WithRateLimit, throttling as the API gateway does: beyond N
//     requests a second per credential, 429 APIGW.0308 (not for the IAM
//     endpoint),
//  3. injected faults (Server.InjectFault),
//  4. routing: a method and path of no operation gets 404 APIGW.0101,
//  5. credentials: a valid X-Auth-Token (the static token or an unexpired
//     token from the IAM endpoint) or a valid AK/SK signature (checked with
//     auth.Verifier), else 401 APIGW.0301,
//  6. validation with kin-openapi's openapi3filter against the embedded
//     spec (path parameters percent-decoded first), else 400 DBS.200001
//     (the documented parameter error) with a message naming each wrong
//     parameter or body field; request bodies may be sent as
//     application/json or, as Huawei's definitions and the official SDKs
//     do, application/json;charset=UTF-8,
//  7. the project: another project than Server.ProjectID gets 403 APIGW.0302,
//  8. with WithOneOperationPerInstance, a write to an instance that runs a
//     job gets 409 DBS.200019,
//  9. the operation, on a store safe for concurrent use.
//
// Every answer carries an X-Request-Id. Errors have the spec's
// ErrorResponse body; the Code constants list the codes, which are those
// of GaussDB(for MySQL)'s published error code table where it has one for
// the case. An unknown job ID is answered 400 CodeJobNotFound with a
// message naming the job (the spec's answer for a missing resource), not
// 404 (the gateway's answer for a missing API). The fake's own failures
// answer 500 CodeInternal.
//
// # Jobs
//
// Create and delete start a job that goes Pending, Running (process 20%,
// 40%, 60%, 80%), then Completed, or Failed (fail_reason set) when
// Server.FailNextJob asked for it. As on the service, process is set only
// while the job is Running and is "" otherwise. While a create job runs,
// its replication shows stage "full" with catchup_stage "wait" then "full"
// and the job's percentage (a JSON string, such as "40"); once it
// completes, "incremental" and "100"; once it fails, status "abnormal",
// catchup_stage "failed" and "80". Server.SetReplicationState sets what the
// list shows of a task (status, stage, catch-up stage, percentage) whatever
// its job does, for states the API does not reach by itself. Jobs need no
// goroutine: their state is computed when they are read. The job mode says what moves them:
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
// # Behaviour of the real service, opt-in
//
// Two behaviours of the real service that a client must cope with are off
// by default, so that tests written for the fake as it was keep passing;
// `chreplication fake` turns both on (flags turn each off):
//
//   - WithJobVisibilityDelay(d): a new job is not visible for d (on the
//     fake's clock): until then ShowGaussMySqlJobInfo answers it as an
//     unknown job, 400 CodeJobNotFound naming the job. On the service "it
//     usually takes a few seconds" before a job's ID can be queried.
//   - WithOneOperationPerInstance(): an instance runs one operation at a
//     time. While a job runs on an instance, a write to that instance
//     (any operation that answers a job_id, but DeleteClickHouseDataBaseConfig,
//     which stops the scope change that keeps it busy) is refused with 409
//     CodeInstanceBusy (DBS.200019) and changes nothing, so sending it
//     again later is safe. Reads are never refused.
//
// The gateway's throttling is off by default too: WithRateLimit(n) (or
// Server.SetRateLimit on a running fake) answers 429 CodeThrottled
// (APIGW.0308, "The throttling threshold has been reached: policy user over
// ratelimit,limit:n,time:1 second") to a request beyond n in a second of
// the fake's clock, counted per credential: the static token, the access
// key, the IAM user (all its tokens) and requests without valid
// credentials each have their own budget. A throttled request changes
// nothing; Request.Throttled and Server.ThrottledCount show it.
//
// # The workflow around a task
//
//   - Source databases: WithSourceDatabases or Server.SetSourceDatabases
//     names those of an instance. ListClickHouseDataBase lists them with
//     the databases that have a task on the instance, sorted, one page at
//     a time; database_name keeps the names that contain it ("" keeps
//     all). CreateClickHouseDataBaseReplication, CheckClickHouseDataBaseConfig
//     and CheckClickHouseTableConfig of a database it does not list answer
//     the same 400 CodeSourceDatabaseNotFound (DBS.280128, "The database
//     name does not exist."), and a refused create changes nothing. An
//     instance whose source databases were not named has every database:
//     create and the checks accept any name, and ListClickHouseDataBase
//     shows DefaultSourceDatabases (and the databases of its tasks) as a
//     sample, since it cannot list every name.
//   - ListClickHouseDataBaseParameter answers the 11 documented parameters.
//     CheckClickHouseDataBaseConfig judges every one of them, with the value
//     given or its default: CheckSuccess when the value is one of its values
//     (case matters) or a decimal integer in its range, else CheckFail; a
//     parameter that does not exist is judged CheckFail after them.
//   - CheckClickHouseTableConfig judges each table configuration: CheckSuccess
//     for clauses PARTITION BY, COLUMNS (a list in parentheses), ORDER BY,
//     SAMPLE BY, PRIMARY KEY and TTL, each at most once and with an
//     expression, else CheckTableFailed. A parameter or table named twice
//     is a 400 CodeInvalidParameter in either check.
//   - ListClickHouseDataBaseReplicationConfig shows a task's default
//     parameters, its source and its table scope: black_list with no tables
//     (every table) for a new task.
//   - UpdateClickHouseDataBaseConfig takes {"black_list":"t1,t2"} or
//     {"white_list":"t1,t2"} and starts a job (named after the operation)
//     during which the configuration shows is_tables_change and
//     new_table_repl_config; once it completes, table_repl_config holds the
//     new tables; once it fails (Server.FailNextJob), the tables stay and
//     last_error_of_alter_table holds the fail reason. The other list type
//     is refused (400 CodeScopeTypeChange), a malformed value too (400
//     CodeInvalidParameter), and a change while the task is being created or
//     another change runs (409 CodeInstanceBusy). Server.SetTableScope sets
//     a scope the API cannot reach, such as a white list.
//   - DeleteClickHouseDataBaseConfig stops the change in progress at once:
//     its job ends Failed, the task keeps its tables, and the stop's own job
//     runs the usual lifecycle. Without a change in progress it answers 400
//     CodeNoScopeChange.
//
// # Control routes, for tests in other languages
//
// With WithControl, the fake also serves routes under ControlPrefix
// (/_fake/) that drive it over HTTP as a Go test drives it with the
// Server's methods. They need no credentials, answer only requests from a
// loopback address (403 CodeControlForbidden otherwise), are not recorded,
// throttled or faulted, and refuse a body that is not the JSON they take
// (an unknown field too) with 400 CodeControlInvalid and a message naming
// what is wrong. Actions answer 204; an unknown task, job or route answers
// 404 CodeControlNotFound.
//
//	# Show a task abnormal (Server.SetReplicationState); the answer is
//	# the task as ListClickHouseDataBaseReplication now shows it. Percent-
//	# encode the database name; stage and catchup_stage may be left out (null).
//	curl -X POST -H 'Content-Type: application/json' http://127.0.0.1:8080/_fake/replications/$INSTANCE/shop/state \
//	  -d '{"status":"abnormal","stage":"full","catchup_stage":"failed","percentage":37}'
//
//	# Answer the next create with an HTML 503 (Server.InjectFault): operation
//	# (an operationId; left out: every request), times (0: once, -1: until
//	# cleared), delay (a duration such as "1.5s"), status (0: serve after
//	# the delay, or 200 to 999), headers (name to value) and body (a string).
//	curl -X POST -H 'Content-Type: application/json' http://127.0.0.1:8080/_fake/faults \
//	  -d '{"operation":"CreateClickHouseDataBaseReplication","status":503,"body":"<html>503</html>"}'
//	curl -X DELETE http://127.0.0.1:8080/_fake/faults   # Server.ClearFaults
//
//	# Make the next job end Failed (Server.FailNextJob); the body is optional.
//	curl -X POST -H 'Content-Type: application/json' http://127.0.0.1:8080/_fake/jobs/fail-next -d '{"reason":"source binlog is disabled"}'
//
//	# Move jobs (JobsManual): every unfinished job, or one, steps steps (default 1);
//	# then end them all.
//	curl -X POST -H 'Content-Type: application/json' http://127.0.0.1:8080/_fake/jobs/advance -d '{"steps":2}'
//	curl -X POST -H 'Content-Type: application/json' http://127.0.0.1:8080/_fake/jobs/advance -d '{"job_id":"'$JOB'"}'
//	curl -X POST -H 'Content-Type: application/json' http://127.0.0.1:8080/_fake/jobs/finish
//
//	# Throttle beyond 5 requests a second per credential (0: no limit).
//	curl -X POST -H 'Content-Type: application/json' http://127.0.0.1:8080/_fake/rate-limit -d '{"per_second":5}'
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
// # Example to check that a client copes with the service's behaviour
//
//	// Jobs take 500ms and are hidden for their first 200ms; a write to an
//	// instance that runs a job is refused with 409 DBS.200019.
//	s, err := fake.NewServer(fake.WithJobDuration(500*time.Millisecond),
//		fake.WithJobVisibilityDelay(200*time.Millisecond), fake.WithOneOperationPerInstance())
//	// ... create a replication and, at once, another one on the same
//	// instance, then wait for both jobs: the client under test must retry
//	// the second create and wait out the first answers about each job.
//	busy := 0
//	for _, r := range s.Requests() {
//		if r.Status == http.StatusConflict {
//			busy++ // a write the client had to send again
//		}
//	}
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
//	job, _ := s.Job(jobID)   // what ShowGaussMySqlJobInfo shows (even while hidden)
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
