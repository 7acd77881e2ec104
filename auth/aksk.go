package auth

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

const (
	// signAlgorithm names the signature scheme in the Authorization header
	// and the string to sign.
	signAlgorithm = "SDK-HMAC-SHA256"
	// sdkDateLayout is the layout of X-Sdk-Date (always UTC).
	sdkDateLayout = "20060102T150405Z"
)

// emptySHA256 is the SHA-256 of no bytes, the body hash of a bodiless request.
var emptySHA256 = sha256.Sum256(nil)

// AKSK signs requests with an access key and secret key, the way the
// official Huawei Cloud SDKs do (SDK-HMAC-SHA256).
//
// Authenticate signs the final request: it sets X-Sdk-Date (now, UTC),
// X-Project-Id (when ProjectID is set), X-Security-Token (when SecurityToken
// is set: temporary credentials) and Authorization:
//
//	SDK-HMAC-SHA256 Access={AccessKey}, SignedHeaders={h1;h2;...}, Signature={hex}
//
// The signature covers the method, the path (each segment re-encoded
// canonically, ending in "/"), the sorted query, every header of the request
// except Content-Type, names containing '_' and the ones the transport
// rewrites (Authorization, Content-Length, Transfer-Encoding, Trailer, and
// User-Agent, which net/http sends once, leaves out when empty and
// replaces with its own when the key is not spelled User-Agent), plus host
// (req.Host, else req.URL.Host), and the SHA-256 of the exact body bytes.
// The body is read through req.GetBody when it is set; otherwise req.Body is
// read and replaced by a re-readable copy (GetBody and ContentLength are set),
// so sign after the body is final and send the request as is.
//
// SecretKey and SecurityToken are secrets: an AKSK prints them redacted through
// fmt (every verb), slog and encoding/json, and no error quotes them. AKSK has
// no mutable state and is safe for concurrent use. The zero value is invalid:
// Validate and Authenticate report the missing keys.
type AKSK struct {
	AccessKey     string
	SecretKey     string
	SecurityToken string
	ProjectID     string
}

// Validate reports missing keys and values that cannot go into a header.
func (k AKSK) Validate() error {
	switch {
	case strings.TrimSpace(k.AccessKey) == "" && strings.TrimSpace(k.SecretKey) == "":
		return errors.New("auth: AK/SK: access key and secret key are empty")
	case strings.TrimSpace(k.AccessKey) == "":
		return errors.New("auth: AK/SK: access key is empty")
	case strings.TrimSpace(k.SecretKey) == "":
		return errors.New("auth: AK/SK: secret key is empty")
	case controlByte(k.AccessKey) >= 0 || strings.ContainsAny(k.AccessKey, " ,=;"):
		return errors.New("auth: AK/SK: access key contains a space, ',', '=', ';' or a control character")
	case controlByte(k.SecretKey) >= 0:
		return errors.New("auth: AK/SK: secret key contains a control character (a stray newline?)")
	case controlByte(k.SecurityToken) >= 0:
		return errors.New("auth: AK/SK: security token contains a control character (a stray newline?)")
	case controlByte(k.ProjectID) >= 0:
		return errors.New("auth: AK/SK: project ID contains a control character")
	}
	return nil
}

// Authenticate signs req in place (see AKSK).
func (k AKSK) Authenticate(_ context.Context, req *http.Request) error {
	if err := k.Validate(); err != nil {
		return err
	}
	return k.sign(req, timeNow(), true)
}

