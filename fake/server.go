package fake

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/getkin/kin-openapi/routers"
)

// maxBodyBytes is the largest request body the fake reads.
const maxBodyBytes = 1 << 20

// A Server is a fake of the GaussDB(for MySQL) ClickHouse replication API,
// serving on 127.0.0.1 (or the address of WithAddr) until Close. It keeps
// replications and jobs in memory, checks credentials, validates every
// request against the spec and can inject faults. All its methods are safe
// for concurrent use.
type Server struct {
	cfg         config
	projectID   string
	token       string
	ak, sk      string
	iamDomain   string
	iamUser     string
	iamPassword string

	verifyAKSK func(*http.Request) error
	api        http.Handler // the generated server
	control    http.Handler // the control routes; nil without WithControl
	router     routers.Router
	store      *store
	tokens     tokens
	faults     faults
	limiter    limiter
	log        requestLog
	conns      atomic.Int64
	// writeMu makes the busy check of WithOneOperationPerInstance and the
	// write it lets through one step.
	writeMu sync.Mutex

	ln     net.Listener
	srv    *http.Server
	client *http.Client
	served chan struct{} // closed when Serve has returned

	mu       sync.Mutex
	closed   bool
	closing  chan struct{}  // closed by Close
	inflight sync.WaitGroup // requests being served
}

// requestState is what the middlewares learn about a request.
type requestState struct {
	operation     string
	authHeader    string
	authenticated bool
	throttled     bool
}

type stateKey struct{}

// NewServer starts a fake on 127.0.0.1 on a port the system picks (or on
// the address of WithAddr) and serves until Close. Credentials the options
// leave out are made up; read them with Token, AccessKey and IAMUser.
func NewServer(opts ...Option) (*Server, error) {
	s, err := newServer(opts)
	if err != nil {
		return nil, err
	}
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", s.cfg.addr)
	if err != nil {
		return nil, fmt.Errorf("fake: listen: %w", err)
	}
	if s.cfg.control {
		if err := checkControlListener(ln.Addr()); err != nil {
			_ = ln.Close()
			return nil, fmt.Errorf("fake: %w", err)
		}
	}
	errLog := log.New(io.Discard, "", 0)
	if s.cfg.logger != nil {
		errLog = slog.NewLogLogger(s.cfg.logger.Handler(), slog.LevelWarn)
	}
	s.ln = ln
	s.srv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          errLog,
		ConnState: func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				s.conns.Add(1)
			}
		},
	}
	s.client = &http.Client{Transport: &http.Transport{
		Proxy:               nil,
		MaxIdleConnsPerHost: 100,
		IdleConnTimeout:     90 * time.Second,
	}}
	s.served = make(chan struct{})
	go func() {
		defer close(s.served)
		_ = s.srv.Serve(ln) // returns http.ErrServerClosed on Close
	}()
	return s, nil
}

// newServer builds a Server that does not listen: NewServer's work
// without the network, for Handler-only use in tests.
func newServer(opts []Option) (*Server, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("fake: %w", err)
	}
	rt, err := router()
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:       cfg,
		projectID: cfg.projectID,
		router:    rt,
		store:     newStore(&cfg),
		log:       requestLog{size: cfg.requestLogSize},
		closing:   make(chan struct{}),
	}
	if s.projectID == "" {
		s.projectID = randomHex(16)
	}
	s.limiter.limit.Store(int64(cfg.rateLimit))
	s.limiter.gateway = cfg.gateway
	if cfg.control {
		s.control = newControl(s)
	}
	s.token = pick(cfg.token, func() string { return "fake-token-" + randomString(40, mixedAlnum) })
	s.ak = pick(cfg.ak, func() string { return randomString(20, upperAlnum) })
	s.sk = pick(cfg.sk, func() string { return randomString(40, mixedAlnum) })
	s.iamDomain = pick(cfg.iamDomain, func() string { return "fake-domain-" + randomHex(4) })
	s.iamUser = pick(cfg.iamUser, func() string { return "fake-user-" + randomHex(4) })
	s.iamPassword = pick(cfg.iamPassword, func() string { return randomString(24, mixedAlnum) })
	s.verifyAKSK = newAKSKVerifier(s)

	errorHandler := func(w http.ResponseWriter, _ *http.Request, err error) {
		writeError(w, http.StatusBadRequest, CodeInvalidParameter, "Invalid request: "+err.Error())
	}
	strict := NewStrictHandlerWithOptions(api{s}, nil, StrictHTTPServerOptions{
		RequestErrorHandlerFunc: errorHandler,
		ResponseErrorHandlerFunc: func(w http.ResponseWriter, _ *http.Request, err error) {
			s.logError("answer", err)
			writeError(w, http.StatusInternalServerError, CodeInternal, "Internal server error.")
		},
	})
	s.api = HandlerWithOptions(strict, StdHTTPServerOptions{ErrorHandlerFunc: errorHandler})
	return s, nil
}

