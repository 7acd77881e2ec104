package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// DefaultMaxSkew is how far X-Sdk-Date may be from the verifier's clock, as
// Huawei Cloud's gateways allow.
const DefaultMaxSkew = 15 * time.Minute

// maxVerifyBody bounds the body a Verifier reads to hash it.
const maxVerifyBody = 10 << 20

// Errors wrapped by Verifier.Verify, for errors.Is.
var (
	// ErrMissingSignature: the request has no Authorization header (it may
	// use another scheme, such as X-Auth-Token).
	ErrMissingSignature = errors.New("auth: no SDK-HMAC-SHA256 Authorization header")
	// ErrMalformedSignature: the Authorization header, the signed header
	// list, X-Sdk-Date, the path, the query or the body cannot be used.
	ErrMalformedSignature = errors.New("auth: malformed AK/SK signature")
	// ErrUnknownAccessKey: Lookup does not know the access key.
	ErrUnknownAccessKey = errors.New("auth: unknown access key")
	// ErrDateSkew: X-Sdk-Date is further than MaxSkew from the clock.
	ErrDateSkew = errors.New("auth: X-Sdk-Date too far from the server's time")
	// ErrSignatureMismatch: the signature does not match the request.
	ErrSignatureMismatch = errors.New("auth: signature does not match the request")
)

// Verifier checks SDK-HMAC-SHA256 signatures of incoming requests, as the API
// gateway does; the fake server uses it.
//
// Lookup returns the secret key of an access key (ok false: unknown); it must
// be safe for concurrent use. MaxSkew is how far X-Sdk-Date may be from now
// (zero or negative: DefaultMaxSkew). A nil Verifier, or one without Lookup,
// refuses every request. A Verifier is safe for concurrent use as long as its
// fields are not changed.
type Verifier struct {
	Lookup  func(accessKey string) (secretKey string, ok bool)
	MaxSkew time.Duration
}

// Verify parses the Authorization header of req, recomputes the signature
// over the headers it lists (host taken from req.Host), the method, the
// path, the query and the body, compares the two in constant time, and checks
// X-Sdk-Date (which must be signed) against the package clock. A request with
// more than one Authorization header, one that gives Access, SignedHeaders or
// Signature twice, or an X-Security-Token it does not sign, is refused. The
// body is read (up to 10 MiB) and put back, so the handler can read it
// again; a larger body is refused and left consumed.
//
// The error wraps ErrMissingSignature, ErrMalformedSignature,
// ErrUnknownAccessKey, ErrDateSkew or ErrSignatureMismatch, and never quotes
// a secret key or a security token.
func (v *Verifier) Verify(req *http.Request) error {
	return v.verify(req, timeNow())
}

func (v *Verifier) verify(req *http.Request, now time.Time) error {
	if v == nil || v.Lookup == nil {
		return errors.New("auth: Verifier has no Lookup")
	}
	if req == nil || req.URL == nil {
		return fmt.Errorf("%w: nil request", ErrMalformedSignature)
	}
	authzs := req.Header.Values(HeaderAuthorization)
	switch {
	case len(authzs) == 0 || len(authzs) == 1 && authzs[0] == "":
		return ErrMissingSignature
	case len(authzs) > 1:
		// The one checked here need not be the one another reader uses.
		return fmt.Errorf("%w: %d Authorization headers", ErrMalformedSignature, len(authzs))
	}
	ak, names, sigHex, err := parseAuthorization(authzs[0])
	if err != nil {
		return err
	}
	sk, ok := v.Lookup(ak)
	if !ok {
		return fmt.Errorf("%w %q", ErrUnknownAccessKey, printable(ak, 64))
	}

	var signedDate, signedToken bool
	hs := make([]hdr, 0, len(names))
	for _, n := range names {
		switch n {
		case "x-sdk-date":
			signedDate = true
		case "x-security-token":
			signedToken = true
		}
		if n == "host" {
			hs = append(hs, hdr{name: n, host: req.Host})
			continue
		}
		vals := req.Header.Values(n)
		if len(vals) == 0 {
			return fmt.Errorf("%w: signed header %q is not in the request", ErrMalformedSignature, n)
		}
		hs = append(hs, hdr{name: n, vals: vals})
	}
	normalizeValues(hs)
	if !signedDate {
		return fmt.Errorf("%w: x-sdk-date is not a signed header", ErrMalformedSignature)
	}
	// Any X-Security-Token value, even one behind an empty first value
	// (which Header.Get would return), must be covered by the signature.
	if len(req.Header.Values(HeaderSecurityToken)) > 0 && !signedToken {
		return fmt.Errorf("%w: X-Security-Token is present but not signed", ErrMalformedSignature)
	}
	dateStr := req.Header.Get(HeaderSdkDate)
	date, err := time.Parse(sdkDateLayout, dateStr)
	if err != nil {
		return fmt.Errorf("%w: X-Sdk-Date %q is not formatted %s", ErrMalformedSignature, printable(dateStr, 32), sdkDateLayout)
	}
	maxSkew := v.MaxSkew
	if maxSkew <= 0 {
		maxSkew = DefaultMaxSkew
	}
	if skew := now.Sub(date).Abs(); skew > maxSkew {
		return fmt.Errorf("%w: X-Sdk-Date %s is %s away from %s (at most %s allowed)",
			ErrDateSkew, dateStr, skew.Truncate(time.Second), now.UTC().Format(sdkDateLayout), maxSkew)
	}

	bodySum, err := readBody(req)
	if err != nil {
		return err
	}
	cr, err := appendCanonicalRequest(make([]byte, 0, 512), req.Method, req.URL.EscapedPath(), req.URL.RawQuery, hs, &bodySum)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMalformedSignature, err)
	}
	var want [64]byte
	appendSignature(&want, cr, sk, []byte(dateStr))
	if !hmac.Equal(want[:], []byte(sigHex)) {
		return ErrSignatureMismatch
	}
	return nil
}

