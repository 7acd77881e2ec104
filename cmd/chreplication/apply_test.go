package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/auth"
	"github.com/gaussdb-tools/chreplication/fake"
)

// A second instance for the apply tests.
const otherInstanceID = "0f1e2d3c4b5a49788796a5b4c3d2e1f0in16"

// runApply runs the CLI in-process with stdin as standard input.
func runApply(t *testing.T, ctx context.Context, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr syncBuffer
	getenv := func(name string) string { return env[name] }
	code := run(ctx, args, getenv, strings.NewReader(stdin), &stdout, &stderr)
	r := result{code: code, stdout: stdout.String(), stderr: stderr.String()}
	assertNoSecrets(t, r.stdout, r.stderr)
	return r
}

// decodeApply decodes apply's one JSON document.
func decodeApply(t *testing.T, stdout string) applyDoc {
	t.Helper()
	doc := decodeOne(t, stdout) // exactly one document
	require.Contains(t, doc, "changes", stdout)
	for k := range doc {
		require.Contains(t, []string{"changes", "error"}, k, "only changes and, on failure, error: %s", stdout)
	}
	var out applyDoc
	require.NoError(t, json.Unmarshal([]byte(stdout), &out))
	require.NotNil(t, out.Changes)
	return out
}

// byDatabase indexes changes by "instance/database".
func byDatabase(doc applyDoc) map[string]*change {
	m := map[string]*change{}
	for _, ch := range doc.Changes {
		m[ch.InstanceID+"/"+ch.Database] = ch
	}
	return m
}

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

// twoInstances is a file for instanceID (shop, sales) and otherInstanceID
// (ventes été).
const twoInstances = `
replications:
  - instance_id: ` + instanceID + `
    source_instance_id: ` + sourceInstanceID + `
    source_node_id: ""
    databases: [shop, sales]
  - instance_id: ` + otherInstanceID + `
    source_instance_id: ` + sourceInstanceID + `
    databases:
      - ventes été
`

func databasesOf(s *fake.Server, instance string) []string {
	out := []string{}
	for _, r := range s.Replications(instance) {
		out = append(out, *r.SourceDatabase)
	}
	return out
}

func TestApplyTwiceChangesNothing(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	require.NoError(t, s.AddReplication(instanceID, "shop"))
	env := tokenEnv(s)
	file := writeTemp(t, "replications.yaml", twoInstances)

	r := runCLI(t, env, "apply", "-f", file, "--output", "json", "--poll-interval", testPoll)
	require.Equal(t, exitOK, r.code, r.stderr)
	changes := byDatabase(decodeApply(t, r.stdout))
	require.Len(t, changes, 3)
	assert.Equal(t, change{InstanceID: instanceID, Database: "shop", Action: actionNone, Result: resultDone}, *changes[instanceID+"/shop"])
	for _, k := range []string{instanceID + "/sales", otherInstanceID + "/ventes été"} {
		ch := changes[k]
		assert.Equal(t, actionCreate, ch.Action, k)
		assert.Equal(t, resultDone, ch.Result, k)
		assert.NotEmpty(t, ch.JobID, k)
		job, ok := s.Job(ch.JobID)
		require.True(t, ok)
		assert.Equal(t, fake.JobStatusCompleted, job.Status)
		assert.Empty(t, ch.Error)
	}
	assert.Equal(t, []string{"shop", "sales"}, databasesOf(s, instanceID))
	assert.Equal(t, []string{"ventes été"}, databasesOf(s, otherInstanceID))
	assert.Equal(t, 2, s.RequestCount("CreateClickHouseDataBaseReplication"))

	// The second run lists, changes nothing and sends no write.
	s.ResetRequests()
	r = runCLI(t, env, "apply", "-f", file, "--output", "json", "--poll-interval", testPoll)
	require.Equal(t, exitOK, r.code, r.stderr)
	for _, ch := range decodeApply(t, r.stdout).Changes {
		assert.Equal(t, actionNone, ch.Action)
		assert.Equal(t, resultDone, ch.Result)
		assert.Empty(t, ch.JobID)
	}
	for _, req := range s.Requests() {
		assert.Equal(t, http.MethodGet, req.Method, "%s %s", req.Method, req.Path)
		assert.Contains(t, []string{"ListClickHouseDataBaseReplication", "ListClickHouseDataBaseReplicationConfig"}, req.Operation)
	}
	assert.Equal(t, 3, s.RequestCount("ListClickHouseDataBaseReplicationConfig"), "the source of each of the 3 tasks is read")

	// --no-source-check trusts the list: 2 lists, nothing else.
	s.ResetRequests()
	r = runCLI(t, env, "apply", "-f", file, "--no-source-check", "--output", "json")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, 2, s.RequestCount(""))

	// In text: the plan and the summary say so.
	r = runCLI(t, env, "apply", "-f", file)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Plan for 2 instances: 0 to create, 0 to delete, 3 unchanged.")
	assert.Contains(t, r.stdout, "Nothing to change: the service matches the file.")
	assert.Contains(t, r.stdout, "Summary: 0 created, 0 deleted, 3 unchanged")
}

func TestApplyText(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	r := runCLI(t, tokenEnv(s), "apply", "-f", writeTemp(t, "r.yaml", twoInstances), "--poll-interval", testPoll)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Plan for 2 instances: 3 to create, 0 to delete, 0 unchanged.\n")
	assert.Regexp(t, `(?m)^  create\s+shop\s+on `+instanceID+`$`, r.stdout)
	assert.Regexp(t, `(?m)^  create\s+"ventes été"\s+on `+otherInstanceID+`$`, r.stdout)
	// Not a terminal: a line per change of each job, then its end.
	assert.Regexp(t, `(?m)^create shop on `+instanceID+`: job \S+ started$`, r.stdout)
	assert.Regexp(t, `(?m)^create shop on `+instanceID+`: job \S+ Running \d+%$`, r.stdout)
	// The job's duration is the service's: its own begin and end times.
	assert.Regexp(t, `(?m)^create sales on `+instanceID+`: done \(job \S+ Completed: began \d\d:\d\d:\d\d, ended \d\d:\d\d:\d\d, \S+\)$`, r.stdout)
	assert.Regexp(t, `(?m)^Summary: 3 created, 0 deleted, 0 unchanged in \S+\.$`, r.stdout)
	assert.NotContains(t, r.stdout, "\x1b[", "no terminal escapes in a file")
}

