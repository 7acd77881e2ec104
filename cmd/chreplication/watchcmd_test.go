package main

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication/fake"
)

// watchWait bounds the waits for what a running watch or exporter prints:
// each ends as soon as the output shows what is expected.
const watchWait = 30 * time.Second

// opListReplications is the operationId every look sends.
const opListReplications = "ListClickHouseDataBaseReplication"

// startCLI runs the CLI in a goroutine until ctx ends; the result comes on
// the channel.
func startCLI(t *testing.T, ctx context.Context, env map[string]string, stdout, stderr *syncBuffer, args ...string) <-chan int {
	t.Helper()
	done := make(chan int, 1)
	getenv := func(name string) string { return env[name] }
	go func() { done <- run(ctx, args, getenv, strings.NewReader(""), stdout, stderr) }()
	return done
}

// exitOf waits for the CLI's exit code.
func exitOf(t *testing.T, done <-chan int) int {
	t.Helper()
	select {
	case code := <-done:
		return code
	case <-time.After(watchWait):
		t.Fatal("the command did not end")
		return -1
	}
}

func TestWatchPrintsChangesUntilInterrupted(t *testing.T) {
	t.Parallel()
	s := newFake(t, fake.WithJobMode(fake.JobsManual))
	require.NoError(t, s.AddReplication(instanceID, "shop"))
	ctx, interrupt := context.WithCancel(t.Context())
	defer interrupt()
	var stdout, stderr syncBuffer
	done := startCLI(t, ctx, tokenEnv(s), &stdout, &stderr, "watch", "--instance-id", instanceID, "--interval", "50ms")

	require.True(t, waitUntil(t, watchWait, func() bool { return strings.Contains(stdout.String(), "appeared") }), stderr.String())
	require.NoError(t, s.SetReplicationState(instanceID, "shop", fake.ReplicationState{
		Status: fake.StatusAbnormal, Stage: fake.StageFull, CatchupStage: fake.StageFailed, Percentage: 37}))
	require.True(t, waitUntil(t, watchWait, func() bool { return strings.Contains(stdout.String(), "percentage") }), stdout.String())
	interrupt()
	assert.Equal(t, exitInterrupted, exitOf(t, done))

	ts := `\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ `
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	require.Len(t, lines, 5, stdout.String())
	want := []string{
		instanceID + ` "shop" appeared: status normal, stage incremental, catch-up incremental, 100%`,
		instanceID + ` "shop" status normal -> abnormal`,
		instanceID + ` "shop" stage incremental -> full`,
		instanceID + ` "shop" catchup_stage incremental -> failed`,
		instanceID + ` "shop" percentage 100 -> 37`,
	}
	for i, w := range want {
		assert.Regexp(t, "^"+ts+regexp.QuoteMeta(w)+"$", lines[i])
	}
	assert.Contains(t, stderr.String(), "chreplication watch: interrupted")
	assert.GreaterOrEqual(t, s.RequestCount(opListReplications), 2)
}

func TestWatchExitOnAbnormal(t *testing.T) {
	t.Parallel()
	s := newFake(t, fake.WithJobMode(fake.JobsManual))
	other := newFake(t, fake.WithJobMode(fake.JobsManual), fake.WithProjectID("0123456789abcdef0123456789abcdef"))
	require.NoError(t, s.AddReplication(instanceID, "shop"))
	require.NoError(t, other.AddReplication(otherInstanceID, "sales"))
	require.NoError(t, other.SetReplicationState(otherInstanceID, "sales", fake.ReplicationState{
		Status: fake.StatusAbnormal, Stage: fake.StageFull, CatchupStage: fake.StageFailed, Percentage: 37}))
	// The first instance in the flags' place, the second in another
	// endpoint and project, as the file says.
	file := writeTemp(t, "w.yaml", `
replications:
  - instance_id: `+instanceID+`
    source_instance_id: `+sourceInstanceID+`
    databases: [shop]
  - instance_id: `+otherInstanceID+`
    source_instance_id: `+sourceInstanceID+`
    databases: [sales]
    endpoint: `+other.URL()+`
    project_id: `+other.ProjectID()+`
`)
	// The watch ends at its second look (100ms after the first), because
	// that look shows an abnormal task.
	r := runCLI(t, tokenEnv(s), "watch", "-f", file, "--exit-on-abnormal", "--output", "json", "--interval", "200ms")
	require.Equal(t, exitAbnormal, r.code, r.stderr)
	assert.Equal(t, `chreplication watch: abnormal task: "sales" on `+otherInstanceID+" (status abnormal)\n", r.stderr)

	var kinds []string
	for line := range strings.Lines(r.stdout) {
		var ch map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &ch), "each line is a JSON object: %q", line)
		kinds = append(kinds, ch["instance_id"].(string)+" "+ch["database"].(string)+" "+ch["kind"].(string))
		task, _ := ch["task"].(map[string]any)
		assert.NotEmpty(t, task["status"])
	}
	assert.Equal(t, []string{instanceID + " shop appeared", otherInstanceID + " sales appeared"}, kinds)
	assert.Equal(t, 1, s.RequestCount(opListReplications))
	assert.Equal(t, 1, other.RequestCount(opListReplications))
}

