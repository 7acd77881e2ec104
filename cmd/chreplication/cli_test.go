package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/fake"
)

// TestJSONOutput checks the one JSON document of every command.
func TestJSONOutput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(t *testing.T, s *fake.Server, env map[string]string) []string // returns the args
		check func(t *testing.T, s *fake.Server, doc map[string]any)
	}{
		{
			name: "create",
			setup: func(*testing.T, *fake.Server, map[string]string) []string {
				return []string{"create", "--instance-id", instanceID, "--source-instance-id", sourceInstanceID, "--source-database", "shop"}
			},
			check: func(t *testing.T, _ *fake.Server, doc map[string]any) {
				assert.Len(t, doc, 1)
				assert.NotEmpty(t, doc["job_id"])
			},
		},
		{
			name: "create --wait",
			setup: func(*testing.T, *fake.Server, map[string]string) []string {
				return []string{"create", "--instance-id", instanceID, "--source-instance-id", sourceInstanceID,
					"--source-database", "shop", "--source-node-id", "node01", "--wait", "--poll-interval", testPoll}
			},
			check: func(t *testing.T, _ *fake.Server, doc map[string]any) {
				assert.Len(t, doc, 2)
				require.NotEmpty(t, doc["job_id"])
				job, ok := doc["job"].(map[string]any)
				require.True(t, ok, "job: %v", doc["job"])
				assert.Equal(t, doc["job_id"], job["id"])
				assert.Equal(t, "Completed", job["status"])
				assert.NotContains(t, job, "process", "the service sets process only while a job runs")
			},
		},
		{
			name: "delete",
			setup: func(t *testing.T, s *fake.Server, _ map[string]string) []string {
				require.NoError(t, s.AddReplication(instanceID, "shop"))
				return []string{"delete", "--instance-id", instanceID, "--database", "shop"}
			},
			check: func(t *testing.T, _ *fake.Server, doc map[string]any) {
				assert.Len(t, doc, 1)
				assert.NotEmpty(t, doc["job_id"])
			},
		},
		{
			name: "delete --wait, a name with a space and non-ASCII letters",
			setup: func(t *testing.T, s *fake.Server, _ map[string]string) []string {
				require.NoError(t, s.AddReplication(instanceID, "ventes été"))
				return []string{"delete", "--instance-id", instanceID, "--database", "ventes été", "--wait", "--poll-interval", testPoll}
			},
			check: func(t *testing.T, s *fake.Server, doc map[string]any) {
				job, ok := doc["job"].(map[string]any)
				require.True(t, ok)
				assert.Equal(t, "Completed", job["status"])
				assert.Empty(t, s.Replications(instanceID))
			},
		},
		{
			name: "job",
			setup: func(t *testing.T, _ *fake.Server, env map[string]string) []string {
				return []string{"job", "--job-id", createJob(t, env, "shop")}
			},
			check: func(t *testing.T, _ *fake.Server, doc map[string]any) {
				assert.NotEmpty(t, doc["id"])
				assert.Contains(t, []any{"Pending", "Running", "Completed"}, doc["status"])
				assert.NotEmpty(t, doc["created"])
				inst, ok := doc["instance"].(map[string]any)
				require.True(t, ok)
				assert.Equal(t, instanceID, inst["id"])
			},
		},
		{
			name: "wait",
			setup: func(t *testing.T, _ *fake.Server, env map[string]string) []string {
				return []string{"wait", "--job-id", createJob(t, env, "shop"), "--poll-interval", testPoll}
			},
			check: func(t *testing.T, _ *fake.Server, doc map[string]any) {
				assert.Equal(t, "Completed", doc["status"])
				assert.NotEmpty(t, doc["ended"])
				assert.NotContains(t, doc, "fail_reason")
			},
		},
		{
			name: "list",
			setup: func(t *testing.T, s *fake.Server, _ map[string]string) []string {
				s.AddReplications(instanceID, 3)
				return []string{"list", "--instance-id", instanceID, "--limit", "2", "--offset", "0"}
			},
			check: func(t *testing.T, _ *fake.Server, doc map[string]any) {
				assert.Len(t, doc, 2)
				assert.EqualValues(t, 3, doc["total_count"])
				reps, ok := doc["replications"].([]any)
				require.True(t, ok)
				require.Len(t, reps, 2)
				r := reps[0].(map[string]any)
				for _, k := range []string{"source_database", "target_database", "status", "stage", "catchup_stage", "percentage"} {
					assert.Contains(t, r, k)
				}
				assert.Equal(t, "db_000001", r["source_database"])
			},
		},
		{
			name: "list --all",
			setup: func(_ *testing.T, s *fake.Server, _ map[string]string) []string {
				s.AddReplications(instanceID, 230) // three pages of 100
				return []string{"list", "--instance-id", instanceID, "--all"}
			},
			check: func(t *testing.T, s *fake.Server, doc map[string]any) {
				assert.EqualValues(t, 230, doc["total_count"])
				assert.Len(t, doc["replications"], 230)
				assert.Equal(t, 3, s.RequestCount("ListClickHouseDataBaseReplication"))
			},
		},
		{
			name: "list of nothing is an empty array, not null",
			setup: func(*testing.T, *fake.Server, map[string]string) []string {
				return []string{"list", "--instance-id", instanceID}
			},
			check: func(t *testing.T, _ *fake.Server, doc map[string]any) {
				assert.EqualValues(t, 0, doc["total_count"])
				assert.Equal(t, []any{}, doc["replications"])
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newFake(t)
			env := tokenEnv(s)
			args := append(tt.setup(t, s, env), "--output", "json")
			r := runCLI(t, env, args...)
			require.Equal(t, exitOK, r.code, "stderr: %s", r.stderr)
			tt.check(t, s, decodeOne(t, r.stdout))
		})
	}
}

// TestTextOutput checks that the text output of each command is there and
// readable; its exact form is for people and may change.
func TestTextOutput(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	env := tokenEnv(s)
	r := runCLI(t, env, "create", "--instance-id", instanceID, "--source-instance-id", sourceInstanceID,
		"--source-database", "shop", "--wait", "--poll-interval", testPoll)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `(?m)^Started job \S+: create the replication of database "shop" into instance `+instanceID, r.stdout)
	// Not a terminal: one progress line per change, ending Completed.
	assert.Regexp(t, `(?m)^job \S+ Pending$`, r.stdout)
	assert.Regexp(t, `(?m)^job \S+ Completed 100%$`, r.stdout)
	assert.NotContains(t, r.stdout, "\r")
	assert.Regexp(t, `(?m)^Job \S+ Completed in `, r.stdout)

	r = runCLI(t, env, "list", "--instance-id", instanceID)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `(?m)^SOURCE DATABASE\s+TARGET DATABASE\s+STATUS\s+STAGE\s+CATCHUP\s+PROGRESS$`, r.stdout)
	assert.Regexp(t, `(?m)^shop\s+shop\s+normal\s+`, r.stdout)

	jobID := createJob(t, env, "orders")
	r = runCLI(t, env, "job", "--job-id", jobID)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `(?m)^Job\s+`+jobID+`$`, r.stdout)
	assert.Regexp(t, `(?m)^Status\s+(Pending|Running|Completed)$`, r.stdout)
	assert.Regexp(t, `(?m)^Instance\s+`+instanceID, r.stdout)

	r = runCLI(t, env, "delete", "--instance-id", instanceID, "--database", "shop")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Follow it with: chreplication wait --job-id ")
}

