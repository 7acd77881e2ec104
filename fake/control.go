package fake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ControlPrefix is the path prefix of the control routes (see WithControl).
// No operation of the spec has a path under it.
const ControlPrefix = "/_fake/"

// Error codes of the control routes, in the error_code of their
// ErrorResponse bodies.
const (
	// CodeControlInvalid (400): the body is not the JSON the route takes,
	// or a value in it is refused; the message names the field.
	CodeControlInvalid = "FAKE.0400"
	// CodeControlForbidden (403): the request did not come from a loopback
	// address, its Host is not one, or it carries an Origin (a web page's
	// request) that is not a loopback address or localhost.
	CodeControlForbidden = "FAKE.0403"
	// CodeControlNotFound (404): no control route has this method and path,
	// or the task or job the route names does not exist.
	CodeControlNotFound = "FAKE.0404"
	// CodeControlMediaType (415): the request says its body is something
	// other than application/json (a form or text/plain, which a web page
	// may send to any address without asking).
	CodeControlMediaType = "FAKE.0415"
)

// WithControl serves the control routes under ControlPrefix, for tests
// written in other languages that drive the fake over HTTP what a Go test
// drives with the Server's methods:
//
//	POST   /_fake/replications/{instance}/{database}/state  Server.SetReplicationState
//	POST   /_fake/faults                                    Server.InjectFault
//	DELETE /_fake/faults                                    Server.ClearFaults
//	POST   /_fake/jobs/fail-next                            Server.FailNextJob
//	POST   /_fake/jobs/advance                              Server.Advance, Server.AdvanceJob
//	POST   /_fake/jobs/finish                               Server.FinishJobs
//	POST   /_fake/rate-limit                                Server.SetRateLimit
//
// (the package documentation shows their bodies). They need no
// credentials, are not recorded, throttled or faulted, and are not
// validated against the spec; a body that is not the JSON a route takes
// (unknown fields included) is refused with 400 CodeControlInvalid naming
// what is wrong. They answer only requests from a loopback address whose
// Host is a loopback address or localhost (else 403
// CodeControlForbidden), not a request whose Origin header names another
// site (403 CodeControlForbidden), and not a body whose Content-Type is
// anything but application/json (415 CodeControlMediaType): a web page may
// send a form or text/plain to any address without asking. NewServer
// fails when WithAddr makes the fake
// listen on another address than a loopback one. Without WithControl,
// paths under ControlPrefix are answered as any path of no operation (404
// CodeAPINotFound).
func WithControl() Option {
	return func(c *config) { c.control = true }
}

// controlRoutes are the patterns of the control routes, for messages.
var controlRoutes = []string{
	"POST /_fake/replications/{instance}/{database}/state",
	"POST /_fake/faults",
	"DELETE /_fake/faults",
	"POST /_fake/jobs/fail-next",
	"POST /_fake/jobs/advance",
	"POST /_fake/jobs/finish",
	"POST /_fake/rate-limit",
}

// newControl returns the handler of the control routes.
func newControl(s *Server) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(controlRoutes[0], s.controlState)
	mux.HandleFunc(controlRoutes[1], s.controlInjectFault)
	mux.HandleFunc(controlRoutes[2], func(w http.ResponseWriter, _ *http.Request) {
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc(controlRoutes[3], s.controlFailNext)
	mux.HandleFunc(controlRoutes[4], s.controlAdvance)
	mux.HandleFunc(controlRoutes[5], func(w http.ResponseWriter, r *http.Request) {
		if decodeControl(w, r, &struct{}{}, true) {
			s.FinishJobs()
			w.WriteHeader(http.StatusNoContent)
		}
	})
	mux.HandleFunc(controlRoutes[6], s.controlRateLimit)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !fromLoopback(r) {
			writeError(w, http.StatusForbidden, CodeControlForbidden,
				"The control routes answer only requests from a loopback address to a loopback address or localhost.")
			return
		}
		if o := r.Header.Get("Origin"); o != "" && !loopbackOrigin(o) {
			writeError(w, http.StatusForbidden, CodeControlForbidden,
				"The control routes refuse requests of web pages from another site (Origin "+strconv.Quote(o)+"); send them without an Origin, as curl and test code do.")
			return
		}
		if ct := r.Header.Get("Content-Type"); ct != "" && !isJSONMediaType(r.Header) {
			writeError(w, http.StatusUnsupportedMediaType, CodeControlMediaType,
				"The control routes take application/json bodies; this request says "+strconv.Quote(ct)+" (with curl, add -H 'Content-Type: application/json').")
			return
		}
		if _, pattern := mux.Handler(r); pattern == "" {
			writeError(w, http.StatusNotFound, CodeControlNotFound,
				"No control route has method "+r.Method+" and this path; the control routes are: "+strings.Join(controlRoutes, ", ")+".")
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// fromLoopback reports whether the request came from a loopback address
// and names a loopback address or localhost as its Host (so that a web
// page whose name a hostile DNS points at 127.0.0.1 cannot drive the fake
// through a browser).
func fromLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return false
	}
	h := r.Host
	if hh, _, err := net.SplitHostPort(h); err == nil {
		h = hh
	}
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(h, "[]"))
	return ip != nil && ip.IsLoopback()
}