// readBody hashes the body of an incoming request and puts it back.
func readBody(req *http.Request) ([32]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return emptySHA256, nil
	}
	b, err := io.ReadAll(io.LimitReader(req.Body, maxVerifyBody+1))
	_ = req.Body.Close()
	if err != nil {
		return [32]byte{}, fmt.Errorf("%w: reading the body: %w", ErrMalformedSignature, err)
	}
	if len(b) > maxVerifyBody {
		return [32]byte{}, fmt.Errorf("%w: body larger than %d bytes", ErrMalformedSignature, maxVerifyBody)
	}
	setBody(req, b)
	return sha256.Sum256(b), nil
}

// parseAuthorization splits
//
//	SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex
//
// into its parts, each of which must be there exactly once.
func parseAuthorization(authz string) (ak string, names []string, sig string, err error) {
	rest, ok := strings.CutPrefix(authz, signAlgorithm+" ")
	if !ok {
		return "", nil, "", fmt.Errorf("%w: Authorization does not start with %q", ErrMalformedSignature, signAlgorithm+" ")
	}
	var signed string
	var haveAK, haveSigned, haveSig bool
	for part := range strings.SplitSeq(rest, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return "", nil, "", fmt.Errorf("%w: Authorization part is not key=value", ErrMalformedSignature)
		}
		// A part given twice is refused, like a second Authorization
		// header: the one checked here need not be the one another reader
		// (a log, a gateway) takes.
		switch {
		case k == "Access" && !haveAK:
			ak, haveAK = val, true
		case k == "SignedHeaders" && !haveSigned:
			signed, haveSigned = val, true
		case k == "Signature" && !haveSig:
			sig, haveSig = val, true
		case k == "Access" || k == "SignedHeaders" || k == "Signature":
			return "", nil, "", fmt.Errorf("%w: Authorization has %s more than once", ErrMalformedSignature, k)
		default:
			return "", nil, "", fmt.Errorf("%w: unexpected Authorization part %q", ErrMalformedSignature, printable(k, 32))
		}
	}
	switch {
	case !haveAK || ak == "":
		return "", nil, "", fmt.Errorf("%w: Authorization has no Access", ErrMalformedSignature)
	case !haveSigned || signed == "":
		return "", nil, "", fmt.Errorf("%w: Authorization has no SignedHeaders", ErrMalformedSignature)
	case !haveSig || len(sig) != 64:
		return "", nil, "", fmt.Errorf("%w: Authorization has no 64-hex-digit Signature", ErrMalformedSignature)
	}
	names = strings.Split(signed, ";")
	for i, n := range names {
		// Sorted without duplicates, as signers write it: a name listed
		// many times would repeat its header's value in the canonical
		// request once per listing, which an unauthenticated caller could
		// use to make the verifier build a request of gigabytes.
		if n == "" || n != strings.ToLower(n) || strings.ContainsAny(n, " \t") || (i > 0 && n <= names[i-1]) {
			return "", nil, "", fmt.Errorf("%w: SignedHeaders %q is not a sorted ';'-separated list of distinct lower-case names",
				ErrMalformedSignature, printable(signed, 256))
		}
	}
	return ak, names, sig, nil
}
