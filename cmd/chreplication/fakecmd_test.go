package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication/fake"
)

// fakeAnswer is what one raw request to a running fake command got.
type fakeAnswer struct {
	status int
	body   map[string]any
}

// startFakeCommand runs 'chreplication fake' in-process with args, waits
// for the environment it prints and stops it when the test ends. It
// returns the printed variables and what it printed on stdout.
func startFakeCommand(t *testing.T, args ...string) (map[string]string, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	env := map[string]string{"HUAWEICLOUD_AUTH_TOKEN": secretToken}
	go func() {
		done <- run(ctx, append([]string{"fake", "--addr", "127.0.0.1:0", "--quiet"}, args...),
			func(k string) string { return env[k] }, strings.NewReader(""), &stdout, &stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			assert.Equal(t, exitInterrupted, code, "stopped by Ctrl-C (its context), as watch and exporter: %s", stderr.String())
		case <-time.After(5 * time.Second):
			t.Error("the fake did not stop on cancel")
		}
		assertNoSecrets(t, stdout.String(), stderr.String())
	})
	require.True(t, waitUntil(t, 5*time.Second, func() bool { return strings.Contains(stdout.String(), "# Then,") }),
		"the fake printed no environment: %q %q", stdout.String(), stderr.String())
	return exports(stdout.String()), stdout.String()
}

// fakeCall sends one request with the test token to the fake at endpoint.
func fakeCall(t *testing.T, endpoint, method, path, body string) fakeAnswer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, endpoint+path, rd)
	require.NoError(t, err)
	req.Header.Set("X-Auth-Token", secretToken)
	if body != "" {
		// As Huawei's definitions and the official SDKs send it.
		req.Header.Set("Content-Type", "application/json;charset=UTF-8")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	a := fakeAnswer{status: resp.StatusCode}
	require.NoError(t, json.Unmarshal(b, &a.body), "body %q", b)
	return a
}

