package fake_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication/fake"
)

// instancePath is the path of an instance of s's project plus rest.
func instancePath(s *fake.Server, instance, rest string) string {
	return "/v3/" + s.ProjectID() + "/instances/" + instance + "/clickhouse/" + rest
}

func databasesPath(s *fake.Server, query string) string {
	p := instancePath(s, testInstance, "databases")
	if query != "" {
		p += "?" + query
	}
	return p
}

func configPath(s *fake.Server, database string) string {
	return instancePath(s, testInstance, "replication/config") + "?database_name=" + url.QueryEscape(database)
}

func scopePath(s *fake.Server) string {
	return instancePath(s, testInstance, "databases/replication/config")
}

func stopPath(s *fake.Server, database string) string {
	return scopePath(s) + "?database=" + url.QueryEscape(database)
}

// listDatabases lists one page of source databases.
func listDatabases(t *testing.T, s *fake.Server, query string) fake.ListDatabasesResponse {
	t.Helper()
	a := call(t, s, http.MethodGet, databasesPath(s, query), "")
	require.Equal(t, http.StatusOK, a.Status, "body %s", a.Body)
	var r fake.ListDatabasesResponse
	a.decode(t, &r)
	require.NotNil(t, r.Databases, "an empty page is [], not null")
	return r
}

// jsonBody encodes v.
func jsonBody(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// scopeBody is the body of an UpdateClickHouseDataBaseConfig.
func scopeBody(t *testing.T, database, value string) string {
	t.Helper()
	return jsonBody(t, map[string]string{"source_instance_id": "src0123", "database": database, "value": value})
}

// updateScope changes the scope of database and returns the job ID.
func updateScope(t *testing.T, s *fake.Server, database, value string) string {
	t.Helper()
	a := call(t, s, http.MethodPut, scopePath(s), scopeBody(t, database, value))
	require.Equal(t, http.StatusOK, a.Status, "body %s", a.Body)
	var r fake.JobIDResponse
	a.decode(t, &r)
	require.NotEmpty(t, r.JobID)
	return r.JobID
}

// showConfig shows the configuration of database's task.
func showConfig(t *testing.T, s *fake.Server, database string) fake.ReplicationConfigResponse {
	t.Helper()
	a := call(t, s, http.MethodGet, configPath(s, database), "")
	require.Equal(t, http.StatusOK, a.Status, "body %s", a.Body)
	var r fake.ReplicationConfigResponse
	a.decode(t, &r)
	return r
}

// wantError checks an error answer's status and code.
func wantError(t *testing.T, a answer, status int, code string) fake.ErrorResponse {
	t.Helper()
	require.Equal(t, status, a.Status, "body %s", a.Body)
	assert.Equal(t, "application/json", a.Header.Get("Content-Type"))
	e := a.errorBody(t)
	assert.Equal(t, code, e.ErrorCode, "message %q", e.ErrorMsg)
	assert.NotEmpty(t, e.ErrorMsg)
	return e
}

func TestListDatabasesDefaults(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithJobMode(fake.JobsManual))
	page := listDatabases(t, s, "")
	assert.Equal(t, []string{"inventory", "orders", "sales", "shop"}, page.Databases)
	assert.EqualValues(t, 4, page.TotalCount)
	assert.Equal(t, fake.DefaultSourceDatabases(), page.Databases)

	// A synchronised database is listed too, once.
	create(t, s, testInstance, "analytics")
	create(t, s, testInstance, "sales")
	page = listDatabases(t, s, "")
	assert.Equal(t, []string{"analytics", "inventory", "orders", "sales", "shop"}, page.Databases)
	assert.Equal(t, page.Databases, s.SourceDatabases(testInstance))

	// Another instance has the default set and not this instance's tasks.
	a := call(t, s, http.MethodGet, instancePath(s, "otherinstance01", "databases"), "")
	require.Equal(t, http.StatusOK, a.Status)
	assert.JSONEq(t, `{"databases":["inventory","orders","sales","shop"],"total_count":4}`, string(a.Body))

	// The caller owns the defaults it is given.
	d := fake.DefaultSourceDatabases()
	d[0] = "changed"
	assert.Equal(t, "inventory", fake.DefaultSourceDatabases()[0])
}

func TestListDatabasesPagingAndFilter(t *testing.T) {
	t.Parallel()
	var names []string
	for i := 25; i >= 1; i-- { // given out of order, listed sorted
		names = append(names, fmt.Sprintf("db_%02d", i))
	}
	names = append(names, "sales_eu", "sales_us", "数据库")
	s := newServer(t, fake.WithSourceDatabases(testInstance, names...))
	tests := []struct {
		name      string
		query     string
		wantTotal int
		want      []string // nil: only the length and first name are checked
		wantLen   int
		wantFirst string
	}{
		{name: "defaults", query: "", wantTotal: 28, wantLen: 10, wantFirst: "db_01"},
		{name: "second page", query: "limit=10&offset=10", wantTotal: 28, wantLen: 10, wantFirst: "db_11"},
		{name: "last page", query: "limit=10&offset=20", wantTotal: 28, wantLen: 8, wantFirst: "db_21"},
		{name: "past the end", query: "limit=10&offset=28", wantTotal: 28, want: []string{}},
		{name: "limit 1", query: "limit=1&offset=3", wantTotal: 28, want: []string{"db_04"}},
		{name: "limit 100", query: "limit=100", wantTotal: 28, wantLen: 28, wantFirst: "db_01"},
		{name: "empty filter, as Huawei's example sends it", query: "limit=10&offset=1&database_name=", wantTotal: 28, wantLen: 10, wantFirst: "db_02"},
		{name: "filter by part of a name", query: "database_name=sales", wantTotal: 2, want: []string{"sales_eu", "sales_us"}},
		{name: "filter by a whole name", query: "database_name=db_07", wantTotal: 1, want: []string{"db_07"}},
		{name: "filter with paging", query: "database_name=db_1&limit=3&offset=8", wantTotal: 10, want: []string{"db_18", "db_19"}},
		{name: "filter is case sensitive", query: "database_name=SALES", wantTotal: 0, want: []string{}},
		{name: "filter by non-ASCII letters", query: "database_name=" + url.QueryEscape("数据"), wantTotal: 1, want: []string{"数据库"}},
		{name: "filter matches nothing", query: "database_name=nothing", wantTotal: 0, want: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			page := listDatabases(t, s, tt.query)
			assert.EqualValues(t, tt.wantTotal, page.TotalCount)
			if tt.want != nil {
				assert.Equal(t, tt.want, page.Databases)
				return
			}
			require.Len(t, page.Databases, tt.wantLen)
			assert.Equal(t, tt.wantFirst, page.Databases[0])
		})
	}
	t.Run("the default instances are untouched", func(t *testing.T) {
		t.Parallel()
		a := call(t, s, http.MethodGet, instancePath(s, "otherinstance01", "databases"), "")
		require.Equal(t, http.StatusOK, a.Status)
		assert.JSONEq(t, `{"databases":["inventory","orders","sales","shop"],"total_count":4}`, string(a.Body))
	})
}

