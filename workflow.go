package chreplication

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"net/http"
	"strconv"
	"strings"

	"github.com/gaussdb-tools/chreplication/generated"
)

// The workflow operations, as the spec's operationIds. The checks are POSTs
// that change nothing: they are retried as reads are.
var (
	opListDatabases  = &operation{"ListClickHouseDataBase", true}
	opParameters     = &operation{"ListClickHouseDataBaseParameter", true}
	opCheckDatabase  = &operation{"CheckClickHouseDataBaseConfig", true}
	opCheckTables    = &operation{"CheckClickHouseTableConfig", true}
	opShowConfig     = &operation{"ListClickHouseDataBaseReplicationConfig", true}
	opUpdateScope    = &operation{"UpdateClickHouseDataBaseConfig", false}
	opCancelScopeJob = &operation{"DeleteClickHouseDataBaseConfig", false}
)

// DatabaseListOptions pages through the databases ListDatabases shows, and
// filters them by name. Zero values mean the API's defaults (limit 10,
// offset 0, every database).
type DatabaseListOptions struct {
	// Name filters the list by database name; "" lists every database.
	Name string
	// Limit is the page size, 1 to 100.
	Limit int
	// Offset is the number of databases to skip.
	Offset int
}

// DatabasePage is one page of ListDatabases.
type DatabasePage struct {
	// TotalCount is the number of databases in all pages.
	TotalCount int `json:"total_count"`
	// Databases are the names of this page's databases.
	Databases []string `json:"databases"`
}

// ListDatabases returns one page of the databases of the source
// GaussDB(for MySQL) instance that the ClickHouse node of instanceID can
// synchronise. Bad input returns an error wrapping ErrInvalidRequest and
// sends nothing.
func (c *Client) ListDatabases(ctx context.Context, instanceID string, opts DatabaseListOptions) (*DatabasePage, error) {
	if err := checkID("instanceID", instanceID); err != nil {
		return nil, err
	}
	page := ListOptions{Limit: opts.Limit, Offset: opts.Offset}
	if err := checkListOptions(page); err != nil {
		return nil, err
	}
	if opts.Name != "" {
		if err := checkDatabase("Name", opts.Name); err != nil {
			return nil, err
		}
	}
	params := generated.ListClickHouseDataBaseParams{DatabaseName: opts.Name, XLanguage: c.language}
	params.Limit, params.Offset = pageParams(page)
	out, a, err := run[generated.ListDatabasesResponse](c, ctx, opListDatabases, func(ctx context.Context) (*http.Response, error) {
		return c.gen.ListClickHouseDataBase(ctx, c.projectID, instanceID, &params)
	}, generated.ParseListClickHouseDataBaseResponse)
	if err != nil {
		return nil, err
	}
	total, err := totalCount(a, out.TotalCount)
	if err != nil {
		return nil, err
	}
	dbs := out.Databases
	if dbs == nil {
		dbs = []string{}
	}
	return &DatabasePage{TotalCount: total, Databases: dbs}, nil
}

// AllDatabases iterates over every database ListDatabases shows for the
// ClickHouse node of instanceID (filtered by name when name is not ""),
// fetching pages of 100 as the loop goes, as AllReplications does: an error
// is yielded once, with "", and ends the iteration; breaking out of the loop
// stops fetching.
func (c *Client) AllDatabases(ctx context.Context, instanceID, name string) iter.Seq2[string, error] {
	return allPages(func(offset int) ([]string, int, error) {
		page, err := c.ListDatabases(ctx, instanceID, DatabaseListOptions{Name: name, Limit: allPageSize, Offset: offset})
		if err != nil {
			return nil, 0, err
		}
		return page.Databases, page.TotalCount, nil
	})
}

// Parameter is a synchronization parameter of a database, as
// DatabaseParameters lists it.
type Parameter struct {
	// Name is the parameter's name, such as "max_sync_threads".
	Name string `json:"name"`
	// DataType is "Integer" or "String" (as the service names them).
	DataType string `json:"data_type"`
	// Default is the value a new replication uses.
	Default string `json:"default"`
	// Range is what the parameter accepts: "1-2" for an integer, values
	// separated by '|' ("true|false") for a string.
	Range string `json:"range"`
	// Description says what the parameter does.
	Description string `json:"description,omitempty"`
}

