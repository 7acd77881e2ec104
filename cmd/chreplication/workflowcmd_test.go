package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/fake"
)

// checkArgs are the arguments of a check of database shop, followed by more.
func checkArgs(more ...string) []string {
	return append([]string{"check", "--instance-id", instanceID, "--source-instance-id", sourceInstanceID, "--source-database", "shop"}, more...)
}

// scopeArgs are the arguments of a scope change of database shop, followed
// by more.
func scopeArgs(more ...string) []string {
	return append([]string{"scope", "--instance-id", instanceID, "--source-instance-id", sourceInstanceID, "--database", "shop"}, more...)
}

// lastBody decodes the body of the last request of operation the fake saw.
func lastBody(t *testing.T, s *fake.Server, operation string) map[string]any {
	t.Helper()
	reqs := s.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Operation == operation {
			var body map[string]any
			require.NoError(t, json.Unmarshal(reqs[i].Body, &body), "body of %s: %q", operation, reqs[i].Body)
			return body
		}
	}
	t.Fatalf("the fake saw no %s", operation)
	return nil
}

// setting returns the entry of a "settings" array named name.
func setting(t *testing.T, doc map[string]any, name string) map[string]any {
	t.Helper()
	settings, ok := doc["settings"].([]any)
	require.True(t, ok, "settings: %v", doc["settings"])
	for _, s := range settings {
		if m, ok := s.(map[string]any); ok && m["name"] == name {
			return m
		}
	}
	t.Fatalf("no setting %s in %v", name, settings)
	return nil
}