// TestApplyLostCreateAnswer: the first create reaches the fake, which
// creates the task, and its answer is lost. apply looks at the list, finds
// the task, and ends with exactly one task and exit 0.
func TestApplyLostCreateAnswer(t *testing.T) {
	t.Parallel()
	s := newFake(t, fake.WithOneOperationPerInstance())
	proxy := newChaosProxy(t, s.URL(), 1, 0)
	proxy.script("POST ", faultCut)
	file := `{"replications": [{"instance_id": "` + instanceID + `", "source_instance_id": "` + sourceInstanceID + `", "databases": ["shop", "sales"]}]}`
	r := runApply(t, t.Context(), with(tokenEnv(s), envEndpoint, proxy.URL()), file,
		"apply", "-f", "-", "--output", "json", "--poll-interval", testPoll, "--confirm-wait", "2s")
	require.Equal(t, exitOK, r.code, r.stderr)
	changes := byDatabase(decodeApply(t, r.stdout))
	shop := changes[instanceID+"/shop"]
	assert.Equal(t, change{InstanceID: instanceID, Database: "shop", Action: actionCreate, JobIDLost: true, Result: resultDone}, *shop)
	assert.Equal(t, resultDone, changes[instanceID+"/sales"].Result)
	assert.NotEmpty(t, changes[instanceID+"/sales"].JobID)

	assert.Equal(t, []string{"shop", "sales"}, databasesOf(s, instanceID))
	writes := writesByDatabase(t, s)
	assert.Equal(t, []int{http.StatusOK}, writes[instanceID+"/shop"].statuses, "one create, accepted, never sent again")
	// The lost job kept the instance busy: the create of sales waited for it
	// (the busy refusals are on stderr, never on stdout).
	assert.Equal(t, 1, accepted(writes[instanceID+"/sales"].statuses))
	if len(writes[instanceID+"/sales"].statuses) > 1 {
		assert.Contains(t, r.stderr, "the instance is busy with another operation")
	}
	assert.Contains(t, r.stderr, "shop on "+instanceID+": the answer was lost; the list shows the task: still being created")
	assert.Contains(t, r.stderr, "shop on "+instanceID+": done (the answer was lost; the task is synchronising, stage incremental)")
}

func TestApplyPrune(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	for _, db := range []string{"old", "shop", "older"} {
		require.NoError(t, s.AddReplication(instanceID, db))
	}
	// An abnormal task the file no longer names: left alone, reported.
	abnormalTask(t, s, instanceID, "broken")
	// An instance the file does not name is never touched.
	require.NoError(t, s.AddReplication(otherInstanceID, "elsewhere"))
	file := writeTemp(t, "r.yaml", `
replications:
  - instance_id: `+instanceID+`
    source_instance_id: `+sourceInstanceID+`
    databases: [shop, sales]
`)
	env := tokenEnv(s)

	// Without --prune nothing is deleted.
	r := runCLI(t, env, "apply", "-f", file, "--output", "json", "--poll-interval", testPoll)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Len(t, decodeApply(t, r.stdout).Changes, 2, "tasks the file does not name are not its business")
	assert.ElementsMatch(t, []string{"old", "shop", "older", "broken", "sales"}, databasesOf(s, instanceID))

	r = runCLI(t, env, "apply", "-f", file, "--prune", "--output", "json", "--poll-interval", testPoll)
	assert.Equal(t, exitJobFailed, r.code, "an abnormal task exits 3: %s", r.stderr)
	changes := byDatabase(decodeApply(t, r.stdout))
	for _, db := range []string{"old", "older"} {
		ch := changes[instanceID+"/"+db]
		require.NotNil(t, ch, db)
		assert.Equal(t, actionDelete, ch.Action)
		assert.Equal(t, resultDone, ch.Result)
		assert.NotEmpty(t, ch.JobID)
	}
	assert.Equal(t, change{InstanceID: instanceID, Database: "broken", Action: actionNone, Result: resultAbnormal}, *changes[instanceID+"/broken"])
	assert.ElementsMatch(t, []string{"shop", "broken", "sales"}, databasesOf(s, instanceID))
	assert.Equal(t, []string{"elsewhere"}, databasesOf(s, otherInstanceID))
	assert.Contains(t, r.stderr, "1 replication is abnormal")

	// Pruning again deletes nothing more.
	s.ResetRequests()
	r = runCLI(t, env, "apply", "-f", file, "--prune", "--poll-interval", testPoll)
	assert.Equal(t, exitJobFailed, r.code)
	assert.Zero(t, s.RequestCount("DeleteClickHouseDataBaseReplication"))
	assert.Contains(t, r.stdout, "abnormal: broken on "+instanceID+" is left alone")
}

// abnormalTask makes the fake hold an abnormal task for db: its create job
// failed.
func abnormalTask(t *testing.T, s *fake.Server, instance, db string) {
	t.Helper()
	c, err := chreplication.NewClient(s.URL(), chreplication.WithProjectID(s.ProjectID()), chreplication.WithAuth(auth.StaticToken(secretToken)))
	require.NoError(t, err)
	s.FailNextJob("the source database has no primary key")
	jobID, err := c.CreateReplication(t.Context(), instance, chreplication.CreateReplicationRequest{SourceInstanceID: sourceInstanceID, SourceDatabase: db})
	require.NoError(t, err)
	s.FinishJobs()
	job, ok := s.Job(jobID)
	require.True(t, ok)
	require.Equal(t, fake.JobStatusFailed, job.Status)
}