// TestExitCodes checks every exit code of the contract, and that the
// messages name what a person needs.
func TestExitCodes(t *testing.T) {
	t.Parallel()
	type check func(t *testing.T, s *fake.Server, r result)
	lastRequestID := func(t *testing.T, s *fake.Server) string {
		reqs := s.Requests()
		require.NotEmpty(t, reqs)
		return reqs[len(reqs)-1].RequestID
	}
	nothingSent := func(t *testing.T, s *fake.Server, _ result) {
		assert.Zero(t, s.RequestCount(""), "a request was sent")
	}
	tests := []struct {
		name  string
		env   func(s *fake.Server) map[string]string // nil: tokenEnv
		setup func(t *testing.T, s *fake.Server)
		args  []string
		code  int
		want  []string // substrings of stderr
		check check
	}{
		{name: "ok", args: []string{"list", "--instance-id", instanceID}, code: exitOK},
		{
			name: "400 from the service",
			args: []string{"delete", "--instance-id", instanceID, "--database", "nosuchdb"},
			code: exitAPI,
			want: []string{"HTTP 400 Bad Request", "error_code " + fake.CodeDatabaseNotFound, "error_msg ", "request ID "},
			check: func(t *testing.T, s *fake.Server, r result) {
				assert.Contains(t, r.stderr, lastRequestID(t, s))
				assert.Empty(t, r.stdout)
			},
		},
		{
			name: "400 for an unknown job",
			args: []string{"job", "--job-id", "2fa4e0d0-8b8c-4f0e-9a3f-0c0c3d2a4b11", "--output", "json"},
			code: exitAPI,
			want: []string{"HTTP 400", fake.CodeJobNotFound},
			check: func(t *testing.T, _ *fake.Server, r result) {
				// The failure's document: the error as the API gave it.
				body, _ := decodeOne(t, r.stdout)["error"].(map[string]any)
				assert.Equal(t, fake.CodeJobNotFound, body["code"])
			},
		},
		{
			name: "500 injected",
			setup: func(_ *testing.T, s *fake.Server) {
				s.InjectFault(fake.Fault{Operation: "ListClickHouseDataBaseReplication", Status: http.StatusInternalServerError,
					Body: []byte(`{"error_code":"DBS.200001","error_msg":"Internal error, try again."}`)})
			},
			args: []string{"list", "--instance-id", instanceID},
			code: exitAPI,
			want: []string{"HTTP 500 Internal Server Error", "error_code DBS.200001", `error_msg "Internal error, try again."`, "request ID ", "try again later"},
			check: func(t *testing.T, s *fake.Server, r result) {
				assert.Contains(t, r.stderr, lastRequestID(t, s))
			},
		},
		{
			name: "401 for a wrong token",
			env: func(s *fake.Server) map[string]string {
				return with(tokenEnv(s), "HUAWEICLOUD_AUTH_TOKEN", "wrong-token")
			},
			args: []string{"list", "--instance-id", instanceID},
			code: exitAPI,
			want: []string{"HTTP 401", fake.CodeAuthFailed, "credentials were refused"},
		},
		{
			name: "IAM password refused",
			env: func(s *fake.Server) map[string]string {
				return with(tokenEnv(s), "HUAWEICLOUD_AUTH_TOKEN", "", "HUAWEICLOUD_IAM_USER", iamUser,
					"HUAWEICLOUD_IAM_PASSWORD", secretPassword+"x", "HUAWEICLOUD_IAM_DOMAIN", iamDomain, "HUAWEICLOUD_SDK_IAM_ENDPOINT", s.IAMEndpoint())
			},
			args: []string{"list", "--instance-id", instanceID},
			code: exitAPI,
			want: []string{"IAM token error: HTTP 401 Unauthorized from POST ", "request ID ", "check HUAWEICLOUD_IAM_USER, HUAWEICLOUD_IAM_PASSWORD"},
			check: func(t *testing.T, _ *fake.Server, r result) {
				assert.NotContains(t, r.stderr, "check --endpoint", "the endpoint is not what was refused")
			},
		},
		{
			name: "IAM endpoint unreachable",
			env: func(s *fake.Server) map[string]string {
				return with(tokenEnv(s), "HUAWEICLOUD_AUTH_TOKEN", "", "HUAWEICLOUD_IAM_USER", iamUser,
					"HUAWEICLOUD_IAM_PASSWORD", secretPassword, "HUAWEICLOUD_IAM_DOMAIN", iamDomain, "HUAWEICLOUD_SDK_IAM_ENDPOINT", "http://127.0.0.1:1")
			},
			args: []string{"list", "--instance-id", instanceID},
			code: exitAPI,
			want: []string{"check HUAWEICLOUD_SDK_IAM_ENDPOINT (or the region) and the network"},
			check: func(t *testing.T, _ *fake.Server, r result) {
				assert.NotContains(t, r.stderr, "check --endpoint")
			},
		},
		{
			name: "network error",
			env:  func(s *fake.Server) map[string]string { return with(tokenEnv(s), envEndpoint, "http://127.0.0.1:1") },
			args: []string{"list", "--instance-id", instanceID},
			code: exitAPI,
			want: []string{"check --endpoint"},
		},
		{
			name:  "missing flags",
			args:  []string{"create", "--instance-id", instanceID},
			code:  exitUsage,
			want:  []string{"missing --source-instance-id, --source-database", "chreplication create --help"},
			check: nothingSent,
		},
		{
			name:  "bad job ID",
			args:  []string{"job", "--job-id", "../../v3/other"},
			code:  exitUsage,
			want:  []string{"invalid --job-id", "nothing was sent"},
			check: nothingSent,
		},
		{
			name:  "bad instance ID",
			args:  []string{"create", "--instance-id", "a/b", "--source-instance-id", sourceInstanceID, "--source-database", "shop", "--wait"},
			code:  exitUsage,
			want:  []string{"invalid --instance-id"},
			check: nothingSent,
		},
		{
			name:  "bad database name",
			args:  []string{"delete", "--instance-id", instanceID, "--database", "a.b"},
			code:  exitUsage,
			want:  []string{"invalid --database"},
			check: nothingSent,
		},
		{
			name:  "bad --output",
			args:  []string{"list", "--instance-id", instanceID, "--output", "yaml"},
			code:  exitUsage,
			want:  []string{`--output "yaml" is not one of text, json`},
			check: nothingSent,
		},
		{
			name:  "bad --language",
			args:  []string{"list", "--instance-id", instanceID, "--language", "fr-fr"},
			code:  exitUsage,
			want:  []string{"invalid --language"},
			check: nothingSent,
		},
		{
			name:  "--all with --limit",
			args:  []string{"list", "--instance-id", instanceID, "--all", "--limit", "5"},
			code:  exitUsage,
			want:  []string{"leave out --limit"},
			check: nothingSent,
		},
		{
			name:  "--limit out of range",
			args:  []string{"list", "--instance-id", instanceID, "--limit", "500"},
			code:  exitUsage,
			want:  []string{"invalid --limit"},
			check: nothingSent,
		},
		{
			name:  "unknown flag",
			args:  []string{"list", "--instance-id", instanceID, "--colour"},
			code:  exitUsage,
			want:  []string{"unknown flag: --colour", "chreplication list --help"},
			check: nothingSent,
		},
		{
			name: "unknown command",
			args: []string{"lsit"},
			code: exitUsage,
			want: []string{`unknown command "lsit"`, "chreplication help"},
		},
		{
			name: "no command",
			args: nil,
			code: exitUsage,
			want: []string{"Commands:", "create", "demo"},
		},
		{
			name:  "positional argument",
			args:  []string{"job", "--job-id", "j1", "extra"},
			code:  exitUsage,
			want:  []string{`unexpected argument "extra"`},
			check: nothingSent,
		},
		{
			name:  "secret as a flag",
			args:  []string{"list", "--instance-id", instanceID, "--token=" + secretToken},
			code:  exitUsage,
			want:  []string{"--token: secrets are never taken as flags", "HUAWEICLOUD_AUTH_TOKEN"},
			check: nothingSent,
		},
		{
			name:  "password as a flag",
			args:  []string{"list", "-password", secretPassword, "--instance-id", instanceID},
			code:  exitUsage,
			want:  []string{"--password: secrets are never taken as flags", "HUAWEICLOUD_IAM_PASSWORD"},
			check: nothingSent,
		},
		{
			name:  "no credentials",
			env:   func(s *fake.Server) map[string]string { return with(tokenEnv(s), "HUAWEICLOUD_AUTH_TOKEN", "") },
			args:  []string{"list", "--instance-id", instanceID},
			code:  exitUsage,
			want:  []string{"no credentials: set HUAWEICLOUD_AUTH_TOKEN"},
			check: nothingSent,
		},
		{
			name: "half an AK/SK pair",
			env: func(s *fake.Server) map[string]string {
				return with(tokenEnv(s), "HUAWEICLOUD_AUTH_TOKEN", "", "HUAWEICLOUD_SDK_SK", secretSK)
			},
			args:  []string{"list", "--instance-id", instanceID},
			code:  exitUsage,
			want:  []string{"HUAWEICLOUD_SDK_AK"},
			check: nothingSent,
		},
		{
			name:  "no project",
			env:   func(s *fake.Server) map[string]string { return with(tokenEnv(s), "HUAWEICLOUD_SDK_PROJECT_ID", "") },
			args:  []string{"list", "--instance-id", instanceID},
			code:  exitUsage,
			want:  []string{"no project: give --project-id"},
			check: nothingSent,
		},
		{
			name:  "no endpoint",
			env:   func(s *fake.Server) map[string]string { return with(tokenEnv(s), envEndpoint, "") },
			args:  []string{"list", "--instance-id", instanceID},
			code:  exitUsage,
			want:  []string{"no endpoint: give --endpoint URL or --region NAME"},
			check: nothingSent,
		},
		{
			name:  "unknown region",
			args:  []string{"list", "--instance-id", instanceID, "--region", "mars-north-1"},
			code:  exitUsage,
			want:  []string{"invalid --region", "mars-north-1", "cn-north-4"},
			check: nothingSent,
		},
		{
			name: "unknown region from the environment",
			env: func(s *fake.Server) map[string]string {
				return with(tokenEnv(s), envEndpoint, "", "HUAWEICLOUD_SDK_REGION", "mars-north-1")
			},
			args: []string{"list", "--instance-id", instanceID},
			code: exitUsage,
			want: []string{"invalid HUAWEICLOUD_SDK_REGION: ", "mars-north-1", "nothing was sent"},
			check: func(t *testing.T, s *fake.Server, r result) {
				nothingSent(t, s, r)
				assert.NotContains(t, r.stderr, "--region")
			},
		},
		{
			name: "bad endpoint from the environment",
			env:  func(s *fake.Server) map[string]string { return with(tokenEnv(s), envEndpoint, "ftp://127.0.0.1") },
			args: []string{"list", "--instance-id", instanceID},
			code: exitUsage,
			want: []string{"invalid HUAWEICLOUD_SDK_ENDPOINT: "},
			check: func(t *testing.T, s *fake.Server, r result) {
				nothingSent(t, s, r)
				assert.NotContains(t, r.stderr, "--endpoint")
			},
		},
		{
			name: "bad project from the environment",
			env:  func(s *fake.Server) map[string]string { return with(tokenEnv(s), "HUAWEICLOUD_SDK_PROJECT_ID", "a b") },
			args: []string{"list", "--instance-id", instanceID},
			code: exitUsage,
			want: []string{"invalid HUAWEICLOUD_SDK_PROJECT_ID: "},
			check: func(t *testing.T, s *fake.Server, r result) {
				nothingSent(t, s, r)
				assert.NotContains(t, r.stderr, "--project-id")
			},
		},
		{
			name:  "bad --project-id",
			args:  []string{"list", "--instance-id", instanceID, "--project-id", "a b"},
			code:  exitUsage,
			want:  []string{"invalid --project-id: "},
			check: nothingSent,
		},
		{
			name:  "both --endpoint and --region",
			args:  []string{"list", "--instance-id", instanceID, "--region", "cn-north-4", "--endpoint", "http://127.0.0.1:1"},
			code:  exitUsage,
			want:  []string{"--endpoint or --region, not both"},
			check: nothingSent,
		},
		{
			name:  "bad --poll-interval",
			args:  []string{"wait", "--job-id", "j1", "--poll-interval", "0s"},
			code:  exitUsage,
			want:  []string{"--poll-interval must be positive"},
			check: nothingSent,
		},
		{
			name:  "bad --timeout",
			args:  []string{"wait", "--job-id", "j1", "--timeout", "soon"},
			code:  exitUsage,
			want:  []string{`invalid --timeout "soon": want a duration`},
			check: nothingSent,
		},
		{
			name: "job failed, create --wait",
			setup: func(_ *testing.T, s *fake.Server) {
				s.FailNextJob("The source database has no primary key on table t1.")
			},
			args: []string{"create", "--instance-id", instanceID, "--source-instance-id", sourceInstanceID, "--source-database", "shop", "--wait", "--poll-interval", testPoll},
			code: exitJobFailed,
			want: []string{"failed: The source database has no primary key on table t1."},
		},
		{
			name:  "job failed, create --wait --output json",
			setup: func(_ *testing.T, s *fake.Server) { s.FailNextJob("disk full") },
			args:  []string{"create", "--instance-id", instanceID, "--source-instance-id", sourceInstanceID, "--source-database", "shop", "--wait", "--poll-interval", testPoll, "--output", "json"},
			code:  exitJobFailed,
			want:  []string{"failed: disk full"},
			check: func(t *testing.T, _ *fake.Server, r result) {
				doc := decodeOne(t, r.stdout)
				job, ok := doc["job"].(map[string]any)
				require.True(t, ok)
				assert.Equal(t, "Failed", job["status"])
				assert.Equal(t, "disk full", job["fail_reason"])
			},
		},
		{
			name: "timeout while waiting",
			setup: func(_ *testing.T, s *fake.Server) {
				s.InjectFault(fake.Fault{Operation: "ListClickHouseDataBaseReplication", Delay: 5 * time.Second})
			},
			args: []string{"list", "--instance-id", instanceID, "--timeout", "100ms"},
			code: exitAPI,
			want: []string{"timed out", "raise --timeout"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newFake(t)
			env := tokenEnv(s)
			if tt.env != nil {
				env = tt.env(s)
			}
			if tt.setup != nil {
				tt.setup(t, s)
			}
			r := runCLI(t, env, tt.args...)
			assert.Equal(t, tt.code, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
			for _, w := range tt.want {
				assert.Contains(t, r.stderr, w)
			}
			if tt.code != exitOK {
				if tt.args != nil { // the bare command prints the whole command list
					assert.LessOrEqual(t, len(messageLines(r.stderr)), 2, "the message should be one or two lines: %q", r.stderr)
				}
			}
			if tt.check != nil {
				tt.check(t, s, r)
			}
		})
	}
}

// TestWaitFailedJob checks 'wait' on a job that ends Failed, in both
// output formats.
func TestWaitFailedJob(t *testing.T) {
	t.Parallel()
	for _, output := range []string{"text", "json"} {
		t.Run(output, func(t *testing.T) {
			t.Parallel()
			s := newFake(t)
			env := tokenEnv(s)
			s.FailNextJob("replication slot lost")
			jobID := createJob(t, env, "shop")
			r := runCLI(t, env, "wait", "--job-id", jobID, "--poll-interval", testPoll, "--output", output)
			require.Equal(t, exitJobFailed, r.code, r.stderr)
			assert.Contains(t, r.stderr, "job "+jobID+" failed: replication slot lost")
			if output == "json" {
				doc := decodeOne(t, r.stdout)
				assert.Equal(t, "Failed", doc["status"])
				assert.Equal(t, "replication slot lost", doc["fail_reason"])
				// Progress goes to stderr, one line per change.
				assert.Regexp(t, `(?m)^job `+jobID+` Failed`, r.stderr)
			} else {
				assert.Regexp(t, `(?m)^Fail reason\s+replication slot lost$`, r.stdout)
			}
		})
	}
}

// TestFlagsOverEnvironment checks that a flag wins over its variable, for
// the API client and for the credentials.
func TestFlagsOverEnvironment(t *testing.T) {
	t.Parallel()
	const otherProject = "0123456789abcdef0123456789abcdef"
	tests := []struct {
		name  string
		env   func(s *fake.Server) map[string]string
		args  func(s *fake.Server) []string
		check func(t *testing.T, s *fake.Server)
	}{
		{
			name: "--endpoint over HUAWEICLOUD_SDK_ENDPOINT and HUAWEICLOUD_SDK_REGION",
			env: func(s *fake.Server) map[string]string {
				return with(tokenEnv(s), envEndpoint, "http://127.0.0.1:1", "HUAWEICLOUD_SDK_REGION", "cn-north-4")
			},
			args: func(s *fake.Server) []string { return []string{"--endpoint", s.URL()} },
		},
		{
			name: "--project-id over HUAWEICLOUD_SDK_PROJECT_ID",
			env: func(s *fake.Server) map[string]string {
				return with(tokenEnv(s), "HUAWEICLOUD_SDK_PROJECT_ID", otherProject)
			},
			args: func(s *fake.Server) []string { return []string{"--project-id", s.ProjectID()} },
		},
		{
			name: "--project-id reaches the AK/SK signature's X-Project-Id",
			env: func(s *fake.Server) map[string]string {
				return with(tokenEnv(s), "HUAWEICLOUD_AUTH_TOKEN", "", "HUAWEICLOUD_SDK_AK", secretAK, "HUAWEICLOUD_SDK_SK", secretSK,
					"HUAWEICLOUD_SDK_PROJECT_ID", otherProject)
			},
			args: func(s *fake.Server) []string { return []string{"--project-id", s.ProjectID()} },
			check: func(t *testing.T, s *fake.Server) {
				reqs := s.Requests()
				require.NotEmpty(t, reqs)
				last := reqs[len(reqs)-1]
				assert.Equal(t, "Authorization", last.AuthHeader)
				assert.Equal(t, s.ProjectID(), last.Header.Get("X-Project-Id"))
			},
		},
		{
			name: "--project-id scopes the IAM password token",
			env: func(s *fake.Server) map[string]string {
				return with(tokenEnv(s), "HUAWEICLOUD_AUTH_TOKEN", "",
					"HUAWEICLOUD_IAM_USER", iamUser, "HUAWEICLOUD_IAM_PASSWORD", secretPassword, "HUAWEICLOUD_IAM_DOMAIN", iamDomain,
					"HUAWEICLOUD_SDK_IAM_ENDPOINT", s.IAMEndpoint(), "HUAWEICLOUD_SDK_PROJECT_ID", otherProject)
			},
			args: func(s *fake.Server) []string { return []string{"--project-id", s.ProjectID()} },
			check: func(t *testing.T, s *fake.Server) {
				assert.Equal(t, 1, s.RequestCount(fake.OperationIAMToken))
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newFake(t)
			args := append([]string{"list", "--instance-id", instanceID}, tt.args(s)...)
			r := runCLI(t, tt.env(s), args...)
			require.Equal(t, exitOK, r.code, "stderr: %s", r.stderr)
			if tt.check != nil {
				tt.check(t, s)
			}
		})
	}
}

// TestResolveEndpoint checks the endpoint's sources in order, without the
// network.
func TestResolveEndpoint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		flags     apiFlags
		env       map[string]string
		want      string
		wantUsage bool
	}{
		{name: "--endpoint", flags: apiFlags{endpoint: "http://a"}, env: map[string]string{envEndpoint: "http://b", envRegion: "cn-east-3"}, want: "http://a"},
		{name: "--region over the endpoint variable", flags: apiFlags{region: "cn-north-4"}, env: map[string]string{envEndpoint: "http://b"}, want: "https://gaussdb.cn-north-4.myhuaweicloud.com"},
		{name: "endpoint variable over region variable", env: map[string]string{envEndpoint: "http://b", envRegion: "cn-east-3"}, want: "http://b"},
		{name: "region variable", env: map[string]string{envRegion: "me-east-1"}, want: "https://gaussdbformysql.me-east-1.myhuaweicloud.com"},
		{name: "nothing", wantUsage: true},
		{name: "both flags", flags: apiFlags{endpoint: "http://a", region: "cn-north-4"}, wantUsage: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.flags.resolveEndpoint(func(k string) string { return tt.env[k] })
			if tt.wantUsage {
				assert.Equal(t, exitUsage, exitCode(err))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestCredentials checks each way of giving credentials through the
// environment, with the secrets never printed.
func TestCredentials(t *testing.T) {
	t.Parallel()
	tests := map[string]func(s *fake.Server) map[string]string{
		"token": tokenEnv,
		"AK/SK": func(s *fake.Server) map[string]string {
			return with(tokenEnv(s), "HUAWEICLOUD_AUTH_TOKEN", "", "HUAWEICLOUD_SDK_AK", secretAK, "HUAWEICLOUD_SDK_SK", secretSK)
		},
		"IAM password": func(s *fake.Server) map[string]string {
			return with(tokenEnv(s), "HUAWEICLOUD_AUTH_TOKEN", "", "HUAWEICLOUD_IAM_USER", iamUser,
				"HUAWEICLOUD_IAM_PASSWORD", secretPassword, "HUAWEICLOUD_IAM_DOMAIN", iamDomain, "HUAWEICLOUD_SDK_IAM_ENDPOINT", s.IAMEndpoint())
		},
		"IAM password refused": func(s *fake.Server) map[string]string {
			return with(tokenEnv(s), "HUAWEICLOUD_AUTH_TOKEN", "", "HUAWEICLOUD_IAM_USER", iamUser,
				"HUAWEICLOUD_IAM_PASSWORD", secretPassword+"x", "HUAWEICLOUD_IAM_DOMAIN", iamDomain, "HUAWEICLOUD_SDK_IAM_ENDPOINT", s.IAMEndpoint())
		},
		"AK/SK refused": func(s *fake.Server) map[string]string {
			return with(tokenEnv(s), "HUAWEICLOUD_AUTH_TOKEN", "", "HUAWEICLOUD_SDK_AK", secretAK, "HUAWEICLOUD_SDK_SK", secretSK+"x")
		},
	}
	for name, env := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := newFake(t)
			want := exitOK
			if strings.HasSuffix(name, "refused") {
				want = exitAPI
			}
			for _, output := range []string{"text", "json"} {
				r := runCLI(t, env(s), "create", "--instance-id", instanceID, "--source-instance-id", sourceInstanceID,
					"--source-database", "db_"+output, "--wait", "--poll-interval", testPoll, "--output", output)
				assert.Equal(t, want, r.code, "stderr: %s", r.stderr)
				// Also the values' tails: a secret must not leak cut short either.
				for _, secret := range secrets {
					assert.NotContains(t, r.stdout+r.stderr, secret[len(secret)-8:])
				}
				// The workflow commands authenticate the same way.
				for _, args := range [][]string{
					{"databases", "--instance-id", instanceID, "--all"},
					{"check", "--instance-id", instanceID, "--source-instance-id", sourceInstanceID, "--source-database", "db_" + output, "--param", "max_sync_threads=2"},
				} {
					r := runCLI(t, env(s), append(args, "--output", output)...)
					assert.Equal(t, want, r.code, "%s: stderr: %s", args[0], r.stderr)
					for _, secret := range secrets {
						assert.NotContains(t, r.stdout+r.stderr, secret[len(secret)-8:])
					}
				}
			}
		})
	}
}

