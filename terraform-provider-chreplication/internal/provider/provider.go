// Package provider is the Terraform and OpenTofu provider "chreplication":
// the resource chreplication_replication (one database synchronised into the
// ClickHouse node of a GaussDB(for MySQL) instance) and the data sources
// chreplication_replications, chreplication_databases and
// chreplication_database_parameters, on top of the chreplication client.
package provider

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/float64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/auth"
)

// Address is the provider's source address, as a configuration's
// required_providers block and a dev_overrides entry name it.
const Address = "registry.opentofu.org/gaussdb-tools/chreplication"

// EnvEndpoint names the API endpoint when neither endpoint nor region is
// configured (as the CLI reads it).
const EnvEndpoint = "HUAWEICLOUD_SDK_ENDPOINT"

// hwAliases are the variables Huawei Cloud's own Terraform provider reads,
// each standing in for the variable auth.FromLookup reads when that one is
// not set.
var hwAliases = map[string]string{
	auth.EnvAccessKey:     "HW_ACCESS_KEY",
	auth.EnvSecretKey:     "HW_SECRET_KEY",
	auth.EnvSecurityToken: "HW_SECURITY_TOKEN",
	auth.EnvAuthToken:     "HW_AUTH_TOKEN",
	auth.EnvProjectID:     "HW_PROJECT_ID",
	auth.EnvRegion:        "HW_REGION_NAME",
	auth.EnvIAMUser:       "HW_USER_NAME",
	auth.EnvIAMPassword:   "HW_USER_PASSWORD",
	auth.EnvIAMDomain:     "HW_DOMAIN_NAME",
}

// chProvider is the provider. Its zero value is not usable: build it with
// New. Its fields other than version are for tests.
type chProvider struct {
	version string
	// getenv reads the environment (os.Getenv when nil).
	getenv func(string) string
	// wait are given to every WaitJob; ensure to every EnsureReplication
	// and EnsureReplicationAbsent; client to every NewClient.
	wait   []chreplication.WaitOption
	ensure []chreplication.EnsureOption
	client []chreplication.Option
}

// New returns a function that makes the provider, for providerserver.Serve;
// version is the provider's version, as the User-Agent and the schema show
// it. The provider it makes reads credentials from the environment each
// time it is configured; it is safe for concurrent use.
func New(version string) func() provider.Provider {
	return func() provider.Provider { return &chProvider{version: version} }
}

// NewWith is New with options given to every client the provider makes,
// such as the tracing and metrics of the OTEL_* environment.
func NewWith(version string, opts ...chreplication.Option) func() provider.Provider {
	return func() provider.Provider { return &chProvider{version: version, client: opts} }
}

var _ provider.Provider = (*chProvider)(nil)

// providerModel is the provider block.
type providerModel struct {
	Region        types.String  `tfsdk:"region"`
	Endpoint      types.String  `tfsdk:"endpoint"`
	ProjectID     types.String  `tfsdk:"project_id"`
	AccessKey     types.String  `tfsdk:"access_key"`
	SecretKey     types.String  `tfsdk:"secret_key"`
	SecurityToken types.String  `tfsdk:"security_token"`
	AuthToken     types.String  `tfsdk:"auth_token"`
	InsecureHTTP  types.Bool    `tfsdk:"insecure_http"`
	RateLimit     types.Float64 `tfsdk:"rate_limit"`
}

// clientData is what resources and data sources get from Configure: the
// client of the provider's place, and those of the places (a project, a
// region) that resources and data sources name, made once each with the
// provider's credentials and rate limit.
type clientData struct {
	client *chreplication.Client
	wait   []chreplication.WaitOption
	ensure []chreplication.EnsureOption

	// make builds the client of another place ("" keeps the provider's
	// project or region).
	make    func(project, region string) (*chreplication.Client, error)
	mu      sync.Mutex
	clients map[[2]string]*chreplication.Client
}

