package fake

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/gaussdb-tools/chreplication/auth"
)

// tokens holds the tokens the fake's IAM endpoint issued, with their
// expiry. Expired tokens are forgotten when they are presented and, so that
// tokens never presented again do not pile up, whenever the map has doubled
// since the last sweep.
type tokens struct {
	mu      sync.Mutex
	expiry  map[string]time.Time
	sweepAt int // sweep expired tokens when the map reaches this size
}

// minSweep is the smallest map size at which add sweeps.
const minSweep = 64

func (t *tokens) add(token string, expires, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.expiry == nil {
		t.expiry = make(map[string]time.Time)
	}
	if len(t.expiry) >= max(t.sweepAt, minSweep) {
		for k, exp := range t.expiry {
			if !now.Before(exp) {
				delete(t.expiry, k)
			}
		}
		t.sweepAt = 2 * len(t.expiry)
	}
	t.expiry[token] = expires
}

// len returns how many tokens are held.
func (t *tokens) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.expiry)
}

// valid reports whether token was issued and has not expired at now;
// expired tokens are forgotten.
func (t *tokens) valid(token string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	exp, ok := t.expiry[token]
	if !ok {
		return false
	}
	if !now.Before(exp) {
		delete(t.expiry, token)
		return false
	}
	return true
}

// Errors of authenticate; they never quote the credentials.
var (
	errNoCredentials = errors.New("the request carries neither X-Auth-Token nor an AK/SK Authorization header")
	errBadToken      = errors.New("the token is invalid or has expired")
	errSecurityToken = errors.New("the X-Security-Token is missing or is not the one of these temporary credentials")
)

// authenticate checks the request's credentials: a valid X-Auth-Token (the
// static token or an unexpired issued one) or a valid AK/SK signature. It
// records which header carried credentials in st.
func (s *Server) authenticate(r *http.Request, st *requestState) error {
	var err error
	if tok := r.Header.Get("X-Auth-Token"); tok != "" {
		st.authHeader = "X-Auth-Token"
		if subtle.ConstantTimeCompare([]byte(tok), []byte(s.token)) == 1 || s.tokens.valid(tok, s.cfg.now()) {
			return nil
		}
		err = errBadToken
	}
	if authz := r.Header.Get("Authorization"); authz != "" {
		if st.authHeader == "" {
			st.authHeader = "Authorization"
		}
		return s.verifyAKSK(r)
	}
	if err == nil {
		err = errNoCredentials
	}
	return err
}

// newAKSKVerifier returns the AK/SK signature check: auth.Verifier with
// the fake's key pair and maximum skew (X-Sdk-Date is checked against the
// auth package's clock, not WithClock's), plus the security token of
// temporary credentials when WithSecurityToken set one.
func newAKSKVerifier(s *Server) func(*http.Request) error {
	v := &auth.Verifier{
		Lookup: func(ak string) (string, bool) {
			if ak != s.ak {
				return "", false
			}
			return s.sk, true
		},
		MaxSkew: s.cfg.maxSkew,
	}
	return func(r *http.Request) error {
		if err := v.Verify(r); err != nil {
			return err
		}
		if want := s.cfg.securityToken; want != "" {
			got := r.Header.Get("X-Security-Token")
			if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
				return errSecurityToken
			}
		}
		return nil
	}
}
