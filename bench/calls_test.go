package bench

import (
	"context"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// call picks one of a contender's three calls.
type call func(contender, context.Context) error

func createCall(c contender, ctx context.Context) error {
	_, err := c.create(ctx)
	return err
}

func listCall(c contender, ctx context.Context) error {
	n, err := c.list(ctx)
	if err == nil && n != listPageSize {
		return errEmpty
	}
	return err
}

func jobCall(c contender, ctx context.Context) error {
	_, err := c.job(ctx)
	return err
}

// BenchmarkCreate is one CreateReplication per op.
func BenchmarkCreate(b *testing.B) { benchContenders(b, createCall) }

// BenchmarkList is one ListReplications of a page of 100 tasks per op.
func BenchmarkList(b *testing.B) { benchContenders(b, listCall) }

// BenchmarkJob is one Job per op.
func BenchmarkJob(b *testing.B) { benchContenders(b, jobCall) }

func benchContenders(b *testing.B, f call) {
	for _, c := range contenders(b) {
		b.Run(c.name, func(b *testing.B) { benchSerial(b, c, f) })
	}
}

// benchSerial runs f one call after the other. conns/op is the number of
// connections the server saw opened per call (0 when the one connection the
// warm-up call opened is reused throughout).
func benchSerial(b *testing.B, c contender, f call) {
	s := sharedServer()
	ctx := context.Background()
	if err := f(c, ctx); err != nil { // warm-up: a connection is open before timing
		b.Fatal(err)
	}
	conns := s.conns.Load()
	b.ReportAllocs()
	for b.Loop() {
		if err := f(c, ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(s.conns.Load()-conns)/float64(b.N), "conns/op")
}

// parallelGoroutines is how many goroutines share one client in
// BenchmarkParallelCreate.
const parallelGoroutines = 32

// parallelConns counts the connections opened during all the b.N steps of
// one BenchmarkParallelCreate sub-benchmark (the function runs once per
// step, always with the same *testing.B).
var parallelConns = map[*testing.B]int64{}

// BenchmarkParallelCreate is CreateReplication from 32 goroutines sharing
// one client. ns/op is wall time divided by calls, so throughput is 1/ns/op.
// conns is the number of connections the server saw opened during the whole
// sub-benchmark (all its b.N steps); conns/op divides the ones of the last
// step by its calls.
func BenchmarkParallelCreate(b *testing.B) {
	for _, name := range []string{nameBaseline, nameFacadeToken} {
		b.Run(name, func(b *testing.B) {
			c := contenderNamed(b, name)
			s := sharedServer()
			procs := runtime.GOMAXPROCS(0)
			par := max(1, parallelGoroutines/procs)
			b.SetParallelism(par)
			conns := s.conns.Load()
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					if _, err := c.create(ctx); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			opened := s.conns.Load() - conns
			parallelConns[b] += opened
			b.ReportMetric(float64(opened)/float64(b.N), "conns/op")
			b.ReportMetric(float64(parallelConns[b]), "conns")
			b.ReportMetric(float64(par*procs), "goroutines")
		})
	}
}

// BenchmarkInterleaved times the baseline's, the facade's (static token)
// and the generated client's create calls in turn in one loop, the order
// rotated at every op, so that all run on the same machine at the same
// moment: the load of other processes, garbage collection and CPU frequency
// drift hit them alike, which separate benchmarks run seconds apart cannot
// promise on a shared 2-core machine. baseline-ns/call, facade-ns/call and
// generated-ns/call are the mean time of one call of each; facade/baseline
// and facade/generated their ratios (an op is one call of each).
//
// create-deadline is create with a caller's context that has a deadline, as
// many callers pass: the facade then adds no deadline of its own
// (WithTimeout applies only to contexts without one), and both clients pay
// what net/http costs for a cancelable context, so the ratio is the
// facade's own work alone.
//
// parallel does the same from 32 goroutines, each alternating between the
// two clients (each client is then shared by all 32); the ratio of mean call
// times is the inverse ratio of the throughputs.
func BenchmarkInterleaved(b *testing.B) {
	// The facade, the hand-written baseline and the generated client used
	// directly, in rotating order so that none always runs first.
	cs := [3]contender{contenderNamed(b, nameBaseline), contenderNamed(b, nameFacadeToken), contenderNamed(b, nameGenerated)}
	ctx := context.Background()
	for _, c := range cs {
		if _, err := c.create(ctx); err != nil {
			b.Fatal(err)
		}
	}
	report := func(b *testing.B, spent, calls [3]float64) {
		per := func(i int) float64 { return spent[i] / calls[i] }
		b.ReportMetric(per(0), "baseline-ns/call")
		b.ReportMetric(per(1), "facade-ns/call")
		b.ReportMetric(per(2), "generated-ns/call")
		b.ReportMetric(per(1)/per(0), "facade/baseline")
		b.ReportMetric(per(1)/per(2), "facade/generated")
	}
	serial := func(ctx context.Context) func(b *testing.B) {
		return func(b *testing.B) {
			var spent [3]time.Duration
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				for k := range 3 {
					j := (i + k) % 3
					start := time.Now()
					if _, err := cs[j].create(ctx); err != nil {
						b.Fatal(err)
					}
					spent[j] += time.Since(start)
				}
			}
			n := float64(b.N)
			report(b, [3]float64{float64(spent[0]), float64(spent[1]), float64(spent[2])}, [3]float64{n, n, n})
		}
	}
	b.Run("create", serial(ctx))
	withDeadline, cancel := context.WithTimeout(ctx, time.Hour)
	defer cancel()
	b.Run("create-deadline", serial(withDeadline))
	b.Run("parallel-create", func(b *testing.B) {
		var spent, calls [3]atomic.Int64
		b.SetParallelism(max(1, parallelGoroutines/runtime.GOMAXPROCS(0)))
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for i := 0; pb.Next(); i++ {
				j := i % 3
				start := time.Now()
				if _, err := cs[j].create(ctx); err != nil {
					b.Error(err)
					return
				}
				spent[j].Add(int64(time.Since(start)))
				calls[j].Add(1)
			}
		})
		if calls[0].Load() == 0 || calls[1].Load() == 0 || calls[2].Load() == 0 {
			return // b.N too small
		}
		report(b, [3]float64{float64(spent[0].Load()), float64(spent[1].Load()), float64(spent[2].Load())},
			[3]float64{float64(calls[0].Load()), float64(calls[1].Load()), float64(calls[2].Load())})
	})
}

// memoryTransport answers each route with its fixed answer without any
// network: a round trip through it costs a few allocations, the same for
// every contender.
type memoryTransport struct{}

func (memoryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	body := createAnswer
	switch {
	case req.Method == http.MethodGet && strings.HasSuffix(req.URL.Path, "/jobs"):
		body = jobAnswer
	case req.Method == http.MethodGet:
		body = listAnswer
	}
	return okJSON(req, body), nil
}

// BenchmarkClientOnly is BenchmarkCreate, List and Job with the network
// taken out (memoryTransport): what is left is each client's own work
// (building the request, encoding, authenticating, net/http's client side
// above the transport, reading and decoding), which the loopback round trip
// otherwise dwarfs.
func BenchmarkClientOnly(b *testing.B) {
	cs, err := newContenders("http://127.0.0.1:1", memoryTransport{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, op := range []struct {
		name string
		f    call
	}{{"create", createCall}, {"list", listCall}, {"job", jobCall}} {
		for _, c := range cs {
			b.Run(op.name+"/"+c.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := op.f(c, ctx); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
