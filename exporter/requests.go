package exporter

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// RequestCounter is an http.RoundTripper that counts the requests it sends,
// as the metric chreplication_api_requests_total{operation,code}: operation
// is the spec's operationId the request's method and path belong to
// ("ListClickHouseDataBaseReplication"; "other" for a path of no
// operation), code the answer's HTTP status ("200", "429"), or "error" when
// no answer came. Every attempt counts, retries included: it is what was
// spent of the API's request budget. Give it to the clients with
// chreplication.WithHTTPClient(rc.Client()) and to the Exporter with
// WithRequestCounter. It is a prometheus.Collector; it is safe for
// concurrent use. Build it with NewRequestCounter.
type RequestCounter struct {
	next http.RoundTripper
	vec  *prometheus.CounterVec
}

// NewRequestCounter returns a RequestCounter that sends requests with next,
// or with http.DefaultTransport when next is nil.
func NewRequestCounter(next http.RoundTripper) *RequestCounter {
	if next == nil {
		next = http.DefaultTransport
	}
	return &RequestCounter{
		next: next,
		vec: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chreplication_api_requests_total",
			Help: "Requests sent to the GaussDB(for MySQL) API, every attempt included, by operation and HTTP status (\"error\": no answer).",
		}, []string{"operation", "code"}),
	}
}

// RoundTrip sends req with the next RoundTripper and counts it.
func (rc *RequestCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := rc.next.RoundTrip(req)
	code := "error"
	if err == nil {
		code = strconv.Itoa(resp.StatusCode)
	}
	rc.vec.WithLabelValues(Operation(req.Method, req.URL.EscapedPath()), code).Inc()
	return resp, err
}

// Client returns an *http.Client that sends through rc, for
// chreplication.WithHTTPClient.
func (rc *RequestCounter) Client() *http.Client { return &http.Client{Transport: rc} }

// Describe implements prometheus.Collector.
func (rc *RequestCounter) Describe(ch chan<- *prometheus.Desc) { rc.vec.Describe(ch) }

// Collect implements prometheus.Collector.
func (rc *RequestCounter) Collect(ch chan<- prometheus.Metric) { rc.vec.Collect(ch) }

// route is one operation of the spec: its method and the segments of its
// path after /v3/{project_id}/ ("*" matches any one segment).
type route struct {
	method, operation string
	segments          []string
}

var routes = []route{
	{http.MethodPost, "CreateClickHouseDataBaseReplication", []string{"instances", "*", "clickhouse", "replication"}},
	{http.MethodGet, "ListClickHouseDataBaseReplication", []string{"instances", "*", "clickhouse", "replication"}},
	{http.MethodGet, "ListClickHouseDataBaseParameter", []string{"instances", "*", "clickhouse", "replication", "database-parameter"}},
	{http.MethodPost, "CheckClickHouseDataBaseConfig", []string{"instances", "*", "clickhouse", "replication", "database-check"}},
	{http.MethodPost, "CheckClickHouseTableConfig", []string{"instances", "*", "clickhouse", "replication", "table-check"}},
	{http.MethodGet, "ListClickHouseDataBaseReplicationConfig", []string{"instances", "*", "clickhouse", "replication", "config"}},
	{http.MethodDelete, "DeleteClickHouseDataBaseReplication", []string{"instances", "*", "clickhouse", "replication", "*"}},
	{http.MethodGet, "ListClickHouseDataBase", []string{"instances", "*", "clickhouse", "databases"}},
	{http.MethodPut, "UpdateClickHouseDataBaseConfig", []string{"instances", "*", "clickhouse", "databases", "replication", "config"}},
	{http.MethodDelete, "DeleteClickHouseDataBaseConfig", []string{"instances", "*", "clickhouse", "databases", "replication", "config"}},
	{http.MethodGet, "ShowGaussMySqlJobInfo", []string{"jobs"}},
}

// Operation returns the operationId of the spec a request of method to
// path (as sent, escaped) belongs to, such as
// "ListClickHouseDataBaseReplication"; "KeystoneCreateUserTokenByPassword"
// for IAM's POST /v3/auth/tokens; "other" for anything else. A prefix
// before /v3/ (an endpoint with a base path) is ignored.
func Operation(method, path string) string {
	i := strings.Index(path, "/v3/")
	if i < 0 {
		return "other"
	}
	segs := strings.Split(strings.TrimSuffix(path[i+len("/v3/"):], "/"), "/")
	if method == http.MethodPost && len(segs) == 2 && segs[0] == "auth" && segs[1] == "tokens" {
		return "KeystoneCreateUserTokenByPassword"
	}
	if len(segs) < 2 || segs[0] == "" {
		return "other"
	}
	segs = segs[1:] // the project
	for _, r := range routes {
		if r.method == method && matches(r.segments, segs) {
			return r.operation
		}
	}
	return "other"
}

func matches(pattern, segs []string) bool {
	if len(pattern) != len(segs) {
		return false
	}
	for i, p := range pattern {
		if segs[i] == "" || (p != "*" && p != segs[i]) {
			return false
		}
	}
	return true
}
