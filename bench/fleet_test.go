package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/auth"
	"github.com/gaussdb-tools/chreplication/fake"
	"github.com/gaussdb-tools/chreplication/reconcile"
)

// fleet is one run of BenchmarkFleet: instances × databases to create
// through a gateway that throttles beyond rate requests a second.
type fleet struct {
	instances, databases int
	rate                 int
	job, visibility      time.Duration
	// gateway, when its Limit is set, is the fake's throttle instead of
	// rate a second (fake.WithRateLimit); name says it in the run's name.
	gateway fake.Gateway
	name    string
	// noBudget runs the Applier's clients without WithRateLimit, as apply
	// without --rate-limit: what they know of the gateway comes from its
	// 429s.
	noBudget bool
	// maxRatio is the run's budget of time to converge over the floor
	// (fleetMaxFloorRatio when 0); noBudgetCheck reports a run's figures
	// without judging them.
	maxRatio      float64
	noBudgetCheck bool
}

func (f fleet) String() string {
	if f.name != "" {
		return fmt.Sprintf("%dx%d@%s", f.instances, f.databases, f.name)
	}
	return fmt.Sprintf("%dx%d@%d", f.instances, f.databases, f.rate)
}

// perSecond is the gateway's steady rate, in requests a second.
func (f fleet) perSecond() float64 {
	if f.gateway.Limit > 0 {
		w := f.gateway.Window
		if w <= 0 {
			w = time.Second
		}
		return float64(f.gateway.Limit) / w.Seconds()
	}
	return float64(f.rate)
}

// fleets are the runs and their budgets (BENCHMARKS.md). Jobs take 2 s and
// show after 0.5 s: long enough that waiting well matters, short enough
// that the runs are bound by the request rate (the floor of 200×5 is
// 2200 requests at 20 a second, 110 s).
var fleets = []fleet{
	{instances: 30, databases: 3, rate: 10, job: 2 * time.Second, visibility: 500 * time.Millisecond},
	{instances: 200, databases: 5, rate: 20, job: 2 * time.Second, visibility: 500 * time.Millisecond},
	// Other gateways, and clients with no budget of their own (apply
	// without --rate-limit): a sliding window of 60 a minute that counts
	// the requests it refuses, stating its policy in the 429 as Huawei's
	// gateway does (budget: 0 failed, ≤ 1.3× the floor) or not (reported);
	// and a token bucket of 10 a second.
	{instances: 10, databases: 3, job: 2 * time.Second, visibility: 500 * time.Millisecond, noBudget: true, maxRatio: 1.3,
		name: "60permin-sliding-countsrefused-stated", gateway: fake.Gateway{Kind: fake.GatewaySlidingWindow, Limit: 60, Window: time.Minute, CountRefused: true}},
	{instances: 10, databases: 3, job: 2 * time.Second, visibility: 500 * time.Millisecond, noBudget: true, noBudgetCheck: true,
		name: "60permin-sliding-countsrefused-unstated", gateway: fake.Gateway{Kind: fake.GatewaySlidingWindow, Limit: 60, Window: time.Minute, CountRefused: true, HidePolicy: true}},
	{instances: 30, databases: 3, job: 2 * time.Second, visibility: 500 * time.Millisecond, noBudget: true,
		name: "10persec-tokenbucket-stated", gateway: fake.Gateway{Kind: fake.GatewayTokenBucket, Limit: 10, Window: time.Second}},
	{instances: 30, databases: 3, job: 2 * time.Second, visibility: 500 * time.Millisecond, noBudget: true, noBudgetCheck: true,
		name: "10persec-tokenbucket-unstated", gateway: fake.Gateway{Kind: fake.GatewayTokenBucket, Limit: 10, Window: time.Second, HidePolicy: true}},
}

// Budgets of BenchmarkFleet.
const (
	fleetMaxFloorRatio     = 1.5
	fleetMaxThrottledShare = 0.10
)

// BenchmarkFleet applies a file of N instances × D databases, none of
// which exists, against a fake whose gateway throttles beyond R requests
// a second (fake.WithRateLimit), whose jobs take a few seconds
// (fake.WithJobDuration), show after a delay (fake.WithJobVisibilityDelay)
// and keep their instance busy (fake.WithOneOperationPerInstance). The
// Applier's clients have a budget of R a second (chreplication.WithRateLimit).
// It reports the time to converge (plan and apply), the requests the fake
// saw per database, the share of them it throttled, and the floor: the
// longer of the busiest instance's jobs one after the other and (creates +
// one list per instance + one look per job) ÷ R. Each run is checked: every
// task created exactly once (counted at the fake), time ≤ 1.5× the floor,
// throttled ≤ 10% of the requests. Run it once: -benchtime 1x.
func BenchmarkFleet(b *testing.B) {
	for _, f := range fleets {
		b.Run(f.String(), func(b *testing.B) {
			for b.Loop() {
				runFleet(b, f)
			}
		})
	}
}

