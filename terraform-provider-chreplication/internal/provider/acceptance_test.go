package provider

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/auth"
	"github.com/gaussdb-tools/chreplication/fake"
)

// The acceptance tests run a real tofu (TF_ACC_TERRAFORM_PATH; make
// provider sets it, with TF_ACC=1) against the fake server on 127.0.0.1,
// with the provider in-process. Without TF_ACC they are skipped, as
// terraform-plugin-testing does.

const (
	accInstance = "54e42160670e48e789af7075e1efea1fin16"
	accSource   = "ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07"
	accJob      = 100 * time.Millisecond
)

// accPreCheck fails a test that would run a tofu or terraform found on
// PATH: the binary must be named (TF_ACC_TERRAFORM_PATH), so that a run
// never tests another version than the one pinned in tools/tofu. It runs
// only when TF_ACC is set.
func accPreCheck(t *testing.T) {
	t.Helper()
	if os.Getenv("TF_ACC_TERRAFORM_PATH") == "" {
		t.Fatal("TF_ACC is set but TF_ACC_TERRAFORM_PATH is not: run make provider, or name the tofu binary to test with")
	}
}

// accServer starts a fake whose jobs take accJob, and stops it at the end
// of the test.
func accServer(t *testing.T, opts ...fake.Option) *fake.Server {
	t.Helper()
	srv, err := fake.NewServer(append([]fake.Option{fake.WithJobDuration(accJob)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	return srv
}

// accFactories serves the provider in-process, with the fake's token in
// its environment (or e, when given) and short polls.
func accFactories(srv *fake.Server, e env) map[string]func() (tfprotov6.ProviderServer, error) {
	if e == nil {
		e = env{auth.EnvAuthToken: srv.Token()}
	}
	return map[string]func() (tfprotov6.ProviderServer, error){
		"chreplication": func() (tfprotov6.ProviderServer, error) {
			p := &chProvider{
				version: "test",
				getenv:  e.get,
				wait:    []chreplication.WaitOption{chreplication.WithPollInterval(20*time.Millisecond, 200*time.Millisecond)},
				ensure:  []chreplication.EnsureOption{chreplication.WithConfirmWait(2 * time.Second)},
				// A busy instance is asked again sooner than by default.
				client: []chreplication.Option{chreplication.WithRetry(chreplication.RetryPolicy{
					BaseDelay: 50 * time.Millisecond, MaxDelay: 500 * time.Millisecond})},
			}
			return providerserver.NewProtocol6WithError(p)()
		},
	}
}

// providerBlock configures the provider for srv.
func providerBlock(srv *fake.Server) string {
	return fmt.Sprintf("provider \"chreplication\" {\n  endpoint   = %q\n  project_id = %q\n}\n", srv.URL(), srv.ProjectID())
}

// replicationConfig is one chreplication_replication "r" of database, with
// scope as its table_scope attribute ("" leaves it out).
func replicationConfig(srv *fake.Server, database, scope string) string {
	s := providerBlock(srv) + fmt.Sprintf(`
resource "chreplication_replication" "r" {
  instance_id        = %q
  source_instance_id = %q
  database           = %q
`, accInstance, accSource, database)
	if scope != "" {
		s += "  table_scope = " + scope + "\n"
	}
	return s + "}\n"
}

// okCount counts the requests of op the fake answered 200.
func okCount(srv *fake.Server, op string) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Operation == op && r.Status == http.StatusOK {
			n++
		}
	}
	return n
}

// listed returns the databases the fake lists for the instance, sorted.
func listed(srv *fake.Server, instance string) []string {
	var dbs []string
	for _, r := range srv.Replications(instance) {
		if r.SourceDatabase != nil {
			dbs = append(dbs, *r.SourceDatabase)
		}
	}
	slices.Sort(dbs)
	return dbs
}

// checkListed checks the databases the fake lists.
func checkListed(srv *fake.Server, want ...string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if got := listed(srv, accInstance); !slices.Equal(got, want) {
			return fmt.Errorf("the fake lists %v, want %v", got, want)
		}
		return nil
	}
}

// checkNoSecret checks that no attribute in the state holds secret.
func checkNoSecret(secret string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		for name, r := range s.RootModule().Resources {
			for k, v := range r.Primary.Attributes {
				if strings.Contains(v, secret) {
					return fmt.Errorf("%s.%s holds a credential", name, k)
				}
			}
		}
		return nil
	}
}

// checkOK checks how many requests of op the fake answered 200.
func checkOK(srv *fake.Server, op string, want int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if got := okCount(srv, op); got != want {
			return fmt.Errorf("%s answered 200 %d times, want %d", op, got, want)
		}
		return nil
	}
}

