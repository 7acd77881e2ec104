package auth

import (
	"context"
	"net/http"
	"time"
)

// Header names this package reads or writes.
const (
	// HeaderAuthToken carries an IAM token (StaticToken, TokenAuth).
	HeaderAuthToken = "X-Auth-Token"
	// HeaderSubjectToken is the IAM response header that carries a new token.
	HeaderSubjectToken = "X-Subject-Token"
	// HeaderSdkDate is the signing time of an AK/SK request, formatted 20060102T150405Z (UTC).
	HeaderSdkDate = "X-Sdk-Date"
	// HeaderProjectID names the project of an AK/SK request.
	HeaderProjectID = "X-Project-Id"
	// HeaderSecurityToken carries the security token of temporary AK/SK credentials.
	HeaderSecurityToken = "X-Security-Token"
	// HeaderAuthorization carries the SDK-HMAC-SHA256 signature.
	HeaderAuthorization = "Authorization"
)

// timeNow is the clock of the package: the AK/SK signer stamps X-Sdk-Date
// with it, the Verifier measures skew against it and the token cache decides
// freshness with it. Tests replace it (or the per-instance clocks) to freeze time.
var timeNow = time.Now

// Authenticator adds credentials to an outgoing request.
//
// Authenticate may modify req in place: the client hands it its own freshly
// built request, after the body, the query and every other header are final.
// Implementations must be safe for concurrent use by multiple goroutines.
type Authenticator interface {
	Authenticate(ctx context.Context, req *http.Request) error
}

// Validator is optionally implemented by an Authenticator (or a TokenSource)
// that can tell, before anything is sent, that its credentials are unusable:
// an empty token, a missing secret key, a malformed endpoint. Validate does
// no I/O.
type Validator interface {
	Validate() error
}

// Reauthenticator is optionally implemented by an Authenticator whose
// credentials can be refreshed.
//
// When the API answers 401 to a request, the client calls Reauthenticate with
// the request that was rejected (it still carries the header it was sent with).
// The implementation drops its cached credential only if it is still the one
// the rejected request carried, so that concurrent callers rejected with the
// same token share one refresh (gophercloud's Reauthenticate(ctx, previousToken)),
// and reports whether retrying the request once is worthwhile.
type Reauthenticator interface {
	Reauthenticate(ctx context.Context, rejected *http.Request) (bool, error)
}
