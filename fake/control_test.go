package fake_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication/fake"
)

// control sends one control request, with no credentials.
func control(t testing.TB, s *fake.Server, method, path, body string) answer {
	t.Helper()
	return call(t, s, method, path, body, "X-Auth-Token", "")
}

// statePath is the control route that sets a task's state.
func statePath(instance, database string) string {
	return "/_fake/replications/" + url.PathEscape(instance) + "/" + url.PathEscape(database) + "/state"
}

func TestControlOff(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithJobMode(fake.JobsManual))
	a := control(t, s, http.MethodPost, "/_fake/jobs/fail-next", "")
	assert.Equal(t, http.StatusNotFound, a.Status)
	assert.Equal(t, fake.CodeAPINotFound, a.errorBody(t).ErrorCode, "a path of no operation")
	assert.Equal(t, 1, s.RequestCount(""), "recorded as any request")
	create(t, s, testInstance, "shop")
	s.FinishJobs()
	assert.Equal(t, fake.StatusNormal, s.Replications(testInstance)[0].Status, "no failure was queued")
}

func TestControlState(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithControl(), fake.WithJobMode(fake.JobsManual),
		fake.WithSourceDatabases(testInstance, "shop", "my sales é"))
	create(t, s, testInstance, "shop")
	create(t, s, testInstance, "my sales é")

	a := control(t, s, http.MethodPost, statePath(testInstance, "my sales é"),
		`{"status":"abnormal","stage":"full","catchup_stage":"failed","percentage":37}`)
	require.Equal(t, http.StatusOK, a.Status, "body %s", a.Body)
	entry := `{"source_database":"my sales é","target_database":"my sales é","status":"abnormal","stage":"full","catchup_stage":"failed","percentage":"37"}`
	assert.JSONEq(t, entry, string(a.Body), "the task as the list now shows it")
	page := list(t, s, testInstance, -1, -1)
	require.Len(t, page.Replications, 2)
	assert.Equal(t, fake.StatusNormal, page.Replications[0].Status, "shop is untouched")
	assert.Equal(t, fake.StatusAbnormal, page.Replications[1].Status)
	assert.Equal(t, "failed", deref(page.Replications[1].CatchupStage))
	assert.EqualValues(t, 37, page.Replications[1].Percentage)
	assert.Equal(t, 3, s.RequestCount(""), "two creates and a list: control requests are not recorded")

	t.Run("refused", func(t *testing.T) {
		tests := []struct {
			name, path, body string
			status           int
			code, msg        string
		}{
			{"unknown database", statePath(testInstance, "sales"), `{"status":"normal"}`,
				http.StatusNotFound, fake.CodeControlNotFound, `There is no synchronization task of database "sales" on instance "` + testInstance + `".`},
			{"unknown instance", statePath("otherinstance01", "shop"), `{"status":"normal"}`,
				http.StatusNotFound, fake.CodeControlNotFound, `There is no synchronization task on instance "otherinstance01".`},
			{"not JSON", statePath(testInstance, "shop"), `{"status":`,
				http.StatusBadRequest, fake.CodeControlInvalid, "the JSON ends too early"},
			{"broken JSON", statePath(testInstance, "shop"), `{"status" "normal"}`,
				http.StatusBadRequest, fake.CodeControlInvalid, "not valid JSON at byte"},
			{"empty body", statePath(testInstance, "shop"), ``,
				http.StatusBadRequest, fake.CodeControlInvalid, "the body is empty"},
			{"wrong type", statePath(testInstance, "shop"), `{"status":"normal","percentage":"40"}`,
				http.StatusBadRequest, fake.CodeControlInvalid, `field "percentage": a JSON string where an integer is wanted`},
			{"not an object", statePath(testInstance, "shop"), `["normal"]`,
				http.StatusBadRequest, fake.CodeControlInvalid, "a JSON array where an object is wanted"},
			{"unknown field", statePath(testInstance, "shop"), `{"status":"normal","state":"x"}`,
				http.StatusBadRequest, fake.CodeControlInvalid, `unknown field "state"`},
			{"two values", statePath(testInstance, "shop"), `{"status":"normal"} {}`,
				http.StatusBadRequest, fake.CodeControlInvalid, "more than one JSON value"},
			{"no status", statePath(testInstance, "shop"), `{"stage":"full"}`,
				http.StatusBadRequest, fake.CodeControlInvalid, "status: must not be empty"},
			{"percentage too high", statePath(testInstance, "shop"), `{"status":"normal","percentage":101}`,
				http.StatusBadRequest, fake.CodeControlInvalid, "percentage: 101 is not between 0 and 100"},
			{"wrong method", statePath(testInstance, "shop"), ``,
				http.StatusNotFound, fake.CodeControlNotFound, "No control route has method GET"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				method := http.MethodPost
				if strings.HasPrefix(tt.name, "wrong method") {
					method = http.MethodGet
				}
				a := control(t, s, method, tt.path, tt.body)
				require.Equal(t, tt.status, a.Status, "body %s", a.Body)
				e := a.errorBody(t)
				assert.Equal(t, tt.code, e.ErrorCode)
				assert.Contains(t, e.ErrorMsg, tt.msg)
			})
		}
	})
	assert.Equal(t, fake.StatusNormal, s.Replications(testInstance)[0].Status, "no refused request changed shop")
}

