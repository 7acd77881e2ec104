package provider

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/auth"
)

const testProject = "0123456789abcdef0123456789abcdef"

// env is a fake environment.
type env map[string]string

func (e env) get(name string) string { return e[name] }

func TestSchemaValid(t *testing.T) {
	t.Parallel()
	srv, err := providerserver.NewProtocol6WithError(New("test")())()
	require.NoError(t, err)
	resp, err := srv.GetProviderSchema(t.Context(), &tfprotov6.GetProviderSchemaRequest{})
	require.NoError(t, err)
	for _, d := range resp.Diagnostics {
		assert.NotEqual(t, tfprotov6.DiagnosticSeverityError, d.Severity, "%s: %s", d.Summary, d.Detail)
	}
	assert.Contains(t, resp.ResourceSchemas, "chreplication_replication")
	for _, name := range []string{"chreplication_replications", "chreplication_databases", "chreplication_database_parameters"} {
		assert.Contains(t, resp.DataSourceSchemas, name)
	}
	// A provider's configuration is not stored in the state, but the
	// credentials it takes are sensitive (never shown in a plan or log).
	credentials := 0
	for _, a := range resp.Provider.Block.Attributes {
		if regexp.MustCompile(`(?i)key|secret|token|password`).MatchString(a.Name) {
			credentials++
			assert.True(t, a.Sensitive, "%s is sensitive", a.Name)
			assert.True(t, a.Optional, "%s is optional: the environment stands in for it", a.Name)
		}
	}
	assert.Equal(t, 4, credentials, "access_key, secret_key, security_token, auth_token")
	// No attribute of a resource or data source holds a credential: it
	// would land in the state.
	for name, sch := range resp.ResourceSchemas {
		for _, a := range sch.Block.Attributes {
			assert.NotRegexp(t, `(?i)key|secret|token|password`, a.Name, name)
		}
	}
	for name, sch := range resp.DataSourceSchemas {
		for _, a := range sch.Block.Attributes {
			assert.NotRegexp(t, `(?i)key|secret|token|password`, a.Name, name)
		}
	}
}

func TestLookupAliases(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  env
		want map[string]string
	}{
		{"huaweicloud variables", env{auth.EnvAccessKey: "AK1", auth.EnvSecretKey: "SK1", auth.EnvProjectID: "p1", auth.EnvRegion: "r1"},
			map[string]string{auth.EnvAccessKey: "AK1", auth.EnvSecretKey: "SK1", auth.EnvProjectID: "p1", auth.EnvRegion: "r1"}},
		{"huawei provider variables stand in", env{"HW_ACCESS_KEY": "AK2", "HW_SECRET_KEY": "SK2", "HW_SECURITY_TOKEN": "ST2", "HW_PROJECT_ID": "p2", "HW_REGION_NAME": "r2",
			"HW_USER_NAME": "u", "HW_USER_PASSWORD": "pw", "HW_DOMAIN_NAME": "d"},
			map[string]string{auth.EnvAccessKey: "AK2", auth.EnvSecretKey: "SK2", auth.EnvSecurityToken: "ST2", auth.EnvProjectID: "p2", auth.EnvRegion: "r2",
				auth.EnvIAMUser: "u", auth.EnvIAMPassword: "pw", auth.EnvIAMDomain: "d"}},
		{"huaweicloud variables win", env{auth.EnvAccessKey: "AK1", "HW_ACCESS_KEY": "AK2", auth.EnvProjectID: " ", "HW_PROJECT_ID": "p2"},
			map[string]string{auth.EnvAccessKey: "AK1", auth.EnvProjectID: "p2"}},
		{"token", env{"HW_AUTH_TOKEN": "t2"}, map[string]string{auth.EnvAuthToken: "t2"}},
		{"no alias for other variables", env{"HW_AUTH_URL": "https://iam.example.com/v3", "HW_PASSWORD": "x"},
			map[string]string{auth.EnvIAMEndpoint: "", auth.EnvIAMPassword: ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			look := (&chProvider{getenv: tt.env.get}).lookup()
			for name, want := range tt.want {
				assert.Equal(t, want, look(name), name)
			}
		})
	}
}

