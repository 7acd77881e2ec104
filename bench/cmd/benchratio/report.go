package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
)

// Benchmark names, as package bench and package auth spell them.
const (
	baseline        = "baseline"
	facadeToken     = "facade-token"
	benchSign       = "BenchmarkSign"
	benchCached     = "BenchmarkCachedToken"
	benchParallel   = "BenchmarkParallelCreate"
	benchAll        = "BenchmarkAllReplications"
	benchWait       = "BenchmarkWaitJobRequests"
	benchPaired     = "BenchmarkInterleaved"
	benchClientOnly = "BenchmarkClientOnly"
	pairedRatio     = "facade/baseline"
	pairedGenRatio  = "facade/generated"
	goroutinesUnit  = "goroutines"
)

var (
	callOps     = []struct{ op, bench string }{{"create", "BenchmarkCreate"}, {"list", "BenchmarkList"}, {"job", "BenchmarkJob"}}
	contenders  = []string{baseline, "generated", facadeToken, "facade-aksk"}
	scalingSets = []string{"minimal", "fake"}
	scalingNs   = []string{"1000", "10000"}
	waitCaps    = []string{"none", "30s"}
	waitJobs    = []string{"1s", "10s", "100s", "1000s"}
)

// The budgets of issue 6 (see BENCHMARKS.md).
const (
	maxCreateTimeRatio   = 1.15 // the facade over the generated client vs the hand-written call
	maxCreateGenRatio    = 1.10 // the facade vs the generated client used directly
	maxCreateExtraAllocs = 10   // the facade's allocations over the generated client's
	// Tracing and metrics (WithTracerProvider, WithMeterProvider) with a
	// recording SDK provider, against the same facade without them.
	maxTelemetryRatio       = 1.30
	maxTelemetryExtraAllocs = 40
	maxSignNs               = 5000
	maxSignAllocs           = 30
	maxCachedNs             = 100
	maxCachedAllocs         = 0
	minParallelThroughput   = 0.9
	maxConnsPerOp           = 0.01  // at most one new connection per 100 calls
	maxSerialConnsPerOp     = 0.001 // net/http may dial while the last connection is on its way back to the pool
	maxLiveGrowth           = 2.0   // live heap at 10,000 tasks vs at 1,000
)

type budget struct {
	what, measured, limit string
	ok, known             bool
}