// TestHelp checks --help and -h of every command, and the command list.
func TestHelp(t *testing.T) {
	t.Parallel()
	for _, cmd := range builtCommands() {
		for _, flagName := range []string{"--help", "-h"} {
			t.Run(cmd.Name()+flagName, func(t *testing.T) {
				t.Parallel()
				r := runCLI(t, nil, cmd.Name(), flagName)
				require.Equal(t, exitOK, r.code, r.stderr)
				assert.Empty(t, r.stderr)
				assert.True(t, strings.HasPrefix(r.stdout, "Usage: chreplication "+cmd.Name()), r.stdout)
				assert.Contains(t, r.stdout, "\nFlags:\n")
				assert.Contains(t, r.stdout, "\nExample:\n  ")
				assert.Contains(t, r.stdout, "chreplication "+cmd.Name())
				if cmd.Annotations[annAPI] != "" {
					for _, f := range []string{"--endpoint URL", "--region NAME", "--project-id ID", "--language", "--timeout duration", "--output format", "HUAWEICLOUD_AUTH_TOKEN"} {
						assert.Contains(t, r.stdout, f)
					}
				}
				// No secret-carrying flag is ever offered.
				assert.NotRegexp(t, regexp.MustCompile(`--(token|sk|password|secret)`), r.stdout)
			})
		}
	}
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}} {
		r := runCLI(t, nil, args...)
		require.Equal(t, exitOK, r.code)
		for _, cmd := range builtCommands() {
			assert.Regexp(t, `(?m)^  `+cmd.Name()+`\s+\S`, r.stdout)
		}
	}
	r := runCLI(t, nil, "help", "wait")
	require.Equal(t, exitOK, r.code)
	assert.True(t, strings.HasPrefix(r.stdout, "Usage: chreplication wait"))
}