func TestControlFaults(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithControl())
	a := control(t, s, http.MethodPost, "/_fake/faults",
		`{"operation":"CreateClickHouseDataBaseReplication","status":503,"headers":{"Retry-After":"1"},"body":"<html><body>503 Service Unavailable</body></html>"}`)
	require.Equal(t, http.StatusNoContent, a.Status, "body %s", a.Body)

	a = call(t, s, http.MethodGet, replicationPath(s, testInstance), "")
	assert.Equal(t, http.StatusOK, a.Status, "another operation is not affected")
	a = call(t, s, http.MethodPost, replicationPath(s, testInstance), createBody("shop"))
	assert.Equal(t, http.StatusServiceUnavailable, a.Status)
	assert.Equal(t, "<html><body>503 Service Unavailable</body></html>", string(a.Body))
	assert.Equal(t, "1", a.Header.Get("Retry-After"))
	assert.Equal(t, "text/html; charset=utf-8", a.Header.Get("Content-Type"))
	create(t, s, testInstance, "shop") // the fault is used up

	// Every request, until the faults are cleared.
	a = control(t, s, http.MethodPost, "/_fake/faults", `{"times":-1,"status":500,"body":"{\"error_code\":\"DBS.200005\",\"error_msg\":\"Server failure.\"}"}`)
	require.Equal(t, http.StatusNoContent, a.Status, "body %s", a.Body)
	for range 3 {
		a = call(t, s, http.MethodGet, replicationPath(s, testInstance), "")
		assert.Equal(t, http.StatusInternalServerError, a.Status)
		assert.JSONEq(t, `{"error_code":"DBS.200005","error_msg":"Server failure."}`, string(a.Body))
	}
	a = control(t, s, http.MethodDelete, "/_fake/faults", "")
	require.Equal(t, http.StatusNoContent, a.Status, "body %s", a.Body)
	a = call(t, s, http.MethodGet, replicationPath(s, testInstance), "")
	assert.Equal(t, http.StatusOK, a.Status)

	// A delay: the client gives up first.
	a = control(t, s, http.MethodPost, "/_fake/faults", `{"operation":"ListClickHouseDataBaseReplication","delay":"1h"}`)
	require.Equal(t, http.StatusNoContent, a.Status, "body %s", a.Body)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL()+replicationPath(s, testInstance), nil)
	require.NoError(t, err)
	req.Header.Set("X-Auth-Token", s.Token())
	resp, err := s.Client().Do(req)
	if resp != nil {
		_ = resp.Body.Close()
	}
	require.ErrorIs(t, err, context.DeadlineExceeded, "the fault held the answer back")

	t.Run("refused", func(t *testing.T) {
		tests := []struct{ name, body, msg string }{
			{"unknown operation", `{"operation":"CreateReplication","status":503}`, `operation: "CreateReplication" is not an operationId`},
			{"informational status", `{"status":100}`, "status: 100 is not 0"},
			{"bad delay", `{"delay":"soon"}`, `delay: "soon" is not a duration`},
			{"negative delay", `{"delay":"-1s"}`, "delay: must not be negative"},
			{"nothing to do", `{"operation":"ListClickHouseDataBase"}`, "give a delay, a status or both"},
			{"body without status", `{"delay":"1s","body":"x"}`, "headers, body: need a status"},
			{"delay as a number", `{"delay":1000}`, `field "delay": a JSON number where a string is wanted`},
			{"headers as a list", `{"status":503,"headers":["Retry-After: 1"]}`, `field "headers": a JSON array where an object is wanted`},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				a := control(t, s, http.MethodPost, "/_fake/faults", tt.body)
				require.Equal(t, http.StatusBadRequest, a.Status, "body %s", a.Body)
				e := a.errorBody(t)
				assert.Equal(t, fake.CodeControlInvalid, e.ErrorCode)
				assert.Contains(t, e.ErrorMsg, tt.msg)
			})
		}
	})
	s.ClearFaults()
	a = call(t, s, http.MethodGet, replicationPath(s, testInstance), "")
	assert.Equal(t, http.StatusOK, a.Status)
	a = call(t, s, http.MethodGet, "/v3/"+s.ProjectID()+"/instances/"+testInstance+"/clickhouse/databases", "")
	assert.Equal(t, http.StatusOK, a.Status, "no refused fault was injected")
}