func TestNewClient(t *testing.T) {
	t.Parallel()
	const secret = "secret-value-never-shown"
	tests := []struct {
		name         string
		cfg          providerModel
		env          env
		wantEndpoint string
		wantProject  string
		wantErr      string
	}{
		{name: "region from the configuration", cfg: providerModel{Region: types.StringValue("cn-north-4"), ProjectID: types.StringValue(testProject)},
			env: env{auth.EnvAuthToken: secret}, wantEndpoint: "https://gaussdb.cn-north-4.myhuaweicloud.com/", wantProject: testProject},
		{name: "region and project from HW variables", env: env{"HW_REGION_NAME": "tr-west-1", "HW_PROJECT_ID": testProject, "HW_ACCESS_KEY": "AK", "HW_SECRET_KEY": secret},
			wantEndpoint: "https://gaussdbformysql.tr-west-1.myhuaweicloud.com/", wantProject: testProject},
		{name: "endpoint variable before the region variable", env: env{EnvEndpoint: "http://127.0.0.1:1", auth.EnvRegion: "cn-north-4", auth.EnvProjectID: testProject, auth.EnvAuthToken: secret},
			wantEndpoint: "http://127.0.0.1:1/", wantProject: testProject},
		{name: "configured endpoint before every variable", cfg: providerModel{Endpoint: types.StringValue("http://[::1]:8080")},
			env: env{EnvEndpoint: "http://127.0.0.1:1", auth.EnvProjectID: testProject, auth.EnvAuthToken: secret}, wantEndpoint: "http://[::1]:8080/", wantProject: testProject},
		{name: "no endpoint", env: env{auth.EnvProjectID: testProject, auth.EnvAuthToken: secret}, wantErr: "no endpoint"},
		{name: "unknown region", cfg: providerModel{Region: types.StringValue("xx-nowhere-1")}, env: env{auth.EnvProjectID: testProject, auth.EnvAuthToken: secret}, wantErr: "xx-nowhere-1"},
		{name: "no project", cfg: providerModel{Region: types.StringValue("cn-north-4")}, env: env{auth.EnvAuthToken: secret}, wantErr: "no project"},
		{name: "no credentials", cfg: providerModel{Region: types.StringValue("cn-north-4"), ProjectID: types.StringValue(testProject)}, env: env{}, wantErr: "no credentials"},
		{name: "half an AK/SK pair", cfg: providerModel{Region: types.StringValue("cn-north-4"), ProjectID: types.StringValue(testProject)},
			env: env{"HW_SECRET_KEY": secret}, wantErr: auth.EnvSecretKey},
		{name: "plain http to a remote host", cfg: providerModel{Endpoint: types.StringValue("http://example.com"), ProjectID: types.StringValue(testProject)},
			env: env{auth.EnvAuthToken: secret}, wantErr: "clear text"},
		{name: "plain http allowed", cfg: providerModel{Endpoint: types.StringValue("http://example.com"), ProjectID: types.StringValue(testProject), InsecureHTTP: types.BoolValue(true)},
			env: env{auth.EnvAuthToken: secret}, wantEndpoint: "http://example.com/", wantProject: testProject},
		{name: "no credentials names every way", cfg: providerModel{Region: types.StringValue("cn-north-4"), ProjectID: types.StringValue(testProject)}, env: env{},
			wantErr: "access_key and secret_key (with security_token for temporary credentials) or auth_token; or HUAWEICLOUD_SDK_AK"},
		{name: "no credentials names HW variables", cfg: providerModel{Region: types.StringValue("cn-north-4"), ProjectID: types.StringValue(testProject)}, env: env{},
			wantErr: "HW_ACCESS_KEY and HW_SECRET_KEY (HW_SECURITY_TOKEN), HW_AUTH_TOKEN, or HW_USER_NAME, HW_USER_PASSWORD and HW_DOMAIN_NAME"},
		{name: "auth_token in the block", cfg: providerModel{Region: types.StringValue("cn-north-4"), ProjectID: types.StringValue(testProject), AuthToken: types.StringValue(secret)},
			env: env{}, wantEndpoint: "https://gaussdb.cn-north-4.myhuaweicloud.com/", wantProject: testProject},
		{name: "access_key and secret_key in the block", cfg: providerModel{Region: types.StringValue("cn-north-4"), ProjectID: types.StringValue(testProject),
			AccessKey: types.StringValue("AK"), SecretKey: types.StringValue(secret)}, env: env{}, wantEndpoint: "https://gaussdb.cn-north-4.myhuaweicloud.com/", wantProject: testProject},
		{name: "the block's access_key never pairs with the environment's secret", cfg: providerModel{Region: types.StringValue("cn-north-4"), ProjectID: types.StringValue(testProject),
			AccessKey: types.StringValue("AK")}, env: env{auth.EnvSecretKey: secret, auth.EnvAuthToken: secret}, wantErr: auth.EnvAccessKey + " is set but " + auth.EnvSecretKey + " is not"},
		{name: "rate limit", cfg: providerModel{Region: types.StringValue("cn-north-4"), ProjectID: types.StringValue(testProject), RateLimit: types.Float64Value(0.5)},
			env: env{auth.EnvAuthToken: secret}, wantEndpoint: "https://gaussdb.cn-north-4.myhuaweicloud.com/", wantProject: testProject},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := (&chProvider{version: "test", getenv: tt.env.get}).newClient(tt.cfg)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.NotContains(t, err.Error(), secret)
				assert.NotContains(t, fmt.Sprintf("%+v", err), secret)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantEndpoint, c.Endpoint())
			assert.Equal(t, tt.wantProject, c.ProjectID())
		})
	}
}