func TestListDatabasesValidation(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	for query, wantIn := range map[string]string{
		"limit=0":   `parameter "limit" in query`,
		"limit=101": `parameter "limit" in query`,
		"limit=ten": `parameter "limit" in query`,
		"offset=-1": `parameter "offset" in query`,
		"database_name=" + strings.Repeat("x", 65): `parameter "database_name" in query`,
	} {
		t.Run(query[:min(len(query), 20)], func(t *testing.T) {
			t.Parallel()
			e := wantError(t, call(t, s, http.MethodGet, databasesPath(s, query), ""), http.StatusBadRequest, fake.CodeInvalidParameter)
			assert.Contains(t, e.ErrorMsg, wantIn)
		})
	}
}

func TestSourceDatabasesOptions(t *testing.T) {
	t.Parallel()
	t.Run("empty set", func(t *testing.T) {
		t.Parallel()
		s := newServer(t, fake.WithSourceDatabases(testInstance))
		assert.Empty(t, listDatabases(t, s, "").Databases)
	})
	t.Run("a second option replaces the first", func(t *testing.T) {
		t.Parallel()
		s := newServer(t, fake.WithSourceDatabases(testInstance, "a"), fake.WithSourceDatabases(testInstance, "b"))
		assert.Equal(t, []string{"b"}, listDatabases(t, s, "").Databases)
	})
	t.Run("SetSourceDatabases", func(t *testing.T) {
		t.Parallel()
		s := newServer(t)
		require.NoError(t, s.SetSourceDatabases(testInstance, "zeta", "alpha"))
		assert.Equal(t, []string{"alpha", "zeta"}, listDatabases(t, s, "").Databases)
		require.Error(t, s.SetSourceDatabases(testInstance, "ok", "a.b"))
		require.Error(t, s.SetSourceDatabases(testInstance, "x", "x"))
		require.Error(t, s.SetSourceDatabases("bad id", "x"))
		assert.Equal(t, []string{"alpha", "zeta"}, listDatabases(t, s, "").Databases, "a refused call changes nothing")
	})
	for name, opt := range map[string]fake.Option{
		"invalid instance ID":   fake.WithSourceDatabases("a/b", "x"),
		"invalid database name": fake.WithSourceDatabases(testInstance, "ok", "ends in a space "),
		"name given twice":      fake.WithSourceDatabases(testInstance, "x", "y", "x"),
		"empty name":            fake.WithSourceDatabases(testInstance, ""),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, err := fake.NewServer(opt)
			require.Error(t, err)
			assert.Nil(t, s)
			assert.Contains(t, err.Error(), "WithSourceDatabases")
		})
	}
}

// parameter is a documented parameter as ListClickHouseDataBaseParameter shows it.
type parameter struct{ name, dataType, def, valueRange string }

