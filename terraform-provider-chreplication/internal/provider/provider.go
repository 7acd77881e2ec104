// Package provider is the Terraform and OpenTofu provider "chreplication":
// the resource chreplication_replication (one database synchronised into the
// ClickHouse node of a GaussDB(for MySQL) instance) and the data sources
// chreplication_replications, chreplication_databases and
// chreplication_database_parameters, on top of the chreplication client.
package provider

import (
	"context"
	"math"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/float64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
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

var _ provider.Provider = (*chProvider)(nil)

// providerModel is the provider block.
type providerModel struct {
	Region       types.String  `tfsdk:"region"`
	Endpoint     types.String  `tfsdk:"endpoint"`
	ProjectID    types.String  `tfsdk:"project_id"`
	InsecureHTTP types.Bool    `tfsdk:"insecure_http"`
	RateLimit    types.Float64 `tfsdk:"rate_limit"`
}

// clientData is what resources and data sources get from Configure.
type clientData struct {
	client *chreplication.Client
	wait   []chreplication.WaitOption
	ensure []chreplication.EnsureOption
}

func (p *chProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "chreplication"
	resp.Version = p.version
}

func (p *chProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Manages the synchronization of GaussDB(for MySQL) databases into the instance's ClickHouse node " +
			"(TaurusDB HTAP, \"data synchronization tasks\") through Huawei Cloud's API.\n\n" +
			"Credentials come only from the environment, never from the configuration (they would land in the state): " +
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
			"insecure_http": schema.BoolAttribute{
				MarkdownDescription: "Allow a plain `http://` endpoint on a host that is not loopback (credentials would travel in clear text). " +
					"`http://` to 127.0.0.0/8, ::1 and localhost is always allowed. Default `false`.",
				Optional: true,
			},
			"rate_limit": schema.Float64Attribute{
				MarkdownDescription: "The most requests a second the provider sends, all resources and data sources together (such as `5`), " +
					"in bursts of up to one second's worth; unset or `0` sends without a limit.",
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
	data := &clientData{client: client, wait: p.wait, ensure: p.ensure}
	resp.ResourceData = data
	resp.DataSourceData = data
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
	env := p.lookup()
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
		// Bursts of one second's worth of requests, at least one.
		opts = append(opts, chreplication.WithRateLimit(r, max(1, int(math.Ceil(r)))))
	}
	opts = append(opts, p.client...)
	return chreplication.NewClient(endpoint, opts...)
}

type configError string

func (e configError) Error() string { return string(e) }

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
