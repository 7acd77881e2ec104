package auth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The official test vectors (DESIGN.md): AK AccessKey, SK SecretKey, host
// example.huaweicloud.com, path /path, X-Sdk-Date 20060102T150405Z,
// SignedHeaders x-sdk-date.
var signVectors = []struct {
	name, method, url, body string
	canonical               string
	signature               string
}{
	{
		name:   "GET without body",
		method: http.MethodGet,
		url:    "https://example.huaweicloud.com/path?limit=1",
		canonical: "GET\n/path/\nlimit=1\nx-sdk-date:20060102T150405Z\n\nx-sdk-date\n" +
			"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		signature: "5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624",
	},
	{
		name:   "POST with body",
		method: http.MethodPost,
		url:    "https://example.huaweicloud.com/path?key=value",
		body:   `{"Name":"test","Id":1}` + "\n",
		canonical: "POST\n/path/\nkey=value\nx-sdk-date:20060102T150405Z\n\nx-sdk-date\n" +
			hexSum(`{"Name":"test","Id":1}`+"\n"),
		signature: "cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59",
	},
}

func hexSum(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

var vectorTime = time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC)

var vectorKey = AKSK{AccessKey: "AccessKey", SecretKey: "SecretKey"}

func TestSignatureVectors(t *testing.T) {
	t.Parallel()
	for _, v := range signVectors {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			u, err := url.Parse(v.url)
			require.NoError(t, err)
			sum := sha256.Sum256([]byte(v.body))
			hs := []hdr{{name: "x-sdk-date", vals: []string{"20060102T150405Z"}}}
			cr, err := appendCanonicalRequest(nil, v.method, u.EscapedPath(), u.RawQuery, hs, &sum)
			require.NoError(t, err)
			assert.Equal(t, v.canonical, string(cr))
			assert.Equal(t, v.signature, signature("SecretKey", "20060102T150405Z", cr))
		})
	}
}

func TestSignVectorsThroughRequest(t *testing.T) {
	t.Parallel()
	for _, v := range signVectors {
		for _, rewind := range []bool{true, false} {
			t.Run(v.name, func(t *testing.T) {
				t.Parallel()
				var body io.Reader
				if v.body != "" {
					body = strings.NewReader(v.body)
				}
				req, err := http.NewRequestWithContext(t.Context(), v.method, v.url, body)
				require.NoError(t, err)
				req.Header.Set("Content-Type", "application/json") // never signed
				if !rewind && req.Body != nil {
					req.GetBody = nil // force the read-and-replace path
					req.Body = io.NopCloser(strings.NewReader(v.body))
				}
				require.NoError(t, vectorKey.sign(req, vectorTime, false))
				assert.Equal(t, "20060102T150405Z", req.Header.Get(HeaderSdkDate))
				assert.Equal(t, "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, Signature="+v.signature,
					req.Header.Get(HeaderAuthorization))
				if v.body != "" {
					got, err := io.ReadAll(req.Body)
					require.NoError(t, err)
					assert.Equal(t, v.body, string(got), "the body is still there to send")
					require.NotNil(t, req.GetBody)
					rc, err := req.GetBody()
					require.NoError(t, err)
					got, err = io.ReadAll(rc)
					require.NoError(t, err)
					assert.Equal(t, v.body, string(got))
					assert.Equal(t, int64(len(v.body)), req.ContentLength)
				}

				// The verifier accepts the vector request (host unsigned).
				ver := &Verifier{Lookup: lookup(map[string]string{"AccessKey": "SecretKey"})}
				assert.NoError(t, ver.verify(toServer(t, req), vectorTime.Add(time.Minute)))
			})
		}
	}
}

func lookup(m map[string]string) func(string) (string, bool) {
	return func(ak string) (string, bool) {
		sk, ok := m[ak]
		return sk, ok
	}
}

