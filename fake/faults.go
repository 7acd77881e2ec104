package fake

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// A Fault makes the server misbehave on the next requests, for tests of how
// a client copes. See Server.InjectFault.
type Fault struct {
	// Operation limits the fault to the requests of one operation: an
	// operationId of the spec (such as "CreateClickHouseDataBaseReplication")
	// or OperationIAMToken. Empty matches every request, including those
	// that match no operation.
	Operation string
	// Times is how many matching requests the fault affects: 0 means 1, a
	// negative number means every matching request until ClearFaults.
	Times int
	// Delay is how long the server waits before answering. The wait ends
	// early when the client gives up (the request's context ends) or the
	// server closes; the server then answers nothing.
	Delay time.Duration
	// Status is the status the server answers, after Delay, instead of
	// serving the request. Zero serves the request normally (after Delay).
	// Any other value must be a final HTTP status (200 to 999): a 1xx is
	// informational, and net/http would follow it with a 200.
	Status int
	// Header holds headers to answer with Status. When it has no
	// Content-Type, a Body that is valid JSON is sent as application/json
	// and any other non-empty Body as what http.DetectContentType sees.
	Header http.Header
	// Body is the body to answer with Status; nil answers an empty body.
	Body []byte
}

// OperationIAMToken is the operation name, for Fault.Operation and
// Server.RequestCount, of the fake's IAM endpoint POST /v3/auth/tokens
// (Huawei Cloud IAM's own operationId for it).
const OperationIAMToken = "KeystoneCreateUserTokenByPassword"

type pendingFault struct {
	Fault
	left int // < 0: unlimited
}

type faults struct {
	mu   sync.Mutex
	list []*pendingFault
}

func (f *faults) add(x Fault) {
	if x.Status != 0 && (x.Status < 200 || x.Status > 999) {
		panic(fmt.Sprintf("fake: InjectFault: invalid status %d", x.Status))
	}
	left := x.Times
	if left == 0 {
		left = 1
	}
	x.Header = x.Header.Clone()
	x.Body = bytes.Clone(x.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.list = append(f.list, &pendingFault{Fault: x, left: left})
}

func (f *faults) clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.list = nil
}

// take returns the first fault that matches op and counts the request
// against it, or nil.
func (f *faults) take(op string) *Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, p := range f.list {
		if p.Operation != "" && p.Operation != op {
			continue
		}
		if p.left > 0 {
			p.left--
			if p.left == 0 {
				f.list = append(f.list[:i:i], f.list[i+1:]...)
			}
		}
		return &p.Fault
	}
	return nil
}

// apply carries a fault out. It reports whether the request has been
// answered and must not be served. When the client gives up or the server
// closes during the delay, it aborts the handler (http.ErrAbortHandler) so
// that nothing is answered on the connection.
func (f *Fault) apply(ctx context.Context, closing <-chan struct{}, w http.ResponseWriter) bool {
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			panic(http.ErrAbortHandler)
		case <-closing:
			t.Stop()
			panic(http.ErrAbortHandler)
		}
	}
	if f.Status == 0 {
		return false
	}
	h := w.Header()
	for k, vs := range f.Header {
		h[k] = append([]string(nil), vs...)
	}
	if h.Get("Content-Type") == "" && len(f.Body) > 0 {
		if json.Valid(f.Body) {
			h.Set("Content-Type", "application/json")
		} else {
			h.Set("Content-Type", http.DetectContentType(f.Body))
		}
	}
	if h.Get("Content-Length") == "" {
		h.Set("Content-Length", strconv.Itoa(len(f.Body)))
	}
	w.WriteHeader(f.Status)
	_, _ = w.Write(f.Body)
	return true
}