var documentedParameters = []parameter{
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

func TestListDatabaseParameters(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	a := call(t, s, http.MethodGet, instancePath(s, testInstance, "replication/database-parameter"), "")
	require.Equal(t, http.StatusOK, a.Status, "body %s", a.Body)
	var r fake.ListDatabaseParametersResponse
	a.decode(t, &r)
	got := make([]parameter, 0, len(r.DBParameters))
	for _, p := range r.DBParameters {
		got = append(got, parameter{p.ParamName, p.DataType, p.DefaultValue, p.ValueRange})
		assert.NotEmpty(t, p.Description, p.ParamName)
	}
	assert.Equal(t, documentedParameters, got)
	assert.Equal(t, 1, s.RequestCount("ListClickHouseDataBaseParameter"))
}

// checkBody is the body of a database check of source database db.
func checkBody(t *testing.T, db string, configs map[string]string, scope string) string {
	t.Helper()
	list := make([]map[string]string, 0, len(configs))
	for _, p := range documentedParameters { // a stable order
		if v, ok := configs[p.name]; ok {
			list = append(list, map[string]string{"param_name": p.name, "value": v})
		}
	}
	for k, v := range configs {
		if !isDocumented(k) {
			list = append(list, map[string]string{"param_name": k, "value": v})
		}
	}
	if scope == "" {
		scope = `{"repl_type":"black_list","tables":[]}`
	}
	return `{"source_instance_id":"src0123","source_database_name":` + jsonBody(t, db) +
		`,"db_configs":` + jsonBody(t, list) + `,"table_repl_config":` + scope + `}`
}

func isDocumented(name string) bool {
	for _, p := range documentedParameters {
		if p.name == name {
			return true
		}
	}
	return false
}

// checkDatabase runs a database check that must answer 200.
func checkDatabase(t *testing.T, s *fake.Server, body string) fake.DatabaseConfigCheckResponse {
	t.Helper()
	a := call(t, s, http.MethodPost, instancePath(s, testInstance, "replication/database-check"), body)
	require.Equal(t, http.StatusOK, a.Status, "body %s", a.Body)
	var r fake.DatabaseConfigCheckResponse
	a.decode(t, &r)
	return r
}

func TestCheckDatabaseConfigJudgesEachValue(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	tests := []struct {
		param, value string
		want         string
	}{
		{"default_isolation_level", "READ_COMMITTED", fake.CheckSuccess},
		{"default_isolation_level", "READ_UNCOMMITTED", fake.CheckSuccess},
		{"default_isolation_level", "QUERY_RAW", fake.CheckSuccess},
		{"default_isolation_level", "QUERY_SNAPSHOT", fake.CheckSuccess},
		{"default_isolation_level", "query_snapshot", fake.CheckFail},
		{"default_isolation_level", "SERIALIZABLE", fake.CheckFail},
		{"default_isolation_level", "", fake.CheckFail},
		{"enable_snapshots", "true", fake.CheckSuccess},
		{"enable_snapshots", "false", fake.CheckSuccess},
		{"enable_snapshots", "TRUE", fake.CheckFail},
		{"enable_snapshots", "1", fake.CheckFail},
		{"enable_chunk_level", "false", fake.CheckSuccess},
		{"enable_chunk_level", "yes", fake.CheckFail},
		{"treat_numeric_string_as_integer", "true", fake.CheckSuccess},
		{"treat_numeric_string_as_integer", "", fake.CheckFail},
		{"max_sync_threads", "1", fake.CheckSuccess},
		{"max_sync_threads", "2", fake.CheckSuccess},
		{"max_sync_threads", "0", fake.CheckFail},
		{"max_sync_threads", "3", fake.CheckFail},
		{"max_sync_threads", "-1", fake.CheckFail},
		{"max_sync_threads", "+1", fake.CheckFail},
		{"max_sync_threads", " 1", fake.CheckFail},
		{"max_sync_threads", "1.0", fake.CheckFail},
		{"max_sync_threads", "one", fake.CheckFail},
		{"max_sync_threads", "99999999999999999999999", fake.CheckFail},
		{"min_binlog_expire_logs_seconds", "0", fake.CheckSuccess},
		{"min_binlog_expire_logs_seconds", "2592000", fake.CheckSuccess},
		{"min_binlog_expire_logs_seconds", "2592001", fake.CheckFail},
		{"max_rows_in_buffer", "1", fake.CheckSuccess},
		{"max_rows_in_buffer", "10000000", fake.CheckSuccess},
		{"max_rows_in_buffer", "10000001", fake.CheckFail},
		{"max_rows_in_buffers", "0", fake.CheckFail},
		{"max_rows_in_buffers", "10000000", fake.CheckSuccess},
		{"max_bytes_in_buffer", "1000000000", fake.CheckSuccess},
		{"max_bytes_in_buffer", "1000000001", fake.CheckFail},
		{"max_bytes_in_buffers", "1", fake.CheckSuccess},
		{"max_bytes_in_buffers", "0", fake.CheckFail},
		{"max_flush_data_time", "10000", fake.CheckSuccess},
		{"max_flush_data_time", "10001", fake.CheckFail},
		{"max_flush_data_time", "007", fake.CheckSuccess},
		{"no_such_parameter", "1", fake.CheckFail},
	}
	for _, tt := range tests {
		t.Run(tt.param+"="+tt.value, func(t *testing.T) {
			t.Parallel()
			r := checkDatabase(t, s, checkBody(t, "sales", map[string]string{tt.param: tt.value}, ""))
			assert.Equal(t, "sales", r.DatabaseName)
			found := 0
			for _, c := range r.DBConfigCheckResults {
				if c.ParamName == tt.param {
					found++
					assert.Equal(t, tt.value, c.Value)
					assert.Equal(t, tt.want, c.CheckResult)
					continue
				}
				assert.Equal(t, fake.CheckSuccess, c.CheckResult, "%s keeps its default", c.ParamName)
			}
			assert.Equal(t, 1, found)
		})
	}
}

func TestCheckDatabaseConfigAnswersEveryParameter(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	// Huawei's example request: one parameter given; the answer judges all
	// eleven, the others with their default values, in the documented order.
	r := checkDatabase(t, s, checkBody(t, "orders", map[string]string{"default_isolation_level": "QUERY_SNAPSHOT"}, ""))
	require.Len(t, r.DBConfigCheckResults, len(documentedParameters))
	for i, p := range documentedParameters {
		assert.Equal(t, fake.DatabaseConfigCheckResult{ParamName: p.name, Value: p.def, CheckResult: fake.CheckSuccess}, r.DBConfigCheckResults[i])
	}

	// Unknown parameters come last, in the order given, and fail.
	body := `{"source_instance_id":"src0123","source_database_name":"orders","db_configs":[` +
		`{"param_name":"zz_unknown","value":"1"},{"param_name":"max_sync_threads","value":"3"},{"param_name":"aa_unknown","value":"x"}],` +
		`"table_repl_config":{"repl_type":"white_list","tables":[]}}`
	r = checkDatabase(t, s, body)
	require.Len(t, r.DBConfigCheckResults, len(documentedParameters)+2)
	assert.Equal(t, fake.DatabaseConfigCheckResult{ParamName: "max_sync_threads", Value: "3", CheckResult: fake.CheckFail}, r.DBConfigCheckResults[3])
	assert.Equal(t, []fake.DatabaseConfigCheckResult{
		{ParamName: "zz_unknown", Value: "1", CheckResult: fake.CheckFail},
		{ParamName: "aa_unknown", Value: "x", CheckResult: fake.CheckFail},
	}, r.DBConfigCheckResults[len(documentedParameters):])

	// A database that has a task is known even when it is no source database.
	require.NoError(t, s.AddReplication(testInstance, "legacy"))
	assert.Equal(t, "legacy", checkDatabase(t, s, checkBody(t, "legacy", nil, "")).DatabaseName)
	assert.Equal(t, 3, s.RequestCount("CheckClickHouseDataBaseConfig"))
}

func TestCheckRefusals(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithSourceDatabases(testInstance, fake.DefaultSourceDatabases()...))
	dbCheck := instancePath(s, testInstance, "replication/database-check")
	tableCheck := instancePath(s, testInstance, "replication/table-check")
	const scope = `"table_repl_config":{"repl_type":"black_list","tables":[]}`
	const head = `{"source_instance_id":"src0123","source_database_name":"sales",`
	tests := []struct {
		name, path, body string
		status           int
		code             string
		wantIn           string
	}{
		{"database check of an unknown database", dbCheck, checkBody(t, "nosuchdb", nil, ""), 400, fake.CodeSourceDatabaseNotFound, "does not exist"},
		{"table check of an unknown database", tableCheck,
			`{"source_instance_id":"src0123","source_database_name":"nosuchdb","db_configs":[],"tables_configs":[],` + scope + `}`,
			400, fake.CodeSourceDatabaseNotFound, "does not exist"},
		{"parameter named twice", dbCheck,
			head + `"db_configs":[{"param_name":"max_sync_threads","value":"1"},{"param_name":"max_sync_threads","value":"2"}],` + scope + `}`,
			400, fake.CodeInvalidParameter, "max_sync_threads"},
		{"scope table named twice", dbCheck,
			head + `"db_configs":[],"table_repl_config":{"repl_type":"black_list","tables":["t1","t1"]}}`,
			400, fake.CodeInvalidParameter, "t1"},
		{"table check: table named twice", tableCheck,
			head + `"db_configs":[],"tables_configs":[{"table_name":"t","table_config":"ORDER BY id"},{"table_name":"t","table_config":"TTL d"}],` + scope + `}`,
			400, fake.CodeInvalidParameter, "twice"},
		{"table check: parameter named twice", tableCheck,
			head + `"db_configs":[{"param_name":"a","value":"1"},{"param_name":"a","value":"1"}],"tables_configs":[],` + scope + `}`,
			400, fake.CodeInvalidParameter, "twice"},
		// Huawei's example request spells table_replconfig: it misses the required field.
		{"Huawei's misspelt example", dbCheck,
			head + `"db_configs":[{"param_name":"default_isolation_level","value":"QUERY_SNAPSHOT"}],"table_replconfig":{"repl_type":"black_list","tables":[]}}`,
			400, fake.CodeInvalidParameter, `"table_repl_config"`},
		{"unknown list type", dbCheck,
			head + `"db_configs":[],"table_repl_config":{"repl_type":"grey_list","tables":[]}}`,
			400, fake.CodeInvalidParameter, `"table_repl_config.repl_type"`},
		{"db_configs missing", dbCheck, head + scope + `}`, 400, fake.CodeInvalidParameter, `"db_configs"`},
		{"db_configs null", dbCheck, head + `"db_configs":null,` + scope + `}`, 400, fake.CodeInvalidParameter, `"db_configs"`},
		{"value a number", dbCheck, head + `"db_configs":[{"param_name":"max_sync_threads","value":1}],` + scope + `}`,
			400, fake.CodeInvalidParameter, `"db_configs.0.value"`},
		{"scope table with a dot", dbCheck, head + `"db_configs":[],"table_repl_config":{"repl_type":"black_list","tables":["a.b"]}}`,
			400, fake.CodeInvalidParameter, "tables"},
		{"source database with a slash", dbCheck, `{"source_instance_id":"src0123","source_database_name":"a/b","db_configs":[],` + scope + `}`,
			400, fake.CodeInvalidParameter, `"source_database_name"`},
		{"tables_configs missing", tableCheck, head + `"db_configs":[],` + scope + `}`, 400, fake.CodeInvalidParameter, `"tables_configs"`},
		{"table_name missing", tableCheck, head + `"db_configs":[],"tables_configs":[{"table_config":"ORDER BY id"}],` + scope + `}`,
			400, fake.CodeInvalidParameter, `"table_name"`},
		{"body missing", tableCheck, "", 400, fake.CodeInvalidParameter, "body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := wantError(t, call(t, s, http.MethodPost, tt.path, tt.body), tt.status, tt.code)
			assert.Contains(t, e.ErrorMsg, tt.wantIn)
		})
	}
}

