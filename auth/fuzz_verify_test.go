package auth

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The verifier's fuzz targets run on a frozen clock: requests are signed at
// vectorTime and verified at fuzzNow (or at a skew from it chosen by the
// input), through sign and verify, which take the time as an argument.
var fuzzNow = vectorTime.Add(30 * time.Second)

const (
	fuzzHost    = "gaussdb.cn-north-4.myhuaweicloud.com"
	fuzzProject = "0123456789abcdef0123456789abcdef"
	// The verifier's own keys in FuzzVerifyWire: long enough that no
	// fixed text of an error can hold them by chance.
	fuzzAK      = "HPUAFUZZACCESSKEY001"
	fuzzSK      = "fuzz-secret-key-7Qp2vX9sLw3Rk8Zt"
	fuzzOtherAK = "HPUAFUZZOTHERKEY002"
	fuzzOtherSK = "fuzz-other-secret-4Hn6Jc1Mb5Vd0Gy"
	fuzzToken   = "fuzz-security-token-Tq8Wz3Lp6Ks1"
)

// wire sends req the way net/http's client writes a request and reads it
// back the way net/http's server does. ok is false when the client would
// refuse to send req (a header name or value it rejects, a bad Host) or a
// server would not read what was written.
func wire(req *http.Request) (*http.Request, bool) {
	if !sendable(req) {
		return nil, false
	}
	out := req.Clone(context.Background())
	if req.GetBody != nil {
		b, err := req.GetBody()
		if err != nil {
			return nil, false
		}
		out.Body = b
	}
	var buf bytes.Buffer
	if err := out.Write(&buf); err != nil {
		return nil, false
	}
	srv, err := http.ReadRequest(bufio.NewReader(&buf))
	if err != nil {
		return nil, false
	}
	return srv, true
}

// sendable reports whether net/http's transport would send the header of
// req (it refuses names that are not tokens and values with control
// characters other than tab).
func sendable(req *http.Request) bool {
	for name, vals := range req.Header {
		if !isToken(name) {
			return false
		}
		for _, v := range vals {
			for i := 0; i < len(v); i++ {
				if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
					return false
				}
			}
		}
	}
	return isToken(req.Method)
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// serverBody reads the body of a request a server received and puts it back.
func serverBody(req *http.Request) ([]byte, bool) {
	if req.Body == nil {
		return nil, true
	}
	b, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, false
	}
	req.Body = io.NopCloser(bytes.NewReader(b))
	return b, true
}

// refVerify is a second, independent reading of DESIGN.md's AK/SK section:
// it reports whether req (as a server received it, with body) is signed by
// one of keys within 15 minutes of now. The Verifier must agree with it on
// every request.
func refVerify(req *http.Request, body []byte, keys map[string]string, now time.Time) bool {
	authz := req.Header.Values("Authorization")
	if len(authz) != 1 {
		return false
	}
	ak, names, sig, ok := refParseAuthorization(authz[0])
	if !ok {
		return false
	}
	sk, ok := keys[ak]
	if !ok || !slices.Contains(names, "x-sdk-date") {
		return false
	}
	if len(req.Header.Values("X-Security-Token")) > 0 && !slices.Contains(names, "x-security-token") {
		return false
	}
	date := req.Header.Get("X-Sdk-Date")
	signedAt, err := time.Parse("20060102T150405Z", date)
	if err != nil || signedAt.After(now.Add(15*time.Minute)) || signedAt.Before(now.Add(-15*time.Minute)) {
		return false
	}
	if len(body) > 10<<20 {
		return false
	}
	cr, ok := refCanonical(req, names, body)
	if !ok {
		return false
	}
	crSum := sha256.Sum256([]byte(cr))
	mac := hmac.New(sha256.New, []byte(sk))
	mac.Write([]byte("SDK-HMAC-SHA256\n" + date + "\n" + hex.EncodeToString(crSum[:])))
	return hex.EncodeToString(mac.Sum(nil)) == sig
}