const (
	opCreate = "CreateClickHouseDataBaseReplication"
	opDelete = "DeleteClickHouseDataBaseReplication"
	opScope  = "UpdateClickHouseDataBaseConfig"
	res      = "chreplication_replication.r"
)

var emptyAfterApply = resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}}

// TestAccReplicationLifecycle: create, import, a scope update in place, a
// refused mode change, a replace, destroy; every apply is followed by an
// empty plan.
func TestAccReplicationLifecycle(t *testing.T) {
	srv := accServer(t)
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accFactories(srv, nil),
		CheckDestroy:             checkDestroyed(srv),
		Steps: []resource.TestStep{
			{
				Config:            replicationConfig(srv, "sales", ""),
				ConfigPlanChecks:  emptyAfterApply,
				ConfigStateChecks: nil,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(res, "id", accInstance+"/sales"),
					resource.TestCheckResourceAttr(res, "source_node_id", ""),
					resource.TestCheckResourceAttr(res, "status", "normal"),
					resource.TestCheckResourceAttr(res, "target_database", "sales"),
					resource.TestCheckResourceAttr(res, "percentage", "100"),
					resource.TestCheckResourceAttr(res, "table_scope.mode", "black_list"),
					resource.TestCheckResourceAttr(res, "table_scope.tables.#", "0"),
					checkListed(srv, "sales"),
					checkOK(srv, opCreate, 1),
					checkNoSecret(srv.Token()),
				),
			},
			{
				// source_node_id "" is what leaving it out means: no change.
				Config: strings.Replace(replicationConfig(srv, "sales", `{ mode = "black_list", tables = [] }`),
					"database ", "source_node_id     = \"\"\n  database ", 1),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				ResourceName:      res,
				ImportState:       true,
				ImportStateId:     accInstance + "/sales",
				ImportStateVerify: true,
			},
			{
				Config: replicationConfig(srv, "sales", `{ mode = "black_list", tables = ["tmp_log", "audit"] }`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(res, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(res, "table_scope.tables.#", "2"),
					resource.TestCheckTypeSetElemAttr(res, "table_scope.tables.*", "audit"),
					resource.TestCheckTypeSetElemAttr(res, "table_scope.tables.*", "tmp_log"),
					checkScope(srv, "sales", false, "audit", "tmp_log"),
					checkOK(srv, opScope, 1),
					checkOK(srv, opCreate, 1),
				),
			},
			{
				ResourceName:      res,
				ImportState:       true,
				ImportStateId:     accInstance + "/sales",
				ImportStateVerify: true,
			},
			{
				Config:      replicationConfig(srv, "sales", `{ mode = "white_list", tables = ["audit"] }`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`table_scope.mode cannot change`),
			},
			{
				Config: replicationConfig(srv, "orders", ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(res, plancheck.ResourceActionDestroyBeforeCreate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(res, "id", accInstance+"/orders"),
					checkListed(srv, "orders"),
					checkOK(srv, opCreate, 2),
					checkOK(srv, opDelete, 1),
				),
			},
		},
	})
}

// checkScope checks the table scope the fake holds for database.
func checkScope(srv *fake.Server, database string, whiteList bool, tables ...string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		c, err := fakeClient(srv)
		if err != nil {
			return err
		}
		cfg, err := c.ShowReplicationConfig(context.Background(), accInstance, database)
		if err != nil {
			return err
		}
		want := chreplication.ScopeExclude
		if whiteList {
			want = chreplication.ScopeInclude
		}
		got := slices.Sorted(slices.Values(cfg.Scope.Tables))
		if cfg.Scope.Mode != want || !slices.Equal(got, tables) {
			return fmt.Errorf("the fake's scope is %s %v, want %s %v", cfg.Scope.Mode, got, want, tables)
		}
		return nil
	}
}

// fakeClient is a client of srv, outside the provider.
func fakeClient(srv *fake.Server) (*chreplication.Client, error) {
	return chreplication.NewClient(srv.URL(), chreplication.WithProjectID(srv.ProjectID()), chreplication.WithAuth(auth.StaticToken(srv.Token())))
}

// checkDestroyed checks that the fake lists no task of the instance.
func checkDestroyed(srv *fake.Server) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if got := listed(srv, accInstance); len(got) != 0 {
			return fmt.Errorf("after destroy the fake still lists %v", got)
		}
		return nil
	}
}

