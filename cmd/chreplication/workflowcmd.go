package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"github.com/gaussdb-tools/chreplication"
)

// The commands of the synchronisation workflow around a replication: the
// databases it can copy, their parameters, the checks, a replication's
// configuration and its table scope.

// repeatFlag is a flag that may be given many times; each value is
// appended (--param, --table-config). parse, when not nil, refuses a
// malformed value, which makes a usage error.
type repeatFlag struct {
	values []string
	parse  func(string) error
}

func (r *repeatFlag) String() string {
	if r == nil {
		return ""
	}
	return strings.Join(r.values, " ")
}

// Type names the flag's values in the help.
func (r *repeatFlag) Type() string { return "value" }

func (r *repeatFlag) Set(v string) error {
	if r.parse != nil {
		if err := r.parse(v); err != nil {
			return err
		}
	}
	r.values = append(r.values, v)
	return nil
}

// tablesFlag is a comma-separated list of table names (--include-tables,
// --exclude-tables). An empty value is an empty list, which is not the same
// as the flag left out: --exclude-tables "" copies every table.
type tablesFlag struct {
	set    bool
	tables []string
}

func (t *tablesFlag) String() string {
	if t == nil {
		return ""
	}
	return strings.Join(t.tables, ",")
}

// Type names the flag's values in the help.
func (t *tablesFlag) Type() string { return "tables" }

func (t *tablesFlag) Set(v string) error {
	if t.set {
		return errors.New("given twice: name every table in one comma-separated list")
	}
	t.set = true
	t.tables = []string{}
	if strings.TrimSpace(v) == "" {
		return nil
	}
	for _, name := range strings.Split(v, ",") {
		name = strings.TrimSpace(name)
		switch {
		case name == "":
			return errors.New("an empty table name (two commas in a row, or one at an end)")
		case slices.Contains(t.tables, name):
			return fmt.Errorf("table %s is named twice", quoted(name))
		}
		t.tables = append(t.tables, name)
	}
	return nil
}

// scopeFlags are --include-tables and --exclude-tables, of which at most
// one is given.
type scopeFlags struct {
	include, exclude tablesFlag
}

func (s *scopeFlags) register(fs *pflag.FlagSet, what string) {
	fs.Var(&s.include, "include-tables", "comma-separated `tables`: "+what+" only these (an include list, white_list)")
	fs.Var(&s.exclude, "exclude-tables", "comma-separated `tables`: "+what+" every table but these (an exclude list, black_list); \"\" for every table")
}

// given reports whether either flag was given.
func (s *scopeFlags) given() bool { return s.include.set || s.exclude.set }

// scope returns the table scope the flags give: the zero scope (every
// table) when neither is given. Both is a usage error.
func (s *scopeFlags) scope() (chreplication.TableScope, error) {
	switch {
	case s.include.set && s.exclude.set:
		return chreplication.TableScope{}, usageErrorf("give --include-tables or --exclude-tables, not both")
	case s.include.set:
		return chreplication.TableScope{Mode: chreplication.ScopeInclude, Tables: s.include.tables}, nil
	case s.exclude.set:
		return chreplication.TableScope{Mode: chreplication.ScopeExclude, Tables: s.exclude.tables}, nil
	}
	return chreplication.TableScope{}, nil
}

// scopeFlag is the flag of a scope mode.
func scopeFlag(m chreplication.ScopeMode) string {
	if m == chreplication.ScopeInclude {
		return "--include-tables"
	}
	return "--exclude-tables"
}

// describeScope says in words which tables a scope copies.
func describeScope(s chreplication.TableScope) string {
	tables := make([]string, len(s.Tables))
	for i, t := range s.Tables {
		tables[i] = printable(t)
	}
	list := strings.Join(tables, ", ")
	switch s.Mode {
	case chreplication.ScopeExclude, "":
		if len(tables) == 0 {
			return "every table (black_list)"
		}
		return "every table but " + list + " (black_list)"
	case chreplication.ScopeInclude:
		return "only " + list + " (white_list)"
	}
	return printable(string(s.Mode)) + ": " + list
}