// builtCommands returns the commands of commandBuilders.
func builtCommands() []*cobra.Command {
	c := &cli{getenv: func(string) string { return "" }, stdout: io.Discard, stderr: io.Discard}
	var cmds []*cobra.Command
	for _, b := range commandBuilders {
		cmds = append(cmds, b(c))
	}
	return cmds
}

// TestDemo runs the demo in-process with short jobs.
func TestDemo(t *testing.T) {
	t.Parallel()
	r := runCLI(t, nil, "demo", "--job-duration", "200ms")
	require.Equal(t, exitOK, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	assert.Empty(t, r.stderr)
	assert.Contains(t, r.stdout, "1. Create a replication")
	assert.Regexp(t, `(?m)^job \S+ Completed 100%$`, r.stdout)
	assert.Regexp(t, `(?m)^max_sync_threads\s+2\s+success$`, r.stdout)
	assert.Regexp(t, `(?m)^max_flush_data_time\s+20000\s+fail$`, r.stdout)
	assert.Contains(t, r.stdout, "3. Leave table audit_log out of the replication")
	assert.Contains(t, r.stdout, "Scope: every table but audit_log (black_list).")
	assert.Regexp(t, `(?m)^shop\s+shop\s+normal`, r.stdout)
	assert.Contains(t, r.stdout, "6. List again: 0 replications left.")
	assert.Contains(t, r.stdout, "Done in ")
}

// TestFakeCommand drives 'chreplication fake' in-process: it prints the
// environment to use, a client using it works, and it stops on cancel.
func TestFakeCommand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		env      map[string]string
		fromEnv  bool // credentials come from the environment
		clientFn func(printed map[string]string) map[string]string
	}{
		{
			name:     "made-up credentials",
			clientFn: func(printed map[string]string) map[string]string { return printed },
		},
		{
			name:    "credentials from the environment",
			env:     map[string]string{"HUAWEICLOUD_AUTH_TOKEN": secretToken, "HUAWEICLOUD_SDK_AK": secretAK, "HUAWEICLOUD_SDK_SK": secretSK, "HUAWEICLOUD_IAM_USER": iamUser, "HUAWEICLOUD_IAM_PASSWORD": secretPassword, "HUAWEICLOUD_IAM_DOMAIN": iamDomain, "HUAWEICLOUD_SDK_PROJECT_ID": "0123456789abcdef0123456789abcdef"},
			fromEnv: true,
			clientFn: func(printed map[string]string) map[string]string {
				return with(printed, "HUAWEICLOUD_AUTH_TOKEN", secretToken)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			var stdout, stderr syncBuffer
			done := make(chan int, 1)
			go func() {
				done <- run(ctx, []string{"fake", "--addr", "127.0.0.1:0", "--job-duration", "100ms"},
					func(k string) string { return tt.env[k] }, strings.NewReader(""), &stdout, &stderr)
			}()
			require.True(t, waitUntil(t, 5*time.Second, func() bool { return strings.Contains(stdout.String(), "# Then,") }),
				"the fake printed no environment: %q %q", stdout.String(), stderr.String())
			printed := exports(stdout.String())
			require.Regexp(t, `^http://127\.0\.0\.1:\d+$`, printed[envEndpoint])
			if tt.fromEnv {
				assert.Contains(t, stdout.String(), fromEnv)
				assert.NotContains(t, printed, "HUAWEICLOUD_AUTH_TOKEN")
				assert.Equal(t, "0123456789abcdef0123456789abcdef", printed["HUAWEICLOUD_SDK_PROJECT_ID"])
			} else {
				assert.NotEmpty(t, printed["HUAWEICLOUD_AUTH_TOKEN"])
				assert.NotContains(t, stdout.String(), fromEnv)
				// The made-up AK/SK and IAM user are shown (commented) too.
				assert.Contains(t, stdout.String(), "HUAWEICLOUD_SDK_SK=")
				assert.Contains(t, stdout.String(), "HUAWEICLOUD_IAM_PASSWORD=")
			}

			r := runCLI(t, tt.clientFn(printed), "create", "--instance-id", instanceID, "--source-instance-id", sourceInstanceID,
				"--source-database", "shop", "--wait", "--poll-interval", testPoll)
			require.Equal(t, exitOK, r.code, r.stderr)
			assert.Contains(t, stderr.String(), "CreateClickHouseDataBaseReplication", "the fake logs requests")

			cancel()
			select {
			case code := <-done:
				assert.Equal(t, exitInterrupted, code, stderr.String())
			case <-time.After(5 * time.Second):
				t.Fatal("the fake did not stop on cancel")
			}
			assertNoSecrets(t, stdout.String(), stderr.String())
			// It really stopped: the port is closed.
			r = runCLI(t, tt.clientFn(printed), "list", "--instance-id", instanceID)
			assert.Equal(t, exitAPI, r.code)
		})
	}
}

