package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication/fake"
)

// faultKind is what the chaos proxy does to one request.
type faultKind int

const (
	faultNone faultKind = iota
	// faultCut forwards the request, reads the fake's whole answer (the fake
	// acted), then closes the connection without answering: the answer is
	// lost.
	faultCut
	// faultDelay waits a little, then forwards the request.
	faultDelay
	// faultReset resets the connection (RST) without forwarding anything.
	faultReset
	// fault502, fault503 and fault429 answer that status without
	// forwarding; 503 and 429 carry Retry-After.
	fault502
	fault503
	fault429
	// faultBusy answers 409 DBS.200019 without forwarding: the instance is
	// busy.
	faultBusy
	faultKinds
)

var faultNames = [faultKinds]string{"none", "cut after forwarding", "delay", "reset", "502", "503 Retry-After", "429 Retry-After", "409 busy"}

// chaosProxy stands between the client and the fake and injects faults.
// Whether a request gets a fault, and which, comes from a seeded math/rand
// source keyed by the request (method, path, query, body) and by how often
// that request was seen: the same request meets the same fault in every run,
// however the parallel instances interleave (job polls are keyed by job IDs,
// which the fake makes up afresh each run). A request never meets more than
// maxConsecutive faults in a row, so that reads, which the client retries
// four times, always get through in the end.
type chaosProxy struct {
	t         *testing.T
	target    *url.URL
	server    *httptest.Server
	transport *http.Transport
	seed      uint64
	rate      float64
	kinds     []faultKind // the faults drawn from, with repetitions as weights

	mu          sync.Mutex
	scripted    []scriptedFault
	seen        map[string]int
	consecutive map[string]int
	requests    int
	injected    [faultKinds]int
	writes      int             // creates and deletes seen
	onWrites    [faultKinds]int // faults injected on them
	// firstDraw is the fault each distinct create or delete met the first
	// time it was sent: a function of the seed and the request alone, so
	// the same in every run, however the requests interleave.
	firstDraw map[string]faultKind
}

const maxConsecutive = 2

// scriptedFault is a fault for the next request whose key starts with
// prefix, such as "POST " for the next create.
type scriptedFault struct {
	prefix string
	kind   faultKind
}

// script makes the next request whose key (method, path, query, body)
// starts with prefix meet kind, before any random draw.
func (p *chaosProxy) script(prefix string, kind faultKind) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.scripted = append(p.scripted, scriptedFault{prefix, kind})
}

func newChaosProxy(t *testing.T, target string, seed uint64, rate float64, kinds ...faultKind) *chaosProxy {
	t.Helper()
	u, err := url.Parse(target)
	require.NoError(t, err)
	p := &chaosProxy{
		t: t, target: u, seed: seed, rate: rate, kinds: kinds,
		transport:   &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 16},
		seen:        map[string]int{},
		consecutive: map[string]int{},
		firstDraw:   map[string]faultKind{},
	}
	p.server = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(func() {
		p.server.Close()
		p.transport.CloseIdleConnections()
	})
	return p
}

func (p *chaosProxy) URL() string { return p.server.URL }

// decide picks the fault of one request.
func (p *chaosProxy) decide(key string) (kind faultKind) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests++
	write := strings.HasPrefix(key, http.MethodPost+" ") || strings.HasPrefix(key, http.MethodDelete+" ")
	if write {
		p.writes++
		defer func() { p.onWrites[kind]++ }()
	}
	for i, f := range p.scripted {
		if strings.HasPrefix(key, f.prefix) {
			p.scripted = slices.Delete(p.scripted, i, i+1)
			p.injected[f.kind]++
			return f.kind
		}
	}
	n := p.seen[key]
	p.seen[key]++
	h := fnv.New64a()
	_, _ = io.WriteString(h, key)
	rng := rand.New(rand.NewPCG(p.seed, h.Sum64()^uint64(n)*0x9e3779b97f4a7c15)) //nolint:gosec // reproducible faults, not secrets
	kind = faultNone
	if p.consecutive[key] < maxConsecutive && len(p.kinds) > 0 && rng.Float64() < p.rate {
		kind = p.kinds[rng.IntN(len(p.kinds))]
	}
	if write && n == 0 {
		p.firstDraw[key] = kind
	}
	if kind == faultNone {
		p.consecutive[key] = 0
	} else {
		p.consecutive[key]++
	}
	p.injected[kind]++
	return kind
}