func TestApplyAbnormalNamedTaskIsLeftAlone(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	abnormalTask(t, s, instanceID, "shop")
	s.ResetRequests()
	r := runApply(t, t.Context(), tokenEnv(s), twoInstances, "apply", "-f", "-", "--poll-interval", testPoll)
	assert.Equal(t, exitJobFailed, r.code)
	assert.Regexp(t, `(?m)^  abnormal\s+shop\s+on `+instanceID+`\s+\(left alone\)$`, r.stdout)
	assert.Contains(t, r.stdout, ", 1 abnormal (left alone)")
	writes := writesByDatabase(t, s)
	assert.Nil(t, writes[instanceID+"/shop"], "nothing sent for the abnormal task")
	assert.NotNil(t, writes[instanceID+"/sales"])
}

func TestApplyDryRun(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	require.NoError(t, s.AddReplication(instanceID, "old"))
	require.NoError(t, s.AddReplication(instanceID, "shop"))
	file := writeTemp(t, "r.yaml", twoInstances)
	for _, output := range []string{"json", "text"} {
		s.ResetRequests()
		r := runCLI(t, tokenEnv(s), "apply", "-f", file, "--prune", "--dry-run", "--output", output)
		require.Equal(t, exitOK, r.code, r.stderr)
		for _, req := range s.Requests() {
			assert.Equal(t, http.MethodGet, req.Method, "a dry run only reads")
		}
		assert.Equal(t, 2, s.RequestCount("ListClickHouseDataBaseReplication"), "one list per instance")
		assert.Equal(t, 1, s.RequestCount("ListClickHouseDataBaseReplicationConfig"), "the source of shop")
		assert.Equal(t, 3, s.RequestCount(""), "nothing else")
		assert.Equal(t, []string{"old", "shop"}, databasesOf(s, instanceID))
		assert.Empty(t, databasesOf(s, otherInstanceID))
		if output == "json" {
			changes := byDatabase(decodeApply(t, r.stdout))
			assert.Equal(t, change{InstanceID: instanceID, Database: "old", Action: actionDelete, Result: resultPlanned}, *changes[instanceID+"/old"])
			assert.Equal(t, change{InstanceID: instanceID, Database: "shop", Action: actionNone, Result: resultDone}, *changes[instanceID+"/shop"])
			assert.Equal(t, change{InstanceID: instanceID, Database: "sales", Action: actionCreate, Result: resultPlanned}, *changes[instanceID+"/sales"])
			assert.Equal(t, resultPlanned, changes[otherInstanceID+"/ventes été"].Result)
			assert.Contains(t, r.stderr, "Plan (dry run: nothing will be changed) for 2 instances: 2 to create, 1 to delete, 1 unchanged.")
		} else {
			assert.Contains(t, r.stdout, "Plan (dry run: nothing will be changed) for 2 instances: 2 to create, 1 to delete, 1 unchanged.")
			assert.Regexp(t, `(?m)^  delete\s+old\s+on `+instanceID+`$`, r.stdout)
			assert.NotContains(t, r.stdout, "Summary")
		}
	}
}

func TestApplyBadFiles(t *testing.T) {
	t.Parallel()
	entry := func(inst, db string) string {
		return "replications:\n  - instance_id: " + inst + "\n    source_instance_id: " + sourceInstanceID + "\n    databases: [" + db + "]\n"
	}
	tests := []struct {
		name, file string
		want       []string // in stderr
	}{
		{"unknown key", entry(instanceID, "shop") + "    tables: [t1]\n", []string{`line 5: unknown key "tables"`}},
		{"unknown top-level key", "replication:\n  - instance_id: x\n", []string{`unknown key "replication"`}},
		{"unknown key, JSON", `{"replications": [{"instance_id": "` + instanceID + `", "source_instance_id": "` + sourceInstanceID + `", "databases": [], "wait": true}]}`, []string{`JSON: line 1: unknown key "wait"`}},
		{"bad instance ID", entry("../etc", "shop"), []string{`replications[0].instance_id (line 2): "../etc" must start with a letter or digit`}},
		{"bad source node ID", strings.Replace(entry(instanceID, "shop"), "    databases", "    source_node_id: node 1\n    databases", 1), []string{`replications[0].source_node_id (line 4): "node 1" may hold only`}},
		{"bad database name", entry(instanceID, `shop, "a.b", "x/y"`), []string{`replications[0].databases[1] (line 4): "a.b" must not contain`, `replications[0].databases[2] (line 4): "x/y"`}},
		{"database named twice", entry(instanceID, "shop, shop"), []string{`replications[0].databases[1] (line 4): "shop" is named twice for instance ` + instanceID + ` (first at replications[0].databases[0])`}},
		{"missing databases", "replications:\n  - instance_id: " + instanceID + "\n    source_instance_id: " + sourceInstanceID + "\n", []string{"replications[0].databases (line 2): missing"}},
		{"missing source instance", "replications:\n  - instance_id: " + instanceID + "\n    databases: [shop]\n", []string{"replications[0].source_instance_id (line 2): must not be empty"}},
		{"no replications key", "# nothing\n{}\n", []string{"replications: missing"}},
		{"not YAML", "replications: [shop\n", []string{"YAML: line"}},
		{"plain text", "hello world\n", []string{"YAML: line 1: cannot unmarshal !!str `hello w...` where a mapping with the key replications belongs"}},
		{"not JSON", `{"replications": [`, []string{"JSON: offset 18 (line 1, column 19): the file ends in the middle of a value"}},
		{"bad JSON", `{"replications": [}`, []string{"JSON: offset 18 (line 1, column 19): invalid character '}' looking for beginning of value"}},
		{"wrong type", "replications:\n  - instance_id: [a, b]\n", []string{"line 2: cannot unmarshal !!seq where a string belongs"}},
		{"two documents", entry(instanceID, "shop") + "---\n" + entry(instanceID, "sales"), []string{"more than one document"}},
		{"empty", "\n\n", []string{"the file is empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newFake(t)
			for _, viaStdin := range []bool{false, true} {
				args := []string{"apply", "-f", "-", "--prune"}
				stdin := tt.file
				if !viaStdin {
					args[2], stdin = writeTemp(t, "r.yaml", tt.file), ""
				}
				r := runApply(t, t.Context(), tokenEnv(s), stdin, append(args, "--output", "json")...)
				assert.Equal(t, exitUsage, r.code, r.stderr)
				// No changes for a file that was never applied: the failure's document.
				body, _ := decodeOne(t, r.stdout)["error"].(map[string]any)
				assert.Equal(t, kindInvalidFile, body["kind"])
				assert.Contains(t, r.stderr, "is not a valid apply file; nothing was sent:")
				for _, w := range tt.want {
					assert.Contains(t, r.stderr, w)
				}
			}
			assert.Zero(t, s.RequestCount(""), "the fake saw no request")
		})
	}
}