// exports reads the uncommented "export NAME=value" lines of out.
func exports(out string) map[string]string {
	env := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		rest, ok := strings.CutPrefix(line, "export ")
		if !ok {
			continue
		}
		for _, kv := range strings.Fields(rest) {
			if k, v, ok := strings.Cut(kv, "="); ok {
				env[k] = strings.Trim(v, "'")
			}
		}
	}
	return env
}

// TestFakeCommandErrors checks the fake command's usage errors.
func TestFakeCommandErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{name: "half an AK/SK pair", env: map[string]string{"HUAWEICLOUD_SDK_SK": secretSK}, want: "set both HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK"},
		{name: "IAM user without password", env: map[string]string{"HUAWEICLOUD_IAM_USER": iamUser}, want: "set all of HUAWEICLOUD_IAM_USER"},
		{name: "secret flag", args: []string{"--sk", secretSK}, want: "--sk: secrets are never taken as flags"},
		{name: "negative duration", args: []string{"--job-duration", "-1s"}, want: "--job-duration must not be negative"},
		{name: "token the clients cannot send", env: map[string]string{"HUAWEICLOUD_AUTH_TOKEN": secretToken + "\n"}, want: "HUAWEICLOUD_AUTH_TOKEN: static token contains a control character"},
		{name: "access key the clients cannot send", env: map[string]string{"HUAWEICLOUD_SDK_AK": "AK " + secretAK, "HUAWEICLOUD_SDK_SK": secretSK}, want: "HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK: AK/SK: access key contains a space"},
		{name: "bad project", env: map[string]string{"HUAWEICLOUD_SDK_PROJECT_ID": "a b"}, want: "the project ID must match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"fake", "--addr", "127.0.0.1:0"}, tt.args...)
			// A fake that starts instead of refusing serves until the
			// context ends: fail then, not hang.
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			r := runCLIContext(t, ctx, tt.env, args...)
			assert.Equal(t, exitUsage, r.code)
			assert.Contains(t, r.stderr, tt.want)
		})
	}
	// A taken address is an error of its own (exit 1), not a hang.
	s := newFake(t)
	r := runCLI(t, nil, "fake", "--addr", strings.TrimPrefix(s.URL(), "http://"))
	assert.Equal(t, exitAPI, r.code)
	assert.Contains(t, r.stderr, "starting the fake on")
	assert.NotContains(t, r.stderr, "check --endpoint", "the fake has no --endpoint")
}