// refParseAuthorization reads
// "SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex": each part
// once, the names lower case, sorted and distinct.
func refParseAuthorization(authz string) (ak string, names []string, sig string, ok bool) {
	rest, found := strings.CutPrefix(authz, "SDK-HMAC-SHA256 ")
	if !found {
		return "", nil, "", false
	}
	parts := map[string]string{}
	for _, p := range strings.Split(rest, ",") {
		k, v, found := strings.Cut(strings.TrimSpace(p), "=")
		if !found || (k != "Access" && k != "SignedHeaders" && k != "Signature") {
			return "", nil, "", false
		}
		if _, dup := parts[k]; dup {
			return "", nil, "", false
		}
		parts[k] = v
	}
	ak, signed, sig := parts["Access"], parts["SignedHeaders"], parts["Signature"]
	if ak == "" || signed == "" || len(sig) != 64 {
		return "", nil, "", false
	}
	names = strings.Split(signed, ";")
	for i, n := range names {
		if n == "" || n != strings.ToLower(n) || strings.ContainsAny(n, " \t") || i > 0 && names[i-1] >= n {
			return "", nil, "", false
		}
	}
	return ak, names, sig, true
}

// refCanonical builds the canonical request of req over the signed header
// names.
func refCanonical(req *http.Request, names []string, body []byte) (string, bool) {
	var b strings.Builder
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	b.WriteString(method + "\n")

	segs := strings.Split(req.URL.EscapedPath(), "/")
	for i, s := range segs {
		dec, err := url.PathUnescape(s)
		if err != nil {
			return "", false
		}
		segs[i] = refEscape(dec)
	}
	uri := strings.Join(segs, "/")
	if !strings.HasSuffix(uri, "/") {
		uri += "/"
	}
	b.WriteString(uri + "\n")

	var pairs [][2]string
	for _, p := range strings.Split(req.URL.RawQuery, "&") {
		if p == "" {
			continue
		}
		k, v, _ := strings.Cut(p, "=")
		dk, err1 := url.QueryUnescape(k)
		dv, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			return "", false
		}
		pairs = append(pairs, [2]string{dk, dv})
	}
	slices.SortFunc(pairs, func(x, y [2]string) int {
		if c := strings.Compare(x[0], y[0]); c != 0 {
			return c
		}
		return strings.Compare(x[1], y[1])
	})
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(refEscape(p[0]) + "=" + refEscape(p[1]))
	}
	b.WriteString("\n")

	for _, n := range names {
		if n == "host" {
			b.WriteString("host:" + strings.TrimSpace(req.Host) + "\n")
			continue
		}
		vals := req.Header.Values(n)
		if len(vals) == 0 {
			return "", false
		}
		if len(vals) > 1 {
			vals = slices.Clone(vals)
			for i := range vals {
				vals[i] = strings.TrimSpace(vals[i])
			}
			slices.Sort(vals)
		}
		for _, v := range vals {
			b.WriteString(n + ":" + strings.TrimSpace(v) + "\n")
		}
	}
	b.WriteString("\n" + strings.Join(names, ";") + "\n")
	sum := sha256.Sum256(body)
	b.WriteString(hex.EncodeToString(sum[:]))
	return b.String(), true
}