func TestApplyUsageErrors(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	ok := writeTemp(t, "r.yaml", twoInstances)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"apply"}, "missing -f FILE"},
		{[]string{"apply", "-f", filepath.Join(t.TempDir(), "missing.yaml")}, "no such file or directory"},
		{[]string{"apply", "-f", ok, "--confirm-wait", "-1s"}, "--confirm-wait must not be negative"},
		{[]string{"apply", "-f", ok, "--poll-interval", "0s"}, "--poll-interval must be positive"},
		{[]string{"apply", "-f", ok, "--output", "yaml"}, `--output "yaml" is not one of text, json`},
		{[]string{"apply", "-f", ok, "extra"}, "unexpected argument"},
	} {
		r := runCLI(t, tokenEnv(s), tc.args...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", tc.args, r.stderr)
		assert.Contains(t, r.stderr, tc.want)
	}
	// Nothing is read before the environment is: no credentials, exit 2.
	r := runCLI(t, with(tokenEnv(s), "HUAWEICLOUD_AUTH_TOKEN", ""), "apply", "-f", ok)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "no credentials")
	assert.Zero(t, s.RequestCount(""))
}

func TestApplyLargeFileIsRefused(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	big := strings.Repeat("#", maxApplyFileBytes+1)
	r := runApply(t, t.Context(), tokenEnv(s), big, "apply", "-f", "-")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "larger than 4 MiB")
	assert.Zero(t, s.RequestCount(""))
}

func TestApplyJobFailed(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	s.FailNextJob("binlog is disabled on the source")
	r := runApply(t, t.Context(), tokenEnv(s), strings.Replace(twoInstances, "[shop, sales]", "[shop]", 1),
		"apply", "-f", "-", "--output", "json", "--poll-interval", testPoll)
	assert.Equal(t, exitJobFailed, r.code, r.stderr)
	var failed *change
	for _, ch := range decodeApply(t, r.stdout).Changes {
		if ch.Result == resultFailed {
			require.Nil(t, failed, "one job failed")
			failed = ch
		} else {
			assert.Equal(t, resultDone, ch.Result)
		}
	}
	require.NotNil(t, failed)
	assert.NotEmpty(t, failed.JobID)
	assert.Equal(t, "job "+failed.JobID+" failed: binlog is disabled on the source", failed.Error)
	assert.Contains(t, r.stderr, "1 job ended Failed")
}

func TestApplyAPIErrorExits1(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	// The service refuses the create of shop (and only it): nothing to try
	// again, the others go on.
	s.InjectFault(fake.Fault{Operation: "CreateClickHouseDataBaseReplication", Status: http.StatusBadRequest,
		Body: []byte(`{"error_code":"DBS.200001","error_msg":"Parameter error."}`)})
	r := runApply(t, t.Context(), tokenEnv(s), strings.Replace(twoInstances, "[shop, sales]", "[shop]", 1),
		"apply", "-f", "-", "--poll-interval", testPoll)
	assert.Equal(t, exitAPI, r.code)
	assert.Regexp(t, `(?m)^  failed: create .+ on \S+: .*400 Bad Request: DBS.200001: Parameter error\.`, r.stdout)
	assert.Contains(t, r.stderr, "chreplication apply: 1 change failed: the service does not match the file")
	assert.Len(t, append(s.Replications(instanceID), s.Replications(otherInstanceID)...), 1, "the other create went on")
	assert.Equal(t, 2, s.RequestCount("CreateClickHouseDataBaseReplication"), "a refusal is not tried again")
}

func TestApplyListErrorExits1(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	s.InjectFault(fake.Fault{Operation: "ListClickHouseDataBaseReplication", Status: http.StatusForbidden, Times: -1,
		Body: []byte(`{"error_code":"APIGW.0302","error_msg":"forbidden"}`)})
	r := runApply(t, t.Context(), tokenEnv(s), twoInstances, "apply", "-f", "-", "--output", "json")
	assert.Equal(t, exitAPI, r.code)
	for _, ch := range decodeApply(t, r.stdout).Changes {
		assert.Equal(t, resultFailed, ch.Result)
		assert.Equal(t, actionNone, ch.Action, "nothing was done")
		assert.Contains(t, ch.Error, "listing the replications of the instance")
		assert.Contains(t, ch.Error, "403")
	}
	assert.Zero(t, s.RequestCount("CreateClickHouseDataBaseReplication"))
}

// TestApplyInterrupted cancels the context, as Ctrl-C does, while apply
// waits for jobs that do not end: it exits 130 after listing them.
func TestApplyInterrupted(t *testing.T) {
	t.Parallel()
	s := newFake(t, fake.WithJobMode(fake.JobsManual))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan result, 1)
	go func() {
		done <- runApply(t, ctx, tokenEnv(s), twoInstances, "apply", "-f", "-", "--output", "json", "--poll-interval", testPoll)
	}()
	// Both instances have a job running and are being waited on.
	require.True(t, waitUntil(t, 10*time.Second, func() bool {
		return s.RequestCount("CreateClickHouseDataBaseReplication") == 2 && s.RequestCount("ShowGaussMySqlJobInfo") >= 2
	}))
	cancel()
	var r result
	select {
	case r = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("apply did not stop when interrupted")
	}
	assert.Equal(t, exitInterrupted, r.code, r.stderr)
	doc := decodeApply(t, r.stdout)
	assert.Contains(t, r.stderr, "chreplication apply: still running on the service:")
	running := 0
	for _, ch := range doc.Changes {
		switch {
		case ch.JobID != "":
			running++
			assert.Contains(t, r.stderr, "job "+ch.JobID+": create ")
			assert.Contains(t, r.stderr, "chreplication wait --job-id "+ch.JobID)
			assert.Equal(t, resultRunning, ch.Result, "a job still running on the service is reported running")
		default:
			assert.Equal(t, resultPlanned, ch.Result, "not started")
			assert.Equal(t, "not started: interrupted", ch.Error)
		}
	}
	assert.Equal(t, 2, running)
	assert.Contains(t, r.stderr, "chreplication apply: interrupted")
	require.NotNil(t, doc.Error, "a top-level error, as every failed command's document has")
	assert.Equal(t, kindInterrupted, doc.Error.Kind)
	assert.Equal(t, exitInterrupted, doc.Error.ExitCode)
}