// loopbackOrigin reports whether an Origin header names a page served from
// a loopback address or localhost ("null", an opaque origin, does not).
func loopbackOrigin(origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	h := u.Hostname()
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// checkControlListener makes sure the control routes are served on a
// loopback address only.
func checkControlListener(addr net.Addr) error {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || !tcp.IP.IsLoopback() {
		return fmt.Errorf("WithControl: the control routes are served on a loopback address only, and the fake listens on %s", addr)
	}
	return nil
}

// decodeControl decodes the body of a control request into v, refusing
// with 400 anything but one JSON value of v's fields. An empty body is
// admitted when optional. It reports whether v was decoded.
func decodeControl(w http.ResponseWriter, r *http.Request, v any, optional bool) bool {
	body, err := readBody(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, CodeControlInvalid, "Invalid request body: "+err.Error())
		return false
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if optional {
			return true
		}
		writeError(w, http.StatusBadRequest, CodeControlInvalid, "Invalid request body: the route takes a JSON object, and the body is empty.")
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	if err == nil && dec.Decode(&struct{}{}) != io.EOF {
		err = errors.New("the body holds more than one JSON value")
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, CodeControlInvalid, "Invalid request body: "+describeJSONError(err))
		return false
	}
	return true
}

// describeJSONError says what is wrong with a body, naming the field.
func describeJSONError(err error) string {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return fmt.Sprintf("field %q: a JSON %s where %s is wanted.", typeErr.Field, typeErr.Value, jsonKind(typeErr.Type.Kind().String()))
	case errors.As(err, &typeErr):
		return fmt.Sprintf("a JSON %s where an object is wanted.", typeErr.Value)
	case errors.As(err, &syntaxErr):
		return fmt.Sprintf("not valid JSON at byte %d: %v.", syntaxErr.Offset, syntaxErr)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON ends too early."
	}
	// The decoder's other errors name the field themselves, such as
	// `json: unknown field "x"`.
	return strings.TrimPrefix(err.Error(), "json: ") + "."
}

func jsonKind(goKind string) string {
	switch goKind {
	case "int", "int64":
		return "an integer"
	case "string":
		return "a string"
	case "map", "struct":
		return "an object"
	}
	return "a " + goKind
}

func (s *Server) controlState(w http.ResponseWriter, r *http.Request) {
	var st ReplicationState
	if !decodeControl(w, r, &st, false) {
		return
	}
	instance, database := r.PathValue("instance"), r.PathValue("database")
	if err := st.check(); err != nil {
		writeError(w, http.StatusBadRequest, CodeControlInvalid, "Invalid replication state: "+err.Error()+".")
		return
	}
	if err := s.store.setState(instance, database, st); err != nil {
		writeError(w, http.StatusNotFound, CodeControlNotFound, "There is "+err.Error()+".")
		return
	}
	for _, x := range s.store.replications(instance) {
		if x.TargetDatabase == database {
			writeJSON(w, http.StatusOK, x)
			return
		}
	}
	// Deleted in between: the state was set on a task that is gone.
	writeError(w, http.StatusNotFound, CodeControlNotFound, "The task was deleted meanwhile.")
}

