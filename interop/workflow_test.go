package interop

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	gaussdb "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/gaussdb/v3"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/gaussdb/v3/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication/fake"
)

// workflowOperations are the operations of the workflow around a
// synchronization task, by Huawei's operationId.
var workflowOperations = []string{
	"ListClickHouseDataBase",
	"ListClickHouseDataBaseParameter",
	"CheckClickHouseDataBaseConfig",
	"CheckClickHouseTableConfig",
	"ListClickHouseDataBaseReplicationConfig",
	"UpdateClickHouseDataBaseConfig",
	"DeleteClickHouseDataBaseConfig",
}

// workflowDatabase is the database the workflow synchronises. It is not
// one of the fake's default source databases, so ListClickHouseDataBase
// lists it only once it has a task.
const workflowDatabase = "analytics"

// sdkParameter is what ListClickHouseDataBaseParameter documents of one
// database parameter.
type sdkParameter struct {
	name, dataType, def, valueRange string
}

// documentedParameters are the 11 database parameters of Huawei's
// documentation, in its order, with their types, defaults and ranges.
var documentedParameters = []sdkParameter{
	{"default_isolation_level", "String", "QUERY_SNAPSHOT", "READ_COMMITTED|READ_UNCOMMITTED|QUERY_RAW|QUERY_SNAPSHOT"},
	{"enable_snapshots", "String", "true", "true|false"},
	{"enable_chunk_level", "String", "true", "true|false"},
	{"max_sync_threads", "Integer", "1", "1-2"},
	{"treat_numeric_string_as_integer", "String", "false", "true|false"},
	{"min_binlog_expire_logs_seconds", "Integer", "86400", "0-2592000"},
	{"max_rows_in_buffer", "Integer", "2000000", "1-10000000"},
	{"max_rows_in_buffers", "Integer", "6000000", "1-10000000"},
	{"max_bytes_in_buffer", "Integer", "200000000", "1-1000000000"},
	{"max_bytes_in_buffers", "Integer", "600000000", "1-1000000000"},
	{"max_flush_data_time", "Integer", "5000", "1-10000"},
}

// TestSDKWorkflowInProcess drives every workflow operation of a fake
// started with fake.NewServer through the official SDK, with the real
// service's habits turned on: a new job is not visible for a while, and an
// instance runs one operation at a time, so each write waits for the job
// of the previous one.
func TestSDKWorkflowInProcess(t *testing.T) {
	t.Parallel()
	s, err := fake.NewServer(
		fake.WithJobDuration(time.Second),
		fake.WithJobVisibilityDelay(300*time.Millisecond),
		fake.WithOneOperationPerInstance())
	require.NoError(t, err)
	t.Cleanup(s.Close)
	ak, sk := s.AccessKey()
	e := endpointInfo{URL: s.URL(), ProjectID: s.ProjectID(), AK: ak, SK: sk}
	c := newSDKClient(t, e)
	sdkWorkflow(t, c)

	// A change whose job fails leaves the tables as they were and its
	// reason in last_error_of_alter_table.
	const reason = "The source table t4 is unreachable."
	s.FailNextJob(reason)
	job := waitSDKJobEnd(t, c, sdkUpdateScope(t, c, `{"black_list":"t4"}`))
	assert.Equal(t, "Failed", job.Status.Value(), "a change asked to fail")
	assert.Equal(t, reason, deref(job.FailReason), "fail_reason")
	assertSDKConfig(t, c, []string{"t1", "t2"}, nil, reason)

	// Every request was signed with AK/SK and accepted, no write met a busy
	// instance, and every workflow operation answered 200 at least once.
	answered := map[string]bool{}
	hidden, emptyFilter := 0, 0
	for _, r := range s.Requests() {
		assert.Equal(t, "Authorization", r.AuthHeader, "%s %s", r.Method, r.Path)
		assert.True(t, r.Authenticated, "%s %s", r.Method, r.Path)
		assert.NotEqual(t, http.StatusConflict, r.Status, "%s %s: a write met a busy instance", r.Method, r.Path)
		if r.Status == http.StatusOK {
			answered[r.Operation] = true
		}
		if r.Operation == "ShowGaussMySqlJobInfo" && r.Status == http.StatusBadRequest {
			hidden++
		}
		if r.Operation == "ListClickHouseDataBase" {
			// The SDK writes an empty database_name as a bare key
			// ("?database_name"), which the fake reads as "" (every name).
			q, err := url.ParseQuery(r.RawQuery)
			require.NoError(t, err, "the SDK's query %q", r.RawQuery)
			if v, ok := q["database_name"]; ok && slices.Equal(v, []string{""}) {
				emptyFilter++
			}
		}
		if r.Operation == "UpdateClickHouseDataBaseConfig" && r.Status == http.StatusOK {
			// The SDK sends the scope as a JSON document in a string.
			var body struct {
				Database string `json:"database"`
				Value    string `json:"value"`
			}
			require.NoError(t, json.Unmarshal(r.Body, &body), "the SDK's UpdateClickHouseDataBaseConfig body: %s", r.Body)
			assert.Equal(t, workflowDatabase, body.Database)
			assert.Contains(t, []string{`{"black_list":"t1,t2"}`, `{"black_list":"t1,t2,t3"}`, `{"black_list":"t4"}`}, body.Value)
		}
	}
	for _, op := range workflowOperations {
		assert.True(t, answered[op], "%s never answered 200", op)
	}
	assert.Positive(t, hidden, "no poll met a job not visible yet")
	assert.Equal(t, 1, emptyFilter, "ListClickHouseDataBase requests with an empty database_name")
}

