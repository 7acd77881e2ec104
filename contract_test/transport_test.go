package contract_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	contract "github.com/gaussdb-tools/chreplication/contract_test"
)

// stub is a base transport that answers every request with one canned
// response and keeps what it received.
type stub struct {
	status int
	header http.Header
	body   string
	calls  atomic.Int32
	got    atomic.Pointer[[]byte] // the last request body
}

func (s *stub) RoundTrip(req *http.Request) (*http.Response, error) {
	s.calls.Add(1)
	var b []byte
	if req.Body != nil {
		var err error
		if b, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		_ = req.Body.Close()
	}
	s.got.Store(&b)
	h := s.header.Clone()
	if h == nil {
		h = http.Header{"Content-Type": {"application/json"}}
	}
	return &http.Response{
		StatusCode: s.status,
		Header:     h,
		Body:       io.NopCloser(strings.NewReader(s.body)),
		Request:    req,
	}, nil
}

const (
	base      = "https://gaussdb.cn-north-4.myhuaweicloud.com"
	seedPath  = "/v3/" + seedProject + "/instances/" + seedInstance + "/clickhouse/replication"
	seedJobOK = `{"job_id":"` + seedJobID + `"}`
)

// newRequest builds a request with a token unless header overrides it.
func newRequest(t *testing.T, method, url, body string, header ...string) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, rd)
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("X-Auth-Token", "token")
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] == "" {
			req.Header.Del(header[i])
		} else {
			req.Header.Set(header[i], header[i+1])
		}
	}
	return req
}

func TestSeedExampleValidates(t *testing.T) {
	t.Parallel()
	st := &stub{status: 200, body: seedJobOK}
	tr, err := contract.NewTransport(st)
	require.NoError(t, err)
	resp, err := tr.RoundTrip(newRequest(t, http.MethodPost, base+seedPath, seedBody))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, seedJobOK, string(b), "the caller reads the whole body")
	assert.Equal(t, seedBody, string(*st.got.Load()), "the server gets the whole request body")
	assert.Empty(t, tr.Violations())
	assert.NoError(t, tr.Err())
}