// TestWaitInterrupted: create --wait, delete --wait and wait exit 130 on
// Ctrl-C after naming the job that still runs.
func TestWaitInterrupted(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args func(t *testing.T, s *fake.Server) []string
	}{
		{"create --wait", func(*testing.T, *fake.Server) []string {
			return []string{"create", "--instance-id", instanceID, "--source-instance-id", sourceInstanceID, "--source-database", "shop", "--wait"}
		}},
		{"delete --wait", func(t *testing.T, s *fake.Server) []string {
			require.NoError(t, s.AddReplication(instanceID, "shop"))
			return []string{"delete", "--instance-id", instanceID, "--database", "shop", "--wait"}
		}},
		{"wait", func(t *testing.T, s *fake.Server) []string {
			return []string{"wait", "--job-id", createJob(t, tokenEnv(s), "shop")}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newFake(t, fake.WithJobMode(fake.JobsManual))
			args := append(tc.args(t, s), "--poll-interval", testPoll, "--output", "json")
			polls := s.RequestCount("ShowGaussMySqlJobInfo")
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			done := make(chan result, 1)
			go func() { done <- runApply(t, ctx, tokenEnv(s), "", args...) }()
			// A second look is sent only once the first one's answer came:
			// the wait has then seen the job (Pending), which it must name.
			require.True(t, waitUntil(t, 10*time.Second, func() bool { return s.RequestCount("ShowGaussMySqlJobInfo") > polls+1 }))
			cancel()
			var r result
			select {
			case r = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("the wait did not stop when interrupted")
			}
			assert.Equal(t, exitInterrupted, r.code, r.stderr)
			assert.Regexp(t, `interrupted: job \S+ is still running on the service \(last seen job \S+ Pending\); follow it with: chreplication wait --job-id \S+`, r.stderr)
			assert.Contains(t, r.stderr, "interrupted\n")
		})
	}
}

func TestInterruptedExitCode(t *testing.T) {
	t.Parallel()
	assert.Equal(t, exitInterrupted, exitCode(fmt.Errorf("waiting: %w", context.Canceled)))
	assert.Equal(t, exitAPI, exitCode(fmt.Errorf("waiting: %w", context.DeadlineExceeded)))
	var b strings.Builder
	assert.Equal(t, exitInterrupted, report(&b, "wait", fmt.Errorf("x: %w", context.Canceled)))
	assert.Equal(t, "chreplication wait: interrupted\n", b.String())
}

// TestEventsGoToStderr: with --verbose the client's waits (a busy
// instance, a job not visible yet) are one line each on stderr; stdout
// stays one document.
func TestEventsGoToStderr(t *testing.T) {
	t.Parallel()
	s := newFake(t, fake.WithJobVisibilityDelay(100*time.Millisecond))
	s.InjectFault(fake.Fault{Operation: "CreateClickHouseDataBaseReplication", Status: http.StatusConflict,
		Body: []byte(`{"error_code":"DBS.200019","error_msg":"Another operation is being performed on the DB instance."}`)})
	r := runCLI(t, tokenEnv(s), "create", "--instance-id", instanceID, "--source-instance-id", sourceInstanceID,
		"--source-database", "shop", "--wait", "--poll-interval", testPoll, "--output", "json", "--verbose")
	require.Equal(t, exitOK, r.code, r.stderr)
	decodeOne(t, r.stdout)
	assert.Regexp(t, `(?m)^chreplication: the instance is busy with another operation; sending CreateClickHouseDataBaseReplication again in \S+ \(attempt 2\): HTTP 409 DBS.200019: Another operation is being performed on the DB instance\.( \(request ID \S+\))?$`, r.stderr)
	assert.Regexp(t, `(?m)^chreplication: job \S+ is not visible yet; looking again in \S+ \(\S+ since the wait began\): HTTP 400 DBS.200543: .+$`, r.stderr)
	assert.NotContains(t, r.stdout, "busy")
	assert.Equal(t, 2, s.RequestCount("CreateClickHouseDataBaseReplication"))
}

func TestDescribeEvent(t *testing.T) {
	t.Parallel()
	line := describeEvent(chreplication.Event{Kind: chreplication.EventInstanceBusy, Operation: "DeleteClickHouseDataBaseReplication",
		Attempt: 1, Delay: 1500 * time.Millisecond, Err: &chreplication.APIError{StatusCode: 409, Code: "DBS.200019", Message: "busy\x1b[2J"}})
	assert.Equal(t, `chreplication: the instance is busy with another operation; sending DeleteClickHouseDataBaseReplication again in 1.5s (attempt 2): HTTP 409 DBS.200019: busy\x1b[2J`, line)
	assert.Equal(t, "chreplication: EventKind(99): waiting 1s before trying op again",
		describeEvent(chreplication.Event{Kind: chreplication.EventKind(99), Operation: "op", Delay: time.Second}))
}