func TestCheckTableConfig(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	tests := []struct {
		config string
		ok     bool
	}{
		{"ORDER BY id", true},
		{"order by id", true},
		{"  ORDER   BY (id, created)  ", true},
		{"PARTITION BY toYYYYMM(created) ORDER BY (id, created)", true},
		{"COLUMNS (id UInt64, created Date COMMENT 'when') ORDER BY id", true},
		{"SAMPLE BY intHash32(id)", true},
		{"PRIMARY KEY id ORDER BY (id, created)", true},
		{"TTL created + INTERVAL 1 MONTH", true},
		{"ORDER BY id PARTITION BY created PRIMARY KEY id SAMPLE BY id TTL created + INTERVAL 1 DAY COLUMNS (id UInt64)", true},
		{"ORDER BY 'a;b'", true},
		{"ORDER BY primary_key_col", true},
		{"ORDER BY `odd ( name`", true},
		{"", false},
		{"   ", false},
		{"id", false},
		{"ORDER BY", false},
		{"ORDER BY id TTL", false},
		{"ORDER BY id ORDER BY created", false},
		{"order by id ORDER BY created", false},
		{"COLUMNS id", false},
		{"COLUMNS ()", false},
		{"COLUMNS (id UInt64) extra", false},
		{"ORDER BY (id", false},
		{"ORDER BY id)", false},
		{"ORDER BY 'open", false},
		{"ORDER BY id; DROP TABLE t", false},
		{"ENGINE = MergeTree ORDER BY id", false},
		{"ORDER BY id SETTINGS index_granularity = 8192", false},
		{"GROUP BY id", false},
		{"ORDER id", false},
	}
	configs := make([]map[string]string, 0, len(tests))
	for i, tt := range tests {
		configs = append(configs, map[string]string{"table_name": fmt.Sprintf("t%02d", i), "table_config": tt.config})
	}
	body := `{"source_instance_id":"src0123","source_node_id":"node01","source_database_name":"sales",` +
		`"db_configs":[{"param_name":"max_sync_threads","value":"9"}],` +
		`"table_repl_config":{"repl_type":"white_list","tables":[]},"tables_configs":` + jsonBody(t, configs) + `}`
	a := call(t, s, http.MethodPost, instancePath(s, testInstance, "replication/table-check"), body)
	require.Equal(t, http.StatusOK, a.Status, "body %s", a.Body)
	var r fake.TableConfigCheckResponse
	a.decode(t, &r)
	assert.Equal(t, "sales", r.SourceDatabaseName)
	require.Len(t, r.TableConfigCheckResults, len(tests))
	for i, tt := range tests {
		got := r.TableConfigCheckResults[i]
		assert.Equal(t, fmt.Sprintf("t%02d", i), got.TableName, "answers keep the order of the request")
		assert.Equal(t, tt.config, got.TableConfig)
		want := fake.CheckTableFailed
		if tt.ok {
			want = fake.CheckSuccess
		}
		assert.Equal(t, want, got.CheckResult, "%q", tt.config)
	}

	// No table configurations: an empty answer, [] not null.
	a = call(t, s, http.MethodPost, instancePath(s, testInstance, "replication/table-check"),
		`{"source_instance_id":"src0123","source_database_name":"sales","db_configs":[],"tables_configs":[],"table_repl_config":{"repl_type":"black_list","tables":[]}}`)
	require.Equal(t, http.StatusOK, a.Status, "body %s", a.Body)
	assert.JSONEq(t, `{"source_database_name":"sales","table_config_check_results":[]}`, string(a.Body))
}

