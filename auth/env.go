package auth

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// Environment variables read by FromEnv and FromLookup (the names the
// official Huawei Cloud SDKs and tools use, plus HUAWEICLOUD_AUTH_TOKEN and
// HUAWEICLOUD_IAM_* for the token and password ways).
const (
	EnvAccessKey     = "HUAWEICLOUD_SDK_AK"
	EnvSecretKey     = "HUAWEICLOUD_SDK_SK"
	EnvSecurityToken = "HUAWEICLOUD_SDK_SECURITY_TOKEN"
	EnvProjectID     = "HUAWEICLOUD_SDK_PROJECT_ID"
	EnvRegion        = "HUAWEICLOUD_SDK_REGION"
	EnvAuthToken     = "HUAWEICLOUD_AUTH_TOKEN"
	EnvIAMUser       = "HUAWEICLOUD_IAM_USER"
	EnvIAMPassword   = "HUAWEICLOUD_IAM_PASSWORD"
	EnvIAMDomain     = "HUAWEICLOUD_IAM_DOMAIN"
	EnvIAMEndpoint   = "HUAWEICLOUD_SDK_IAM_ENDPOINT"
)

// ErrNoCredentials is wrapped by the error of FromEnv and FromLookup when none
// of the credential variables is set.
var ErrNoCredentials = errors.New("auth: no credentials found")

// FromEnv is FromLookup(os.Getenv).
func FromEnv() (Authenticator, error) {
	return FromLookup(os.Getenv)
}

// FromLookup builds an Authenticator from the variables getenv returns (nil
// means os.Getenv; a value that is empty or only whitespace counts as unset).
// The first way that is set wins:
//
//  1. HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK (optionally
//     HUAWEICLOUD_SDK_SECURITY_TOKEN, and HUAWEICLOUD_SDK_PROJECT_ID for the
//     X-Project-Id header): an AKSK signer.
//  2. HUAWEICLOUD_AUTH_TOKEN: StaticToken.
//  3. HUAWEICLOUD_IAM_USER, HUAWEICLOUD_IAM_PASSWORD and HUAWEICLOUD_IAM_DOMAIN,
//     with HUAWEICLOUD_SDK_PROJECT_ID (required), HUAWEICLOUD_SDK_REGION and
//     HUAWEICLOUD_SDK_IAM_ENDPOINT (optional): TokenAuth over a
//     PasswordTokenSource.
//
// A way that is only partly set (AK without SK, a user without a password)
// is an error naming the missing variables; so is a value the authenticator's
// Validate refuses. When nothing is set the error wraps ErrNoCredentials and
// names every variable looked for. No error quotes a secret.
func FromLookup(getenv func(string) string) (Authenticator, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	get := func(name string) string {
		v := getenv(name)
		if strings.TrimSpace(v) == "" {
			return ""
		}
		return v
	}
	ak, sk, st := get(EnvAccessKey), get(EnvSecretKey), get(EnvSecurityToken)
	project := get(EnvProjectID)
	switch {
	case ak != "" && sk != "":
		a := AKSK{AccessKey: ak, SecretKey: sk, SecurityToken: st, ProjectID: project}
		if err := a.Validate(); err != nil {
			return nil, &envError{vars: EnvAccessKey + "/" + EnvSecretKey, err: err}
		}
		return a, nil
	case ak != "":
		return nil, fmt.Errorf("auth: %s is set but %s is not", EnvAccessKey, EnvSecretKey)
	case sk != "":
		return nil, fmt.Errorf("auth: %s is set but %s is not", EnvSecretKey, EnvAccessKey)
	case st != "":
		return nil, fmt.Errorf("auth: %s is set but %s and %s are not", EnvSecurityToken, EnvAccessKey, EnvSecretKey)
	}

	if tok := get(EnvAuthToken); tok != "" {
		a := StaticToken(tok)
		if err := a.(Validator).Validate(); err != nil {
			return nil, &envError{vars: EnvAuthToken, err: err}
		}
		return a, nil
	}

	user, password, domain := get(EnvIAMUser), get(EnvIAMPassword), get(EnvIAMDomain)
	if user != "" || password != "" || domain != "" {
		var missing []string
		for _, v := range []struct{ name, value string }{
			{EnvIAMUser, user}, {EnvIAMPassword, password}, {EnvIAMDomain, domain}, {EnvProjectID, project},
		} {
			if v.value == "" {
				missing = append(missing, v.name)
			}
		}
		if len(missing) > 0 {
			return nil, fmt.Errorf("auth: an IAM password token needs %s, %s, %s and %s: %s not set",
				EnvIAMUser, EnvIAMPassword, EnvIAMDomain, EnvProjectID, strings.Join(missing, ", "))
		}
		src := PasswordTokenSource{
			Endpoint:  get(EnvIAMEndpoint),
			Region:    get(EnvRegion),
			Domain:    domain,
			User:      user,
			Password:  password,
			ProjectID: project,
		}
		if err := src.Validate(); err != nil {
			return nil, &envError{vars: "IAM settings", err: err}
		}
		return TokenAuth(src), nil
	}

	return nil, fmt.Errorf("%w: set %s and %s (with %s for temporary credentials), or %s, or %s, %s, %s and %s (optionally %s and %s)",
		ErrNoCredentials, EnvAccessKey, EnvSecretKey, EnvSecurityToken, EnvAuthToken,
		EnvIAMUser, EnvIAMPassword, EnvIAMDomain, EnvProjectID, EnvRegion, EnvIAMEndpoint)
}

// envError names the variables whose values an authenticator refused.
type envError struct {
	vars string
	err  error
}

func (e *envError) Error() string {
	return "auth: " + e.vars + ": " + strings.TrimPrefix(e.err.Error(), "auth: ")
}

func (e *envError) Unwrap() error { return e.err }