// TestSDKWorkflowCommand drives every workflow operation of the
// `chreplication fake` command, built from this checkout and started on a
// free loopback port (one operation per instance and hidden new jobs are
// on by default there), through the official SDK.
func TestSDKWorkflowCommand(t *testing.T) {
	t.Parallel()
	e := startFakeCommand(t)
	sdkWorkflow(t, newSDKClient(t, e))
}

// sdkWorkflow lists the source databases and the parameters, creates a
// replication of workflowDatabase and waits for its job, checks database
// parameters and table configurations, reads the replication's
// configuration, changes its table scope (waiting for the job), starts
// another change and stops it, and stops again with nothing to stop. Each
// write is sent after the job of the previous one completed.
func sdkWorkflow(t *testing.T, c *gaussdb.GaussDBClient) {
	t.Helper()
	sources := fake.DefaultSourceDatabases()

	// Before any task: the instance's source databases.
	assertSDKDatabases(t, c, nil, nil, nil, len(sources), sources)

	created, err := c.CreateClickHouseDataBaseReplication(&model.CreateClickHouseDataBaseReplicationRequest{
		InstanceId: chInstanceID,
		Body: &model.CreateChDatabaseReplicationRequestBody{
			SourceInstanceId: sourceInstanceID,
			SourceDatabase:   workflowDatabase,
		},
	})
	require.NoError(t, err, "CreateClickHouseDataBaseReplication(%q)", workflowDatabase)
	require.NotEmpty(t, deref(created.JobId), "CreateClickHouseDataBaseReplication: no job_id")
	assertSDKJob(t, waitSDKJob(t, c, *created.JobId))

	sdkListDatabases(t, c, sources)
	sdkListParameters(t, c)
	sdkCheckDatabaseConfig(t, c)
	sdkCheckTableConfig(t, c)

	// A new replication copies every table: black_list with no tables.
	assertSDKConfig(t, c, []string{}, nil, "")

	// A change of the table scope, until its job completes.
	jobID := sdkUpdateScope(t, c, `{"black_list":"t1,t2"}`)
	job := waitSDKJob(t, c, jobID)
	assertSDKJob(t, job)
	assert.Equal(t, "UpdateClickHouseDataBaseConfig", job.Name)
	assertSDKConfig(t, c, []string{"t1", "t2"}, nil, "")

	// The list type cannot change: a clean 400 with the fake's code.
	_, err = c.UpdateClickHouseDataBaseConfig(&model.UpdateClickHouseDataBaseConfigRequest{
		InstanceId: chInstanceID,
		Body: &model.UpdateChDatabaseConfigRequestBody{
			SourceInstanceId: sourceInstanceID,
			Database:         workflowDatabase,
			Value:            `{"white_list":"t1"}`,
		},
	})
	assertSDKError(t, err, http.StatusBadRequest, fake.CodeScopeTypeChange)

	// Another change, stopped while it is pending: its job fails, the
	// replication keeps its tables, and the stop's own job completes.
	pending := sdkUpdateScope(t, c, `{"black_list":"t1,t2,t3"}`)
	assertSDKConfig(t, c, []string{"t1", "t2"}, []string{"t1", "t2", "t3"}, "")
	stopped, err := c.DeleteClickHouseDataBaseConfig(&model.DeleteClickHouseDataBaseConfigRequest{
		InstanceId: chInstanceID,
		XLanguage:  ptr("en-us"),
		Database:   workflowDatabase,
	})
	require.NoError(t, err, "DeleteClickHouseDataBaseConfig of a pending change")
	assert.Equal(t, http.StatusOK, stopped.HttpStatusCode)
	require.NotEmpty(t, deref(stopped.JobId), "DeleteClickHouseDataBaseConfig: no job_id")
	assert.NotEqual(t, pending, *stopped.JobId, "the stop answered the job of the change it stopped")

	failed := waitSDKJobEnd(t, c, pending)
	assert.Equal(t, "Failed", failed.Status.Value(), "the stopped change's job")
	assert.Equal(t, "UpdateClickHouseDataBaseConfig", failed.Name)
	assert.NotEmpty(t, deref(failed.FailReason), "the stopped change's job has no fail_reason")
	assert.Empty(t, deref(failed.Process), "process of an ended job")
	stop := waitSDKJob(t, c, *stopped.JobId)
	assertSDKJob(t, stop)
	assert.Equal(t, "DeleteClickHouseDataBaseConfig", stop.Name)
	// A stopped change is not a failed one: last_error_of_alter_table
	// stays empty.
	assertSDKConfig(t, c, []string{"t1", "t2"}, nil, "")

	// Nothing to stop: the SDK reports the fake's 400 and code.
	_, err = c.DeleteClickHouseDataBaseConfig(&model.DeleteClickHouseDataBaseConfigRequest{
		InstanceId: chInstanceID,
		Database:   workflowDatabase,
	})
	assertSDKError(t, err, http.StatusBadRequest, fake.CodeNoScopeChange)

	// A replication that does not exist has no configuration to read.
	_, err = c.ListClickHouseDataBaseReplicationConfig(&model.ListClickHouseDataBaseReplicationConfigRequest{
		InstanceId:   chInstanceID,
		DatabaseName: "inventory",
	})
	assertSDKError(t, err, http.StatusBadRequest, fake.CodeDatabaseNotFound)
}