// CheckValue checks value against the parameter's data type and range,
// locally, without sending anything: an Integer parameter takes an integer
// within "min-max", a String parameter one of the values of "a|b|c". A
// range in another form accepts any value (the service judges it). A refused value gives an *InvalidRequestError (wrapping
// ErrInvalidRequest) that names the parameter.
func (p Parameter) CheckValue(value string) error {
	r := strings.TrimSpace(p.Range)
	if strings.EqualFold(p.DataType, "integer") {
		n, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
		if err != nil {
			return invalid(p.Name, quote(value)+" is not an integer")
		}
		lo, hi, ok := parseRange(r)
		if ok && (n < lo || n > hi) {
			return invalid(p.Name, quote(value)+" is outside "+r)
		}
		return nil
	}
	if !strings.Contains(r, "|") {
		return nil // no enumeration to judge against
	}
	for _, v := range strings.Split(r, "|") {
		if strings.TrimSpace(v) == value {
			return nil
		}
	}
	return invalid(p.Name, quote(value)+" is not one of "+strings.ReplaceAll(r, "|", ", "))
}

// parseRange reads "min-max" (either may be negative).
func parseRange(r string) (lo, hi int64, ok bool) {
	for i := 1; i < len(r); i++ {
		if r[i] != '-' {
			continue
		}
		a, errA := strconv.ParseInt(strings.TrimSpace(r[:i]), 10, 64)
		b, errB := strconv.ParseInt(strings.TrimSpace(r[i+1:]), 10, 64)
		if errA == nil && errB == nil && a <= b {
			return a, b, true
		}
	}
	return 0, 0, false
}

// DatabaseParameters returns the synchronization parameters a database
// replication of the ClickHouse node of instanceID has, with their types,
// defaults and ranges. Check a value locally with Parameter.CheckValue, or
// on the service with CheckDatabaseConfig.
func (c *Client) DatabaseParameters(ctx context.Context, instanceID string) ([]Parameter, error) {
	if err := checkID("instanceID", instanceID); err != nil {
		return nil, err
	}
	params := generated.ListClickHouseDataBaseParameterParams{XLanguage: c.language}
	out, _, err := run[generated.ListDatabaseParametersResponse](c, ctx, opParameters, func(ctx context.Context) (*http.Response, error) {
		return c.gen.ListClickHouseDataBaseParameter(ctx, c.projectID, instanceID, &params)
	}, generated.ParseListClickHouseDataBaseParameterResponse)
	if err != nil {
		return nil, err
	}
	ps := make([]Parameter, len(out.DBParameters))
	for i, w := range out.DBParameters {
		ps[i] = Parameter{Name: w.ParamName, DataType: w.DataType, Default: w.DefaultValue, Range: w.ValueRange, Description: w.Description}
	}
	return ps, nil
}

// ScopeMode says how a TableScope's tables are read.
type ScopeMode string

// Scope modes, as the service names them.
const (
	// ScopeExclude copies every table but the scope's tables; with no
	// tables, every table. A new replication has it.
	ScopeExclude ScopeMode = "black_list"
	// ScopeInclude copies only the scope's tables, which must not be empty.
	ScopeInclude ScopeMode = "white_list"
)

// TableScope is which tables of a database a replication copies: a mode and
// a list of tables. The zero TableScope is every table (ScopeExclude, no
// tables).
type TableScope struct {
	Mode   ScopeMode `json:"mode"`
	Tables []string  `json:"tables"`
}

// mode returns the scope's mode, ScopeExclude for "".
func (s TableScope) mode() ScopeMode {
	if s.Mode == "" {
		return ScopeExclude
	}
	return s.Mode
}

// check refuses a scope the API cannot carry: an unknown mode, an include
// list without tables, a table name that is not a MySQL name or that holds
// a comma (the service's list separator).
func (s TableScope) check(field string) error {
	switch s.mode() {
	case ScopeExclude, ScopeInclude:
	default:
		return invalid(field+".Mode", quote(string(s.Mode))+" is not one of "+string(ScopeExclude)+", "+string(ScopeInclude))
	}
	if s.mode() == ScopeInclude && len(s.Tables) == 0 {
		return invalid(field+".Tables", "must name at least one table when the mode is "+string(ScopeInclude))
	}
	for i, t := range s.Tables {
		f := field + ".Tables[" + strconv.Itoa(i) + "]"
		if err := checkDatabase(f, t); err != nil {
			return err
		}
		if strings.Contains(t, ",") {
			return invalid(f, quote(t)+" must not contain ',': the service separates tables with it")
		}
	}
	return nil
}

