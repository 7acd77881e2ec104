package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/fake"
)

// Distinctive secrets: the fakes of the tests accept them, the CLI gets
// them from the environment, and no output of any test may contain them.
const (
	secretToken    = "tok-S3CRET-b7e1c0ffee9d"
	secretAK       = "AKS3CRETAK0000000001"
	secretSK       = "sk-S3CRET-5a1e7d42aa0b"
	secretPassword = "pw-S3CRET-c4fe0babe123"
	iamDomain      = "demo-domain"
	iamUser        = "demo-user"
)

// secrets are the values checked absent from every output. The access key
// is an identifier rather than a secret, but the CLI has no reason to print
// one from the environment either.
var secrets = []string{secretToken, secretAK, secretSK, secretPassword}

// IDs used by the tests.
const (
	instanceID       = "54e42160670e48e789af7075e1efea1fin16"
	sourceInstanceID = "ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07"
)

// testJobDuration is how long the fakes' jobs take: the tests poll every
// testPoll, so a wait takes about this long.
const (
	testJobDuration = 150 * time.Millisecond
	testPoll        = "20ms"
)

// syncBuffer is a bytes.Buffer safe for a command writing in one goroutine
// while the test reads in another.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newFake starts a fake on 127.0.0.1 that accepts the test secrets, and
// stops it when the test ends.
func newFake(t *testing.T, opts ...fake.Option) *fake.Server {
	t.Helper()
	all := append([]fake.Option{
		fake.WithToken(secretToken),
		fake.WithAccessKey(secretAK, secretSK),
		fake.WithIAMUser(iamDomain, iamUser, secretPassword),
		fake.WithJobDuration(testJobDuration),
	}, opts...)
	s, err := fake.NewServer(all...)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s
}

// tokenEnv is the environment of a user with a token, pointed at s.
func tokenEnv(s *fake.Server) map[string]string {
	return map[string]string{
		envEndpoint:                  s.URL(),
		"HUAWEICLOUD_SDK_PROJECT_ID": s.ProjectID(),
		"HUAWEICLOUD_AUTH_TOKEN":     secretToken,
	}
}

// with returns a copy of env with the pairs (name, value, ...) set; an
// empty value unsets.
func with(env map[string]string, pairs ...string) map[string]string {
	c := make(map[string]string, len(env))
	for k, v := range env {
		c[k] = v
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			delete(c, pairs[i])
		} else {
			c[pairs[i]] = pairs[i+1]
		}
	}
	return c
}

// result is what a run of the CLI left.
type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs the CLI in-process and checks that no secret appears in its
// output, whatever the outcome.
func runCLI(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	return runCLIContext(t, t.Context(), env, args...)
}

func runCLIContext(t *testing.T, ctx context.Context, env map[string]string, args ...string) result {
	t.Helper()
	var stdout, stderr syncBuffer
	getenv := func(name string) string { return env[name] }
	code := run(ctx, args, getenv, strings.NewReader(""), &stdout, &stderr)
	r := result{code: code, stdout: stdout.String(), stderr: stderr.String()}
	assertNoSecrets(t, r.stdout, r.stderr)
	return r
}

func assertNoSecrets(t *testing.T, outputs ...string) {
	t.Helper()
	for _, out := range outputs {
		for _, s := range secrets {
			assert.NotContains(t, out, s, "a secret leaked into the output")
		}
	}
}

// decodeOne decodes stdout, which must hold exactly one JSON document, into
// a generic map (so that the test sees the wire names).
func decodeOne(t *testing.T, stdout string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(stdout))
	var doc map[string]any
	require.NoError(t, dec.Decode(&doc), "stdout is not a JSON object: %q", stdout)
	var extra json.RawMessage
	require.ErrorIs(t, dec.Decode(&extra), io.EOF, "stdout holds more than one JSON document: %q", stdout)
	return doc
}

// createJob creates a replication of database through the CLI and returns
// the job ID.
func createJob(t *testing.T, env map[string]string, database string) string {
	t.Helper()
	r := runCLI(t, env, "create", "--instance-id", instanceID, "--source-instance-id", sourceInstanceID,
		"--source-database", database, "--output", "json")
	require.Equal(t, exitOK, r.code, r.stderr)
	id, _ := decodeOne(t, r.stdout)["job_id"].(string)
	require.NotEmpty(t, id)
	return id
}

// waitUntil polls cond until it holds or the time runs out.
func waitUntil(t *testing.T, d time.Duration, cond func() bool) bool {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return cond()
}

func jobOf(id, status, process string) *chreplication.Job {
	return &chreplication.Job{ID: id, Status: chreplication.JobStatus(status), Process: process}
}