func TestWatchNormalTasksRunOn(t *testing.T) {
	t.Parallel()
	s := newFake(t, fake.WithJobMode(fake.JobsManual))
	require.NoError(t, s.AddReplication(instanceID, "shop"))
	// --timeout ends a watch that saw nothing abnormal: exit 0.
	r := runCLI(t, tokenEnv(s), "watch", "--instance-id", instanceID, "--exit-on-abnormal", "--interval", "20ms", "--timeout", "300ms")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"shop" appeared`)
	assert.GreaterOrEqual(t, s.RequestCount(opListReplications), 1)
}

func TestWatchLookFailures(t *testing.T) {
	t.Parallel()
	s := newFake(t, fake.WithJobMode(fake.JobsManual))
	require.NoError(t, s.AddReplication(instanceID, "shop"))
	s.InjectFault(fake.Fault{Operation: opListReplications, Times: -1, Status: 503,
		Body: []byte(`{"error_code":"APIGW.0201","error_msg":"Service unavailable"}`)})
	ctx, interrupt := context.WithCancel(t.Context())
	defer interrupt()
	var stdout, stderr syncBuffer
	done := startCLI(t, ctx, tokenEnv(s), &stdout, &stderr, "watch", "--instance-id", instanceID, "--interval", "20ms")
	require.True(t, waitUntil(t, watchWait, func() bool { return strings.Contains(stdout.String(), "look_failed") }), stderr.String())
	// More looks fail, then the service answers again.
	n := s.RequestCount(opListReplications)
	require.True(t, waitUntil(t, watchWait, func() bool { return s.RequestCount(opListReplications) >= n+3 }))
	s.ClearFaults()
	require.True(t, waitUntil(t, watchWait, func() bool { return strings.Contains(stdout.String(), "appeared") }), stdout.String())
	interrupt()
	assert.Equal(t, exitInterrupted, exitOf(t, done))
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	require.Len(t, lines, 3, "a failure is printed once, however many looks fail: %s", stdout.String())
	assert.Contains(t, lines[0], instanceID+" look_failed: ")
	assert.Contains(t, lines[0], "503")
	assert.Contains(t, lines[1], instanceID+" look_recovered")
	assert.Contains(t, lines[2], `"shop" appeared`)
}

func TestWatchUsage(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	file := writeTemp(t, "bad.yaml", "replications:\n  - instance_id: x/y\n    databases: [shop]\n    colour: red\n")
	twice := writeTemp(t, "twice.yaml", `
replications:
  - instance_id: `+instanceID+`
    source_instance_id: `+sourceInstanceID+`
    databases: [shop]
  - instance_id: `+instanceID+`
    source_instance_id: `+sourceInstanceID+`
    databases: [sales]
    project_id: 0123456789abcdef0123456789abcdef
`)
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"no instance", []string{"watch"}, []string{"missing --instance-id ID"}},
		{"both", []string{"watch", "--instance-id", instanceID, "-f", file}, []string{"give --instance-id or -f, not both"}},
		{"bad id and interval", []string{"watch", "--instance-id", "a/b", "--interval", "0s"}, []string{`invalid --instance-id "a/b"`, "--interval must be positive"}},
		{"twice", []string{"watch", "--instance-id", instanceID, "--instance-id", instanceID}, []string{"--instance-id " + instanceID + " given twice"}},
		{"bad file", []string{"watch", "-f", file}, []string{"is not a valid apply file", "colour"}},
		{"missing file", []string{"watch", "-f", "/nonexistent/w.yaml"}, []string{"-f /nonexistent/w.yaml"}},
		{"two places", []string{"watch", "-f", twice}, []string{"names instance " + instanceID + " in two places"}},
		{"bad output", []string{"watch", "--instance-id", instanceID, "--output", "xml"}, []string{`--output "xml"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, tokenEnv(s), tt.args...)
			assert.Equal(t, exitUsage, r.code, r.stderr)
			for _, w := range tt.want {
				assert.Contains(t, r.stderr, w)
			}
			assert.Empty(t, r.stdout)
		})
	}
	assert.Zero(t, s.RequestCount(opListReplications), "nothing is sent")
}
