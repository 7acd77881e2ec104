package bench

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// IDs and values every contender sends. The token has the length of a real
// IAM token's lower end (they run from 1 to several KiB).
const (
	projectID        = "23a50154cf494ec9ad6883979a12db0a"
	instanceID       = "54e42160670e48e789af7075e1efea1fin16"
	sourceInstanceID = "61a4ea66210545909d74a05c27a7179ein07"
	sourceDatabase   = "db_orders"
	jobID            = "18ef8ee3-b880-4851-8978-bb6acbd4e695"
	language         = "en-us"
	accessKey        = "HPUAL7GW0NOBDP9TWC2X"
	secretKey        = "k6fUl7LkQX4yKD0dwN0a8Yj3hUAVJtuBz3Xq6Bdm"
	listPageSize     = 100
)

var token = "MIIE" + strings.Repeat("cGFzc3dvcmQ", 93) // 1 KiB

// The fixed answers of the loopback server, one per route.
var (
	createAnswer = []byte(`{"job_id":"` + jobID + `"}`)
	listAnswer   = listPage(0, listPageSize, listPageSize)
	jobAnswer    = []byte(`{"job":{"id":"` + jobID + `","name":"CreateClickHouseDataBaseReplication",` +
		`"status":"Completed","created":"2018-08-06T10:41:14+0000","ended":"2018-08-06T10:43:57+0000",` +
		`"process":"100%","instance":{"id":"` + instanceID + `","name":"ch-orders"}}}`)
)

// listPage is the list answer holding tasks offset+1 .. offset+n of total.
func listPage(offset, n, total int) []byte {
	var b strings.Builder
	b.WriteString(`{"total_count":` + strconv.Itoa(total) + `,"replications":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		db := fmt.Sprintf("db_%06d", offset+i+1)
		b.WriteString(`{"source_database":"` + db + `","target_database":"` + db +
			`","status":"normal","stage":"incremental","catchup_stage":"incremental","percentage":100}`)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

// server is the loopback server. It counts the TCP connections clients open
// (ConnState StateNew) and the requests it answers.
type server struct {
	*httptest.Server
	conns    atomic.Int64
	requests atomic.Int64
}

// newServer starts h on 127.0.0.1.
func newServer(h http.Handler) *server {
	s := &server{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		h.ServeHTTP(w, r)
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Start()
	return s
}

var jsonContentType = []string{"application/json"}

// answer writes a 200 with body, preset headers and no further work: the
// server's share of every call is the same whoever the client is.
func answer(w http.ResponseWriter, r *http.Request, body []byte, length []string) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
	}
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Content-Length"] = length
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// okJSON is the 200 answer with body that the in-memory transports return
// for req, as net/http's client would read it off the wire.
func okJSON(req *http.Request, body []byte) *http.Response {
	return &http.Response{
		StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": jsonContentType},
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}
}

func contentLength(b []byte) []string { return []string{strconv.Itoa(len(b))} }

// fixedHandler answers create, list and job with the fixed answers above,
// whatever the IDs, query and credentials.
func fixedHandler() http.Handler {
	createLen, listLen, jobLen := contentLength(createAnswer), contentLength(listAnswer), contentLength(jobAnswer)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		switch {
		case r.Method == http.MethodPost && strings.HasSuffix(p, "/clickhouse/replication"):
			answer(w, r, createAnswer, createLen)
		case r.Method == http.MethodGet && strings.HasSuffix(p, "/clickhouse/replication"):
			answer(w, r, listAnswer, listLen)
		case r.Method == http.MethodGet && strings.HasSuffix(p, "/jobs"):
			answer(w, r, jobAnswer, jobLen)
		default:
			http.NotFound(w, r)
		}
	})
}

// loopback is the one server all contenders of a run share.
var loopback = sync.OnceValue(func() *server { return newServer(fixedHandler()) })

var loopbackStarted atomic.Bool

func sharedServer() *server {
	loopbackStarted.Store(true)
	return loopback()
}

func TestMain(m *testing.M) {
	code := m.Run()
	if loopbackStarted.Load() {
		loopback().Close()
	}
	os.Exit(code)
}
