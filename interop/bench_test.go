package interop

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/gaussdb/v3/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/auth"
	"github.com/gaussdb-tools/chreplication/fake"
)

// The time budget of the facade's AK/SK create call against the SDK's.
const createTimeBudget = 2.0 / 3.0

// Contender names.
const (
	nameFacade  = "facade-aksk"
	nameSDK     = "sdk-aksk"
	nameWire    = "wire"
	nameNetHTTP = "nethttp"
)

// benchKeys are the AK/SK pair of the bench server, which checks only that a
// request is signed (TestCreateContendersAreComparable checks the
// signatures against the fake).
var benchKeys = endpointInfo{ProjectID: "23a50154cf494ec9ad6883979a12db0a", AK: "BENCHACCESSKEY0000000", SK: "bench-secret-key-0000000000000000000000"}

// createContender makes one create call, of database db, and returns the
// job ID the answer named.
type createContender struct {
	name   string
	create func(ctx context.Context, db string) (string, error)
}

// newCreateContenders returns the two contenders of BenchmarkCreate against
// the endpoint e, each as a user builds it: the chreplication facade with
// auth.AKSK and its default HTTP client, and the official SDK with basic
// (AK/SK) credentials and its default HTTP configuration.
func newCreateContenders(tb testing.TB, e endpointInfo) [2]createContender {
	tb.Helper()
	return newCreateContendersWith(tb, e, nil)
}

// newCreateContendersWith is newCreateContenders with both clients sending
// through rt (nil: their own default transports).
func newCreateContendersWith(tb testing.TB, e endpointInfo, rt http.RoundTripper) [2]createContender {
	tb.Helper()
	opts := []chreplication.Option{
		chreplication.WithProjectID(e.ProjectID),
		chreplication.WithAuth(auth.AKSK{AccessKey: e.AK, SecretKey: e.SK, ProjectID: e.ProjectID}),
	}
	if rt != nil {
		opts = append(opts, chreplication.WithHTTPClient(&http.Client{Transport: rt}))
	}
	c, err := chreplication.NewClient(e.URL, opts...)
	require.NoError(tb, err)
	sdk := newSDKClientWith(tb, e, rt)
	return [2]createContender{
		{nameFacade, func(ctx context.Context, db string) (string, error) {
			return c.CreateReplication(ctx, chInstanceID, chreplication.CreateReplicationRequest{
				SourceInstanceID: sourceInstanceID,
				SourceDatabase:   db,
			})
		}},
		{nameSDK, func(_ context.Context, db string) (string, error) {
			r, err := sdk.CreateClickHouseDataBaseReplication(&model.CreateClickHouseDataBaseReplicationRequest{
				InstanceId: chInstanceID,
				Body: &model.CreateChDatabaseReplicationRequestBody{
					SourceInstanceId: sourceInstanceID,
					SourceDatabase:   db,
				},
			})
			if err != nil {
				return "", err
			}
			return deref(r.JobId), nil
		}},
	}
}

// TestCreateContendersAreComparable checks that both contenders make the
// same call: against the fake, each create is one request, signed with a
// signature the fake verifies, that creates the replication; against the
// bench server, each reads the same job ID.
func TestCreateContendersAreComparable(t *testing.T) {
	t.Parallel()
	s, err := fake.NewServer(fake.WithJobDuration(0))
	require.NoError(t, err)
	t.Cleanup(s.Close)
	ak, sk := s.AccessKey()
	cs := newCreateContenders(t, endpointInfo{URL: s.URL(), ProjectID: s.ProjectID(), AK: ak, SK: sk})
	for _, c := range cs {
		before := s.RequestCount("CreateClickHouseDataBaseReplication")
		jobID, err := c.create(t.Context(), "db_"+c.name[:3])
		require.NoError(t, err, c.name)
		assert.NotEmpty(t, jobID, c.name)
		assert.Equal(t, before+1, s.RequestCount("CreateClickHouseDataBaseReplication"), "%s: one request per call", c.name)
		j, ok := s.Job(jobID)
		assert.True(t, ok, "%s: the fake started no job %s", c.name, jobID)
		assert.Equal(t, chInstanceID, j.Instance.ID, c.name)
	}
	for _, r := range s.Requests() {
		assert.Equal(t, "Authorization", r.AuthHeader, "%s %s", r.Method, r.Path)
		assert.True(t, r.Authenticated, "%s %s: signature refused", r.Method, r.Path)
	}

	bs, err := startBenchServer()
	require.NoError(t, err)
	e := benchKeys
	e.URL = bs.URL
	for _, c := range newCreateContenders(t, e) {
		jobID, err := c.create(t.Context(), "sales")
		require.NoError(t, err, c.name)
		assert.Equal(t, "18ef8ee3-b880-4851-8978-bb6acbd4e695", jobID, c.name)
	}
}

// TestCreateAllocs checks the allocation half of the budget: the facade's
// AK/SK create call allocates less than the SDK's (client side only: the
// bench server runs in another process).
func TestCreateAllocs(t *testing.T) {
	bs, err := startBenchServer()
	require.NoError(t, err)
	e := benchKeys
	e.URL = bs.URL
	cs := newCreateContenders(t, e)
	var allocs [2]float64
	for i, c := range cs {
		var callErr error
		allocs[i] = testing.AllocsPerRun(50, func() {
			if _, err := c.create(context.Background(), "sales"); err != nil {
				callErr = err
			}
		})
		require.NoError(t, callErr, c.name)
	}
	t.Logf("allocations per create call: %s %.0f, %s %.0f", cs[0].name, allocs[0], cs[1].name, allocs[1])
	assert.Less(t, allocs[0], allocs[1], "%s must allocate less than %s", cs[0].name, cs[1].name)
}