// sdkListDatabases lists the databases of the instance (the sources and
// workflowDatabase, which has a task): whole, page by page, filtered by a
// part of the name, filtered and paged, and with an empty filter.
func sdkListDatabases(t *testing.T, c *gaussdb.GaussDBClient, sources []string) {
	t.Helper()
	all := append(slices.Clone(sources), workflowDatabase)
	slices.Sort(all)
	require.Equal(t, []string{"analytics", "inventory", "orders", "sales", "shop"}, all,
		"the fake's default source databases changed; adjust the expectations below")

	assertSDKDatabases(t, c, nil, nil, nil, len(all), all)
	for offset := 0; offset < len(all); offset += 2 {
		assertSDKDatabases(t, c, ptr(int32(2)), ptr(int32(offset)), nil, len(all), all[offset:min(offset+2, len(all))])
	}
	assertSDKDatabases(t, c, ptr(int32(2)), ptr(int32(len(all))), nil, len(all), []string{})
	assertSDKDatabases(t, c, nil, nil, ptr(""), len(all), all)
	assertSDKDatabases(t, c, nil, nil, ptr("sh"), 1, []string{"shop"})
	assertSDKDatabases(t, c, nil, nil, ptr("s"), 4, []string{"analytics", "orders", "sales", "shop"})
	assertSDKDatabases(t, c, ptr(int32(2)), ptr(int32(2)), ptr("s"), 4, []string{"sales", "shop"})
	assertSDKDatabases(t, c, nil, nil, ptr("nothing-matches"), 0, []string{})
}

// assertSDKDatabases calls ListClickHouseDataBase and checks the page and
// the total.
func assertSDKDatabases(t *testing.T, c *gaussdb.GaussDBClient, limit, offset *int32, name *string, total int, want []string) {
	t.Helper()
	resp, err := c.ListClickHouseDataBase(&model.ListClickHouseDataBaseRequest{
		InstanceId:   chInstanceID,
		Limit:        limit,
		Offset:       offset,
		DatabaseName: name,
	})
	what := "ListClickHouseDataBase(limit " + show(limit) + ", offset " + show(offset) + ", database_name " + show(name) + ")"
	require.NoError(t, err, what)
	assert.Equal(t, http.StatusOK, resp.HttpStatusCode, what)
	require.NotNil(t, resp.TotalCount, "%s: no total_count", what)
	assert.Equal(t, int32(total), *resp.TotalCount, "%s: total_count", what)
	require.NotNil(t, resp.Databases, "%s: no databases", what)
	if want == nil {
		want = []string{}
	}
	assert.Equal(t, want, append([]string{}, *resp.Databases...), "%s: databases", what)
}

