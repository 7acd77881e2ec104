package chreplication

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const chPath = "/v3/" + testProject + "/instances/" + testInstance + "/clickhouse"

// documentedParameters are the 11 parameters as the service documents them.
var documentedParameters = []Parameter{
	{Name: "default_isolation_level", DataType: "String", Default: "QUERY_SNAPSHOT", Range: "READ_COMMITTED|READ_UNCOMMITTED|QUERY_RAW|QUERY_SNAPSHOT"},
	{Name: "enable_snapshots", DataType: "String", Default: "true", Range: "true|false"},
	{Name: "enable_chunk_level", DataType: "String", Default: "true", Range: "true|false"},
	{Name: "max_sync_threads", DataType: "Integer", Default: "1", Range: "1-2"},
	{Name: "treat_numeric_string_as_integer", DataType: "String", Default: "false", Range: "true|false"},
	{Name: "min_binlog_expire_logs_seconds", DataType: "Integer", Default: "86400", Range: "0-2592000"},
	{Name: "max_rows_in_buffer", DataType: "Integer", Default: "2000000", Range: "1-10000000"},
	{Name: "max_rows_in_buffers", DataType: "Integer", Default: "6000000", Range: "1-10000000"},
	{Name: "max_bytes_in_buffer", DataType: "Integer", Default: "200000000", Range: "1-1000000000"},
	{Name: "max_bytes_in_buffers", DataType: "Integer", Default: "600000000", Range: "1-1000000000"},
	{Name: "max_flush_data_time", DataType: "Integer", Default: "5000", Range: "1-10000"},
}

func TestParameterCheckValue(t *testing.T) {
	t.Parallel()
	for _, p := range documentedParameters {
		require.NoError(t, p.CheckValue(p.Default), p.Name)
	}
	byName := map[string]Parameter{}
	for _, p := range documentedParameters {
		byName[p.Name] = p
	}
	for _, tt := range []struct {
		name, value string
		ok          bool
	}{
		{"max_sync_threads", "2", true},
		{"max_sync_threads", "3", false},
		{"max_sync_threads", "0", false},
		{"max_sync_threads", "one", false},
		{"max_sync_threads", " 2 ", true},
		{"min_binlog_expire_logs_seconds", "0", true},
		{"min_binlog_expire_logs_seconds", "2592001", false},
		{"max_flush_data_time", "-1", false},
		{"enable_snapshots", "false", true},
		{"enable_snapshots", "FALSE", false},
		{"default_isolation_level", "QUERY_RAW", true},
		{"default_isolation_level", "SERIALIZABLE", false},
	} {
		err := byName[tt.name].CheckValue(tt.value)
		if tt.ok {
			assert.NoError(t, err, tt.name+"="+tt.value)
			continue
		}
		require.ErrorIs(t, err, ErrInvalidRequest, tt.name+"="+tt.value)
		var ire *InvalidRequestError
		require.ErrorAs(t, err, &ire)
		assert.Equal(t, tt.name, ire.Field)
	}
	// A range the client cannot read is left to the service.
	assert.NoError(t, Parameter{Name: "x", DataType: "String", Range: "any text"}.CheckValue("v"))
	assert.NoError(t, Parameter{Name: "x", DataType: "Integer", Range: "big"}.CheckValue("7"))
}

