package contract_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/auth"
	"github.com/gaussdb-tools/chreplication/fake"
)

// newFacade returns a facade client on s that sends through hc (the
// validating transport) with a, or the fake's token when a is nil.
func newFacade(t testing.TB, s *fake.Server, hc *http.Client, a auth.Authenticator, opts ...chreplication.Option) *chreplication.Client {
	t.Helper()
	if a == nil {
		a = auth.StaticToken(s.Token())
	}
	c, err := chreplication.NewClient(s.URL(), append([]chreplication.Option{
		chreplication.WithProjectID(s.ProjectID()),
		chreplication.WithAuth(a),
		chreplication.WithHTTPClient(hc),
		chreplication.WithRetry(chreplication.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}),
	}, opts...)...)
	require.NoError(t, err)
	return c
}

var fastPoll = chreplication.WithPollInterval(time.Millisecond, 5*time.Millisecond)

// lifecycle drives every facade method once, through the validating
// transport, and checks what the fake holds after each step.
func lifecycle(t *testing.T, s *fake.Server, c *chreplication.Client, database string) {
	t.Helper()
	ctx := t.Context()
	jobID, err := c.CreateReplication(ctx, seedInstance, chreplication.CreateReplicationRequest{
		SourceInstanceID: "5d3c0a0f1bb14a2e9d1e0b6b2c3d4e5fin01", SourceDatabase: database})
	require.NoError(t, err)
	require.NotEmpty(t, jobID)

	job, err := c.Job(ctx, jobID)
	require.NoError(t, err)
	assert.Equal(t, jobID, job.ID)

	var seen []chreplication.JobStatus
	job, err = c.WaitJob(ctx, jobID, fastPoll, chreplication.WithProgress(func(j *chreplication.Job) { seen = append(seen, j.Status) }))
	require.NoError(t, err)
	assert.Equal(t, chreplication.JobCompleted, job.Status)
	assert.Contains(t, seen, chreplication.JobCompleted)
	assert.False(t, job.Created.IsZero(), "created parses")
	assert.False(t, job.Ended.IsZero(), "ended parses")
	assert.Equal(t, seedInstance, job.Instance.ID)

	page, err := c.ListReplications(ctx, seedInstance, chreplication.ListOptions{Limit: 10})
	require.NoError(t, err)
	require.Equal(t, 1, page.TotalCount)
	assert.Equal(t, database, page.Replications[0].SourceDatabase)
	assert.Equal(t, chreplication.ReplicationNormal, page.Replications[0].Status)

	n := 0
	for r, err := range c.AllReplications(ctx, seedInstance) {
		require.NoError(t, err)
		assert.Equal(t, database, r.SourceDatabase)
		n++
	}
	assert.Equal(t, 1, n)

	workflow(t, c, database)

	delJob, err := c.DeleteReplication(ctx, seedInstance, database)
	require.NoError(t, err)
	_, err = c.WaitJob(ctx, delJob, fastPoll)
	require.NoError(t, err)
	assert.Empty(t, s.Replications(seedInstance))
}

