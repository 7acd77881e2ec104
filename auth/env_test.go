package auth

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mapEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

var allEnvVars = []string{
	EnvAccessKey, EnvSecretKey, EnvSecurityToken, EnvProjectID, EnvRegion,
	EnvAuthToken, EnvIAMUser, EnvIAMPassword, EnvIAMDomain, EnvIAMEndpoint,
}

func TestFromLookup(t *testing.T) {
	t.Parallel()
	const (
		sk       = "env-secret-key-value"
		st       = "env-security-token-value"
		token    = "env-auth-token-value"
		password = "env-iam-password-value"
		project  = "0123456789abcdef0123456789abcdef"
	)
	secrets := []string{sk, st, token, password}
	iam := map[string]string{EnvIAMUser: "u", EnvIAMPassword: password, EnvIAMDomain: "d", EnvProjectID: project}
	with := func(base map[string]string, kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for _, tc := range []struct {
		name    string
		env     map[string]string
		check   func(t *testing.T, a Authenticator)
		errHas  []string // error expected when set
		noCreds bool
	}{
		{
			name: "AK/SK",
			env:  map[string]string{EnvAccessKey: "AK", EnvSecretKey: sk},
			check: func(t *testing.T, a Authenticator) {
				equalSecret(t, AKSK{AccessKey: "AK", SecretKey: sk}, a, "the AKSK")
			},
		},
		{
			name: "AK/SK temporary with project, beats token and IAM",
			env: with(iam, EnvAccessKey, "AK", EnvSecretKey, sk, EnvSecurityToken, st,
				EnvAuthToken, token),
			check: func(t *testing.T, a Authenticator) {
				equalSecret(t, AKSK{AccessKey: "AK", SecretKey: sk, SecurityToken: st, ProjectID: project}, a, "the AKSK")
			},
		},
		{name: "AK only", env: map[string]string{EnvAccessKey: "AK", EnvAuthToken: token}, errHas: []string{EnvSecretKey + " is not"}},
		{name: "SK only", env: map[string]string{EnvSecretKey: sk}, errHas: []string{EnvAccessKey + " is not"}},
		{name: "security token only", env: map[string]string{EnvSecurityToken: st}, errHas: []string{EnvAccessKey, EnvSecretKey}},
		{name: "SK with newline", env: map[string]string{EnvAccessKey: "AK", EnvSecretKey: sk + "\n"}, errHas: []string{EnvSecretKey, "control character"}},
		{
			name: "token",
			env:  map[string]string{EnvAuthToken: token, EnvIAMUser: "u"},
			check: func(t *testing.T, a Authenticator) {
				req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, "https://h/", nil)
				require.NoError(t, a.Authenticate(t.Context(), req))
				equalSecret(t, token, req.Header.Get(HeaderAuthToken), "X-Auth-Token")
			},
		},
		{name: "token with CRLF", env: map[string]string{EnvAuthToken: token + "\r\n"}, errHas: []string{EnvAuthToken, "control character"}},
		{
			name: "IAM password with region",
			env:  with(iam, EnvRegion, "cn-north-4"),
			check: func(t *testing.T, a Authenticator) {
				ta, ok := a.(*tokenAuth)
				require.True(t, ok)
				equalSecret(t, PasswordTokenSource{Region: "cn-north-4", Domain: "d", User: "u", Password: password, ProjectID: project}, ta.src.src, "the PasswordTokenSource")
			},
		},
		{
			name: "IAM password with endpoint",
			env:  with(iam, EnvIAMEndpoint, "https://iam.example.com"),
			check: func(t *testing.T, a Authenticator) {
				assert.Equal(t, "https://iam.example.com", a.(*tokenAuth).src.src.(PasswordTokenSource).Endpoint)
			},
		},
		{name: "IAM without password", env: with(iam, EnvIAMPassword, ""), errHas: []string{EnvIAMPassword + " not set"}},
		{name: "IAM without project", env: with(iam, EnvProjectID, " "), errHas: []string{EnvProjectID + " not set"}},
		{name: "IAM domain only", env: map[string]string{EnvIAMDomain: "d"}, errHas: []string{EnvIAMUser + ", " + EnvIAMPassword + ", " + EnvProjectID + " not set"}},
		{name: "IAM bad region", env: with(iam, EnvRegion, "x/../y"), errHas: []string{"region"}},
		{name: "IAM plain http", env: with(iam, EnvIAMEndpoint, "http://iam.example.com"), errHas: []string{"plain http"}},
		{name: "nothing", env: map[string]string{}, noCreds: true, errHas: []string{EnvAccessKey, EnvSecretKey, EnvSecurityToken, EnvAuthToken, EnvIAMUser, EnvIAMPassword, EnvIAMDomain, EnvProjectID, EnvRegion, EnvIAMEndpoint}},
		{name: "only whitespace", env: map[string]string{EnvAccessKey: " ", EnvSecretKey: "\t", EnvAuthToken: "\n"}, noCreds: true},
		{name: "project and region alone", env: map[string]string{EnvProjectID: project, EnvRegion: "cn-north-4"}, noCreds: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, err := FromLookup(mapEnv(tc.env))
			if tc.check != nil {
				require.NoError(t, err)
				if v, ok := a.(Validator); assert.True(t, ok, "implements Validator") {
					assert.NoError(t, v.Validate())
				}
				tc.check(t, a)
				return
			}
			require.Error(t, err)
			assert.Nil(t, a)
			assert.Equal(t, tc.noCreds, strings.Contains(err.Error(), "no credentials"))
			assert.Equal(t, tc.noCreds, errors.Is(err, ErrNoCredentials), "wraps ErrNoCredentials")
			for _, s := range tc.errHas {
				hasText(t, err.Error(), s)
			}
			lacksText(t, err.Error(), "auth: auth:")
			assertErrNoSecret(t, err, secrets...)
		})
	}
}

// TestFromEnv changes the process environment: not parallel.
func TestFromEnv(t *testing.T) {
	for _, k := range allEnvVars {
		t.Setenv(k, "")
	}
	_, err := FromEnv()
	require.True(t, isErr(t, err, ErrNoCredentials))

	t.Setenv(EnvAuthToken, "from-the-environment")
	a, err := FromEnv()
	require.NoError(t, err)
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, "https://h/", nil)
	require.NoError(t, a.Authenticate(t.Context(), req))
	equalSecret(t, "from-the-environment", req.Header.Get(HeaderAuthToken), "X-Auth-Token")

	a, err = FromLookup(nil) // nil means os.Getenv
	require.NoError(t, err)
	st, ok := a.(staticToken)
	require.True(t, ok, "a StaticToken")
	equalSecret(t, "from-the-environment", st.token(), "the StaticToken's token")
}