func TestDatabaseParameters(t *testing.T) {
	t.Parallel()
	c, ts := setup(t)
	ts.handle("GET "+chPath+"/replication/database-parameter", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"db_parameters":[{"param_name":"max_sync_threads","data_type":"Integer","default_value":"1","value_range":"1-2","description":"Threads."}]}`)
	})
	ps, err := c.DatabaseParameters(t.Context(), testInstance)
	require.NoError(t, err)
	assert.Equal(t, []Parameter{{Name: "max_sync_threads", DataType: "Integer", Default: "1", Range: "1-2", Description: "Threads."}}, ps)
}

func TestListDatabasesAndAll(t *testing.T) {
	t.Parallel()
	c, ts := setup(t)
	var queries []string
	ts.handle("GET "+chPath+"/databases", func(w http.ResponseWriter, r *http.Request) {
		queries = append(queries, r.URL.RawQuery)
		q := r.URL.Query()
		offset, _ := strconv.Atoi(q.Get("offset"))
		limit, _ := strconv.Atoi(q.Get("limit"))
		if limit == 0 {
			limit = 10
		}
		var names []string
		for i := offset; i < min(offset+limit, 150); i++ {
			names = append(names, "db"+strconv.Itoa(i))
		}
		b, _ := json.Marshal(map[string]any{"databases": names, "total_count": "150"})
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	})
	page, err := c.ListDatabases(t.Context(), testInstance, DatabaseListOptions{})
	require.NoError(t, err)
	assert.Equal(t, 150, page.TotalCount)
	assert.Len(t, page.Databases, 10)
	page, err = c.ListDatabases(t.Context(), testInstance, DatabaseListOptions{Name: "销售 db", Limit: 5, Offset: 3})
	require.NoError(t, err)
	assert.Equal(t, []string{"db3", "db4", "db5", "db6", "db7"}, page.Databases)
	var all []string
	for db, err := range c.AllDatabases(t.Context(), testInstance, "") {
		require.NoError(t, err)
		all = append(all, db)
	}
	assert.Len(t, all, 150)
	assert.Equal(t, "db149", all[149])
	assert.Equal(t, []string{
		"database_name=",
		"limit=5&offset=3&database_name=%E9%94%80%E5%94%AE+db",
		"limit=100&database_name=",
		"limit=100&offset=100&database_name=",
	}, queries)
}

func TestChecks(t *testing.T) {
	t.Parallel()
	c, ts := setup(t)
	var bodies []string
	ts.handle("POST "+chPath+"/replication/database-check", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, string(b))
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"database_name":"shop","db_config_check_results":[
			{"param_name":"max_sync_threads","value":"2","check_result":"success"},
			{"param_name":"max_flush_data_time","value":"0","check_result":"fail"}]}`)
	})
	ts.handle("POST "+chPath+"/replication/table-check", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, string(b))
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"source_database_name":"shop","table_config_check_results":[
			{"table_name":"orders","table_config":"ORDER BY id","check_result":"success"}]}`)
	})
	req := CheckRequest{
		SourceInstanceID: "ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07", SourceDatabase: "shop",
		Settings: []Setting{{"max_sync_threads", "2"}, {"max_flush_data_time", "0"}},
	}
	dc, err := c.CheckDatabaseConfig(t.Context(), testInstance, req)
	require.NoError(t, err)
	assert.False(t, dc.Passed())
	assert.Equal(t, []SettingCheck{{"max_sync_threads", "2", "success"}, {"max_flush_data_time", "0", "fail"}}, dc.Settings)
	assert.True(t, dc.Settings[0].Passed())
	req.Scope = TableScope{Mode: ScopeInclude, Tables: []string{"orders"}}
	req.Tables = []TableConfig{{Table: "orders", Config: "ORDER BY id"}}
	tc, err := c.CheckTableConfig(t.Context(), testInstance, req)
	require.NoError(t, err)
	assert.True(t, tc.Passed())
	require.Len(t, bodies, 2)
	assert.JSONEq(t, `{"source_instance_id":"ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07","source_database_name":"shop",
		"db_configs":[{"param_name":"max_sync_threads","value":"2"},{"param_name":"max_flush_data_time","value":"0"}],
		"table_repl_config":{"repl_type":"black_list","tables":[]}}`, bodies[0])
	assert.JSONEq(t, `{"source_instance_id":"ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07","source_database_name":"shop",
		"db_configs":[{"param_name":"max_sync_threads","value":"2"},{"param_name":"max_flush_data_time","value":"0"}],
		"table_repl_config":{"repl_type":"white_list","tables":["orders"]},
		"tables_configs":[{"table_name":"orders","table_config":"ORDER BY id"}]}`, bodies[1])
	for result, want := range map[string]bool{"success": true, "SUCCESS": true, "fail": false, "Check Override Table Failed": false, "": false, "ok": true} {
		assert.Equal(t, want, TableCheck{Result: result}.Passed(), result)
	}
}

func TestShowReplicationConfig(t *testing.T) {
	t.Parallel()
	c, ts := setup(t)
	ts.handle("GET "+chPath+"/replication/config", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("database_name") == "changing" {
			_, _ = io.WriteString(w, `{"source_instance_id":"s1","source_node_id":"n1","database_info":{"database_name":"changing","db_config_check_results":[]},
				"table_infos":[],"table_repl_config":{"repl_type":"black_list","tables":[]},"is_tables_change":true,
				"new_table_repl_config":{"repl_type":"black_list","tables":["t1","t2"]},"last_error_of_alter_table":""}`)
			return
		}
		// Huawei's documented example.
		_, _ = io.WriteString(w, `{"database_info":{"database_name":"blackwhite_0018_61474479","db_config_check_results":[{"check_result":"success","param_name":"max_sync_threads","value":"1"}]},
			"is_tables_change":false,"last_error_of_alter_table":null,"new_table_repl_config":{"repl_type":null,"tables":null},
			"source_instance_id":"77aa4096cb824a61b93dab5ca00ecc8fin07","source_node_id":"57bfeacf6e8d4eb685ea907372374b35no07",
			"table_infos":[],"table_repl_config":{"repl_type":"black_list","tables":[]}}`)
	})
	cfg, err := c.ShowReplicationConfig(t.Context(), testInstance, "blackwhite_0018_61474479")
	require.NoError(t, err)
	assert.Equal(t, &ReplicationConfig{
		SourceInstanceID: "77aa4096cb824a61b93dab5ca00ecc8fin07", SourceNodeID: "57bfeacf6e8d4eb685ea907372374b35no07",
		Database: "blackwhite_0018_61474479", Settings: []SettingCheck{{"max_sync_threads", "1", "success"}},
		Tables: []TableCheck{}, Scope: TableScope{Mode: ScopeExclude, Tables: []string{}},
	}, cfg)
	cfg, err = c.ShowReplicationConfig(t.Context(), testInstance, "changing")
	require.NoError(t, err)
	assert.True(t, cfg.Changing)
	require.NotNil(t, cfg.Pending)
	assert.Equal(t, TableScope{Mode: ScopeExclude, Tables: []string{"t1", "t2"}}, *cfg.Pending)
}

func TestUpdateScopeWritesTheValue(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		scope TableScope
		value string
	}{
		{TableScope{}, `{"black_list":""}`},
		{TableScope{Mode: ScopeExclude, Tables: []string{"audit_log", "tmp import"}}, `{"black_list":"audit_log,tmp import"}`},
		{TableScope{Mode: ScopeInclude, Tables: []string{"orders"}}, `{"white_list":"orders"}`},
		{TableScope{Mode: ScopeExclude, Tables: []string{`quote"d`}}, `{"black_list":"quote\"d"}`},
	} {
		c, ts := setup(t)
		var body map[string]string
		ts.handle("PUT "+chPath+"/databases/replication/config", func(w http.ResponseWriter, r *http.Request) {
			require.NoError(t, json.NewDecoder(r.Body).Decode(&body))
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"job_id":"j-scope"}`)
		})
		id, err := c.UpdateScope(t.Context(), testInstance, ScopeUpdate{SourceInstanceID: "src1", Database: "shop", Scope: tt.scope})
		require.NoError(t, err)
		assert.Equal(t, "j-scope", id)
		assert.Equal(t, map[string]string{"source_instance_id": "src1", "database": "shop", "value": tt.value}, body)
		var v map[string]string
		require.NoError(t, json.Unmarshal([]byte(body["value"]), &v), "value is a JSON document")
	}
}

