package fake_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication/fake"
)

// TestREADMETypeScriptHelpers checks that the READMEs' TypeScript example
// holds the retry helpers of tools/spec/client.ts (which the build
// type-checks) word for word, and that their account of the fake names the
// codes the fake answers.
func TestREADMETypeScriptHelpers(t *testing.T) {
	t.Parallel()
	client, err := os.ReadFile("../tools/spec/client.ts")
	require.NoError(t, err)
	const begin, end = "// Retry helpers: the same code is in tools/spec/client.ts and in README.md.", "// End of the retry helpers."
	ts := string(client)
	i, j := strings.Index(ts, begin), strings.Index(ts, end)
	require.True(t, i >= 0 && j > i, "tools/spec/client.ts has no retry helpers between %q and %q", begin, end)
	helpers := ts[i : j+len(end)]
	// tools/spec/README.md is the README's section "Using the spec from
	// another language" on its own.
	for _, name := range []string{"../README.md", "../tools/spec/README.md"} {
		b, err := os.ReadFile(name)
		require.NoError(t, err)
		readme := string(b)
		assert.Contains(t, readme, "// src/retry.ts\n", name)
		assert.Contains(t, readme, helpers, "%s: src/retry.ts differs from the retry helpers of tools/spec/client.ts", name)
		for _, code := range []string{fake.CodeInvalidParameter, fake.CodeJobNotFound, fake.CodeInstanceBusy} {
			assert.Contains(t, readme, code, name)
		}
	}
}