// report prints the tables and the budgets, and returns the number of
// budgets missed (or not measured).
func report(w io.Writer, r *results) int {
	n := len(r.runs[callOps[0].bench+"/"+baseline])
	fmt.Fprintf(w, "cpu: %s, GOMAXPROCS %s; medians of %d runs; ratios: median over runs of contender/baseline in the same run\n\n", r.cpu, r.cpus, n)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "call\tcontender\tns/op\ttime ×base\t(min–max)\tallocs/op\tΔallocs\tB/op\tΔB\tconns/op\t")
	for _, op := range callOps {
		base := op.bench + "/" + baseline
		for _, c := range contenders {
			name := op.bench + "/" + c
			if len(r.runs[name]) == 0 {
				fmt.Fprintf(tw, "%s\t%s\t(not run)\t\t\t\t\t\t\t\t\n", op.op, c)
				continue
			}
			lo, hi := r.pairedRange(name, base, "ns/op")
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", op.op, c,
				num(r.median(name, "ns/op")), ratio(r.pairedRatio(name, base, "ns/op")), span(lo, hi),
				num(r.median(name, "allocs/op")), delta(r.median(name, "allocs/op")-r.median(base, "allocs/op")),
				num(r.median(name, "B/op")), delta(r.median(name, "B/op")-r.median(base, "B/op")),
				num(r.median(name, "conns/op")))
		}
	}
	tw.Flush()

	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "32 goroutines, one client\tns/op\tthroughput ×base\t(min–max)\tallocs/op\tconns opened\tconns/op\t")
	pbase := benchParallel + "/" + baseline
	for _, c := range []string{baseline, facadeToken} {
		name := benchParallel + "/" + c
		if len(r.runs[name]) == 0 {
			fmt.Fprintf(tw, "%s\t(not run)\t\t\t\t\t\t\n", c)
			continue
		}
		lo, hi := r.pairedRange(pbase, name, "ns/op") // throughput = 1/time: base/contender
		fmt.Fprintf(tw, "%s (%s goroutines)\t%s\t%s\t%s\t%s\t%s\t%s\t\n", c, num(r.median(name, goroutinesUnit)),
			num(r.median(name, "ns/op")), ratio(r.pairedRatio(pbase, name, "ns/op")), span(lo, hi),
			num(r.median(name, "allocs/op")), num(r.median(name, "conns")), num(r.median(name, "conns/op")))
	}
	tw.Flush()

	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "interleaved, same moment\tbaseline ns/call\tfacade-token ns/call\tfacade/baseline\t(min–max)\t")
	for _, sub := range []string{"create", "create-deadline", "parallel-create"} {
		name := benchPaired + "/" + sub
		vs := r.values(name, pairedRatio)
		lo, hi := minMax(vs)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", sub, num(r.median(name, "baseline-ns/call")), num(r.median(name, "facade-ns/call")),
			ratio(median(vs)), span(lo, hi))
	}
	tw.Flush()

	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "auth micro-benchmark\tns/op\tallocs/op\tB/op\t")
	for _, name := range []string{benchSign, benchCached} {
		if len(r.runs[name]) == 0 {
			fmt.Fprintf(tw, "%s\t(not run)\t\t\t\n", name)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", name, num(r.median(name, "ns/op")), num(r.median(name, "allocs/op")), num(r.median(name, "B/op")))
	}
	tw.Flush()

	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "client's own work (no network)\tcontender\tns/op\tΔns\tallocs/op\tΔallocs\tB/op\t")
	for _, op := range callOps {
		base := benchClientOnly + "/" + op.op + "/" + baseline
		for _, c := range contenders {
			name := benchClientOnly + "/" + op.op + "/" + c
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", op.op, c,
				num(r.median(name, "ns/op")), delta(r.median(name, "ns/op")-r.median(base, "ns/op")),
				num(r.median(name, "allocs/op")), delta(r.median(name, "allocs/op")-r.median(base, "allocs/op")),
				num(r.median(name, "B/op")))
		}
	}
	tw.Flush()

	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "AllReplications\ttasks\tpages\tns/op\tB/op\tB/page\tallocs/op\tlive-B (peak)\t")
	for _, set := range scalingSets {
		for _, n := range scalingNs {
			name := benchAll + "/" + set + "/n=" + n
			if len(r.runs[name]) == 0 {
				fmt.Fprintf(tw, "%s\t%s\t(not run)\t\t\t\t\t\t\n", set, n)
				continue
			}
			pages := r.median(name, "pages")
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", set, n, num(pages), num(r.median(name, "ns/op")),
				num(r.median(name, "B/op")), num(r.median(name, "B/op")/pages), num(r.median(name, "allocs/op")),
				num(r.median(name, "live-B")))
		}
	}
	tw.Flush()

	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "WaitJob (time ÷1000)\tjob takes\trequests/op\tby the schedule\t")
	for _, cp := range waitCaps {
		for _, j := range waitJobs {
			name := benchWait + "/cap=" + cp + "/job=" + j
			fmt.Fprintf(tw, "max interval %s\t%s\t%s\t%s\t\n", cp, j, num(r.median(name, "requests/op")), num(r.median(name, "ideal-requests")))
		}
	}
	tw.Flush()

	fmt.Fprintln(w)
	reportWaiters(w, r)

	budgets := checkBudgets(r)
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "budget\tmeasured\tlimit\tresult")
	missed := 0
	for _, b := range budgets {
		res := "PASS"
		switch {
		case !b.known:
			res, b.measured = "MISS (not measured)", "-"
			missed++
		case !b.ok:
			res = "MISS"
			missed++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", b.what, b.measured, b.limit, res)
	}
	tw.Flush()
	return missed
}

