package fake_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication/fake"
)

// testInstance is the seed's instance ID.
const testInstance = "54e42160670e48e789af7075e1efea1fin16"

// newServer starts a fake for one test and closes it when the test ends.
func newServer(t testing.TB, opts ...fake.Option) *fake.Server {
	t.Helper()
	s, err := fake.NewServer(opts...)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s
}

// answer is what a test request got back.
type answer struct {
	Status int
	Header http.Header
	Body   []byte
}

// errorBody decodes an ErrorResponse body.
func (a answer) errorBody(t testing.TB) fake.ErrorResponse {
	t.Helper()
	var e fake.ErrorResponse
	require.NoError(t, json.Unmarshal(a.Body, &e), "body %q", a.Body)
	return e
}

// decode decodes the body into v.
func (a answer) decode(t testing.TB, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(a.Body, v), "body %q", a.Body)
}

// call sends one request to s with the static token unless the header
// argument sets X-Auth-Token or Authorization (set to "" to send none).
func call(t testing.TB, s *fake.Server, method, path, body string, header ...string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL()+path, strings.NewReader(body))
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("X-Auth-Token", s.Token())
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] == "" {
			req.Header.Del(header[i])
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := s.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return answer{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// replicationPath is the create/list path of an instance of s's project.
func replicationPath(s *fake.Server, instance string) string {
	return "/v3/" + s.ProjectID() + "/instances/" + instance + "/clickhouse/replication"
}

// deletePath is the delete path of a database, escaped.
func deletePath(s *fake.Server, instance, database string) string {
	return replicationPath(s, instance) + "/" + url.PathEscape(database)
}

// jobPath is the path that shows a job.
func jobPath(s *fake.Server, id string) string {
	return "/v3/" + s.ProjectID() + "/jobs?id=" + url.QueryEscape(id)
}

func createBody(database string) string {
	b, _ := json.Marshal(map[string]string{"source_instance_id": "src0123", "source_database": database})
	return string(b)
}

// create creates a replication and returns its job ID.
func create(t testing.TB, s *fake.Server, instance, database string) string {
	t.Helper()
	a := call(t, s, http.MethodPost, replicationPath(s, instance), createBody(database))
	require.Equal(t, http.StatusOK, a.Status, "body %s", a.Body)
	var r fake.JobIDResponse
	a.decode(t, &r)
	require.NotEmpty(t, r.JobID)
	return r.JobID
}

// showJob polls a job once.
func showJob(t testing.TB, s *fake.Server, id string) fake.Job {
	t.Helper()
	a := call(t, s, http.MethodGet, jobPath(s, id), "")
	require.Equal(t, http.StatusOK, a.Status, "body %s", a.Body)
	var r fake.ShowJobResponse
	a.decode(t, &r)
	return r.Job
}

// list lists one page; limit or offset < 0 leaves it out of the query.
func list(t testing.TB, s *fake.Server, instance string, limit, offset int) fake.ListReplicationsResponse {
	t.Helper()
	q := url.Values{}
	if limit >= 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if offset >= 0 {
		q.Set("offset", strconv.Itoa(offset))
	}
	path := replicationPath(s, instance)
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	a := call(t, s, http.MethodGet, path, "")
	require.Equal(t, http.StatusOK, a.Status, "body %s", a.Body)
	var r fake.ListReplicationsResponse
	a.decode(t, &r)
	return r
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// syncBuffer is a bytes.Buffer safe for concurrent use, for log output.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newTestLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// clock is a clock tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2018, 8, 6, 10, 41, 14, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