// sign signs req as of t. withHost=false leaves host out of the signed
// headers, as in the official test vectors (which sign x-sdk-date only).
func (k AKSK) sign(req *http.Request, t time.Time, withHost bool) error {
	if req == nil || req.URL == nil {
		return errors.New("auth: AK/SK: nil request or URL")
	}
	if req.URL.Opaque != "" {
		return errors.New("auth: AK/SK: cannot sign a request with an opaque URL")
	}
	if req.Header == nil {
		req.Header = make(http.Header)
	}
	var dateBuf [len(sdkDateLayout)]byte
	date := t.UTC().AppendFormat(dateBuf[:0], sdkDateLayout)
	h := req.Header
	// Drop every spelling of the headers set below (a non-canonical key such
	// as "authorization" too), so that the request carries each of them once.
	for name := range h {
		if strings.EqualFold(name, HeaderAuthorization) || strings.EqualFold(name, HeaderSdkDate) ||
			k.ProjectID != "" && strings.EqualFold(name, HeaderProjectID) ||
			k.SecurityToken != "" && strings.EqualFold(name, HeaderSecurityToken) {
			delete(h, name)
		}
	}
	h[HeaderSdkDate] = []string{string(date)}
	if k.ProjectID != "" {
		h[HeaderProjectID] = []string{k.ProjectID}
	}
	if k.SecurityToken != "" {
		h[HeaderSecurityToken] = []string{k.SecurityToken}
	}
	bodySum, err := hashBody(req)
	if err != nil {
		return err
	}
	var hsBuf [16]hdr
	hs := collectHeaders(hsBuf[:0], req, withHost)

	var scratch [1024]byte
	buf, err := appendCanonicalRequest(scratch[:0], req.Method, req.URL.EscapedPath(), req.URL.RawQuery, hs, &bodySum)
	if err != nil {
		return err
	}
	var sig [64]byte
	buf = appendSignature(&sig, buf, k.SecretKey, date)

	buf = append(buf[:0], signAlgorithm+" Access="...)
	buf = append(buf, k.AccessKey...)
	buf = append(buf, ", SignedHeaders="...)
	buf = appendSignedHeaders(buf, hs)
	buf = append(buf, ", Signature="...)
	buf = append(buf, sig[:]...)
	h[HeaderAuthorization] = []string{string(buf)}
	return nil
}

// hashBody returns the SHA-256 of the request body, read through GetBody when
// it is set, otherwise by reading Body and replacing it with a re-readable copy.
func hashBody(req *http.Request) ([32]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return emptySHA256, nil
	}
	if req.GetBody != nil {
		rc, err := req.GetBody()
		if err != nil {
			return [32]byte{}, fmt.Errorf("auth: AK/SK: get request body: %w", err)
		}
		defer func() { _ = rc.Close() }()
		hh := sha256.New()
		if _, err := io.Copy(hh, rc); err != nil {
			return [32]byte{}, fmt.Errorf("auth: AK/SK: read request body: %w", err)
		}
		var sum [32]byte
		hh.Sum(sum[:0])
		return sum, nil
	}
	b, err := io.ReadAll(req.Body)
	_ = req.Body.Close()
	if err != nil {
		return [32]byte{}, fmt.Errorf("auth: AK/SK: read request body: %w", err)
	}
	setBody(req, b)
	return sha256.Sum256(b), nil
}

// setBody replaces the body of req with b, re-readable through GetBody.
func setBody(req *http.Request, b []byte) {
	req.ContentLength = int64(len(b))
	if len(b) == 0 {
		req.Body = http.NoBody
		req.GetBody = func() (io.ReadCloser, error) { return http.NoBody, nil }
		return
	}
	req.Body = io.NopCloser(bytes.NewReader(b))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
}

// hdr is one signed header: a name (written lower-cased) and its values;
// the host pseudo-header has vals nil and its value in host.
type hdr struct {
	name string
	vals []string
	host string
}

// excludedHeader reports the request headers that are not signed: the ones
// DESIGN.md leaves out (content-type, names with '_'), the signature itself,
// the ones net/http writes from other fields than Header, and User-Agent,
// which net/http does not send as Header holds it (only its first value,
// nothing when that is empty, its own default besides a non-canonical
// spelling), so that a signature over it would not match what the server
// receives.
func excludedHeader(name string) bool {
	if strings.IndexByte(name, '_') >= 0 {
		return true
	}
	for _, x := range [...]string{"Content-Type", "Authorization", "Host", "Content-Length", "Transfer-Encoding", "Trailer", "User-Agent"} {
		if strings.EqualFold(name, x) {
			return true
		}
	}
	return false
}