// asFlags renames the field of an *InvalidRequestError after the flag that
// set it, so that the message names what the user typed. fields maps the
// first part of a field of the client ("Scope" for "Scope.Tables[2]") to a
// flag.
func asFlags(err error, fields map[string]string) error {
	var ire *chreplication.InvalidRequestError
	if !errors.As(err, &ire) {
		return err
	}
	base := ire.Field
	if i := strings.IndexAny(base, "[."); i >= 0 {
		base = base[:i]
	}
	if f, ok := fields[base]; ok {
		return &chreplication.InvalidRequestError{Field: f, Reason: ire.Reason}
	}
	return err
}

// refusePaging returns a usage error when --all is given with --limit or
// --offset.
func refusePaging(fs *pflag.FlagSet) error {
	var paging []string
	fs.Visit(func(f *pflag.Flag) {
		if f.Name == "limit" || f.Name == "offset" {
			paging = append(paging, "--"+f.Name)
		}
	})
	if len(paging) > 0 {
		return usageErrorf("--all lists every page: leave out %s", paging[0])
	}
	return nil
}

var databasesCmd = &command{
	name:     "databases",
	summary:  "list the databases an instance's ClickHouse node can synchronise",
	synopsis: "databases --instance-id I [--name NAME] [--limit N --offset N | --all] [API flags]",
	details: `
List the databases of the GaussDB(for MySQL) source that the ClickHouse node
of instance I can synchronise: one page (--limit, --offset), or every one with
--all, which fetches pages of 100 as it goes. --name keeps the databases whose
name contains NAME.

Output: the names, one a line. With --output json, {"total_count": N,
"databases": ["..."]}; with --all, total_count is the number listed.`,
	example: `  chreplication databases --region cn-north-4 --instance-id 54e42160670e48e789af7075e1efea1fin16 --all
  chreplication databases --instance-id 54e42160670e48e789af7075e1efea1fin16 --name sales --output json`,
	api: true,
	flags: func(fs *pflag.FlagSet) func(context.Context, *cli) error {
		var a apiFlags
		a.register(fs)
		instanceID := fs.String("instance-id", "", "`ID` of the instance whose ClickHouse node synchronises the databases (required)")
		name := fs.String("name", "", "keep the databases whose name contains this `text`")
		limit := fs.Int("limit", 0, "page size, 1 to 100 (default: the API's, 10)")
		offset := fs.Int("offset", 0, "number of databases to skip")
		all := fs.Bool("all", false, "list every database, page after page (not with --limit or --offset)")
		return func(ctx context.Context, c *cli) error {
			c.note(requireFlags("instance-id", *instanceID))
			if *all {
				c.note(refusePaging(fs))
			}
			return a.do(ctx, c, func(ctx context.Context, client *chreplication.Client) error {
				var page *chreplication.DatabasePage
				if *all {
					page = &chreplication.DatabasePage{Databases: []string{}}
					for db, err := range client.AllDatabases(ctx, *instanceID, *name) {
						if err != nil {
							return asFlags(err, map[string]string{"Name": "--name"})
						}
						page.Databases = append(page.Databases, db)
					}
					page.TotalCount = len(page.Databases)
				} else {
					var err error
					page, err = client.ListDatabases(ctx, *instanceID, chreplication.DatabaseListOptions{Name: *name, Limit: *limit, Offset: *offset})
					if err != nil {
						return asFlags(err, map[string]string{"Name": "--name"})
					}
				}
				return a.emit(c.stdout, page, func() error { return printDatabases(c.stdout, page, *instanceID, *name, *all, *offset) })
			})
		}
	},
}

