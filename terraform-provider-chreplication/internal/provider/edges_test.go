package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	acc "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/fake"
)

const (
	opList      = "ListClickHouseDataBaseReplication"
	opConfig    = "ListClickHouseDataBaseReplicationConfig"
	otherSource = "77aa4096cb824a61b93dab5ca00ecc8fin07"
)

// finishJobsOnceSeen starts, on a fake whose jobs are manual, a goroutine
// that waits until seen reports true, then finishes every job every 10ms
// until the test ends: the jobs run until what the test needs has
// happened, and no later wait (a destroy's) hangs.
func finishJobsOnceSeen(t *testing.T, srv *fake.Server, seen func() bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	wg.Go(func() {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		started := false
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			started = started || seen()
			if started {
				srv.FinishJobs()
			}
		}
	})
}

// TestAccReplicationSourceConflict: a task of the database that replicates
// from another source is one clear error; nothing is sent, nothing is
// stored (the next plan creates the resource, it is not tainted).
func TestAccReplicationSourceConflict(t *testing.T) {
	srv := accServer(t)
	require.NoError(t, srv.AddReplicationFrom(accInstance, "legacy", otherSource, ""))
	acc.Test(t, acc.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accFactories(srv, nil),
		Steps: []acc.TestStep{
			{
				Config:      replicationConfig(srv, "legacy", ""),
				ExpectError: regexp.MustCompile(`(?s)already has a task of another source.*replicated\s+from\s+instance\s+` + otherSource + `,\s+not\s+from\s+instance\s+` + accSource + `.*create_before_destroy`),
			},
			{
				PreConfig: func() {
					assert.Zero(t, srv.RequestCount(opCreate), "nothing was sent")
				},
				Config:             replicationConfig(srv, "legacy", ""),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
				// The plan without refresh shows the stored state as it is.
				ConfigPlanChecks: acc.ConfigPlanChecks{PostApplyPreRefresh: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(res, plancheck.ResourceActionCreate),
				}},
			},
		},
	})
}

// TestAccReplicationAdoptsATaskStillBeingCreated: the provider adopts a
// task of the configured source whose create job is still running; it
// follows it, and its create fails when the task turns abnormal.
func TestAccReplicationAdoptsATaskStillBeingCreated(t *testing.T) {
	srv := accServer(t, fake.WithJobMode(fake.JobsManual))
	c, err := fakeClient(srv)
	require.NoError(t, err)
	srv.FailNextJob("source binlog is disabled")
	_, err = c.CreateReplication(t.Context(), accInstance, chreplication.CreateReplicationRequest{SourceInstanceID: accSource, SourceDatabase: "shop"})
	require.NoError(t, err)
	lists := srv.RequestCount(opList)
	// The jobs end once the provider has adopted the task (read its
	// source) and looked at it twice more.
	finishJobsOnceSeen(t, srv, func() bool {
		return srv.RequestCount(opConfig) >= 1 && srv.RequestCount(opList) >= lists+3
	})
	acc.Test(t, acc.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accFactories(srv, nil),
		Steps: []acc.TestStep{
			{
				Config:      replicationConfig(srv, "shop", ""),
				ExpectError: regexp.MustCompile(`(?s)The create of database "shop".*failed.*turned abnormal`),
			},
		},
	})
	assert.Zero(t, srv.RequestCount(opCreate)-1, "the provider sent no create of its own")
}

// TestAccReplicationCreateTimeout: timeouts.create running out is one
// error naming it.
func TestAccReplicationCreateTimeout(t *testing.T) {
	srv := accServer(t, fake.WithJobMode(fake.JobsManual))
	// The jobs end once the provider gave up (the test's second step).
	var once sync.Once
	done := make(chan struct{})
	finishJobsOnceSeen(t, srv, func() bool {
		select {
		case <-done:
			return true
		default:
			return false
		}
	})
	cfg := strings.Replace(replicationConfig(srv, "sales", `{ mode = "black_list", tables = ["x"] }`),
		"database ", "timeouts {\n    create = \"2s\"\n  }\n  database ", 1)
	acc.Test(t, acc.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accFactories(srv, nil),
		Steps: []acc.TestStep{
			{
				Config:      cfg,
				ExpectError: regexp.MustCompile(`(?s)The create of database "sales" on instance \S+ did not finish within\s+timeouts.create \(2s\)`),
			},
			{
				PreConfig:          func() { once.Do(func() { close(done) }) },
				Config:             cfg,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
				// The plan without refresh shows the stored state as it
				// is: the task (tainted, replaced) as the service held it,
				// no table excluded, not the configuration's ["x"].
				ConfigPlanChecks: acc.ConfigPlanChecks{PostApplyPreRefresh: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(res, plancheck.ResourceActionReplace),
					storedTables{res, 0},
				}},
			},
		},
	})
}

