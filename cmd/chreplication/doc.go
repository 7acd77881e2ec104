// Command chreplication manages the replications (data synchronization
// tasks) that copy a GaussDB(for MySQL) database into the ClickHouse node of
// an instance, through the Huawei Cloud API, and serves a fake of that API for
// trying things out and for testing clients.
//
// Try it first, with no account and no network (from a clone, `make demo`):
//
//	chreplication demo
//
// # Commands
//
//	chreplication create --instance-id I --source-instance-id S --source-database D [--source-node-id N] [--wait]
//	chreplication list   --instance-id I [--limit N --offset N | --all]
//	chreplication delete --instance-id I --database D [--wait]
//	chreplication job    --job-id J
//	chreplication wait   --job-id J
//	chreplication databases --instance-id I [--name NAME] [--limit N --offset N | --all]
//	chreplication params    --instance-id I
//	chreplication check     --instance-id I --source-instance-id S --source-database D [--source-node-id N]
//	                        [--param NAME=VALUE ...] [--include-tables T,... | --exclude-tables T,...] [--table-config 'T=CLAUSES' ...]
//	chreplication config    --instance-id I --database D
//	chreplication scope     --instance-id I --source-instance-id S --database D (--include-tables T,... | --exclude-tables T,...) [--source-node-id N] [--wait]
//	chreplication scope     --instance-id I --database D --cancel [--wait]
//	chreplication apply  -f FILE [--prune] [--dry-run] [--confirm-wait 30s]
//	chreplication watch    (--instance-id I ... | -f FILE) [--interval D] [--exit-on-abnormal]
//	chreplication exporter --listen ADDR (--instance-id I ... | -f FILE) [--refresh D]
//	chreplication fake   [--addr 127.0.0.1:8080] [--rate-limit N] [--control=false] [--job-duration 2s] [--quiet]
//	chreplication demo   [--job-duration 1.5s]
//	chreplication version | completion bash|zsh|fish|powershell
//
// `chreplication help` lists them, `chreplication COMMAND --help` shows a
// command's own flags, the API flags and an example, and `chreplication help
// environment` the variables the API commands read. Flags are GNU-style
// (--flag value, --flag=value, -f FILE). Every problem of a command line
// (unknown flags, bad values, stray arguments, missing flags, the endpoint,
// the project, the credentials) is reported in one message, exit 2.
//
// The API commands (create, list, delete, job, wait, databases, params,
// check, config, scope, apply, watch, exporter) also take:
//
//	--endpoint URL     the API endpoint, or
//	--region NAME      a Huawei Cloud region such as cn-north-4
//	--project-id ID    the project
//	--language L       en-us or zh-cn, the language of the API's error messages
//	--timeout D        give up after D (such as 30s or 10m), waiting included
//	--output F         text (default) or json
//	--insecure-http    allow a plain http:// endpoint on a host that is not loopback
//	                   (refused otherwise, exit 2: credentials would travel in clear text)
//	--rate-limit N     at most N requests a second for the whole run (HUAWEICLOUD_SDK_RATE_LIMIT)
//	--verbose          every wait of the client in full, one line per look
//
// The waits the client expects (a job not visible yet, an instance busy with
// another operation, a request throttled by the API gateway) are quiet: on a
// terminal they show in the job's live progress line, otherwise as one short
// line on stderr per job, operation or kind ("chreplication: waiting: job J
// not visible yet"); --verbose prints each in full, with the answer's HTTP
// status, error code, message and request ID.
//
// create, delete and scope (with --wait), wait and apply also take
// --poll-interval D, the shortest time between two looks at the job
// (default 1s): the job's progress predicts its end and the wait looks just
// after it; while no prediction is possible the delay starts at D and
// doubles up to ten times D (at most 15s, unless D is longer), which is
// also the longest time between two looks.
//
// # Environment
//
// A flag, when given, wins over its variable.
//
//	HUAWEICLOUD_SDK_PROJECT_ID   the project (--project-id)
//	HUAWEICLOUD_SDK_REGION       the region (--region)
//	HUAWEICLOUD_SDK_ENDPOINT     the endpoint (--endpoint); this CLI's own variable, which
//	                             `chreplication fake` prints. It wins over HUAWEICLOUD_SDK_REGION,
//	                             but --region wins over it.
//
// Credentials come only from the environment, never from flags (a flag such as
// --token or --password is refused with exit code 2). The first way that is
// set wins:
//
//	HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK [, HUAWEICLOUD_SDK_SECURITY_TOKEN]  AK/SK signature
//	HUAWEICLOUD_AUTH_TOKEN                                                    an IAM token (X-Auth-Token)
//	HUAWEICLOUD_IAM_USER, HUAWEICLOUD_IAM_PASSWORD, HUAWEICLOUD_IAM_DOMAIN     an IAM password token
//	                                                                          (HUAWEICLOUD_SDK_IAM_ENDPOINT
//	                                                                          overrides the IAM host)
//
// --project-id and --region are passed on to the credentials too: they set
// the AK/SK signature's X-Project-Id and the IAM token's project and host.
//
// Tracing and metrics are exported with OpenTelemetry only when the
// standard environment asks for them: OTEL_EXPORTER_OTLP_ENDPOINT (or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_EXPORTER_OTLP_METRICS_ENDPOINT)
// names an OTLP/HTTP collector, OTEL_TRACES_EXPORTER and
// OTEL_METRICS_EXPORTER are otlp or none, OTEL_EXPORTER_OTLP_HEADERS are
// sent to the collector (never over plain http to a host that is not
// loopback), OTEL_SERVICE_NAME names the service (chreplication), and
// OTEL_SDK_DISABLED=true turns it all off. Each call is a span, parent of
// its HTTP attempts; the spans and metrics are exported before the command
// exits.
//
// # Output
//
// Text output is meant for people. With --output json, stdout carries
// exactly one JSON document:
//
//	create, delete, scope    {"job_id": "..."}
//	the same with --wait     {"job_id": "...", "job": {...}}   (the job as last seen, also when the wait failed)
//	job, wait                {"id": "...", "name": "...", "status": "Completed", "created": "...", "ended": "...",
//	                          "instance": {"id": "...", "name": "..."}}
//	                         ("process": "60%" only while the job is Running: the service sends "" otherwise;
//	                          "fail_reason": "..." for a Failed job)
//	list                     {"total_count": N, "replications": [{"source_database": "...", "target_database": "...",
//	                          "status": "normal", "stage": "...", "catchup_stage": "incremental", "percentage": 100}]}
//	databases                {"total_count": N, "databases": ["..."]}
//	params                   {"parameters": [{"name": "max_sync_threads", "data_type": "Integer", "default": "1",
//	                          "range": "1-2", "description": "..."}]}
//	check                    {"database": "...", "passed": false, "settings": [{"name": "...", "value": "...", "result": "fail"}],
//	                          "tables": [{"table": "...", "config": "ORDER BY id", "result": "success"}]}
//	                         ("tables" with --table-config only)
//	config                   {"source_instance_id": "...", "source_node_id": "...", "database": "...",
//	                          "settings": [...], "tables": [...], "scope": {"mode": "black_list", "tables": ["..."]},
//	                          "changing": true, "pending": {"mode": "black_list", "tables": ["..."]},
//	                          "last_alter_error": "..."}   (source_node_id, pending, last_alter_error when set)
//	apply                    {"changes": [{"instance_id": "...", "database": "...", "action": "create|delete|none",
//	                          "job_id": "...", "result": "done|planned|failed|abnormal|running", "error": "..."}]}
//	                         ("job_id_lost": true when the answer with the job ID was lost)
//	a failure                {"error": {"kind": "api", "message": "...", "status": 400, "code": "DBS.200543",
//	                          "request_id": "...", "exit_code": 1}}   (plus "job_id" and "job" where there is a job;
//	                          "problems": [...] for several usage problems; kind is usage, invalid_file, api, iam,
//	                          network, timeout, interrupted, job_failed, check_failed or error)
//
// wait on a Failed job prints the job object with an "error" member, a
// failing check its verdicts with one; a setting that fails has "why"
// ("unknown parameter", or the value against the range) and the
// parameter's "data_type" and "allowed" range or values.
//
// Empty job fields are left out; created and ended are RFC 3339 times. With
// list --all and databases --all, total_count is the number listed.
//
// While waiting, the job's progress is drawn as one live line on a terminal
// ("job 18ef0a2b… Running 40%") and as one line per change otherwise; with
// --output json it goes to stderr, so that stdout stays one document.
//
// # Exit codes
//
//	0  success
//	1  the API or the network answered with an error; stderr names the HTTP status, error_code,
//	   error_msg and request ID
//	2  usage error or invalid input (a missing flag, a bad ID, an unknown region, no credentials):
//	   nothing was sent
//	3  the waited job ended Failed; stderr shows its fail_reason (apply: a job ended Failed or an
//	   abnormal task was left alone, and no error of kind 1)
//	4  check: a setting or a table configuration fails (the verdicts are printed all the same)
//	5  watch --exit-on-abnormal: a look showed a task whose status is not normal
//	130 interrupted (Ctrl-C, SIGTERM): the jobs still running on the service are listed on stderr first
//
// # The synchronisation workflow
//
// databases lists what the ClickHouse node of an instance can synchronise,
// params the parameters of a database replication with their defaults and
// ranges, config a replication's configuration (its table scope, a scope
// change in progress, its parameters with the service's verdicts, its table
// configurations).
//
// check sends parameter values (--param, repeated), a table scope and, with
// --table-config (repeated), table configurations for the service to judge;
// it runs the table check only then. The values are the service's to judge
// and are sent as given; a --param or --table-config without '=' is a usage
// error (exit 2, nothing sent). A check applies nothing, and this API version
// cannot apply most of what it judges: a new replication (create) copies
// every table with the default parameters, and takes neither parameters nor
// a table scope.
//
// scope changes the tables of a replication's list and starts a job
// (--wait follows it); --cancel stops a change that has not finished.
// The list's type never changes: a new replication has an exclude list
// (black_list) with no tables, so --exclude-tables with the tables to leave
// out is what applies ("" for every table again), and an include list
// (white_list) cannot be reached through this API version. --include-tables
// on a replication with an exclude list is refused by the service (exit 1),
// and stderr says so (the second line is wrapped here):
//
//	chreplication scope: API error: HTTP 400 Bad Request from PUT ..., error_code ..., request ID ...
//	  this API version changes only the tables of a replication's list, not its type: "shop" has an
//	  exclude list (black_list), so --include-tables cannot be applied; give --exclude-tables with the new tables
//
// # Apply
//
// `chreplication apply -f FILE` makes the replications of the instances a
// YAML (or JSON) file names match it; '-f -' reads standard input:
//
//	replications:
//	  - instance_id: 54e42160670e48e789af7075e1efea1fin16
//	    source_instance_id: ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07
//	    source_node_id: ""        # optional
//	    databases: [shop, sales]
//
// Unknown keys, bad IDs and bad database names are refused before anything
// is sent (exit 2). apply prints the plan, creates what is missing (with
// --prune, deletes what the file no longer names), one operation at a time
// per instance and the instances in parallel, follows each job and prints a
// summary; --dry-run only plans. It never creates a database twice, even
// when answers are lost, so running it again is always safe. An abnormal
// task is left alone and reported.
//
// # Monitoring
//
// `chreplication watch` looks at every replication of the instances named by
// --instance-id (repeated) or by an apply file (-f) every --interval, within
// the run's request budget, and prints one line per change: a task appearing
// or disappearing, its status, stage, catch-up stage or percentage changing,
// a look failing or recovering; with --output json, one JSON object per line.
// --exit-on-abnormal exits 5 once a task is not normal.
//
// `chreplication exporter --listen ADDR` serves the same state as Prometheus
// metrics on /metrics (and /healthz), refreshed in the background every
// --refresh (default 1m) so that a scrape never calls the API; the alert
// rules for them are in deploy/prometheus/alerts.yaml. Both are built on the
// library packages monitor and exporter.
//
// # The fake
//
// `chreplication fake` serves the fake API (package fake) until interrupted
// and prints the endpoint, project and credentials to use as shell export
// lines. It accepts the credentials set in the environment, never printing
// them, and makes up the others. On 0.0.0.0 it prints the loopback address
// of its port and warns that it listens on every interface; on a loopback
// address it serves the control routes under /_fake/ too; --rate-limit N
// makes it throttle as the API gateway does.
package main