func TestReplicationConfigOfANewTask(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithJobMode(fake.JobsManual))
	a := call(t, s, http.MethodPost, replicationPath(s, testInstance),
		`{"source_instance_id":"77aa4096cb824a61b93dab5ca00ecc8fin07","source_node_id":"57bfeacf6e8d4eb685ea907372374b35no07","source_database":"sales"}`)
	require.Equal(t, http.StatusOK, a.Status, "body %s", a.Body)

	a = call(t, s, http.MethodGet, configPath(s, "sales"), "")
	require.Equal(t, http.StatusOK, a.Status, "body %s", a.Body)
	var raw map[string]json.RawMessage
	a.decode(t, &raw)
	// As Huawei's example: nulls when no change is in progress.
	assert.JSONEq(t, `{"repl_type":null,"tables":null}`, string(raw["new_table_repl_config"]))
	assert.JSONEq(t, `null`, string(raw["last_error_of_alter_table"]))
	assert.JSONEq(t, `[]`, string(raw["table_infos"]))
	assert.JSONEq(t, `{"repl_type":"black_list","tables":[]}`, string(raw["table_repl_config"]))
	assert.JSONEq(t, `false`, string(raw["is_tables_change"]))

	c := showConfig(t, s, "sales")
	assert.Equal(t, "77aa4096cb824a61b93dab5ca00ecc8fin07", c.SourceInstanceID)
	assert.Equal(t, "57bfeacf6e8d4eb685ea907372374b35no07", c.SourceNodeID)
	assert.Equal(t, "sales", c.DatabaseInfo.DatabaseName)
	require.Len(t, c.DatabaseInfo.DBConfigCheckResults, len(documentedParameters))
	for i, p := range documentedParameters {
		assert.Equal(t, fake.DatabaseConfigCheckResult{ParamName: p.name, Value: p.def, CheckResult: fake.CheckSuccess}, c.DatabaseInfo.DBConfigCheckResults[i])
	}

	// A seeded task has no known source; one on the primary node, no node.
	require.NoError(t, s.AddReplication(testInstance, "seeded"))
	c = showConfig(t, s, "seeded")
	assert.Empty(t, c.SourceInstanceID)
	assert.Empty(t, c.SourceNodeID)
	create(t, s, testInstance, "primary")
	c = showConfig(t, s, "primary")
	assert.Equal(t, "src0123", c.SourceInstanceID)
	assert.Empty(t, c.SourceNodeID)

	// No task, no configuration, on any instance.
	wantError(t, call(t, s, http.MethodGet, configPath(s, "shop"), ""), http.StatusBadRequest, fake.CodeDatabaseNotFound)
	wantError(t, call(t, s, http.MethodGet, instancePath(s, "otherinstance01", "replication/config?database_name=sales"), ""),
		http.StatusBadRequest, fake.CodeDatabaseNotFound)
	// A deleted task's configuration is gone with it.
	require.Equal(t, http.StatusOK, call(t, s, http.MethodDelete, deletePath(s, testInstance, "seeded"), "").Status)
	wantError(t, call(t, s, http.MethodGet, configPath(s, "seeded"), ""), http.StatusBadRequest, fake.CodeDatabaseNotFound)
	// The spec requires a valid database_name.
	wantError(t, call(t, s, http.MethodGet, instancePath(s, testInstance, "replication/config"), ""), http.StatusBadRequest, fake.CodeInvalidParameter)
	wantError(t, call(t, s, http.MethodGet, configPath(s, "a.b"), ""), http.StatusBadRequest, fake.CodeInvalidParameter)
	wantError(t, call(t, s, http.MethodGet, configPath(s, ""), ""), http.StatusBadRequest, fake.CodeInvalidParameter)
}

// checkPendingScope checks a configuration whose scope is changing from
// black_list tables from to black_list tables to.
func checkPendingScope(t *testing.T, c fake.ReplicationConfigResponse, from, to []string) {
	t.Helper()
	assert.True(t, c.IsTablesChange)
	assert.Equal(t, fake.TableReplConfig{ReplType: fake.TableReplConfigReplTypeBlackList, Tables: from}, c.TableReplConfig)
	require.NotNil(t, c.NewTableReplConfig.ReplType)
	require.NotNil(t, c.NewTableReplConfig.Tables)
	assert.Equal(t, "black_list", *c.NewTableReplConfig.ReplType)
	assert.Equal(t, to, *c.NewTableReplConfig.Tables)
}

// checkSettledScope checks a configuration with no change in progress.
func checkSettledScope(t *testing.T, c fake.ReplicationConfigResponse, tables []string, lastError string) {
	t.Helper()
	assert.False(t, c.IsTablesChange)
	assert.Equal(t, fake.TableReplConfig{ReplType: fake.TableReplConfigReplTypeBlackList, Tables: tables}, c.TableReplConfig)
	assert.Nil(t, c.NewTableReplConfig.ReplType)
	assert.Nil(t, c.NewTableReplConfig.Tables)
	assert.Equal(t, lastError, deref(c.LastErrorOfAlterTable))
}