// refEscape percent-encodes every byte but A-Z a-z 0-9 - _ . ~, upper-case hex.
func refEscape(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', strings.IndexByte("-_.~", c) >= 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// otherSecrets returns keys with every secret replaced by another one.
func otherSecrets(keys map[string]string) map[string]string {
	out := make(map[string]string, len(keys))
	for ak, sk := range keys {
		out[ak] = sk + "-another-secret"
	}
	return out
}

// checkVerify verifies srv (as a server received it, body included) with
// keys at now, and checks the Verifier against refVerify, that its error
// does not depend on the secret keys (the same text when every secret is
// another one), that it wraps one of the package's errors, and that the
// handler can read the body again. It returns the Verifier's error, with
// the secrets scrubbed so that it can be printed.
func checkVerify(t *testing.T, srv *http.Request, body []byte, keys map[string]string, now time.Time, secrets ...string) error {
	t.Helper()
	want := refVerify(srv, body, keys, now)

	srvB := srv.Clone(context.Background())
	srvB.Body = io.NopCloser(bytes.NewReader(body))
	errB := (&Verifier{Lookup: lookup(otherSecrets(keys))}).verify(srvB, now)

	srv.Body = io.NopCloser(bytes.NewReader(body))
	err := (&Verifier{Lookup: lookup(keys)}).verify(srv, now)
	safe := func(e error) string { return scrub(e.Error(), secrets...) }
	if err != nil {
		for _, s := range secrets {
			if len(s) >= 8 && strings.Contains(err.Error(), s) && !strings.Contains(errB.Error(), s) {
				t.Fatalf("the error quotes a secret key (secret not printed)")
			}
		}
		if errB == nil || err.Error() != errB.Error() {
			t.Fatalf("the error depends on the secret key: %q vs another key's (not printed)", safe(err))
		}
		if !errors.Is(err, ErrMissingSignature) && !errors.Is(err, ErrMalformedSignature) &&
			!errors.Is(err, ErrUnknownAccessKey) && !errors.Is(err, ErrDateSkew) && !errors.Is(err, ErrSignatureMismatch) {
			t.Fatalf("the error wraps none of the package's errors: %q", safe(err))
		}
	}
	if got := err == nil; got != want {
		if err != nil {
			t.Fatalf("refused a request the reference accepts: %s", safe(err))
		}
		t.Fatalf("accepted a request the reference refuses")
	}
	if srv.Body != nil {
		again, rerr := io.ReadAll(srv.Body)
		if rerr != nil || !bytes.Equal(again, body) {
			// A body over the limit is left consumed; none is that large here.
			t.Fatalf("the handler cannot read the body again (%d of %d bytes)", len(again), len(body))
		}
	}
	if err != nil {
		return errors.New(safe(err))
	}
	return nil
}

// mutation is one change a party between the signer and the server may
// make to a signed request.
type mutation uint8

const (
	mutNone mutation = iota
	mutMethod
	mutPath
	mutQuery
	mutSetHeader
	mutAddHeader
	mutDelHeader
	mutBody
	mutHost
	mutDate
	mutAccess
	mutSignedHeaders
	mutSignature
	mutInsertAuthz
	mutSecondAuthz
	mutSecurityToken
	mutLowerKeyDuplicate
	// The next ones keep the canonical request as it is: the request must
	// still be accepted.
	mutReorderQuery
	mutTrailingSlash
	mutLowerHexPath
	mutEmptyQueryParts
	mutUnsignedHeader
	mutCount
)

// apply changes req (a signed request, before it is sent) as m says, with
// arg and n as its arguments.
func (m mutation) apply(req *http.Request, arg string, n int64) {
	authz := req.Header.Get(HeaderAuthorization)
	switch m {
	case mutMethod:
		req.Method = arg
	case mutPath:
		if u, err := url.Parse("https://" + fuzzHost + "/" + strings.TrimPrefix(arg, "/")); err == nil {
			req.URL.Path, req.URL.RawPath = u.Path, u.RawPath
		}
	case mutQuery:
		req.URL.RawQuery = arg
	case mutSetHeader, mutAddHeader:
		name, val, _ := strings.Cut(arg, ":")
		if m == mutSetHeader {
			req.Header.Set(name, val)
		} else {
			req.Header.Add(name, val)
		}
	case mutDelHeader:
		req.Header.Del(arg)
	case mutBody:
		setBody(req, []byte(arg))
	case mutHost:
		req.Host = arg
	case mutDate:
		req.Header.Set(HeaderSdkDate, vectorTime.Add(time.Duration(n%100000)*time.Second).Format(sdkDateLayout))
	case mutAccess, mutSignedHeaders, mutSignature:
		key := map[mutation]string{mutAccess: "Access=", mutSignedHeaders: "SignedHeaders=", mutSignature: "Signature="}[m]
		start := strings.Index(authz, key)
		if start < 0 {
			return
		}
		start += len(key)
		end := strings.IndexByte(authz[start:], ',')
		if end < 0 {
			end = len(authz) - start
		}
		req.Header.Set(HeaderAuthorization, authz[:start]+arg+authz[start+end:])
	case mutInsertAuthz:
		i := int(uint64(n) % uint64(len(authz)+1))
		req.Header.Set(HeaderAuthorization, authz[:i]+arg+authz[i:])
	case mutSecondAuthz:
		req.Header.Add(HeaderAuthorization, arg)
	case mutSecurityToken:
		req.Header.Set(HeaderSecurityToken, arg)
	case mutLowerKeyDuplicate:
		// A second spelling of a header: the server merges the two.
		req.Header[strings.ToLower(arg)] = []string{strconv.FormatInt(n, 10)}
	case mutReorderQuery:
		parts := strings.Split(req.URL.RawQuery, "&")
		slices.Reverse(parts)
		req.URL.RawQuery = strings.Join(parts, "&")
	case mutTrailingSlash:
		if p := req.URL.EscapedPath(); !strings.HasSuffix(p, "/") {
			req.URL.RawPath = p + "/"
			req.URL.Path += "/"
		}
	case mutLowerHexPath:
		p := req.URL.EscapedPath()
		var b strings.Builder
		for i := 0; i < len(p); i++ {
			b.WriteByte(p[i])
			if p[i] == '%' && i+2 < len(p) {
				b.WriteString(strings.ToLower(p[i+1 : i+3]))
				i += 2
			}
		}
		req.URL.RawPath = b.String()
	case mutEmptyQueryParts:
		req.URL.RawQuery = "&" + req.URL.RawQuery + "&&"
	case mutUnsignedHeader:
		req.Header.Set("Content-Type", arg)
		req.Header.Set("User-Agent", "proxy/"+strconv.FormatInt(n, 10))
	}
}

// keepsCanonical reports the mutations after which the request must still
// be accepted.
func (m mutation) keepsCanonical() bool { return m == mutNone || m >= mutReorderQuery }

// FuzzVerifySigned signs a request built from the input with AKSK, sends it
// through the wire, and checks that the Verifier accepts it within the skew
// it allows. Then it changes the request the way a party in between could
// (method, path, query, headers, body, host, date, every part of the
// Authorization header) and checks that the Verifier accepts it exactly
// when the reference verifier does, that is when the change kept the
// canonical request (and the signing key) as it was; the changes that keep
// it by construction (query order, a trailing slash, lower-case hex, an
// unsigned header) must be accepted. No error depends on the secret key.
func FuzzVerifySigned(f *testing.F) {
	type seed struct {
		method, target, hname, hval, body, ak, sk, token string
		n                                                int64
		mut                                              mutation
		arg                                              string
	}
	rep := "/v3/" + fuzzProject + "/instances/54e42160670e48e789af7075e1efea1fin16/clickhouse/replication"
	create := `{"source_instance_id":"ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07","source_database":"shop"}`
	seeds := []seed{
		{"GET", rep + "?limit=10&offset=0", "X-Language", "en-us", "", "AK", "SK-secret", "", 0, mutNone, ""},
		{"POST", rep, "X-Language", "zh-cn", create, "AK", "SK-secret", "", 100, mutBody, `{"source_database":"evil"}`},
		{"DELETE", rep + "/my%20db%20%C3%BC", "", "", "", "AK", "SK-secret", "ST-secret", -899, mutPath, rep + "/other"},
		{"GET", "/v3/" + fuzzProject + "/jobs?id=18ef8ee3-b880-4851-8978-bb6acbd4e695", "X-Language", "en-us", "", "AK", "SK-secret", "", 5, mutQuery, "id=other"},
		{"GET", "/path?limit=1", "", "", "", "AccessKey", "SecretKey", "", 0, mutMethod, "POST"},
		{"GET", "/a?b=2&a=1&a=0", "X-Multi", " a ", "", "AK", strings.Repeat("k", 100), "", 0, mutReorderQuery, ""},
		{"GET", "/a/b%2Fc", "X-A", "1", "", "AK", "SK-secret", "", 0, mutLowerHexPath, ""},
		{"GET", "/a/b", "X-A", "1", "", "AK", "SK-secret", "", 0, mutTrailingSlash, ""},
		{"GET", "/a?x=1", "X-A", "1", "", "AK", "SK-secret", "", 0, mutEmptyQueryParts, ""},
		{"PUT", "/a", "X-A", "1", "{}", "AK", "SK-secret", "", 7, mutUnsignedHeader, "text/plain"},
		{"GET", "/a", "X-A", "1", "", "AK", "SK-secret", "", 0, mutSetHeader, "X-A:2"},
		{"GET", "/a", "X-A", "1", "", "AK", "SK-secret", "", 0, mutAddHeader, "X-A:1"},
		{"GET", "/a", "X-A", "1", "", "AK", "SK-secret", "", 0, mutDelHeader, "X-A"},
		{"GET", "/a", "X-A", "1", "", "AK", "SK-secret", "", 0, mutHost, "evil.example.com"},
		{"GET", "/a", "X-A", "1", "", "AK", "SK-secret", "", 1, mutDate, ""},
		{"GET", "/a", "X-A", "1", "", "AK", "SK-secret", "", 0, mutAccess, "OTHER"},
		{"GET", "/a", "X-A", "1", "", "AK", "SK-secret", "", 0, mutSignedHeaders, "x-sdk-date"},
		{"GET", "/a", "X-A", "1", "", "AK", "SK-secret", "", 0, mutAccess, "OTHER, Access=AK"},
		{"GET", "/a", "X-A", "1", "", "AK", "SK-secret", "", 0, mutSignature, strings.Repeat("0", 64)},
		{"GET", "/a", "X-A", "1", "", "AK", "SK-secret", "", 17, mutInsertAuthz, ", Access=OTHER"},
		{"GET", "/a", "X-A", "1", "", "AK", "SK-secret", "", 0, mutSecondAuthz, "SDK-HMAC-SHA256 Access=AK, SignedHeaders=x-sdk-date, Signature=" + strings.Repeat("a", 64)},
		{"GET", "/a", "X-A", "1", "", "AK", "SK-secret", "", 0, mutSecurityToken, "smuggled"},
		{"GET", "/a", "X-A", "1", "", "AK", "SK-secret", "", 3, mutLowerKeyDuplicate, "X-A"},
		{"GET", "/a", "User-Agent", "", "", "AK", "SK-secret", "", 0, mutNone, ""},
		{"GET", "/a", "x-lower", "v", "", "AK", "SK-secret", "", 0, mutNone, ""},
	}
	for _, s := range seeds {
		f.Add(s.method, s.target, s.hname, s.hval, []byte(s.body), s.ak, s.sk, s.token, s.n, uint8(s.mut), s.arg)
	}
	f.Fuzz(func(t *testing.T, method, target, hname, hval string, body []byte, ak, sk, token string, n int64, mut uint8, arg string) {
		checkSigned(t, signedInput{method, target, hname, hval, body, ak, sk, token, n, mut, arg})
	})
}

// signedInput is one input of FuzzVerifySigned.
type signedInput struct {
	method, target, hname, hval string
	body                        []byte
	ak, sk, token               string
	n                           int64
	mut                         uint8
	arg                         string
}

// checkSigned runs one input of FuzzVerifySigned and says how far it went:
// which step left the input out, or the mutation and the verdict on it.
func checkSigned(t *testing.T, in signedInput) string {
	t.Helper()
	method, target, hname, hval, body, ak, sk, token, n, mut, arg := in.method, in.target, in.hname, in.hval, in.body, in.ak, in.sk, in.token, in.n, in.mut, in.arg
	k := AKSK{AccessKey: ak, SecretKey: sk, SecurityToken: token, ProjectID: fuzzProject}
	if k.Validate() != nil {
		return "keys refused by Validate"
	}
	var rd io.Reader
	if len(body) > 0 {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, "https://"+fuzzHost+"/"+strings.TrimPrefix(target, "/"), rd)
	if err != nil {
		return "not a request"
	}
	if hname != "" {
		req.Header[hname] = append(req.Header[hname], hval)
	}
	if err := k.sign(req, vectorTime, true); err != nil {
		if strings.Contains(err.Error(), sk) && len(sk) >= 8 {
			t.Fatalf("the signing error quotes the secret key (not printed)")
		}
		return "not signed: " + scrub(err.Error(), sk, token)
	}
	srv, ok := wire(req)
	if !ok {
		return "not sendable"
	}
	srvBody, ok := serverBody(srv)
	if !ok {
		return "body not readable"
	}
	keys := map[string]string{ak: sk, "OTHER": "other-secret"}
	secrets := []string{sk, token, "other-secret"}
	// Anywhere within the skew the gateways allow.
	now := vectorTime.Add(time.Duration(n%int64(DefaultMaxSkew/time.Second)) * time.Second)
	if err := checkVerify(t, srv, srvBody, keys, now, secrets...); err != nil {
		t.Fatalf("refused the request AKSK signed: %v", err)
	}

	m := mutation(mut % uint8(mutCount))
	mreq := req.Clone(context.Background())
	if req.GetBody != nil {
		mreq.Body, _ = req.GetBody()
	}
	m.apply(mreq, arg, n)
	msrv, ok := wire(mreq)
	if !ok {
		return fmt.Sprintf("mutation %d: not sendable", m)
	}
	msrvBody, ok := serverBody(msrv)
	if !ok {
		return fmt.Sprintf("mutation %d: body not readable", m)
	}
	err = checkVerify(t, msrv, msrvBody, keys, now, secrets...)
	if m.keepsCanonical() && err != nil {
		t.Fatalf("mutation %d keeps the canonical request, yet the request is refused: %v", m, err)
	}
	if err != nil {
		return fmt.Sprintf("mutation %d: refused: %v", m, err)
	}
	if msrv.Header.Get(HeaderAuthorization) == srv.Header.Get(HeaderAuthorization) {
		_, names, _, _ := refParseAuthorization(srv.Header.Get(HeaderAuthorization))
		before, _ := refCanonical(srv, names, srvBody)
		after, _ := refCanonical(msrv, names, msrvBody)
		if before != after {
			t.Fatalf("mutation %d changed the canonical request, yet the request is accepted:\n%q\n%q", m, before, after)
		}
	}
	return fmt.Sprintf("mutation %d: accepted", m)
}

// FuzzVerifyWire reads a request from raw bytes, as a server does, and
// checks that the Verifier agrees with the reference verifier, never
// panics, and never quotes a secret key or the security token in an
// error. The seeds are requests AKSK signed for the verifier's keys, so
// the fuzzer changes signed requests byte by byte.
func FuzzVerifyWire(f *testing.F) {
	keys := map[string]string{fuzzAK: fuzzSK, fuzzOtherAK: fuzzOtherSK}
	rep := "https://" + fuzzHost + "/v3/" + fuzzProject + "/instances/54e42160670e48e789af7075e1efea1fin16/clickhouse/replication"
	for _, s := range []struct {
		method, url, body string
		token             string
		hdrs              map[string][]string
	}{
		{"GET", rep + "?limit=10&offset=20", "", "", map[string][]string{"X-Language": {"en-us"}}},
		{"POST", rep, `{"source_instance_id":"ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07","source_database":"shop"}`, "",
			map[string][]string{"Content-Type": {"application/json;charset=UTF-8"}, "X-Language": {"zh-cn"}}},
		{"DELETE", rep + "/" + url.PathEscape("my db ü"), "", fuzzToken, nil},
		{"GET", "https://" + fuzzHost + "/v3/" + fuzzProject + "/jobs?id=18ef8ee3-b880-4851-8978-bb6acbd4e695", "", "",
			map[string][]string{"X-Multi": {"b", " a "}, "User-Agent": {"chreplication/1.0"}}},
	} {
		var rd io.Reader
		if s.body != "" {
			rd = strings.NewReader(s.body)
		}
		req, err := http.NewRequestWithContext(context.Background(), s.method, s.url, rd)
		if err != nil {
			f.Fatal(err)
		}
		for name, vals := range s.hdrs {
			req.Header[name] = vals
		}
		k := AKSK{AccessKey: fuzzAK, SecretKey: fuzzSK, SecurityToken: s.token, ProjectID: fuzzProject}
		if err := k.sign(req, vectorTime, true); err != nil {
			f.Fatal(err)
		}
		var buf bytes.Buffer
		if err := req.Write(&buf); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		srv, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil {
			return
		}
		body, ok := serverBody(srv)
		if !ok {
			return
		}
		secrets := []string{fuzzSK, fuzzOtherSK}
		err = checkVerify(t, srv, body, keys, fuzzNow, secrets...)
		if err != nil && strings.Contains(err.Error(), fuzzToken) && !bytes.Contains(raw, []byte(fuzzToken)) {
			t.Fatalf("the error quotes a security token the request does not hold")
		}
	})
}