// TestInsecureHTTP: a plain http endpoint on a host that is not loopback
// is refused (exit 2, nothing sent, not even to IAM) unless --insecure-http.
func TestInsecureHTTP(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	env := map[string]string{
		envEndpoint:                    "http://gaussdb.example.com:8080",
		"HUAWEICLOUD_SDK_PROJECT_ID":   s.ProjectID(),
		"HUAWEICLOUD_IAM_USER":         iamUser,
		"HUAWEICLOUD_IAM_PASSWORD":     secretPassword,
		"HUAWEICLOUD_IAM_DOMAIN":       iamDomain,
		"HUAWEICLOUD_SDK_IAM_ENDPOINT": s.IAMEndpoint(),
	}
	for _, args := range [][]string{
		{"list", "--instance-id", instanceID},
		{"apply", "-f", writeTemp(t, "r.yaml", twoInstances)},
		{"create", "--instance-id", instanceID, "--source-instance-id", sourceInstanceID, "--source-database", "shop", "--wait"},
	} {
		r := runCLI(t, env, args...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", args, r.stderr)
		assert.Contains(t, r.stderr, "plain http to a host that is not loopback")
		assert.Contains(t, r.stderr, "nothing was sent")
	}
	assert.Zero(t, s.RequestCount(""), "nothing was sent, not even the IAM token request")

	// With the flag the client is built (and would send).
	var a apiFlags
	a.output, a.insecure = outputText, true
	client, err := a.client(func(k string) string { return env[k] }, &eventLines{w: io.Discard})
	require.NoError(t, err)
	assert.Equal(t, "http://gaussdb.example.com:8080/", client.Endpoint())
	assert.Zero(t, s.RequestCount(""))
	// Loopback http needs no flag.
	r := runCLI(t, tokenEnv(s), "list", "--instance-id", instanceID)
	assert.Equal(t, exitOK, r.code, r.stderr)
}

func TestBoard(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	live := &board{w: &b, live: true}
	first := live.add("create a on i: job 1 started")
	second := live.add("create b on j: job 2 started")
	live.set(first, "create a on i: job 1 Running 40%")
	live.set(second, "create b on j: done")
	assert.Equal(t, "create a on i: job 1 started\ncreate b on j: job 2 started\n"+
		"\x1b[2A\r\x1b[2Kcreate a on i: job 1 Running 40%\x1b[2B\r"+
		"\x1b[1A\r\x1b[2Kcreate b on j: done\x1b[1B\r", b.String())
	b.Reset()
	live.add(strings.Repeat("x ", 100))
	assert.Equal(t, strings.Repeat("x ", 39)+"…\n", b.String(), "a live line never wraps")
	b.Reset()
	live.add("create shop on " + instanceID + ": job 2fa4e0d0-8b8c-4f0e-9a3f-0c0c3d2a4b11 Running 40%")
	assert.Equal(t, "create shop on 54e42160…: job 2fa4e0d0… Running 40%\n", b.String(), "IDs cut as the single-job line cuts them")

	b.Reset()
	var notes strings.Builder
	live = &board{w: &b, notes: &notes, live: true}
	first = live.add("create a on i: job 1 started")
	live.note("chreplication: job 1 is not visible yet")
	live.set(first, "create a on i: done")
	assert.Equal(t, "create a on i: job 1 started\n\x1b[2A\r\x1b[2Kcreate a on i: done\x1b[2B\r", b.String(), "the note is one of the lines above")
	assert.Equal(t, "chreplication: job 1 is not visible yet\n", notes.String())

	b.Reset()
	plain := newBoard(&b, &notes)
	i := plain.add("create a on i: job 1 started")
	plain.set(i, "create a on i: done")
	assert.Equal(t, "create a on i: job 1 started\ncreate a on i: done\n", b.String())
}

func TestApplyHelp(t *testing.T) {
	t.Parallel()
	r := runCLI(t, nil, "apply", "--help")
	require.Equal(t, exitOK, r.code)
	for _, want := range []string{"Usage: chreplication apply -f FILE [--prune] [--dry-run]", "  -f, --file FILE", "--prune", "--dry-run", "--confirm-wait", "--insecure-http",
		"source_instance_id: ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07", "chreplication apply -f replications.yaml --dry-run", "130"} {
		assert.Contains(t, r.stdout, want)
	}
	// The example file in the help is a valid file.
	var lines []string
	in := false
	for _, l := range strings.Split(r.stdout, "\n") {
		switch {
		case strings.HasPrefix(l, "File:"):
			in = true
		case in && strings.TrimSpace(l) == "":
			in = false
		case in:
			lines = append(lines, strings.TrimPrefix(l, "  "))
		}
	}
	d, err := parseApplyFile("help", []byte(strings.Join(lines, "\n")))
	require.NoError(t, err)
	require.Len(t, d.Targets, 1)
	assert.Len(t, d.Targets[0].Replications, 2)
}

// TestReadmeApplyExample keeps the README's apply file valid.
func TestReadmeApplyExample(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(readme), "### apply: make the service match a file")
	require.True(t, ok, "the README has the apply section")
	_, block, ok := strings.Cut(section, "```yaml\n")
	require.True(t, ok)
	block, _, ok = strings.Cut(block, "```")
	require.True(t, ok)
	d, err := parseApplyFile("README.md", []byte(block))
	require.NoError(t, err)
	require.Len(t, d.Targets, 2)
	assert.Len(t, d.Targets[0].Replications, 2)
	assert.Equal(t, "ventes été", d.Targets[1].Replications[0].SourceDatabase)
}

// TestApplyOneOperationPerInstance: apply never sends a write to an
// instance while its job runs (the fake would refuse it with 409), and the
// instances proceed in parallel.
func TestApplyOneOperationPerInstance(t *testing.T) {
	t.Parallel()
	s := newFake(t, fake.WithOneOperationPerInstance())
	file := strings.Replace(twoInstances, "      - ventes été\n", "      - ventes été\n      - ventes 2\n", 1)
	r := runApply(t, t.Context(), tokenEnv(s), file, "apply", "-f", "-", "--poll-interval", testPoll)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.NotContains(t, r.stderr, "busy")
	var order []string // instance of each create, in the order the fake saw them
	for _, req := range s.Requests() {
		if req.Operation != "CreateClickHouseDataBaseReplication" {
			continue
		}
		assert.Equal(t, http.StatusOK, req.Status, "no create was refused as busy")
		order = append(order, strings.Split(req.Path, "/")[4])
	}
	require.Len(t, order, 4)
	assert.ElementsMatch(t, []string{instanceID, otherInstanceID}, order[:2], "both instances start before either starts its second")
}