func TestScopeChangeManual(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithJobMode(fake.JobsManual))
	require.NoError(t, s.AddReplication(testInstance, "sales"))

	id := updateScope(t, s, "sales", `{"black_list":" audit_log , tmp_import"}`)
	j := showJob(t, s, id)
	assert.Equal(t, "UpdateClickHouseDataBaseConfig", j.Name)
	assert.Equal(t, fake.JobStatusPending, j.Status)
	assert.Equal(t, testInstance, j.Instance.ID)
	checkPendingScope(t, showConfig(t, s, "sales"), []string{}, []string{"audit_log", "tmp_import"})

	// One change at a time: another is refused while this one runs.
	a := call(t, s, http.MethodPut, scopePath(s), scopeBody(t, "sales", `{"black_list":"x"}`))
	e := wantError(t, a, http.StatusConflict, fake.CodeInstanceBusy)
	assert.Contains(t, e.ErrorMsg, "busy")

	s.Advance(2)
	assert.Equal(t, fake.JobStatusRunning, showJob(t, s, id).Status)
	checkPendingScope(t, showConfig(t, s, "sales"), []string{}, []string{"audit_log", "tmp_import"})

	s.FinishJobs()
	assert.Equal(t, fake.JobStatusCompleted, showJob(t, s, id).Status)
	checkSettledScope(t, showConfig(t, s, "sales"), []string{"audit_log", "tmp_import"}, "")

	// Back to every table.
	id = updateScope(t, s, "sales", `{"black_list":""}`)
	checkPendingScope(t, showConfig(t, s, "sales"), []string{"audit_log", "tmp_import"}, []string{})
	require.True(t, s.AdvanceJob(id, 5))
	checkSettledScope(t, showConfig(t, s, "sales"), []string{}, "")
	assert.Equal(t, 3, s.RequestCount("UpdateClickHouseDataBaseConfig"), "two changes and one refused")
}

func TestScopeChangeStepOnPoll(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithJobMode(fake.JobsStepOnPoll))
	require.NoError(t, s.AddReplication(testInstance, "sales"))
	id := updateScope(t, s, "sales", `{"black_list":"t1"}`)
	var statuses []fake.JobStatus
	for range 10 { // a job ends after six polls
		// The configuration read before a poll agrees with what the poll
		// shows; the poll then moves the job.
		c := showConfig(t, s, "sales")
		j := showJob(t, s, id)
		statuses = append(statuses, j.Status)
		if j.Status == fake.JobStatusCompleted {
			checkSettledScope(t, c, []string{"t1"}, "")
			break
		}
		checkPendingScope(t, c, []string{}, []string{"t1"})
	}
	assert.Equal(t, []fake.JobStatus{fake.JobStatusPending, fake.JobStatusRunning, fake.JobStatusRunning,
		fake.JobStatusRunning, fake.JobStatusRunning, fake.JobStatusCompleted}, statuses)
	checkSettledScope(t, showConfig(t, s, "sales"), []string{"t1"}, "")
}

func TestScopeChangeWallClock(t *testing.T) {
	t.Parallel()
	c := newClock()
	s := newServer(t, fake.WithJobDuration(5*time.Second), fake.WithClock(c.Now))
	require.NoError(t, s.AddReplication(testInstance, "sales"))
	id := updateScope(t, s, "sales", `{"black_list":"t1,t2"}`)
	c.Add(3 * time.Second)
	assert.Equal(t, fake.JobStatusRunning, showJob(t, s, id).Status)
	checkPendingScope(t, showConfig(t, s, "sales"), []string{}, []string{"t1", "t2"})
	c.Add(2 * time.Second)
	// The configuration settles when the clock says, whether or not the job is polled.
	checkSettledScope(t, showConfig(t, s, "sales"), []string{"t1", "t2"}, "")
	assert.Equal(t, fake.JobStatusCompleted, showJob(t, s, id).Status)
}

func TestScopeChangeFails(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithJobMode(fake.JobsManual))
	require.NoError(t, s.AddReplication(testInstance, "sales"))
	s.FailNextJob("ALTER TABLE failed: table t9 is locked")
	id := updateScope(t, s, "sales", `{"black_list":"t9"}`)
	s.FinishJobs()
	j := showJob(t, s, id)
	assert.Equal(t, fake.JobStatusFailed, j.Status)
	assert.Equal(t, "ALTER TABLE failed: table t9 is locked", deref(j.FailReason))
	checkSettledScope(t, showConfig(t, s, "sales"), []string{}, "ALTER TABLE failed: table t9 is locked")

	// The next change that completes clears the error.
	updateScope(t, s, "sales", `{"black_list":"t8"}`)
	s.FinishJobs()
	checkSettledScope(t, showConfig(t, s, "sales"), []string{"t8"}, "")
}

func TestScopeTypeCannotChange(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithJobMode(fake.JobsManual))
	require.NoError(t, s.AddReplication(testInstance, "sales"))
	a := call(t, s, http.MethodPut, scopePath(s), scopeBody(t, "sales", `{"white_list":"t1"}`))
	e := wantError(t, a, http.StatusBadRequest, fake.CodeScopeTypeChange)
	assert.Contains(t, e.ErrorMsg, "list type")
	checkSettledScope(t, showConfig(t, s, "sales"), []string{}, "")

	// A white list (which only SetTableScope reaches) keeps its type too.
	require.NoError(t, s.AddReplication(testInstance, "shop"))
	require.NoError(t, s.SetTableScope(testInstance, "shop", fake.TableReplConfig{ReplType: fake.TableReplConfigReplTypeWhiteList, Tables: []string{"a"}}))
	wantError(t, call(t, s, http.MethodPut, scopePath(s), scopeBody(t, "shop", `{"black_list":""}`)), http.StatusBadRequest, fake.CodeScopeTypeChange)
	wantError(t, call(t, s, http.MethodPut, scopePath(s), scopeBody(t, "shop", `{"white_list":""}`)), http.StatusBadRequest, fake.CodeInvalidParameter)
	updateScope(t, s, "shop", `{"white_list":"a,b"}`)
	c := showConfig(t, s, "shop")
	assert.True(t, c.IsTablesChange)
	assert.Equal(t, "white_list", deref(c.NewTableReplConfig.ReplType))
	s.FinishJobs()
	c = showConfig(t, s, "shop")
	assert.Equal(t, fake.TableReplConfig{ReplType: fake.TableReplConfigReplTypeWhiteList, Tables: []string{"a", "b"}}, c.TableReplConfig)
}

