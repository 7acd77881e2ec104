package main

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

const sample = `goos: linux
goarch: amd64
pkg: github.com/gaussdb-tools/chreplication/bench
cpu: AMD EPYC
BenchmarkCreate/baseline-2  	    8000	     40000 ns/op	         0 conns/op	    9825 B/op	     100 allocs/op
BenchmarkCreate/facade-token-2         	    7437	     42000 ns/op	         0 conns/op	   11743 B/op	     108 allocs/op
BenchmarkInterleaved/create-2  	 4626	 83960 ns/op	 40000 baseline-ns/call	 42000 facade-ns/call	 1.050 facade/baseline	 20021 B/op	 213 allocs/op
--- FAIL: BenchmarkBroken
BenchmarkCreate/baseline-2  	    8000	     30000 ns/op	         0 conns/op	    9825 B/op	     101 allocs/op
BenchmarkCreate/facade-token-2         	    7437	     30000 ns/op	         0 conns/op	   11743 B/op	     109 allocs/op
BenchmarkInterleaved/create-2  	 4626	 83960 ns/op	 40000 baseline-ns/call	 42000 facade-ns/call	 1.030 facade/baseline	 20021 B/op	 213 allocs/op
BenchmarkSign-2          	  521433	      2008 ns/op	     448 B/op	       8 allocs/op
PASS
ok  	github.com/gaussdb-tools/chreplication/bench	5.988s
`

func TestParseAndRatios(t *testing.T) {
	r := newResults()
	r.parse([]byte(sample))
	if r.cpu != "AMD EPYC" || r.cpus != "2" {
		t.Errorf("cpu %q, GOMAXPROCS %q", r.cpu, r.cpus)
	}
	if got := r.values("BenchmarkCreate/baseline", "ns/op"); len(got) != 2 || got[0] != 40000 || got[1] != 30000 {
		t.Errorf("baseline ns/op = %v", got)
	}
	if got := r.median("BenchmarkCreate/facade-token", "allocs/op"); got != 108.5 {
		t.Errorf("median allocs = %v", got)
	}
	// per-run ratios 1.05 and 1.0: their median, not the ratio of medians
	if got := r.pairedRatio("BenchmarkCreate/facade-token", "BenchmarkCreate/baseline", "ns/op"); math.Abs(got-1.025) > 1e-9 {
		t.Errorf("paired ratio = %v", got)
	}
	if got := r.median("BenchmarkInterleaved/create", "facade/baseline"); math.Abs(got-1.04) > 1e-9 {
		t.Errorf("interleaved ratio = %v", got)
	}
	if !math.IsNaN(r.median("BenchmarkMissing", "ns/op")) {
		t.Error("a missing benchmark has a median")
	}
}

func TestReportMarksMissingBudgets(t *testing.T) {
	r := newResults()
	r.parse([]byte(sample))
	var out bytes.Buffer
	missed := report(&out, r)
	text := out.String()
	for _, want := range []string{
		"facade create (static token): time", "1.040× baseline interleaved", "PASS",
		"cached token lookup: time", "MISS (not measured)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
	if missed == 0 {
		t.Error("budgets without measurements were not counted as missed")
	}
}

// A run that lacks a contender must not pair the contender's next run with
// the baseline of the run before.
func TestRatiosPairRunsOfTheSameRound(t *testing.T) {
	const round1 = `goos: linux
BenchmarkCreate/baseline-2  	 8000	 40000 ns/op
--- FAIL: BenchmarkCreate/facade-token
`
	const round2 = `goos: linux
BenchmarkCreate/baseline-2  	 8000	 30000 ns/op
BenchmarkCreate/facade-token-2  	 8000	 33000 ns/op
`
	for _, chunks := range [][]string{{round1, round2}, {round1 + round2}} {
		r := newResults()
		for _, c := range chunks {
			r.parse([]byte(c))
		}
		if got := r.pairedRatio("BenchmarkCreate/facade-token", "BenchmarkCreate/baseline", "ns/op"); math.Abs(got-1.1) > 1e-9 {
			t.Errorf("%d chunks: paired ratio = %v, want 1.1 (round 2 alone)", len(chunks), got)
		}
	}
	// go test -count 2: both runs of each benchmark in one output.
	r := newResults()
	r.parse([]byte(`goos: linux
BenchmarkCreate/baseline-2  	 8000	 40000 ns/op
BenchmarkCreate/facade-token-2  	 8000	 42000 ns/op
BenchmarkCreate/baseline-2  	 8000	 30000 ns/op
BenchmarkCreate/facade-token-2  	 8000	 36000 ns/op
`))
	if got := r.pairedRatios("BenchmarkCreate/facade-token", "BenchmarkCreate/baseline", "ns/op"); len(got) != 2 || math.Abs(got[0]-1.05) > 1e-9 || math.Abs(got[1]-1.2) > 1e-9 {
		t.Errorf("-count 2 ratios = %v, want [1.05 1.2]", got)
	}
}