func printDatabases(w io.Writer, page *chreplication.DatabasePage, instanceID, name string, all bool, offset int) error {
	n := len(page.Databases)
	if n == 0 {
		switch {
		case page.TotalCount > 0:
			_, err := fmt.Fprintf(w, "No databases at offset %d; %d in all.\n", offset, page.TotalCount)
			return err
		case name != "":
			_, err := fmt.Fprintf(w, "No database of instance %s has %q in its name.\n", printable(instanceID), printable(name))
			return err
		}
		_, err := fmt.Fprintf(w, "No databases for instance %s.\n", printable(instanceID))
		return err
	}
	for _, db := range page.Databases {
		fmt.Fprintln(w, printable(db))
	}
	switch {
	case all:
		_, err := fmt.Fprintf(w, "%d %s.\n", n, plural(n, "database", "databases"))
		return err
	case offset+n < page.TotalCount:
		_, err := fmt.Fprintf(w, "%d to %d of %d databases (more with --offset %d, or --all).\n", offset+1, offset+n, page.TotalCount, offset+n)
		return err
	case n < page.TotalCount:
		_, err := fmt.Fprintf(w, "%d to %d of %d databases.\n", offset+1, offset+n, page.TotalCount)
		return err
	}
	return nil
}

// parametersDoc is the JSON document of params.
type parametersDoc struct {
	Parameters []chreplication.Parameter `json:"parameters"`
}

var paramsCmd = &command{
	name:     "params",
	summary:  "list the synchronisation parameters of a database, with their defaults and ranges",
	synopsis: "params --instance-id I [API flags]",
	details: `
List the synchronisation parameters a database replication of the ClickHouse
node of instance I has: name, data type, default value and range (for an
Integer "min-max", for a String the values separated by '|'). Judge values
with 'chreplication check --param NAME=VALUE'. A new replication uses the
defaults: this API version does not let a user set them.

Output: a table. With --output json, {"parameters": [{"name", "data_type",
"default", "range", "description"}]}.`,
	example: `  chreplication params --region cn-north-4 --instance-id 54e42160670e48e789af7075e1efea1fin16
  chreplication params --instance-id 54e42160670e48e789af7075e1efea1fin16 --output json | jq '.parameters[].name'`,
	api: true,
	flags: func(fs *pflag.FlagSet) func(context.Context, *cli) error {
		var a apiFlags
		a.register(fs)
		instanceID := fs.String("instance-id", "", "`ID` of the instance whose ClickHouse node to ask (required)")
		return func(ctx context.Context, c *cli) error {
			c.note(requireFlags("instance-id", *instanceID))
			return a.do(ctx, c, func(ctx context.Context, client *chreplication.Client) error {
				ps, err := client.DatabaseParameters(ctx, *instanceID)
				if err != nil {
					return err
				}
				if ps == nil {
					ps = []chreplication.Parameter{}
				}
				return a.emit(c.stdout, parametersDoc{Parameters: ps}, func() error { return printParameters(c.stdout, ps) })
			})
		}
	},
}