// workflow drives the workflow methods on the replication of database:
// databases, parameters, checks, configuration, a scope change waited for,
// one stopped, and the two refusals (a mode change, a stop with nothing
// pending).
func workflow(t *testing.T, c *chreplication.Client, database string) {
	t.Helper()
	ctx := t.Context()
	const source = "5d3c0a0f1bb14a2e9d1e0b6b2c3d4e5fin01"

	page, err := c.ListDatabases(ctx, seedInstance, chreplication.DatabaseListOptions{Limit: 2})
	require.NoError(t, err)
	assert.Len(t, page.Databases, 2)
	var all []string
	for db, err := range c.AllDatabases(ctx, seedInstance, "") {
		require.NoError(t, err)
		all = append(all, db)
	}
	assert.Len(t, all, page.TotalCount)
	assert.Contains(t, all, database, "a synchronised database is listed")

	params, err := c.DatabaseParameters(ctx, seedInstance)
	require.NoError(t, err)
	require.Len(t, params, 11)
	for _, p := range params {
		assert.NoError(t, p.CheckValue(p.Default), p.Name)
	}

	check := chreplication.CheckRequest{SourceInstanceID: source, SourceDatabase: database,
		Settings: []chreplication.Setting{{Name: "max_sync_threads", Value: "2"}}}
	dc, err := c.CheckDatabaseConfig(ctx, seedInstance, check)
	require.NoError(t, err)
	assert.True(t, dc.Passed())
	check.Settings = []chreplication.Setting{{Name: "max_sync_threads", Value: "3"}}
	dc, err = c.CheckDatabaseConfig(ctx, seedInstance, check)
	require.NoError(t, err)
	assert.False(t, dc.Passed(), "3 is outside 1-2")
	check.Tables = []chreplication.TableConfig{{Table: "orders", Config: "ORDER BY id"}, {Table: "audit", Config: "ENGINE = Log"}}
	tc, err := c.CheckTableConfig(ctx, seedInstance, check)
	require.NoError(t, err)
	require.Len(t, tc.Tables, 2)
	assert.True(t, tc.Tables[0].Passed())
	assert.False(t, tc.Tables[1].Passed())

	cfg, err := c.ShowReplicationConfig(ctx, seedInstance, database)
	require.NoError(t, err)
	assert.Equal(t, chreplication.TableScope{Mode: chreplication.ScopeExclude, Tables: []string{}}, cfg.Scope, "a new replication copies every table")
	assert.False(t, cfg.Changing)

	scope := chreplication.TableScope{Mode: chreplication.ScopeExclude, Tables: []string{"audit_log", "tmp"}}
	jobID, err := c.UpdateScope(ctx, seedInstance, chreplication.ScopeUpdate{SourceInstanceID: source, Database: database, Scope: scope})
	require.NoError(t, err)
	_, err = c.WaitJob(ctx, jobID, fastPoll)
	require.NoError(t, err)
	cfg, err = c.ShowReplicationConfig(ctx, seedInstance, database)
	require.NoError(t, err)
	assert.Equal(t, scope, cfg.Scope)
	assert.False(t, cfg.Changing)

	_, err = c.UpdateScope(ctx, seedInstance, chreplication.ScopeUpdate{SourceInstanceID: source, Database: database,
		Scope: chreplication.TableScope{Mode: chreplication.ScopeInclude, Tables: []string{"orders"}}})
	require.ErrorIs(t, err, chreplication.ErrScopeModeChange)

	_, err = c.CancelScopeUpdate(ctx, seedInstance, database)
	var apiErr *chreplication.APIError
	require.ErrorAs(t, err, &apiErr, "nothing is pending")
	assert.Equal(t, http.StatusBadRequest, apiErr.StatusCode)

	jobID, err = c.UpdateScope(ctx, seedInstance, chreplication.ScopeUpdate{SourceInstanceID: source, Database: database,
		Scope: chreplication.TableScope{Mode: chreplication.ScopeExclude}})
	require.NoError(t, err)
	cfg, err = c.ShowReplicationConfig(ctx, seedInstance, database)
	require.NoError(t, err)
	assert.True(t, cfg.Changing)
	require.NotNil(t, cfg.Pending)
	stopJob, err := c.CancelScopeUpdate(ctx, seedInstance, database)
	require.NoError(t, err)
	_, err = c.WaitJob(ctx, stopJob, fastPoll)
	require.NoError(t, err)
	_, err = c.WaitJob(ctx, jobID, fastPoll)
	require.ErrorIs(t, err, chreplication.ErrJobFailed, "a stopped change ends Failed")
	cfg, err = c.ShowReplicationConfig(ctx, seedInstance, database)
	require.NoError(t, err)
	assert.Equal(t, scope, cfg.Scope, "a stopped change keeps the previous scope")
}