// TestAccReplicationScopeAtCreate: a new task with tables left out gets
// them through one scope update after its create; white_list is refused at
// plan time.
func TestAccReplicationScopeAtCreate(t *testing.T) {
	srv := accServer(t)
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accFactories(srv, nil),
		CheckDestroy:             checkDestroyed(srv),
		Steps: []resource.TestStep{
			{
				Config:      replicationConfig(srv, "shop", `{ mode = "white_list", tables = ["orders"] }`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`A new task cannot have white_list`),
			},
			{
				Config:      replicationConfig(srv, "shop", `{ mode = "white_list" }`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`must\s+name\s+at\s+least\s+one\s+table\s+when\s+the\s+mode\s+is\s+white_list`),
			},
			{
				Config:      replicationConfig(srv, "shop", `{ mode = "black_list", tables = ["a,b"] }`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`must\s+not\s+contain\s+','`),
			},
			{
				Config:           replicationConfig(srv, "shop", `{ mode = "black_list", tables = ["cache"] }`),
				ConfigPlanChecks: emptyAfterApply,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckTypeSetElemAttr(res, "table_scope.tables.*", "cache"),
					checkScope(srv, "shop", false, "cache"),
					checkOK(srv, opCreate, 1),
					checkOK(srv, opScope, 1),
				),
			},
		},
	})
}

// TestAccReplicationDeletedOutside: a task deleted outside Terraform
// leaves the state at refresh, and the next apply creates it again.
func TestAccReplicationDeletedOutside(t *testing.T) {
	srv := accServer(t)
	cfg := replicationConfig(srv, "inventory", "")
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accFactories(srv, nil),
		CheckDestroy:             checkDestroyed(srv),
		Steps: []resource.TestStep{
			{Config: cfg, Check: checkOK(srv, opCreate, 1)},
			{
				PreConfig: func() { deleteOutside(t, srv, "inventory") },
				Config:    cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(res, plancheck.ResourceActionCreate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					checkListed(srv, "inventory"),
					checkOK(srv, opCreate, 2),
				),
			},
			{
				// A refresh alone: the plan that follows wants the task back.
				PreConfig:          func() { deleteOutside(t, srv, "inventory") },
				RefreshState:       true,
				ExpectNonEmptyPlan: true,
				Check: func(s *terraform.State) error {
					if _, ok := s.RootModule().Resources[res]; ok {
						return fmt.Errorf("%s is still in the state after a refresh", res)
					}
					return nil
				},
			},
		},
	})
}

// deleteOutside deletes the task of database as another tool would, and
// waits for its job.
func deleteOutside(t *testing.T, srv *fake.Server, database string) {
	t.Helper()
	c, err := fakeClient(srv)
	require.NoError(t, err)
	jobID, err := c.DeleteReplication(t.Context(), accInstance, database)
	require.NoError(t, err)
	_, err = c.WaitJob(t.Context(), jobID, chreplication.WithPollInterval(20*time.Millisecond, 200*time.Millisecond))
	require.NoError(t, err)
}

// TestAccReplicationFailedJob: a create whose job ends Failed is an error
// at once, with the service's reason; the task is tainted and the next
// apply replaces it. A task the service shows as abnormal keeps its state
// and shows it in status. A failed scope change is an error too, and the
// next apply sends it again.
func TestAccReplicationFailedJob(t *testing.T) {
	srv := accServer(t)
	cfg := replicationConfig(srv, "sales", "")
	scoped := replicationConfig(srv, "sales", `{ mode = "black_list", tables = ["tmp"] }`)
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accFactories(srv, nil),
		CheckDestroy:             checkDestroyed(srv),
		Steps: []resource.TestStep{
			{
				PreConfig:   func() { srv.FailNextJob("Insufficient disk space on the ClickHouse node.") },
				Config:      cfg,
				ExpectError: regexp.MustCompile(`(?s)create of database "sales".*failed.*Insufficient\s+disk\s+space`),
			},
			{
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(res, plancheck.ResourceActionDestroyBeforeCreate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(res, "status", "normal"),
					checkListed(srv, "sales"),
					checkOK(srv, opCreate, 2),
					checkOK(srv, opDelete, 1),
				),
			},
			{
				PreConfig: func() {
					require.NoError(t, srv.SetReplicationState(accInstance, "sales",
						fake.ReplicationState{Status: fake.StatusAbnormal, Stage: fake.StageIncremental, CatchupStage: fake.StageFailed, Percentage: 40}))
				},
				RefreshState: true,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(res, "status", "abnormal"),
					resource.TestCheckResourceAttr(res, "catchup_stage", "failed"),
					resource.TestCheckResourceAttr(res, "percentage", "40"),
				),
			},
			{
				// An abnormal task is no reason for a change.
				Config:           cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				// A scope change whose job fails is an error; the state keeps
				// the tables the task still has, so the next apply tries again.
				PreConfig:   func() { srv.FailNextJob("Table tmp is being altered.") },
				Config:      scoped,
				ExpectError: regexp.MustCompile(`(?s)table scope change of database "sales".*failed.*Table\s+tmp\s+is\s+being\s+altered`),
			},
			{
				Config: scoped,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(res, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					checkScope(srv, "sales", false, "tmp"),
					checkOK(srv, opScope, 2),
				),
			},
		},
	})
}