func TestControlJobs(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithControl(), fake.WithJobMode(fake.JobsManual))
	a := control(t, s, http.MethodPost, "/_fake/jobs/fail-next", `{"reason":"source binlog is disabled"}`)
	require.Equal(t, http.StatusNoContent, a.Status, "body %s", a.Body)
	a = control(t, s, http.MethodPost, "/_fake/jobs/fail-next", "") // the default reason
	require.Equal(t, http.StatusNoContent, a.Status, "body %s", a.Body)

	shop := create(t, s, testInstance, "shop")
	sales := create(t, s, testInstance, "sales")
	orders := create(t, s, testInstance, "orders")

	a = control(t, s, http.MethodPost, "/_fake/jobs/advance", `{"steps":2}`)
	require.Equal(t, http.StatusNoContent, a.Status, "body %s", a.Body)
	a = control(t, s, http.MethodPost, "/_fake/jobs/advance", `{"job_id":"`+orders+`"}`) // one step
	require.Equal(t, http.StatusNoContent, a.Status, "body %s", a.Body)
	assert.Equal(t, "40%", deref(showJob(t, s, shop).Process))
	assert.Equal(t, "60%", deref(showJob(t, s, orders).Process))

	a = control(t, s, http.MethodPost, "/_fake/jobs/finish", "")
	require.Equal(t, http.StatusNoContent, a.Status, "body %s", a.Body)
	j := showJob(t, s, shop)
	assert.Equal(t, fake.JobStatusFailed, j.Status)
	assert.Equal(t, "source binlog is disabled", deref(j.FailReason))
	j = showJob(t, s, sales)
	assert.Equal(t, fake.JobStatusFailed, j.Status)
	assert.Equal(t, "The job failed.", deref(j.FailReason))
	assert.Equal(t, fake.JobStatusCompleted, showJob(t, s, orders).Status, "one failure per call")

	tests := []struct {
		name, path, body string
		status           int
		msg              string
	}{
		{"unknown job", "/_fake/jobs/advance", `{"job_id":"no-such-job"}`, http.StatusNotFound, `The job "no-such-job" does not exist.`},
		{"zero steps", "/_fake/jobs/advance", `{"steps":0}`, http.StatusBadRequest, "steps: 0 is not a positive number"},
		{"reason as a number", "/_fake/jobs/fail-next", `{"reason":42}`, http.StatusBadRequest, `field "reason"`},
		{"finish with a body", "/_fake/jobs/finish", `{"now":true}`, http.StatusBadRequest, `unknown field "now"`},
		{"unknown route", "/_fake/jobs/fail", ``, http.StatusNotFound, "the control routes are: POST /_fake/replications/{instance}/{database}/state"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := control(t, s, http.MethodPost, tt.path, tt.body)
			require.Equal(t, tt.status, a.Status, "body %s", a.Body)
			assert.Contains(t, a.errorBody(t).ErrorMsg, tt.msg)
		})
	}
}

func TestControlRateLimit(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithControl(), fake.WithClock(newClock().Now))
	a := control(t, s, http.MethodPost, "/_fake/rate-limit", `{"per_second":1}`)
	require.Equal(t, http.StatusNoContent, a.Status, "body %s", a.Body)
	assert.Equal(t, 1, s.RateLimit())
	assert.Equal(t, map[int]int{http.StatusOK: 1, http.StatusTooManyRequests: 2}, countStatuses(t, s, 3))
	// Control requests are never throttled.
	for _, body := range []string{`{"per_second":-1}`, `{}`, `{"per_second":"2"}`} {
		a = control(t, s, http.MethodPost, "/_fake/rate-limit", body)
		assert.Equal(t, http.StatusBadRequest, a.Status, "body %s", a.Body)
		assert.Contains(t, a.errorBody(t).ErrorMsg, "per_second")
	}
	assert.Equal(t, 1, s.RateLimit(), "unchanged by refused requests")
	a = control(t, s, http.MethodPost, "/_fake/rate-limit", `{"per_second":0}`)
	require.Equal(t, http.StatusNoContent, a.Status, "body %s", a.Body)
	assert.Equal(t, map[int]int{http.StatusOK: 3}, countStatuses(t, s, 3))
}

