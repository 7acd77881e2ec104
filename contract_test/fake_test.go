package contract_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication/fake"
	"github.com/gaussdb-tools/chreplication/generated"
)

// newGeneratedClient returns the generated client for s, sending through
// httpClient with the fake's static token.
func newGeneratedClient(t *testing.T, s *fake.Server, httpClient *http.Client) *generated.ClientWithResponses {
	t.Helper()
	c, err := generated.NewClientWithResponses(s.URL(),
		generated.WithHTTPClient(httpClient),
		generated.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
			req.Header.Set("X-Auth-Token", s.Token())
			return nil
		}))
	require.NoError(t, err)
	return c
}

func ptr[T any](v T) *T { return &v }

// TestGeneratedClientAgainstFake drives all four operations through the
// validating transport; newValidatedFake fails the test on any violation.
func TestGeneratedClientAgainstFake(t *testing.T) {
	t.Parallel()
	s, httpClient, tr := newValidatedFake(t, fake.WithJobMode(fake.JobsStepOnPoll))
	c := newGeneratedClient(t, s, httpClient)
	ctx := t.Context()
	lang := ptr(generated.XLanguageEnUs)

	// Create, with the seed's body.
	created, err := c.CreateClickHouseDataBaseReplicationWithResponse(ctx, seedProject, seedInstance,
		&generated.CreateClickHouseDataBaseReplicationParams{XLanguage: lang},
		generated.CreateReplicationRequest{
			SourceInstanceID: "source_instance_id",
			SourceNodeID:     "source_node_id",
			SourceDatabase:   "source_database",
		})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, created.StatusCode(), "body %s", created.Body)
	require.NotNil(t, created.JSON200)
	jobID := created.JSON200.JobID
	reqs := s.Requests()
	require.NotEmpty(t, reqs)
	assert.JSONEq(t, seedBody, string(reqs[len(reqs)-1].Body), "the generated client sends the seed's body")

	// A second, non-ASCII database with spaces, without a node.
	const db = "销售 数据 2024"
	again, err := c.CreateClickHouseDataBaseReplicationWithResponse(ctx, seedProject, seedInstance, nil,
		generated.CreateReplicationRequest{SourceInstanceID: "src01", SourceDatabase: db})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, again.StatusCode(), "body %s", again.Body)

	// Follow the first job to its end.
	var statuses []generated.JobStatus
	for range 6 {
		job, err := c.ShowGaussMySQLJobInfoWithResponse(ctx, seedProject, &generated.ShowGaussMySQLJobInfoParams{ID: jobID, XLanguage: lang})
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, job.StatusCode(), "body %s", job.Body)
		statuses = append(statuses, job.JSON200.Job.Status)
	}
	assert.Equal(t, []generated.JobStatus{
		generated.JobStatusPending, generated.JobStatusRunning, generated.JobStatusRunning,
		generated.JobStatusRunning, generated.JobStatusRunning, generated.JobStatusCompleted,
	}, statuses)

	// List, with and without paging parameters.
	page, err := c.ListClickHouseDataBaseReplicationWithResponse(ctx, seedProject, seedInstance,
		&generated.ListClickHouseDataBaseReplicationParams{Limit: ptr[int32](1), Offset: ptr[int32](1), XLanguage: ptr(generated.XLanguageZhCn)})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, page.StatusCode(), "body %s", page.Body)
	assert.EqualValues(t, 2, page.JSON200.TotalCount)
	require.Len(t, page.JSON200.Replications, 1)
	assert.Equal(t, db, page.JSON200.Replications[0].SourceDatabase)
	page, err = c.ListClickHouseDataBaseReplicationWithResponse(ctx, seedProject, seedInstance, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, page.StatusCode())
	assert.Len(t, page.JSON200.Replications, 2)

	// Delete the non-ASCII one (escaped in the path).
	deleted, err := c.DeleteClickHouseDataBaseReplicationWithResponse(ctx, seedProject, seedInstance, db, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, deleted.StatusCode(), "body %s", deleted.Body)
	assert.NotEmpty(t, deleted.JSON200.JobID)
	assert.Len(t, s.Replications(seedInstance), 1)

	// The fake's error answers keep the contract too.
	gone, err := c.DeleteClickHouseDataBaseReplicationWithResponse(ctx, seedProject, seedInstance, db, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusBadRequest, gone.StatusCode())
	assert.Equal(t, fake.CodeDatabaseNotFound, gone.JSON400.ErrorCode)

	unknown, err := c.ShowGaussMySQLJobInfoWithResponse(ctx, seedProject, &generated.ShowGaussMySQLJobInfoParams{ID: seedJobID})
	require.NoError(t, err)
	require.Equal(t, http.StatusBadRequest, unknown.StatusCode())
	assert.Equal(t, fake.CodeJobNotFound, unknown.JSON400.ErrorCode)

	dup, err := c.CreateClickHouseDataBaseReplicationWithResponse(ctx, seedProject, seedInstance, nil,
		generated.CreateReplicationRequest{SourceInstanceID: "src01", SourceDatabase: "source_database"})
	require.NoError(t, err)
	require.Equal(t, http.StatusBadRequest, dup.StatusCode())
	assert.Equal(t, fake.CodeReplicationExists, dup.JSON400.ErrorCode)

	assert.Empty(t, tr.Violations())
}