// TestProgress checks the two ways progress is drawn.
func TestProgress(t *testing.T) {
	t.Parallel()
	jobs := []struct {
		status, process string
	}{{"Pending", "0%"}, {"Running", "40%"}, {"Running", "100%"}, {"Completed", "100%"}}
	const id = "2fa4e0d0-8b8c-4f0e-9a3f-0c0c3d2a4b11"
	draw := func(live bool) string {
		var b strings.Builder
		p := &progress{w: &b, live: live}
		for _, j := range jobs {
			p.update(jobOf(id, j.status, j.process))
		}
		p.done()
		return b.String()
	}
	assert.Equal(t, fmt.Sprintf("job %[1]s Pending 0%%\njob %[1]s Running 40%%\njob %[1]s Running 100%%\njob %[1]s Completed 100%%\n", id), draw(false))
	// Live: one line redrawn with \r, padded over a longer previous line,
	// ended by one newline.
	assert.Equal(t, "\rjob 2fa4e0d0… Pending 0%\rjob 2fa4e0d0… Running 40%\rjob 2fa4e0d0… Running 100%\rjob 2fa4e0d0… Completed 100%\n", draw(true))
	var b strings.Builder
	p := &progress{w: &b, live: true}
	p.update(jobOf("j1", "Running", "40%"))
	p.update(jobOf("j1", "Failed", ""))
	p.done()
	assert.Equal(t, "\rjob j1 Running 40%\rjob j1 Failed     \n", b.String())
	assert.False(t, isTerminal(&b))
}

// messageLines returns the lines of stderr that are not progress lines.
func messageLines(stderr string) []string {
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(stderr, "\n"), "\n") {
		if !strings.HasPrefix(l, "job ") {
			lines = append(lines, l)
		}
	}
	return lines
}

// TestUsageProblemsAtOnce checks that every problem of a command line is
// reported in one message, in the user's words, with nothing sent.
func TestUsageProblemsAtOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     func(s *fake.Server) map[string]string
		args    []string
		want    []string
		notWant []string
	}{
		{
			name: "every bad flag of a command",
			args: []string{"list", "--colour", "--output", "yaml", "--timeout", "-1s", "--limit", "ten", "extra"},
			want: []string{"chreplication list: 6 problems; nothing was sent:\n", "  unknown flag: --colour\n", "  missing --instance-id\n",
				"  --output \"yaml\" is not one of text, json\n", "  --timeout must not be negative\n",
				"  invalid --limit \"ten\": want a whole number\n", "  unexpected argument \"extra\"", "(see 'chreplication list --help')"},
		},
		{
			name: "flags and the environment together",
			env:  func(s *fake.Server) map[string]string { return with(tokenEnv(s), "HUAWEICLOUD_AUTH_TOKEN", "") },
			args: []string{"wait", "--poll-interval", "0s", "--endpoint", "127.0.0.1:8080"},
			want: []string{"4 problems", "missing --job-id", "--poll-interval must be positive", `--endpoint "127.0.0.1:8080" has no scheme`, "no credentials"},
		},
		{
			name: "check: two --param problems, a missing flag and both lists",
			args: []string{"check", "--instance-id", instanceID, "--param", "a", "--param", "b=1", "--param", "b=2", "--include-tables", "x", "--exclude-tables", "y"},
			want: []string{"4 problems", `invalid --param "a": want NAME=VALUE`, "--param b is given twice", "missing --source-instance-id, --source-database", "not both"},
		},
		{
			name: "an endpoint without a scheme",
			args: []string{"list", "--instance-id", instanceID, "--endpoint", "127.0.0.1:8080"},
			want: []string{`--endpoint "127.0.0.1:8080" has no scheme: give a URL, such as http://127.0.0.1:8080`},
		},
		{
			name: "a remote endpoint without a scheme",
			args: []string{"list", "--instance-id", instanceID, "--endpoint", "gaussdb.cn-north-4.myhuaweicloud.com"},
			want: []string{"such as https://gaussdb.cn-north-4.myhuaweicloud.com"},
		},
		{
			name:    "the variable without a scheme",
			env:     func(s *fake.Server) map[string]string { return with(tokenEnv(s), envEndpoint, "localhost:8080") },
			args:    []string{"list", "--instance-id", instanceID},
			want:    []string{`HUAWEICLOUD_SDK_ENDPOINT "localhost:8080" has no scheme: give a URL, such as http://localhost:8080`},
			notWant: []string{"--endpoint"},
		},
		{
			name: "an empty endpoint",
			args: []string{"list", "--instance-id", instanceID, "--endpoint", ""},
			want: []string{"--endpoint is empty"},
		},
		{
			name: "an empty project",
			args: []string{"list", "--instance-id", instanceID, "--project-id="},
			want: []string{"--project-id is empty"},
		},
		{
			name: "plain http names the flag, not the option",
			env: func(s *fake.Server) map[string]string {
				return with(tokenEnv(s), envEndpoint, "http://gaussdb.example.com:8080")
			},
			args:    []string{"list", "--instance-id", instanceID},
			want:    []string{"invalid HUAWEICLOUD_SDK_ENDPOINT: ", "use https, or --insecure-http to allow it"},
			notWant: []string{"WithInsecureHTTP"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newFake(t)
			env := tokenEnv(s)
			if tt.env != nil {
				env = tt.env(s)
			}
			r := runCLI(t, env, tt.args...)
			assert.Equal(t, exitUsage, r.code, r.stderr)
			for _, w := range tt.want {
				assert.Contains(t, r.stderr, w)
			}
			for _, w := range tt.notWant {
				assert.NotContains(t, r.stderr, w)
			}
			assert.Zero(t, s.RequestCount(""), "nothing was sent")
		})
	}
}