// show writes an optional request value for a failure message.
func show[T any](p *T) string {
	if p == nil {
		return "unset"
	}
	b, _ := json.Marshal(*p)
	return string(b)
}

// sdkListParameters checks the 11 documented parameters as the SDK reads
// them.
func sdkListParameters(t *testing.T, c *gaussdb.GaussDBClient) {
	t.Helper()
	resp, err := c.ListClickHouseDataBaseParameter(&model.ListClickHouseDataBaseParameterRequest{
		InstanceId: chInstanceID,
		XLanguage:  ptr("en-us"),
	})
	require.NoError(t, err, "ListClickHouseDataBaseParameter")
	assert.Equal(t, http.StatusOK, resp.HttpStatusCode)
	require.NotNil(t, resp.DbParameters, "ListClickHouseDataBaseParameter: no db_parameters")
	var got []sdkParameter
	for _, p := range *resp.DbParameters {
		got = append(got, sdkParameter{p.ParamName, p.DataType, p.DefaultValue, p.ValueRange})
		assert.NotEmpty(t, p.Description, "%s: no description", p.ParamName)
	}
	assert.Equal(t, documentedParameters, got)
}

// sdkCheckDatabaseConfig checks a value in its range (max_sync_threads 2)
// and values that fail (max_sync_threads 3, a parameter that does not
// exist).
func sdkCheckDatabaseConfig(t *testing.T, c *gaussdb.GaussDBClient) {
	t.Helper()
	check := func(configs []model.ChDatabaseConfigsInfo) *model.CheckClickHouseDataBaseConfigResponse {
		t.Helper()
		resp, err := c.CheckClickHouseDataBaseConfig(&model.CheckClickHouseDataBaseConfigRequest{
			InstanceId: chInstanceID,
			Body: &model.CheckChDatabaseConfigRequestBody{
				SourceInstanceId:   sourceInstanceID,
				SourceDatabaseName: workflowDatabase,
				DbConfigs:          configs,
				TableReplConfig:    &model.ChDatabaseTableReplConfigInfo{ReplType: "black_list", Tables: []string{}},
			},
		})
		require.NoError(t, err, "CheckClickHouseDataBaseConfig(%v)", configs)
		assert.Equal(t, http.StatusOK, resp.HttpStatusCode)
		assert.Equal(t, workflowDatabase, deref(resp.DatabaseName), "database_name")
		require.NotNil(t, resp.DbConfigCheckResults, "CheckClickHouseDataBaseConfig(%v): no db_config_check_results", configs)
		return resp
	}

	// Every parameter is judged, with the value given or its default.
	passing := check([]model.ChDatabaseConfigsInfo{{ParamName: "max_sync_threads", Value: "2"}})
	assert.Equal(t, expectedCheckResults(map[string]string{"max_sync_threads": "2"}, nil), *passing.DbConfigCheckResults)

	// No value given: every default passes.
	defaults := check([]model.ChDatabaseConfigsInfo{})
	assert.Equal(t, expectedCheckResults(nil, nil), *defaults.DbConfigCheckResults)

	failing := check([]model.ChDatabaseConfigsInfo{
		{ParamName: "max_sync_threads", Value: "3"},
		{ParamName: "no_such_parameter", Value: "1"},
	})
	want := expectedCheckResults(map[string]string{"max_sync_threads": "3"}, map[string]bool{"max_sync_threads": true})
	want = append(want, model.ChDatabaseConfigCheckResult{ParamName: "no_such_parameter", Value: "1", CheckResult: fake.CheckFail})
	assert.Equal(t, want, *failing.DbConfigCheckResults)
}

// expectedCheckResults are the results of a database check: every
// documented parameter in order, with values' value or its default,
// failing where fails says so.
func expectedCheckResults(values map[string]string, fails map[string]bool) []model.ChDatabaseConfigCheckResult {
	out := make([]model.ChDatabaseConfigCheckResult, 0, len(documentedParameters))
	for _, p := range documentedParameters {
		v, ok := values[p.name]
		if !ok {
			v = p.def
		}
		r := model.ChDatabaseConfigCheckResult{ParamName: p.name, Value: v, CheckResult: fake.CheckSuccess}
		if fails[p.name] {
			r.CheckResult = fake.CheckFail
		}
		out = append(out, r)
	}
	return out
}