// TestFacadeThroughValidatingTransport: every facade method, with each way
// of authenticating, exchanges only requests and answers the spec allows
// (newValidatedFake fails the test on any violation), and the fake accepts
// the credentials.
func TestFacadeThroughValidatingTransport(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		database string
		auth     func(s *fake.Server) auth.Authenticator
	}{
		{"static token", "sales", nil},
		{"static token, name with spaces and non-ASCII", "my db ü 日本", nil},
		{"AK/SK", "sales", func(s *fake.Server) auth.Authenticator {
			ak, sk := s.AccessKey()
			return auth.AKSK{AccessKey: ak, SecretKey: sk, ProjectID: s.ProjectID()}
		}},
		{"AK/SK, name with spaces and non-ASCII", "my db ü 日本", func(s *fake.Server) auth.Authenticator {
			ak, sk := s.AccessKey()
			return auth.AKSK{AccessKey: ak, SecretKey: sk, ProjectID: s.ProjectID()}
		}},
		{"IAM password token", "sales", func(s *fake.Server) auth.Authenticator {
			domain, user, password := s.IAMUser()
			return auth.TokenAuth(auth.PasswordTokenSource{Endpoint: s.IAMEndpoint(), Domain: domain, User: user, Password: password, ProjectID: s.ProjectID()})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, hc, _ := newValidatedFake(t, fake.WithJobMode(fake.JobsStepOnPoll))
			var a auth.Authenticator
			if tt.auth != nil {
				a = tt.auth(s)
			}
			c := newFacade(t, s, hc, a, chreplication.WithLanguage("zh-cn"))
			lifecycle(t, s, c, tt.database)
			for _, r := range s.Requests() {
				if r.Operation != fake.OperationIAMToken {
					assert.True(t, r.Authenticated, "%s %s was not authenticated", r.Method, r.Path)
				}
			}
		})
	}
}

// TestFacadeSendsTheSeedExample: for the seed's inputs the facade sends
// exactly the seed's example body to the seed's path.
func TestFacadeSendsTheSeedExample(t *testing.T) {
	t.Parallel()
	s, hc, _ := newValidatedFake(t)
	c := newFacade(t, s, hc, nil)
	_, err := c.CreateReplication(t.Context(), seedInstance, chreplication.CreateReplicationRequest{
		SourceInstanceID: "source_instance_id", SourceNodeID: "source_node_id", SourceDatabase: "source_database"})
	require.NoError(t, err)
	reqs := s.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, http.MethodPost, reqs[0].Method)
	assert.Equal(t, "/v3/"+seedProject+"/instances/"+seedInstance+"/clickhouse/replication", reqs[0].Path)
	assert.JSONEq(t, seedBody, string(reqs[0].Body))
}

// TestFacadeErrorsFromTheFake: the fake's own error answers reach the
// caller as *APIError with code, message and request ID.
func TestFacadeErrorsFromTheFake(t *testing.T) {
	t.Parallel()
	s, hc, _ := newValidatedFake(t)
	c := newFacade(t, s, hc, nil)
	_, err := c.DeleteReplication(t.Context(), seedInstance, "nothing here")
	var apiErr *chreplication.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusBadRequest, apiErr.StatusCode)
	assert.NotEmpty(t, apiErr.Code)
	assert.NotEmpty(t, apiErr.Message)
	assert.NotEmpty(t, apiErr.RequestID)

	bad := newFacade(t, s, hc, auth.StaticToken("not-the-token"), chreplication.WithoutRetry())
	_, err = bad.ListReplications(t.Context(), seedInstance, chreplication.ListOptions{})
	assert.True(t, chreplication.IsUnauthorized(err), "got %v", err)
}

// TestIAMTokenRefreshAfterExpiry: with a short token lifetime the fake
// answers 401 to an expired IAM token; the client drops it, fetches a new
// one from the fake's IAM endpoint and re-sends the request once.
func TestIAMTokenRefreshAfterExpiry(t *testing.T) {
	t.Parallel()
	s, hc, _ := newValidatedFake(t, fake.WithTokenLifetime(1500*time.Millisecond)) // long enough for the first call on a loaded machine
	domain, user, password := s.IAMUser()
	var fetches atomic.Int64
	src := auth.TokenSourceFunc(func(ctx context.Context) (auth.Token, error) {
		fetches.Add(1)
		tok, err := auth.PasswordTokenSource{Endpoint: s.IAMEndpoint(), Domain: domain, User: user, Password: password, ProjectID: s.ProjectID()}.Token(ctx)
		// The fake's lifetime is shorter than any refresh margin: claim a
		// long one so the cache keeps the token until the API refuses it.
		tok.ExpiresAt = time.Now().Add(time.Hour)
		return tok, err
	})
	c := newFacade(t, s, hc, auth.TokenAuth(src))
	_, err := c.ListReplications(t.Context(), seedInstance, chreplication.ListOptions{})
	require.NoError(t, err)
	require.Equal(t, int64(1), fetches.Load())

	time.Sleep(1600 * time.Millisecond) // let the fake's token expire
	s.ResetRequests()
	_, err = c.ListReplications(t.Context(), seedInstance, chreplication.ListOptions{})
	require.NoError(t, err)
	assert.Equal(t, int64(2), fetches.Load(), "one new token")
	var statuses []int
	for _, r := range s.Requests() {
		if r.Operation == "ListClickHouseDataBaseReplication" {
			statuses = append(statuses, r.Status)
		}
	}
	assert.Equal(t, []int{http.StatusUnauthorized, http.StatusOK}, statuses, "one 401, then the retry with the new token")
}