// faultJSON is the body of POST /_fake/faults: a Fault.
type faultJSON struct {
	Operation string            `json:"operation"`
	Times     int               `json:"times"`
	Delay     string            `json:"delay"` // a Go duration such as "1.5s"; "" for none
	Status    int               `json:"status"`
	Headers   map[string]string `json:"headers"`
	Body      *string           `json:"body"`
}

// operationIDs are the spec's operationIds and OperationIAMToken.
var operationIDs = sync.OnceValue(func() []string {
	ids := []string{OperationIAMToken}
	if doc, err := GetSpec(); err == nil {
		for _, item := range doc.Paths.Map() {
			for _, op := range item.Operations() {
				ids = append(ids, op.OperationID)
			}
		}
	}
	slices.Sort(ids)
	return ids
})

func (s *Server) controlInjectFault(w http.ResponseWriter, r *http.Request) {
	var in faultJSON
	if !decodeControl(w, r, &in, false) {
		return
	}
	f := Fault{Operation: in.Operation, Times: in.Times, Status: in.Status}
	var problems []string
	if in.Operation != "" && !slices.Contains(operationIDs(), in.Operation) {
		problems = append(problems, fmt.Sprintf("operation: %q is not an operationId of the spec nor %s (leave it out to match every request)", in.Operation, OperationIAMToken))
	}
	if in.Delay != "" {
		d, err := time.ParseDuration(in.Delay)
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("delay: %q is not a duration such as \"1.5s\" or \"200ms\"", in.Delay))
		case d < 0:
			problems = append(problems, "delay: must not be negative")
		}
		f.Delay = d
	}
	if in.Status != 0 && (in.Status < 200 || in.Status > 999) {
		problems = append(problems, fmt.Sprintf("status: %d is not 0 (serve the request after the delay) nor a final status, 200 to 999", in.Status))
	}
	if in.Status == 0 && (len(in.Headers) > 0 || in.Body != nil) {
		problems = append(problems, "headers, body: need a status to answer them with")
	}
	if in.Delay == "" && in.Status == 0 {
		problems = append(problems, "delay, status: give a delay, a status or both, else the fault does nothing")
	}
	if len(problems) > 0 {
		writeError(w, http.StatusBadRequest, CodeControlInvalid, "Invalid fault: "+strings.Join(problems, "; ")+".")
		return
	}
	if len(in.Headers) > 0 {
		f.Header = make(http.Header, len(in.Headers))
		for k, v := range in.Headers {
			f.Header.Set(k, v)
		}
	}
	if in.Body != nil {
		f.Body = []byte(*in.Body)
	}
	s.InjectFault(f)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) controlFailNext(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Reason string `json:"reason"`
	}
	if decodeControl(w, r, &in, true) {
		s.FailNextJob(in.Reason)
		w.WriteHeader(http.StatusNoContent)
	}
}

func (s *Server) controlAdvance(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Steps *int   `json:"steps"`
		JobID string `json:"job_id"`
	}
	if !decodeControl(w, r, &in, true) {
		return
	}
	steps := 1
	if in.Steps != nil {
		steps = *in.Steps
	}
	if steps < 1 {
		writeError(w, http.StatusBadRequest, CodeControlInvalid, fmt.Sprintf("Invalid request body: steps: %d is not a positive number of steps.", steps))
		return
	}
	if in.JobID == "" {
		s.Advance(steps)
	} else if !s.AdvanceJob(in.JobID, steps) {
		writeError(w, http.StatusNotFound, CodeControlNotFound, fmt.Sprintf("The job %q does not exist.", in.JobID))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) controlRateLimit(w http.ResponseWriter, r *http.Request) {
	var in struct {
		PerSecond *int `json:"per_second"`
	}
	if !decodeControl(w, r, &in, false) {
		return
	}
	if in.PerSecond == nil || *in.PerSecond < 0 {
		writeError(w, http.StatusBadRequest, CodeControlInvalid,
			"Invalid request body: per_second: give the requests a second per credential, 0 for no limit.")
		return
	}
	s.SetRateLimit(*in.PerSecond)
	w.WriteHeader(http.StatusNoContent)
}