func TestResponseViolations(t *testing.T) {
	t.Parallel()
	html := http.Header{"Content-Type": {"text/html"}}
	tests := []struct {
		name      string
		method    string
		path      string
		status    int
		header    http.Header
		body      string
		violation string // "" = none; else a substring of the violation
	}{
		// Wrong answers that must be caught: the check can fail.
		{"create: job_id missing", http.MethodPost, seedPath, 200, nil, `{}`, `job_id`},
		{"create: job_id a number", http.MethodPost, seedPath, 200, nil, `{"job_id":12345}`, `job_id`},
		{"create: job_id empty", http.MethodPost, seedPath, 200, nil, `{"job_id":""}`, `job_id`},
		{"create: not JSON at 200", http.MethodPost, seedPath, 200, html, `<html>ok</html>`, "Content-Type"},
		{"create: empty 200", http.MethodPost, seedPath, 200, nil, ``, "body"},
		{"create: truncated 200", http.MethodPost, seedPath, 200, nil, `{"job_id":"abc`, "body"},
		{"create: data after the JSON at 200", http.MethodPost, seedPath, 200, nil, `{"job_id":"abc"} trailing`, "not one JSON value"},
		{"list: two JSON values at 200", http.MethodGet, seedPath, 200, nil,
			`{"total_count":0,"replications":[],"ext_text":null}{"total_count":"x"}`, "not one JSON value"},
		{"list: total_count a string", http.MethodGet, seedPath, 200, nil, `{"total_count":"1","replications":[],"ext_text":null}`, "total_count"},
		{"list: replications missing", http.MethodGet, seedPath, 200, nil, `{"total_count":0,"ext_text":null}`, "replications"},
		{"list: catchup_stage a number", http.MethodGet, seedPath, 200, nil,
			`{"total_count":1,"ext_text":null,"replications":[{"target_database":"a","status":"normal","stage":"full","percentage":"1","catchup_stage":5}]}`, "catchup_stage"},
		{"list: percentage a word", http.MethodGet, seedPath, 200, nil,
			`{"total_count":1,"ext_text":null,"replications":[{"target_database":"a","status":"normal","stage":"full","percentage":"most"}]}`, "percentage"},
		{"list: ext_text missing", http.MethodGet, seedPath, 200, nil, `{"total_count":0,"replications":[]}`, "ext_text"},
		{"job: bad status", http.MethodGet, "/v3/" + seedProject + "/jobs?id=" + seedJobID, 200, nil,
			`{"job":{"id":"x","status":"Done"}}`, "status"},
		{"job: job missing", http.MethodGet, "/v3/" + seedProject + "/jobs?id=" + seedJobID, 200, nil, `{}`, "job"},
		{"400 of another shape", http.MethodPost, seedPath, 400, nil, `{"message":"bad"}`, "error_code"},
		{"500 without error_msg", http.MethodPost, seedPath, 500, nil, `{"error_code":"DBS.200001"}`, "error_msg"},
		{"undeclared status 201", http.MethodPost, seedPath, 201, nil, seedJobOK, "status 201"},
		{"undeclared status 418", http.MethodGet, seedPath, 418, nil, `{}`, "status 418"},
		{"undeclared status 302", http.MethodGet, seedPath, 302, http.Header{"Location": {"/"}}, ``, "status 302"},

		// Answers clients must cope with: not violations.
		{"create: seed answer", http.MethodPost, seedPath, 200, nil, seedJobOK, ""},
		{"create: JSON with charset", http.MethodPost, seedPath, 200, http.Header{"Content-Type": {"application/json; charset=utf-8"}}, seedJobOK, ""},
		{"400 ErrorResponse", http.MethodDelete, seedPath + "/db", 400, nil, `{"error_code":"DBS.280292","error_msg":"gone"}`, ""},
		{"500 HTML", http.MethodPost, seedPath, 500, html, `<html>oops</html>`, ""},
		// Forms Huawei's schema admits (a string of any form for percentage,
		// which the client reads), and the null the spec admits for stage.
		{"list: percentage a fraction", http.MethodGet, seedPath, 200, nil,
			`{"total_count":1,"ext_text":null,"replications":[{"target_database":"a","status":"normal","stage":"full","percentage":"12.5"}]}`, ""},
		{"list: percentage empty", http.MethodGet, seedPath, 200, nil,
			`{"total_count":1,"ext_text":null,"replications":[{"target_database":"a","status":"normal","stage":"full","percentage":""}]}`, ""},
		{"list: percentage with %", http.MethodGet, seedPath, 200, nil,
			`{"total_count":1,"ext_text":null,"replications":[{"target_database":"a","status":"normal","stage":"full","percentage":"60%"}]}`, ""},
		{"list: stage null", http.MethodGet, seedPath, 200, nil,
			`{"total_count":1,"ext_text":null,"replications":[{"target_database":"a","status":"normal","stage":null,"percentage":"0"}]}`, ""},
		{"500 truncated JSON", http.MethodPost, seedPath, 500, nil, `{"error_code":"DBS.`, ""},
		{"400 empty", http.MethodPost, seedPath, 400, http.Header{}, ``, ""},
		{"401 gateway", http.MethodGet, seedPath, 401, nil, `{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information"}`, ""},
		{"403 gateway", http.MethodGet, seedPath, 403, nil, `{"error_code":"APIGW.0302","error_msg":"forbidden"}`, ""},
		{"404 gateway", http.MethodGet, seedPath, 404, nil, `{"error_code":"APIGW.0101","error_msg":"no API"}`, ""},
		{"409 busy instance", http.MethodPost, seedPath, 409, nil, `{"error_code":"DBS.200019","error_msg":"Another operation is being performed on the instance."}`, ""},
		{"429 gateway of another shape", http.MethodGet, seedPath, 429, nil, `{"message":"throttled"}`, ""},
		{"502 HTML", http.MethodGet, seedPath, 502, html, `<html>Bad Gateway</html>`, ""},
		{"503 HTML", http.MethodGet, seedPath, 503, html, `<html>Service Unavailable</html>`, ""},
		{"504 empty", http.MethodGet, seedPath, 504, http.Header{}, ``, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := ""
			if tt.method == http.MethodPost {
				body = seedBody
			}
			st := &stub{status: tt.status, header: tt.header, body: tt.body}

			tr, err := contract.NewTransport(st)
			require.NoError(t, err)
			resp, err := tr.RoundTrip(newRequest(t, tt.method, base+tt.path, body))
			require.NoError(t, err, "by default violations are only recorded")
			b, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, tt.body, string(b), "the body reaches the caller whole")

			vs := tr.Violations()
			if tt.violation == "" {
				assert.Empty(t, vs)
				return
			}
			require.Len(t, vs, 1)
			var v *contract.Violation
			require.ErrorAs(t, vs[0], &v)
			assert.True(t, v.Response)
			assert.Equal(t, tt.status, v.Status)
			assert.Equal(t, tt.method, v.Method)
			assert.NotEmpty(t, v.Operation)
			assert.Contains(t, v.Error(), tt.violation)
			assert.NotContains(t, v.Error(), "Schema:", "no schema dump")

			// Strict mode returns the violation from RoundTrip.
			strict, err := contract.NewTransport(st, contract.Strict())
			require.NoError(t, err)
			resp, err = strict.RoundTrip(newRequest(t, tt.method, base+tt.path, body))
			if resp != nil {
				resp.Body.Close()
			}
			require.Error(t, err)
			assert.Nil(t, resp)
			require.ErrorAs(t, err, &v)
			assert.Contains(t, err.Error(), tt.violation)
		})
	}
}