func (s TableScope) wire() generated.TableReplConfig {
	tables := s.Tables
	if tables == nil {
		tables = []string{}
	}
	return generated.TableReplConfig{ReplType: generated.TableReplConfigReplType(s.mode()), Tables: tables}
}

func scopeFromWire(mode string, tables []string) TableScope {
	if tables == nil {
		tables = []string{}
	}
	return TableScope{Mode: ScopeMode(strings.ToLower(strings.TrimSpace(mode))), Tables: tables}
}

// Setting is a parameter name and the value to check for it.
type Setting struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// TableConfig is a ClickHouse table configuration to check for a table: a
// text made of the clauses PARTITION BY, COLUMNS, ORDER BY, SAMPLE BY,
// PRIMARY KEY and TTL, such as "ORDER BY id".
type TableConfig struct {
	Table  string `json:"table"`
	Config string `json:"config"`
}

// CheckRequest says what CheckDatabaseConfig and CheckTableConfig judge.
//
// The service judges settings and table configurations that this API
// version does not let a user apply: CreateReplication takes no parameters
// and no scope (a new replication copies every table with the default
// parameters), and UpdateScope changes only the tables of the existing list.
// A check that passes is advice, not a setting.
type CheckRequest struct {
	// SourceInstanceID is the GaussDB(for MySQL) instance (required).
	SourceInstanceID string
	// SourceNodeID is the read replica; "" means the primary node.
	SourceNodeID string
	// SourceDatabase is the database (required).
	SourceDatabase string
	// Settings are the parameter values to judge; none is allowed.
	Settings []Setting
	// Scope is the table scope to judge (the zero scope: every table).
	Scope TableScope
	// Tables are the table configurations CheckTableConfig judges; ignored
	// by CheckDatabaseConfig.
	Tables []TableConfig
}

// Validate returns the error CheckDatabaseConfig and CheckTableConfig
// return for r before sending anything (an error wrapping
// ErrInvalidRequest whose *InvalidRequestError names the field, such as
// "Tables[0].Table"), or nil. The table configurations are checked when r
// names any. It sends nothing: a tool that runs both checks learns of a bad
// table name before the first goes out.
func (r CheckRequest) Validate() error { return r.check(len(r.Tables) > 0) }

func (r *CheckRequest) check(withTables bool) error {
	if err := checkID("SourceInstanceID", r.SourceInstanceID); err != nil {
		return err
	}
	if err := checkOptionalID("SourceNodeID", r.SourceNodeID); err != nil {
		return err
	}
	if err := checkDatabase("SourceDatabase", r.SourceDatabase); err != nil {
		return err
	}
	for i, s := range r.Settings {
		if strings.TrimSpace(s.Name) == "" {
			return invalid("Settings["+strconv.Itoa(i)+"].Name", "must not be empty")
		}
	}
	if err := r.Scope.check("Scope"); err != nil {
		return err
	}
	if !withTables {
		return nil
	}
	if len(r.Tables) == 0 {
		return invalid("Tables", "must name at least one table configuration to check")
	}
	for i, t := range r.Tables {
		f := "Tables[" + strconv.Itoa(i) + "]"
		if err := checkDatabase(f+".Table", t.Table); err != nil {
			return err
		}
		if strings.TrimSpace(t.Config) == "" {
			return invalid(f+".Config", "must not be empty")
		}
	}
	return nil
}

func (r *CheckRequest) settings() []generated.DatabaseConfig {
	out := make([]generated.DatabaseConfig, len(r.Settings))
	for i, s := range r.Settings {
		out[i] = generated.DatabaseConfig{ParamName: s.Name, Value: s.Value}
	}
	return out
}

// SettingCheck is the service's verdict on one parameter value.
type SettingCheck struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Result string `json:"result"`
}

// Passed reports whether the service accepted the value ("success").
func (s SettingCheck) Passed() bool { return passed(s.Result) }

// TableCheck is the service's verdict on one table configuration.
type TableCheck struct {
	Table  string `json:"table"`
	Config string `json:"config"`
	// Result is the service's text, such as "success" or "Check Override
	// Table Failed".
	Result string `json:"result"`
}

// Passed reports whether the service accepted the configuration: its
// result is "success", or a text that does not speak of a failure.
func (t TableCheck) Passed() bool { return passed(t.Result) }

