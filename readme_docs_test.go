package chreplication

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestREADMEAsANewUserReadsIt: the README's commands work as pasted, and
// what it says of the service matches the client.
func TestREADMEAsANewUserReadsIt(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("README.md")
	require.NoError(t, err)
	readme := string(b)

	// The TypeScript section starts in an empty folder: npm pkg set needs a
	// package.json, which npm init makes.
	_, ts, ok := strings.Cut(readme, "### Generating a TypeScript client")
	require.True(t, ok)
	block, _, ok := strings.Cut(ts, "\n```\n")
	require.True(t, ok)
	var npm []string
	for line := range strings.Lines(block) {
		if strings.HasPrefix(line, "npm ") {
			npm = append(npm, strings.Fields(line)[1])
		}
	}
	require.NotEmpty(t, npm)
	assert.Equal(t, "init", npm[0], "the first npm command makes the package.json the others need")

	// The TypeScript helpers' busy codes are the client's.
	m := regexp.MustCompile(`export const busyCodes: readonly string\[\] = \[([^\]]*)\]`).FindStringSubmatch(readme)
	require.NotNil(t, m)
	var tsCodes []string
	for _, q := range strings.Split(m[1], ",") {
		tsCodes = append(tsCodes, strings.Trim(strings.TrimSpace(q), `"`))
	}
	var goCodes []string
	for c := range busyCodes {
		goCodes = append(goCodes, c)
	}
	goCodes = append(goCodes, codeBeingOperated)
	slices.Sort(tsCodes)
	slices.Sort(goCodes)
	assert.Equal(t, slices.Compact(goCodes), tsCodes)

	// The Terraform section says that TF_CLI_CONFIG_FILE replaces ~/.tofurc.
	_, tf, ok := strings.Cut(readme, "## Terraform / OpenTofu")
	require.True(t, ok)
	assert.Regexp(t, `(?s)When .TF_CLI_CONFIG_FILE. is set, OpenTofu reads that file instead of\s+.~/.tofurc.`, tf)

	// The Install section builds the CLI from a clone.
	_, install, ok := strings.Cut(readme, "## Install")
	require.True(t, ok)
	install, _, ok = strings.Cut(install, "\n## ")
	require.True(t, ok)
	assert.Contains(t, install, "go build -o chreplication ./cmd/chreplication")
}