// clientOf returns the client of a resource's or data source's place: the
// provider's when project and region are null or empty.
func (d *clientData) clientOf(project, region types.String) (*chreplication.Client, diag.Diagnostics) {
	var diags diag.Diagnostics
	key := [2]string{project.ValueString(), region.ValueString()}
	if key == [2]string{} || d.make == nil {
		return d.client, diags
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if c, ok := d.clients[key]; ok {
		return c, diags
	}
	c, err := d.make(key[0], key[1])
	if err != nil {
		diags.AddError("Cannot make the client of project "+strconvQuote(key[0])+" in region "+strconvQuote(key[1]), err.Error())
		return nil, diags
	}
	if d.clients == nil {
		d.clients = map[[2]string]*chreplication.Client{}
	}
	d.clients[key] = c
	return c, diags
}

func strconvQuote(s string) string {
	if s == "" {
		return "(the provider's)"
	}
	return strconv.Quote(s)
}

func (p *chProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "chreplication"
	resp.Version = p.version
}

func (p *chProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Manages the synchronization of GaussDB(for MySQL) databases into the instance's ClickHouse node " +
			"(TaurusDB HTAP, \"data synchronization tasks\") through Huawei Cloud's API.\n\n" +
			"Credentials come from the provider block (`access_key` and `secret_key`, with `security_token`, or `auth_token`; " +
			"sensitive, and a provider's configuration is never stored in the state) or, when it sets none, from the environment: " +
			"`HUAWEICLOUD_SDK_AK` and `HUAWEICLOUD_SDK_SK` (with `HUAWEICLOUD_SDK_SECURITY_TOKEN` for temporary credentials), " +
			"or `HUAWEICLOUD_AUTH_TOKEN`, or `HUAWEICLOUD_IAM_USER`, `HUAWEICLOUD_IAM_PASSWORD` and `HUAWEICLOUD_IAM_DOMAIN` " +
			"(optionally `HUAWEICLOUD_SDK_IAM_ENDPOINT`), as the `chreplication` CLI reads them. " +
			"The variables of Huawei Cloud's own provider stand in for them when they are not set: " +
			"`HW_ACCESS_KEY`, `HW_SECRET_KEY`, `HW_SECURITY_TOKEN`, `HW_AUTH_TOKEN`, `HW_USER_NAME`, `HW_USER_PASSWORD`, `HW_DOMAIN_NAME`, " +
			"`HW_REGION_NAME` and `HW_PROJECT_ID`.",
		Attributes: map[string]schema.Attribute{
			"region": schema.StringAttribute{
				MarkdownDescription: "The Huawei Cloud region, such as `cn-north-4`; its endpoint is the service's endpoint there. " +
					"Defaults to `HUAWEICLOUD_SDK_REGION` or `HW_REGION_NAME`. Conflicts with `endpoint`.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.ConflictsWith(path.MatchRoot("endpoint"))},
			},
			"endpoint": schema.StringAttribute{
				MarkdownDescription: "The API endpoint URL, such as `https://gaussdb.cn-north-4.myhuaweicloud.com` " +
					"(or a fake server's `http://127.0.0.1:PORT`). Defaults to `HUAWEICLOUD_SDK_ENDPOINT`. Conflicts with `region`.",
				Optional: true,
			},
			"project_id": schema.StringAttribute{
				MarkdownDescription: "The project ID in the region. Defaults to `HUAWEICLOUD_SDK_PROJECT_ID` or `HW_PROJECT_ID`.",
				Optional:            true,
			},
			"access_key": schema.StringAttribute{
				MarkdownDescription: "The access key (AK) of AK/SK credentials, with `secret_key`. Defaults to `HUAWEICLOUD_SDK_AK` or `HW_ACCESS_KEY`.",
				Optional:            true,
				Sensitive:           true,
			},
			"secret_key": schema.StringAttribute{
				MarkdownDescription: "The secret key (SK) of AK/SK credentials, with `access_key`. Defaults to `HUAWEICLOUD_SDK_SK` or `HW_SECRET_KEY`.",
				Optional:            true,
				Sensitive:           true,
			},
			"security_token": schema.StringAttribute{
				MarkdownDescription: "The security token of temporary AK/SK credentials. Defaults to `HUAWEICLOUD_SDK_SECURITY_TOKEN` or `HW_SECURITY_TOKEN`.",
				Optional:            true,
				Sensitive:           true,
			},
			"auth_token": schema.StringAttribute{
				MarkdownDescription: "An IAM token (`X-Auth-Token`), instead of AK/SK. Defaults to `HUAWEICLOUD_AUTH_TOKEN` or `HW_AUTH_TOKEN`.",
				Optional:            true,
				Sensitive:           true,
			},
			"insecure_http": schema.BoolAttribute{
				MarkdownDescription: "Allow a plain `http://` endpoint on a host that is not loopback (credentials would travel in clear text). " +
					"`http://` to 127.0.0.0/8, ::1 and localhost is always allowed. Default `false`.",
				Optional: true,
			},
			"rate_limit": schema.Float64Attribute{
				MarkdownDescription: "The most requests a second the provider sends to each place (the provider's, and each `project_id` and `region` " +
					"a resource or data source names), all its resources and data sources together (such as `5`), " +
					"evenly spaced, with no burst above it; unset or `0` sends without a limit (a 429 from the gateway slows the provider down in any case).",
				Optional:   true,
				Validators: []validator.Float64{float64validator.AtLeast(0)},
			},
		},
	}
}