// TestApplyPerEntryPlace: an entry of the file in another project on
// another endpoint goes there, through a client of its own; the JSON
// document names its place.
func TestApplyPerEntryPlace(t *testing.T) {
	t.Parallel()
	home := newFake(t)
	away := newFake(t, fake.WithProjectID("0123456789abcdef0123456789abcdef"))
	file := twoInstances + `  - instance_id: ` + instanceID + `
    source_instance_id: ` + sourceInstanceID + `
    databases: [far]
    project_id: 0123456789abcdef0123456789abcdef
    endpoint: ` + away.URL() + `
`
	r := runApply(t, t.Context(), tokenEnv(home), file, "apply", "-f", "-", "--output", "json", "--poll-interval", testPoll)
	require.Equal(t, exitOK, r.code, r.stderr)
	doc := decodeApply(t, r.stdout)
	require.Len(t, doc.Changes, 4)
	far := doc.Changes[3]
	assert.Equal(t, change{InstanceID: instanceID, Database: "far", ProjectID: away.ProjectID(), Endpoint: away.URL(), Action: actionCreate, JobID: far.JobID, Result: resultDone}, *far)
	for _, ch := range doc.Changes[:3] {
		assert.Empty(t, ch.ProjectID+ch.Endpoint, "the flags' place is not repeated")
		assert.Equal(t, resultDone, ch.Result)
	}
	assert.Equal(t, []string{"shop", "sales"}, databasesOf(home, instanceID))
	assert.Equal(t, []string{"far"}, databasesOf(away, instanceID))
	assert.Equal(t, 1, away.RequestCount("CreateClickHouseDataBaseReplication"))
}

// TestApplyTimedOut: jobs that do not end before --timeout are reported
// running (or the change not started), and apply exits 1: the service does
// not match the file yet.
func TestApplyTimedOut(t *testing.T) {
	t.Parallel()
	s := newFake(t, fake.WithJobMode(fake.JobsManual))
	r := runApply(t, t.Context(), tokenEnv(s), twoInstances, "apply", "-f", "-", "--output", "json", "--poll-interval", testPoll, "--timeout", "2s")
	assert.Equal(t, exitAPI, r.code, r.stderr)
	running, failed := 0, 0
	for _, ch := range decodeApply(t, r.stdout).Changes {
		switch ch.Result {
		case resultRunning:
			running++
			assert.NotEmpty(t, ch.JobID)
			assert.Contains(t, r.stderr, "chreplication wait --job-id "+ch.JobID)
		case resultPlanned:
			assert.Equal(t, "not started: timed out (--timeout)", ch.Error)
		default:
			failed++
			assert.Equal(t, resultFailed, ch.Result, "a create cut by the deadline")
		}
	}
	if running > 0 {
		assert.Contains(t, r.stderr, "chreplication apply: still running on the service:")
	}
	if running > 0 && failed == 0 {
		assert.Contains(t, r.stderr, "did not finish before --timeout")
	}
}

// TestApplySourceConflict: a task of a database the file names that
// replicates from another source is a conflict: apply never says the
// service matches the file, changes nothing for it, names both sources and
// exits 1; --output json says "conflict" for that change.
func TestApplySourceConflict(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	const legacySource = "77aa4096cb824a61b93dab5ca00ecc8fin07"
	require.NoError(t, s.AddReplicationFrom(instanceID, "shop", legacySource, ""))
	env := tokenEnv(s)
	file := writeTemp(t, "replications.yaml", twoInstances)

	r := runCLI(t, env, "apply", "-f", file, "--dry-run")
	assert.Equal(t, exitAPI, r.code, "the plan cannot make the service match the file")
	assert.Contains(t, r.stdout, "1 conflict")
	assert.Regexp(t, `(?m)^  conflict\s+shop\s+on `+instanceID+`\s+\(replicated from instance `+legacySource+`, not instance `+sourceInstanceID+`; left alone\)$`, r.stdout)
	assert.NotContains(t, r.stdout, "Nothing to change")

	s.ResetRequests()
	r = runCLI(t, env, "apply", "-f", file, "--output", "json", "--poll-interval", testPoll)
	assert.Equal(t, exitAPI, r.code, r.stderr)
	changes := byDatabase(decodeApply(t, r.stdout))
	shop := changes[instanceID+"/shop"]
	assert.Equal(t, actionNone, shop.Action)
	assert.Equal(t, resultConflict, shop.Result)
	assert.Contains(t, shop.Error, legacySource)
	assert.Contains(t, shop.Error, sourceInstanceID)
	assert.Equal(t, resultDone, changes[instanceID+"/sales"].Result, "the other changes are made")
	assert.Nil(t, writesByDatabase(t, s)[instanceID+"/shop"], "nothing sent for the conflict")
	assert.Contains(t, r.stderr, "1 task replicates from another source than the file's")

	r = runCLI(t, env, "apply", "-f", file, "--poll-interval", testPoll)
	assert.Equal(t, exitAPI, r.code)
	assert.Contains(t, r.stdout, "conflict: shop on "+instanceID)
	assert.NotContains(t, r.stdout, "Nothing to change")
}

