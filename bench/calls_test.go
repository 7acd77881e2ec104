package bench

import (
	"context"
	"runtime"
	"testing"
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