func TestUserWords(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "use https, or --insecure-http to allow it", userWords("use https, or WithInsecureHTTP to allow it"))
	assert.Equal(t, "is required: use --project-id (or HUAWEICLOUD_SDK_PROJECT_ID)", userWords("is required: use WithProjectID"))
	assert.NotContains(t, userWords("is required: use WithAuth"), "WithAuth")
}

// TestQuietWaits: without --verbose the waits a client expects are one
// short line each (per job, per operation), whatever the number of looks.
func TestQuietWaits(t *testing.T) {
	t.Parallel()
	s := newFake(t, fake.WithJobVisibilityDelay(300*time.Millisecond))
	s.InjectFault(fake.Fault{Operation: "CreateClickHouseDataBaseReplication", Status: http.StatusConflict, Times: 2,
		Body: []byte(`{"error_code":"DBS.200019","error_msg":"Another operation is being performed on the DB instance."}`)})
	r := runCLI(t, tokenEnv(s), "create", "--instance-id", instanceID, "--source-instance-id", sourceInstanceID,
		"--source-database", "shop", "--wait", "--poll-interval", testPoll)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, 3, s.RequestCount("CreateClickHouseDataBaseReplication"), "two busy answers, then the create")
	assert.Greater(t, s.RequestCount("ShowGaussMySqlJobInfo"), 2, "several looks at the job before it showed")
	lines := messageLines(r.stderr)
	assert.Equal(t, []string{
		"chreplication: waiting: the instance is busy with another operation; CreateClickHouseDataBaseReplication will be sent again",
		"chreplication: waiting: job " + strings.TrimSuffix(strings.TrimPrefix(regexp.MustCompile(`Started job (\S+):`).FindString(r.stdout), "Started job "), ":") + " not visible yet",
	}, lines)
	assert.NotContains(t, r.stderr, "HTTP 400")
	assert.NotContains(t, r.stderr, "DBS.200543")
}

func TestEventLines(t *testing.T) {
	t.Parallel()
	busy := chreplication.Event{Kind: chreplication.EventInstanceBusy, Operation: "DeleteClickHouseDataBaseReplication", Attempt: 1, Delay: time.Second,
		Err: &chreplication.APIError{StatusCode: 409, Code: "DBS.200019", Message: "busy", RequestID: "req-1"}}
	notVisible := chreplication.Event{Kind: chreplication.EventJobNotVisible, JobID: "j1", Delay: time.Second,
		Err: &chreplication.APIError{StatusCode: 400, Code: "DBS.200543", Message: "no such job"}}
	throttled := chreplication.Event{Kind: chreplication.EventThrottled, Operation: "ListClickHouseDataBaseReplication", Delay: time.Second,
		Err: &chreplication.APIError{StatusCode: 429, Code: "APIGW.0308", Message: "throttled"}}
	t.Run("quiet", func(t *testing.T) {
		t.Parallel()
		var b strings.Builder
		e := &eventLines{w: &b}
		for range 3 {
			e.event(busy)
			e.event(notVisible)
			e.event(throttled)
		}
		assert.Equal(t, "chreplication: waiting: the instance is busy with another operation; DeleteClickHouseDataBaseReplication will be sent again\n"+
			"chreplication: waiting: job j1 not visible yet\n"+
			"chreplication: waiting: throttled by the API gateway; requests are sent again, more slowly\n", b.String())
	})
	t.Run("verbose", func(t *testing.T) {
		t.Parallel()
		var b strings.Builder
		e := &eventLines{w: &b, verbose: true}
		e.event(busy)
		e.event(busy)
		e.event(throttled)
		assert.Equal(t, strings.Repeat("chreplication: the instance is busy with another operation; sending DeleteClickHouseDataBaseReplication again in 1s (attempt 2): HTTP 409 DBS.200019: busy (request ID req-1)\n", 2)+
			"chreplication: the API gateway throttled ListClickHouseDataBaseReplication; sending it again in 1s (attempt 1): HTTP 429 APIGW.0308: throttled\n", b.String())
	})
	t.Run("in the live progress line", func(t *testing.T) {
		t.Parallel()
		var lines, screen strings.Builder
		e := &eventLines{w: &lines}
		p := &progress{w: &screen, live: true, jobID: "2fa4e0d0-8b8c-4f0e-9a3f-0c0c3d2a4b11"}
		e.follow(p.jobID, p.waiting)
		e.event(chreplication.Event{Kind: chreplication.EventJobNotVisible, JobID: p.jobID})
		p.update(jobOf(p.jobID, "Running", "40%"))
		e.event(chreplication.Event{Kind: chreplication.EventThrottled, JobID: p.jobID})
		p.update(jobOf(p.jobID, "Completed", "100%"))
		p.done()
		e.unfollow(p.jobID)
		assert.Empty(t, lines.String(), "no line of its own")
		assert.Equal(t, "\rjob 2fa4e0d0… (waiting: not visible yet)\rjob 2fa4e0d0… Running 40%"+strings.Repeat(" ", 15)+"\rjob 2fa4e0d0… Running 40% (waiting: throttled)\rjob 2fa4e0d0… Completed 100%"+strings.Repeat(" ", 18)+"\n", screen.String())
	})
}

