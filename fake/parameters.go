package fake

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Check results of CheckClickHouseDataBaseConfig and
// CheckClickHouseTableConfig.
const (
	// CheckSuccess is the check_result of a value or table configuration
	// that passes.
	CheckSuccess = "success"
	// CheckFail is the check_result of a parameter value that fails (a value
	// out of its range, or a parameter that does not exist).
	CheckFail = "fail"
	// CheckTableFailed is the check_result of a table configuration that
	// fails, Huawei's own text.
	CheckTableFailed = "Check Override Table Failed"
)

// parameter is one synchronization parameter of a database.
type parameter struct {
	name        string
	integer     bool     // data type Integer (else String)
	def         string   // default value
	values      []string // String: the values it takes
	lo, hi      int64    // Integer: the inclusive range
	description string
}

// parameters are the 11 documented synchronization parameters, in
// Huawei's order.
var parameters = []parameter{
	{name: "default_isolation_level", def: "QUERY_SNAPSHOT",
		values:      []string{"READ_COMMITTED", "READ_UNCOMMITTED", "QUERY_RAW", "QUERY_SNAPSHOT"},
		description: "Default isolation level of the MaterializeMySQL engine: READ_UNCOMMITTED (no MVCC), READ_COMMITTED (transactions stay whole within a query, subqueries included), QUERY_SNAPSHOT (transactions stay whole and duplicate and deleted rows are removed, at the cost of freshness)."},
	{name: "enable_snapshots", def: "true", values: []string{"true", "false"},
		description: "Create snapshots, for the QUERY_SNAPSHOT isolation level."},
	{name: "enable_chunk_level", def: "true", values: []string{"true", "false"},
		description: "Replicate chunks in parallel, which is faster."},
	{name: "max_sync_threads", integer: true, def: "1", lo: 1, hi: 2,
		description: "Largest number of threads of the full synchronization."},
	{name: "treat_numeric_string_as_integer", def: "false", values: []string{"true", "false"},
		description: "Treat numeric strings as integers when the full synchronization splits tables into chunks."},
	{name: "min_binlog_expire_logs_seconds", integer: true, def: "86400", lo: 0, hi: 2592000,
		description: "Shortest binlog retention, in seconds, that synchronization accepts (it fails when binlogs are kept for less); 0 sets no limit."},
	{name: "max_rows_in_buffer", integer: true, def: "2000000", lo: 1, hi: 10000000,
		description: "Most rows cached in memory for one table (and for cached data that cannot be queried) before they are written."},
	{name: "max_rows_in_buffers", integer: true, def: "6000000", lo: 1, hi: 10000000,
		description: "Most rows cached in memory for the database (and for cached data that cannot be queried) before they are written."},
	{name: "max_bytes_in_buffer", integer: true, def: "200000000", lo: 1, hi: 1000000000,
		description: "Most bytes cached in memory for one table (and for cached data that cannot be queried) before they are written."},
	{name: "max_bytes_in_buffers", integer: true, def: "600000000", lo: 1, hi: 1000000000,
		description: "Most bytes cached in memory for the database (and for cached data that cannot be queried) before they are written."},
	{name: "max_flush_data_time", integer: true, def: "5000", lo: 1, hi: 10000,
		description: "Longest time data stays cached in memory, in milliseconds."},
}

// wire shows the parameter as ListClickHouseDataBaseParameter does.
func (p parameter) wire() DatabaseParameter {
	dataType, valueRange := "String", strings.Join(p.values, "|")
	if p.integer {
		dataType, valueRange = "Integer", fmt.Sprintf("%d-%d", p.lo, p.hi)
	}
	return DatabaseParameter{
		ParamName:    p.name,
		DataType:     dataType,
		DefaultValue: p.def,
		ValueRange:   valueRange,
		Description:  p.description,
	}
}

// accepts reports whether value is in the parameter's range: one of its
// values, exactly as listed (case matters), or a decimal integer within
// its bounds.
func (p parameter) accepts(value string) bool {
	if !p.integer {
		return slices.Contains(p.values, value)
	}
	if value == "" || strings.IndexFunc(value, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return false // no sign, no spaces, no fraction
	}
	n, err := strconv.ParseInt(value, 10, 64)
	return err == nil && n >= p.lo && n <= p.hi
}

