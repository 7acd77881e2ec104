package main

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication/fake"
)

// TestJSONOnFailure checks that with --output json every command family
// prints exactly one JSON document on stdout when it fails too: the error,
// and the job where there is one. The message stays on stderr.
func TestJSONOnFailure(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fake  []fake.Option
		setup func(t *testing.T, s *fake.Server, env map[string]string) []string
		code  int
		kind  string
		check func(t *testing.T, doc, body map[string]any)
	}{
		{
			name: "usage error",
			setup: func(*testing.T, *fake.Server, map[string]string) []string {
				return []string{"list"}
			},
			code: exitUsage, kind: kindUsage,
			check: func(t *testing.T, _, body map[string]any) {
				assert.Equal(t, "missing --instance-id", body["message"])
				assert.NotContains(t, body, "problems")
			},
		},
		{
			name: "every problem of a command line",
			setup: func(*testing.T, *fake.Server, map[string]string) []string {
				return []string{"databases", "--colour", "--limit", "ten"}
			},
			code: exitUsage, kind: kindUsage,
			check: func(t *testing.T, _, body map[string]any) {
				assert.Equal(t, "3 problems; nothing was sent", body["message"])
				assert.Equal(t, []any{`invalid --limit "ten": want a whole number`, "unknown flag: --colour", "missing --instance-id"}, body["problems"])
			},
		},
		{
			name: "a secret as a flag",
			setup: func(*testing.T, *fake.Server, map[string]string) []string {
				return []string{"params", "--instance-id", instanceID, "--token", secretToken}
			},
			code: exitUsage, kind: kindUsage,
		},
		{
			name: "an invalid ID",
			setup: func(*testing.T, *fake.Server, map[string]string) []string {
				return []string{"job", "--job-id", "../x"}
			},
			code: exitUsage, kind: kindUsage,
			check: func(t *testing.T, _, body map[string]any) {
				assert.Contains(t, body["message"], "invalid --job-id")
			},
		},
		{
			name: "API error",
			setup: func(*testing.T, *fake.Server, map[string]string) []string {
				return []string{"job", "--job-id", "2fa4e0d0-8b8c-4f0e-9a3f-0c0c3d2a4b11"}
			},
			code: exitAPI, kind: kindAPI,
			check: func(t *testing.T, _, body map[string]any) {
				assert.EqualValues(t, 400, body["status"])
				assert.Equal(t, fake.CodeJobNotFound, body["code"])
				assert.NotEmpty(t, body["message"])
				assert.NotEmpty(t, body["request_id"])
			},
		},
		{
			name: "API error of a workflow command",
			setup: func(*testing.T, *fake.Server, map[string]string) []string {
				return []string{"scope", "--instance-id", instanceID, "--database", "shop", "--cancel"}
			},
			code: exitAPI, kind: kindAPI,
			check: func(t *testing.T, doc, body map[string]any) {
				assert.NotZero(t, body["status"])
				assert.NotContains(t, doc, "job_id", "no job was started")
			},
		},
		{
			name: "a job that fails, create --wait",
			setup: func(_ *testing.T, s *fake.Server, _ map[string]string) []string {
				s.FailNextJob("disk full")
				return []string{"create", "--instance-id", instanceID, "--source-instance-id", sourceInstanceID, "--source-database", "shop", "--wait", "--poll-interval", testPoll}
			},
			code: exitJobFailed, kind: kindJobFailed,
			check: func(t *testing.T, doc, body map[string]any) {
				assert.Contains(t, body["message"], "failed: disk full")
				assert.NotEmpty(t, doc["job_id"])
				job, _ := doc["job"].(map[string]any)
				assert.Equal(t, "Failed", job["status"])
			},
		},
		{
			name: "wait --timeout prints the job it last saw",
			fake: []fake.Option{fake.WithJobDuration(time.Hour)},
			setup: func(t *testing.T, _ *fake.Server, env map[string]string) []string {
				return []string{"wait", "--job-id", createJob(t, env, "shop"), "--poll-interval", testPoll, "--timeout", "300ms"}
			},
			code: exitAPI, kind: kindTimeout,
			check: func(t *testing.T, doc, body map[string]any) {
				assert.Contains(t, body["message"], "raise --timeout")
				job, _ := doc["job"].(map[string]any)
				require.NotNil(t, job, "the job as last seen")
				assert.Contains(t, []any{"Pending", "Running"}, job["status"])
			},
		},
		{
			name: "a check that fails",
			setup: func(*testing.T, *fake.Server, map[string]string) []string {
				return []string{"check", "--instance-id", instanceID, "--source-instance-id", sourceInstanceID, "--source-database", "shop", "--param", "max_flush_data_time=20000"}
			},
			code: exitCheckFailed, kind: kindCheckFailed,
			check: func(t *testing.T, doc, body map[string]any) {
				assert.Equal(t, false, doc["passed"], "the check's own document")
				assert.Contains(t, body["message"], "max_flush_data_time=20000")
			},
		},
		{
			name: "apply without a file",
			setup: func(*testing.T, *fake.Server, map[string]string) []string {
				return []string{"apply", "--prune"}
			},
			code: exitUsage, kind: kindUsage,
		},
		{
			name: "apply with an invalid file",
			setup: func(t *testing.T, _ *fake.Server, _ map[string]string) []string {
				return []string{"apply", "-f", writeTemp(t, "bad.yaml", "replications:\n  - instance_id: a/b\n    colour: red\n")}
			},
			code: exitUsage, kind: kindInvalidFile,
			check: func(t *testing.T, _, body map[string]any) {
				assert.Contains(t, body["message"], "bad.yaml is not a valid apply file")
				assert.NotEmpty(t, body["problems"])
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newFake(t, tt.fake...)
			env := tokenEnv(s)
			r := runCLI(t, env, append(tt.setup(t, s, env), "--output", "json")...)
			require.Equal(t, tt.code, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
			assert.NotEmpty(t, r.stderr, "the message is on stderr too")
			doc := decodeOne(t, r.stdout)
			body, ok := doc["error"].(map[string]any)
			require.True(t, ok, "no error member: %s", r.stdout)
			assert.Equal(t, tt.kind, body["kind"])
			assert.EqualValues(t, tt.code, body["exit_code"])
			if tt.check != nil {
				tt.check(t, doc, body)
			}
		})
	}
}

// TestJSONOnFailureText: without --output json a failure prints nothing
// on stdout.
func TestJSONOnFailureText(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"list"}, {"lsit", "--output", "text"}, {"job", "--job-id", "2fa4e0d0-8b8c-4f0e-9a3f-0c0c3d2a4b11"}} {
		s := newFake(t)
		r := runCLI(t, tokenEnv(s), args...)
		assert.NotEqual(t, exitOK, r.code)
		assert.Empty(t, r.stdout, strings.Join(args, " "))
	}
}

func TestWantsJSON(t *testing.T) {
	t.Parallel()
	assert.True(t, wantsJSON([]string{"list", "--output", "json"}))
	assert.True(t, wantsJSON([]string{"list", "--output=json"}))
	assert.False(t, wantsJSON([]string{"list", "--output", "json", "--output", "text"}))
	assert.False(t, wantsJSON([]string{"list", "--", "--output", "json"}))
	assert.False(t, wantsJSON([]string{"list", "--output"}))
}
