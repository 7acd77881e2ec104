package reconcile_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/auth"
	"github.com/gaussdb-tools/chreplication/fake"
	"github.com/gaussdb-tools/chreplication/reconcile"
)

// testToken is the token every test fake accepts.
const testToken = "tok-S3CRET-reconcile-0001"

// fastRetry keeps the client's retries short in tests.
var fastRetry = chreplication.RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}

// newFake starts a fake on 127.0.0.1 with short jobs, stopped when the
// test ends.
func newFake(t *testing.T, opts ...fake.Option) *fake.Server {
	t.Helper()
	s, err := fake.NewServer(append([]fake.Option{fake.WithToken(testToken), fake.WithJobDuration(30 * time.Millisecond)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s
}

// clients makes the clients of the test's places and counts how many it
// made for each (endpoint, project).
type clients struct {
	mu   sync.Mutex
	made map[string]int
	opts []chreplication.Option
}

func (c *clients) make(endpoint, projectID string) (*chreplication.Client, error) {
	c.mu.Lock()
	if c.made == nil {
		c.made = map[string]int{}
	}
	c.made[endpoint+" "+projectID]++
	c.mu.Unlock()
	return chreplication.NewClient(endpoint, append([]chreplication.Option{
		chreplication.WithProjectID(projectID),
		chreplication.WithAuth(auth.StaticToken(testToken)),
		chreplication.WithRetry(fastRetry),
	}, c.opts...)...)
}

func (c *clients) count() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for k, v := range c.made {
		out[k] = v
	}
	return out
}

// newApplier returns an Applier whose default place is s, with short
// polls, and the clients it made.
func newApplier(t *testing.T, s *fake.Server, opts reconcile.Options, clientOpts ...chreplication.Option) (*reconcile.Applier, *clients) {
	t.Helper()
	cs := &clients{opts: clientOpts}
	opts.Client = cs.make
	if opts.Endpoint == "" {
		opts.Endpoint = s.URL()
	}
	if opts.ProjectID == "" {
		opts.ProjectID = s.ProjectID()
	}
	if opts.PollInterval == 0 {
		opts.PollInterval = 5 * time.Millisecond
	}
	if opts.ConfirmWait == 0 {
		opts.ConfirmWait = 2 * time.Second
	}
	a, err := reconcile.New(opts)
	require.NoError(t, err)
	return a, cs
}

// parse parses an apply file that must be valid.
func parse(t *testing.T, file string) *reconcile.Declaration {
	t.Helper()
	d, err := reconcile.Parse("test", []byte(file))
	require.NoError(t, err)
	return d
}

// entry is an apply file entry for instance with dbs, and extra keys.
func entry(instance string, dbs string, extra ...string) string {
	e := "  - instance_id: " + instance + "\n    source_instance_id: " + sourceInstanceID + "\n    databases: [" + dbs + "]\n"
	for _, x := range extra {
		e += "    " + x + "\n"
	}
	return e
}

func file(entries ...string) string { return "replications:\n" + strings.Join(entries, "") }

// byKey indexes changes by "instance/database".
func byKey(changes []reconcile.Change) map[string]reconcile.Change {
	m := map[string]reconcile.Change{}
	for _, ch := range changes {
		m[ch.InstanceID+"/"+ch.Database] = ch
	}
	return m
}

func databasesOf(s *fake.Server, instance string) []string {
	out := []string{}
	for _, r := range s.Replications(instance) {
		out = append(out, *r.SourceDatabase)
	}
	return out
}

// writes counts the fake's answers to the requests of op by status.
func writes(s *fake.Server, op string) map[int]int {
	out := map[int]int{}
	for _, r := range s.Requests() {
		if r.Operation == op {
			out[r.Status]++
		}
	}
	return out
}

// losingProxy forwards to s and loses the answers of the first n requests
// with method (the fake served them): the client gets a 502 instead.
func losingProxy(t *testing.T, s *fake.Server, method string, n int) string {
	t.Helper()
	u, err := url.Parse(s.URL())
	require.NoError(t, err)
	rp := httputil.NewSingleHostReverseProxy(u)
	tr := &http.Transport{}
	rp.Transport = tr
	var left atomic.Int32
	left.Store(int32(n))
	rp.ModifyResponse = func(r *http.Response) error {
		if r.Request.Method == method && left.Add(-1) >= 0 {
			return errors.New("answer lost")
		}
		return nil
	}
	rp.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) }
	srv := httptest.NewServer(rp)
	t.Cleanup(func() {
		srv.Close()
		tr.CloseIdleConnections()
	})
	return srv.URL
}