func (p *chProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	for name, v := range map[string]interface{ IsUnknown() bool }{
		"region": cfg.Region, "endpoint": cfg.Endpoint, "project_id": cfg.ProjectID,
		"insecure_http": cfg.InsecureHTTP, "rate_limit": cfg.RateLimit,
		"access_key": cfg.AccessKey, "secret_key": cfg.SecretKey, "security_token": cfg.SecurityToken, "auth_token": cfg.AuthToken,
	} {
		if v.IsUnknown() {
			resp.Diagnostics.AddAttributeError(path.Root(name), "Unknown provider setting",
				"The provider's "+name+" depends on a value known only after apply; set it to a value known at plan time.")
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}
	client, err := p.newClient(cfg)
	if err != nil {
		resp.Diagnostics.AddError("Cannot configure the chreplication provider", err.Error())
		return
	}
	data := &clientData{client: client, wait: p.wait, ensure: p.ensure, make: func(project, region string) (*chreplication.Client, error) {
		c := cfg
		if project != "" {
			c.ProjectID = types.StringValue(project)
		}
		if region != "" {
			c.Region, c.Endpoint = types.StringValue(region), types.StringNull()
		}
		return p.newClient(c)
	}}
	resp.ResourceData = data
	resp.DataSourceData = data
}

// credentialLookup is lookup with the provider block's credentials first:
// when the block sets any of them, the environment's credentials are not
// read (a block's access_key never pairs with an environment's secret).
func (p *chProvider) credentialLookup(cfg providerModel) func(string) string {
	env := p.lookup()
	block := map[string]string{
		auth.EnvAccessKey:     cfg.AccessKey.ValueString(),
		auth.EnvSecretKey:     cfg.SecretKey.ValueString(),
		auth.EnvSecurityToken: cfg.SecurityToken.ValueString(),
		auth.EnvAuthToken:     cfg.AuthToken.ValueString(),
	}
	set := false
	for _, v := range block {
		set = set || strings.TrimSpace(v) != ""
	}
	if !set {
		return env
	}
	return func(name string) string {
		switch name {
		case auth.EnvAccessKey, auth.EnvSecretKey, auth.EnvSecurityToken, auth.EnvAuthToken:
			return strings.TrimSpace(block[name])
		case auth.EnvIAMUser, auth.EnvIAMPassword, auth.EnvIAMDomain:
			return ""
		}
		return env(name)
	}
}

// lookup returns the function that reads the environment: a HUAWEICLOUD_*
// variable, or the HW_* variable of Huawei's provider that stands in for it.
func (p *chProvider) lookup() func(string) string {
	getenv := p.getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	return func(name string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		if alias, ok := hwAliases[name]; ok {
			return strings.TrimSpace(getenv(alias))
		}
		return ""
	}
}

// newClient builds the client the configuration and the environment
// describe. Its errors name settings and variables, never their secret
// values.
func (p *chProvider) newClient(cfg providerModel) (*chreplication.Client, error) {
	env := p.credentialLookup(cfg)
	project := cfg.ProjectID.ValueString()
	if project == "" {
		project = env(auth.EnvProjectID)
	}
	region := cfg.Region.ValueString()
	if region == "" && cfg.Endpoint.ValueString() == "" {
		region = env(auth.EnvRegion)
	}
	endpoint := cfg.Endpoint.ValueString()
	switch {
	case endpoint != "":
	case cfg.Region.ValueString() != "":
		ep, err := chreplication.RegionEndpoint(region)
		if err != nil {
			return nil, err
		}
		endpoint = ep
	case env(EnvEndpoint) != "":
		endpoint = env(EnvEndpoint)
	case region != "":
		ep, err := chreplication.RegionEndpoint(region)
		if err != nil {
			return nil, err
		}
		endpoint = ep
	default:
		return nil, errNoEndpoint
	}
	if project == "" {
		return nil, errNoProject
	}
	// The authenticator sees the configured project and region, so that an
	// AK/SK signer sends X-Project-Id and an IAM token is scoped to them.
	a, err := auth.FromLookup(func(name string) string {
		switch name {
		case auth.EnvProjectID:
			return project
		case auth.EnvRegion:
			if region != "" {
				return region
			}
		}
		return env(name)
	})
	if errors.Is(err, auth.ErrNoCredentials) {
		return nil, errNoCredentials
	}
	if err != nil {
		return nil, err
	}
	opts := []chreplication.Option{
		chreplication.WithProjectID(project),
		chreplication.WithAuth(a),
		chreplication.WithUserAgent("terraform-provider-chreplication/" + p.version),
	}
	if cfg.InsecureHTTP.ValueBool() {
		opts = append(opts, chreplication.WithInsecureHTTP())
	}
	if r := cfg.RateLimit.ValueFloat64(); r > 0 {
		// No burst: the requests are spaced 1/r apart, so no second ever
		// holds more than r of them (a burst of r on top of the refill
		// would send up to 2r in the first second).
		opts = append(opts, chreplication.WithRateLimit(r, 1))
	}
	opts = append(opts, p.client...)
	return chreplication.NewClient(endpoint, opts...)
}

type configError string

func (e configError) Error() string { return string(e) }

// errNoCredentials names every way the provider takes credentials; it
// wraps auth.ErrNoCredentials.
var errNoCredentials = fmt.Errorf("%w: set the provider's access_key and secret_key (with security_token for temporary credentials) or auth_token; "+
	"or HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK (HUAWEICLOUD_SDK_SECURITY_TOKEN), or HUAWEICLOUD_AUTH_TOKEN, "+
	"or HUAWEICLOUD_IAM_USER, HUAWEICLOUD_IAM_PASSWORD and HUAWEICLOUD_IAM_DOMAIN with a project; "+
	"or the variables of Huawei Cloud's provider: HW_ACCESS_KEY and HW_SECRET_KEY (HW_SECURITY_TOKEN), HW_AUTH_TOKEN, "+
	"or HW_USER_NAME, HW_USER_PASSWORD and HW_DOMAIN_NAME", auth.ErrNoCredentials)

const (
	errNoEndpoint = configError("no endpoint: set the provider's region or endpoint, or HUAWEICLOUD_SDK_REGION, HW_REGION_NAME or HUAWEICLOUD_SDK_ENDPOINT")
	errNoProject  = configError("no project: set the provider's project_id, or HUAWEICLOUD_SDK_PROJECT_ID or HW_PROJECT_ID")
)

func (p *chProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{newReplicationResource}
}

func (p *chProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{newReplicationsDataSource, newDatabasesDataSource, newParametersDataSource}
}

// Default timeouts of chreplication_replication's operations.
const (
	defaultCreateTimeout = 30 * time.Minute
	defaultUpdateTimeout = 30 * time.Minute
	defaultDeleteTimeout = 30 * time.Minute
)