// passed reads a check_result: "success" passes; "fail", "failed" and any
// text that mentions a failure do not; an empty result does not either.
func passed(result string) bool {
	r := strings.ToLower(strings.TrimSpace(result))
	if r == "success" || r == "succeeded" {
		return true
	}
	return r != "" && !strings.Contains(r, "fail")
}

// DatabaseCheck is what CheckDatabaseConfig answered.
type DatabaseCheck struct {
	Database string         `json:"database"`
	Settings []SettingCheck `json:"settings"`
}

// Passed reports whether every setting passed.
func (d *DatabaseCheck) Passed() bool { return allPassed(d.Settings) }

// TablesCheck is what CheckTableConfig answered.
type TablesCheck struct {
	Database string       `json:"database"`
	Tables   []TableCheck `json:"tables"`
}

// Passed reports whether every table configuration passed.
func (t *TablesCheck) Passed() bool { return allPassed(t.Tables) }

// allPassed reports whether every verdict of vs passed.
func allPassed[V interface{ Passed() bool }](vs []V) bool {
	for _, v := range vs {
		if !v.Passed() {
			return false
		}
	}
	return true
}

func settingChecks(w []generated.DatabaseConfigCheckResult) []SettingCheck {
	out := make([]SettingCheck, len(w))
	for i, r := range w {
		out[i] = SettingCheck{Name: r.ParamName, Value: r.Value, Result: r.CheckResult}
	}
	return out
}

func tableChecks(w []generated.TableConfigCheckResult) []TableCheck {
	out := make([]TableCheck, len(w))
	for i, r := range w {
		out[i] = TableCheck{Table: r.TableName, Config: r.TableConfig, Result: r.CheckResult}
	}
	return out
}

// CheckDatabaseConfig asks the service to judge req.Settings and req.Scope
// for a replication of req.SourceDatabase into the ClickHouse node of
// instanceID. It changes nothing (see CheckRequest for what can be applied).
// A verdict of "fail" is not an error: look at DatabaseCheck.Passed.
func (c *Client) CheckDatabaseConfig(ctx context.Context, instanceID string, req CheckRequest) (*DatabaseCheck, error) {
	if err := checkID("instanceID", instanceID); err != nil {
		return nil, err
	}
	if err := req.check(false); err != nil {
		return nil, err
	}
	body := generated.CheckDatabaseConfigRequest{
		SourceInstanceID:   req.SourceInstanceID,
		SourceNodeID:       req.SourceNodeID,
		SourceDatabaseName: req.SourceDatabase,
		DBConfigs:          req.settings(),
		TableReplConfig:    req.Scope.wire(),
	}
	params := generated.CheckClickHouseDataBaseConfigParams{XLanguage: c.language}
	out, _, err := run[generated.DatabaseConfigCheckResponse](c, ctx, opCheckDatabase, func(ctx context.Context) (*http.Response, error) {
		return c.gen.CheckClickHouseDataBaseConfig(ctx, c.projectID, instanceID, &params, body)
	}, generated.ParseCheckClickHouseDataBaseConfigResponse)
	if err != nil {
		return nil, err
	}
	return &DatabaseCheck{Database: out.DatabaseName, Settings: settingChecks(out.DBConfigCheckResults)}, nil
}

// CheckTableConfig asks the service to judge the table configurations of
// req.Tables (with req.Settings and req.Scope) for a replication of
// req.SourceDatabase into the ClickHouse node of instanceID. It changes
// nothing. A failed verdict is not an error: look at TablesCheck.Passed.
func (c *Client) CheckTableConfig(ctx context.Context, instanceID string, req CheckRequest) (*TablesCheck, error) {
	if err := checkID("instanceID", instanceID); err != nil {
		return nil, err
	}
	if err := req.check(true); err != nil {
		return nil, err
	}
	tables := make([]generated.TableConfig, len(req.Tables))
	for i, t := range req.Tables {
		tables[i] = generated.TableConfig{TableName: t.Table, TableConfig: t.Config}
	}
	body := generated.CheckTableConfigRequest{
		SourceInstanceID:   req.SourceInstanceID,
		SourceNodeID:       req.SourceNodeID,
		SourceDatabaseName: req.SourceDatabase,
		DBConfigs:          req.settings(),
		TableReplConfig:    req.Scope.wire(),
		TablesConfigs:      tables,
	}
	params := generated.CheckClickHouseTableConfigParams{XLanguage: c.language}
	out, _, err := run[generated.TableConfigCheckResponse](c, ctx, opCheckTables, func(ctx context.Context) (*http.Response, error) {
		return c.gen.CheckClickHouseTableConfig(ctx, c.projectID, instanceID, &params, body)
	}, generated.ParseCheckClickHouseTableConfigResponse)
	if err != nil {
		return nil, err
	}
	return &TablesCheck{Database: out.SourceDatabaseName, Tables: tableChecks(out.TableConfigCheckResults)}, nil
}