// sdkCheckTableConfig checks accepted table configurations and refused
// ones.
func sdkCheckTableConfig(t *testing.T, c *gaussdb.GaussDBClient) {
	t.Helper()
	tables := []model.ChDatabaseTablesConfigsInfo{
		{TableName: "t1", TableConfig: "ORDER BY id"},
		{TableName: "t2", TableConfig: "PARTITION BY toYYYYMM(created) ORDER BY (id, created) TTL created + INTERVAL 1 YEAR"},
		{TableName: "t3", TableConfig: "ENGINE = MergeTree() ORDER BY id"},
		{TableName: "t4", TableConfig: "ORDER BY id ORDER BY name"},
	}
	resp, err := c.CheckClickHouseTableConfig(&model.CheckClickHouseTableConfigRequest{
		InstanceId: chInstanceID,
		Body: &model.CheckChDatabaseTableConfigRequestBody{
			SourceInstanceId:   sourceInstanceID,
			SourceDatabaseName: workflowDatabase,
			DbConfigs:          []model.ChDatabaseConfigsInfo{},
			TablesConfigs:      tables,
			TableReplConfig:    &model.ChDatabaseTableReplConfigInfo{ReplType: "black_list", Tables: []string{}},
		},
	})
	require.NoError(t, err, "CheckClickHouseTableConfig")
	assert.Equal(t, http.StatusOK, resp.HttpStatusCode)
	assert.Equal(t, workflowDatabase, deref(resp.SourceDatabaseName), "source_database_name")
	require.NotNil(t, resp.TableConfigCheckResults, "CheckClickHouseTableConfig: no table_config_check_results")
	want := []model.ChDatabaseTableConfigCheckResult{
		{TableName: "t1", TableConfig: tables[0].TableConfig, CheckResult: fake.CheckSuccess},
		{TableName: "t2", TableConfig: tables[1].TableConfig, CheckResult: fake.CheckSuccess},
		{TableName: "t3", TableConfig: tables[2].TableConfig, CheckResult: fake.CheckTableFailed},
		{TableName: "t4", TableConfig: tables[3].TableConfig, CheckResult: fake.CheckTableFailed},
	}
	assert.Equal(t, want, *resp.TableConfigCheckResults)
}

// sdkUpdateScope sends a scope change of workflowDatabase and returns its
// job.
func sdkUpdateScope(t *testing.T, c *gaussdb.GaussDBClient, value string) string {
	t.Helper()
	resp, err := c.UpdateClickHouseDataBaseConfig(&model.UpdateClickHouseDataBaseConfigRequest{
		InstanceId: chInstanceID,
		XLanguage:  ptr("en-us"),
		Body: &model.UpdateChDatabaseConfigRequestBody{
			SourceInstanceId: sourceInstanceID,
			Database:         workflowDatabase,
			Value:            value,
		},
	})
	require.NoError(t, err, "UpdateClickHouseDataBaseConfig(%s)", value)
	assert.Equal(t, http.StatusOK, resp.HttpStatusCode)
	require.NotEmpty(t, deref(resp.JobId), "UpdateClickHouseDataBaseConfig(%s): no job_id", value)
	return *resp.JobId
}