func TestCanonicalForms(t *testing.T) {
	t.Parallel()
	uris := []struct{ in, want string }{
		{"", "/"},
		{"/", "/"},
		{"/path", "/path/"},
		{"/path/", "/path/"},
		{"/v3/p/instances/i/clickhouse/replication/my%20db%20%C3%BC", "/v3/p/instances/i/clickhouse/replication/my%20db%20%C3%BC/"},
		{"/a/my%20db%20%c3%bc", "/a/my%20db%20%C3%BC/"},             // lower-case hex made canonical
		{"/a/b+c/~x_y.z-w/%2Fslash", "/a/b%2Bc/~x_y.z-w/%2Fslash/"}, // '+' is a literal in a path
		{"/a/it's(1)!*", "/a/it%27s%281%29%21%2A/"},                 // sub-delims encoded
		{"/a/ü", "/a/%C3%BC/"},                                      // raw non-ASCII
		{"/a//b", "/a//b/"},                                         // empty segment kept
	}
	for _, c := range uris {
		got, err := appendCanonicalURI(nil, c.in)
		require.NoError(t, err, c.in)
		assert.Equal(t, c.want, string(got), c.in)
	}
	_, err := appendCanonicalURI(nil, "/a/%zz")
	assert.Error(t, err)

	queries := []struct{ in, want string }{
		{"", ""},
		{"limit=1", "limit=1"},
		{"offset=0&limit=10", "limit=10&offset=0"},
		{"b=2&a=z&a=y", "a=y&a=z&b=2"},
		{"q=a+b&r=a%20b&s=%c3%bc", "q=a%20b&r=a%20b&s=%C3%BC"},
		{"flag&x=", "flag=&x="},
		{"&&a=1&", "a=1"},
		{"k=%2F~.-_", "k=%2F~.-_"},
	}
	for _, c := range queries {
		got, err := appendCanonicalQuery(nil, c.in)
		require.NoError(t, err, c.in)
		assert.Equal(t, c.want, string(got), c.in)
	}
	_, err = appendCanonicalQuery(nil, "a=%zz")
	assert.Error(t, err)
}

func TestSignSetsHeaders(t *testing.T) {
	t.Parallel()
	k := AKSK{AccessKey: "AK1", SecretKey: "SK1-secret", SecurityToken: "ST1-secret", ProjectID: "0123456789abcdef0123456789abcdef"}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://gaussdb.cn-north-4.myhuaweicloud.com/v3/p/jobs?id=1", nil)
	require.NoError(t, err)
	req.Header.Set("X-Language", "en-us")
	req.Header.Set("Content-Type", "application/json")
	req.Header["X_Underscore"] = []string{"x"}
	req.Header.Set(HeaderAuthorization, "stale signature from an earlier attempt")
	require.NoError(t, k.sign(req, vectorTime, true))

	assert.Equal(t, "20060102T150405Z", req.Header.Get(HeaderSdkDate))
	assert.Equal(t, k.ProjectID, req.Header.Get(HeaderProjectID))
	equalSecret(t, k.SecurityToken, req.Header.Get(HeaderSecurityToken), "X-Security-Token")
	authz := req.Header.Get(HeaderAuthorization)
	assert.True(t, strings.HasPrefix(authz,
		"SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host;x-language;x-project-id;x-sdk-date;x-security-token, Signature="),
		"Authorization prefix")
	assert.Len(t, authz[strings.LastIndex(authz, "=")+1:], 64)
	assertNoSecret(t, authz, k.SecretKey)

	// Signing again (a retry) replaces the signature instead of signing it.
	require.NoError(t, k.sign(req, vectorTime.Add(time.Second), true))
	assert.Len(t, req.Header.Values(HeaderAuthorization), 1)
	assert.NotContains(t, req.Header.Get(HeaderAuthorization), "authorization")
}