func runFleet(b *testing.B, f fleet) {
	b.Helper()
	throttle := fake.WithRateLimit(f.rate)
	if f.gateway.Limit > 0 {
		throttle = fake.WithGateway(f.gateway)
	}
	srv, err := fake.NewServer(fake.WithToken(fleetToken), throttle,
		fake.WithJobDuration(f.job), fake.WithJobVisibilityDelay(f.visibility),
		fake.WithOneOperationPerInstance(), fake.WithRequestLogSize(1<<20))
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()

	var file strings.Builder
	file.WriteString("replications:\n")
	for i := range f.instances {
		fmt.Fprintf(&file, "  - instance_id: fleet%04din16\n    source_instance_id: source%04din07\n    databases: [", i, i)
		for d := range f.databases {
			if d > 0 {
				file.WriteString(", ")
			}
			fmt.Fprintf(&file, "db%d", d)
		}
		file.WriteString("]\n")
	}
	decl, err := reconcile.Parse("fleet.yaml", []byte(file.String()))
	if err != nil {
		b.Fatal(err)
	}
	a, err := reconcile.New(reconcile.Options{
		Endpoint:     srv.URL(),
		ProjectID:    srv.ProjectID(),
		Client:       f.clients,
		Parallel:     f.instances,
		PollInterval: f.job / 4,
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(b.Context(), 20*time.Minute)
	defer cancel()

	out, took := planAndApply(ctx, b, a, decl)

	failed := 0
	for _, ch := range out {
		if ch.Result != reconcile.ResultDone {
			failed++
			if failed <= 3 {
				b.Logf("%s %s: %s %v", ch.InstanceID, ch.Database, ch.Result, ch.Err)
			}
		}
	}
	// Counted at the fake: the creates it accepted, per database.
	created := map[string]int{}
	requests, throttled, looks := 0, 0, 0
	for _, r := range srv.Requests() {
		requests++
		if r.Throttled {
			throttled++
		}
		switch {
		case r.Operation == "CreateClickHouseDataBaseReplication" && r.Status == http.StatusOK:
			var body struct {
				SourceDatabase string `json:"source_database"`
			}
			if err := json.Unmarshal(r.Body, &body); err != nil {
				b.Fatalf("a create the fake accepted: %v", err)
			}
			created[r.Path+" "+body.SourceDatabase]++
		case r.Operation == "ShowGaussMySqlJobInfo":
			looks++
		}
	}
	tasks := f.instances * f.databases
	once := len(created) == tasks
	for _, n := range created {
		once = once && n == 1
	}
	listed := 0
	for i := range f.instances {
		listed += len(srv.Replications(fmt.Sprintf("fleet%04din16", i)))
	}
	once = once && listed == tasks && failed == 0

	serial := time.Duration(f.databases) * f.job
	byRate := time.Duration(float64(tasks+f.instances+tasks) / f.perSecond() * float64(time.Second))
	floor := max(serial, byRate)
	ratio := took.Seconds() / floor.Seconds()
	share := float64(throttled) / float64(requests)

	b.ReportMetric(took.Seconds(), "s-converge")
	b.ReportMetric(floor.Seconds(), "s-floor")
	b.ReportMetric(ratio, "x-floor")
	b.ReportMetric(float64(requests)/float64(tasks), "req/db")
	b.ReportMetric(float64(looks)/float64(tasks), "looks/job")
	b.ReportMetric(100*share, "%throttled")
	verdict := func(ok bool) string {
		switch {
		case f.noBudgetCheck:
			return "reported"
		case ok:
			return "PASS"
		}
		return "MISS"
	}
	maxRatio := f.maxRatio
	if maxRatio == 0 {
		maxRatio = fleetMaxFloorRatio
	}
	b.Logf("%s: %d tasks in %v (floor %v: jobs one after the other %v, requests at %.3g/s %v): %.2f× the floor [%s ≤ %.1f×]",
		f, tasks, took.Round(100*time.Millisecond), floor.Round(100*time.Millisecond), serial, f.perSecond(), byRate.Round(100*time.Millisecond),
		ratio, verdict(ratio <= maxRatio), maxRatio)
	throttledVerdict := verdict(share <= fleetMaxThrottledShare)
	if f.noBudget {
		// Without a budget of their own, the clients learn the gateway from
		// its 429s: the share is reported, not judged.
		throttledVerdict = "reported"
	}
	b.Logf("%s: %d requests, %.2f a database (%.2f looks a job), %d throttled (%.1f%%) [%s ≤ %.0f%%]; created exactly once: %d of %d at the fake, %d listed, %d not done [%s]",
		f, requests, float64(requests)/float64(tasks), float64(looks)/float64(tasks), throttled, 100*share,
		throttledVerdict, 100*fleetMaxThrottledShare, len(created), tasks, listed, failed, verdict(once))
	if f.gateway.Limit == 0 {
		noop(ctx, b, f, srv, a, decl, false, verdict)
		noop(ctx, b, f, srv, a, decl, true, verdict)
	}
}

// noop applies the same file again, the service already matching it, and
// reports what that costs: a list per instance and, unless skip
// (SkipSourceCheck, apply's --no-source-check), a configuration read per
// task to compare its source with the file's. Budget: every change done
// and unchanged, nothing but reads sent, time ≤ 1.5× (its requests ÷ R),
// throttled ≤ 10%.
func noop(ctx context.Context, b *testing.B, f fleet, srv *fake.Server, base *reconcile.Applier, decl *reconcile.Declaration, skip bool, verdict func(bool) string) {
	b.Helper()
	a := base
	if skip {
		var err error
		a, err = reconcile.New(reconcile.Options{
			Endpoint: srv.URL(), ProjectID: srv.ProjectID(), Parallel: f.instances, SkipSourceCheck: true, Client: f.clients,
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	srv.ResetRequests()
	out, took := planAndApply(ctx, b, a, decl)
	unchanged := 0
	for _, ch := range out {
		if ch.Action == reconcile.ActionNone && ch.Result == reconcile.ResultDone {
			unchanged++
		}
	}
	requests, throttled, writes := 0, 0, 0
	for _, r := range srv.Requests() {
		requests++
		if r.Throttled {
			throttled++
		}
		if r.Method != http.MethodGet {
			writes++
		}
	}
	tasks := f.instances * f.databases
	wantRequests := f.instances + tasks
	what := "source checked"
	if skip {
		wantRequests, what = f.instances, "--no-source-check"
	}
	floor := time.Duration(float64(wantRequests) / f.perSecond() * float64(time.Second))
	ratio := took.Seconds() / floor.Seconds()
	b.ReportMetric(took.Seconds(), "s-noop-"+map[bool]string{false: "checked", true: "skipped"}[skip])
	b.Logf("%s: a no-op apply (%s): %d of %d unchanged, %d requests (%d expected: a list per instance%s), %d writes, %d throttled, in %v (floor %v): %.2f× [%s ≤ 1.5×, %s]",
		f, what, unchanged, tasks, requests, wantRequests, map[bool]string{false: " and a configuration per task", true: ""}[skip],
		writes, throttled, took.Round(100*time.Millisecond), floor.Round(100*time.Millisecond), ratio,
		verdict(ratio <= fleetMaxFloorRatio), verdict(unchanged == tasks && writes == 0 && requests == wantRequests+throttled && float64(throttled) <= fleetMaxThrottledShare*float64(requests)))
}

// fleetToken is the fake's token in every run.
const fleetToken = "fleet-token-0123456789"

// clients is the Applier's ClientFunc of a run: the fake's token and, unless
// noBudget, a budget of the gateway's rate.
func (f fleet) clients(endpoint, projectID string) (*chreplication.Client, error) {
	opts := []chreplication.Option{chreplication.WithProjectID(projectID), chreplication.WithAuth(auth.StaticToken(fleetToken))}
	if !f.noBudget {
		opts = append(opts, chreplication.WithRateLimit(float64(f.rate), 1))
	}
	return chreplication.NewClient(endpoint, opts...)
}

// planAndApply plans and applies decl and returns the changes and the time
// both took.
func planAndApply(ctx context.Context, b *testing.B, a *reconcile.Applier, decl *reconcile.Declaration) ([]reconcile.Change, time.Duration) {
	b.Helper()
	began := time.Now()
	plan, err := a.Plan(ctx, decl)
	if err != nil {
		b.Fatal(err)
	}
	return a.Apply(ctx, plan), time.Since(began)
}