func TestResponseViolationWrapsKinError(t *testing.T) {
	t.Parallel()
	tr, err := contract.NewTransport(&stub{status: 200, body: `{"job_id":1}`})
	require.NoError(t, err)
	resp, err := tr.RoundTrip(newRequest(t, http.MethodPost, base+seedPath, seedBody))
	require.NoError(t, err)
	resp.Body.Close()
	var re *openapi3filter.ResponseError
	assert.ErrorAs(t, tr.Err(), &re)
	tr.Reset()
	assert.Empty(t, tr.Violations())
}

func TestRequestViolations(t *testing.T) {
	t.Parallel()
	jobs := "/v3/" + seedProject + "/jobs"
	tests := []struct {
		name      string
		method    string
		path      string
		body      string
		header    []string
		violation string
	}{
		{"missing source_database", http.MethodPost, seedPath, `{"source_instance_id":"abc"}`, nil, `"source_database"`},
		{"source_instance_id a number", http.MethodPost, seedPath, `{"source_instance_id":1,"source_database":"a"}`, nil, `"source_instance_id"`},
		{"no body", http.MethodPost, seedPath, "", nil, "body"},
		{"data after the JSON body", http.MethodPost, seedPath, `{"source_instance_id":"abc","source_database":"a"} x`, nil, "not one JSON value"},
		{"limit 101", http.MethodGet, seedPath + "?limit=101", "", nil, `"limit"`},
		{"limit 0", http.MethodGet, seedPath + "?limit=0", "", nil, `"limit"`},
		{"offset -1", http.MethodGet, seedPath + "?offset=-1", "", nil, `"offset"`},
		{"bad X-Language", http.MethodGet, seedPath, "", []string{"X-Language", "de-de"}, `"X-Language"`},
		{"no credentials", http.MethodGet, seedPath, "", []string{"X-Auth-Token", ""}, "X-Auth-Token"},
		{"escaped slash in a database name", http.MethodDelete, seedPath + "/a%2Fb", "", nil, `"database_name"`},
		{"database name ending in a space", http.MethodDelete, seedPath + "/ab%20", "", nil, `"database_name"`},
		{"job without id", http.MethodGet, jobs, "", nil, `"id"`},
		{"unknown path", http.MethodGet, "/v3/" + seedProject + "/instances", "", nil, "no operation"},
		{"unknown method", http.MethodPut, seedPath, "", nil, "no operation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := &stub{status: 400, body: `{"error_code":"DBS.280001","error_msg":"bad"}`}
			tr, err := contract.NewTransport(st)
			require.NoError(t, err)
			resp, err := tr.RoundTrip(newRequest(t, tt.method, base+tt.path, tt.body, tt.header...))
			require.NoError(t, err)
			resp.Body.Close()
			assert.EqualValues(t, 1, st.calls.Load(), "sent anyway")
			vs := tr.Violations()
			require.Len(t, vs, 1, "%v", vs)
			var v *contract.Violation
			require.ErrorAs(t, vs[0], &v)
			assert.False(t, v.Response)
			assert.Contains(t, v.Error(), tt.violation)

			strict, err := contract.NewTransport(st, contract.Strict())
			require.NoError(t, err)
			resp, err = strict.RoundTrip(newRequest(t, tt.method, base+tt.path, tt.body, tt.header...))
			if resp != nil {
				resp.Body.Close()
			}
			require.ErrorAs(t, err, &v)
			assert.Nil(t, resp)
			assert.EqualValues(t, 1, st.calls.Load(), "strict mode does not send a bad request")
		})
	}
}

func TestSkipSecurity(t *testing.T) {
	t.Parallel()
	tr, err := contract.NewTransport(&stub{status: 200, body: `{"total_count":0,"replications":[],"ext_text":null}`}, contract.SkipSecurity())
	require.NoError(t, err)
	resp, err := tr.RoundTrip(newRequest(t, http.MethodGet, base+seedPath, "", "X-Auth-Token", ""))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Empty(t, tr.Violations())

	// Either scheme's header satisfies the presence check.
	tr, err = contract.NewTransport(&stub{status: 200, body: `{"total_count":0,"replications":[],"ext_text":null}`})
	require.NoError(t, err)
	resp, err = tr.RoundTrip(newRequest(t, http.MethodGet, base+seedPath, "", "X-Auth-Token", "",
		"Authorization", "SDK-HMAC-SHA256 Access=AK, SignedHeaders=x-sdk-date, Signature=00"))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Empty(t, tr.Violations())
}