// serve answers one request as decide says.
func (p *chaosProxy) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "proxy: reading the request", http.StatusBadGateway)
		return
	}
	key := r.Method + " " + r.URL.Path + "?" + r.URL.RawQuery + " " + string(body)
	switch p.decide(key) {
	case faultNone:
		p.forward(w, r, body, false)
	case faultCut:
		p.forward(w, r, body, true)
	case faultDelay:
		time.Sleep(30 * time.Millisecond)
		p.forward(w, r, body, false)
	case faultReset:
		p.hangUp(w, true)
	case fault502:
		answerError(w, http.StatusBadGateway, "", "APIGW.0202", "bad gateway")
	case fault503:
		answerError(w, http.StatusServiceUnavailable, "1", "APIGW.0201", "service unavailable")
	case fault429:
		answerError(w, http.StatusTooManyRequests, "1", "APIGW.0308", "throttled")
	case faultBusy:
		answerError(w, http.StatusConflict, "", "DBS.200019", "Another operation is being performed on the DB instance.")
	}
}

func answerError(w http.ResponseWriter, status int, retryAfter, code, msg string) {
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Request-Id", "chaos-proxy")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `{"error_code":%q,"error_msg":%q}`, code, msg)
}

// forward sends the request to the fake and relays its answer, or, with
// lose, reads the whole answer and hangs up without relaying it.
func (p *chaosProxy) forward(w http.ResponseWriter, r *http.Request, body []byte, lose bool) {
	u := *p.target
	u.Path = r.URL.Path
	u.RawPath = r.URL.RawPath
	u.RawQuery = r.URL.RawQuery
	out, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, "proxy: "+err.Error(), http.StatusBadGateway)
		return
	}
	out.Header = r.Header.Clone()
	resp, err := p.transport.RoundTrip(out)
	if err != nil {
		http.Error(w, "proxy: "+err.Error(), http.StatusBadGateway)
		return
	}
	answer, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil || lose {
		p.hangUp(w, false)
		return
	}
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(answer)
}