// TestControlLoopbackOnly checks that the control routes answer only
// requests from a loopback address to a loopback host name.
func TestControlLoopbackOnly(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithControl(), fake.WithJobMode(fake.JobsManual))
	tests := []struct {
		name, remote, host string
		want               int
	}{
		{"IPv4 loopback", "127.0.0.1:5000", "127.0.0.1:8080", http.StatusNoContent},
		{"localhost", "127.0.0.1:5000", "localhost:8080", http.StatusNoContent},
		{"localhost without port", "127.0.0.1:5000", "LOCALHOST", http.StatusNoContent},
		{"IPv6 loopback", "[::1]:5000", "[::1]:8080", http.StatusNoContent},
		{"another client", "192.0.2.1:5000", "127.0.0.1:8080", http.StatusForbidden},
		{"another host name", "127.0.0.1:5000", "fake.example.com:8080", http.StatusForbidden},
		{"another host address", "127.0.0.1:5000", "192.0.2.7", http.StatusForbidden},
		{"no remote address", "", "127.0.0.1:8080", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/_fake/faults", strings.NewReader(`{"status":503,"operation":"ListClickHouseDataBaseParameter"}`))
			req.RemoteAddr, req.Host = tt.remote, tt.host
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			assert.Equal(t, tt.want, rec.Code, "body %s", rec.Body)
			if tt.want == http.StatusForbidden {
				assert.Contains(t, rec.Body.String(), fake.CodeControlForbidden)
			}
		})
	}

	// Over the network, with another Host header.
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL()+"/_fake/jobs/fail-next", nil)
	require.NoError(t, err)
	req.Host = "attacker.example"
	resp, err := s.Client().Do(req)
	require.NoError(t, err)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "body %s", b)
	create(t, s, testInstance, "shop")
	s.FinishJobs()
	assert.Equal(t, fake.StatusNormal, s.Replications(testInstance)[0].Status, "no failure was queued")
}

// TestControlRefusesCrossSiteRequests: a web page may send a "simple"
// request (a form or text/plain body, no preflight) to any address; the
// control routes refuse one whose Origin is another site (403) and any
// body that says it is not JSON (415), and change nothing. Requests
// without an Origin, as curl and test code send them, work.
func TestControlRefusesCrossSiteRequests(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, origin, contentType string
		want                      int
		code                      string
	}{
		{"a page of another site", "https://evil.example", "text/plain", http.StatusForbidden, fake.CodeControlForbidden},
		{"another site, JSON", "https://evil.example", "application/json", http.StatusForbidden, fake.CodeControlForbidden},
		{"an opaque origin", "null", "", http.StatusForbidden, fake.CodeControlForbidden},
		{"a text body", "", "text/plain", http.StatusUnsupportedMediaType, fake.CodeControlMediaType},
		{"a form", "", "application/x-www-form-urlencoded", http.StatusUnsupportedMediaType, fake.CodeControlMediaType},
		{"a loopback page, text", "http://127.0.0.1:3000", "text/plain;charset=UTF-8", http.StatusUnsupportedMediaType, fake.CodeControlMediaType},
		{"a loopback page, JSON", "http://localhost:3000", "application/json", http.StatusNoContent, ""},
		{"curl, JSON", "", "application/json; charset=utf-8", http.StatusNoContent, ""},
		{"curl, no type", "", "", http.StatusNoContent, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, fake.WithControl(), fake.WithJobMode(fake.JobsManual))
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL()+"/_fake/jobs/fail-next", strings.NewReader(`{"reason":"x"}`))
			require.NoError(t, err)
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
			}
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			resp, err := s.Client().Do(req)
			require.NoError(t, err)
			b, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())
			assert.Equal(t, tt.want, resp.StatusCode, "body %s", b)
			if tt.code != "" {
				assert.Contains(t, string(b), tt.code)
			}
			create(t, s, testInstance, "shop")
			s.FinishJobs()
			want := fake.StatusNormal
			if tt.want == http.StatusNoContent {
				want = fake.StatusAbnormal
			}
			assert.Equal(t, want, s.Replications(testInstance)[0].Status, "a refused request queues no failure")
		})
	}
}
