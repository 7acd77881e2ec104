//go:build !windows

package main

import (
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication/fake"
)

// TestBinaryApplyInterrupted runs the real binary's apply against jobs that
// never end and sends it SIGINT, as Ctrl-C does: it exits 130 after naming
// the jobs still running on the service.
func TestBinaryApplyInterrupted(t *testing.T) {
	t.Parallel()
	s := newFake(t, fake.WithJobMode(fake.JobsManual))
	cmd := exec.CommandContext(t.Context(), cliBinary(t), "apply", "-f", writeTemp(t, "r.yaml", twoInstances), "--poll-interval", testPoll)
	cmd.Env = binaryEnv(tokenEnv(s))
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Start())
	if !waitUntil(t, 20*time.Second, func() bool { return s.RequestCount("ShowGaussMySqlJobInfo") >= 2 }) {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("apply started no job; stderr: %s", stderr.String())
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		var exitErr *exec.ExitError
		require.ErrorAs(t, err, &exitErr, "stderr: %s", stderr.String())
		assert.Equal(t, exitInterrupted, exitErr.ExitCode(), "stderr: %s", stderr.String())
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("apply did not stop on SIGINT")
	}
	assert.Contains(t, stderr.String(), "chreplication apply: still running on the service:")
	assert.Regexp(t, `  job \S+: create shop on `+instanceID+` \(follow it with: chreplication wait --job-id \S+\)`, stderr.String())
	assert.Contains(t, stderr.String(), "chreplication apply: interrupted\n")
	assert.Equal(t, 2, s.RequestCount("CreateClickHouseDataBaseReplication"), "one create per instance, then the waits")
	assertNoSecrets(t, stdout.String(), stderr.String())
}
