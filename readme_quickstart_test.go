package chreplication_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication/fake"
)

// TestREADMEQuickStartRunsAgainstTheFake builds the README's "Quick start in
// Go" program as it stands, in a module of its own that uses this checkout,
// and runs it unchanged against the fake, with the endpoint, project and
// token in the environment as `chreplication fake` prints them: it creates
// the replication, follows its job to the end and lists it.
func TestREADMEQuickStartRunsAgainstTheFake(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(readme), "\n## Quick start in Go\n")
	require.True(t, ok, "README.md has no section Quick start in Go")
	m := regexp.MustCompile("(?s)```go\n(.*?)```").FindStringSubmatch(section)
	require.NotNil(t, m, "the Quick start has no go block")
	program := m[1]
	// The program must take the fake's endpoint from the environment, or
	// it would send to the region's endpoint: it is not run then.
	require.True(t, strings.Contains(program, `os.Getenv("HUAWEICLOUD_SDK_ENDPOINT")`), "the Quick start does not read HUAWEICLOUD_SDK_ENDPOINT")

	root, err := os.Getwd()
	require.NoError(t, err)
	dir := t.TempDir()
	// The program's go.mod is this module's requirements (so that, as in
	// this module, the go command loads only the modules the build needs,
	// from the module cache this test's own build filled) and this
	// checkout in place of the client.
	ownMod, err := os.ReadFile("go.mod")
	require.NoError(t, err)
	var reqs []string
	for line := range strings.Lines(string(ownMod)) {
		if !strings.HasPrefix(line, "module ") && !strings.HasPrefix(line, "tool ") {
			reqs = append(reqs, line)
		}
	}
	goMod := "module quickstart\n" + strings.Join(reqs, "") +
		"\nrequire github.com/gaussdb-tools/chreplication v0.0.0\n\n" +
		"replace github.com/gaussdb-tools/chreplication => " + root + "\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(goMod), 0o600))
	sum, err := os.ReadFile("go.sum")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(program), 0o600))

	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	bin := filepath.Join(dir, "quickstart")
	build := exec.CommandContext(ctx, "go", "build", "-mod=readonly", "-o", bin, ".")
	// The module cache has every module the client needs (this test's
	// own build needed them): nothing is fetched.
	build.Dir, build.Env = dir, append(os.Environ(), "GOPROXY=off", "GOFLAGS=", "GOWORK=off")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "building the Quick start: %s", out)

	s, err := fake.NewServer(fake.WithJobDuration(300 * time.Millisecond))
	require.NoError(t, err)
	t.Cleanup(s.Close)
	run := exec.CommandContext(ctx, bin)
	run.Env = append(os.Environ(),
		"HUAWEICLOUD_SDK_ENDPOINT="+s.URL(),
		"HUAWEICLOUD_SDK_PROJECT_ID="+s.ProjectID(),
		"HUAWEICLOUD_AUTH_TOKEN="+s.Token(),
		// Anything that would still leave for another host goes to a
		// closed port on loopback instead.
		"HTTPS_PROXY=http://127.0.0.1:1", "HTTP_PROXY=http://127.0.0.1:1", "NO_PROXY=127.0.0.1,localhost")
	out, err = run.CombinedOutput()
	require.NoError(t, err, "the Quick start against the fake: %s", out)
	assert.Regexp(t, `(?m)^Completed`, string(out), "the job followed to its end")
	assert.Regexp(t, `(?m)^sales normal `, string(out), "the replication, listed")
	assert.Equal(t, 1, s.RequestCount("CreateClickHouseDataBaseReplication"))
}