// assertSDKConfig reads the configuration of workflowDatabase and checks
// it: the source, the default parameters, a black list of tables, the
// change in progress (pending nil: none) and the last change's error.
func assertSDKConfig(t *testing.T, c *gaussdb.GaussDBClient, tables, pending []string, lastError string) {
	t.Helper()
	resp, err := c.ListClickHouseDataBaseReplicationConfig(&model.ListClickHouseDataBaseReplicationConfigRequest{
		InstanceId:   chInstanceID,
		DatabaseName: workflowDatabase,
	})
	require.NoError(t, err, "ListClickHouseDataBaseReplicationConfig(%q)", workflowDatabase)
	assert.Equal(t, http.StatusOK, resp.HttpStatusCode)
	assert.Equal(t, sourceInstanceID, deref(resp.SourceInstanceId), "source_instance_id")
	assert.Empty(t, deref(resp.SourceNodeId), "source_node_id of a replication of the primary node")

	require.NotNil(t, resp.DatabaseInfo, "no database_info")
	assert.Equal(t, workflowDatabase, resp.DatabaseInfo.DatabaseName, "database_info.database_name")
	assert.Equal(t, expectedCheckResults(nil, nil), resp.DatabaseInfo.DbConfigCheckResults, "database_info.db_config_check_results")
	require.NotNil(t, resp.TableInfos, "no table_infos")
	assert.Empty(t, *resp.TableInfos, "table_infos")

	require.NotNil(t, resp.TableReplConfig, "no table_repl_config")
	assert.Equal(t, "black_list", resp.TableReplConfig.ReplType, "table_repl_config.repl_type")
	require.NotNil(t, resp.TableReplConfig.Tables, "table_repl_config.tables is null")
	assert.Equal(t, tables, resp.TableReplConfig.Tables, "table_repl_config.tables")

	assert.Equal(t, pending != nil, deref(resp.IsTablesChange), "is_tables_change")
	if pending != nil {
		require.NotNil(t, resp.NewTableReplConfig, "a change in progress and no new_table_repl_config")
		assert.Equal(t, "black_list", resp.NewTableReplConfig.ReplType, "new_table_repl_config.repl_type")
		assert.Equal(t, pending, resp.NewTableReplConfig.Tables, "new_table_repl_config.tables")
	} else if n := resp.NewTableReplConfig; n != nil {
		// No change in progress: both members null, as in Huawei's example.
		assert.Empty(t, n.ReplType, "new_table_repl_config.repl_type with no change in progress")
		assert.Nil(t, n.Tables, "new_table_repl_config.tables with no change in progress")
	}
	assert.Equal(t, lastError, deref(resp.LastErrorOfAlterTable), "last_error_of_alter_table")
}

// assertSDKError checks that err is the SDK's error for an answer of the
// given status and error code, with a message and a request ID.
func assertSDKError(t *testing.T, err error, status int, code string) {
	t.Helper()
	var se *sdkerr.ServiceResponseError
	require.True(t, errors.As(err, &se), "want the SDK's ServiceResponseError, got %v", err)
	assert.Equal(t, status, se.StatusCode, "status: %v", err)
	assert.Equal(t, code, se.ErrorCode, "error_code: %v", err)
	assert.NotEmpty(t, se.ErrorMessage, "no error_msg: %v", err)
	assert.NotEmpty(t, se.RequestId, "the SDK reads X-Request-Id: %v", err)
}