func TestUpdateScopeModeChange(t *testing.T) {
	t.Parallel()
	c, ts := setup(t)
	ts.handle("PUT "+chPath+"/databases/replication/config", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error_code":"DBS.280999","error_msg":"Invalid value."}`)
	})
	ts.handle("GET "+chPath+"/replication/config", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"database_info":{"database_name":"shop","db_config_check_results":[]},"table_infos":[],
			"table_repl_config":{"repl_type":"black_list","tables":[]},"is_tables_change":false,"new_table_repl_config":{"repl_type":null,"tables":null}}`)
	})
	_, err := c.UpdateScope(t.Context(), testInstance, ScopeUpdate{SourceInstanceID: "src1", Database: "shop", Scope: TableScope{Mode: ScopeInclude, Tables: []string{"orders"}}})
	require.ErrorIs(t, err, ErrScopeModeChange)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "DBS.280999", apiErr.Code)
	assert.Contains(t, err.Error(), "black_list")
	var modeErr *ScopeModeError
	require.ErrorAs(t, err, &modeErr)
	assert.Equal(t, ScopeExclude, modeErr.Current)
	assert.Equal(t, ScopeInclude, modeErr.Requested)
	// The same refusal with the mode unchanged is the service's error alone.
	_, err = c.UpdateScope(t.Context(), testInstance, ScopeUpdate{SourceInstanceID: "src1", Database: "shop", Scope: TableScope{Tables: []string{"orders"}}})
	require.ErrorAs(t, err, &apiErr)
	assert.False(t, errors.Is(err, ErrScopeModeChange))
}

func TestCancelScopeUpdate(t *testing.T) {
	t.Parallel()
	c, ts := setup(t)
	ts.handle("DELETE "+chPath+"/databases/replication/config", func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "my db", r.URL.Query().Get("database"))
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"job_id":"j-cancel"}`)
	})
	id, err := c.CancelScopeUpdate(t.Context(), testInstance, "my db")
	require.NoError(t, err)
	assert.Equal(t, "j-cancel", id)
}