// createOnce runs the resource's Create for database with tables excluded
// and a create timeout, against srv.
func createOnce(t *testing.T, srv *fake.Server, database string, timeout string, tables ...string) (*replicationModel, []string) {
	t.Helper()
	ctx := t.Context()
	c, err := fakeClient(srv)
	require.NoError(t, err)
	r := &replicationResource{data: &clientData{client: c,
		wait:   []chreplication.WaitOption{chreplication.WithPollInterval(20*time.Millisecond, 100*time.Millisecond)},
		ensure: []chreplication.EnsureOption{chreplication.WithConfirmWait(time.Second)}}}
	var sresp resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &sresp)
	sch := sresp.Schema
	plan := tfsdk.Plan{Schema: sch, Raw: tftypes.NewValue(sch.Type().TerraformType(ctx), nil)}
	set := func(p path.Path, v any) { require.False(t, plan.SetAttribute(ctx, p, v).HasError(), p.String()) }
	set(path.Root("instance_id"), accInstance)
	set(path.Root("source_instance_id"), accSource)
	set(path.Root("source_node_id"), "")
	set(path.Root("database"), database)
	elems := make([]string, len(tables))
	copy(elems, tables)
	set(path.Root("table_scope"), scopeValue(chreplication.TableScope{Mode: chreplication.ScopeExclude, Tables: elems}))
	set(path.Root("timeouts").AtName("create"), timeout)
	for _, a := range []string{"id", "status", "stage", "catchup_stage", "target_database"} {
		set(path.Root(a), types.StringUnknown())
	}
	set(path.Root("percentage"), types.Int64Unknown())
	resp := resource.CreateResponse{State: tfsdk.State{Schema: sch, Raw: plan.Raw.Copy()}}
	r.Create(ctx, resource.CreateRequest{Plan: plan}, &resp)
	var errs []string
	for _, d := range resp.Diagnostics.Errors() {
		errs = append(errs, d.Summary()+": "+d.Detail())
	}
	if resp.State.Raw.IsNull() {
		return nil, errs
	}
	var m replicationModel
	require.False(t, resp.State.Get(ctx, &m).HasError())
	return &m, errs
}

// TestCreateTimeoutOneErrorAndTheServicesState: when timeouts.create runs
// out during the create's job, there is one error, naming the timeout, and
// the state holds what the service holds (no table excluded yet), not the
// configuration's scope.
func TestCreateTimeoutOneErrorAndTheServicesState(t *testing.T) {
	t.Parallel()
	srv := accServer(t, fake.WithJobMode(fake.JobsManual))
	m, errs := createOnce(t, srv, "sales", "300ms", "x")
	require.Len(t, errs, 1, "%q", errs)
	assert.Contains(t, errs[0], "did not finish within timeouts.create (300ms)")
	assert.Equal(t, 1, strings.Count(errs[0], "timeouts.create (300ms)")+strings.Count(errs[0], "Cannot list"), "one error, about the timeout: %s", errs[0])
	require.NotNil(t, m, "the task exists: the state records it")
	assert.Equal(t, scopeValue(chreplication.TableScope{Mode: chreplication.ScopeExclude}), m.TableScope, "what the service holds")
	assert.Equal(t, types.StringValue("full"), m.Stage)
}

// TestAccReplicationCreateAnswered503: one 503 on the create (the fake did
// nothing) is settled on the list and the create goes on within the
// timeout: one task, apply succeeds.
func TestAccReplicationCreateAnswered503(t *testing.T) {
	srv := accServer(t)
	srv.InjectFault(fake.Fault{Operation: opCreate, Status: 503, Body: []byte(`{"error_code":"APIGW.0206","error_msg":"Service unavailable"}`)})
	acc.Test(t, acc.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accFactories(srv, nil),
		CheckDestroy:             checkDestroyed(srv),
		Steps: []acc.TestStep{
			{
				Config:           replicationConfig(srv, "sales", ""),
				ConfigPlanChecks: emptyAfterApply,
				Check: acc.ComposeAggregateTestCheckFunc(
					checkListed(srv, "sales"),
					checkOK(srv, opCreate, 1),
					acc.TestCheckResourceAttr(res, "status", "normal"),
				),
			},
		},
	})
}