// BenchmarkCreate measures one AK/SK-signed create call per op, by the
// facade and by the SDK, against the bench server (a process of its own, so
// B/op and allocs/op are the client's). conns/op is the number of TCP
// connections the server saw opened per call (0 when connections are
// reused). Run with -count N, the contenders alternate N times.
func BenchmarkCreate(b *testing.B) {
	bs, err := startBenchServer()
	if err != nil {
		b.Fatal(err)
	}
	e := benchKeys
	e.URL = bs.URL
	for _, c := range newCreateContenders(b, e) {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			if _, err := c.create(ctx, "sales"); err != nil { // a connection, warm caches
				b.Fatal(err)
			}
			before, err := bs.stats(ctx)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.create(ctx, "sales"); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			after, err := bs.stats(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if got := after.Requests - before.Requests; got != int64(b.N) {
				b.Fatalf("%d requests for %d calls", got, b.N)
			}
			b.ReportMetric(float64(after.Conns-before.Conns)/float64(b.N), "conns/op")
		})
	}
}

// BenchmarkCreateInterleaved alternates the facade's and the SDK's create
// calls in one loop (each goes first every other op) against the bench
// server, so that both see the machine at the same moments, and reports
// each one's time per call and their ratio; facade/sdk must be at most
// createTimeBudget. Two more contenders run in the same loop, as floors:
// wire (wireCall: the same request as fixed bytes on one kept-alive
// connection, the answer's bytes read back, no other work; no HTTP client
// can be faster, so wire/sdk is the least ratio any client could reach
// against this server on this machine) and nethttp (netHTTPCall: the same
// request through net/http's Client and Transport with its headers and
// body built once; nethttp/sdk is the least ratio a client sending through
// net/http's Transport could reach).
func BenchmarkCreateInterleaved(b *testing.B) {
	bs, err := startBenchServer()
	if err != nil {
		b.Fatal(err)
	}
	e := benchKeys
	e.URL = bs.URL
	w, err := dialWire(bs.URL)
	if err != nil {
		b.Fatal(err)
	}
	defer w.close()
	n := newNetHTTPCall(w, bs.URL)
	interleave(b, newCreateContenders(b, e),
		createContender{nameWire, func(context.Context, string) (string, error) { return "", w.call() }},
		createContender{nameNetHTTP, func(ctx context.Context, _ string) (string, error) { return "", n.call(ctx) }})
}

// BenchmarkCreateClientOnly is BenchmarkCreateInterleaved with both clients
// sending through an in-memory transport that answers at once: each
// client's own work (building, signing, sending through net/http's client
// layer, decoding), without the network and the server that both share
// on loopback.
func BenchmarkCreateClientOnly(b *testing.B) {
	e := benchKeys
	e.URL = "http://127.0.0.1:1"
	interleave(b, newCreateContendersWith(b, e, memoryTransport{}))
}

// interleave runs the contenders' create calls alternately, with the
// floors' calls in the same loop, and reports their time per call, each
// one's ratio to the SDK's and whether facade/sdk meets the budget.
func interleave(b *testing.B, cs [2]createContender, floors ...createContender) {
	b.Helper()
	ctx := context.Background()
	all := append(cs[:], floors...)
	for _, c := range all {
		if _, err := c.create(ctx, "sales"); err != nil {
			b.Fatal(c.name, err)
		}
	}
	spent := make([]time.Duration, len(all))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		for k := range all {
			j := (i + k) % len(all)
			start := time.Now()
			if _, err := all[j].create(ctx, "sales"); err != nil {
				b.Fatal(all[j].name, err)
			}
			spent[j] += time.Since(start)
		}
	}
	per := func(i int) float64 { return float64(spent[i]) / float64(b.N) }
	facade, sdk := per(0), per(1)
	b.ReportMetric(facade, nameFacade+"-ns/call")
	b.ReportMetric(sdk, nameSDK+"-ns/call")
	b.ReportMetric(facade/sdk, "facade/sdk")
	var note strings.Builder
	for i, f := range floors {
		t := per(len(cs) + i)
		b.ReportMetric(t, f.name+"-ns/call")
		b.ReportMetric(t/sdk, f.name+"/sdk")
		fmt.Fprintf(&note, "; %s/sdk %.3f", f.name, t/sdk)
	}
	if b.N > 100 {
		verdict := "PASS"
		if facade/sdk > createTimeBudget {
			verdict = "MISS"
		}
		b.Logf("%s: facade/sdk %.3f, budget %.3f%s", verdict, facade/sdk, createTimeBudget, note.String())
	}
}

// memoryTransport answers every signed create with the bench server's
// answer, without a network: what net/http's client would read off the
// wire.
type memoryTransport struct{}

func (memoryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	status := http.StatusOK
	body := benchCreateAnswer
	if !strings.HasPrefix(req.Header.Get("Authorization"), "SDK-HMAC-SHA256 ") {
		status, body = http.StatusUnauthorized, nil
	}
	return &http.Response{
		StatusCode: status, Status: http.StatusText(status), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/json"}, "Content-Length": {strconv.Itoa(len(body))}},
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}, nil
}
