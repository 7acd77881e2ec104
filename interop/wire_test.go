package interop

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// wireCall is the fastest possible client of the bench server: it writes
// a signed create request as fixed bytes (what a client puts on the wire,
// with a signature of the right form computed once) on one kept-alive
// connection and reads the answer's bytes, checking only the status and
// the body. What it costs is the loopback round trip and the server's
// work, which every client pays.
type wireCall struct {
	conn net.Conn
	br   *bufio.Reader
	req  []byte
	body []byte
}

// wireTimeout bounds one wire call.
const wireTimeout = 10 * time.Second

// dialWire connects to the bench server at url (http://127.0.0.1:port).
func dialWire(url string) (*wireCall, error) {
	host, ok := strings.CutPrefix(url, "http://127.0.0.1:")
	if !ok {
		return nil, fmt.Errorf("wire: %q is not a loopback URL", url)
	}
	host = "127.0.0.1:" + host
	conn, err := (&net.Dialer{Timeout: wireTimeout}).DialContext(context.Background(), "tcp", host)
	if err != nil {
		return nil, err
	}
	body := `{"source_instance_id":"` + sourceInstanceID + `","source_database":"sales"}`
	req := "POST /v3/" + benchKeys.ProjectID + "/instances/" + chInstanceID + "/clickhouse/replication HTTP/1.1\r\n" +
		"Host: " + host + "\r\n" +
		"User-Agent: wire\r\n" +
		"Content-Type: application/json\r\n" +
		"X-Sdk-Date: 20261201T000000Z\r\n" +
		"Authorization: SDK-HMAC-SHA256 Access=" + benchKeys.AK + ", SignedHeaders=content-type;host;x-sdk-date, Signature=" + strings.Repeat("0f", 32) + "\r\n" +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
	return &wireCall{conn: conn, br: bufio.NewReaderSize(conn, 4096), req: []byte(req), body: make([]byte, 0, 4096)}, nil
}

var errWireAnswer = errors.New("wire: unexpected answer")

// call makes one create call and checks that the answer is the bench
// server's 200 with its job ID.
func (w *wireCall) call() error {
	if err := w.conn.SetDeadline(time.Now().Add(wireTimeout)); err != nil {
		return err
	}
	if _, err := w.conn.Write(w.req); err != nil {
		return err
	}
	status, err := w.br.ReadSlice('\n')
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(status, []byte("HTTP/1.1 200 ")) {
		return fmt.Errorf("%w: %q", errWireAnswer, bytes.TrimSpace(status))
	}
	n := -1
	for {
		line, err := w.br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(bytes.TrimSpace(line)) == 0 {
			break
		}
		if k, v, ok := bytes.Cut(line, []byte(":")); ok && bytes.EqualFold(k, []byte("Content-Length")) {
			if n, err = strconv.Atoi(string(bytes.TrimSpace(v))); err != nil || n < 0 || n > cap(w.body) {
				return fmt.Errorf("%w: Content-Length %q", errWireAnswer, bytes.TrimSpace(v))
			}
		}
	}
	if n < 0 {
		return fmt.Errorf("%w: no Content-Length", errWireAnswer)
	}
	w.body = w.body[:n]
	if _, err := io.ReadFull(w.br, w.body); err != nil {
		return err
	}
	if !bytes.Equal(w.body, benchCreateAnswer) {
		return fmt.Errorf("%w: body %q", errWireAnswer, w.body)
	}
	return nil
}

func (w *wireCall) close() { _ = w.conn.Close() }

// netHTTPCall sends the wire's request through net/http's client and
// Transport (the one both the facade and the SDK use by default), with
// its headers and body built once: what net/http's client layer costs on
// top of the wire, with no signing, no JSON and no model.
type netHTTPCall struct {
	client *http.Client
	url    string
	header http.Header
	body   []byte
}

func newNetHTTPCall(w *wireCall, url string) *netHTTPCall {
	head, body, _ := bytes.Cut(w.req, []byte("\r\n\r\n"))
	lines := strings.Split(string(head), "\r\n")
	path := strings.Fields(lines[0])[1]
	h := http.Header{}
	for _, l := range lines[1:] {
		k, v, _ := strings.Cut(l, ": ")
		if k != "Host" && k != "Content-Length" {
			h[k] = []string{v}
		}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	return &netHTTPCall{client: &http.Client{Transport: tr}, url: url + path, header: h, body: body}
}

func (c *netHTTPCall) call(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(c.body))
	if err != nil {
		return err
	}
	req.Header = c.header
	resp, err := c.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || !bytes.Equal(b, benchCreateAnswer) {
		return fmt.Errorf("%w: %d %q", errWireAnswer, resp.StatusCode, b)
	}
	return nil
}

// TestWireCall checks the benchmark's wire contender: against the bench
// server it makes one request per call, all on one connection, and reads
// the server's answer; an answer it does not expect is an error.
func TestWireCall(t *testing.T) {
	bs, err := startBenchServer()
	require.NoError(t, err)
	before, err := bs.stats(t.Context())
	require.NoError(t, err)
	w, err := dialWire(bs.URL)
	require.NoError(t, err)
	defer w.close()
	for range 3 {
		require.NoError(t, w.call())
	}
	after, err := bs.stats(t.Context())
	require.NoError(t, err)
	assert.Equal(t, int64(3), after.Requests-before.Requests, "requests")
	assert.Equal(t, int64(1), after.Conns-before.Conns, "connections")

	n := newNetHTTPCall(w, bs.URL)
	w.req = bytes.Replace(w.req, []byte("SDK-HMAC-SHA256 "), []byte("Basic "), 1)
	assert.ErrorIs(t, w.call(), errWireAnswer, "an unsigned request gets a 401")
	require.NoError(t, n.call(t.Context()))
	n.header = n.header.Clone()
	n.header.Set("Authorization", "Basic x")
	assert.ErrorIs(t, n.call(t.Context()), errWireAnswer, "an unsigned request gets a 401")
	_, err = dialWire("http://example.com")
	assert.Error(t, err)
}
