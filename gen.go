// Package chreplication is a Go client for the Huawei Cloud GaussDB(for
// MySQL) (TaurusDB) API that synchronises a MySQL database into the
// instance's ClickHouse node: create, list and delete data synchronization
// tasks ("replications") and follow the asynchronous jobs they start.
//
// It is a thin, hand-written facade over the client oapi-codegen generates
// from openapi.yaml (package generated), which is the engine of every call.
// The data flows one way: openapi.yaml → generated (request builders,
// models, response parsers) → the facade (input checks, friendly types,
// typed errors) → the auth request editor (an auth.Authenticator's
// Authenticate is a generated.RequestEditorFn) → the transport (the
// generated.HttpRequestDoer the facade hands the generated client: retries,
// size limits, redirects refused, one re-authentication after a 401). The
// facade never builds a path or decodes a wire model by hand, so a change to
// the spec reaches it through go generate.
//
// The facade checks input before sending anything, authenticates every
// request (package auth: IAM token, AK/SK signature, or an IAM password
// token that refreshes itself), retries what is safe to retry, reads
// answers through a size limit and turns every failure into a typed error.
//
// # Operations
//
// Replications (data synchronization tasks):
//   - Client.CreateReplication, Client.DeleteReplication: start the job
//     that creates or deletes a task; they return its job ID.
//   - Client.ListReplications (one page), Client.AllReplications (every
//     task, an iterator that fetches the pages).
//   - Client.EnsureReplication, Client.EnsureReplicationAbsent: create a
//     task only if it is absent, delete it only if it is present; safe to
//     call again after any error (options WithConfirmWait and
//     WithoutFirstLook).
//
// Jobs: Client.Job (one look), Client.WaitJob (until it ends).
//
// The rest of the workflow:
//   - Client.ListDatabases, Client.AllDatabases: the instance's databases.
//   - Client.DatabaseParameters: the parameters a replication takes.
//   - Client.CheckDatabaseConfig, Client.CheckTableConfig: judge settings
//     before applying them.
//   - Client.ShowReplicationConfig: a task's configuration.
//   - Client.UpdateScope, Client.CancelScopeUpdate: change the tables a
//     task copies, or stop a change not finished.
//
// Options of NewClient: WithProjectID and WithAuth (required),
// WithHTTPClient, WithLanguage, WithUserAgent, WithTimeout, WithRetry,
// WithoutRetry, WithMaxResponseBytes, WithRateLimit, WithEventHook and
// WithInsecureHTTP.
//
// # Example to create a replication and wait for it
//
//	endpoint, err := chreplication.RegionEndpoint("cn-north-4")
//	if err != nil { ... }
//	c, err := chreplication.NewClient(endpoint,
//		chreplication.WithProjectID(projectID),
//		chreplication.WithAuth(auth.StaticToken(token)))
//	if err != nil { ... }
//	jobID, err := c.CreateReplication(ctx, instanceID, chreplication.CreateReplicationRequest{
//		SourceInstanceID: sourceInstanceID,
//		SourceDatabase:   "sales",
//	})
//	if err != nil { ... }
//	job, err := c.WaitJob(ctx, jobID)
//
// # Errors
//
//   - Bad input gives an error wrapping ErrInvalidRequest (an
//     *InvalidRequestError names the field); nothing is sent.
//   - Every answer whose status is not 2xx gives an *APIError with the
//     status, the error code and message when the body has them, and the
//     X-Request-Id, whatever the body is (JSON, HTML, text or empty).
//   - A 2xx answer that cannot be used (empty, malformed, no job ID) gives
//     an error wrapping ErrInvalidResponse; one over the size limit,
//     ErrResponseTooLarge.
//   - Network errors and the end of the context are returned wrapped, so
//     errors.Is(err, context.DeadlineExceeded) works.
//   - WaitJob returns an error wrapping ErrJobFailed when the job fails.
//
// No error, log line or formatted value holds a token, secret key or
// password.
//
// # Retries and the request budget
//
// Reads (list, job) are retried on 502, 503, 504 and network errors;
// writes (create, delete) only when the request certainly never reached the
// service (no connection could be made), so a retry never starts a second
// task. Any call throttled by the API gateway (429) or refused because the
// instance is busy with another operation (409 with a busy code) is sent
// again until the call's deadline: neither changed anything. Every request
// of a Client passes one request budget (WithRateLimit); a 429 lowers the
// whole client's rate, which climbs back once answers pass. See
// RetryPolicy, WithRateLimit and WithEventHook.
package chreplication

//go:generate go tool oapi-codegen -config generated/cfg.yaml openapi.yaml