func TestScopeValueMalformed(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithJobMode(fake.JobsManual))
	require.NoError(t, s.AddReplication(testInstance, "sales"))
	for _, value := range []string{
		``,
		`black_list`,
		`"t1,t2"`,
		`[]`,
		`{}`,
		`null`,
		`{"black_list":["t1"]}`,
		`{"black_list":1}`,
		`{"black_list":null}`,
		`{"grey_list":"t1"}`,
		`{"Black_List":"t1"}`,
		`{"black_list":"t1","white_list":"t2"}`,
		`{"black_list":"t1","black_list":"t2"}`,
		`{"black_list":"t1"} x`,
		`{"black_list":"t1"}{}`,
		`{"black_list":"t1"`,
		`{"black_list":"t1,,t2"}`,
		`{"black_list":"t1,"}`,
		`{"black_list":"t1,t1"}`,
		`{"black_list":"a.b"}`,
		`{"black_list":"a/b"}`,
		`{"black_list":"` + strings.Repeat("x", 65) + `"}`,
		`{"white_list":""}`,
	} {
		t.Run(value, func(t *testing.T) {
			t.Parallel()
			a := call(t, s, http.MethodPut, scopePath(s), scopeBody(t, "sales", value))
			e := wantError(t, a, http.StatusBadRequest, fake.CodeInvalidParameter)
			assert.Contains(t, e.ErrorMsg, "value")
		})
	}
	t.Run("nothing changed", func(t *testing.T) {
		t.Parallel()
		checkSettledScope(t, showConfig(t, s, "sales"), []string{}, "")
	})
}

func TestScopeUpdateRefusals(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithJobMode(fake.JobsManual))
	path := scopePath(s)
	t.Run("no task", func(t *testing.T) {
		t.Parallel()
		wantError(t, call(t, s, http.MethodPut, path, scopeBody(t, "shop", `{"black_list":"t1"}`)), http.StatusBadRequest, fake.CodeDatabaseNotFound)
	})
	t.Run("task being created", func(t *testing.T) {
		t.Parallel()
		s := newServer(t, fake.WithJobMode(fake.JobsManual))
		id := create(t, s, testInstance, "creating")
		wantError(t, call(t, s, http.MethodPut, scopePath(s), scopeBody(t, "creating", `{"black_list":"t1"}`)), http.StatusConflict, fake.CodeInstanceBusy)
		require.True(t, s.AdvanceJob(id, 5))
		updateScope(t, s, "creating", `{"black_list":"t1"}`)
		checkPendingScope(t, showConfig(t, s, "creating"), []string{}, []string{"t1"})
	})
	t.Run("another source instance", func(t *testing.T) {
		t.Parallel()
		s := newServer(t, fake.WithJobMode(fake.JobsManual))
		create(t, s, testInstance, "fromsrc") // source src0123
		s.FinishJobs()
		body := jsonBody(t, map[string]string{"source_instance_id": "othersource01", "database": "fromsrc", "value": `{"black_list":"t1"}`})
		e := wantError(t, call(t, s, http.MethodPut, scopePath(s), body), http.StatusBadRequest, fake.CodeInvalidParameter)
		assert.Contains(t, e.ErrorMsg, "source_instance_id")
		checkSettledScope(t, showConfig(t, s, "fromsrc"), []string{}, "")
	})
	t.Run("a seeded task takes the source of its first update", func(t *testing.T) {
		t.Parallel()
		require.NoError(t, s.AddReplication(testInstance, "seeded"))
		updateScope(t, s, "seeded", `{"black_list":"t1"}`)
		assert.Equal(t, "src0123", showConfig(t, s, "seeded").SourceInstanceID)
	})
	for name, body := range map[string]string{
		"value missing":             `{"source_instance_id":"src0123","database":"sales"}`,
		"database missing":          `{"source_instance_id":"src0123","value":"{\"black_list\":\"\"}"}`,
		"source_instance_id absent": `{"database":"sales","value":"{\"black_list\":\"\"}"}`,
		"database with a slash":     `{"source_instance_id":"src0123","database":"a/b","value":"{\"black_list\":\"\"}"}`,
		"value an object":           `{"source_instance_id":"src0123","database":"sales","value":{"black_list":""}}`,
		"source_node_id with space": `{"source_instance_id":"src0123","source_node_id":"a b","database":"sales","value":"{\"black_list\":\"\"}"}`,
		"body not JSON":             `{"source_instance_id":`,
		"body missing":              ``,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			wantError(t, call(t, s, http.MethodPut, path, body), http.StatusBadRequest, fake.CodeInvalidParameter)
		})
	}
}

func TestStopScopeChange(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithJobMode(fake.JobsManual))
	require.NoError(t, s.AddReplication(testInstance, "sales"))
	update := updateScope(t, s, "sales", `{"black_list":"t1"}`)
	s.Advance(2)
	s.FailNextJob("meant for the next change")

	a := call(t, s, http.MethodDelete, stopPath(s, "sales"), "")
	require.Equal(t, http.StatusOK, a.Status, "body %s", a.Body)
	var r fake.JobIDResponse
	a.decode(t, &r)
	require.NotEmpty(t, r.JobID)
	assert.NotEqual(t, update, r.JobID)

	// The change ends at once; the task keeps its tables.
	j := showJob(t, s, update)
	assert.Equal(t, fake.JobStatusFailed, j.Status)
	assert.Equal(t, "The change of the table scope was stopped.", deref(j.FailReason))
	checkSettledScope(t, showConfig(t, s, "sales"), []string{}, "")

	// The stop has a job of its own, which takes no queued failure.
	stop := showJob(t, s, r.JobID)
	assert.Equal(t, "DeleteClickHouseDataBaseConfig", stop.Name)
	assert.Equal(t, fake.JobStatusPending, stop.Status)
	s.FinishJobs()
	assert.Equal(t, fake.JobStatusCompleted, showJob(t, s, r.JobID).Status)
	assert.Equal(t, fake.JobStatusFailed, showJob(t, s, update).Status, "a stopped change stays stopped")

	// Nothing left to stop.
	wantError(t, call(t, s, http.MethodDelete, stopPath(s, "sales"), ""), http.StatusBadRequest, fake.CodeNoScopeChange)

	// The queued failure goes to the next change.
	next := updateScope(t, s, "sales", `{"black_list":"t2"}`)
	s.FinishJobs()
	assert.Equal(t, "meant for the next change", deref(showJob(t, s, next).FailReason))
	checkSettledScope(t, showConfig(t, s, "sales"), []string{}, "meant for the next change")

	// A finished change cannot be stopped; after it, a new change can start.
	updateScope(t, s, "sales", `{"black_list":"t3"}`)
	s.FinishJobs()
	wantError(t, call(t, s, http.MethodDelete, stopPath(s, "sales"), ""), http.StatusBadRequest, fake.CodeNoScopeChange)
	checkSettledScope(t, showConfig(t, s, "sales"), []string{"t3"}, "")
}