// TestWorkflowJSON checks the one JSON document of each workflow command.
func TestWorkflowJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(t *testing.T, s *fake.Server) []string // returns the args
		check func(t *testing.T, s *fake.Server, doc map[string]any)
	}{
		{
			name: "databases",
			setup: func(*testing.T, *fake.Server) []string {
				return []string{"databases", "--instance-id", instanceID, "--limit", "2", "--offset", "1"}
			},
			check: func(t *testing.T, _ *fake.Server, doc map[string]any) {
				assert.Len(t, doc, 2)
				assert.EqualValues(t, len(fake.DefaultSourceDatabases()), doc["total_count"])
				assert.Equal(t, []any{"orders", "sales"}, doc["databases"])
			},
		},
		{
			name: "databases --name",
			setup: func(*testing.T, *fake.Server) []string {
				return []string{"databases", "--instance-id", instanceID, "--name", "sa"}
			},
			check: func(t *testing.T, _ *fake.Server, doc map[string]any) {
				assert.EqualValues(t, 1, doc["total_count"])
				assert.Equal(t, []any{"sales"}, doc["databases"])
			},
		},
		{
			name: "databases --all",
			setup: func(t *testing.T, s *fake.Server) []string {
				names := make([]string, 230) // three pages of 100
				for i := range names {
					names[i] = fmt.Sprintf("db_%03d", i)
				}
				require.NoError(t, s.SetSourceDatabases(instanceID, names...))
				return []string{"databases", "--instance-id", instanceID, "--all"}
			},
			check: func(t *testing.T, s *fake.Server, doc map[string]any) {
				assert.EqualValues(t, 230, doc["total_count"])
				dbs, ok := doc["databases"].([]any)
				require.True(t, ok)
				require.Len(t, dbs, 230)
				assert.Equal(t, "db_000", dbs[0])
				assert.Equal(t, "db_229", dbs[229])
				assert.Equal(t, 3, s.RequestCount("ListClickHouseDataBase"))
			},
		},
		{
			name: "databases of nothing is an empty array, not null",
			setup: func(*testing.T, *fake.Server) []string {
				return []string{"databases", "--instance-id", instanceID, "--name", "nosuchdb"}
			},
			check: func(t *testing.T, _ *fake.Server, doc map[string]any) {
				assert.EqualValues(t, 0, doc["total_count"])
				assert.Equal(t, []any{}, doc["databases"])
			},
		},
		{
			name: "params",
			setup: func(*testing.T, *fake.Server) []string {
				return []string{"params", "--instance-id", instanceID}
			},
			check: func(t *testing.T, _ *fake.Server, doc map[string]any) {
				assert.Len(t, doc, 1)
				ps, ok := doc["parameters"].([]any)
				require.True(t, ok)
				require.Len(t, ps, 11)
				var threads map[string]any
				for _, p := range ps {
					m := p.(map[string]any)
					for _, k := range []string{"name", "data_type", "default", "range", "description"} {
						assert.NotEmpty(t, m[k], "%s of %v", k, m)
					}
					if m["name"] == "max_sync_threads" {
						threads = m
					}
				}
				require.NotNil(t, threads)
				assert.Equal(t, "Integer", threads["data_type"])
				assert.Equal(t, "1", threads["default"])
				assert.Equal(t, "1-2", threads["range"])
			},
		},
		{
			name: "check that passes",
			setup: func(*testing.T, *fake.Server) []string {
				return checkArgs("--param", "max_sync_threads=2", "--param", "enable_snapshots=false", "--exclude-tables", "audit_log, sessions")
			},
			check: func(t *testing.T, s *fake.Server, doc map[string]any) {
				assert.Equal(t, "shop", doc["database"])
				assert.Equal(t, true, doc["passed"])
				assert.NotContains(t, doc, "tables", "no table check without --table-config")
				assert.Equal(t, map[string]any{"name": "max_sync_threads", "value": "2", "result": "success"}, setting(t, doc, "max_sync_threads"))
				assert.Equal(t, "false", setting(t, doc, "enable_snapshots")["value"])
				assert.Len(t, doc["settings"], 11, "the service judges every parameter")
				// What was sent: the values as given, the exclude list.
				body := lastBody(t, s, "CheckClickHouseDataBaseConfig")
				assert.Equal(t, sourceInstanceID, body["source_instance_id"])
				assert.Equal(t, "shop", body["source_database_name"])
				assert.Equal(t, []any{
					map[string]any{"param_name": "max_sync_threads", "value": "2"},
					map[string]any{"param_name": "enable_snapshots", "value": "false"},
				}, body["db_configs"])
				assert.Equal(t, map[string]any{"repl_type": "black_list", "tables": []any{"audit_log", "sessions"}}, body["table_repl_config"])
				assert.Zero(t, s.RequestCount("CheckClickHouseTableConfig"))
			},
		},
		{
			name: "check with table configurations",
			setup: func(*testing.T, *fake.Server) []string {
				return checkArgs("--include-tables", "orders,customers",
					"--table-config", "orders=PARTITION BY toYYYYMM(created) ORDER BY id", "--table-config", "customers = ORDER BY (id, name)")
			},
			check: func(t *testing.T, s *fake.Server, doc map[string]any) {
				assert.Equal(t, true, doc["passed"])
				assert.Equal(t, []any{
					map[string]any{"table": "orders", "config": "PARTITION BY toYYYYMM(created) ORDER BY id", "result": "success"},
					map[string]any{"table": "customers", "config": "ORDER BY (id, name)", "result": "success"},
				}, doc["tables"])
				assert.Equal(t, 1, s.RequestCount("CheckClickHouseDataBaseConfig"))
				body := lastBody(t, s, "CheckClickHouseTableConfig")
				assert.Equal(t, map[string]any{"repl_type": "white_list", "tables": []any{"orders", "customers"}}, body["table_repl_config"])
				assert.Len(t, body["tables_configs"], 2)
			},
		},
		{
			name: "config",
			setup: func(t *testing.T, s *fake.Server) []string {
				require.NoError(t, s.AddReplication(instanceID, "shop"))
				return []string{"config", "--instance-id", instanceID, "--database", "shop"}
			},
			check: func(t *testing.T, _ *fake.Server, doc map[string]any) {
				assert.Equal(t, "shop", doc["database"])
				assert.Equal(t, map[string]any{"mode": "black_list", "tables": []any{}}, doc["scope"], "a new replication copies every table")
				assert.Equal(t, false, doc["changing"])
				assert.NotContains(t, doc, "pending")
				assert.Equal(t, []any{}, doc["tables"])
				assert.Equal(t, "success", setting(t, doc, "max_sync_threads")["result"])
				assert.Equal(t, "1", setting(t, doc, "max_sync_threads")["value"], "a replication has the default parameters")
			},
		},
		{
			name: "scope",
			setup: func(t *testing.T, s *fake.Server) []string {
				require.NoError(t, s.AddReplication(instanceID, "shop"))
				return scopeArgs("--exclude-tables", "audit_log")
			},
			check: func(t *testing.T, s *fake.Server, doc map[string]any) {
				assert.Len(t, doc, 1)
				assert.NotEmpty(t, doc["job_id"])
				body := lastBody(t, s, "UpdateClickHouseDataBaseConfig")
				assert.Equal(t, `{"black_list":"audit_log"}`, body["value"])
				assert.Equal(t, "shop", body["database"])
				assert.NotContains(t, body, "source_node_id")
			},
		},
		{
			name: "scope --wait",
			setup: func(t *testing.T, s *fake.Server) []string {
				require.NoError(t, s.AddReplication(instanceID, "shop"))
				return scopeArgs("--exclude-tables", "audit_log,sessions", "--source-node-id", "node01", "--wait", "--poll-interval", testPoll)
			},
			check: func(t *testing.T, s *fake.Server, doc map[string]any) {
				assert.Len(t, doc, 2)
				job, ok := doc["job"].(map[string]any)
				require.True(t, ok, "job: %v", doc["job"])
				assert.Equal(t, doc["job_id"], job["id"])
				assert.Equal(t, "Completed", job["status"])
				assert.Equal(t, "node01", lastBody(t, s, "UpdateClickHouseDataBaseConfig")["source_node_id"])
			},
		},
		{
			name: "scope --cancel",
			setup: func(t *testing.T, s *fake.Server) []string {
				require.NoError(t, s.AddReplication(instanceID, "shop"))
				r := runCLI(t, tokenEnv(s), scopeArgs("--exclude-tables", "audit_log")...)
				require.Equal(t, exitOK, r.code, r.stderr)
				return []string{"scope", "--instance-id", instanceID, "--database", "shop", "--cancel", "--wait", "--poll-interval", testPoll}
			},
			check: func(t *testing.T, s *fake.Server, doc map[string]any) {
				job, ok := doc["job"].(map[string]any)
				require.True(t, ok)
				assert.Equal(t, "Completed", job["status"])
				assert.Equal(t, 1, s.RequestCount("DeleteClickHouseDataBaseConfig"))
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newFake(t)
			env := tokenEnv(s)
			args := append(tt.setup(t, s), "--output", "json")
			r := runCLI(t, env, args...)
			require.Equal(t, exitOK, r.code, "stderr: %s", r.stderr)
			tt.check(t, s, decodeOne(t, r.stdout))
		})
	}
}