// TestAccRateLimitHasNoBurst: rate_limit = 3 against a gateway that allows
// 4 a second: five tasks on one instance and their destroy are never
// throttled (with a burst of one second's worth on top of the rate, the
// first second held up to 6).
func TestAccRateLimitHasNoBurst(t *testing.T) {
	srv := accServer(t, fake.WithRateLimit(4))
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "provider \"chreplication\" {\n  endpoint   = %q\n  project_id = %q\n  rate_limit = 3\n}\n", srv.URL(), srv.ProjectID())
	for i := range 5 {
		fmt.Fprintf(&cfg, "resource \"chreplication_replication\" \"r%d\" {\n  instance_id = %q\n  source_instance_id = %q\n  database = \"db%d\"\n}\n", i, accInstance, accSource, i)
	}
	require.NoError(t, srv.SetSourceDatabases(accInstance, "db0", "db1", "db2", "db3", "db4"))
	throttled := func() int {
		n := 0
		for _, r := range srv.Requests() {
			if r.Throttled {
				n++
			}
		}
		return n
	}
	acc.Test(t, acc.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accFactories(srv, nil),
		CheckDestroy: func(s *terraform.State) error {
			if n := throttled(); n != 0 {
				return fmt.Errorf("%d requests throttled by the end of destroy", n)
			}
			return checkDestroyed(srv)(s)
		},
		Steps: []acc.TestStep{
			{
				Config: cfg.String(),
				Check: func(*terraform.State) error {
					if n := throttled(); n != 0 {
						return fmt.Errorf("%d requests throttled", n)
					}
					return nil
				},
			},
		},
	})
}

// TestAccCredentialsInTheBlockAndAPlacePerResource: auth_token in the
// provider block (nothing in the environment), and a resource whose
// project_id is not the provider's.
func TestAccCredentialsInTheBlockAndAPlacePerResource(t *testing.T) {
	srv := accServer(t)
	const otherProject = "0123456789abcdef0123456789abcdef"
	cfg := fmt.Sprintf(`provider "chreplication" {
  endpoint   = %q
  project_id = %q
  auth_token = %q
}
resource "chreplication_replication" "r" {
  instance_id        = %q
  source_instance_id = %q
  database           = "sales"
  project_id         = %q
}
`, srv.URL(), otherProject, srv.Token(), accInstance, accSource, srv.ProjectID())
	acc.Test(t, acc.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accFactories(srv, env{}),
		CheckDestroy:             checkDestroyed(srv),
		Steps: []acc.TestStep{
			{
				Config:           cfg,
				ConfigPlanChecks: emptyAfterApply,
				Check: acc.ComposeAggregateTestCheckFunc(
					checkListed(srv, "sales"),
					acc.TestCheckResourceAttr(res, "project_id", srv.ProjectID()),
					checkNoSecret(srv.Token()),
				),
			},
		},
	})
	for _, r := range srv.Requests() {
		assert.Contains(t, r.Path, "/v3/"+srv.ProjectID()+"/", "every request names the resource's project")
	}
}

// storedTables checks the table scope's tables the stored state holds for
// a resource (the "before" of its change).
type storedTables struct {
	addr string
	want int
}

func (c storedTables) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Address != c.addr {
			continue
		}
		before, _ := rc.Change.Before.(map[string]any)
		scope, _ := before["table_scope"].(map[string]any)
		tables, ok := scope["tables"].([]any)
		if !ok || len(tables) != c.want {
			resp.Error = fmt.Errorf("the state stores table_scope %v, want %d tables", scope, c.want)
		}
		return
	}
	resp.Error = fmt.Errorf("no change of %s in the plan", c.addr)
}

// TestAccNoCredentialsNamesEveryWay: with no credentials in the block or
// the environment, the error names the block's arguments, the CLI's
// variables and those of Huawei Cloud's own provider.
func TestAccNoCredentialsNamesEveryWay(t *testing.T) {
	srv := accServer(t)
	acc.Test(t, acc.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accFactories(srv, env{}),
		Steps: []acc.TestStep{{
			Config: replicationConfig(srv, "sales", ""),
			ExpectError: regexp.MustCompile(`(?s)no credentials found.*access_key\s+and\s+secret_key.*auth_token.*HUAWEICLOUD_SDK_AK.*` +
				`HW_ACCESS_KEY\s+and\s+HW_SECRET_KEY.*HW_AUTH_TOKEN.*HW_USER_NAME,\s+HW_USER_PASSWORD\s+and\s+HW_DOMAIN_NAME`),
		}},
	})
	assert.Zero(t, srv.RequestCount(""), "nothing was sent")
}
