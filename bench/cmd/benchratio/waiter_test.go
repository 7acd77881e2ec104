package main

import (
	"bytes"
	"strings"
	"testing"
)

const waiterSample = `goos: linux
pkg: github.com/gaussdb-tools/chreplication
BenchmarkWaitJobSimulated/job=linear-10s/waiter=predictive-2         	       1	    232073 ns/op	       130.8 lag-ms	         5.000 looks
BenchmarkWaitJobSimulated/job=linear-10s/waiter=doubling-2           	       1	     52438 ns/op	      5005 lag-ms	         5.000 looks
BenchmarkWaitJobSimulated/job=linear-10s/waiter=fixed-10s-2          	       1	     58038 ns/op	         1.000 lag-ms	         1.000 looks
goos: linux
pkg: github.com/gaussdb-tools/chreplication/bench
BenchmarkWaitJobRealTime-2   	       1	15094364662 ns/op	      5094 doubling-lag-ms	         5.000 doubling-looks	       %s fixed-10s-lag-ms	         1.000 fixed-10s-looks	        73.20 predictive-lag-ms	         %s predictive-looks
`

func TestWaiterReport(t *testing.T) {
	for _, c := range []struct {
		name            string
		fixedLag, looks string
		wantMiss        []string
	}{
		{"agrees", "3.601", "6.000", nil},
		{"fixed waiter late on the clock", "900.0", "6.000", []string{"simulation matches the clock: fixed-10s"}},
		{"too many looks", "3.601", "9.000", []string{"looks", "simulation matches the clock: predictive"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newResults()
			in := strings.Replace(waiterSample, "%s", c.fixedLag, 1)
			in = strings.Replace(in, "%s", c.looks, 1)
			r.parse([]byte(in))
			var out bytes.Buffer
			reportWaiters(&out, r)
			text := out.String()
			for _, want := range []string{"predictive", "73.2 ms", "131 ms", "5094 ms", "5005 ms"} {
				if !strings.Contains(text, want) {
					t.Errorf("table lacks %q:\n%s", want, text)
				}
			}
			var missed []string
			for _, b := range waiterBudgets(r) {
				if !b.known {
					t.Errorf("%s: not measured", b.what)
				}
				if !b.ok {
					missed = append(missed, b.what)
				}
			}
			if len(missed) != len(c.wantMiss) {
				t.Fatalf("missed %q, want %d like %q", missed, len(c.wantMiss), c.wantMiss)
			}
			for i, m := range missed {
				if !strings.HasSuffix(m, c.wantMiss[i]) {
					t.Errorf("missed %q, want %q", m, c.wantMiss[i])
				}
			}
		})
	}
}

func TestWaiterReportNotRun(t *testing.T) {
	r := newResults()
	var out bytes.Buffer
	reportWaiters(&out, r)
	if !strings.Contains(out.String(), "(not run)") {
		t.Errorf("no run shown as run:\n%s", out.String())
	}
	for _, b := range waiterBudgets(r) {
		if b.known {
			t.Errorf("%s: known without a run", b.what)
		}
	}
}