func TestNewClientNoCredentialsWraps(t *testing.T) {
	t.Parallel()
	_, err := (&chProvider{getenv: env{}.get}).newClient(providerModel{Region: types.StringValue("cn-north-4"), ProjectID: types.StringValue(testProject)})
	assert.ErrorIs(t, err, auth.ErrNoCredentials)
	var inv *chreplication.InvalidRequestError
	assert.False(t, errors.As(err, &inv))
}

// TestCredentialsFromHWVariables: each way of Huawei's provider's variables
// authenticates against the fake.
func TestCredentialsFromHWVariables(t *testing.T) {
	t.Parallel()
	srv := accServer(t)
	ak, sk := srv.AccessKey()
	domain, user, password := srv.IAMUser()
	tests := []struct {
		name       string
		env        env
		authHeader string
	}{
		{"token", env{"HW_AUTH_TOKEN": srv.Token()}, "X-Auth-Token"},
		{"AK/SK", env{"HW_ACCESS_KEY": ak, "HW_SECRET_KEY": sk}, "Authorization"},
		{"IAM password", env{"HW_USER_NAME": user, "HW_USER_PASSWORD": password, "HW_DOMAIN_NAME": domain,
			auth.EnvIAMEndpoint: srv.IAMEndpoint()}, "X-Auth-Token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.env["HW_PROJECT_ID"] = srv.ProjectID()
			c, err := (&chProvider{version: "test", getenv: tt.env.get}).newClient(providerModel{Endpoint: types.StringValue(srv.URL())})
			require.NoError(t, err)
			instance := "inst" + strings.NewReplacer(" ", "", "/", "").Replace(tt.name) // one instance per way
			_, err = c.ListReplications(t.Context(), instance, chreplication.ListOptions{})
			require.NoError(t, err)
			found := false
			for _, r := range srv.Requests() {
				if r.Operation == "ListClickHouseDataBaseReplication" && strings.Contains(r.Path, "/"+instance+"/") {
					found = true
					assert.Equal(t, tt.authHeader, r.AuthHeader)
					assert.True(t, r.Authenticated)
				}
			}
			assert.True(t, found, "the fake saw no list of %s", instance)
		})
	}
}

// TestClientOfPlace: a resource's or data source's project_id and region
// make a client of their own, once, with the provider's credentials; none
// keeps the provider's.
func TestClientOfPlace(t *testing.T) {
	t.Parallel()
	p := &chProvider{version: "test", getenv: env{auth.EnvAuthToken: "tok"}.get}
	cfg := providerModel{Region: types.StringValue("cn-north-4"), ProjectID: types.StringValue(testProject)}
	base, err := p.newClient(cfg)
	require.NoError(t, err)
	made := 0
	d := &clientData{client: base, make: func(project, region string) (*chreplication.Client, error) {
		made++
		c := cfg
		if project != "" {
			c.ProjectID = types.StringValue(project)
		}
		if region != "" {
			c.Region = types.StringValue(region)
		}
		return p.newClient(c)
	}}
	c, diags := d.clientOf(types.StringNull(), types.StringNull())
	require.False(t, diags.HasError())
	assert.Same(t, base, c)
	const other = "0123456789abcdef0123456789abcdef"
	c, diags = d.clientOf(types.StringValue(other), types.StringValue("tr-west-1"))
	require.False(t, diags.HasError())
	assert.Equal(t, other, c.ProjectID())
	assert.Equal(t, "https://gaussdbformysql.tr-west-1.myhuaweicloud.com/", c.Endpoint())
	again, _ := d.clientOf(types.StringValue(other), types.StringValue("tr-west-1"))
	assert.Same(t, c, again, "one client per place")
	assert.Equal(t, 1, made)
}
