package bench

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/auth"
	"github.com/gaussdb-tools/chreplication/fake"
)

// allPageSize is the page size AllReplications asks for.
const allPageSize = 100

// scalingSizes are the task counts BenchmarkAllReplications pages through.
var scalingSizes = []int{1000, 10000}

// pagedInstance is the instance that holds n tasks on the paging server.
func pagedInstance(n int) string { return "paged-" + strconv.Itoa(n) }

// pagingHandler answers list requests for pagedInstance(n), for each n of
// sizes, with pages computed in advance: the server's share of every page
// is a map look-up and a write.
func pagingHandler(sizes ...int) http.Handler {
	type page struct {
		body   []byte
		length []string
	}
	pages := map[string]page{} // instance + "?" + offset + "," + limit
	for _, n := range sizes {
		for off := 0; off < n; off += allPageSize {
			body := listPage(off, min(allPageSize, n-off), n)
			pages[pagedInstance(n)+"?"+strconv.Itoa(off)+","+strconv.Itoa(allPageSize)] = page{body, contentLength(body)}
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, ok := strings.CutSuffix(r.URL.Path, "/clickhouse/replication")
		if !ok || r.Method != http.MethodGet {
			http.NotFound(w, r)
			return
		}
		instance := rest[strings.LastIndexByte(rest, '/')+1:]
		q := r.URL.Query()
		off := q.Get("offset")
		if off == "" {
			off = "0"
		}
		p, ok := pages[instance+"?"+off+","+q.Get("limit")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		answer(w, r, p.body, p.length)
	})
}

// heapInUse returns the heap in use after garbage collection: what is
// still reachable. The second collection empties the sync.Pool victim
// caches the first one left.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// iterateAll runs AllReplications to its end and returns the number of tasks.
// When atPage is not nil it is called at the first task of every page, while
// the iterator holds that page.
func iterateAll(ctx context.Context, c *chreplication.Client, instance string, atPage func()) (int, error) {
	n := 0
	for _, err := range c.AllReplications(ctx, instance) {
		if err != nil {
			return n, err
		}
		if atPage != nil && n%allPageSize == 0 {
			atPage()
		}
		n++
	}
	return n, nil
}

// BenchmarkAllReplications pages through 1,000 and 10,000 tasks, on the
// paging server above ("minimal": B/op is then almost all the client's) and
// on the fake (whose spec validation runs in the same process and is
// counted in B/op too). B/op grows with the number of pages, since every
// page is a new answer to decode; live-B is the most heap the iteration
// kept reachable at a page boundary, which stays that of about one page.
func BenchmarkAllReplications(b *testing.B) {
	ctx := context.Background()
	minimal := newServer(pagingHandler(scalingSizes...))
	defer minimal.Close()
	mc, err := chreplication.NewClient(minimal.URL, chreplication.WithProjectID(projectID), chreplication.WithAuth(auth.StaticToken(token)))
	if err != nil {
		b.Fatal(err)
	}
	fk, err := fake.NewServer(fake.WithRequestLogSize(0))
	if err != nil {
		b.Fatal(err)
	}
	defer fk.Close()
	fc, err := chreplication.NewClient(fk.URL(), chreplication.WithProjectID(fk.ProjectID()), chreplication.WithAuth(auth.StaticToken(fk.Token())))
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range scalingSizes {
		fk.AddReplications(pagedInstance(n), n)
	}
	for _, srv := range []struct {
		name string
		c    *chreplication.Client
	}{{"minimal", mc}, {"fake", fc}} {
		for _, n := range scalingSizes {
			b.Run(fmt.Sprintf("%s/n=%d", srv.name, n), func(b *testing.B) {
				instance := pagedInstance(n)
				check := func(got int, err error) {
					if err != nil {
						b.Fatal(err)
					}
					if got != n {
						b.Fatalf("got %d tasks, want %d", got, n)
					}
				}
				check(iterateAll(ctx, srv.c, instance, nil)) // warm-up
				b.ReportAllocs()
				for b.Loop() {
					check(iterateAll(ctx, srv.c, instance, nil))
				}
				before := heapInUse()
				var peak uint64
				check(iterateAll(ctx, srv.c, instance, func() {
					if h := heapInUse(); h > before {
						peak = max(peak, h-before)
					}
				}))
				b.ReportMetric(float64(peak), "live-B")
				b.ReportMetric(float64(n/allPageSize), "pages")
			})
		}
	}
}

// jobWaitHandler answers the job route for jobs named by waitJobID: a job is
// Running until its duration has passed since it was first looked at, then
// Completed. It reads time.Now, so inside a synctest bubble it runs on the
// bubble's fake clock.
type jobWaitHandler struct {
	mu    sync.Mutex
	first map[string]time.Time
	looks atomic.Int64
}

// waitJobID names job number seq, which takes d.
func waitJobID(d time.Duration, seq int) string {
	return "job-" + strconv.FormatInt(d.Microseconds(), 10) + "-" + strconv.Itoa(seq)
}

func (h *jobWaitHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	h.looks.Add(1)
	id := r.URL.Query().Get("id")
	f := strings.Split(id, "-")
	us, err := strconv.ParseInt(f[min(1, len(f)-1)], 10, 64)
	if len(f) != 3 || err != nil {
		http.NotFound(w, r)
		return
	}
	h.mu.Lock()
	start, seen := h.first[id]
	if !seen {
		if h.first == nil {
			h.first = map[string]time.Time{}
		}
		h.first[id], start = now, now
	}
	h.mu.Unlock()
	status := "Running"
	if now.Sub(start) >= time.Duration(us)*time.Microsecond {
		status = "Completed"
	}
	body := []byte(`{"job":{"id":"` + id + `","status":"` + status + `"}}`)
	answer(w, r, body, contentLength(body))
}

// handlerTransport hands requests straight to a handler, without a network:
// inside a synctest bubble every goroutine then blocks only on the bubble's
// timers and time jumps ahead instead of passing.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, req)
	return rec.Result(), nil
}