func checkBudgets(r *results) []budget {
	var bs []budget
	add := func(what string, v float64, measured, limit string, ok bool) {
		bs = append(bs, budget{what: what, measured: measured, limit: limit, ok: ok, known: !math.IsNaN(v)})
	}

	create := callOps[0].bench
	t := r.median(benchPaired+"/create", pairedRatio)
	sep := r.pairedRatio(create+"/"+facadeToken, create+"/"+baseline, "ns/op")
	add("facade create (static token): time", t, fmt.Sprintf("%s baseline interleaved (%s run apart)", ratio(t), ratio(sep)),
		fmt.Sprintf("≤ %.2f×", maxCreateTimeRatio), t <= maxCreateTimeRatio)
	tg := r.median(benchPaired+"/create", pairedGenRatio)
	add("facade create (static token) vs generated client: time", tg, fmt.Sprintf("%s generated, interleaved", ratio(tg)),
		fmt.Sprintf("≤ %.2f×", maxCreateGenRatio), tg <= maxCreateGenRatio)
	// The generated client is the engine of every call: its own allocations
	// (request builder, response parser) are the floor, and the facade is
	// judged by what it adds on top of them; both are shown.
	gen := r.median(create+"/generated", "allocs/op")
	d := r.median(create+"/"+facadeToken, "allocs/op") - gen
	add("facade create (static token): allocations", d,
		fmt.Sprintf("generated %s (baseline %s)", delta(d), delta(r.median(create+"/"+facadeToken, "allocs/op")-r.median(create+"/"+baseline, "allocs/op"))),
		fmt.Sprintf("≤ generated +%d", maxCreateExtraAllocs), d <= maxCreateExtraAllocs)

	tr := r.median("BenchmarkTelemetry/interleaved", "traced/plain")
	add("facade create with a recording tracer and meter vs without: time", tr, fmt.Sprintf("%s without, interleaved", ratio(tr)),
		fmt.Sprintf("≤ %.2f×", maxTelemetryRatio), tr <= maxTelemetryRatio)
	ta := r.median("BenchmarkTelemetry/traced", "allocs/op") - r.median("BenchmarkTelemetry/plain", "allocs/op")
	add("facade create with a recording tracer and meter: allocations", ta, fmt.Sprintf("without %s", delta(ta)),
		fmt.Sprintf("≤ without +%d", maxTelemetryExtraAllocs), ta <= maxTelemetryExtraAllocs)

	ns, al := r.median(benchSign, "ns/op"), r.median(benchSign, "allocs/op")
	add("AK/SK signing alone: time", ns, fmt.Sprintf("%.2f µs", ns/1000), fmt.Sprintf("≤ %d µs", maxSignNs/1000), ns <= maxSignNs)
	add("AK/SK signing alone: allocations", al, num(al), fmt.Sprintf("≤ %d", maxSignAllocs), al <= maxSignAllocs)
	ns, al = r.median(benchCached, "ns/op"), r.median(benchCached, "allocs/op")
	add("cached token lookup: time", ns, fmt.Sprintf("%.1f ns", ns), fmt.Sprintf("≤ %d ns", maxCachedNs), ns <= maxCachedNs)
	add("cached token lookup: allocations", al, num(al), fmt.Sprintf("%d", maxCachedAllocs), al <= maxCachedAllocs)

	pbase, pfac := benchParallel+"/"+baseline, benchParallel+"/"+facadeToken
	tp := 1 / r.median(benchPaired+"/parallel-create", pairedRatio)
	tpSep := r.pairedRatio(pbase, pfac, "ns/op")
	add("32 goroutines: facade throughput", tp, fmt.Sprintf("%s baseline interleaved (%s run apart)", ratio(tp), ratio(tpSep)),
		fmt.Sprintf("≥ %.1f×", minParallelThroughput), tp >= minParallelThroughput)
	// Connections must be reused in every run, not in most: the worst run counts.
	g := r.median(pfac, goroutinesUnit)
	conns, perOp := r.worst(pfac, "conns"), r.worst(pfac, "conns/op")
	add("32 goroutines: connections reused", conns,
		fmt.Sprintf("%s opened in the worst run (baseline %s), %s per call at the end", num(conns), num(r.worst(pbase, "conns")), num(perOp)),
		fmt.Sprintf("≤ %s (2 per goroutine), ≤ %g per call", num(2*g), maxConnsPerOp),
		conns <= 2*g && perOp <= maxConnsPerOp)
	serial := 0.0
	for _, op := range callOps {
		for _, c := range contenders {
			serial = math.Max(serial, r.worst(op.bench+"/"+c, "conns/op"))
		}
	}
	add("one call at a time: connections reused", serial, num(serial)+" new per call (most of any contender and run)",
		fmt.Sprintf("≤ %g per call", maxSerialConnsPerOp), serial <= maxSerialConnsPerOp)

	for _, set := range scalingSets {
		small, large := benchAll+"/"+set+"/n="+scalingNs[0], benchAll+"/"+set+"/n="+scalingNs[1]
		ls, ll := r.median(small, "live-B"), r.median(large, "live-B")
		g := ll / ls
		// Live heaps smaller than what decoding one page allocates are
		// bounded by a page whatever their ratio (a few hundred bytes
		// either way are the GC's noise, not pages kept).
		page := r.median(large, "B/op") / r.median(large, "pages")
		add(fmt.Sprintf("AllReplications (%s): memory bounded by a page", set), g,
			fmt.Sprintf("live heap %s B at 10,000, %s B at 1,000 (%.2f×); one page allocates %s B", num(ll), num(ls), g, num(page)),
			fmt.Sprintf("≤ %.0f× (10× if every page were kept), or under one page", maxLiveGrowth), g <= maxLiveGrowth || ll < page)
	}

	var looks, ideals []string
	okWait, known := true, 0.0
	for _, j := range waitJobs {
		name := benchWait + "/cap=none/job=" + j
		got, ideal := r.median(name, "requests/op"), r.median(name, "ideal-requests")
		if math.IsNaN(got) {
			known = math.NaN()
			continue
		}
		looks, ideals = append(looks, num(got)), append(ideals, num(ideal))
		// log2 growth: the documented schedule, give or take the one look
		// that real timers may add or save.
		okWait = okWait && math.Abs(got-ideal) <= 1
	}
	add("WaitJob requests grow with log2 of the job's duration", known,
		strings.Join(looks, ", ")+" requests for 1s, 10s, 100s, 1000s", "the doubling schedule ±1 ("+strings.Join(ideals, ", ")+")", okWait)
	return append(bs, waiterBudgets(r)...)
}

func num(v float64) string {
	switch {
	case math.IsNaN(v):
		return "-"
	case v == math.Trunc(v) || math.Abs(v) >= 100:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 1:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.3g", v)
}

func ratio(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.3f×", v)
}

func span(lo, hi float64) string {
	if math.IsNaN(lo) {
		return "-"
	}
	return fmt.Sprintf("%.2f–%.2f", lo, hi)
}

func delta(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%+.0f", v)
}

func minMax(vs []float64) (lo, hi float64) {
	if len(vs) == 0 {
		return math.NaN(), math.NaN()
	}
	return slices.Min(vs), slices.Max(vs)
}