func TestStopScopeChangeRefusals(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	require.NoError(t, s.AddReplication(testInstance, "sales"))
	wantError(t, call(t, s, http.MethodDelete, stopPath(s, "sales"), ""), http.StatusBadRequest, fake.CodeNoScopeChange)
	wantError(t, call(t, s, http.MethodDelete, stopPath(s, "shop"), ""), http.StatusBadRequest, fake.CodeDatabaseNotFound)
	wantError(t, call(t, s, http.MethodDelete, scopePath(s), ""), http.StatusBadRequest, fake.CodeInvalidParameter)
	wantError(t, call(t, s, http.MethodDelete, stopPath(s, "sa.les"), ""), http.StatusBadRequest, fake.CodeInvalidParameter)
	e := wantError(t, call(t, s, http.MethodDelete, stopPath(s, ""), ""), http.StatusBadRequest, fake.CodeInvalidParameter)
	assert.Contains(t, e.ErrorMsg, `parameter "database" in query`)
}

func TestScopeChangeOnABusyInstance(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithJobMode(fake.JobsManual), fake.WithOneOperationPerInstance())
	require.NoError(t, s.AddReplication(testInstance, "sales"))
	create(t, s, testInstance, "orders")
	// Another task's job keeps the instance busy: the change is refused.
	a := call(t, s, http.MethodPut, scopePath(s), scopeBody(t, "sales", `{"black_list":"t1"}`))
	wantError(t, a, http.StatusConflict, fake.CodeInstanceBusy)
	checkSettledScope(t, showConfig(t, s, "sales"), []string{}, "")
	s.FinishJobs()

	update := updateScope(t, s, "sales", `{"black_list":"t1"}`)
	// The change keeps the instance busy, but it can be stopped.
	wantError(t, call(t, s, http.MethodPost, replicationPath(s, testInstance), createBody("shop")), http.StatusConflict, fake.CodeInstanceBusy)
	stop := call(t, s, http.MethodDelete, stopPath(s, "sales"), "")
	require.Equal(t, http.StatusOK, stop.Status, "body %s", stop.Body)
	assert.Equal(t, fake.JobStatusFailed, showJob(t, s, update).Status)
	// The stop's job keeps the instance busy until it ends.
	wantError(t, call(t, s, http.MethodPost, replicationPath(s, testInstance), createBody("shop")), http.StatusConflict, fake.CodeInstanceBusy)
	s.FinishJobs()
	create(t, s, testInstance, "shop")
}

func TestSetTableScope(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithJobMode(fake.JobsManual))
	require.NoError(t, s.AddReplication(testInstance, "sales"))
	black := fake.TableReplConfigReplTypeBlackList
	white := fake.TableReplConfigReplTypeWhiteList
	require.NoError(t, s.SetTableScope(testInstance, "sales", fake.TableReplConfig{ReplType: black, Tables: []string{"t1"}}))
	checkSettledScope(t, showConfig(t, s, "sales"), []string{"t1"}, "")
	for name, sc := range map[string]fake.TableReplConfig{
		"unknown list type":       {ReplType: "grey_list"},
		"white list of none":      {ReplType: white},
		"table named twice":       {ReplType: black, Tables: []string{"a", "a"}},
		"invalid table name":      {ReplType: black, Tables: []string{"a.b"}},
		"empty list type":         {},
		"table ending in a space": {ReplType: black, Tables: []string{"a "}},
	} {
		assert.Error(t, s.SetTableScope(testInstance, "sales", sc), name)
	}
	assert.Error(t, s.SetTableScope(testInstance, "shop", fake.TableReplConfig{ReplType: black}), "no task")
	updateScope(t, s, "sales", `{"black_list":"t2"}`)
	assert.Error(t, s.SetTableScope(testInstance, "sales", fake.TableReplConfig{ReplType: black}), "a change in progress")
	checkPendingScope(t, showConfig(t, s, "sales"), []string{"t1"}, []string{"t2"})
}

// TestPathsOfTheWorkflowAndTasksNamedLikeThem checks that the workflow's
// fixed paths (replication/config, replication/database-check, ...) and a
// task whose database has the same name do not shadow one another.
func TestPathsOfTheWorkflowAndTasksNamedLikeThem(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithJobMode(fake.JobsManual))
	names := []string{"config", "database-check", "table-check", "database-parameter"}
	for _, n := range names {
		require.NoError(t, s.AddReplication(testInstance, n))
	}
	assert.Equal(t, "config", showConfig(t, s, "config").DatabaseInfo.DatabaseName)
	for _, n := range names {
		a := call(t, s, http.MethodDelete, deletePath(s, testInstance, n), "")
		require.Equal(t, http.StatusOK, a.Status, "%s: body %s", n, a.Body)
	}
	assert.Empty(t, s.Replications(testInstance))
	ops := map[string]bool{}
	for _, r := range s.Requests() {
		ops[r.Operation] = true
	}
	assert.Equal(t, map[string]bool{"ListClickHouseDataBaseReplicationConfig": true, "DeleteClickHouseDataBaseReplication": true}, ops)
	// A method the path has not: the gateway's 404.
	wantError(t, call(t, s, http.MethodPost, instancePath(s, testInstance, "replication/config"), "{}"), http.StatusNotFound, fake.CodeAPINotFound)
}

func TestConcurrentScopeUpdates(t *testing.T) {
	t.Parallel()
	const n = 50
	s := newServer(t, fake.WithJobMode(fake.JobsManual))
	require.NoError(t, s.AddReplication(testInstance, "sales"))
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i := range n {
		wg.Go(func() {
			body := jsonBody(t, map[string]string{"source_instance_id": "src0123", "database": "sales", "value": fmt.Sprintf(`{"black_list":"t%d"}`, i)})
			statuses[i] = call(t, s, http.MethodPut, scopePath(s), body).Status
			_ = call(t, s, http.MethodGet, configPath(s, "sales"), "")
		})
	}
	wg.Wait()
	counts := map[int]int{}
	for _, st := range statuses {
		counts[st]++
	}
	assert.Equal(t, map[int]int{http.StatusOK: 1, http.StatusConflict: n - 1}, counts)
	c := showConfig(t, s, "sales")
	require.True(t, c.IsTablesChange)
	require.Len(t, deref(c.NewTableReplConfig.Tables), 1)
}