// TestWaitJobAgainstFake: Completed returns the job; a failure injected in
// the fake returns ErrJobFailed with the reason; cancelling returns at once.
func TestWaitJobAgainstFake(t *testing.T) {
	t.Parallel()
	create := func(t *testing.T, c *chreplication.Client, db string) string {
		id, err := c.CreateReplication(t.Context(), seedInstance, chreplication.CreateReplicationRequest{SourceInstanceID: "src01", SourceDatabase: db})
		require.NoError(t, err)
		return id
	}
	t.Run("completed", func(t *testing.T) {
		t.Parallel()
		s, hc, _ := newValidatedFake(t, fake.WithJobMode(fake.JobsStepOnPoll))
		c := newFacade(t, s, hc, nil)
		id := create(t, c, "a")
		var percents []int
		job, err := c.WaitJob(t.Context(), id, fastPoll, chreplication.WithProgress(func(j *chreplication.Job) {
			p, _ := j.Percent()
			percents = append(percents, p)
		}))
		require.NoError(t, err)
		assert.Equal(t, chreplication.JobCompleted, job.Status)
		assert.IsNonDecreasing(t, percents)
		assert.Equal(t, 100, percents[len(percents)-1])
		assert.Equal(t, 6, s.RequestCount("ShowGaussMySqlJobInfo"))
	})
	t.Run("failed", func(t *testing.T) {
		t.Parallel()
		s, hc, _ := newValidatedFake(t, fake.WithJobMode(fake.JobsStepOnPoll))
		c := newFacade(t, s, hc, nil)
		s.FailNextJob("source binlog is disabled")
		id := create(t, c, "b")
		job, err := c.WaitJob(t.Context(), id, fastPoll)
		require.ErrorIs(t, err, chreplication.ErrJobFailed)
		require.NotNil(t, job)
		assert.Equal(t, chreplication.JobFailed, job.Status)
		assert.Equal(t, "source binlog is disabled", job.FailReason)
		assert.Contains(t, err.Error(), "source binlog is disabled")
	})
	t.Run("cancelled", func(t *testing.T) {
		t.Parallel()
		s, hc, _ := newValidatedFake(t, fake.WithJobMode(fake.JobsManual))
		c := newFacade(t, s, hc, nil)
		id := create(t, c, "c")
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		job, err := c.WaitJob(ctx, id, chreplication.WithPollInterval(time.Hour, time.Hour))
		require.ErrorIs(t, err, context.Canceled)
		assert.Less(t, time.Since(start), time.Second)
		require.NotNil(t, job)
		assert.Equal(t, chreplication.JobPending, job.Status)
	})
}

// TestSharedClientUnderLoad: 200 goroutines share one client against the
// fake (run with -race).
func TestSharedClientUnderLoad(t *testing.T) {
	t.Parallel()
	s, hc, _ := newValidatedFake(t, fake.WithJobMode(fake.JobsManual))
	c := newFacade(t, s, hc, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 200 {
		wg.Go(func() {
			var err error
			switch i % 3 {
			case 0:
				_, err = c.CreateReplication(t.Context(), seedInstance, chreplication.CreateReplicationRequest{SourceInstanceID: "src01", SourceDatabase: "db" + string(rune('a'+i%26)) + string(rune('a'+i/26))})
			case 1:
				_, err = c.ListReplications(t.Context(), seedInstance, chreplication.ListOptions{Limit: 100})
			default:
				_, err = c.Job(t.Context(), "00000000-0000-0000-0000-000000000000")
				var apiErr *chreplication.APIError
				if errors.As(err, &apiErr) {
					err = nil // an unknown job is an API error: fine here
				}
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
	assert.Len(t, s.Replications(seedInstance), 67)
}