// collectHeaders appends the headers to sign to dst, sorted by lower-cased
// name, duplicates (non-canonical keys) merged, multiple values trimmed and
// sorted.
func collectHeaders(dst []hdr, req *http.Request, withHost bool) []hdr {
	for name, vals := range req.Header {
		if len(vals) == 0 || excludedHeader(name) {
			continue
		}
		dst = append(dst, hdr{name: name, vals: vals})
	}
	if withHost {
		host := req.Host
		if host == "" {
			host = req.URL.Host
		}
		dst = append(dst, hdr{name: "host", host: host})
	}
	slices.SortFunc(dst, func(a, b hdr) int { return cmpFold(a.name, b.name) })
	for i := 1; i < len(dst); i++ {
		if cmpFold(dst[i-1].name, dst[i].name) == 0 && dst[i].vals != nil && dst[i-1].vals != nil {
			dst[i-1].vals = append(slices.Clip(dst[i-1].vals), dst[i].vals...)
			dst = slices.Delete(dst, i, i+1)
			i--
		}
	}
	normalizeValues(dst)
	return dst
}

// normalizeValues trims and sorts the values of headers that have several,
// on a copy (the request's own slices are left alone).
func normalizeValues(hs []hdr) {
	for i := range hs {
		if len(hs[i].vals) < 2 {
			continue
		}
		vs := make([]string, len(hs[i].vals))
		for j, v := range hs[i].vals {
			vs[j] = strings.TrimSpace(v)
		}
		slices.Sort(vs)
		hs[i].vals = vs
	}
}

// cmpFold compares ASCII strings as if lower-cased.
func cmpFold(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if ca, cb := lower(a[i]), lower(b[i]); ca != cb {
			return cmp.Compare(ca, cb)
		}
	}
	return cmp.Compare(len(a), len(b))
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func appendLower(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		b = append(b, lower(s[i]))
	}
	return b
}

// appendSignedHeaders appends "h1;h2;..." (lower-cased names).
func appendSignedHeaders(b []byte, hs []hdr) []byte {
	for i, h := range hs {
		if i > 0 {
			b = append(b, ';')
		}
		b = appendLower(b, h.name)
	}
	return b
}

// appendCanonicalRequest appends the canonical request:
//
//	METHOD \n URI \n QUERY \n HEADERS \n SIGNEDHEADERS \n hex(sha256(body))
//
// hs are the signed headers in order (collectHeaders, or the verifier's list).
func appendCanonicalRequest(b []byte, method, escapedPath, rawQuery string, hs []hdr, bodySum *[32]byte) ([]byte, error) {
	if method == "" {
		method = http.MethodGet
	}
	b = append(b, method...)
	b = append(b, '\n')
	b, err := appendCanonicalURI(b, escapedPath)
	if err != nil {
		return b, err
	}
	b = append(b, '\n')
	if b, err = appendCanonicalQuery(b, rawQuery); err != nil {
		return b, err
	}
	b = append(b, '\n')
	for _, h := range hs {
		if h.vals == nil {
			b = appendLower(b, h.name)
			b = append(b, ':')
			b = append(b, strings.TrimSpace(h.host)...)
			b = append(b, '\n')
			continue
		}
		for _, v := range h.vals {
			b = appendLower(b, h.name)
			b = append(b, ':')
			b = append(b, strings.TrimSpace(v)...)
			b = append(b, '\n')
		}
	}
	b = append(b, '\n')
	b = appendSignedHeaders(b, hs)
	b = append(b, '\n')
	var hx [64]byte
	hex.Encode(hx[:], bodySum[:])
	return append(b, hx[:]...), nil
}

// appendCanonicalURI appends the path with every segment decoded and
// re-encoded (escape), always ending in "/".
func appendCanonicalURI(b []byte, escapedPath string) ([]byte, error) {
	start := len(b)
	p := escapedPath
	for {
		seg, rest, more := strings.Cut(p, "/")
		dec, err := url.PathUnescape(seg)
		if err != nil {
			return b, errors.New("auth: AK/SK: malformed percent-encoding in the URL path")
		}
		b = appendEscaped(b, dec)
		if !more {
			break
		}
		b = append(b, '/')
		p = rest
	}
	if len(b) == start || b[len(b)-1] != '/' {
		b = append(b, '/')
	}
	return b, nil
}

type queryPair struct{ k, v string }

