package otelenv

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func lookup(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// TestTarget: what each signal's variables select, and what is refused
// (naming the variable, never quoting a header's value).
func TestTarget(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		sig     signal
		url     string // "" when nothing is exported
		wantErr string
	}{
		{name: "nothing set", env: nil, sig: traces},
		{name: "the base endpoint", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318/"}, sig: metrics, url: "http://127.0.0.1:4318/v1/metrics"},
		{name: "the signal's own endpoint, as it is", env: map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://c.example/otlp/t"}, sig: traces, url: "https://c.example/otlp/t"},
		{name: "the other signal's endpoint only", env: map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://c.example/t"}, sig: metrics},
		{name: "none", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_METRICS_EXPORTER": "none"}, sig: metrics},
		{name: "otlp without an endpoint: the default", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, sig: traces, url: "http://localhost:4318/v1/traces"},
		{name: "grpc", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4317", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc"}, sig: traces, wantErr: "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"},
		{name: "an unknown exporter", env: map[string]string{"OTEL_METRICS_EXPORTER": "prometheus"}, sig: metrics, wantErr: "OTEL_METRICS_EXPORTER"},
		{name: "not a URL", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"}, sig: traces, wantErr: "not an http or https URL"},
		{name: "a password in the URL", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://u:secret@c.example"}, sig: traces, wantErr: "must not hold a user name or password"},
		{name: "headers over plain http to a remote host", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c.example:4318", "OTEL_EXPORTER_OTLP_HEADERS": "api-key=secret"}, sig: traces, wantErr: "clear text"},
		{name: "headers over plain http to loopback", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4318", "OTEL_EXPORTER_OTLP_HEADERS": "api-key=secret"}, sig: traces, url: "http://localhost:4318/v1/traces"},
		{name: "a bad header", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://c.example", "OTEL_EXPORTER_OTLP_HEADERS": "api-key=%zzsecret"}, sig: traces, wantErr: `the value of "api-key" is not percent-encoded`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := target(lookup(tc.env), tc.sig)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				assert.NotContains(t, err.Error(), "secret")
				return
			}
			require.NoError(t, err)
			if tc.url == "" {
				assert.Nil(t, got)
				return
			}
			require.NotNil(t, got)
			assert.Equal(t, tc.url, got.url)
		})
	}
}

// TestSetupDisabled: OTEL_SDK_DISABLED wins over everything; an empty
// environment exports nothing and gives no option.
func TestSetupDisabled(t *testing.T) {
	tel, err := Setup(context.Background(), lookup(map[string]string{"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1"}), "x")
	require.NoError(t, err)
	assert.False(t, tel.Enabled())
	assert.Empty(t, tel.Options())
	require.NoError(t, tel.Shutdown(context.Background()))
	tel, err = Setup(context.Background(), lookup(nil), "x")
	require.NoError(t, err)
	assert.False(t, tel.Enabled())
}
