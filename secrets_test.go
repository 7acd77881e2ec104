package chreplication

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication/auth"
)

// TestClientPrintsNoSecret: a Client formatted with any verb, or logged
// with slog, shows none of the secrets its authenticator holds.
func TestClientPrintsNoSecret(t *testing.T) {
	t.Parallel()
	const (
		token    = "tok-9f3c1d7e-secret"
		sk       = "sk-4a2b8c6d-secret"
		password = "pw-7e5f3a1b-secret"
	)
	auths := map[string]auth.Authenticator{
		"static token": auth.StaticToken(token),
		"AK/SK":        auth.AKSK{AccessKey: "AKID", SecretKey: sk, SecurityToken: token},
		"IAM password": auth.TokenAuth(auth.PasswordTokenSource{Region: "cn-north-4", Domain: "d", User: "u", Password: password, ProjectID: testProject}),
	}
	for name, a := range auths {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := NewClient("https://gaussdb.cn-north-4.myhuaweicloud.com", WithProjectID(testProject), WithAuth(a))
			require.NoError(t, err)
			var out strings.Builder
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
				fmt.Fprintf(&out, verb+"\n", c)
				fmt.Fprintf(&out, verb+"\n", *c)
			}
			var logged bytes.Buffer
			slog.New(slog.NewJSONHandler(&logged, nil)).Info("client", "client", c, "value", *c)
			slog.New(slog.NewTextHandler(&logged, nil)).Info("client", "client", c, "value", *c)
			all := out.String() + logged.String()
			for _, secret := range []string{token, sk, password} {
				// Not assert.NotContains: its failure message would print the secret.
				if strings.Contains(all, secret) {
					t.Errorf("a secret of %s appears in the formatted client", name)
				}
			}
		})
	}
}

func TestClientString(t *testing.T) {
	t.Parallel()
	c, err := NewClient("https://gaussdb.cn-north-4.myhuaweicloud.com", WithProjectID(testProject), WithAuth(auth.StaticToken(testToken)))
	require.NoError(t, err)
	want := "chreplication.Client{endpoint: https://gaussdb.cn-north-4.myhuaweicloud.com/, project: " + testProject + ", auth: auth.staticToken}"
	if got := fmt.Sprintf("%v", c); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