// TestAccReplicationFiveOnOneInstance: five tasks of one instance in one
// apply, run in parallel by tofu, all succeed although the instance runs one
// operation at a time; destroy deletes all five the same way.
func TestAccReplicationFiveOnOneInstance(t *testing.T) {
	dbs := []string{"db1", "db2", "db3", "db4", "db5"}
	srv := accServer(t, fake.WithOneOperationPerInstance(), fake.WithSourceDatabases(accInstance, dbs...))
	cfg := providerBlock(srv) + fmt.Sprintf(`
resource "chreplication_replication" "r" {
  count              = 5
  instance_id        = %q
  source_instance_id = %q
  database           = "db${count.index + 1}"
}
`, accInstance, accSource)
	checks := []resource.TestCheckFunc{checkListed(srv, dbs...), checkOK(srv, opCreate, 5)}
	for i, db := range dbs {
		name := fmt.Sprintf("%s.%d", res, i)
		checks = append(checks, resource.TestCheckResourceAttr(name, "database", db), resource.TestCheckResourceAttr(name, "status", "normal"))
	}
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accFactories(srv, nil),
		CheckDestroy: resource.ComposeAggregateTestCheckFunc(
			checkDestroyed(srv),
			func(*terraform.State) error {
				if got := okCount(srv, opDelete); got != 5 {
					return fmt.Errorf("%s answered 200 %d times, want 5", opDelete, got)
				}
				return nil
			}),
		Steps: []resource.TestStep{{
			Config:           cfg,
			ConfigPlanChecks: emptyAfterApply,
			Check:            resource.ComposeAggregateTestCheckFunc(checks...),
		}},
	})
	busy := 0
	for _, r := range srv.Requests() {
		if r.Status == http.StatusConflict {
			busy++
		}
	}
	t.Logf("the instance refused %d writes as busy; each was sent again", busy)
}

// TestAccDataSources reads the three data sources, with AK/SK credentials
// from the variables of Huawei Cloud's own provider and a rate limit.
func TestAccDataSources(t *testing.T) {
	srv := accServer(t)
	require.NoError(t, srv.AddReplication(accInstance, "shop"))
	ak, sk := srv.AccessKey()
	// The provider's rate limit is accepted (its pacing is the client's, tested there).
	cfg := strings.Replace(providerBlock(srv), "}", "  rate_limit = 50\n}", 1) + fmt.Sprintf(`
data "chreplication_replications" "all" {
  instance_id = %[1]q
}
data "chreplication_databases" "all" {
  instance_id = %[1]q
}
data "chreplication_databases" "named" {
  instance_id = %[1]q
  name        = "sales"
}
data "chreplication_database_parameters" "all" {
  instance_id = %[1]q
}
`, accInstance)
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accFactories(srv, env{"HW_ACCESS_KEY": ak, "HW_SECRET_KEY": sk}),
		Steps: []resource.TestStep{{
			Config: cfg,
			Check: resource.ComposeAggregateTestCheckFunc(
				checkNoSecret(sk),
				resource.TestCheckResourceAttr("data.chreplication_replications.all", "replications.#", "1"),
				resource.TestCheckResourceAttr("data.chreplication_replications.all", "replications.0.database", "shop"),
				resource.TestCheckResourceAttr("data.chreplication_replications.all", "replications.0.status", "normal"),
				resource.TestCheckResourceAttr("data.chreplication_databases.all", "databases.#", "4"),
				resource.TestCheckResourceAttr("data.chreplication_databases.named", "databases.#", "1"),
				resource.TestCheckResourceAttr("data.chreplication_databases.named", "databases.0", "sales"),
				resource.TestCheckResourceAttr("data.chreplication_database_parameters.all", "parameters.#", "11"),
				resource.TestCheckTypeSetElemNestedAttrs("data.chreplication_database_parameters.all", "parameters.*",
					map[string]string{"name": "max_sync_threads", "data_type": "Integer", "default": "1", "range": "1-2"}),
				func(*terraform.State) error {
					for _, r := range srv.Requests() {
						if r.Operation != "" && r.AuthHeader != "Authorization" {
							return fmt.Errorf("%s was sent with %q, want an AK/SK signature", r.Operation, r.AuthHeader)
						}
					}
					return nil
				},
			),
		}},
	})
}
