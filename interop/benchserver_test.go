package interop

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// benchServerEnv, set to "1", makes the test binary serve the benchmarks'
// answers instead of running tests.
const benchServerEnv = "CHREPLICATION_INTEROP_BENCH_SERVER"

// benchCreateAnswer is the create answer of Huawei's example.
var benchCreateAnswer = []byte(`{"job_id":"18ef8ee3-b880-4851-8978-bb6acbd4e695"}`)

// serveBenchAnswers is the benchmarks' server, run in a process of its own
// (this test binary, started by startBenchServer) so that the clients'
// allocations and CPU are measured without the server's. It listens on
// 127.0.0.1, prints its URL on stdout, answers every create that carries
// an SDK-HMAC-SHA256 signature and an X-Sdk-Date with fixed bytes (401
// otherwise, 404 for anything else), answers GET /stats with the number of
// connections opened and requests served, and exits when its stdin ends
// (the benchmark closed it, or is gone).
func serveBenchAnswers() int {
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench server:", err)
		return 1
	}
	var conns, requests atomic.Int64
	length := []string{strconv.Itoa(len(benchCreateAnswer))}
	jsonType := []string{"application/json"}
	srv := &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		ConnState: func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				conns.Add(1)
			}
		},
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			if r.URL.Path == "/stats" {
				_ = json.NewEncoder(w).Encode(benchStats{Conns: conns.Load(), Requests: requests.Load()})
				return
			}
			requests.Add(1)
			if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/clickhouse/replication") {
				http.NotFound(w, r)
				return
			}
			if !strings.HasPrefix(r.Header.Get("Authorization"), "SDK-HMAC-SHA256 ") || r.Header.Get("X-Sdk-Date") == "" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			h := w.Header()
			h["Content-Type"] = jsonType
			h["Content-Length"] = length
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(benchCreateAnswer)
		}),
	}
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		_ = srv.Close()
	}()
	fmt.Printf("http://%s\n", ln.Addr())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, "bench server:", err)
		return 1
	}
	return 0
}

// benchStats is the answer of the bench server's GET /stats.
type benchStats struct {
	Conns    int64 `json:"conns"`
	Requests int64 `json:"requests"`
}

// benchServer is the running bench server process.
type benchServer struct {
	URL   string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	done  chan struct{}
}

var (
	benchServerMu  sync.Mutex
	benchServerCur *benchServer
)

// startBenchServer starts the bench server (once per test binary run; it
// is stopped after the tests by TestMain) and returns it.
func startBenchServer() (*benchServer, error) {
	benchServerMu.Lock()
	defer benchServerMu.Unlock()
	if benchServerCur != nil {
		return benchServerCur, nil
	}
	// The server lives until stop closes its stdin (or kills it).
	cmd := exec.CommandContext(context.Background(), os.Args[0])
	cmd.Env = append(os.Environ(), benchServerEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &benchServer{cmd: cmd, stdin: stdin, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(s.done) }()
	url := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		url <- strings.TrimSpace(line)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case u := <-url:
		if !strings.HasPrefix(u, "http://127.0.0.1:") {
			s.stop()
			return nil, fmt.Errorf("bench server printed %q, not its URL", u)
		}
		s.URL = u
	case <-time.After(startTimeout):
		s.stop()
		return nil, fmt.Errorf("bench server printed no URL within %s", startTimeout)
	}
	benchServerCur = s
	return s, nil
}

// stats asks the server how many connections and requests it saw.
func (s *benchServer) stats(ctx context.Context) (benchStats, error) {
	var st benchStats
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/stats", nil)
	if err != nil {
		return st, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

// stop ends the server: its stdin closes, and it is killed if it has not
// exited within stopTimeout.
func (s *benchServer) stop() {
	_ = s.stdin.Close()
	select {
	case <-s.done:
	case <-time.After(stopTimeout):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

func stopBenchServer() {
	benchServerMu.Lock()
	defer benchServerMu.Unlock()
	if benchServerCur != nil {
		benchServerCur.stop()
		benchServerCur = nil
	}
}
