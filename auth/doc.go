/*
Package auth holds the credentials of the Huawei Cloud GaussDB(for MySQL)
ClickHouse replication client: the three ways Huawei Cloud users hold them,
an IAM token, an IAM user name and password, or an access key pair (AK/SK),
behind one interface, Authenticator, that adds them to an outgoing request.

The package uses the standard library only and knows nothing of the API it
authenticates: the client calls Authenticate on each request it has built,
calls Validate (Validator) once before sending anything, and after a 401 calls
Reauthenticate (Reauthenticator) and retries once when it reports true.

Every type that holds a secret (a token, a secret key, a security token, a
password) prints it as [REDACTED] through fmt (every verb), slog and
encoding/json, and no error of this package quotes one. One limit comes
from fmt itself: a value stored in an unexported field of another struct is
printed by reflection, without its methods, so an AKSK or PasswordTokenSource
(whose secret fields are exported, for you to fill in) kept in such a field
shows its secret when the outer struct is printed. Keep credentials behind a
type that formats itself, as chreplication.Client does, or out of printed
structs. StaticToken keeps its token where fmt cannot reach it even then.

Example to authenticate with an IAM token

	c, err := chreplication.NewClient(endpoint,
		chreplication.WithProjectID(projectID),
		chreplication.WithAuth(auth.StaticToken(os.Getenv("HUAWEICLOUD_AUTH_TOKEN"))))

The token is sent as X-Auth-Token as is and never refreshed; an empty token or
one with a stray newline is refused before anything is sent.

Example to authenticate with a user name and password

	src := auth.PasswordTokenSource{
		Region:    "cn-north-4", // IAM endpoint https://iam.cn-north-4.myhuaweicloud.com
		Domain:    "my-account",
		User:      "my-user",
		Password:  password,
		ProjectID: projectID,
	}
	a := auth.TokenAuth(src) // caches the 24-hour token, refreshes it 5 minutes early

TokenAuth fetches a token on first use, shares one fetch between concurrent
requests, and after a 401 drops the rejected token and fetches a new one for
the client's single retry. Any TokenSource works (TokenSourceFunc adapts a
function); ReuseTokenSource gives the cache with another refresh margin.

Example to sign requests with an access key pair

	a := auth.AKSK{
		AccessKey:     os.Getenv("HUAWEICLOUD_SDK_AK"),
		SecretKey:     os.Getenv("HUAWEICLOUD_SDK_SK"),
		SecurityToken: os.Getenv("HUAWEICLOUD_SDK_SECURITY_TOKEN"), // temporary credentials only
		ProjectID:     projectID,
	}

Each request is signed with SDK-HMAC-SHA256, as the official SDKs do: the
signature covers the method, path, query, headers and body, so sign the
request last and send it unchanged.

Example to load credentials from the environment

	a, err := auth.FromEnv()
	if errors.Is(err, auth.ErrNoCredentials) {
		// none of HUAWEICLOUD_SDK_AK/SK, HUAWEICLOUD_AUTH_TOKEN or
		// HUAWEICLOUD_IAM_USER/PASSWORD/DOMAIN is set
	}

FromLookup does the same with any lookup function (a CLI passes one in which
its flags take precedence over the environment). AK/SK wins over a token,
which wins over a password.

Example to verify signed requests in a server

	v := &auth.Verifier{Lookup: func(ak string) (string, bool) {
		sk, ok := keys[ak]
		return sk, ok
	}}
	if err := v.Verify(r); err != nil {
		http.Error(w, "unauthorized", http.StatusUnauthorized) // err says why, without secrets
		return
	}
	// r.Body can still be read.

The Verifier checks the signature, the access key and the X-Sdk-Date skew (15
minutes by default), as the API gateway does; the fake server uses it.
*/
package auth