// appendCanonicalQuery appends the query parameters decoded, sorted by key
// then value, and re-encoded (escape) as k=v joined by '&'.
func appendCanonicalQuery(b []byte, rawQuery string) ([]byte, error) {
	if rawQuery == "" {
		return b, nil
	}
	var buf [16]queryPair
	ps := buf[:0]
	for rawQuery != "" {
		var part string
		part, rawQuery, _ = strings.Cut(rawQuery, "&")
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		k, err1 := url.QueryUnescape(k)
		v, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			return b, errors.New("auth: AK/SK: malformed percent-encoding in the URL query")
		}
		ps = append(ps, queryPair{k, v})
	}
	slices.SortFunc(ps, func(a, b queryPair) int {
		if c := strings.Compare(a.k, b.k); c != 0 {
			return c
		}
		return strings.Compare(a.v, b.v)
	})
	for i, p := range ps {
		if i > 0 {
			b = append(b, '&')
		}
		b = appendEscaped(b, p.k)
		b = append(b, '=')
		b = appendEscaped(b, p.v)
	}
	return b, nil
}

const upperHex = "0123456789ABCDEF"

// appendEscaped percent-encodes every byte of s except A-Z a-z 0-9 - _ . ~,
// with upper-case hex.
func appendEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b = append(b, c)
			continue
		}
		b = append(b, '%', upperHex[c>>4], upperHex[c&15])
	}
	return b
}

// appendSignature writes into sig the hex HMAC-SHA256, keyed with secretKey,
// of the string to sign
//
//	SDK-HMAC-SHA256 \n {X-Sdk-Date} \n hex(sha256(canonicalRequest))
//
// and returns the buffer of canonicalRequest for reuse (its content is
// overwritten). The HMAC is computed without allocating: the inner hash runs
// over (key XOR ipad) || string to sign, laid out in that one buffer.
func appendSignature(sig *[64]byte, canonicalRequest []byte, secretKey string, sdkDate []byte) []byte {
	crSum := sha256.Sum256(canonicalRequest)

	var key [sha256.BlockSize]byte
	if len(secretKey) > sha256.BlockSize {
		ks := sha256.Sum256([]byte(secretKey))
		copy(key[:], ks[:])
	} else {
		copy(key[:], secretKey)
	}
	buf := canonicalRequest[:0]
	for _, c := range key {
		buf = append(buf, c^0x36)
	}
	buf = append(buf, signAlgorithm+"\n"...)
	buf = append(buf, sdkDate...)
	buf = append(buf, '\n')
	var hx [64]byte
	hex.Encode(hx[:], crSum[:])
	buf = append(buf, hx[:]...)
	inner := sha256.Sum256(buf)

	var outer [sha256.BlockSize + sha256.Size]byte
	for i, c := range key {
		outer[i] = c ^ 0x5c
	}
	copy(outer[sha256.BlockSize:], inner[:])
	mac := sha256.Sum256(outer[:])
	hex.Encode(sig[:], mac[:])
	clear(key[:])
	return buf
}

// signature is the pure core of the signer: the hex signature of a canonical
// request made at sdkDate, with secretKey. The official test vectors are
// checked against it byte for byte.
func signature(secretKey, sdkDate string, canonicalRequest []byte) string {
	var sig [64]byte
	appendSignature(&sig, slices.Clone(canonicalRequest), secretKey, []byte(sdkDate))
	return string(sig[:])
}

func (k AKSK) fields() []field {
	return []field{
		{name: "AccessKey", key: "access_key", value: k.AccessKey},
		{name: "SecretKey", key: "secret_key", value: k.SecretKey, secret: true},
		{name: "SecurityToken", key: "security_token", value: k.SecurityToken, secret: true},
		{name: "ProjectID", key: "project_id", value: k.ProjectID},
	}
}

// String returns the credentials with the secret key and security token redacted.
func (k AKSK) String() string { return renderFields('v', false, false, "", k.fields()) }

// GoString returns the credentials with the secret key and security token redacted.
func (k AKSK) GoString() string { return renderFields('v', false, true, "auth.AKSK", k.fields()) }

// Format prints the credentials with the secret key and security token
// redacted, whatever the verb.
func (k AKSK) Format(f fmt.State, verb rune) { formatFields(f, verb, "auth.AKSK", k.fields()) }

// LogValue is the slog form, with the secret key and security token redacted.
func (k AKSK) LogValue() slog.Value { return logValue(k.fields()) }

// MarshalJSON encodes the credentials with the secret key and security token redacted.
func (k AKSK) MarshalJSON() ([]byte, error) { return json.Marshal(jsonFields(k.fields())) }