// TestRateLimit checks that --rate-limit (or its variable) reaches the
// client: at 0.1 requests a second the look at the job that create
// started would come 10 s after the create, past the 5 s --timeout, so it
// is never sent; --rate-limit 0 lifts the variable's limit.
func TestRateLimit(t *testing.T) {
	t.Parallel()
	create := []string{"create", "--instance-id", instanceID, "--source-instance-id", sourceInstanceID,
		"--source-database", "shop", "--wait", "--poll-interval", testPoll, "--timeout", "5s"}
	tests := []struct {
		name  string
		env   []string
		args  []string
		code  int
		looks bool
	}{
		{name: "flag", args: []string{"--rate-limit", "0.1"}, code: exitAPI},
		{name: "variable", env: []string{envRateLimit, "0.1"}, code: exitAPI},
		{name: "the flag lifts the variable's limit", env: []string{envRateLimit, "0.1"}, args: []string{"--rate-limit", "0"}, code: exitOK, looks: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newFake(t)
			r := runCLI(t, with(tokenEnv(s), tt.env...), append(create, tt.args...)...)
			require.Equal(t, tt.code, r.code, r.stderr)
			assert.Equal(t, 1, s.RequestCount("CreateClickHouseDataBaseReplication"))
			if tt.looks {
				assert.Positive(t, s.RequestCount("ShowGaussMySqlJobInfo"))
			} else {
				assert.Zero(t, s.RequestCount("ShowGaussMySqlJobInfo"), "the look would come after the deadline")
				assert.Contains(t, r.stderr, "timed out")
			}
		})
	}
	for _, args := range [][]string{{"--rate-limit", "-1"}, {"--rate-limit", "NaN"}} {
		s := newFake(t)
		r := runCLI(t, tokenEnv(s), append([]string{"list", "--instance-id", instanceID}, args...)...)
		assert.Equal(t, exitUsage, r.code)
		assert.Contains(t, r.stderr, "--rate-limit must be a number of requests a second")
	}
	s := newFake(t)
	r := runCLI(t, with(tokenEnv(s), envRateLimit, "fast"), "list", "--instance-id", instanceID)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, `HUAWEICLOUD_SDK_RATE_LIMIT "fast" must be a number`)
	assert.Zero(t, s.RequestCount(""))
	assert.Equal(t, 1, rateBurst(0.5))
	assert.Equal(t, 5, rateBurst(5))
	assert.Equal(t, 3, rateBurst(2.5))
}

// TestPollIntervalHelp: --poll-interval's help describes the predicting
// wait and the backoff it bounds.
func TestPollIntervalHelp(t *testing.T) {
	t.Parallel()
	r := runCLI(t, nil, "wait", "--help")
	require.Equal(t, exitOK, r.code)
	assert.Regexp(t, `--poll-interval delay\s+shortest delay between two looks at the job while waiting: the job's progress predicts its end`, r.stdout)
	assert.Contains(t, r.stdout, "doubles up to ten times it (at most 15s, unless this is longer)")
}

// TestVersionCompletionEnvironment checks the commands cobra brings and the
// environment topic, said once instead of in every command's help.
func TestVersionCompletionEnvironment(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"version"}, {"--version"}} {
		r := runCLI(t, nil, args...)
		require.Equal(t, exitOK, r.code, r.stderr)
		assert.Regexp(t, `^chreplication `+regexp.QuoteMeta(chreplication.Version)+` \(go\S+ \S+/\S+\)\n$`, r.stdout)
	}
	for shell, want := range map[string]string{"bash": "# bash completion V2 for chreplication", "zsh": "#compdef chreplication", "fish": "complete -c chreplication", "powershell": "Register-ArgumentCompleter"} {
		r := runCLI(t, nil, "completion", shell)
		require.Equal(t, exitOK, r.code, r.stderr)
		assert.Contains(t, r.stdout, want, shell)
	}
	env := runCLI(t, nil, "help", "environment")
	require.Equal(t, exitOK, env.code)
	for _, v := range []string{"HUAWEICLOUD_SDK_PROJECT_ID", "HUAWEICLOUD_SDK_ENDPOINT", "HUAWEICLOUD_SDK_RATE_LIMIT", "HUAWEICLOUD_IAM_DOMAIN", "HUAWEICLOUD_SDK_IAM_ENDPOINT", "Exit codes:"} {
		assert.Contains(t, env.stdout, v)
	}
	r := runCLI(t, nil, "list", "--help")
	require.Equal(t, exitOK, r.code)
	assert.Contains(t, r.stdout, "see 'chreplication help environment'")
	assert.NotContains(t, r.stdout, "HUAWEICLOUD_SDK_IAM_ENDPOINT", "the environment is described once, in its topic")
	// The command's own flags come first, then the API flags.
	own, api := strings.Index(r.stdout, "\nFlags:\n  --instance-id ID"), strings.Index(r.stdout, "\nAPI flags")
	assert.True(t, own >= 0 && api > own, r.stdout)
	r = runCLI(t, nil, "help")
	assert.Contains(t, r.stdout, "\nHelp topics:\n  environment")
	r = runCLI(t, nil, "help", "lsit")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, `unknown command "lsit" (did you mean list or wait?)`)
}

// TestExitCodesDocumented checks that every exit code of the CLI is named in
// the environment topic and in the package doc (go doc), so that a new code
// cannot be added without saying what it means.
func TestExitCodesDocumented(t *testing.T) {
	t.Parallel()
	env := runCLI(t, nil, "help", "environment")
	require.Equal(t, exitOK, env.code)
	_, topic, ok := strings.Cut(env.stdout, "Exit codes:")
	require.True(t, ok, env.stdout)
	doc, err := os.ReadFile("doc.go")
	require.NoError(t, err)
	_, docCodes, ok := strings.Cut(string(doc), "// # Exit codes")
	require.True(t, ok)
	docCodes, _, _ = strings.Cut(docCodes, "// # ")
	for _, code := range []int{exitOK, exitAPI, exitUsage, exitJobFailed, exitCheckFailed, exitAbnormal, exitInterrupted} {
		assert.Regexp(t, fmt.Sprintf(`(^|[\s,])%d [A-Za-z]`, code), topic, "exit code %d in the environment topic", code)
		assert.Regexp(t, fmt.Sprintf(`//\t%d +[A-Za-z]`, code), docCodes, "exit code %d in doc.go", code)
	}
}

// TestCompletionValuesAndDescriptions: the shell completion offers
// --output's values, and shows flag descriptions without the backticks that
// mark the help's placeholders (the help keeps its placeholders).
func TestCompletionValuesAndDescriptions(t *testing.T) {
	t.Parallel()
	r := runCLI(t, nil, "__complete", "list", "--output", "")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, []string{"text", "json", ":4"}, strings.Fields(r.stdout), "the values, then no file completion")
	for _, cmd := range []string{"list", "apply", "fake", "exporter", "check"} {
		r = runCLI(t, nil, "__complete", cmd, "--")
		require.Equal(t, exitOK, r.code, r.stderr)
		assert.NotContains(t, r.stdout, "`", cmd)
		assert.Contains(t, r.stdout, "--", cmd)
	}
	r = runCLI(t, nil, "list", "--help")
	assert.Contains(t, r.stdout, "  --endpoint URL ", "the help keeps its placeholders")
	assert.NotContains(t, r.stdout, "`")
}

// TestValuesQuotedOnce: a flag value with a control character or a
// backslash is quoted once, as Go quotes it, not escaped twice.
func TestValuesQuotedOnce(t *testing.T) {
	t.Parallel()
	r := runCLI(t, nil, "list", "--instance-id", instanceID, "--output", "j\tson")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, `--output "j\tson" is not one of text, json`)
	assert.NotContains(t, r.stderr, `\\t`)
	r = runCLI(t, nil, "list", "--instance-id", instanceID, "--timeout", `x\y`)
	assert.Contains(t, r.stderr, `invalid --timeout "x\\y": want a duration`)
}
