package exporter_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestREADMEScrapeConfig: the README's scrape config is
// deploy/prometheus/prometheus.yml (which make rules checks with promtool)
// without its opening comment.
func TestREADMEScrapeConfig(t *testing.T) {
	t.Parallel()
	cfg, err := os.ReadFile("../deploy/prometheus/prometheus.yml")
	require.NoError(t, err)
	lines := strings.SplitAfter(string(cfg), "\n")
	for len(lines) > 0 && strings.HasPrefix(lines[0], "#") {
		lines = lines[1:]
	}
	body := strings.Join(lines, "")
	require.Contains(t, body, "job_name: chreplication")
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	assert.Contains(t, string(readme), "```yaml\n"+body+"```\n", "README.md's scrape config differs from deploy/prometheus/prometheus.yml")
}