// hangUp closes the client's connection without an answer: with reset, by
// a TCP RST.
func (p *chaosProxy) hangUp(w http.ResponseWriter, reset bool) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok && reset {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// chaosFigures are what the proxy did.
type chaosFigures struct {
	requests, faults int
	injected         map[string]int // by kind
	writes           int            // creates and deletes
	writeFaults      int
	writesLost       int // creates and deletes forwarded to the fake whose answer was then lost
	// distinctWrites is how many different creates and deletes were sent,
	// firstFaulted how many of them met a fault the first time: both are
	// the same in every run with the same seed.
	distinctWrites, firstFaulted int
}

func (p *chaosProxy) figures() chaosFigures {
	p.mu.Lock()
	defer p.mu.Unlock()
	f := chaosFigures{requests: p.requests, writes: p.writes, injected: map[string]int{}, writesLost: p.onWrites[faultCut]}
	for k := faultCut; k < faultKinds; k++ {
		if p.injected[k] > 0 {
			f.injected[faultNames[k]] = p.injected[k]
			f.faults += p.injected[k]
		}
		f.writeFaults += p.onWrites[k]
	}
	for _, k := range p.firstDraw {
		f.distinctWrites++
		if k != faultNone {
			f.firstFaulted++
		}
	}
	return f
}

// createLog is what the fake's request log says about the creates and
// deletes of one database on one instance, in the order the fake saw them.
type createLog struct {
	statuses []int    // creates
	deletes  []int    // deletes
	order    []string // "create 200", "delete 409", ...
}

// writesByDatabase reads the fake's request log: the creates and deletes
// each database received, per "instance/database".
func writesByDatabase(t *testing.T, s *fake.Server) map[string]*createLog {
	t.Helper()
	out := map[string]*createLog{}
	get := func(k string) *createLog {
		if out[k] == nil {
			out[k] = &createLog{}
		}
		return out[k]
	}
	for _, r := range s.Requests() {
		parts := strings.Split(r.Path, "/") // /v3/P/instances/I/clickhouse/replication[/D]
		switch r.Operation {
		case "CreateClickHouseDataBaseReplication":
			var body struct {
				SourceDatabase string `json:"source_database"`
			}
			require.NoError(t, json.Unmarshal(r.Body, &body))
			l := get(parts[4] + "/" + body.SourceDatabase)
			l.statuses = append(l.statuses, r.Status)
			l.order = append(l.order, fmt.Sprintf("create %d", r.Status))
		case "DeleteClickHouseDataBaseReplication":
			db, err := url.PathUnescape(parts[len(parts)-1])
			require.NoError(t, err)
			l := get(parts[4] + "/" + db)
			l.deletes = append(l.deletes, r.Status)
			l.order = append(l.order, fmt.Sprintf("delete %d", r.Status))
		}
	}
	return out
}

// accepted counts the answers 200 in statuses.
func accepted(statuses []int) int {
	n := 0
	for _, s := range statuses {
		if s == http.StatusOK {
			n++
		}
	}
	return n
}

// afterAccepted counts the requests that came after the first one the fake
// accepted (status 200).
func afterAccepted(statuses []int) int {
	i := slices.Index(statuses, http.StatusOK)
	if i < 0 {
		return 0
	}
	return len(statuses) - i - 1
}

// chaosProject is the project of the chaos test.
const chaosProject = "0c0a0500000000000000000000000003"

// chaosInstances are the three instances of the chaos test.
var chaosInstances = []string{
	"aa0000000000000000000000000001in16",
	"bb0000000000000000000000000002in16",
	"cc0000000000000000000000000003in16",
}

// TestChaosApply applies a file of 20 databases over 3 instances through a
// proxy that breaks a large share of the requests, to a fake that hides
// new jobs for a while and runs one operation per instance, then checks the
// fake's own state and request log: every database has exactly one task,
// nothing else exists, no database received a second create (or delete)
// after one was accepted, and the CLI's exit code and summary say what
// happened.
func TestChaosApply(t *testing.T) {
	t.Parallel()
	chaosApply(t, 20261201)
}

// chaosApply is TestChaosApply with the proxy's seed.
func chaosApply(t *testing.T, seed uint64) {
	t.Helper()
	// A fixed project ID: the proxy keys its faults by the request's path,
	// so a project made up afresh would draw other faults in every run.
	s := newFake(t, fake.WithProjectID(chaosProject), fake.WithJobDuration(80*time.Millisecond),
		fake.WithJobVisibilityDelay(40*time.Millisecond), fake.WithOneOperationPerInstance())
	// Tasks the file does not name: --prune deletes them, through the
	// faults too.
	require.NoError(t, s.AddReplication(chaosInstances[0], "legacy_a"))
	require.NoError(t, s.AddReplication(chaosInstances[2], "legacy_c"))
	require.NoError(t, s.AddReplication(chaosInstances[2], "legacy c2"))
	proxy := newChaosProxy(t, s.URL(), seed, 0.45,
		faultCut, faultCut, faultCut, faultDelay, faultReset, faultReset, fault502, fault503, fault429, faultBusy, faultBusy)

	var file strings.Builder
	file.WriteString("replications:\n")
	want := map[string][]string{}
	for i, inst := range chaosInstances {
		fmt.Fprintf(&file, "  - instance_id: %s\n    source_instance_id: %s\n    databases:\n", inst, sourceInstanceID)
		for d := i; d < 20; d += len(chaosInstances) {
			db := fmt.Sprintf("db_%02d", d)
			if d%7 == 3 {
				db = fmt.Sprintf("ventes été %02d", d) // spaces and non-ASCII letters are escaped in paths
			}
			fmt.Fprintf(&file, "      - %q\n", db)
			want[inst] = append(want[inst], db)
		}
	}
	env := with(tokenEnv(s), envEndpoint, proxy.URL())
	began := time.Now()
	var runs []result
	for run := 1; run <= 3; run++ {
		r := runApply(t, t.Context(), env, file.String(), "apply", "-f", "-", "--prune", "--output", "json",
			"--poll-interval", testPoll, "--confirm-wait", "400ms")
		runs = append(runs, r)
		doc := decodeApply(t, r.stdout)
		checkTruth(t, s, r, doc, want)
		if r.code == exitOK {
			break
		}
	}
	took := time.Since(began)

	// The state: exactly the file's databases, on each instance.
	tasks := 0
	for _, inst := range chaosInstances {
		var got []string
		for _, rep := range s.Replications(inst) {
			got = append(got, *rep.SourceDatabase)
		}
		tasks += len(got)
		assert.ElementsMatch(t, want[inst], got, "instance %s", inst)
	}
	// The request log: one accepted create per database, nothing sent
	// after it; one accepted delete per pruned task, nothing after it.
	writes := writesByDatabase(t, s)
	secondCreates := 0
	for _, inst := range chaosInstances {
		for _, db := range want[inst] {
			l := writes[inst+"/"+db]
			if !assert.NotNil(t, l, "%s/%s received no create", inst, db) {
				continue
			}
			assert.Equal(t, 1, accepted(l.statuses), "%s/%s: creates %v", inst, db, l.order)
			assert.Zero(t, afterAccepted(l.statuses), "%s/%s: a create after the accepted one: %v", inst, db, l.order)
			assert.Empty(t, l.deletes, "%s/%s", inst, db)
			secondCreates += afterAccepted(l.statuses)
		}
	}
	for _, k := range []string{chaosInstances[0] + "/legacy_a", chaosInstances[2] + "/legacy_c", chaosInstances[2] + "/legacy c2"} {
		l := writes[k]
		require.NotNil(t, l, "%s was not deleted", k)
		assert.Equal(t, 1, accepted(l.deletes), "%s: %v", k, l.order)
		assert.Zero(t, afterAccepted(l.deletes), "%s: a delete after the accepted one: %v", k, l.order)
	}
	require.Equal(t, exitOK, runs[len(runs)-1].code, "the last run: stderr:\n%s", runs[len(runs)-1].stderr)

	// A run that follows changes nothing and sends no write.
	before := s.RequestCount("CreateClickHouseDataBaseReplication") + s.RequestCount("DeleteClickHouseDataBaseReplication")
	again := runApply(t, t.Context(), env, file.String(), "apply", "-f", "-", "--prune", "--output", "json", "--poll-interval", testPoll, "--confirm-wait", "400ms")
	require.Equal(t, exitOK, again.code, again.stderr)
	for _, ch := range decodeApply(t, again.stdout).Changes {
		assert.Equal(t, actionNone, ch.Action, "%s/%s", ch.InstanceID, ch.Database)
	}
	assert.Equal(t, before, s.RequestCount("CreateClickHouseDataBaseReplication")+s.RequestCount("DeleteClickHouseDataBaseReplication"))

	fig := proxy.figures()
	creates, lost := 0, 0
	for _, r := range runs {
		for _, ch := range decodeApply(t, r.stdout).Changes {
			if ch.Action == actionCreate && ch.Result == resultDone {
				creates++
				if ch.JobIDLost {
					lost++
				}
			}
		}
	}
	keys := make([]string, 0, len(fig.injected))
	for k := range fig.injected {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, fig.injected[k]))
	}
	t.Logf("chaos (seed %d): %d apply %s in %s; %d requests through the proxy, %d faults injected (%s); "+
		"%d creates and deletes sent, %d of them faulted, %d of those forwarded and their answer lost; the fake saw %d requests; "+
		"%d tasks found (20 wanted); %d creates done (%d with the job ID lost); %d creates after an accepted one",
		seed, len(runs), plural(len(runs), "run", "runs"), took.Round(100*time.Millisecond), fig.requests, fig.faults, strings.Join(parts, ", "),
		fig.writes, fig.writeFaults, fig.writesLost, s.RequestCount(""), tasks, creates, lost, secondCreates)
	// How many requests meet a fault in all depends on how the parallel
	// instances interleave (a busy instance is asked again, a job is looked
	// at more or less often); what each create and delete meets the first
	// time it is sent does not. Those figures are asserted.
	t.Logf("chaos (seed %d): %d distinct creates and deletes, %d of them faulted the first time they were sent",
		seed, fig.distinctWrites, fig.firstFaulted)
	assert.Equal(t, 23, fig.distinctWrites, "20 creates and 3 deletes")
	assert.GreaterOrEqual(t, fig.firstFaulted*100/fig.distinctWrites, 40, "a large share of the writes met a fault (12 of 23 with this seed and project)")
}