// TestWorkflowText checks that the text output of each workflow command is
// there and readable; its exact form is for people and may change.
func TestWorkflowText(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	env := tokenEnv(s)

	r := runCLI(t, env, "databases", "--instance-id", instanceID)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, strings.Join(fake.DefaultSourceDatabases(), "\n")+"\n", r.stdout)
	r = runCLI(t, env, "databases", "--instance-id", instanceID, "--limit", "2")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "1 to 2 of 4 databases (more with --offset 2, or --all).")
	r = runCLI(t, env, "databases", "--instance-id", instanceID, "--all")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "\n4 databases.\n")
	r = runCLI(t, env, "databases", "--instance-id", instanceID, "--name", "nosuchdb")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, `has "nosuchdb" in its name`)

	r = runCLI(t, env, "params", "--instance-id", instanceID)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `(?m)^NAME\s+TYPE\s+DEFAULT\s+RANGE$`, r.stdout)
	assert.Regexp(t, `(?m)^max_sync_threads\s+Integer\s+1\s+1-2$`, r.stdout)
	assert.Regexp(t, `(?m)^default_isolation_level\s+String\s+QUERY_SNAPSHOT\s+READ_COMMITTED\|READ_UNCOMMITTED\|QUERY_RAW\|QUERY_SNAPSHOT$`, r.stdout)
	assert.Len(t, strings.Split(strings.TrimSpace(r.stdout), "\n"), 12, "a header and 11 parameters")

	r = runCLI(t, env, checkArgs("--param", "max_sync_threads=2", "--table-config", "orders=ORDER BY id")...)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, `Check of database "shop" for the ClickHouse node of instance `+instanceID+", copying every table (black_list):")
	assert.Regexp(t, `(?m)^PARAMETER\s+VALUE\s+RESULT$`, r.stdout)
	assert.Regexp(t, `(?m)^max_sync_threads\s+2\s+success$`, r.stdout)
	assert.Regexp(t, `(?m)^TABLE\s+CONFIGURATION\s+RESULT$`, r.stdout)
	assert.Regexp(t, `(?m)^orders\s+ORDER BY id\s+success$`, r.stdout)
	assert.Contains(t, r.stdout, "Every setting and table configuration passes.")
	assert.Contains(t, r.stdout, "this API version cannot apply what it judges", "the output says that a check applies nothing")
	assert.Empty(t, r.stderr)

	require.NoError(t, s.AddReplication(instanceID, "shop"))
	r = runCLI(t, env, scopeArgs("--exclude-tables", "audit_log")...)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, `: change the tables the replication of database "shop" on instance `+instanceID+" copies to every table but audit_log (black_list).")
	assert.Contains(t, r.stdout, "Follow it with: chreplication wait --job-id ")

	r = runCLI(t, env, "config", "--instance-id", instanceID, "--database", "shop")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `(?m)^Database\s+shop$`, r.stdout)
	assert.Regexp(t, `(?m)^Source instance\s+`+sourceInstanceID+`$`, r.stdout)
	assert.Regexp(t, `(?m)^Source node\s+the primary node$`, r.stdout)
	assert.Regexp(t, `(?m)^Scope\s+every table \(black_list\)$`, r.stdout)
	assert.Regexp(t, `(?m)^Pending change\s+to every table but audit_log \(black_list\)$`, r.stdout)
	assert.Regexp(t, `(?m)^max_flush_data_time\s+5000\s+success$`, r.stdout)
	assert.Contains(t, r.stdout, "Table configurations:\nNo table configurations.\n")

	r = runCLI(t, env, "scope", "--instance-id", instanceID, "--database", "shop", "--cancel")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, `: stop the change of the tables the replication of database "shop" on instance `+instanceID+" copies.")

	r = runCLI(t, env, "config", "--instance-id", instanceID, "--database", "shop")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `(?m)^Scope\s+every table \(black_list\)$`, r.stdout, "a stopped change leaves the tables as they were")
	assert.Regexp(t, `(?m)^Pending change\s+none$`, r.stdout)
}