// TestSignReplacesEverySpelling: headers the signer sets replace the ones
// already there under a non-canonical key, so the server sees each once.
func TestSignReplacesEverySpelling(t *testing.T) {
	t.Parallel()
	k := AKSK{AccessKey: "AK", SecretKey: "SK-secret", SecurityToken: "ST-secret", ProjectID: "p1"}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://h/a", nil)
	require.NoError(t, err)
	req.Header["authorization"] = []string{"stale signature"}
	req.Header["x-sdk-date"] = []string{"20000101T000000Z"}
	req.Header["x-project-id"] = []string{"p0"}
	req.Header["x-security-token"] = []string{"old-token"}
	require.NoError(t, k.sign(req, vectorTime, true))

	srv := toServer(t, req)
	assert.Len(t, srv.Header.Values(HeaderAuthorization), 1)
	assert.Equal(t, []string{"20060102T150405Z"}, srv.Header.Values(HeaderSdkDate))
	assert.Equal(t, []string{"p1"}, srv.Header.Values(HeaderProjectID))
	assert.True(t, len(srv.Header.Values(HeaderSecurityToken)) == 1, "one X-Security-Token") // not printed: a secret
	v := &Verifier{Lookup: lookup(map[string]string{"AK": "SK-secret"})}
	assert.NoError(t, v.verify(srv, vectorTime))

	// Without a project or a security token, the caller's own are kept (and signed).
	req, err = http.NewRequestWithContext(t.Context(), http.MethodGet, "https://h/a", nil)
	require.NoError(t, err)
	req.Header.Set(HeaderProjectID, "p0")
	require.NoError(t, AKSK{AccessKey: "AK", SecretKey: "SK-secret"}.sign(req, vectorTime, true))
	assert.Equal(t, "p0", req.Header.Get(HeaderProjectID))
	assert.Contains(t, req.Header.Get(HeaderAuthorization), "x-project-id")
}

func TestSignErrors(t *testing.T) {
	t.Parallel()
	secret := "SK-very-secret-value"
	k := AKSK{AccessKey: "AK", SecretKey: secret}
	for _, tc := range []struct {
		name string
		req  func() *http.Request
	}{
		{"nil request", func() *http.Request { return nil }},
		{"bad query escape", func() *http.Request {
			return &http.Request{Method: http.MethodGet, URL: &url.URL{Scheme: "https", Host: "h", Path: "/a", RawQuery: "a=%zz"}, Header: http.Header{}}
		}},
		{"opaque URL", func() *http.Request {
			return &http.Request{Method: http.MethodGet, URL: &url.URL{Scheme: "https", Opaque: "//h/a"}, Header: http.Header{}}
		}},
		{"GetBody fails", func() *http.Request {
			r, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, "https://h/a", strings.NewReader("x"))
			r.GetBody = func() (io.ReadCloser, error) { return nil, errors.New("boom") }
			return r
		}},
		{"Body read fails", func() *http.Request {
			r, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, "https://h/a", nil)
			r.Body = io.NopCloser(iotestErrReader{})
			return r
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := k.Authenticate(t.Context(), tc.req())
			require.Error(t, err)
			assertErrNoSecret(t, err, secret)
		})
	}
}

type iotestErrReader struct{}

func (iotestErrReader) Read([]byte) (int, error) { return 0, errors.New("read failed") }

func TestAKSKValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		k    AKSK
		ok   bool
	}{
		{"ok", AKSK{AccessKey: "AK", SecretKey: "SK"}, true},
		{"ok temporary", AKSK{AccessKey: "AK", SecretKey: "SK", SecurityToken: "ST", ProjectID: "p"}, true},
		{"zero", AKSK{}, false},
		{"no AK", AKSK{SecretKey: "SK-secret"}, false},
		{"no SK", AKSK{AccessKey: "AK"}, false},
		{"blank SK", AKSK{AccessKey: "AK", SecretKey: " \t"}, false},
		{"AK with comma", AKSK{AccessKey: "A,K", SecretKey: "SK-secret"}, false},
		{"SK with newline", AKSK{AccessKey: "AK", SecretKey: "SK-secret\n"}, false},
		{"token with CR", AKSK{AccessKey: "AK", SecretKey: "SK-secret", SecurityToken: "ST-secret\r"}, false},
		{"project with LF", AKSK{AccessKey: "AK", SecretKey: "SK-secret", ProjectID: "p\n"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.k.Validate()
			if tc.ok {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assertErrNoSecret(t, err, tc.k.SecretKey, tc.k.SecurityToken)
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://h/", nil)
			assert.Error(t, tc.k.Authenticate(t.Context(), req), "Authenticate validates too")
			assert.Empty(t, req.Header.Get(HeaderAuthorization))
		})
	}
}