func printParameters(w io.Writer, ps []chreplication.Parameter) error {
	if len(ps) == 0 {
		_, err := fmt.Fprintln(w, "The service lists no parameters.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tTYPE\tDEFAULT\tRANGE")
	for _, p := range ps {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", dash(p.Name), dash(p.DataType), dash(p.Default), dash(p.Range))
	}
	return tw.Flush()
}

// parseSetting reads --param NAME=VALUE.
func parseSetting(v string) (chreplication.Setting, error) {
	name, value, ok := strings.Cut(v, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return chreplication.Setting{}, errors.New("want NAME=VALUE, such as max_sync_threads=2")
	}
	return chreplication.Setting{Name: name, Value: value}, nil
}

// parseTableConfig reads --table-config 'TABLE=CLAUSES'.
func parseTableConfig(v string) (chreplication.TableConfig, error) {
	table, config, ok := strings.Cut(v, "=")
	table, config = strings.TrimSpace(table), strings.TrimSpace(config)
	if !ok || table == "" || config == "" {
		return chreplication.TableConfig{}, errors.New("want TABLE=CLAUSES, such as 'orders=ORDER BY id'")
	}
	return chreplication.TableConfig{Table: table, Config: config}, nil
}

// checkDoc is the JSON document of check.
type checkDoc struct {
	Database string `json:"database"`
	// Passed reports whether every setting and table configuration passed.
	Passed   bool             `json:"passed"`
	Settings []settingVerdict `json:"settings"`
	// Tables are the table check's verdicts, with --table-config only.
	Tables []chreplication.TableCheck `json:"tables,omitempty"`
	// Error says what failed, when something did (exit code 4).
	Error *errorBody `json:"error,omitempty"`
}

// checkNote says, after a check's text output, what a check is worth.
const checkNote = `A check applies nothing, and this API version cannot apply what it judges:
a new replication copies every table with the default parameters, and
'chreplication scope' changes only the tables of a replication's list.`

var checkCmd = &command{
	name:     "check",
	summary:  "have the service judge parameter values, a table scope and table configurations for a database",
	synopsis: "check --instance-id I --source-instance-id S --source-database D [--source-node-id N] [--param NAME=VALUE ...] [--include-tables T,... | --exclude-tables T,...] [--table-config 'T=CLAUSES' ...] [API flags]",
	details: `
Ask the service to judge a replication of database D of the GaussDB(for
MySQL) instance S into the ClickHouse node of instance I: every parameter
(the values of --param, the defaults for the others; 'chreplication params'
lists them), the table scope (--include-tables or --exclude-tables; every
table by default) and, with --table-config, the ClickHouse configuration of
tables (clauses PARTITION BY, COLUMNS, ORDER BY, SAMPLE BY, PRIMARY KEY, TTL),
which runs the table check too. The values are the service's to judge: they
are sent as given. A --param or --table-config without '=' is a usage error.

A check changes nothing, and passing it applies nothing: this API version
creates a replication with the default parameters and every table, and
changes only the tables of an existing list (see 'chreplication scope'), so
it judges settings a user may not be able to apply.

Output: a table of verdicts (success or fail, or the service's text for a
table). With --output json, {"database", "passed", "settings": [{"name",
"value", "result"}], "tables": [{"table", "config", "result"}]} ("tables"
with --table-config only). Exit code 4 when a setting or a table
configuration fails.`,
	example: `  chreplication check --instance-id 54e42160670e48e789af7075e1efea1fin16 \
      --source-instance-id ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07 --source-database shop \
      --param max_sync_threads=2 --param max_flush_data_time=2000 --exclude-tables audit_log \
      --table-config 'orders=PARTITION BY toYYYYMM(created) ORDER BY id'`,
	api: true,
	flags: func(fs *pflag.FlagSet) func(context.Context, *cli) error {
		var (
			a      apiFlags
			req    chreplication.CheckRequest
			scopes scopeFlags
		)
		a.register(fs)
		instanceID := fs.String("instance-id", "", "`ID` of the instance whose ClickHouse node would receive the data (required)")
		fs.StringVar(&req.SourceInstanceID, "source-instance-id", "", "`ID` of the GaussDB(for MySQL) instance to copy from (required)")
		fs.StringVar(&req.SourceDatabase, "source-database", "", "`name` of the database (required)")
		fs.StringVar(&req.SourceNodeID, "source-node-id", "", "`ID` of the read replica to copy from (default: the primary node)")
		params := &repeatFlag{parse: func(v string) error { _, err := parseSetting(v); return err }}
		fs.Var(params, "param", "a parameter value to judge, `NAME=VALUE`; repeat for more (the others are judged at their defaults)")
		tables := &repeatFlag{parse: func(v string) error { _, err := parseTableConfig(v); return err }}
		fs.Var(tables, "table-config", "a table's ClickHouse configuration to judge, `TABLE=CLAUSES`; repeat for more (runs the table check)")
		scopes.register(fs, "copy")
		return func(ctx context.Context, c *cli) error {
			missing := requireFlags("instance-id", *instanceID, "source-instance-id", req.SourceInstanceID, "source-database", req.SourceDatabase)
			c.note(missing)
			scope, err := scopes.scope()
			c.note(err)
			req.Scope = scope
		settings:
			for _, v := range params.values {
				s, _ := parseSetting(v) // checked by Set
				for _, have := range req.Settings {
					if have.Name == s.Name {
						c.note(usageErrorf("--param %s is given twice", clip(s.Name)))
						continue settings
					}
				}
				req.Settings = append(req.Settings, s)
			}
		tables:
			for _, v := range tables.values {
				t, _ := parseTableConfig(v) // checked by Set
				for _, have := range req.Tables {
					if have.Table == t.Table {
						c.note(usageErrorf("--table-config names table %s twice", quoted(t.Table)))
						continue tables
					}
				}
				req.Tables = append(req.Tables, t)
			}
			fields := map[string]string{"Scope": scopeFlag(scope.Mode), "Tables": "--table-config", "Settings": "--param"}
			// The table check is sent after the database check: bad input
			// for either must stop both. (A missing flag is said once.)
			if missing == nil && err == nil {
				c.note(asFlags(req.Validate(), fields))
			}
			return a.do(ctx, c, func(ctx context.Context, client *chreplication.Client) error {
				dbCheck, err := client.CheckDatabaseConfig(ctx, *instanceID, req)
				if err != nil {
					return asFlags(err, fields)
				}
				doc := checkDoc{Database: dbCheck.Database, Settings: []settingVerdict{}}
				if doc.Database == "" {
					doc.Database = req.SourceDatabase
				}
				for _, sc := range dbCheck.Settings {
					doc.Settings = append(doc.Settings, settingVerdict{SettingCheck: sc})
				}
				doc.Passed = dbCheck.Passed()
				if !doc.Passed {
					explainFailures(ctx, c, client, *instanceID, doc.Settings)
				}
				if len(req.Tables) > 0 {
					tablesCheck, err := client.CheckTableConfig(ctx, *instanceID, req)
					if err != nil {
						return asFlags(err, fields)
					}
					doc.Tables = tablesCheck.Tables
					if doc.Tables == nil {
						doc.Tables = []chreplication.TableCheck{}
					}
					doc.Passed = doc.Passed && tablesCheck.Passed()
				}
				var failed error
				if !doc.Passed {
					failed = &exitError{code: exitCheckFailed, msg: "the check failed: " + failures(&doc)}
					doc.Error = describeFailure(failed)
				}
				if err := a.emit(c.stdout, doc, func() error { return printCheck(c.stdout, &doc, *instanceID, scope, len(req.Tables) > 0) }); err != nil {
					return err
				}
				return failed
			})
		}
	},
}

// failures names what failed in a check, for the last line on stderr.
func failures(doc *checkDoc) string {
	var settings, tables []string
	for _, s := range doc.Settings {
		if !s.Passed() {
			settings = append(settings, clip(s.Name+"="+s.Value))
		}
	}
	for _, t := range doc.Tables {
		if !t.Passed() {
			tables = append(tables, clip(t.Table))
		}
	}
	var parts []string
	if n := len(settings); n > 0 {
		parts = append(parts, fmt.Sprintf("%d %s (%s)", n, plural(n, "setting fails", "settings fail"), shortList(settings)))
	}
	if n := len(tables); n > 0 {
		parts = append(parts, fmt.Sprintf("%d %s (%s)", n, plural(n, "table configuration fails", "table configurations fail"), shortList(tables)))
	}
	if len(parts) == 0 {
		return "the service judged it a failure"
	}
	return strings.Join(parts, "; ")
}

// shortList joins the first five items, and says how many more there are.
func shortList(items []string) string {
	const most = 5
	if len(items) <= most {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:most], ", ") + fmt.Sprintf(" and %d more", len(items)-most)
}

