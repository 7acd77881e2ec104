// Command benchratio runs the client's benchmarks (package bench, and the
// auth package's BenchmarkSign and BenchmarkCachedToken) several times,
// takes medians and prints every contender's time and allocations next to
// the hand-written baseline of the same run, with the performance budgets of
// BENCHMARKS.md marked PASS or MISS.
//
// Usage, from anywhere in the module:
//
//	go run ./bench/cmd/benchratio [-rounds 10] [-benchtime 300ms] [-raw bench.out] [-strict]
//	go run ./bench/cmd/benchratio old.txt ...   # only read `go test -bench` output
//
// It builds the two test binaries once, then runs them round after round:
// each round runs every contender once (-count 1), so the contenders of one
// round ran next to each other and time ratios are taken within a round
// (the median over rounds is shown). The benchmarks that no time budget
// depends on (scaling, which is about counts and memory, and the client's
// own work without the network, which hardly varies) run fewer rounds. Last,
// the waiters of a job are compared once: WaitJob, the doubling waiter and a
// fixed 10s poll wait at the same time for a 10s job on a loopback server,
// and their lag and looks are set next to the root package's simulation of
// the same job (about 15s). The raw output is
// kept in the -raw file, for benchstat. With -strict the exit status is 1
// when a budget is missed.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

func main() { os.Exit(benchratio()) }

// benchratio runs (or reads) the benchmarks, prints the report and returns
// the exit status.
func benchratio() int {
	rounds := flag.Int("rounds", 10, "runs of each contender; medians are taken over them")
	scalingRounds := flag.Int("scaling-rounds", 3, "runs of the benchmarks without a time budget (AllReplications, ClientOnly); 0 skips them, WaitJobRequests and the waiter comparison")
	benchtime := flag.String("benchtime", "300ms", "the -test.benchtime of each run")
	raw := flag.String("raw", "bench.out", "file the raw benchmark output is written to (\"\" for none)")
	strict := flag.Bool("strict", false, "exit with status 1 when a budget is missed")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var res *results
	var err error
	if flag.NArg() > 0 {
		res, err = readFiles(flag.Args())
	} else {
		res, err = run(ctx, *rounds, *scalingRounds, *benchtime, *raw)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchratio:", err)
		return 2
	}
	if missed := report(os.Stdout, res); *strict && missed > 0 {
		return 1
	}
	return 0
}

func readFiles(names []string) (*results, error) {
	res := newResults()
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		res.parse(b)
	}
	return res, nil
}

// phase is one kind of test binary run.
type phase struct {
	binary, bench, skip, benchtime string
}

// run builds the test binaries and runs the phases, round after round.
func run(ctx context.Context, rounds, scalingRounds int, benchtime, rawPath string) (*results, error) {
	root, err := moduleRoot(ctx)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "benchratio")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	// The test binaries, by the folder of their package ("." is the root
	// package, whose simulation of WaitJob is compared with the clock).
	bins := map[string]string{"bench": filepath.Join(tmp, "bench.test"), "auth": filepath.Join(tmp, "auth.test"), ".": filepath.Join(tmp, "root.test")}
	for pkg, bin := range bins {
		fmt.Fprintf(os.Stderr, "building ./%s tests\n", pkg)
		cmd := exec.CommandContext(ctx, "go", "test", "-c", "-o", bin, "./"+pkg)
		cmd.Dir, cmd.Stdout, cmd.Stderr = root, os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("building ./%s tests: %w", pkg, err)
		}
	}
	rawOut := io.Discard
	if rawPath != "" {
		f, err := os.Create(rawPath)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		rawOut = f
	}
	calls := []phase{
		{binary: "bench", bench: ".", skip: "AllReplications|WaitJob|ClientOnly|Fleet", benchtime: benchtime},
		{binary: "auth", bench: "^Benchmark(Sign|CachedToken)$", benchtime: benchtime},
	}
	scaling := phase{binary: "bench", bench: "AllReplications|ClientOnly", benchtime: benchtime}
	wait := phase{binary: "bench", bench: "WaitJobRequests", benchtime: "1x"}
	// The waiters on a steady 10s job: simulated, then on the clock (the
	// three waiters run at once, about 15s).
	waiters := []phase{
		{binary: ".", bench: "^BenchmarkWaitJobSimulated$", benchtime: "1x"},
		{binary: "bench", bench: "^BenchmarkWaitJobRealTime$", benchtime: "1x"},
	}

	res := newResults()
	runPhase := func(p phase, round string) error {
		start := time.Now()
		args := []string{"-test.run=^$", "-test.bench=" + p.bench, "-test.benchmem", "-test.count=1", "-test.benchtime=" + p.benchtime}
		if p.skip != "" {
			args = append(args, "-test.skip="+p.skip)
		}
		cmd := exec.CommandContext(ctx, bins[p.binary], args...)
		cmd.Dir = filepath.Join(root, p.binary)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		_, _ = rawOut.Write(out.Bytes())
		if err != nil {
			return fmt.Errorf("%s -test.bench %s: %w\n%s", p.binary, p.bench, err, out.Bytes())
		}
		res.parse(out.Bytes())
		fmt.Fprintf(os.Stderr, "%s: ./%s -bench %q done in %v\n", round, p.binary, p.bench, time.Since(start).Round(100*time.Millisecond))
		return nil
	}
	for r := 1; r <= rounds; r++ {
		for _, p := range calls {
			if err := runPhase(p, fmt.Sprintf("round %d/%d", r, rounds)); err != nil {
				return nil, err
			}
		}
	}
	for r := 1; r <= scalingRounds; r++ {
		if err := runPhase(scaling, fmt.Sprintf("scaling %d/%d", r, scalingRounds)); err != nil {
			return nil, err
		}
	}
	if scalingRounds > 0 {
		for _, p := range append([]phase{wait}, waiters...) {
			if err := runPhase(p, "waitjob"); err != nil {
				return nil, err
			}
		}
	}
	return res, nil
}