// ReplicationConfig is the configuration of a replication, as
// ShowReplicationConfig reads it.
type ReplicationConfig struct {
	SourceInstanceID string `json:"source_instance_id"`
	SourceNodeID     string `json:"source_node_id,omitempty"`
	Database         string `json:"database"`
	// Settings are the database's parameter values and their verdicts.
	Settings []SettingCheck `json:"settings"`
	// Tables are the table configurations and their verdicts.
	Tables []TableCheck `json:"tables"`
	// Scope is the table scope in force.
	Scope TableScope `json:"scope"`
	// Changing reports that a scope change is in progress; Pending is the
	// scope it moves to (nil when none is).
	Changing bool        `json:"changing"`
	Pending  *TableScope `json:"pending,omitempty"`
	// LastAlterError is the error of the last table change, if any.
	LastAlterError string `json:"last_alter_error,omitempty"`
}

// ShowReplicationConfig returns the configuration of the replication of
// database into the ClickHouse node of instanceID: its parameters, its
// table configurations, its table scope and any scope change in progress.
func (c *Client) ShowReplicationConfig(ctx context.Context, instanceID, database string) (*ReplicationConfig, error) {
	if err := checkID("instanceID", instanceID); err != nil {
		return nil, err
	}
	if err := checkDatabase("database", database); err != nil {
		return nil, err
	}
	params := generated.ListClickHouseDataBaseReplicationConfigParams{DatabaseName: database, XLanguage: c.language}
	out, _, err := run[generated.ReplicationConfigResponse](c, ctx, opShowConfig, func(ctx context.Context) (*http.Response, error) {
		return c.gen.ListClickHouseDataBaseReplicationConfig(ctx, c.projectID, instanceID, &params)
	}, generated.ParseListClickHouseDataBaseReplicationConfigResponse)
	if err != nil {
		return nil, err
	}
	cfg := &ReplicationConfig{
		SourceInstanceID: out.SourceInstanceID,
		SourceNodeID:     out.SourceNodeID,
		Database:         out.DatabaseInfo.DatabaseName,
		Settings:         settingChecks(out.DatabaseInfo.DBConfigCheckResults),
		Tables:           tableChecks(out.TableInfos),
		Scope:            scopeFromWire(string(out.TableReplConfig.ReplType), out.TableReplConfig.Tables),
		Changing:         out.IsTablesChange,
		LastAlterError:   out.LastErrorOfAlterTable,
	}
	if cfg.Database == "" {
		cfg.Database = database
	}
	if p := out.NewTableReplConfig; p.ReplType != "" || p.Tables != nil {
		pending := scopeFromWire(p.ReplType, p.Tables)
		cfg.Pending = &pending
	}
	return cfg, nil
}

// ScopeUpdate says what UpdateScope changes.
type ScopeUpdate struct {
	// SourceInstanceID is the GaussDB(for MySQL) instance (required).
	SourceInstanceID string
	// SourceNodeID is the read replica; "" means the primary node.
	SourceNodeID string
	// Database is the replicated database (required).
	Database string
	// Scope is the new table scope. Its mode must be the replication's
	// current mode (a new replication has ScopeExclude): this API version
	// changes the tables of a list, never its mode.
	Scope TableScope
}

// ErrScopeModeChange is wrapped by the error UpdateScope returns when the
// service refused the update and the replication's current scope has
// another mode: this API version cannot change a scope's mode (a new
// replication copies every table with ScopeExclude, so ScopeInclude cannot
// be reached). The error wraps the service's *APIError too.
var ErrScopeModeChange = errors.New("chreplication: the table scope's mode cannot be changed")