func printCheck(w io.Writer, doc *checkDoc, instanceID string, scope chreplication.TableScope, withTables bool) error {
	fmt.Fprintf(w, "Check of database %q for the ClickHouse node of instance %s, copying %s:\n",
		printable(doc.Database), printable(instanceID), describeScope(scope))
	if err := printSettingVerdicts(w, doc.Settings); err != nil {
		return err
	}
	if withTables {
		fmt.Fprintln(w)
		if err := printTableChecks(w, doc.Tables); err != nil {
			return err
		}
	}
	verdict := "Every setting passes"
	if withTables {
		verdict = "Every setting and table configuration passes"
	}
	if !doc.Passed {
		verdict = "Fails: " + failures(doc)
	}
	_, err := fmt.Fprintf(w, "\n%s.\n%s\n", verdict, checkNote)
	return err
}

// settingVerdict is the service's verdict on a parameter value and, for a
// value that fails, why: the parameter's type and allowed range or values
// as the parameter list gives them, or that the service lists no such
// parameter.
type settingVerdict struct {
	chreplication.SettingCheck
	// DataType and Allowed are the parameter's type and its range
	// ("1-16") or values ("a|b"), for a value that fails.
	DataType string `json:"data_type,omitempty"`
	Allowed  string `json:"allowed,omitempty"`
	// Why says why the value fails: "unknown parameter", "allowed: 1-2",
	// "\"3\" is outside 1-2".
	Why string `json:"why,omitempty"`
}