// signedPair returns a request signed at vectorTime and its server-side copy.
func signedPair(t *testing.T, k AKSK, method, rawURL, body string, hdrs map[string]string) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = bytes.NewReader([]byte(body))
	}
	req, err := http.NewRequestWithContext(t.Context(), method, rawURL, rd)
	require.NoError(t, err)
	for k, v := range hdrs {
		req.Header.Set(k, v)
	}
	require.NoError(t, k.sign(req, vectorTime, true))
	return toServer(t, req)
}

func TestVerifyRoundTripAndTampering(t *testing.T) {
	t.Parallel()
	const (
		ak     = "AKROUNDTRIP"
		sk     = "sk-round-trip-secret"
		base   = "https://gaussdb.cn-north-4.myhuaweicloud.com/v3/0123456789abcdef0123456789abcdef/instances/54e42160670e48e789af7075e1efea1fin16/clickhouse/replication"
		create = `{"source_instance_id":"54e42160670e48e789af7075e1efea1fin01","source_database":"db1"}`
	)
	k := AKSK{AccessKey: ak, SecretKey: sk, ProjectID: "0123456789abcdef0123456789abcdef"}
	ver := &Verifier{Lookup: lookup(map[string]string{ak: sk, "OTHER": "other-secret"})}
	now := vectorTime.Add(30 * time.Second)
	hdrs := map[string]string{"X-Language": "en-us", "Content-Type": "application/json"}

	requests := map[string]func() *http.Request{
		"list":   func() *http.Request { return signedPair(t, k, "GET", base+"?limit=10&offset=0", "", hdrs) },
		"create": func() *http.Request { return signedPair(t, k, "POST", base, create, hdrs) },
		"delete": func() *http.Request {
			return signedPair(t, k, "DELETE", base+"/"+url.PathEscape("my db ü"), "", hdrs)
		},
		"job": func() *http.Request {
			return signedPair(t, k, "GET", "https://gaussdb.cn-north-4.myhuaweicloud.com/v3/0123456789abcdef0123456789abcdef/jobs?id=a7c9a5c4-3a6f-4a39-9b5b-2c0a2b1c0d9e", "", hdrs)
		},
	}
	tampers := []struct {
		name   string
		tamper func(r *http.Request)
		want   error // nil: still valid
	}{
		{"untouched", func(*http.Request) {}, nil},
		{"unsigned content-type changed", func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }, nil},
		{"unsigned header added", func(r *http.Request) { r.Header.Set("User-Agent", "proxy") }, nil},
		{"within skew", func(*http.Request) {}, nil},
		{"body", func(r *http.Request) { setBody(r, []byte(`{"source_database":"evil"}`)) }, ErrSignatureMismatch},
		{"path", func(r *http.Request) { r.URL.Path += "x"; r.URL.RawPath = "" }, ErrSignatureMismatch},
		{"query", func(r *http.Request) { r.URL.RawQuery += "&limit=100" }, ErrSignatureMismatch},
		{"method", func(r *http.Request) { r.Method = "PUT" }, ErrSignatureMismatch},
		{"host", func(r *http.Request) { r.Host = "evil.example.com" }, ErrSignatureMismatch},
		{"signed header", func(r *http.Request) { r.Header.Set("X-Language", "zh-cn") }, ErrSignatureMismatch},
		{"project header", func(r *http.Request) { r.Header.Set(HeaderProjectID, "ffffffffffffffffffffffffffffffff") }, ErrSignatureMismatch},
		{"signed header removed", func(r *http.Request) { r.Header.Del("X-Language") }, ErrMalformedSignature},
		{"date", func(r *http.Request) { r.Header.Set(HeaderSdkDate, "20060102T150406Z") }, ErrSignatureMismatch},
		{"date garbage", func(r *http.Request) { r.Header.Set(HeaderSdkDate, "yesterday") }, ErrMalformedSignature},
		{"date skew +16m", func(r *http.Request) {
			r.Header.Set(HeaderSdkDate, vectorTime.Add(-16*time.Minute).Format(sdkDateLayout))
		}, ErrDateSkew},
		{"date skew -16m", func(r *http.Request) {
			r.Header.Set(HeaderSdkDate, vectorTime.Add(17*time.Minute).Format(sdkDateLayout))
		}, ErrDateSkew},
		{"signature", func(r *http.Request) {
			a := r.Header.Get(HeaderAuthorization)
			r.Header.Set(HeaderAuthorization, a[:len(a)-1]+string("01"[(a[len(a)-1]+1)%2]))
		}, ErrSignatureMismatch},
		{"wrong access key", func(r *http.Request) {
			r.Header.Set(HeaderAuthorization, strings.Replace(r.Header.Get(HeaderAuthorization), ak, "NOSUCHKEY", 1))
		}, ErrUnknownAccessKey},
		{"other known access key", func(r *http.Request) {
			r.Header.Set(HeaderAuthorization, strings.Replace(r.Header.Get(HeaderAuthorization), ak, "OTHER", 1))
		}, ErrSignatureMismatch},
		{"no Authorization", func(r *http.Request) { r.Header.Del(HeaderAuthorization) }, ErrMissingSignature},
		{"other scheme", func(r *http.Request) { r.Header.Set(HeaderAuthorization, "Bearer x") }, ErrMalformedSignature},
		{"date not signed", func(r *http.Request) {
			r.Header.Set(HeaderAuthorization, strings.Replace(r.Header.Get(HeaderAuthorization), ";x-sdk-date", "", 1))
		}, ErrMalformedSignature},
		{"security token smuggled in", func(r *http.Request) { r.Header.Set(HeaderSecurityToken, "x") }, ErrMalformedSignature},
		{"security token behind an empty value", func(r *http.Request) {
			r.Header[HeaderSecurityToken] = []string{"", "x"}
		}, ErrMalformedSignature},
		{"second Authorization", func(r *http.Request) {
			r.Header.Add(HeaderAuthorization, "SDK-HMAC-SHA256 Access=OTHER, SignedHeaders=x-sdk-date, Signature="+strings.Repeat("a", 64))
		}, ErrMalformedSignature},
	}
	for name, mk := range requests {
		for _, tc := range tampers {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				r := mk()
				var wantBody []byte
				if r.Body != nil {
					b, err := io.ReadAll(r.Body)
					require.NoError(t, err)
					setBody(r, b)
				}
				tc.tamper(r)
				if r.Body != nil && r.GetBody != nil {
					rc, _ := r.GetBody()
					wantBody, _ = io.ReadAll(rc)
				}
				err := ver.verify(r, now)
				if tc.want == nil {
					require.NoError(t, err)
				} else {
					require.ErrorIs(t, err, tc.want)
				}
				assertErrNoSecret(t, err, sk, "other-secret")
				if r.Body != nil {
					got, rerr := io.ReadAll(r.Body)
					require.NoError(t, rerr)
					assert.Equal(t, string(wantBody), string(got), "the handler can read the body again")
				}
			})
		}
	}
}