// TestFakeCommandBehaviour checks that 'chreplication fake' hides new jobs
// and refuses a write to a busy instance by default, and that the flags
// turn each off.
func TestFakeCommandBehaviour(t *testing.T) {
	t.Parallel()
	createBody := func(db string) string {
		return `{"source_instance_id":"` + sourceInstanceID + `","source_database":"` + db + `"}`
	}
	t.Run("by default", func(t *testing.T) {
		t.Parallel()
		env, printed := startFakeCommand(t, "--job-duration", "600ms", "--job-visibility-delay", "300ms")
		assert.Contains(t, printed, "# A new job answers 400 "+fake.CodeJobNotFound+" (unknown job) for its first 300ms")
		assert.Contains(t, printed, "409 "+fake.CodeInstanceBusy)
		path := "/v3/" + env["HUAWEICLOUD_SDK_PROJECT_ID"] + "/instances/" + instanceID + "/clickhouse/replication"

		a := fakeCall(t, env[envEndpoint], http.MethodPost, path, createBody("shop"))
		require.Equal(t, http.StatusOK, a.status, "%v", a.body)
		jobID, _ := a.body["job_id"].(string)
		require.NotEmpty(t, jobID)
		jobPath := "/v3/" + env["HUAWEICLOUD_SDK_PROJECT_ID"] + "/jobs?id=" + url.QueryEscape(jobID)

		// Not visible yet: the answer for an unknown job, naming it.
		a = fakeCall(t, env[envEndpoint], http.MethodGet, jobPath, "")
		assert.Equal(t, http.StatusBadRequest, a.status)
		assert.Equal(t, fake.CodeJobNotFound, a.body["error_code"])
		assert.Contains(t, a.body["error_msg"], jobID)

		// Busy: another write is refused and changes nothing; reads work.
		a = fakeCall(t, env[envEndpoint], http.MethodPost, path, createBody("sales"))
		assert.Equal(t, http.StatusConflict, a.status)
		assert.Equal(t, fake.CodeInstanceBusy, a.body["error_code"])
		a = fakeCall(t, env[envEndpoint], http.MethodGet, path, "")
		require.Equal(t, http.StatusOK, a.status)
		assert.InDelta(t, 1, a.body["total_count"], 0, "the refused create added nothing")

		// Visible after the delay, then done; then the write is accepted.
		require.True(t, waitUntil(t, 5*time.Second, func() bool {
			a := fakeCall(t, env[envEndpoint], http.MethodGet, jobPath, "")
			job, _ := a.body["job"].(map[string]any)
			return a.status == http.StatusOK && job["status"] == "Completed"
		}), "the job did not show up and complete")
		a = fakeCall(t, env[envEndpoint], http.MethodPost, path, createBody("sales"))
		assert.Equal(t, http.StatusOK, a.status, "%v", a.body)
	})
	t.Run("turned off", func(t *testing.T) {
		t.Parallel()
		env, printed := startFakeCommand(t, "--job-duration", "1m", "--job-visibility-delay", "0", "--one-operation-per-instance=false")
		assert.NotContains(t, printed, fake.CodeJobNotFound)
		assert.NotContains(t, printed, fake.CodeInstanceBusy)
		path := "/v3/" + env["HUAWEICLOUD_SDK_PROJECT_ID"] + "/instances/" + instanceID + "/clickhouse/replication"
		a := fakeCall(t, env[envEndpoint], http.MethodPost, path, createBody("shop"))
		require.Equal(t, http.StatusOK, a.status, "%v", a.body)
		jobID, _ := a.body["job_id"].(string)
		a = fakeCall(t, env[envEndpoint], http.MethodGet, "/v3/"+env["HUAWEICLOUD_SDK_PROJECT_ID"]+"/jobs?id="+url.QueryEscape(jobID), "")
		assert.Equal(t, http.StatusOK, a.status, "visible at once: %v", a.body)
		a = fakeCall(t, env[envEndpoint], http.MethodPost, path, createBody("sales"))
		assert.Equal(t, http.StatusOK, a.status, "a second write while the first job runs: %v", a.body)
	})
	t.Run("the CLI rides both out", func(t *testing.T) {
		t.Parallel()
		env, _ := startFakeCommand(t, "--job-duration", "300ms", "--job-visibility-delay", "200ms")
		env["HUAWEICLOUD_AUTH_TOKEN"] = secretToken
		createJob(t, env, "shop") // not waited for: its job keeps the instance busy
		r := runCLI(t, env, "create", "--instance-id", instanceID, "--source-instance-id", sourceInstanceID,
			"--source-database", "sales", "--wait", "--poll-interval", testPoll, "--output", "json")
		require.Equal(t, exitOK, r.code, r.stderr)
		job, _ := decodeOne(t, r.stdout)["job"].(map[string]any)
		assert.Equal(t, "Completed", job["status"])
	})
}

func TestFakeCommandBehaviourFlagErrors(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	r := runCLIContext(t, ctx, nil, "fake", "--addr", "127.0.0.1:0", "--job-visibility-delay", "-1s")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "--job-visibility-delay must not be negative")
	r = runCLIContext(t, ctx, nil, "fake", "--addr", "127.0.0.1:0", "--one-operation-per-instance=maybe")
	assert.Equal(t, exitUsage, r.code)
}

// runFakeCommand runs 'chreplication fake' in-process with args until the
// environment is printed and returns the printed variables, stdout and
// stderr (read once the fake has stopped, when the test ends).
func runFakeCommand(t *testing.T, args ...string) (map[string]string, *syncBuffer, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"fake", "--quiet"}, args...),
			func(k string) string { return map[string]string{"HUAWEICLOUD_AUTH_TOKEN": secretToken}[k] }, strings.NewReader(""), &stdout, &stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			assert.Equal(t, exitInterrupted, code, "stopped by Ctrl-C (its context), as watch and exporter: %s", stderr.String())
		case <-time.After(5 * time.Second):
			t.Error("the fake did not stop on cancel")
		}
	})
	require.True(t, waitUntil(t, 5*time.Second, func() bool { return strings.Contains(stdout.String(), "# Then,") }),
		"the fake printed no environment: %q %q", stdout.String(), stderr.String())
	return exports(stdout.String()), &stdout, &stderr
}