func pick(v *string, gen func() string) string {
	if v != nil {
		return *v
	}
	return gen()
}

// URL returns the endpoint to give a client, such as http://127.0.0.1:41234
// (no trailing slash). It is empty for a Server that does not listen.
func (s *Server) URL() string {
	if s.ln == nil {
		return ""
	}
	return "http://" + s.ln.Addr().String()
}

// Handler returns the server's handler, to mount on another server (such
// as an httptest.Server). Requests it serves count in Requests and
// RequestCount but not in Connections.
func (s *Server) Handler() http.Handler { return s }

// Client returns an HTTP client for the server whose idle connections
// Close closes. It adds no credentials.
func (s *Server) Client() *http.Client { return s.client }

// ProjectID returns the project the fake serves.
func (s *Server) ProjectID() string { return s.projectID }

// Token returns the static token the fake accepts in X-Auth-Token.
func (s *Server) Token() string { return s.token }

// AccessKey returns the access key and secret key whose signatures the
// fake accepts.
func (s *Server) AccessKey() (ak, sk string) { return s.ak, s.sk }

// IAMUser returns the IAM user whose password the fake's IAM endpoint
// accepts.
func (s *Server) IAMUser() (domain, user, password string) {
	return s.iamDomain, s.iamUser, s.iamPassword
}

// IAMEndpoint returns the base URL of the fake's IAM endpoint (the same as
// URL: POST {IAMEndpoint}/v3/auth/tokens).
func (s *Server) IAMEndpoint() string { return s.URL() }

// Connections returns how many TCP connections clients have opened to the
// server so far.
func (s *Server) Connections() int64 { return s.conns.Load() }

// Close stops the server: it closes the listener and every connection,
// ends injected delays, waits for the requests being served to end and
// closes the idle connections of Client. Jobs need no goroutine, so
// nothing of the fake runs after Close. Close is idempotent and safe to
// call concurrently; requests that reach Handler afterwards are answered
// 503.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.inflight.Wait()
		return
	}
	s.closed = true
	close(s.closing)
	s.mu.Unlock()
	if s.srv != nil {
		_ = s.srv.Close()
		<-s.served
		s.client.CloseIdleConnections()
	}
	s.inflight.Wait()
}

