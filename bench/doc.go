// Package bench holds the performance benchmarks of the client: what one
// call through the facade (package chreplication) costs next to the same
// call written by hand with net/http and encoding/json, and next to the
// oapi-codegen client the facade is built on.
//
// Everything lives in the package's test files. One `go test -bench` run
// starts a single loopback server (httptest, 127.0.0.1) whose handler answers
// each route with fixed bytes, so the server costs the same for every
// contender and the differences are the clients' own work:
//
//   - BenchmarkCreate, BenchmarkList and BenchmarkJob: one call per op, for
//     the contenders baseline (hand-written), generated (oapi-codegen's
//     ClientWithResponses), facade-token (auth.StaticToken) and facade-aksk
//     (auth.AKSK signing every request);
//   - BenchmarkParallelCreate: 32 goroutines sharing one client; conns/op is
//     the number of TCP connections the server saw opened per call;
//   - BenchmarkInterleaved: the baseline's and the facade's create calls
//     alternated in one loop, so both see the machine at the same moment;
//   - BenchmarkClientOnly: the three calls over an in-memory transport, each
//     client's own work without the network;
//   - BenchmarkAllReplications: paging through 1,000 and 10,000 tasks;
//     live-B is the most heap the iteration kept alive at a page boundary;
//   - BenchmarkWaitJobRequests: requests/op is how many times WaitJob looked
//     at a job that takes a given (scaled) time;
//   - BenchmarkWaitJobRealTime: WaitJob, the doubling waiter of earlier
//     versions and a fixed 10s poll wait at the same time, on the clock, for
//     a job of 10s that reports steady progress (on a server of its own):
//     each waiter's lag after the job's end and its looks.
//
// The program in bench/cmd/benchratio runs these and auth's BenchmarkSign and
// BenchmarkCachedToken (the ones with a time budget ten times by default,
// AllReplications and ClientOnly three times, WaitJobRequests and
// WaitJobRealTime once, the latter next to the root package's simulation of
// the same job, BenchmarkWaitJobSimulated), takes
// medians and prints each contender's time and allocations against the
// baseline of the same run, with the budgets of BENCHMARKS.md marked PASS or
// MISS:
//
//	go run ./bench/cmd/benchratio
package bench