func TestVerifyMisc(t *testing.T) {
	t.Parallel()
	k := AKSK{AccessKey: "AK", SecretKey: "SK-secret"}
	r := signedPair(t, k, "GET", "https://h/a", "", nil)

	var nilV *Verifier
	assert.Error(t, nilV.Verify(r))
	assert.Error(t, (&Verifier{}).Verify(r))

	v := &Verifier{Lookup: lookup(map[string]string{"AK": "SK-secret"}), MaxSkew: time.Minute}
	assert.NoError(t, v.verify(r, vectorTime.Add(59*time.Second)))
	assert.ErrorIs(t, v.verify(r, vectorTime.Add(61*time.Second)), ErrDateSkew)
	// The real clock is years away from the signing time.
	assert.ErrorIs(t, v.Verify(r), ErrDateSkew)

	for _, authz := range []string{
		"SDK-HMAC-SHA256 ",
		"SDK-HMAC-SHA256 Access=AK",
		"SDK-HMAC-SHA256 Access=AK, SignedHeaders=x-sdk-date",
		"SDK-HMAC-SHA256 Access=AK, SignedHeaders=x-sdk-date, Signature=abc",
		"SDK-HMAC-SHA256 Access=AK, SignedHeaders=X-Sdk-Date, Signature=" + strings.Repeat("a", 64),
		"SDK-HMAC-SHA256 Access=AK, SignedHeaders=x-sdk-date;;host, Signature=" + strings.Repeat("a", 64),
		"SDK-HMAC-SHA256 Access=AK, Extra=1, SignedHeaders=x-sdk-date, Signature=" + strings.Repeat("a", 64),
		"SDK-HMAC-SHA256 Access=, SignedHeaders=x-sdk-date, Signature=" + strings.Repeat("a", 64),
		"SDK-HMAC-SHA256 garbage",
		// Not sorted, or a name listed twice (each listing would repeat the
		// header's value in the canonical request).
		"SDK-HMAC-SHA256 Access=AK, SignedHeaders=x-sdk-date;host, Signature=" + strings.Repeat("a", 64),
		"SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;x-sdk-date;x-sdk-date, Signature=" + strings.Repeat("a", 64),
	} {
		rr := r.Clone(t.Context())
		rr.Header.Set(HeaderAuthorization, authz)
		assert.ErrorIs(t, v.verify(rr, vectorTime), ErrMalformedSignature, authz)
	}

	// A header listed thousands of times is refused before the canonical
	// request (which would hold its value once per listing) is built.
	amp := r.Clone(t.Context())
	amp.Header.Set("X-Pad", strings.Repeat("p", 4096))
	amp.Header.Set(HeaderAuthorization, "SDK-HMAC-SHA256 Access=AK, SignedHeaders=x-pad"+
		strings.Repeat(";x-pad", 10000)+";x-sdk-date, Signature="+strings.Repeat("a", 64))
	assert.ErrorIs(t, v.verify(amp, vectorTime), ErrMalformedSignature)

	// A body over the limit is refused.
	big := signedPair(t, k, "POST", "https://h/a", strings.Repeat("x", maxVerifyBody+1), nil)
	assert.ErrorIs(t, v.verify(big, vectorTime), ErrMalformedSignature)
}