// TestApplyRerunFollowsATaskStillBeingCreated reproduces a rerun after an
// interrupted apply: the create job is still running (and will fail).
// apply does not call the task unchanged: it follows it and reports it
// abnormal once the job failed, exit 3; when --timeout comes first, it
// reports it running, exit 1, never 0.
func TestApplyRerunFollowsATaskStillBeingCreated(t *testing.T) {
	t.Parallel()
	s := newFake(t, fake.WithJobMode(fake.JobsManual))
	c, err := chreplication.NewClient(s.URL(), chreplication.WithProjectID(s.ProjectID()), chreplication.WithAuth(auth.StaticToken(secretToken)))
	require.NoError(t, err)
	s.FailNextJob("source binlog is disabled")
	_, err = c.CreateReplication(t.Context(), instanceID, chreplication.CreateReplicationRequest{SourceInstanceID: sourceInstanceID, SourceDatabase: "shop"})
	require.NoError(t, err)
	env := tokenEnv(s)
	one := "replications:\n  - instance_id: " + instanceID + "\n    source_instance_id: " + sourceInstanceID + "\n    databases: [shop]\n"

	r := runApply(t, t.Context(), env, one, "apply", "-f", "-", "--output", "json", "--timeout", "300ms", "--poll-interval", testPoll)
	assert.Equal(t, exitAPI, r.code, r.stderr)
	shop := decodeApply(t, r.stdout).Changes[0]
	assert.Equal(t, resultRunning, shop.Result)
	assert.Contains(t, shop.Error, "still being created")
	assert.Contains(t, r.stderr, "task being created: shop on "+instanceID, "listed as still running")

	done := make(chan result, 1)
	lists := s.RequestCount("ListClickHouseDataBaseReplication")
	go func() {
		done <- runApply(t, t.Context(), env, one, "apply", "-f", "-", "--poll-interval", testPoll)
	}()
	deadline := time.Now().Add(time.Minute)
	for s.RequestCount("ListClickHouseDataBaseReplication") < lists+3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case r := <-done:
		t.Fatalf("apply ended while the create job runs: %d\n%s", r.code, r.stdout)
	default:
	}
	s.FinishJobs()
	r = <-done
	assert.Equal(t, exitJobFailed, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, "1 still being created")
	assert.Contains(t, r.stdout, "abnormal")
	assert.NotContains(t, r.stdout, "Nothing to change")
}

// TestApplyEntryEndpointPlainHTTP: an entry's plain http endpoint to a
// host that is not loopback is refused as the file's, not as --endpoint.
func TestApplyEntryEndpointPlainHTTP(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	file := "replications:\n  - instance_id: " + instanceID + "\n    source_instance_id: " + sourceInstanceID +
		"\n    databases: [shop]\n    endpoint: http://example.com\n"
	r := runApply(t, t.Context(), tokenEnv(s), file, "apply", "-f", "-")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, `the file's endpoint "http://example.com" (an entry's endpoint key)`)
	assert.Contains(t, r.stderr, "--insecure-http")
	assert.NotContains(t, r.stderr, "invalid --endpoint")
	assert.Zero(t, s.RequestCount(""), "nothing was sent")
}

// TestInterruptedWhileBusy: Ctrl-C while the client rides out a busy
// instance (409) is an interruption, not an API error, and nothing was
// started: the output says so, not "may have reached the service".
func TestInterruptedWhileBusy(t *testing.T) {
	t.Parallel()
	s := newFake(t, fake.WithJobMode(fake.JobsManual), fake.WithOneOperationPerInstance())
	env := tokenEnv(s)
	r := runCLI(t, env, "create", "--instance-id", instanceID, "--source-instance-id", sourceInstanceID, "--source-database", "shop")
	require.Equal(t, exitOK, r.code, r.stderr)
	for _, output := range []string{"json", "text"} {
		ctx, cancel := context.WithCancel(t.Context())
		var stdout, stderr syncBuffer
		done := make(chan int, 1)
		go func() {
			done <- run(ctx, []string{"create", "--instance-id", instanceID, "--source-instance-id", sourceInstanceID, "--source-database", "sales", "--output", output},
				func(k string) string { return env[k] }, strings.NewReader(""), &stdout, &stderr)
		}()
		// The event line comes before the client waits to send again.
		require.True(t, waitUntil(t, 10*time.Second, func() bool { return strings.Contains(stderr.String(), "the instance is busy") }), stderr.String())
		cancel()
		code := <-done
		assert.Equal(t, exitInterrupted, code, stderr.String())
		assert.NotContains(t, stderr.String(), "may have reached")
		assert.Contains(t, stderr.String(), "nothing was started on the service")
		if output == "json" {
			var doc errorDoc
			require.NoError(t, json.Unmarshal([]byte(stdout.String()), &doc), stdout.String())
			assert.Equal(t, kindInterrupted, doc.Error.Kind)
			assert.Equal(t, http.StatusConflict, doc.Error.Status, "the last answer is kept")
			assert.Contains(t, doc.Error.Message, "nothing was started on the service")
		} else {
			assert.Contains(t, stderr.String(), "chreplication create: interrupted; the last answer was HTTP 409")
			assert.NotContains(t, stderr.String(), "API error")
		}
	}
	assert.Equal(t, []string{"shop"}, databasesOf(s, instanceID))
}

// TestApplyUnderAStatedPolicy: a gateway that allows 4 requests in any 4 s
// and counts the refused ones, saying its policy in the 429. apply (no
// --rate-limit) takes the policy as its budget, converges with every
// database created once, says while it waits that it is throttled and when
// the next request goes, and reports the jobs' own times.
func TestApplyUnderAStatedPolicy(t *testing.T) {
	t.Parallel()
	s := newFake(t, fake.WithGateway(fake.Gateway{Kind: fake.GatewaySlidingWindow, Limit: 4, Window: 4 * time.Second, CountRefused: true}))
	r := runCLI(t, tokenEnv(s), "apply", "-f", writeTemp(t, "r.yaml", twoInstances), "--poll-interval", testPoll, "--timeout", "2m")
	require.Equal(t, exitOK, r.code, r.stdout+r.stderr)
	assert.Equal(t, []string{"shop", "sales"}, databasesOf(s, instanceID))
	assert.Equal(t, []string{"ventes été"}, databasesOf(s, otherInstanceID))
	writes := writesByDatabase(t, s)
	for _, k := range []string{instanceID + "/shop", instanceID + "/sales", otherInstanceID + "/ventes été"} {
		assert.Equal(t, 1, accepted(writes[k].statuses), "%s created once", k)
	}
	assert.Positive(t, s.ThrottledCount(), "the gateway throttled (and so stated its policy)")
	assert.Regexp(t, `(?m)^chreplication: waiting: throttled: the next request \(\S+\) goes at \d\d:\d\d:\d\d, in \d+s, within the gateway's limit$`, r.stderr)
	assert.NotContains(t, r.stdout+r.stderr, "may have reached")
	assert.Contains(t, r.stdout, "Summary: 3 created")
}