// checkTruth checks that one apply run's exit code and document say what
// the fake holds: exit 0 means the fake matches the file; every change
// reported done is true of the fake; a failure has its error.
func checkTruth(t *testing.T, s *fake.Server, r result, doc applyDoc, want map[string][]string) {
	t.Helper()
	has := map[string]bool{}
	for _, inst := range chaosInstances {
		for _, rep := range s.Replications(inst) {
			has[inst+"/"+*rep.SourceDatabase] = true
		}
	}
	n := 0
	for _, inst := range chaosInstances {
		for _, db := range want[inst] {
			if has[inst+"/"+db] {
				n++
			}
		}
	}
	matches := n == len(has) && n == 20
	failed := 0
	for _, ch := range doc.Changes {
		k := ch.InstanceID + "/" + ch.Database
		switch {
		case ch.Result == resultFailed:
			failed++
			assert.NotEmpty(t, ch.Error, "%s: a failure says why", k)
		case ch.Result == resultDone && ch.Action == actionDelete:
			assert.False(t, has[k], "%s reported deleted but the fake has it", k)
		case ch.Result == resultDone:
			assert.True(t, has[k], "%s reported done but the fake has no task", k)
			if ch.Action == actionCreate {
				assert.True(t, ch.JobIDLost != (ch.JobID != ""), "%s: a job ID, or job_id_lost", k)
			}
		}
	}
	switch r.code {
	case exitOK:
		assert.True(t, matches, "exit 0 but the fake does not match the file; stderr:\n%s", r.stderr)
		assert.Zero(t, failed)
	case exitAPI:
		assert.Positive(t, failed, "exit 1 names a failed change")
		assert.Contains(t, r.stderr, "failed: the service does not match the file")
	default:
		t.Errorf("unexpected exit code %d; stderr:\n%s", r.code, r.stderr)
	}
}