// TestCheckExitCodes checks that a check exits 4 when a setting or a table
// configuration fails, and 0 when everything passes, in both formats.
func TestCheckExitCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		args   []string
		code   int
		failed []string // in the message on stderr
	}{
		{name: "defaults pass", args: checkArgs(), code: exitOK},
		{name: "values in range pass", args: checkArgs("--param", "max_sync_threads=2", "--param", "default_isolation_level=READ_COMMITTED"), code: exitOK},
		{name: "out of range", args: checkArgs("--param", "max_sync_threads=3"), code: exitCheckFailed, failed: []string{"1 setting fails (max_sync_threads=3)"}},
		{name: "unknown parameter", args: checkArgs("--param", "no_such_param=1"), code: exitCheckFailed, failed: []string{"no_such_param=1"}},
		{
			name: "a value the service judges, not the client",
			args: checkArgs("--param", "enable_snapshots=TRUE"), code: exitCheckFailed, failed: []string{"enable_snapshots=TRUE"},
		},
		{
			name: "two fail",
			args: checkArgs("--param", "max_sync_threads=0", "--param", "max_flush_data_time=20000"), code: exitCheckFailed,
			failed: []string{"2 settings fail (max_sync_threads=0, max_flush_data_time=20000)"},
		},
		{
			name: "many fail",
			args: checkArgs("--param", "a1=1", "--param", "a2=1", "--param", "a3=1", "--param", "a4=1", "--param", "a5=1", "--param", "a6=1", "--param", "a7=1"),
			code: exitCheckFailed, failed: []string{"7 settings fail (a1=1, a2=1, a3=1, a4=1, a5=1 and 2 more)"},
		},
		{
			name: "a table configuration fails",
			args: checkArgs("--table-config", "orders=ORDER BY id", "--table-config", "logs=ENGINE = Log"), code: exitCheckFailed,
			failed: []string{"1 table configuration fails (logs)"},
		},
		{
			name: "both fail",
			args: checkArgs("--param", "max_sync_threads=3", "--table-config", "logs=ORDER BY"), code: exitCheckFailed,
			failed: []string{"1 setting fails (max_sync_threads=3); 1 table configuration fails (logs)"},
		},
	}
	for _, tt := range tests {
		for _, output := range []string{"text", "json"} {
			t.Run(tt.name+"/"+output, func(t *testing.T) {
				t.Parallel()
				s := newFake(t)
				r := runCLI(t, tokenEnv(s), slices.Concat(tt.args, []string{"--output", output})...)
				assert.Equal(t, tt.code, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
				if output == "json" {
					doc := decodeOne(t, r.stdout) // the verdicts, whatever they are
					assert.Equal(t, tt.code == exitOK, doc["passed"])
				} else {
					assert.Contains(t, r.stdout, "PARAMETER")
				}
				if tt.code == exitOK {
					assert.Empty(t, r.stderr)
					return
				}
				assert.Len(t, messageLines(r.stderr), 1, "one line: %q", r.stderr)
				assert.True(t, strings.HasPrefix(r.stderr, "chreplication check: the check failed: "), r.stderr)
				for _, f := range tt.failed {
					assert.Contains(t, r.stderr, f)
				}
			})
		}
	}
}