// TestSignMultiValueAndOddHeaders: repeated headers and non-canonical keys
// are signed the way the server will see them.
func TestSignMultiValueAndOddHeaders(t *testing.T) {
	t.Parallel()
	k := AKSK{AccessKey: "AK", SecretKey: "SK-secret"}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://h/a?x=1", nil)
	require.NoError(t, err)
	req.Header.Add("X-Multi", "b")
	req.Header.Add("X-Multi", " a ")
	req.Header["x-multi"] = []string{"c"} // non-canonical key, merged by the server
	req.Header["X-Empty"] = nil           // never sent
	require.NoError(t, k.sign(req, vectorTime, true))
	assert.Contains(t, req.Header.Get(HeaderAuthorization), "SignedHeaders=host;x-multi;x-sdk-date,")
	assert.Equal(t, []string{"b", " a "}, req.Header["X-Multi"], "request values left as they were")
	v := &Verifier{Lookup: lookup(map[string]string{"AK": "SK-secret"})}
	assert.NoError(t, v.verify(toServer(t, req), vectorTime))
}

var benchKey = AKSK{AccessKey: "HPUABCDEFGHIJKLMNOPQ", SecretKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCD", ProjectID: "0123456789abcdef0123456789abcdef"}

func benchRequest(tb testing.TB) *http.Request {
	body := []byte(`{"source_instance_id":"54e42160670e48e789af7075e1efea1fin01","source_database":"db1"}`)
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost,
		"https://gaussdb.cn-north-4.myhuaweicloud.com/v3/0123456789abcdef0123456789abcdef/instances/54e42160670e48e789af7075e1efea1fin16/clickhouse/replication?limit=10&offset=0",
		bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Language", "en-us")
	req.Header.Set("User-Agent", "chreplication/0.1")
	return req
}

func BenchmarkSign(b *testing.B) {
	req := benchRequest(b)
	k := benchKey
	b.ReportAllocs()
	for b.Loop() {
		if err := k.sign(req, vectorTime, true); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAuthenticateAKSK(b *testing.B) {
	req := benchRequest(b)
	k := benchKey
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		if err := k.Authenticate(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	req := benchRequest(b)
	if err := benchKey.sign(req, vectorTime, true); err != nil {
		b.Fatal(err)
	}
	req.Host = req.URL.Host
	v := &Verifier{Lookup: lookup(map[string]string{benchKey.AccessKey: benchKey.SecretKey})}
	b.ReportAllocs()
	for b.Loop() {
		if err := v.verify(req, vectorTime); err != nil {
			b.Fatal(err)
		}
	}
}
