package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication/fake"
)

// getURL GETs url and returns the status and body; 0 when nothing answered.
func getURL(t *testing.T, url string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	require.NoError(t, err)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

var servingAt = regexp.MustCompile(`msg="serving /metrics and /healthz" address=(127\.0\.0\.1:\d+)`)

func TestExporterCommand(t *testing.T) {
	t.Parallel()
	s := newFake(t, fake.WithJobMode(fake.JobsManual))
	other := newFake(t, fake.WithJobMode(fake.JobsManual), fake.WithProjectID("0123456789abcdef0123456789abcdef"))
	require.NoError(t, s.AddReplication(instanceID, "shop"))
	require.NoError(t, other.AddReplication(otherInstanceID, "sales"))
	require.NoError(t, other.SetReplicationState(otherInstanceID, "sales", fake.ReplicationState{
		Status: fake.StatusAbnormal, Stage: fake.StageFull, CatchupStage: fake.StageFailed, Percentage: 37}))
	file := writeTemp(t, "e.yaml", `
replications:
  - instance_id: `+instanceID+`
    source_instance_id: `+sourceInstanceID+`
    databases: [shop]
  - instance_id: `+otherInstanceID+`
    source_instance_id: `+sourceInstanceID+`
    databases: [sales]
    endpoint: `+other.URL()+`
    project_id: `+other.ProjectID()+`
`)
	ctx, interrupt := context.WithCancel(t.Context())
	defer interrupt()
	var stdout, stderr syncBuffer
	done := startCLI(t, ctx, tokenEnv(s), &stdout, &stderr,
		"exporter", "--listen", "127.0.0.1:0", "-f", file, "--refresh", "100ms")

	var base string
	require.True(t, waitUntil(t, watchWait, func() bool {
		m := servingAt.FindStringSubmatch(stderr.String())
		if m != nil {
			base = "http://" + m[1]
		}
		return m != nil
	}), stderr.String())
	code, body := getURL(t, base+"/healthz")
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "ok\n", body)

	var metrics string
	require.True(t, waitUntil(t, watchWait, func() bool {
		_, metrics = getURL(t, base+"/metrics")
		return strings.Contains(metrics, `chreplication_refresh_success{instance_id="`+instanceID+`"} 1`) &&
			strings.Contains(metrics, `chreplication_refresh_success{instance_id="`+otherInstanceID+`"} 1`)
	}), metrics)
	for _, want := range []string{
		`chreplication_replication_normal{database="shop",instance_id="` + instanceID + `"} 1`,
		`chreplication_replication_normal{database="sales",instance_id="` + otherInstanceID + `"} 0`,
		`chreplication_replication_info{catchup_stage="failed",database="sales",instance_id="` + otherInstanceID + `",stage="full",status="abnormal"} 1`,
		`chreplication_replication_percentage{database="sales",instance_id="` + otherInstanceID + `"} 37`,
		`chreplication_last_refresh_timestamp_seconds{instance_id="` + instanceID + `"} `,
	} {
		assert.Contains(t, metrics, want)
	}
	// Both places' requests are counted, as their fakes saw them (or fewer:
	// a look may have ended between the scrape and the count).
	m := regexp.MustCompile(`chreplication_api_requests_total\{code="200",operation="ListClickHouseDataBaseReplication"\} (\d+)`).FindStringSubmatch(metrics)
	require.NotNil(t, m, metrics)
	assert.NotEqual(t, "0", m[1])

	interrupt()
	assert.Equal(t, exitInterrupted, exitOf(t, done), stderr.String())
	assert.Contains(t, stderr.String(), "chreplication exporter: interrupted")
	assert.Empty(t, stdout.String())
	code, _ = getURL(t, base+"/healthz")
	assert.Zero(t, code, "the server stopped")
}

func TestExporterCommandLogsFailedLooks(t *testing.T) {
	t.Parallel()
	s := newFake(t, fake.WithJobMode(fake.JobsManual))
	s.InjectFault(fake.Fault{Operation: opListReplications, Times: -1, Status: 403,
		Body: []byte(`{"error_code":"APIGW.0302","error_msg":"The IAM user is forbidden"}`)})
	// --timeout ends the exporter: exit 0.
	r := runCLI(t, tokenEnv(s), "exporter", "--listen", "127.0.0.1:0", "--instance-id", instanceID, "--refresh", "50ms", "--timeout", "500ms")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "level=WARN")
	assert.Contains(t, r.stderr, "instance_id="+instanceID)
	assert.Contains(t, r.stderr, "APIGW.0302")
	assert.GreaterOrEqual(t, s.RequestCount(opListReplications), 1)
}

func TestExporterCommandUsage(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"nothing", []string{"exporter"}, []string{"missing --instance-id ID", "missing --listen ADDR"}},
		{"bad listen and refresh", []string{"exporter", "--listen", "9108", "--instance-id", instanceID, "--refresh", "-1s"},
			[]string{`invalid --listen "9108"`, "--refresh must be positive"}},
		{"no endpoint", []string{"exporter", "--listen", ":0", "--instance-id", instanceID, "--endpoint", ""}, []string{"--endpoint is empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, tokenEnv(s), tt.args...)
			assert.Equal(t, exitUsage, r.code, r.stderr)
			for _, w := range tt.want {
				assert.Contains(t, r.stderr, w)
			}
		})
	}
	assert.Zero(t, s.RequestCount(opListReplications), "nothing is sent")
}

func TestExporterCommandListenInUse(t *testing.T) {
	t.Parallel()
	s := newFake(t)
	addr := strings.TrimPrefix(s.URL(), "http://") // the fake holds it
	r := runCLI(t, tokenEnv(s), "exporter", "--listen", addr, "--instance-id", instanceID)
	assert.Equal(t, exitAPI, r.code, r.stderr)
	assert.Contains(t, r.stderr, "address already in use")
	assert.Zero(t, s.RequestCount(opListReplications), "nothing is sent")
}