// TestScopeThenConfig changes the tables of a replication with --wait
// and reads them back with config.
func TestScopeThenConfig(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	env := tokenEnv(s)
	// A replication that is being created refuses a scope change: wait first.
	r := runCLI(t, env, "wait", "--job-id", createJob(t, env, "shop"), "--poll-interval", testPoll)
	require.Equal(t, exitOK, r.code, r.stderr)

	r = runCLI(t, env, scopeArgs("--exclude-tables", "audit_log,sessions", "--wait", "--poll-interval", testPoll)...)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `(?m)^job \S+ Completed 100%$`, r.stdout)
	assert.Regexp(t, `(?m)^Job \S+ Completed in `, r.stdout)

	r = runCLI(t, env, "config", "--instance-id", instanceID, "--database", "shop", "--output", "json")
	require.Equal(t, exitOK, r.code, r.stderr)
	doc := decodeOne(t, r.stdout)
	assert.Equal(t, map[string]any{"mode": "black_list", "tables": []any{"audit_log", "sessions"}}, doc["scope"])
	assert.Equal(t, false, doc["changing"])
	assert.NotContains(t, doc, "pending")
	assert.Equal(t, sourceInstanceID, doc["source_instance_id"])

	r = runCLI(t, env, "config", "--instance-id", instanceID, "--database", "shop")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `(?m)^Scope\s+every table but audit_log, sessions \(black_list\)$`, r.stdout)

	// Back to every table: an empty exclude list.
	r = runCLI(t, env, scopeArgs("--exclude-tables", "", "--wait", "--poll-interval", testPoll)...)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, `{"black_list":""}`, lastBody(t, s, "UpdateClickHouseDataBaseConfig")["value"])
	r = runCLI(t, env, "config", "--instance-id", instanceID, "--database", "shop")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `(?m)^Scope\s+every table \(black_list\)$`, r.stdout)
}

// TestScopeErrors checks the API errors of scope: a cancel with no change
// in progress, a change of the list's type, a failed and an interrupted
// wait.
func TestScopeErrors(t *testing.T) {
	t.Parallel()
	t.Run("cancel with nothing pending", func(t *testing.T) {
		t.Parallel()
		s := newFake(t)
		require.NoError(t, s.AddReplication(instanceID, "shop"))
		for _, output := range []string{"text", "json"} {
			r := runCLI(t, tokenEnv(s), "scope", "--instance-id", instanceID, "--database", "shop", "--cancel", "--output", output)
			assert.Equal(t, exitAPI, r.code, r.stderr)
			if output == "json" {
				// The failure's document only: the error as the API gave it.
				body, _ := decodeOne(t, r.stdout)["error"].(map[string]any)
				assert.Equal(t, fake.CodeNoScopeChange, body["code"])
			} else {
				assert.Empty(t, r.stdout)
			}
			assert.Contains(t, r.stderr, "chreplication scope: API error: HTTP 400 Bad Request from DELETE ")
			assert.Contains(t, r.stderr, "error_code "+fake.CodeNoScopeChange)
			reqs := s.Requests()
			require.NotEmpty(t, reqs)
			assert.Contains(t, r.stderr, "request ID "+reqs[len(reqs)-1].RequestID)
			assert.Len(t, messageLines(r.stderr), 1, "%q", r.stderr)
		}
	})
	t.Run("include list on a new replication", func(t *testing.T) {
		t.Parallel()
		s := newFake(t)
		require.NoError(t, s.AddReplication(instanceID, "shop"))
		for _, output := range []string{"text", "json"} {
			r := runCLI(t, tokenEnv(s), append(scopeArgs("--include-tables", "orders,customers", "--wait", "--poll-interval", testPoll), "--output", output)...)
			assert.Equal(t, exitAPI, r.code, r.stderr)
			if output == "json" {
				body, _ := decodeOne(t, r.stdout)["error"].(map[string]any)
				assert.Equal(t, kindAPI, body["kind"])
			} else {
				assert.Empty(t, r.stdout)
			}
			lines := messageLines(r.stderr)
			require.Len(t, lines, 2, "%q", r.stderr)
			assert.Contains(t, lines[0], "chreplication scope: API error: HTTP 400 Bad Request from PUT ")
			assert.Contains(t, lines[0], "error_code "+fake.CodeScopeTypeChange)
			assert.Contains(t, lines[0], "request ID ")
			assert.Contains(t, lines[1], "this API version changes only the tables of a replication's list, not its type")
			assert.Contains(t, lines[1], `"shop" has an exclude list (black_list), so --include-tables cannot be applied; give --exclude-tables`)
		}
		assert.Zero(t, s.RequestCount("ShowGaussMySqlJobInfo"), "no job was started, none waited for")
		r := runCLI(t, tokenEnv(s), "config", "--instance-id", instanceID, "--database", "shop", "--output", "json")
		require.Equal(t, exitOK, r.code, r.stderr)
		assert.Equal(t, map[string]any{"mode": "black_list", "tables": []any{}}, decodeOne(t, r.stdout)["scope"])
	})
	t.Run("exclude list on an include list", func(t *testing.T) {
		t.Parallel()
		s := newFake(t)
		require.NoError(t, s.AddReplication(instanceID, "shop"))
		require.NoError(t, s.SetTableScope(instanceID, "shop", fake.TableReplConfig{ReplType: fake.TableReplConfigReplTypeWhiteList, Tables: []string{"orders"}}))
		r := runCLI(t, tokenEnv(s), scopeArgs("--exclude-tables", "audit_log")...)
		assert.Equal(t, exitAPI, r.code, r.stderr)
		assert.Contains(t, r.stderr, `"shop" has an include list (white_list), so --exclude-tables cannot be applied; give --include-tables`)
		// The tables of that include list may change.
		r = runCLI(t, tokenEnv(s), scopeArgs("--include-tables", "orders,customers", "--wait", "--poll-interval", testPoll)...)
		require.Equal(t, exitOK, r.code, r.stderr)
		r = runCLI(t, tokenEnv(s), "config", "--instance-id", instanceID, "--database", "shop")
		require.Equal(t, exitOK, r.code, r.stderr)
		assert.Regexp(t, `(?m)^Scope\s+only orders, customers \(white_list\)$`, r.stdout)
	})
	t.Run("no such replication", func(t *testing.T) {
		t.Parallel()
		s := newFake(t)
		r := runCLI(t, tokenEnv(s), scopeArgs("--exclude-tables", "audit_log")...)
		assert.Equal(t, exitAPI, r.code, r.stderr)
		assert.Contains(t, r.stderr, "error_code "+fake.CodeDatabaseNotFound)
		assert.NotContains(t, r.stderr, "not its type")
	})
	t.Run("the waited job fails", func(t *testing.T) {
		t.Parallel()
		s := newFake(t)
		require.NoError(t, s.AddReplication(instanceID, "shop"))
		s.FailNextJob("table audit_log is locked")
		r := runCLI(t, tokenEnv(s), scopeArgs("--exclude-tables", "audit_log", "--wait", "--poll-interval", testPoll, "--output", "json")...)
		assert.Equal(t, exitJobFailed, r.code, r.stderr)
		assert.Contains(t, r.stderr, "failed: table audit_log is locked")
		job, ok := decodeOne(t, r.stdout)["job"].(map[string]any)
		require.True(t, ok)
		assert.Equal(t, "Failed", job["status"])
		r = runCLI(t, tokenEnv(s), "config", "--instance-id", instanceID, "--database", "shop", "--output", "json")
		require.Equal(t, exitOK, r.code, r.stderr)
		doc := decodeOne(t, r.stdout)
		assert.Equal(t, "table audit_log is locked", doc["last_alter_error"])
		assert.Equal(t, map[string]any{"mode": "black_list", "tables": []any{}}, doc["scope"])
	})
	t.Run("interrupted while waiting", func(t *testing.T) {
		t.Parallel()
		s := newFake(t, fake.WithJobMode(fake.JobsManual))
		require.NoError(t, s.AddReplication(instanceID, "shop"))
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		done := make(chan result, 1)
		go func() {
			done <- runCLIContext(t, ctx, tokenEnv(s), scopeArgs("--exclude-tables", "audit_log", "--wait", "--poll-interval", testPoll)...)
		}()
		require.True(t, waitUntil(t, 10*time.Second, func() bool { return s.RequestCount("ShowGaussMySqlJobInfo") >= 2 }))
		cancel()
		var r result
		select {
		case r = <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("scope --wait did not stop when interrupted")
		}
		assert.Equal(t, exitInterrupted, r.code, r.stderr)
		assert.Regexp(t, `job \S+ is still running on the service .*; follow it with: chreplication wait --job-id \S+`, r.stderr)
		assert.Contains(t, r.stderr, "chreplication scope: interrupted\n")
	})
}