// expectedLooks is how many times WaitJob looks at a job that takes d, by
// its documented schedule: a look at once, then after first, 2×first, 4×first
// ... each delay capped at maxDelay.
func expectedLooks(d, first, maxDelay time.Duration) int {
	looks, elapsed, delay := 1, time.Duration(0), first
	for elapsed < d {
		elapsed += delay
		delay = min(2*delay, maxDelay)
		looks++
	}
	return looks
}

// waitDurations are the job durations the WaitJob measurements use.
var waitDurations = []time.Duration{time.Second, 10 * time.Second, 100 * time.Second, 1000 * time.Second, 10000 * time.Second}

// uncapped is a maximum delay no measured wait reaches.
const uncapped = 1000 * time.Hour

// TestWaitJobLooksGrowLogarithmically runs WaitJob on synctest's fake clock
// with the default intervals (first 1s) against jobs of 1s to 10,000s: with
// no cap the number of looks is at most log2(T/1s)+2 (the schedule gives
// ceil(log2(T/1s+1))+1), growing by about 3.3 per tenfold duration; with the
// default 30s cap it grows linearly (T/30s) once the delay reaches the cap.
func TestWaitJobLooksGrowLogarithmically(t *testing.T) {
	for _, maxDelay := range []time.Duration{uncapped, chreplication.DefaultMaxPollInterval} {
		synctest.Test(t, func(t *testing.T) {
			h := &jobWaitHandler{}
			c, err := chreplication.NewClient("https://api.invalid", chreplication.WithProjectID(projectID),
				chreplication.WithAuth(auth.StaticToken(token)),
				chreplication.WithHTTPClient(&http.Client{Transport: handlerTransport{h}}))
			if err != nil {
				t.Fatal(err)
			}
			for i, d := range waitDurations {
				before := h.looks.Load()
				start := time.Now()
				job, err := c.WaitJob(context.Background(), waitJobID(d, i),
					chreplication.WithPollInterval(chreplication.DefaultPollInterval, maxDelay))
				if err != nil || job.Status != chreplication.JobCompleted {
					t.Fatalf("WaitJob of a %v job: %v, %v", d, job, err)
				}
				looks := int(h.looks.Load() - before)
				t.Logf("max %v: a %v job was looked at %d times, over %v", maxDelay, d, looks, time.Since(start))
				if want := expectedLooks(d, chreplication.DefaultPollInterval, maxDelay); looks != want {
					t.Errorf("max %v: a %v job was looked at %d times, want %d", maxDelay, d, looks, want)
				}
				if maxDelay == uncapped {
					if bound := math.Log2(float64(d)/float64(chreplication.DefaultPollInterval)) + 2; float64(looks) > bound {
						t.Errorf("a %v job was looked at %d times, more than log2(T/first)+2 = %.1f", d, looks, bound)
					}
				}
			}
		})
	}
}

// waitScale is the real time that stands for one second of a job's
// duration in BenchmarkWaitJobRequests, so that the 1,000s job takes one
// real second.
const waitScale = time.Millisecond

// BenchmarkWaitJobRequests measures, in real time on the loopback network,
// how many requests WaitJob makes (requests/op) for jobs of 1s to 1,000s,
// with every duration scaled down by 1000 (1s becomes 1ms, the default
// first interval of 1s becomes 1ms and the default 30s cap 30ms). With no cap
// the count grows with log2 of the duration; with the cap, linearly once
// the delay is capped. Run it with -benchtime 1x: each op lasts the job's
// (scaled) duration.
func BenchmarkWaitJobRequests(b *testing.B) {
	h := &jobWaitHandler{}
	s := newServer(h)
	defer s.Close()
	c, err := chreplication.NewClient(s.URL, chreplication.WithProjectID(projectID), chreplication.WithAuth(auth.StaticToken(token)))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	seq := 0
	for _, capName := range []string{"none", "30s"} {
		maxDelay := uncapped
		if capName == "30s" {
			maxDelay = chreplication.DefaultMaxPollInterval
		}
		for _, d := range waitDurations[:4] {
			b.Run(fmt.Sprintf("cap=%s/job=%ds", capName, d/time.Second), func(b *testing.B) {
				before := h.looks.Load()
				for b.Loop() {
					seq++
					opt := chreplication.WithPollInterval(scaleDown(chreplication.DefaultPollInterval), scaleDown(maxDelay))
					if _, err := c.WaitJob(ctx, waitJobID(scaleDown(d), seq), opt); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(h.looks.Load()-before)/float64(b.N), "requests/op")
				b.ReportMetric(float64(expectedLooks(d, chreplication.DefaultPollInterval, maxDelay)), "ideal-requests")
			})
		}
	}
}

func scaleDown(d time.Duration) time.Duration { return d / time.Second * waitScale }