func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside a Go module: run from the chreplication module")
	}
	return filepath.Dir(gomod), nil
}

// results holds every value of every benchmark, in the order of the runs.
type results struct {
	runs   map[string][]benchRun // name (no -GOMAXPROCS suffix) → its runs
	cpu    string
	cpus   string         // the GOMAXPROCS suffix seen
	chunk  int            // the go test run being parsed: one per parse call and per "goos:" header
	occurs map[string]int // runs of each name seen so far in the current chunk
}

// key identifies one run of a benchmark: the k-th time it was run in one
// go test run. The contenders of a round share the key of that round, so a
// benchmark missing from one round (a failed or cut-off run, a file that
// lacks it) cannot pair the others with another round's baseline.
type key struct{ chunk, k int }

// benchRun is one run of a benchmark.
type benchRun struct {
	key  key
	vals map[string]float64 // unit → value
}

func newResults() *results {
	return &results{runs: map[string][]benchRun{}}
}

// newChunk starts the output of another go test run.
func (r *results) newChunk() {
	r.chunk++
	r.occurs = map[string]int{}
}

// parse reads `go test -bench` output.
func (r *results) parse(out []byte) {
	r.newChunk()
	seen := false // a benchmark line since the last header
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "goos: ") && seen {
			r.newChunk()
			seen = false
		}
		if cpu, ok := strings.CutPrefix(line, "cpu: "); ok {
			r.cpu = cpu
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue
		}
		name := f[0]
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				r.cpus = name[i+1:]
				name = name[:i]
			}
		}
		vals := map[string]float64{}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				vals = nil
				break
			}
			vals[f[i+1]] = v
		}
		if vals != nil {
			seen = true
			r.runs[name] = append(r.runs[name], benchRun{key: key{r.chunk, r.occurs[name]}, vals: vals})
			r.occurs[name]++
		}
	}
}

// values returns the values of unit in the runs of name.
func (r *results) values(name, unit string) []float64 {
	var vs []float64
	for _, run := range r.runs[name] {
		if v, ok := run.vals[unit]; ok {
			vs = append(vs, v)
		}
	}
	return vs
}

// median of name's unit; NaN when there is none.
func (r *results) median(name, unit string) float64 { return median(r.values(name, unit)) }

// worst is the highest of name's unit over its runs; NaN when there is none.
func (r *results) worst(name, unit string) float64 {
	_, hi := minMax(r.values(name, unit))
	return hi
}

// pairedRatios are name's unit / base's unit in each run that measured both:
// each run's contender is compared with the baseline of the same run.
func (r *results) pairedRatios(name, base, unit string) []float64 {
	bases := map[key]float64{}
	for _, run := range r.runs[base] {
		if v, ok := run.vals[unit]; ok && v != 0 {
			bases[run.key] = v
		}
	}
	var ratios []float64
	for _, run := range r.runs[name] {
		b, okb := bases[run.key]
		if v, ok := run.vals[unit]; ok && okb {
			ratios = append(ratios, v/b)
		}
	}
	return ratios
}

// pairedRatio is the median of the per-run ratios of name to base.
func (r *results) pairedRatio(name, base, unit string) float64 {
	return median(r.pairedRatios(name, base, unit))
}

// pairedRange is the lowest and highest of the per-run ratios.
func (r *results) pairedRange(name, base, unit string) (lo, hi float64) {
	return minMax(r.pairedRatios(name, base, unit))
}

func median(vs []float64) float64 {
	if len(vs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