// UpdateScope changes which tables the replication of req.Database into
// the ClickHouse node of instanceID copies, and returns the ID of the job
// doing it; while it runs, ShowReplicationConfig shows the change in
// progress. The client writes the service's value (`{"black_list":"t1,t2"}`)
// itself and refuses, before sending anything, a scope it cannot carry (a
// table name with a comma, an include list without tables). Like
// CreateReplication it is not retried once it may have reached the service,
// except after a busy instance's refusal. When the service refuses the
// update and the replication's scope has another mode, the error wraps
// ErrScopeModeChange.
func (c *Client) UpdateScope(ctx context.Context, instanceID string, req ScopeUpdate) (string, error) {
	if err := checkID("instanceID", instanceID); err != nil {
		return "", err
	}
	if err := checkID("SourceInstanceID", req.SourceInstanceID); err != nil {
		return "", err
	}
	if err := checkOptionalID("SourceNodeID", req.SourceNodeID); err != nil {
		return "", err
	}
	if err := checkDatabase("Database", req.Database); err != nil {
		return "", err
	}
	if err := req.Scope.check("Scope"); err != nil {
		return "", err
	}
	value, err := json.Marshal(map[string]string{string(req.Scope.mode()): strings.Join(req.Scope.Tables, ",")})
	if err != nil {
		return "", err
	}
	body := generated.UpdateDatabaseConfigRequest{
		SourceInstanceID: req.SourceInstanceID,
		SourceNodeID:     req.SourceNodeID,
		Database:         req.Database,
		Value:            string(value),
	}
	params := generated.UpdateClickHouseDataBaseConfigParams{XLanguage: c.language}
	out, a, err := run[generated.JobIDResponse](c, ctx, opUpdateScope, func(ctx context.Context) (*http.Response, error) {
		return c.gen.UpdateClickHouseDataBaseConfig(ctx, c.projectID, instanceID, &params, body)
	}, generated.ParseUpdateClickHouseDataBaseConfigResponse)
	if err != nil {
		return "", c.scopeRefusal(ctx, instanceID, req, err)
	}
	return jobID(a, out, nil)
}

// scopeRefusal explains a 400 answer to UpdateScope: when the replication's
// current scope has another mode than the one asked for, the refusal is
// ErrScopeModeChange. Any other error, or a configuration that cannot be
// read, is returned as it came.
func (c *Client) scopeRefusal(ctx context.Context, instanceID string, req ScopeUpdate, err error) error {
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusBadRequest {
		return err
	}
	cfg, cerr := c.ShowReplicationConfig(ctx, instanceID, req.Database)
	if cerr != nil || cfg.Scope.mode() == req.Scope.mode() {
		return err
	}
	return &ScopeModeError{Current: cfg.Scope.mode(), Requested: req.Scope.mode(), Err: apiErr}
}

// ScopeModeError is the error of UpdateScope when the service refused an
// update whose mode is not the replication's: find it with errors.As. It
// wraps ErrScopeModeChange and the service's *APIError.
type ScopeModeError struct {
	// Current is the mode of the replication's scope; Requested the mode
	// the update asked for.
	Current, Requested ScopeMode
	// Err is the service's refusal.
	Err *APIError
}

// Error implements error.
func (e *ScopeModeError) Error() string {
	return "chreplication: the table scope's mode is " + string(e.Current) + " and cannot be changed to " + string(e.Requested) +
		" (this API changes only the tables of the list): " + e.Err.Error()
}

// Unwrap returns ErrScopeModeChange and the service's *APIError.
func (e *ScopeModeError) Unwrap() []error { return []error{ErrScopeModeChange, e.Err} }

// CancelScopeUpdate stops the scope change of the replication of database
// into the ClickHouse node of instanceID that UpdateScope started and that
// has not finished, and returns the ID of the job doing it; the replication
// keeps its previous scope. When no change is pending the service answers
// with an error (an *APIError, a 4xx).
func (c *Client) CancelScopeUpdate(ctx context.Context, instanceID, database string) (string, error) {
	if err := checkID("instanceID", instanceID); err != nil {
		return "", err
	}
	if err := checkDatabase("database", database); err != nil {
		return "", err
	}
	params := generated.DeleteClickHouseDataBaseConfigParams{Database: database, XLanguage: c.language}
	out, a, err := run[generated.JobIDResponse](c, ctx, opCancelScopeJob, func(ctx context.Context) (*http.Response, error) {
		return c.gen.DeleteClickHouseDataBaseConfig(ctx, c.projectID, instanceID, &params)
	}, generated.ParseDeleteClickHouseDataBaseConfigResponse)
	return jobID(a, out, err)
}