// judge returns the check results of configs: one per documented
// parameter, in Huawei's order, with the value configs gives it or its
// default, then one CheckFail per parameter configs names that does not
// exist, in the order of configs. A parameter named twice is an error.
func judge(configs []DatabaseConfig) ([]DatabaseConfigCheckResult, error) {
	given := make(map[string]string, len(configs))
	for _, c := range configs {
		if _, ok := given[c.ParamName]; ok {
			return nil, fmt.Errorf("db_configs names parameter %q twice", c.ParamName)
		}
		given[c.ParamName] = c.Value
	}
	out := make([]DatabaseConfigCheckResult, 0, len(parameters)+len(configs))
	for _, p := range parameters {
		v, ok := given[p.name]
		if !ok {
			v = p.def
		}
		out = append(out, checkResult(p.name, v, p.accepts(v)))
		delete(given, p.name)
	}
	for _, c := range configs {
		if _, unknown := given[c.ParamName]; unknown {
			out = append(out, checkResult(c.ParamName, c.Value, false))
		}
	}
	return out, nil
}

func checkResult(name, value string, ok bool) DatabaseConfigCheckResult {
	r := DatabaseConfigCheckResult{ParamName: name, Value: value, CheckResult: CheckFail}
	if ok {
		r.CheckResult = CheckSuccess
	}
	return r
}

// checkScope checks the tables of a table scope: none may be named twice.
func checkScope(scope TableReplConfig) error {
	seen := make(map[string]bool, len(scope.Tables))
	for _, t := range scope.Tables {
		if seen[t] {
			return fmt.Errorf("table_repl_config names table %q twice", t)
		}
		seen[t] = true
	}
	return nil
}

func (a api) ListClickHouseDataBaseParameter(context.Context, ListClickHouseDataBaseParameterRequestObject) (ListClickHouseDataBaseParameterResponseObject, error) {
	out := make([]DatabaseParameter, 0, len(parameters))
	for _, p := range parameters {
		out = append(out, p.wire())
	}
	return ListClickHouseDataBaseParameter200JSONResponse{DBParameters: out}, nil
}

// clientError is a 400 answer of the spec's ClientError shape.
func clientError(code, msg string) ClientErrorJSONResponse {
	return ClientErrorJSONResponse{ErrorCode: code, ErrorMsg: msg}
}

// parameterError is the 400 answer of a request whose content the service
// refuses (CodeInvalidParameter), saying why.
func parameterError(err error) ClientErrorJSONResponse {
	return clientError(CodeInvalidParameter, "Parameter error: "+err.Error()+".")
}

// errNoSourceDatabase is the message of a create or a check of a database
// the instance does not list (CodeSourceDatabaseNotFound).
const errNoSourceDatabase = "The database name does not exist: ListClickHouseDataBase does not list it for this instance."

func (a api) CheckClickHouseDataBaseConfig(_ context.Context, req CheckClickHouseDataBaseConfigRequestObject) (CheckClickHouseDataBaseConfigResponseObject, error) {
	if req.Body == nil { // validation rejects a missing body; keep the handler total anyway
		return CheckClickHouseDataBaseConfig400JSONResponse{clientError(CodeInvalidParameter, "Invalid request: the request body is missing.")}, nil
	}
	b := req.Body
	if !a.s.store.knowsDatabase(req.InstanceID, b.SourceDatabaseName) {
		return CheckClickHouseDataBaseConfig400JSONResponse{clientError(CodeSourceDatabaseNotFound, errNoSourceDatabase)}, nil
	}
	if err := checkScope(b.TableReplConfig); err != nil {
		return CheckClickHouseDataBaseConfig400JSONResponse{parameterError(err)}, nil
	}
	results, err := judge(b.DBConfigs)
	if err != nil {
		return CheckClickHouseDataBaseConfig400JSONResponse{parameterError(err)}, nil
	}
	return CheckClickHouseDataBaseConfig200JSONResponse{DatabaseName: b.SourceDatabaseName, DBConfigCheckResults: results}, nil
}

// knowsDatabase is hasDatabase with the lock.
func (st *store) knowsDatabase(instanceID, database string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.hasDatabase(instanceID, database)
}
