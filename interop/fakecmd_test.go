package interop

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Bounds of the `chreplication fake` helpers.
const (
	buildTimeout = 3 * time.Minute  // go build of the CLI on a busy machine
	startTimeout = 20 * time.Second // until the command has printed its endpoint and keys
	stopTimeout  = 10 * time.Second // from SIGINT to exit
)

// buildCLI builds ../cmd/chreplication into a temporary directory with the
// go command on PATH, in the chreplication module (so with its own
// dependency versions), and returns the binary's path.
func buildCLI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "chreplication")
	ctx, cancel := context.WithTimeout(t.Context(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/chreplication")
	cmd.Dir = ".."
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build ./cmd/chreplication:\n%s", out)
	return bin
}

// startFakeCommand builds and starts `chreplication fake --addr
// 127.0.0.1:0`, reads the endpoint, project and AK/SK pair it prints, and
// stops it (SIGINT) when the test ends. The command runs with no
// HUAWEICLOUD_ variable set, so it makes its credentials up and prints them.
func startFakeCommand(t *testing.T) endpointInfo {
	t.Helper()
	bin := buildCLI(t)
	// The command lives until stopCommand interrupts it (or kills it).
	cmd := exec.CommandContext(context.Background(), bin, "fake", "--addr", "127.0.0.1:0", "--job-duration", "500ms", "--quiet")
	cmd.Env = envWithout(os.Environ(), "HUAWEICLOUD_")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start(), "starting chreplication fake")

	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()

	var e endpointInfo
	var printed []string
	timeout := time.After(startTimeout)
	for e.URL == "" || e.ProjectID == "" || e.AK == "" || e.SK == "" {
		select {
		case line, ok := <-lines:
			if !ok {
				stopCommand(t, cmd, exited)
				t.Fatalf("chreplication fake closed its output before printing an endpoint and AK/SK; it printed:\n%s\nstderr:\n%s",
					redact(strings.Join(printed, "\n"), e.SK), redact(stderr.String(), e.SK))
			}
			printed = append(printed, line)
			parseFakeLine(line, &e)
		case <-timeout:
			stopCommand(t, cmd, exited)
			t.Fatalf("chreplication fake printed no endpoint and AK/SK within %s; it printed:\n%s\nstderr:\n%s",
				startTimeout, redact(strings.Join(printed, "\n"), e.SK), redact(stderr.String(), e.SK))
		}
	}
	go func() { // keep reading so that the command never blocks on stdout
		for range lines {
		}
	}()
	t.Cleanup(func() {
		if !stopCommand(t, cmd, exited) {
			t.Errorf("chreplication fake did not stop within %s of SIGINT; stderr:\n%s", stopTimeout, redact(stderr.String(), e.SK))
		}
	})
	t.Logf("chreplication fake serving on %s", e.URL)
	return e
}

// parseFakeLine reads what one line of `chreplication fake` output says:
//
//	export HUAWEICLOUD_SDK_ENDPOINT=http://127.0.0.1:41234
//	export HUAWEICLOUD_SDK_PROJECT_ID=cd1a97991ce09d5f9e73afc312072932
//	#   export HUAWEICLOUD_SDK_AK=... HUAWEICLOUD_SDK_SK=...
func parseFakeLine(line string, e *endpointInfo) {
	line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "#"))
	rest, ok := strings.CutPrefix(line, "export ")
	if !ok {
		return
	}
	for _, f := range strings.Fields(rest) {
		name, value, ok := strings.Cut(f, "=")
		if !ok {
			continue
		}
		value = shellUnquote(value)
		switch name {
		case "HUAWEICLOUD_SDK_ENDPOINT":
			e.URL = value
		case "HUAWEICLOUD_SDK_PROJECT_ID":
			e.ProjectID = value
		case "HUAWEICLOUD_SDK_AK":
			e.AK = value
		case "HUAWEICLOUD_SDK_SK":
			e.SK = value
		}
	}
}

// shellUnquote undoes the single quotes `chreplication fake` puts around a
// value with characters a shell would interpret ('\” stands for ').
func shellUnquote(s string) string {
	if len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'' {
		return strings.ReplaceAll(s[1:len(s)-1], `'\''`, `'`)
	}
	return s
}

// stopCommand interrupts cmd and waits for it to exit, killing it after
// stopTimeout; it reports whether it exited in time. exited carries
// cmd.Wait's result; stopCommand puts it back, so that it may be called
// again.
func stopCommand(t *testing.T, cmd *exec.Cmd, exited chan error) bool {
	t.Helper()
	select {
	case err := <-exited: // already stopped
		exited <- err
		return true
	default:
	}
	_ = cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-exited:
		t.Logf("chreplication fake stopped: %s", exitDescription(err))
		exited <- err
		return true
	case <-time.After(stopTimeout):
		_ = cmd.Process.Kill()
		exited <- <-exited
		return false
	}
}

func exitDescription(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// envWithout returns env without the variables whose name starts with prefix.
func envWithout(env []string, prefix string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, prefix) {
			out = append(out, kv)
		}
	}
	return out
}

// redact replaces every occurrence of secret in s.
func redact(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, "[REDACTED]")
}

// lockedBuffer is a bytes.Buffer safe for the command's writes and the
// test's reads at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
