package main

import (
	"fmt"
	"io"
	"math"
	"text/tabwriter"
)

// The waiter comparison: a job of 10s that reports steady progress, waited
// for on the clock by the three waiters at once (package bench's
// BenchmarkWaitJobRealTime) and on the simulated clock of the root
// package's simulation (BenchmarkWaitJobSimulated).
const (
	benchWaitReal = "BenchmarkWaitJobRealTime"
	benchWaitSim  = "BenchmarkWaitJobSimulated/job=linear-10s/waiter="
	waitTookMs    = 10000.0 // the job's duration
)

// The budgets of the waiter (see BENCHMARKS.md).
const (
	maxWaitLagMs      = 300.0 // 3% of 10s
	maxWaitLagShare   = 0.1   // of the doubling waiter's lag
	maxWaitLooks      = 8
	simLagToleranceMs = 0.025 * waitTookMs // the clock may differ from the simulation by this much
	simLooksTolerance = 2
)

var waiterNames = []string{"predictive", "doubling", "fixed-10s"}

// waiterRun is one waiter's numbers: on the clock and simulated.
type waiterRun struct {
	realLag, realLooks, simLag, simLooks float64
}

func (r *results) waiter(name string) waiterRun {
	return waiterRun{
		realLag: r.median(benchWaitReal, name+"-lag-ms"), realLooks: r.median(benchWaitReal, name+"-looks"),
		simLag: r.median(benchWaitSim+name, "lag-ms"), simLooks: r.median(benchWaitSim+name, "looks"),
	}
}

// agrees reports whether the clock gave what the simulation predicted.
func (w waiterRun) agrees() bool {
	return math.Abs(w.realLag-w.simLag) <= simLagToleranceMs && math.Abs(w.realLooks-w.simLooks) <= simLooksTolerance
}

func (w waiterRun) known() bool {
	return !math.IsNaN(w.realLag) && !math.IsNaN(w.realLooks) && !math.IsNaN(w.simLag) && !math.IsNaN(w.simLooks)
}

// reportWaiters prints the comparison of the waiters, on the clock and
// simulated.
func reportWaiters(w io.Writer, r *results) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "WaitJob, steady 10s job\twaiter\tlag on the clock\tlooks\tlag simulated\tlooks\tclock vs simulation\t")
	for _, name := range waiterNames {
		run := r.waiter(name)
		verdict := "MISS"
		switch {
		case !run.known():
			verdict = "(not run)"
		case run.agrees():
			verdict = "PASS"
		}
		fmt.Fprintf(tw, "\t%s\t%s ms\t%s\t%s ms\t%s\t%s\t\n", name, num(run.realLag), num(run.realLooks), num(run.simLag), num(run.simLooks), verdict)
	}
	tw.Flush()
}

// waiterBudgets are the waiter's budgets: WaitJob's lag and looks on the
// clock, and the simulation's agreement with the clock for every waiter.
func waiterBudgets(r *results) []budget {
	p, d := r.waiter("predictive"), r.waiter("doubling")
	limit := math.Min(maxWaitLagMs, maxWaitLagShare*d.realLag)
	bs := []budget{
		{
			what:     "WaitJob, steady 10s job on the clock: lag",
			measured: fmt.Sprintf("%s ms (doubling waiter %s ms)", num(p.realLag), num(d.realLag)),
			limit:    fmt.Sprintf("≤ %.0f ms and ≤ 1/10 of the doubling waiter's", maxWaitLagMs),
			ok:       p.realLag <= limit, known: !math.IsNaN(p.realLag) && !math.IsNaN(d.realLag),
		},
		{
			what:     "WaitJob, steady 10s job on the clock: looks",
			measured: num(p.realLooks), limit: fmt.Sprintf("≤ %d", maxWaitLooks),
			ok: p.realLooks <= maxWaitLooks, known: !math.IsNaN(p.realLooks),
		},
	}
	for _, name := range waiterNames {
		run := r.waiter(name)
		bs = append(bs, budget{
			what: "simulation matches the clock: " + name,
			measured: fmt.Sprintf("lag %s ms vs %s ms simulated, looks %s vs %s",
				num(run.realLag), num(run.simLag), num(run.realLooks), num(run.simLooks)),
			limit: fmt.Sprintf("±%.0f ms, ±%d looks", simLagToleranceMs, simLooksTolerance),
			ok:    run.agrees(), known: run.known(),
		})
	}
	return bs
}
