package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/gaussdb-tools/chreplication/fake"
)

// binDir holds the binary built once for the tests that run it; TestMain
// removes it.
var (
	binDir    string
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	if code == 0 {
		// Nothing the commands started (fake servers, waits, signal
		// handlers) may outlive them.
		if err := goleak.Find(goleak.IgnoreTopFunction("internal/poll.runtime_pollWait")); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// cliBinary builds the real chreplication binary once per test run.
func cliBinary(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = "go"
	}
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "chreplication-test-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "chreplication")
		out, err := exec.CommandContext(context.Background(), goTool, "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = errors.New("go build: " + err.Error() + "\n" + string(out))
		}
	})
	require.NoError(t, buildErr)
	return binPath
}

// binaryEnv is a clean environment for the binary: no variable of the
// user's leaks into a test, and env's are added.
func binaryEnv(env map[string]string) []string {
	out := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir()}
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// runBinary runs the built CLI and checks that no secret appears in its
// output.
func runBinary(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), cliBinary(t), args...)
	cmd.Env = binaryEnv(env)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if err != nil {
		var exitErr *exec.ExitError
		require.ErrorAs(t, err, &exitErr)
		code = exitErr.ExitCode()
	}
	r := result{code: code, stdout: stdout.String(), stderr: stderr.String()}
	assertNoSecrets(t, r.stdout, r.stderr)
	return r
}

// TestBinary runs the real binary for each exit code, the JSON of a waited
// create, and the demo with its default settings (as 'make demo' does).
func TestBinary(t *testing.T) {
	t.Parallel()
	create := []string{"create", "--instance-id", instanceID, "--source-instance-id", sourceInstanceID, "--source-database", "shop"}
	tests := []struct {
		name  string
		setup func(s *fake.Server)
		noEnv bool
		args  []string
		code  int
		check func(t *testing.T, r result)
	}{
		{
			name:  "demo",
			noEnv: true,
			args:  []string{"demo"},
			code:  exitOK,
			check: func(t *testing.T, r result) {
				assert.Contains(t, r.stdout, "Done in ")
				assert.Empty(t, r.stderr)
			},
		},
		{
			name: "create --wait --output json",
			args: slices.Concat(create, []string{"--wait", "--poll-interval", testPoll, "--output", "json"}),
			code: exitOK,
			check: func(t *testing.T, r result) {
				doc := decodeOne(t, r.stdout)
				job, ok := doc["job"].(map[string]any)
				require.True(t, ok)
				assert.Equal(t, "Completed", job["status"])
				// stdout is a pipe, not a terminal: progress goes to
				// stderr as one line per change.
				assert.Regexp(t, `(?m)^job \S+ Completed 100%$`, r.stderr)
				assert.NotContains(t, r.stderr, "\r")
			},
		},
		{name: "no command", noEnv: true, code: exitUsage},
		{name: "no credentials", noEnv: true, args: []string{"list", "--instance-id", instanceID, "--region", "cn-north-4", "--project-id", "p1"}, code: exitUsage},
		{name: "bad ID", args: []string{"job", "--job-id", "a b"}, code: exitUsage},
		{name: "secret flag", args: []string{"list", "--instance-id", instanceID, "--token", secretToken}, code: exitUsage},
		{
			name: "500",
			setup: func(s *fake.Server) {
				s.InjectFault(fake.Fault{Status: 500, Body: []byte(`{"error_code":"DBS.200001","error_msg":"boom"}`)})
			},
			args: create,
			code: exitAPI,
			check: func(t *testing.T, r result) {
				assert.Regexp(t, `^chreplication create: API error: HTTP 500 Internal Server Error from POST /v3/\S+, error_code DBS.200001, error_msg "boom", request ID [0-9a-f]+\n`, r.stderr)
			},
		},
		{
			name:  "job failed",
			setup: func(s *fake.Server) { s.FailNextJob("no space left") },
			args:  slices.Concat(create, []string{"--wait", "--poll-interval", testPoll}),
			code:  exitJobFailed,
			check: func(t *testing.T, r result) {
				assert.Regexp(t, `(?m)^chreplication create: job \S+ failed: no space left$`, r.stderr)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var env map[string]string
			if !tt.noEnv {
				s := newFake(t)
				env = tokenEnv(s)
				if tt.setup != nil {
					tt.setup(s)
				}
			}
			r := runBinary(t, env, tt.args...)
			assert.Equal(t, tt.code, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

// TestBinaryFakeStopsOnSignal runs 'chreplication fake' and interrupts it
// as Ctrl-C would.
func TestBinaryFakeStopsOnSignal(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("no SIGINT to send on Windows")
	}
	cmd := exec.CommandContext(t.Context(), cliBinary(t), "fake", "--addr", "127.0.0.1:0", "--quiet")
	cmd.Env = binaryEnv(map[string]string{"HUAWEICLOUD_AUTH_TOKEN": secretToken})
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Start())
	if !waitUntil(t, 10*time.Second, func() bool { return strings.Contains(stdout.String(), "# Then,") }) {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("the fake printed no environment; stderr: %s", stderr.String())
	}
	env := exports(stdout.String())
	env["HUAWEICLOUD_AUTH_TOKEN"] = secretToken
	r := runBinary(t, env, "list", "--instance-id", instanceID, "--output", "json")
	assert.Equal(t, exitOK, r.code, r.stderr)

	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		var exit *exec.ExitError
		require.ErrorAs(t, err, &exit, "stderr: %s", stderr.String())
		assert.Equal(t, exitInterrupted, exit.ExitCode(), "130 on Ctrl-C, as watch and exporter: %s", stderr.String())
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("the fake did not stop on SIGINT")
	}
	assert.Contains(t, stdout.String(), fromEnv)
	assertNoSecrets(t, stdout.String(), stderr.String())
}