func TestWorkflowInvalidInputSendsNothing(t *testing.T) {
	t.Parallel()
	c, ts := setup(t)
	ok := CheckRequest{SourceInstanceID: "src1", SourceDatabase: "shop"}
	with := func(f func(*CheckRequest)) CheckRequest { r := ok; f(&r); return r }
	ctx := t.Context()
	for _, tt := range []struct {
		name, field string
		call        func() error
	}{
		{"databases: bad instance", "instanceID", func() error { _, err := c.ListDatabases(ctx, "a/b", DatabaseListOptions{}); return err }},
		{"databases: limit", "Limit", func() error {
			_, err := c.ListDatabases(ctx, testInstance, DatabaseListOptions{Limit: 101})
			return err
		}},
		{"databases: name", "Name", func() error {
			_, err := c.ListDatabases(ctx, testInstance, DatabaseListOptions{Name: "a.b"})
			return err
		}},
		{"params: instance", "instanceID", func() error { _, err := c.DatabaseParameters(ctx, ".."); return err }},
		{"check: source", "SourceInstanceID", func() error {
			_, err := c.CheckDatabaseConfig(ctx, testInstance, with(func(r *CheckRequest) { r.SourceInstanceID = "" }))
			return err
		}},
		{"check: node", "SourceNodeID", func() error {
			_, err := c.CheckDatabaseConfig(ctx, testInstance, with(func(r *CheckRequest) { r.SourceNodeID = "n n" }))
			return err
		}},
		{"check: database", "SourceDatabase", func() error {
			_, err := c.CheckDatabaseConfig(ctx, testInstance, with(func(r *CheckRequest) { r.SourceDatabase = "a/b" }))
			return err
		}},
		{"check: setting", "Settings[0].Name", func() error {
			_, err := c.CheckDatabaseConfig(ctx, testInstance, with(func(r *CheckRequest) { r.Settings = []Setting{{"", "1"}} }))
			return err
		}},
		{"check: empty include", "Scope.Tables", func() error {
			_, err := c.CheckDatabaseConfig(ctx, testInstance, with(func(r *CheckRequest) { r.Scope = TableScope{Mode: ScopeInclude} }))
			return err
		}},
		{"check: mode", "Scope.Mode", func() error {
			_, err := c.CheckDatabaseConfig(ctx, testInstance, with(func(r *CheckRequest) { r.Scope = TableScope{Mode: "grey_list"} }))
			return err
		}},
		{"table check: no tables", "Tables", func() error { _, err := c.CheckTableConfig(ctx, testInstance, ok); return err }},
		{"table check: table name", "Tables[0].Table", func() error {
			_, err := c.CheckTableConfig(ctx, testInstance, with(func(r *CheckRequest) { r.Tables = []TableConfig{{"a.b", "ORDER BY id"}} }))
			return err
		}},
		{"table check: config", "Tables[0].Config", func() error {
			_, err := c.CheckTableConfig(ctx, testInstance, with(func(r *CheckRequest) { r.Tables = []TableConfig{{"t", " "}} }))
			return err
		}},
		{"config: database", "database", func() error { _, err := c.ShowReplicationConfig(ctx, testInstance, ""); return err }},
		{"scope: comma", "Scope.Tables[1]", func() error {
			_, err := c.UpdateScope(ctx, testInstance, ScopeUpdate{SourceInstanceID: "s", Database: "d", Scope: TableScope{Tables: []string{"a", "b,c"}}})
			return err
		}},
		{"scope: empty include", "Scope.Tables", func() error {
			_, err := c.UpdateScope(ctx, testInstance, ScopeUpdate{SourceInstanceID: "s", Database: "d", Scope: TableScope{Mode: ScopeInclude}})
			return err
		}},
		{"scope: database", "Database", func() error {
			_, err := c.UpdateScope(ctx, testInstance, ScopeUpdate{SourceInstanceID: "s", Database: "d ", Scope: TableScope{}})
			return err
		}},
		{"scope: source", "SourceInstanceID", func() error {
			_, err := c.UpdateScope(ctx, testInstance, ScopeUpdate{SourceInstanceID: "?", Database: "d"})
			return err
		}},
		{"cancel: database", "database", func() error { _, err := c.CancelScopeUpdate(ctx, testInstance, strings.Repeat("x", 65)); return err }},
	} {
		err := tt.call()
		require.ErrorIs(t, err, ErrInvalidRequest, tt.name)
		var ire *InvalidRequestError
		require.ErrorAs(t, err, &ire, tt.name)
		assert.Equal(t, tt.field, ire.Field, tt.name)
	}
	assert.Zero(t, ts.requests.Load())
}

