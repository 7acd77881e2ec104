package fake_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication/fake"
)

// TestREADMETypeScriptHelpers checks that the README's TypeScript example
// holds the retry helpers of tools/spec/client.ts (which the build
// type-checks) word for word, and that the README's account of the fake
// names the codes the fake answers.
func TestREADMETypeScriptHelpers(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	client, err := os.ReadFile("../tools/spec/client.ts")
	require.NoError(t, err)
	const begin, end = "// Retry helpers: the same code is in tools/spec/client.ts and in README.md.", "// End of the retry helpers."
	ts := string(client)
	i, j := strings.Index(ts, begin), strings.Index(ts, end)
	require.True(t, i >= 0 && j > i, "tools/spec/client.ts has no retry helpers between %q and %q", begin, end)
	helpers := ts[i : j+len(end)]
	assert.Contains(t, string(readme), "// src/retry.ts\n")
	assert.Contains(t, string(readme), helpers, "README.md's src/retry.ts differs from the retry helpers of tools/spec/client.ts")
	for _, code := range []string{fake.CodeInvalidParameter, fake.CodeJobNotFound, fake.CodeInstanceBusy} {
		assert.Contains(t, string(readme), code)
	}
}