func TestBodySizeLimit(t *testing.T) {
	t.Parallel()
	big := `{"total_count":0,"replications":[],"ext_text":null` + strings.Repeat(" ", 100) + `}`
	st := &stub{status: 200, body: big}
	tr, err := contract.NewTransport(st, contract.WithMaxBodySize(64))
	require.NoError(t, err)

	resp, err := tr.RoundTrip(newRequest(t, http.MethodGet, base+seedPath, ""))
	require.NoError(t, err)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, big, string(b), "a large body reaches the caller whole")

	longName := strings.Repeat("x", 60)
	reqBody := `{"source_instance_id":"abc","source_database":"` + longName + `"}`
	resp, err = tr.RoundTrip(newRequest(t, http.MethodPost, base+seedPath, reqBody))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, reqBody, string(*st.got.Load()), "a large request body reaches the server whole")

	vs := tr.Violations()
	require.Len(t, vs, 3) // the list answer, the create request, the create answer
	for _, v := range vs {
		assert.Contains(t, v.Error(), "size limit")
	}

	_, err = contract.NewTransport(st, contract.WithMaxBodySize(0))
	assert.Error(t, err)
}

func TestRoundTripDoesNotChangeTheRequest(t *testing.T) {
	t.Parallel()
	st := &stub{status: 200, body: seedJobOK}
	tr, err := contract.NewTransport(st)
	require.NoError(t, err)
	req := newRequest(t, http.MethodPost, base+seedPath, seedBody)
	header := req.Header.Clone()
	url := req.URL.String()
	resp, err := tr.RoundTrip(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, header, req.Header, "no defaults or other headers added")
	assert.Equal(t, url, req.URL.String())
}

// errTransport fails every request.
type errTransport struct{}

var errNetwork = errors.New("network down")

func (errTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
	return nil, errNetwork
}

func TestBaseErrorsPassThrough(t *testing.T) {
	t.Parallel()
	tr, err := contract.NewTransport(errTransport{})
	require.NoError(t, err)
	resp, err := tr.RoundTrip(newRequest(t, http.MethodPost, base+seedPath, seedBody))
	if resp != nil {
		resp.Body.Close()
	}
	assert.Nil(t, resp)
	require.ErrorIs(t, err, errNetwork)
	assert.Empty(t, tr.Violations())
}

// brokenBody answers 200 with a body that fails after a few bytes, as a
// connection that drops mid-answer.
type brokenBody struct{}

func (brokenBody) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
	return &http.Response{
		StatusCode: http.StatusOK,
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       io.NopCloser(io.MultiReader(strings.NewReader(`{"job_id":`), iotest.ErrReader(io.ErrUnexpectedEOF))),
		Request:    req,
	}, nil
}

func TestResponseReadErrorReachesTheCaller(t *testing.T) {
	t.Parallel()
	tr, err := contract.NewTransport(brokenBody{})
	require.NoError(t, err)
	resp, err := tr.RoundTrip(newRequest(t, http.MethodPost, base+seedPath, seedBody))
	require.NoError(t, err)
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.ErrorIs(t, err, io.ErrUnexpectedEOF, "the caller must not see a complete, shorter body")
	assert.Equal(t, `{"job_id":`, string(b))
	vs := tr.Violations()
	require.Len(t, vs, 1)
	assert.Contains(t, vs[0].Error(), "read the body")
}

// TestViolationsAreBounded: a long-lived client that keeps breaking the
// contract does not grow the transport without bound; the excess is counted.
func TestViolationsAreBounded(t *testing.T) {
	t.Parallel()
	tr, err := contract.NewTransport(&stub{status: 200, body: `{}`})
	require.NoError(t, err)
	const extra = 7
	for range contract.MaxViolations + extra {
		resp, err := tr.RoundTrip(newRequest(t, http.MethodPost, base+seedPath, seedBody))
		require.NoError(t, err)
		resp.Body.Close()
	}
	assert.Len(t, tr.Violations(), contract.MaxViolations)
	assert.Equal(t, extra, tr.Dropped())
	assert.ErrorContains(t, tr.Err(), "7 more violations not kept")
	tr.Reset()
	assert.Empty(t, tr.Violations())
	assert.Zero(t, tr.Dropped())
}
