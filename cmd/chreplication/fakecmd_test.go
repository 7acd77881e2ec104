package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
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
			assert.Equal(t, exitOK, code, stderr.String())
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