// explainFailures fills in why each failing setting fails, from the
// parameter list (one request). When the list cannot be had, a line on
// stderr says so and the verdicts stay as the service gave them.
func explainFailures(ctx context.Context, c *cli, client *chreplication.Client, instanceID string, settings []settingVerdict) {
	params, err := client.DatabaseParameters(ctx, instanceID)
	if err != nil {
		fmt.Fprintf(c.stderr, "chreplication check: why a setting fails is unknown: the parameter list failed: %s\n", problemText(err))
		return
	}
	byName := make(map[string]chreplication.Parameter, len(params))
	for _, p := range params {
		byName[p.Name] = p
	}
	for i := range settings {
		s := &settings[i]
		if s.Passed() {
			continue
		}
		p, ok := byName[s.Name]
		if !ok {
			s.Why = "unknown parameter (see 'chreplication params')"
			continue
		}
		s.DataType, s.Allowed = p.DataType, p.Range
		s.Why = "allowed: " + describeRange(p)
		var ire *chreplication.InvalidRequestError
		if err := p.CheckValue(s.Value); errors.As(err, &ire) {
			s.Why = printable(ire.Reason)
		}
	}
}

// describeRange says what a parameter accepts: "1-2 (Integer)", "one of
// true, false".
func describeRange(p chreplication.Parameter) string {
	r := strings.TrimSpace(p.Range)
	switch {
	case r == "":
		return "no range given (" + printable(p.DataType) + ")"
	case strings.Contains(r, "|"):
		return "one of " + printable(strings.ReplaceAll(r, "|", ", "))
	}
	return printable(r) + " (" + printable(p.DataType) + ")"
}