// TestWorkflowUsageErrors checks that bad input exits 2 with a message
// naming the flag, and sends nothing.
func TestWorkflowUsageErrors(t *testing.T) {
	t.Parallel()
	cancelArgs := func(more ...string) []string {
		return append([]string{"scope", "--instance-id", instanceID, "--database", "shop", "--cancel"}, more...)
	}
	tests := []struct {
		name string
		args []string
		want []string // substrings of stderr
	}{
		{"databases without --instance-id", []string{"databases"}, []string{"missing --instance-id", "chreplication databases --help"}},
		{"databases --all --offset", []string{"databases", "--instance-id", instanceID, "--all", "--offset", "3"}, []string{"leave out --offset"}},
		{"databases --limit out of range", []string{"databases", "--instance-id", instanceID, "--limit", "101"}, []string{"invalid --limit"}},
		{"databases bad --name", []string{"databases", "--instance-id", instanceID, "--name", "a/b"}, []string{"invalid --name: ", "nothing was sent"}},
		{"databases --all bad --name", []string{"databases", "--instance-id", instanceID, "--all", "--name", "a.b"}, []string{"invalid --name: "}},
		{"params bad --instance-id", []string{"params", "--instance-id", "../x"}, []string{"invalid --instance-id"}},
		{"params bad --output", []string{"params", "--instance-id", instanceID, "--output", "yaml"}, []string{`--output "yaml" is not one of text, json`}},
		{"check without --source-database", []string{"check", "--instance-id", instanceID, "--source-instance-id", sourceInstanceID}, []string{"missing --source-database"}},
		{"check --param without =", checkArgs("--param", "max_sync_threads"), []string{`invalid --param "max_sync_threads": want NAME=VALUE`}},
		{"check --param without a name", checkArgs("--param", "=2"), []string{`invalid --param "=2": want NAME=VALUE`}},
		{"check --param twice", checkArgs("--param", "max_sync_threads=1", "--param", "max_sync_threads=2"), []string{"--param max_sync_threads is given twice"}},
		{"check --table-config without =", checkArgs("--table-config", "orders"), []string{`invalid --table-config "orders": want TABLE=CLAUSES`}},
		{"check --table-config without clauses", checkArgs("--table-config", "orders= "), []string{"--table-config \"orders= \": want TABLE=CLAUSES"}},
		{"check --table-config twice for a table", checkArgs("--table-config", "orders=ORDER BY id", "--table-config", "orders=ORDER BY ts"), []string{`--table-config names table "orders" twice`}},
		{"check --table-config bad table", checkArgs("--table-config", "a.b=ORDER BY id"), []string{"invalid --table-config: ", `"a.b"`}},
		{"check both lists", checkArgs("--include-tables", "a", "--exclude-tables", "b"), []string{"give --include-tables or --exclude-tables, not both"}},
		{"check empty include list", checkArgs("--include-tables", ""), []string{"invalid --include-tables: must name at least one table"}},
		{"check empty table name", checkArgs("--exclude-tables", "a,,b"), []string{`invalid --exclude-tables "a,,b": an empty table name`}},
		{"check a table named twice", checkArgs("--exclude-tables", "a,b,a"), []string{`table "a" is named twice`}},
		{"check bad table name", checkArgs("--exclude-tables", "a,b.c"), []string{"invalid --exclude-tables: ", `"b.c"`}},
		{"check list given twice", checkArgs("--exclude-tables", "a", "--exclude-tables", "b"), []string{"given twice: name every table in one comma-separated list"}},
		{"check bad --source-node-id", checkArgs("--source-node-id", "a b"), []string{"invalid --source-node-id"}},
		{"config without --database", []string{"config", "--instance-id", instanceID}, []string{"missing --database"}},
		{"config bad --database", []string{"config", "--instance-id", instanceID, "--database", "a.b"}, []string{"invalid --database"}},
		{"scope without a list", scopeArgs(), []string{"missing --include-tables or --exclude-tables", "or --cancel"}},
		{"scope both lists", scopeArgs("--include-tables", "a", "--exclude-tables", "b"), []string{"not both"}},
		{"scope without --source-instance-id", []string{"scope", "--instance-id", instanceID, "--database", "shop", "--exclude-tables", "a"}, []string{"missing --source-instance-id"}},
		{"scope empty include list", scopeArgs("--include-tables", ""), []string{"invalid --include-tables"}},
		{"scope bad table", scopeArgs("--exclude-tables", "x/y"), []string{"invalid --exclude-tables"}},
		{"scope bad --database", []string{"scope", "--instance-id", instanceID, "--source-instance-id", sourceInstanceID, "--database", "a.b", "--exclude-tables", "t"}, []string{"invalid --database"}},
		{"scope bad --poll-interval", scopeArgs("--exclude-tables", "t", "--wait", "--poll-interval", "0s"), []string{"--poll-interval must be positive"}},
		{"scope --cancel with a list", cancelArgs("--exclude-tables", "t"), []string{"--cancel takes only --instance-id and --database: leave out --exclude-tables"}},
		{"scope --cancel with a source", cancelArgs("--source-instance-id", sourceInstanceID, "--source-node-id", "n1"), []string{"leave out --source-instance-id, --source-node-id"}},
		{"scope --cancel without --database", []string{"scope", "--instance-id", instanceID, "--cancel"}, []string{"missing --database"}},
		{"scope --cancel bad --database", []string{"scope", "--instance-id", instanceID, "--database", "..", "--cancel"}, []string{"invalid --database"}},
		{"scope positional argument", scopeArgs("--exclude-tables", "t", "now"), []string{`unexpected argument "now"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newFake(t)
			r := runCLI(t, tokenEnv(s), tt.args...)
			assert.Equal(t, exitUsage, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
			assert.Empty(t, r.stdout)
			for _, w := range tt.want {
				assert.Contains(t, r.stderr, w)
			}
			assert.LessOrEqual(t, len(messageLines(r.stderr)), 2, "%q", r.stderr)
			assert.Zero(t, s.RequestCount(""), "a request was sent")
		})
	}
}

// TestWorkflowHelp checks that the help of the workflow commands says what
// this API version lets a user apply.
func TestWorkflowHelp(t *testing.T) {
	t.Parallel()
	r := runCLI(t, nil, "check", "--help")
	require.Equal(t, exitOK, r.code)
	assert.Contains(t, r.stdout, "--param NAME=VALUE")
	assert.Contains(t, r.stdout, "--table-config TABLE=CLAUSES")
	assert.Contains(t, r.stdout, "judges settings a user may not be able to apply")
	assert.Contains(t, r.stdout, "Exit code 4")
	r = runCLI(t, nil, "scope", "--help")
	require.Equal(t, exitOK, r.code)
	assert.Contains(t, r.stdout, "chreplication scope --instance-id I --database D --cancel")
	assert.Contains(t, r.stdout, "changes only the tables of the replication's list, never its\ntype")
	assert.Contains(t, r.stdout, "--include-tables tables")
	r = runCLI(t, nil, "help")
	require.Equal(t, exitOK, r.code)
	order := []string{"create", "list", "delete", "job", "wait", "databases", "params", "check", "config", "scope", "apply", "fake", "demo"}
	last := -1
	for _, name := range order {
		i := strings.Index(r.stdout, "\n  "+name+" ")
		require.Greater(t, i, last, "%s is not listed after the command before it", name)
		last = i
	}
}

// TestCheckSaysWhy checks that a failing setting comes with why: the
// parameter's allowed range or values from the parameter list, or that the
// service lists no such parameter; a passing check asks for no list.
func TestCheckSaysWhy(t *testing.T) {
	t.Parallel()
	args := func(params ...string) []string {
		a := []string{"check", "--instance-id", instanceID, "--source-instance-id", sourceInstanceID, "--source-database", "shop"}
		for _, p := range params {
			a = append(a, "--param", p)
		}
		return a
	}
	s := newFake(t)
	env := tokenEnv(s)
	r := runCLI(t, env, append(args("max_sync_threads=3", "enable_snapshots=maybe", "no_such_param=1", "max_flush_data_time=2000"), "--output", "json")...)
	require.Equal(t, exitCheckFailed, r.code, r.stderr)
	doc := decodeOne(t, r.stdout)
	threads := setting(t, doc, "max_sync_threads")
	assert.Equal(t, "fail", threads["result"])
	assert.Equal(t, "1-2", threads["allowed"])
	assert.Equal(t, "Integer", threads["data_type"])
	assert.Equal(t, `"3" is outside 1-2`, threads["why"])
	assert.Equal(t, `"maybe" is not one of true, false`, setting(t, doc, "enable_snapshots")["why"])
	unknown := setting(t, doc, "no_such_param")
	assert.Equal(t, "unknown parameter (see 'chreplication params')", unknown["why"])
	assert.NotContains(t, unknown, "allowed")
	passing := setting(t, doc, "max_flush_data_time")
	assert.Equal(t, "success", passing["result"])
	assert.NotContains(t, passing, "why")
	assert.Equal(t, 1, s.RequestCount("ListClickHouseDataBaseParameter"), "one parameter list for every failing setting")
	assert.Contains(t, body(t, doc)["message"], "max_sync_threads=3")

	r = runCLI(t, env, args("max_sync_threads=3", "no_such_param=1")...)
	require.Equal(t, exitCheckFailed, r.code, r.stderr)
	assert.Regexp(t, `(?m)^PARAMETER\s+VALUE\s+RESULT\s+WHY$`, r.stdout)
	assert.Regexp(t, `(?m)^max_sync_threads\s+3\s+fail\s+"3" is outside 1-2$`, r.stdout)
	assert.Regexp(t, `(?m)^no_such_param\s+1\s+fail\s+unknown parameter`, r.stdout)
	assert.Regexp(t, `(?m)^max_flush_data_time\s+5000\s+success\s+-$`, r.stdout)

	before := s.RequestCount("ListClickHouseDataBaseParameter")
	r = runCLI(t, env, args("max_sync_threads=2")...)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.NotContains(t, r.stdout, "WHY")
	assert.Equal(t, before, s.RequestCount("ListClickHouseDataBaseParameter"), "a check that passes lists no parameters")
}

// body returns the error member of a JSON document.
func body(t *testing.T, doc map[string]any) map[string]any {
	t.Helper()
	b, ok := doc["error"].(map[string]any)
	require.True(t, ok, "no error member in %v", doc)
	return b
}

func TestDescribeRange(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "1-16 (Integer)", describeRange(chreplication.Parameter{DataType: "Integer", Range: "1-16"}))
	assert.Equal(t, "one of true, false", describeRange(chreplication.Parameter{DataType: "String", Range: "true|false"}))
	assert.Equal(t, "no range given (String)", describeRange(chreplication.Parameter{DataType: "String"}))
}