// TestFakeCommandEveryInterface: on 0.0.0.0 the fake prints an endpoint
// the CLI accepts (the loopback address, same port) and warns on stderr.
func TestFakeCommandEveryInterface(t *testing.T) {
	t.Parallel()
	env, stdout, stderr := runFakeCommand(t, "--addr", "0.0.0.0:0", "--job-duration", "100ms")
	require.Regexp(t, `^http://127\.0\.0\.1:\d+$`, env[envEndpoint])
	assert.NotContains(t, stdout.String(), "0.0.0.0")
	assert.NotContains(t, stdout.String(), "/_fake", "no control routes off loopback")
	_, port, _ := strings.Cut(strings.TrimPrefix(env[envEndpoint], "http://"), ":")
	assert.Equal(t, "chreplication fake: warning: listening on every interface (0.0.0.0:"+port+
		"): anyone who can reach this machine can use the fake and its credentials; the endpoint printed is the loopback address, "+env[envEndpoint]+"\n",
		regexp.MustCompile(`(?m)^.*warning.*\n`).FindString(stderr.String()))
	r := runCLI(t, with(env, "HUAWEICLOUD_AUTH_TOKEN", secretToken), "list", "--instance-id", instanceID)
	assert.Equal(t, exitOK, r.code, r.stderr)
}

// TestFakeCommandControlAndRateLimit: the control routes are served on a
// loopback address, and --rate-limit reaches the fake.
func TestFakeCommandControlAndRateLimit(t *testing.T) {
	t.Parallel()
	env, stdout, _ := runFakeCommand(t, "--addr", "127.0.0.1:0", "--rate-limit", "1000", "--job-duration", "100ms")
	assert.Contains(t, stdout.String(), "# Beyond 1000 requests a second per credential, a request gets 429 "+fake.CodeThrottled)
	assert.Contains(t, stdout.String(), "# Control routes under "+env[envEndpoint]+"/_fake")
	// A control route makes the next job fail: the CLI sees it fail.
	assert.Equal(t, http.StatusNoContent, controlCall(t, env[envEndpoint], "/_fake/jobs/fail-next", `{"reason":"disk full"}`))
	r := runCLI(t, with(env, "HUAWEICLOUD_AUTH_TOKEN", secretToken), "create", "--instance-id", instanceID,
		"--source-instance-id", sourceInstanceID, "--source-database", "shop", "--wait", "--poll-interval", testPoll)
	assert.Equal(t, exitJobFailed, r.code, r.stderr)
	// The rate limit can be changed over the control route too.
	assert.Equal(t, http.StatusNoContent, controlCall(t, env[envEndpoint], "/_fake/rate-limit", `{"per_second":0}`))

	_, stdout, _ = runFakeCommand(t, "--addr", "127.0.0.1:0", "--control=false")
	assert.NotContains(t, stdout.String(), "/_fake")
}

// controlCall posts body to a control route of the fake at endpoint and
// returns the status.
func controlCall(t *testing.T, endpoint, path, body string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, endpoint+path, strings.NewReader(body))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// TestFakeCommandAddrWithoutHost: a bare port is a usage error with the
// address meant, not a failure to listen.
func TestFakeCommandAddrWithoutHost(t *testing.T) {
	t.Parallel()
	r := runCLI(t, nil, "fake", "--addr", "8080")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, `invalid --addr "8080": want host:port: did you mean --addr 127.0.0.1:8080?`)
	r = runCLI(t, nil, "fake", "--addr", "localhost")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, `invalid --addr "localhost": want host:port, such as 127.0.0.1:8080`)
}

func TestFakeCommandFlagErrors(t *testing.T) {
	t.Parallel()
	r := runCLI(t, nil, "fake", "--addr", "0.0.0.0:0", "--control", "--rate-limit", "-1")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "2 problems")
	assert.Contains(t, r.stderr, "--control serves the control routes on a loopback address only")
	assert.Contains(t, r.stderr, "--rate-limit must not be negative")
}

func TestAddrHelpers(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]bool{"0.0.0.0:8080": true, ":8080": true, "[::]:8080": true, "127.0.0.1:8080": false, "10.0.0.1:80": false, "nonsense": false} {
		assert.Equal(t, want, unspecifiedHost(addr), addr)
	}
	for addr, want := range map[string]bool{"127.0.0.1:0": true, "[::1]:80": true, "localhost:80": true, "0.0.0.0:80": false, "10.0.0.1:80": false} {
		assert.Equal(t, want, isLoopbackAddr(addr), addr)
	}
	assert.Equal(t, "http://127.0.0.1:8080", loopbackURL("http://0.0.0.0:8080"))
	assert.Equal(t, "http://127.0.0.1:8080", loopbackURL("http://[::]:8080"))
}
