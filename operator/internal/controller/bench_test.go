package controller_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/fake"
	v1alpha1 "github.com/gaussdb-tools/chreplication/operator/api/v1alpha1"
	"github.com/gaussdb-tools/chreplication/operator/internal/controller"
)

// Budgets of BenchmarkOperatorFleet, those of the CLI's fleet benchmark
// (bench/fleet_test.go).
const (
	operatorMaxFloorRatio     = 1.5
	operatorMaxThrottledShare = 0.10
)

// BenchmarkOperatorFleet: 500 ClickHouseReplication resources over 50
// instances (10 databases each), none of whose tasks exists, created at
// once on a real API server; the manager's clients have a budget of 20
// requests a second (--rate-limit 20), the fake's gateway throttles beyond
// 20 a second, its jobs take 2 s, show after 0.5 s and keep their
// instance busy. It reports the time from the first resource created to
// all Ready, against the floor as the CLI's fleet benchmark defines it:
// the longer of the busiest instance's jobs one after the other and
// (creates + one list per instance + one look per job) ÷ 20. Budget: ≤ 1.5×
// the floor, ≤ 10% of the requests throttled, every database created
// exactly once (counted at the fake). Run it once: -benchtime 1x.
func BenchmarkOperatorFleet(b *testing.B) {
	const (
		instances, databases = 50, 10
		rate                 = 20
		job                  = 2 * time.Second
	)
	for b.Loop() {
		e := start(b, true, fake.WithRateLimit(rate), fake.WithJobDuration(job), fake.WithJobVisibilityDelay(job/4),
			fake.WithOneOperationPerInstance(), fake.WithRequestLogSize(1<<20))
		e.stop()
		e.opts = []chreplication.Option{chreplication.WithRateLimit(rate, 1)}
		e.poll = job / 4
		dbs := make([]string, databases)
		for d := range dbs {
			dbs[d] = fmt.Sprintf("db%d", d)
		}
		for i := range instances {
			if err := e.srv.SetSourceDatabases(fmt.Sprintf("fleet%04din16", i), dbs...); err != nil {
				b.Fatal(err)
			}
		}
		e.manager(b, nil)
		ctx := context.Background()
		began := time.Now()
		for i := range instances {
			for d := range databases {
				r := replication(fmt.Sprintf("fleet-%d-%d", i, d), dbs[d])
				r.Spec.InstanceID = fmt.Sprintf("fleet%04din16", i)
				if err := e.c.Create(ctx, r); err != nil {
					b.Fatal(err)
				}
			}
		}
		tasks := instances * databases
		deadline := began.Add(10 * time.Minute)
		var took time.Duration
		for {
			var list v1alpha1.ClickHouseReplicationList
			if err := e.c.List(ctx, &list); err != nil {
				b.Fatal(err)
			}
			done := 0
			for i := range list.Items {
				if ready(controller.ReasonUpToDate)(&list.Items[i]) {
					done++
				}
			}
			if done == tasks {
				took = time.Since(began)
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("%d of %d Ready after 10 minutes", done, tasks)
			}
			time.Sleep(100 * time.Millisecond)
		}

		byAnswer := map[string]int{}
		var first, last time.Time
		created := map[string]int{}
		requests, throttled, looks, lists := 0, 0, 0, 0
		for _, r := range e.srv.Requests() {
			requests++
			if first.IsZero() {
				first = r.Time
			}
			last = r.Time
			byAnswer[fmt.Sprintf("%s %d", r.Operation, r.Status)]++
			if r.Throttled {
				throttled++
			}
			switch r.Operation {
			case opCreate:
				if r.Status == http.StatusOK {
					created[r.Path+" "+string(r.Body)]++
				}
			case "ShowGaussMySqlJobInfo":
				looks++
			case "ListClickHouseDataBaseReplication":
				lists++
			}
		}
		once := len(created) == tasks
		for _, n := range created {
			once = once && n == 1
		}
		serial := time.Duration(databases) * job
		byRate := time.Duration(float64(tasks+instances+tasks) / rate * float64(time.Second))
		floor := max(serial, byRate)
		ratio := took.Seconds() / floor.Seconds()
		share := float64(throttled) / float64(requests)
		b.ReportMetric(took.Seconds(), "s-ready")
		b.ReportMetric(floor.Seconds(), "s-floor")
		b.ReportMetric(ratio, "x-floor")
		b.ReportMetric(float64(requests)/float64(tasks), "req/resource")
		b.ReportMetric(float64(looks)/float64(tasks), "looks/job")
		b.ReportMetric(100*share, "%throttled")
		verdict := func(ok bool) string {
			if ok {
				return "PASS"
			}
			return "MISS"
		}
		name := fmt.Sprintf("%dx%d@%d", instances, databases, rate)
		b.Logf("%s: %d resources Ready in %v (floor %v: jobs one after the other %v, requests at %d/s %v): %.2f× the floor [%s ≤ %.1f×]",
			name, tasks, took.Round(100*time.Millisecond), floor.Round(100*time.Millisecond), serial, rate, byRate.Round(100*time.Millisecond),
			ratio, verdict(ratio <= operatorMaxFloorRatio), operatorMaxFloorRatio)
		b.Logf("%s: %d requests, %.2f a resource (%d lists, %.2f looks a job), %d throttled (%.1f%%) [%s ≤ %.0f%%]; created exactly once: %d of %d at the fake [%s]",
			name, requests, float64(requests)/float64(tasks), lists, float64(looks)/float64(tasks), throttled, 100*share,
			verdict(share <= operatorMaxThrottledShare), 100*operatorMaxThrottledShare, len(created), tasks, verdict(once))
		b.Logf("%s: the first request %v after the first resource was created, the last %v after; by answer: %v",
			name, first.Sub(began).Round(10*time.Millisecond), last.Sub(began).Round(10*time.Millisecond), byAnswer)
		if !once {
			b.Errorf("%s: a database was created more than once, or not at all", name)
		}
	}
}