// TestFakeAnswersKeepTheContract sends requests the fake rejects and
// faults it injects, and checks that its answers keep the contract.
func TestFakeAnswersKeepTheContract(t *testing.T) {
	t.Parallel()
	s, httpClient, _ := newValidatedFake(t)
	c := newGeneratedClient(t, s, httpClient)
	ctx := t.Context()
	body := generated.CreateReplicationRequest{SourceInstanceID: "src01", SourceDatabase: "orders"}

	tests := []struct {
		name   string
		fault  *fake.Fault
		status int
	}{
		{"HTML 503", &fake.Fault{Status: 503, Body: []byte("<html>503</html>")}, 503},
		{"empty 502", &fake.Fault{Status: 502}, 502},
		{"throttled 429", &fake.Fault{Status: 429, Header: http.Header{"Retry-After": {"1"}},
			Body: []byte(`{"error_code":"APIGW.0308","error_msg":"The throttling threshold has been reached."}`)}, 429},
		{"truncated 500", &fake.Fault{Status: 500, Header: http.Header{"Content-Type": {"application/json"}},
			Body: []byte(`{"error_code":"DBS.2`)}, 500},
		{"served", nil, 200},
	}
	for _, tt := range tests {
		if tt.fault != nil {
			f := *tt.fault
			f.Operation = "CreateClickHouseDataBaseReplication"
			s.InjectFault(f)
		}
		// The raw client: the WithResponse one cannot parse a truncated body.
		resp, err := c.CreateClickHouseDataBaseReplication(ctx, seedProject, seedInstance, nil, body)
		require.NoError(t, err, tt.name)
		_, err = io.Copy(io.Discard, resp.Body)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		assert.Equal(t, tt.status, resp.StatusCode, tt.name)
	}

	// 401 from the fake (a wrong token is still a token: the request keeps
	// the contract).
	bad, err := generated.NewClientWithResponses(s.URL(), generated.WithHTTPClient(httpClient),
		generated.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
			req.Header.Set("X-Auth-Token", "wrong")
			return nil
		}))
	require.NoError(t, err)
	resp, err := bad.ListClickHouseDataBaseReplicationWithResponse(ctx, seedProject, seedInstance, nil)
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode())
	require.NotNil(t, resp.JSONDefault)
	assert.Equal(t, fake.CodeAuthFailed, resp.JSONDefault.ErrorCode)

	// 403 for another project.
	other, err := c.ListClickHouseDataBaseReplicationWithResponse(ctx, "0123456789abcdef0123456789abcdef", seedInstance, nil)
	require.NoError(t, err)
	assert.Equal(t, http.StatusForbidden, other.StatusCode())
}

// TestBadRequestsAreCaughtOnBothSides sends requests that break the
// contract: the transport records them and the fake answers 400.
func TestBadRequestsAreCaughtOnBothSides(t *testing.T) {
	t.Parallel()
	s, httpClient, tr := newValidatedFake(t)
	c := newGeneratedClient(t, s, httpClient)
	resp, err := c.ListClickHouseDataBaseReplicationWithResponse(t.Context(), seedProject, seedInstance,
		&generated.ListClickHouseDataBaseReplicationParams{Limit: ptr[int32](101)})
	require.NoError(t, err)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode())
	assert.Contains(t, resp.JSON400.ErrorMsg, `"limit"`)
	vs := tr.Violations()
	require.Len(t, vs, 1)
	assert.Contains(t, vs[0].Error(), `"limit"`)
	tr.Reset() // provoked on purpose
}

// TestConcurrentThroughTransport runs many clients at once through one
// transport (run with -race).
func TestConcurrentThroughTransport(t *testing.T) {
	t.Parallel()
	s, httpClient, tr := newValidatedFake(t, fake.WithJobMode(fake.JobsManual))
	c := newGeneratedClient(t, s, httpClient)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			db := "db " + strings.Repeat("é", i%5) + string(rune('a'+i%26)) + string(rune('a'+i/26))
			r, err := c.CreateClickHouseDataBaseReplicationWithResponse(t.Context(), seedProject, seedInstance, nil,
				generated.CreateReplicationRequest{SourceInstanceID: "src01", SourceDatabase: db})
			if assert.NoError(t, err) && assert.Equal(t, http.StatusOK, r.StatusCode()) {
				_, err = c.ShowGaussMySQLJobInfoWithResponse(t.Context(), seedProject, &generated.ShowGaussMySQLJobInfoParams{ID: r.JSON200.JobID})
				assert.NoError(t, err)
			}
			_, err = c.ListClickHouseDataBaseReplicationWithResponse(t.Context(), seedProject, seedInstance, nil)
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	assert.Len(t, s.Replications(seedInstance), 50)
	assert.Empty(t, tr.Violations())
}

// TestFakeAnswersTooLargeBodyWithinTheContract sends a valid body that is
// larger than the fake reads (but not than the transport validates): the
// request keeps the contract, so the answer must too.
func TestFakeAnswersTooLargeBodyWithinTheContract(t *testing.T) {
	t.Parallel()
	s, httpClient, _ := newValidatedFake(t)
	body := `{"source_instance_id":"src01","source_database":"orders"}` + strings.Repeat(" ", 1<<20)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost,
		s.URL()+"/v3/"+s.ProjectID()+"/instances/"+seedInstance+"/clickhouse/replication", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Auth-Token", s.Token())
	resp, err := httpClient.Do(req)
	require.NoError(t, err)
	_, err = io.Copy(io.Discard, resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
}