// waitSDKJobEnd is waitSDKJob for a job that may end either way: it polls
// ShowGaussMySqlJobInfo until the job is visible and Completed or Failed,
// and returns it.
func waitSDKJobEnd(t *testing.T, c *gaussdb.GaussDBClient, jobID string) *model.GetJobInfoDetail {
	t.Helper()
	deadline := time.Now().Add(jobWaitTimeout)
	for answers := 1; ; answers++ {
		resp, err := c.ShowGaussMySqlJobInfo(&model.ShowGaussMySqlJobInfoRequest{Id: jobID})
		switch {
		case err == nil:
			require.NotNil(t, resp.Job, "ShowGaussMySqlJobInfo: an answer without job")
			require.Equal(t, jobID, resp.Job.Id, "ShowGaussMySqlJobInfo answered another job")
			switch s := resp.Job.Status.Value(); s {
			case "Completed", "Failed":
				return resp.Job
			case "Pending", "Running":
			default:
				t.Fatalf("job %s: unknown status %q", jobID, s)
			}
		case jobNotVisible(err, jobID):
		default:
			t.Fatalf("ShowGaussMySqlJobInfo(%s): %v", jobID, err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s did not end within %s (%d answers)", jobID, jobWaitTimeout, answers)
		}
		time.Sleep(jobPollInterval)
	}
}

// TestSDKNullArraysRefused shows a difference between the official SDK and
// the fake: the SDK's request models send a nil slice as JSON null (their
// db_configs, tables_configs and tables members have no omitempty), while
// the spec requires arrays there, so the fake refuses null with a clean
// 400 DBS.200001 naming the member. SDK users must pass empty slices, as
// the control requests do.
func TestSDKNullArraysRefused(t *testing.T) {
	t.Parallel()
	s, err := fake.NewServer()
	require.NoError(t, err)
	t.Cleanup(s.Close)
	ak, sk := s.AccessKey()
	c := newSDKClient(t, endpointInfo{URL: s.URL(), ProjectID: s.ProjectID(), AK: ak, SK: sk})
	const database = "sales" // one of the fake's default source databases

	dbCheck := func(configs []model.ChDatabaseConfigsInfo, scope *model.ChDatabaseTableReplConfigInfo) error {
		_, err := c.CheckClickHouseDataBaseConfig(&model.CheckClickHouseDataBaseConfigRequest{
			InstanceId: chInstanceID,
			Body: &model.CheckChDatabaseConfigRequestBody{
				SourceInstanceId:   sourceInstanceID,
				SourceDatabaseName: database,
				DbConfigs:          configs,
				TableReplConfig:    scope,
			},
		})
		return err
	}
	tableCheck := func(tables []model.ChDatabaseTablesConfigsInfo) error {
		_, err := c.CheckClickHouseTableConfig(&model.CheckClickHouseTableConfigRequest{
			InstanceId: chInstanceID,
			Body: &model.CheckChDatabaseTableConfigRequestBody{
				SourceInstanceId:   sourceInstanceID,
				SourceDatabaseName: database,
				DbConfigs:          []model.ChDatabaseConfigsInfo{},
				TablesConfigs:      tables,
				TableReplConfig:    &model.ChDatabaseTableReplConfigInfo{ReplType: "black_list", Tables: []string{}},
			},
		})
		return err
	}
	emptyScope := func() *model.ChDatabaseTableReplConfigInfo {
		return &model.ChDatabaseTableReplConfigInfo{ReplType: "black_list", Tables: []string{}}
	}

	cases := []struct {
		name      string
		send      func() error
		operation string
		member    []string // the path to the member the SDK sent as null
	}{
		{"db_configs nil", func() error { return dbCheck(nil, emptyScope()) },
			"CheckClickHouseDataBaseConfig", []string{"db_configs"}},
		{"table_repl_config.tables nil", func() error {
			return dbCheck([]model.ChDatabaseConfigsInfo{}, &model.ChDatabaseTableReplConfigInfo{ReplType: "black_list"})
		}, "CheckClickHouseDataBaseConfig", []string{"table_repl_config", "tables"}},
		{"table_repl_config nil", func() error { return dbCheck([]model.ChDatabaseConfigsInfo{}, nil) },
			"CheckClickHouseDataBaseConfig", []string{"table_repl_config"}},
		{"tables_configs nil", func() error { return tableCheck(nil) },
			"CheckClickHouseTableConfig", []string{"tables_configs"}},
	}
	for _, tc := range cases {
		before := len(s.Requests())
		err := tc.send()
		assertSDKError(t, err, http.StatusBadRequest, fake.CodeInvalidParameter)
		var se *sdkerr.ServiceResponseError
		if errors.As(err, &se) {
			assert.Contains(t, se.ErrorMessage, tc.member[len(tc.member)-1], "%s: the message names the member", tc.name)
		}

		// What the SDK sent: the member is present and null.
		reqs := s.Requests()
		require.Len(t, reqs, before+1, "%s: one request", tc.name)
		r := reqs[before]
		assert.Equal(t, tc.operation, r.Operation, tc.name)
		assert.Equal(t, http.StatusBadRequest, r.Status, tc.name)
		var body map[string]any
		require.NoError(t, json.Unmarshal(r.Body, &body), "%s: the SDK's body %s", tc.name, r.Body)
		v, ok := lookupJSON(body, tc.member)
		assert.True(t, ok, "%s: the SDK left %s out: %s", tc.name, strings.Join(tc.member, "."), r.Body)
		assert.Nil(t, v, "%s: %s is not null: %s", tc.name, strings.Join(tc.member, "."), r.Body)
	}

	// The same requests with empty slices are accepted.
	require.NoError(t, dbCheck([]model.ChDatabaseConfigsInfo{}, emptyScope()), "CheckClickHouseDataBaseConfig with empty slices")
	require.NoError(t, tableCheck([]model.ChDatabaseTablesConfigsInfo{}), "CheckClickHouseTableConfig with empty slices")
}

// lookupJSON returns the member at path in a decoded JSON object and
// whether it is there.
func lookupJSON(doc map[string]any, path []string) (any, bool) {
	var v any = doc
	for _, name := range path {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = obj[name]; !ok {
			return nil, false
		}
	}
	return v, true
}