// printSettingVerdicts writes a check's verdicts as a table, with why a
// value fails when the check found out.
func printSettingVerdicts(w io.Writer, ss []settingVerdict) error {
	why := false
	for _, s := range ss {
		why = why || s.Why != ""
	}
	if !why {
		plain := make([]chreplication.SettingCheck, len(ss))
		for i, s := range ss {
			plain[i] = s.SettingCheck
		}
		return printSettings(w, plain)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PARAMETER\tVALUE\tRESULT\tWHY")
	for _, s := range ss {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", dash(s.Name), dash(s.Value), dash(s.Result), dash(s.Why))
	}
	return tw.Flush()
}

// printSettings writes parameter values and their verdicts as a table.
func printSettings(w io.Writer, ss []chreplication.SettingCheck) error {
	rows := make([][3]string, len(ss))
	for i, s := range ss {
		rows[i] = [3]string{s.Name, s.Value, s.Result}
	}
	return printVerdicts(w, "No parameter verdicts.", "PARAMETER\tVALUE\tRESULT", rows)
}

// printTableChecks writes table configurations and their verdicts as a
// table.
func printTableChecks(w io.Writer, ts []chreplication.TableCheck) error {
	rows := make([][3]string, len(ts))
	for i, t := range ts {
		rows[i] = [3]string{t.Table, t.Config, t.Result}
	}
	return printVerdicts(w, "No table configurations.", "TABLE\tCONFIGURATION\tRESULT", rows)
}

// printVerdicts writes rows of what was checked, its value and the verdict
// under header (empty fields as a dash), or the line none when there are
// no rows.
func printVerdicts(w io.Writer, none, header string, rows [][3]string) error {
	if len(rows) == 0 {
		_, err := fmt.Fprintln(w, none)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", dash(r[0]), dash(r[1]), dash(r[2]))
	}
	return tw.Flush()
}

var configCmd = &command{
	name:     "config",
	summary:  "show a replication's configuration: table scope, a scope change in progress, parameters",
	synopsis: "config --instance-id I --database D [API flags]",
	details: `
Show the configuration of the replication of database D into the ClickHouse
node of instance I: its source, its table scope, a change of the scope in
progress (and the error of the last one, if any), its parameter values with
the service's verdicts and its table configurations.

Output: the configuration. With --output json, {"source_instance_id",
"source_node_id", "database", "settings": [{"name", "value", "result"}],
"tables": [{"table", "config", "result"}], "scope": {"mode", "tables"},
"changing", "pending": {"mode", "tables"}, "last_alter_error"} (pending,
source_node_id and last_alter_error left out when empty).`,
	example: `  chreplication config --region cn-north-4 --instance-id 54e42160670e48e789af7075e1efea1fin16 --database shop`,
	api:     true,
	flags: func(fs *pflag.FlagSet) func(context.Context, *cli) error {
		var a apiFlags
		a.register(fs)
		instanceID := fs.String("instance-id", "", "`ID` of the instance whose ClickHouse node holds the replication (required)")
		database := fs.String("database", "", "`name` of the synchronised database (required)")
		return func(ctx context.Context, c *cli) error {
			c.note(requireFlags("instance-id", *instanceID, "database", *database))
			return a.do(ctx, c, func(ctx context.Context, client *chreplication.Client) error {
				cfg, err := client.ShowReplicationConfig(ctx, *instanceID, *database)
				if err != nil {
					return err
				}
				if cfg.Settings == nil {
					cfg.Settings = []chreplication.SettingCheck{}
				}
				if cfg.Tables == nil {
					cfg.Tables = []chreplication.TableCheck{}
				}
				return a.emit(c.stdout, cfg, func() error { return printConfig(c.stdout, cfg) })
			})
		}
	},
}

func printConfig(w io.Writer, cfg *chreplication.ReplicationConfig) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	row("Database", printable(cfg.Database))
	row("Source instance", dash(cfg.SourceInstanceID))
	node := "the primary node"
	if cfg.SourceNodeID != "" {
		node = printable(cfg.SourceNodeID)
	}
	row("Source node", node)
	row("Scope", describeScope(cfg.Scope))
	switch {
	case cfg.Pending != nil:
		row("Pending change", "to "+describeScope(*cfg.Pending))
	case cfg.Changing:
		row("Pending change", "in progress")
	default:
		row("Pending change", "none")
	}
	if cfg.LastAlterError != "" {
		row("Last change error", printable(cfg.LastAlterError))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nParameters:")
	if err := printSettings(w, cfg.Settings); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nTable configurations:")
	return printTableChecks(w, cfg.Tables)
}

var scopeCmd = &command{
	name:     "scope",
	summary:  "change the tables a replication copies (--cancel stops a change in progress)",
	synopsis: "scope --instance-id I --source-instance-id S --database D (--include-tables T,... | --exclude-tables T,...) [--source-node-id N] [--wait] [API flags]\n       chreplication scope --instance-id I --database D --cancel [--wait] [API flags]",
	details: `
Change the table scope of the replication of database D into the ClickHouse
node of instance I: which tables it copies. The API starts a job and answers
its ID; while it runs, 'chreplication config' shows the change in progress;
--wait follows the job until it ends, showing its progress. --cancel stops a
change that has not finished (the replication keeps its previous tables); it
is an API error when no change is in progress.

This API version changes only the tables of the replication's list, never its
type: a new replication has an exclude list (black_list) with no tables, so
give --exclude-tables with the tables to leave out ("" for every table).
--include-tables applies only to a replication that already has an include
list (white_list), which this API version cannot create: on any other it is
refused (exit 1) with a message saying so.

Output: the job ID. With --output json, {"job_id": "..."}; with --wait also
the final job: {"job_id": "...", "job": {...}} (progress goes to stderr).
Exit code 3 when the waited job ends Failed.`,
	example: `  chreplication scope --instance-id 54e42160670e48e789af7075e1efea1fin16 \
      --source-instance-id ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07 --database shop \
      --exclude-tables audit_log,sessions --wait
  chreplication scope --instance-id 54e42160670e48e789af7075e1efea1fin16 --database shop --cancel`,
	api: true,
	flags: func(fs *pflag.FlagSet) func(context.Context, *cli) error {
		var (
			a      apiFlags
			w      waitFlags
			req    chreplication.ScopeUpdate
			scopes scopeFlags
		)
		a.register(fs)
		instanceID := fs.String("instance-id", "", "`ID` of the instance whose ClickHouse node holds the replication (required)")
		fs.StringVar(&req.SourceInstanceID, "source-instance-id", "", "`ID` of the GaussDB(for MySQL) instance the replication copies from (required but with --cancel)")
		fs.StringVar(&req.Database, "database", "", "`name` of the synchronised database (required)")
		fs.StringVar(&req.SourceNodeID, "source-node-id", "", "`ID` of the read replica the replication copies from (default: the primary node)")
		scopes.register(fs, "copy")
		cancel := fs.Bool("cancel", false, "stop the change of the table scope in progress instead")
		doWait := fs.Bool("wait", false, "wait for the job to end, showing its progress")
		w.register(fs)
		return func(ctx context.Context, c *cli) error {
			if *cancel {
				return cancelScope(ctx, c, fs, &a, &w, *doWait, *instanceID, req.Database)
			}
			c.note(requireFlags("instance-id", *instanceID, "source-instance-id", req.SourceInstanceID, "database", req.Database))
			if !scopes.given() {
				c.note(usageErrorf("missing --include-tables or --exclude-tables (the tables of the new scope), or --cancel"))
			}
			scope, err := scopes.scope()
			c.note(err)
			req.Scope = scope
			what := fmt.Sprintf("change the tables the replication of database %q on instance %s copies to %s",
				printable(req.Database), printable(*instanceID), describeScope(scope))
			err = startJob(ctx, c, &a, &w, *doWait, what, *instanceID, func(ctx context.Context, client *chreplication.Client) (string, error) {
				jobID, err := client.UpdateScope(ctx, *instanceID, req)
				return jobID, asFlags(err, map[string]string{"Scope": scopeFlag(scope.Mode), "Database": "--database"})
			})
			if errors.Is(err, chreplication.ErrScopeModeChange) {
				return reportModeChange(c.stderr, err, scope.Mode, req.Database)
			}
			return err
		}
	},
}

// cancelScope is scope --cancel.
func cancelScope(ctx context.Context, c *cli, fs *pflag.FlagSet, a *apiFlags, w *waitFlags, doWait bool, instanceID, database string) error {
	var extra []string
	fs.Visit(func(f *pflag.Flag) {
		switch f.Name {
		case "source-instance-id", "source-node-id", "include-tables", "exclude-tables":
			extra = append(extra, "--"+f.Name)
		}
	})
	if len(extra) > 0 {
		c.note(usageErrorf("--cancel takes only --instance-id and --database: leave out %s", strings.Join(extra, ", ")))
	}
	c.note(requireFlags("instance-id", instanceID, "database", database))
	what := fmt.Sprintf("stop the change of the tables the replication of database %q on instance %s copies",
		printable(database), printable(instanceID))
	return startJob(ctx, c, a, w, doWait, what, instanceID, func(ctx context.Context, client *chreplication.Client) (string, error) {
		return client.CancelScopeUpdate(ctx, instanceID, database)
	})
}

// reportModeChange writes the service's refusal of a scope of another list
// type than the replication's, and what this API version allows instead.
func reportModeChange(w io.Writer, err error, asked chreplication.ScopeMode, database string) error {
	var apiErr *chreplication.APIError
	if errors.As(err, &apiErr) {
		fmt.Fprintf(w, "chreplication scope: API error: %s\n", describeHTTPError(apiErr.StatusCode, apiErr.Method, apiErr.Path, apiErr.Code, apiErr.Message, apiErr.RequestID))
	}
	have, other := "an exclude list (black_list)", chreplication.ScopeExclude
	if asked == chreplication.ScopeExclude {
		have, other = "an include list (white_list)", chreplication.ScopeInclude
	}
	fmt.Fprintf(w, "  this API version changes only the tables of a replication's list, not its type: %q has %s, so %s cannot be applied; give %s with the new tables\n",
		printable(database), have, scopeFlag(asked), scopeFlag(other))
	return &exitError{code: exitAPI, err: err}
}