// The workflow operations join the tables every operation is tested with
// (retries, busy instances, error answers, hostile answers).
func init() {
	type oc = struct {
		pattern string
		call    func(t *testing.T, c *Client) error
	}
	check := CheckRequest{SourceInstanceID: "s", SourceDatabase: "d", Tables: []TableConfig{{"t", "ORDER BY id"}}}
	for name, o := range map[string]oc{
		"databases": {"GET " + chPath + "/databases", func(t *testing.T, c *Client) error {
			_, err := c.ListDatabases(t.Context(), testInstance, DatabaseListOptions{})
			return err
		}},
		"params": {"GET " + chPath + "/replication/database-parameter", func(t *testing.T, c *Client) error {
			_, err := c.DatabaseParameters(t.Context(), testInstance)
			return err
		}},
		"check-database": {"POST " + chPath + "/replication/database-check", func(t *testing.T, c *Client) error {
			_, err := c.CheckDatabaseConfig(t.Context(), testInstance, check)
			return err
		}},
		"check-tables": {"POST " + chPath + "/replication/table-check", func(t *testing.T, c *Client) error {
			_, err := c.CheckTableConfig(t.Context(), testInstance, check)
			return err
		}},
		"config": {"GET " + chPath + "/replication/config", func(t *testing.T, c *Client) error {
			_, err := c.ShowReplicationConfig(t.Context(), testInstance, "d")
			return err
		}},
		"scope": {"PUT " + chPath + "/databases/replication/config", func(t *testing.T, c *Client) error {
			_, err := c.UpdateScope(t.Context(), testInstance, ScopeUpdate{SourceInstanceID: "s", Database: "d"})
			return err
		}},
		"scope-cancel": {"DELETE " + chPath + "/databases/replication/config", func(t *testing.T, c *Client) error {
			_, err := c.CancelScopeUpdate(t.Context(), testInstance, "d")
			return err
		}},
	} {
		opCalls[name] = o
	}
	okBodies["databases"] = `{"databases":["a"],"total_count":1}`
	okBodies["params"] = `{"db_parameters":[]}`
	okBodies["check-database"] = `{"database_name":"d","db_config_check_results":[]}`
	okBodies["check-tables"] = `{"source_database_name":"d","table_config_check_results":[]}`
	okBodies["config"] = `{"database_info":{"database_name":"d"},"table_repl_config":{"repl_type":"black_list","tables":[]}}`
	okBodies["scope"] = `{"job_id":"j1"}`
	okBodies["scope-cancel"] = `{"job_id":"j1"}`
}

