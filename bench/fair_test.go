package bench

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
)

// wireRequest is what a contender put on the wire, credentials aside.
type wireRequest struct {
	method, uri, body string
	header            http.Header
	credentials       []string // the names of the credential headers sent
	token             string   // the X-Auth-Token sent, if any
}

// credentialHeaders are the headers that differ with the kind of
// credentials: a token, or an AK/SK signature.
var credentialHeaders = []string{"X-Auth-Token", "Authorization", "X-Sdk-Date", "X-Project-Id"}

// TestContendersAreComparable checks that every contender sends one request
// per call, the same (method, URL, headers but the credentials, body) as the
// baseline's, with the same token when it sends one, and reads the same
// answer, so that the benchmarks compare the same work.
func TestContendersAreComparable(t *testing.T) {
	var (
		mu   sync.Mutex
		last wireRequest
	)
	fixed := fixedHandler()
	s := newServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h := r.Header.Clone()
		var creds []string
		tok := h.Get("X-Auth-Token")
		for _, name := range credentialHeaders {
			if h.Get(name) != "" {
				creds = append(creds, name)
			}
			h.Del(name)
		}
		mu.Lock()
		last = wireRequest{method: r.Method, uri: r.RequestURI, body: string(body), header: h, credentials: creds, token: tok}
		mu.Unlock()
		fixed.ServeHTTP(w, r)
	}))
	defer s.Close()
	cs, err := newContenders(s.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantCreds := map[string][]string{
		nameBaseline:    {"X-Auth-Token"},
		nameGenerated:   {"X-Auth-Token"},
		nameFacadeToken: {"X-Auth-Token"},
		nameFacadeAKSK:  {"Authorization", "X-Sdk-Date", "X-Project-Id"},
	}
	ctx := context.Background()
	for _, tc := range []struct {
		call string
		do   func(contender) (string, error)
		want string
	}{
		{"create", func(c contender) (string, error) { return c.create(ctx) }, jobID},
		{"list", func(c contender) (string, error) {
			n, err := c.list(ctx)
			return strings.Repeat("x", n), err
		}, strings.Repeat("x", listPageSize)},
		{"job", func(c contender) (string, error) { return c.job(ctx) }, "Completed"},
	} {
		var base wireRequest
		for _, c := range cs {
			before := s.requests.Load()
			got, err := tc.do(c)
			if n := s.requests.Load() - before; n != 1 {
				t.Errorf("%s %s: sent %d requests, want 1", c.name, tc.call, n)
			}
			if err != nil {
				t.Fatalf("%s %s: %v", c.name, tc.call, err)
			}
			if got != tc.want {
				t.Errorf("%s %s: read %q, want %q", c.name, tc.call, got, tc.want)
			}
			mu.Lock()
			w := last
			mu.Unlock()
			if !slices.Equal(w.credentials, wantCreds[c.name]) {
				t.Errorf("%s %s: sent credential headers %v, want %v", c.name, tc.call, w.credentials, wantCreds[c.name])
			}
			if slices.Contains(w.credentials, "X-Auth-Token") && w.token != token {
				t.Errorf("%s %s: sent a token of %d bytes, not the %d-byte one every contender should send", c.name, tc.call, len(w.token), len(token))
			}
			if c.name == nameBaseline {
				base = w
				continue
			}
			if w.method != base.method || w.uri != base.uri || w.body != base.body {
				t.Errorf("%s %s: sent %s %s %q, baseline sent %s %s %q", c.name, tc.call, w.method, w.uri, w.body, base.method, base.uri, base.body)
			}
			for name := range mergeKeys(w.header, base.header) {
				if !slices.Equal(w.header[name], base.header[name]) {
					t.Errorf("%s %s: header %s is %q, baseline sent %q", c.name, tc.call, name, w.header[name], base.header[name])
				}
			}
		}
	}
}

func mergeKeys(a, b http.Header) map[string]bool {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	return keys
}