// ServeHTTP serves one request: a control route (WithControl) at once; any
// other request it records, throttles (WithRateLimit), answers an injected
// fault, serves the IAM endpoint, then checks credentials, validates the
// request against the spec, checks the project, refuses a write to a busy
// instance (WithOneOperationPerInstance) and runs the operation.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := randomHex(16)
	w.Header().Set("X-Request-Id", requestID)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		writeError(w, http.StatusServiceUnavailable, CodeServiceUnavailable, "The fake server is closed.")
		return
	}
	s.inflight.Add(1)
	s.mu.Unlock()
	defer s.inflight.Done()
	if s.control != nil && strings.HasPrefix(r.URL.Path, ControlPrefix) {
		s.control.ServeHTTP(w, r)
		return
	}

	start := time.Now()
	st := &requestState{}
	rec := &recorder{
		ResponseWriter: w,
		log:            &s.log,
		state:          st,
		rec: Request{
			Time:      s.cfg.now(),
			Method:    r.Method,
			Path:      r.URL.EscapedPath(),
			RawQuery:  r.URL.RawQuery,
			Header:    redactHeader(r.Header),
			RequestID: requestID,
		},
	}
	switch {
	case r.Header.Get("X-Auth-Token") != "":
		rec.rec.AuthHeader = "X-Auth-Token"
	case r.Header.Get("Authorization") != "":
		rec.rec.AuthHeader = "Authorization"
	}
	defer func() {
		if !rec.recorded {
			rec.record(0)
		}
		if l := s.cfg.logger; l != nil {
			l.LogAttrs(r.Context(), slog.LevelInfo, "fake: request",
				slog.String("method", r.Method), slog.String("path", r.URL.EscapedPath()),
				slog.String("operation", st.operation), slog.Int("status", rec.rec.Status),
				slog.String("request_id", requestID), slog.Duration("duration", time.Since(start)))
		}
	}()
	r = r.WithContext(context.WithValue(r.Context(), stateKey{}, st))

	body, err := readBody(r)
	if err != nil {
		// 400, not 413: the spec declares no 413 (see contract.GatewayStatuses).
		writeError(rec, http.StatusBadRequest, CodeInvalidParameter, "Invalid request body: "+err.Error())
		return
	}
	isIAM := r.URL.Path == iamPath

	var route *routers.Route
	var pathParams map[string]string
	switch {
	case isIAM:
		st.operation = OperationIAMToken
	default:
		route, pathParams, err = s.router.FindRoute(r)
		if err == nil {
			st.operation = route.Operation.OperationID
			// Only the spec's operations, whose bodies carry no secret: a
			// request that matches none may be a misaddressed IAM request
			// (such as POST /v3/auth/tokens/) with a password.
			rec.rec.Body = body
		}
	}

	if !isIAM && s.throttle(rec, r, st) {
		return
	}
	if f := s.faults.take(st.operation); f != nil && f.apply(r.Context(), s.closing, rec) {
		return
	}
	if isIAM {
		s.serveIAM(rec, r, body)
		return
	}
	if route == nil {
		writeError(rec, http.StatusNotFound, CodeAPINotFound,
			"The API does not exist or has not been published in the environment: no operation has method "+r.Method+" and this path.")
		return
	}
	if err := s.authenticate(r, st); err != nil {
		writeError(rec, http.StatusUnauthorized, CodeAuthFailed, "Incorrect IAM authentication information: "+err.Error())
		return
	}
	st.authenticated = true
	if err := validateRequest(r.Context(), r, body, route, pathParams); err != nil {
		writeError(rec, http.StatusBadRequest, CodeInvalidParameter, "Invalid request: "+DescribeError(err))
		return
	}
	// project_id passed validation: it has no escapes.
	if project := pathParams["project_id"]; project != s.projectID {
		writeError(rec, http.StatusForbidden, CodeForbidden,
			"The IAM user is not authorized to access the API: the project in the path is not the project of this fake (see ProjectID).")
		return
	}
	if s.cfg.oneOperation && refusedWhenBusy(route) {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
		if s.refuseBusy(rec, pathParams) {
			return
		}
	}
	s.api.ServeHTTP(rec, r)
}

// readBody reads the whole body (at most maxBodyBytes) and puts it back so
// that it can be read again.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	_ = r.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	if len(b) > maxBodyBytes {
		return nil, errors.New("the body is larger than 1 MiB")
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	return b, nil
}

func (s *Server) logError(what string, err error) {
	if l := s.cfg.logger; l != nil {
		l.Warn("fake: "+what, slog.String("error", err.Error()))
	}
}

// InjectFault makes the next requests misbehave as f says. Faults are
// kept in the order they were injected; a request is affected by the
// first one that matches its operation. It panics on a Status that is not 0 or 200 to 999.
func (s *Server) InjectFault(f Fault) { s.faults.add(f) }

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() { s.faults.clear() }

// Requests returns the latest requests the server saw (see
// WithRequestLogSize), oldest first.
func (s *Server) Requests() []Request { return s.log.all() }

// RequestCount returns how many requests of operation op (an operationId
// or OperationIAMToken) the server saw; "" counts every request.
func (s *Server) RequestCount(op string) int { return s.log.count(op) }

// ResetRequests forgets the recorded requests and zeroes the counts.
func (s *Server) ResetRequests() { s.log.reset() }