// TestWorkflowRetries: the checks change nothing and are retried as reads;
// the scope writes only when they cannot have reached the service.
func TestWorkflowRetries(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		op           string
		status       int
		wantRequests int64
	}{
		{"databases", 503, 2}, {"params", 502, 2}, {"check-database", 503, 2}, {"check-tables", 504, 2}, {"config", 503, 2},
		{"scope", 503, 1}, {"scope", 500, 1}, {"scope", 429, 2}, {"scope-cancel", 502, 1}, {"scope-cancel", 429, 2},
	} {
		t.Run(tt.op+"/"+strconv.Itoa(tt.status), func(t *testing.T) {
			t.Parallel()
			c, ts := setup(t)
			var n int
			ts.handle(opCalls[tt.op].pattern, func(w http.ResponseWriter, _ *http.Request) {
				n++
				if n == 1 {
					w.WriteHeader(tt.status)
					return
				}
				_, _ = io.WriteString(w, okBodies[tt.op])
			})
			err := opCalls[tt.op].call(t, c)
			if tt.wantRequests == 2 {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
			}
			assert.Equal(t, tt.wantRequests, ts.requests.Load())
		})
	}
}

func TestCheckRequestValidate(t *testing.T) {
	t.Parallel()
	ok := CheckRequest{SourceInstanceID: "src1", SourceDatabase: "shop"}
	require.NoError(t, ok.Validate())
	ok.Tables = []TableConfig{{Table: "orders", Config: "ORDER BY id"}}
	require.NoError(t, ok.Validate())
	for field, r := range map[string]CheckRequest{
		"Tables[0].Table":  {SourceInstanceID: "src1", SourceDatabase: "shop", Tables: []TableConfig{{Table: "a.b", Config: "ORDER BY id"}}},
		"Tables[0].Config": {SourceInstanceID: "src1", SourceDatabase: "shop", Tables: []TableConfig{{Table: "t"}}},
		"SourceDatabase":   {SourceInstanceID: "src1"},
		"Scope.Tables":     {SourceInstanceID: "src1", SourceDatabase: "shop", Scope: TableScope{Mode: ScopeInclude}},
	} {
		var ire *InvalidRequestError
		require.ErrorAs(t, r.Validate(), &ire, field)
		assert.Equal(t, field, ire.Field)
	}
}