// TestVerifyFuzzFindings keeps what FuzzVerifySigned found: a request whose
// User-Agent net/http sends otherwise than Header holds it (empty: not
// sent; two values: the first only; a non-canonical key: besides its own
// default) is still accepted once signed, and an Authorization header that
// names a part twice is refused.
func TestVerifyFuzzFindings(t *testing.T) {
	t.Parallel()
	k := AKSK{AccessKey: "AK", SecretKey: "SK-secret", ProjectID: fuzzProject}
	v := &Verifier{Lookup: lookup(map[string]string{"AK": "SK-secret", "OTHER": "other-secret"})}
	for name, ua := range map[string]map[string][]string{
		"empty":          {"User-Agent": {""}},
		"two values":     {"User-Agent": {"a/1", "b/2"}},
		"lower-case key": {"user-agent": {"a/1"}},
	} {
		t.Run("User-Agent "+name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://"+fuzzHost+"/v3/p/jobs?id=1", nil)
			require.NoError(t, err)
			for key, vals := range ua {
				req.Header[key] = vals
			}
			require.NoError(t, k.sign(req, vectorTime, true))
			assert.NotContains(t, req.Header.Get(HeaderAuthorization), "user-agent")
			srv, ok := wire(req)
			require.True(t, ok)
			assert.NoError(t, v.verify(srv, vectorTime))
		})
	}

	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://"+fuzzHost+"/a", nil)
	require.NoError(t, err)
	require.NoError(t, k.sign(req, vectorTime, true))
	for _, part := range []string{"Access=OTHER, Access=AK", "Access=AK, Access=AK"} {
		r := req.Clone(t.Context())
		r.Header.Set(HeaderAuthorization, strings.Replace(req.Header.Get(HeaderAuthorization), "Access=AK", part, 1))
		err := v.verify(r, vectorTime)
		assert.ErrorIs(t, err, ErrMalformedSignature, part)
		assert.ErrorContains(t, err, "Access more than once")
	}
	r := req.Clone(t.Context())
	r.Header.Set(HeaderAuthorization, req.Header.Get(HeaderAuthorization)+", Signature="+strings.Repeat("0", 64))
	assert.ErrorIs(t, v.verify(r, vectorTime), ErrMalformedSignature)
}
