package auth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/gaussdb-tools/chreplication/auth"
)

const exampleURL = "https://gaussdb.cn-north-4.myhuaweicloud.com/v3/0123456789abcdef0123456789abcdef/instances/54e42160670e48e789af7075e1efea1fin16/clickhouse/replication"

func ExampleStaticToken() {
	a := auth.StaticToken("MIIexample-token")

	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, exampleURL+"?limit=10", nil)
	if err := a.Authenticate(context.Background(), req); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(req.Header.Get("X-Auth-Token") == "MIIexample-token")
	fmt.Println(a) // the token never prints

	// A token read with its trailing newline is refused before anything is sent.
	err := auth.StaticToken("MIIexample-token\n").(auth.Validator).Validate()
	fmt.Println(err)
	// Output:
	// true
	// {[REDACTED]}
	// auth: static token contains a control character at byte 16 (a stray newline?)
}

func ExampleAKSK() {
	signer := auth.AKSK{
		AccessKey: "HPUAEXAMPLEKEY",
		SecretKey: "example-secret-key",
		ProjectID: "0123456789abcdef0123456789abcdef",
	}
	body := `{"source_instance_id":"54e42160670e48e789af7075e1efea1fin01","source_database":"db1"}`
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, exampleURL, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Language", "en-us")

	// Sign last: the signature covers the method, path, query, headers and body.
	if err := signer.Authenticate(context.Background(), req); err != nil {
		fmt.Println(err)
		return
	}
	header, _, _ := strings.Cut(req.Header.Get("Authorization"), ", Signature=")
	fmt.Println(header)
	fmt.Println(req.Header.Get("X-Project-Id"))
	fmt.Printf("%+v\n", signer)
	// Output:
	// SDK-HMAC-SHA256 Access=HPUAEXAMPLEKEY, SignedHeaders=host;x-language;x-project-id;x-sdk-date
	// 0123456789abcdef0123456789abcdef
	// {AccessKey:HPUAEXAMPLEKEY SecretKey:[REDACTED] SecurityToken: ProjectID:0123456789abcdef0123456789abcdef}
}

func ExampleVerifier() {
	v := &auth.Verifier{Lookup: func(ak string) (string, bool) {
		if ak == "HPUAEXAMPLEKEY" {
			return "example-secret-key", true
		}
		return "", false
	}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := v.Verify(r); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		body, _ := io.ReadAll(r.Body) // still readable after Verify
		fmt.Fprintf(w, "verified %s %s with %d body bytes", r.Method, r.URL.EscapedPath(), len(body))
	}))
	defer srv.Close()

	send := func(k auth.AKSK) {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodDelete, srv.URL+"/v3/p/instances/i/clickhouse/replication/my%20db%20%C3%BC", nil)
		if err := k.Authenticate(context.Background(), req); err != nil {
			fmt.Println(err)
			return
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		fmt.Println(resp.StatusCode, strings.TrimSpace(string(out)))
	}
	send(auth.AKSK{AccessKey: "HPUAEXAMPLEKEY", SecretKey: "example-secret-key"})
	send(auth.AKSK{AccessKey: "HPUAEXAMPLEKEY", SecretKey: "wrong-secret-key"})
	send(auth.AKSK{AccessKey: "HPUAOTHERKEY", SecretKey: "example-secret-key"})
	// Output:
	// 200 verified DELETE /v3/p/instances/i/clickhouse/replication/my%20db%20%C3%BC with 0 body bytes
	// 401 auth: signature does not match the request
	// 401 auth: unknown access key "HPUAOTHERKEY"
}

func ExampleTokenAuth() {
	// Any TokenSource will do; PasswordTokenSource asks IAM.
	src := auth.TokenSourceFunc(func(ctx context.Context) (auth.Token, error) {
		return auth.Token{Value: "MIIexample-token", ExpiresAt: time.Now().Add(24 * time.Hour)}, nil
	})
	a := auth.TokenAuth(src)

	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, exampleURL, nil)
	if err := a.Authenticate(context.Background(), req); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(req.Header.Get("X-Auth-Token"))

	// After a 401 the client asks whether a retry is worthwhile.
	retry, err := a.(auth.Reauthenticator).Reauthenticate(context.Background(), req)
	fmt.Println(retry, err) // this source hands out the same token again
	// Output:
	// MIIexample-token
	// false <nil>
}

func ExamplePasswordTokenSource() {
	// A stand-in for IAM; in real use leave Endpoint empty and set Region.
	iam := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Subject-Token", "MIIexample-token")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"token":{"expires_at":"2030-01-04T09:05:22.701000Z"}}`)
	}))
	defer iam.Close()

	src := auth.PasswordTokenSource{
		Endpoint:  iam.URL,
		Domain:    "my-account",
		User:      "my-user",
		Password:  "my-password",
		ProjectID: "0123456789abcdef0123456789abcdef",
	}
	tok, err := src.Token(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tok.ExpiresAt)
	fmt.Printf("%v\n", tok)

	// Normally: a := auth.TokenAuth(src), which caches and refreshes the token.
	err = auth.PasswordTokenSource{User: "my-user", Password: "my-password"}.Validate()
	fmt.Println(err)
	// Output:
	// 2030-01-04 09:05:22.701 +0000 UTC
	// {[REDACTED] 2030-01-04 09:05:22.701 +0000 UTC}
	// auth: IAM password token source: missing Domain, ProjectID
}

func ExampleFromLookup() {
	env := map[string]string{
		"HUAWEICLOUD_SDK_AK":         "HPUAEXAMPLEKEY",
		"HUAWEICLOUD_SDK_SK":         "example-secret-key",
		"HUAWEICLOUD_SDK_PROJECT_ID": "0123456789abcdef0123456789abcdef",
	}
	a, err := auth.FromLookup(func(name string) string { return env[name] })
	fmt.Printf("%T %v %v\n", a, a, err)

	_, err = auth.FromLookup(func(string) string { return "" })
	fmt.Println(errors.Is(err, auth.ErrNoCredentials))

	_, err = auth.FromLookup(func(name string) string {
		if name == auth.EnvAccessKey {
			return "HPUAEXAMPLEKEY"
		}
		return ""
	})
	fmt.Println(err)
	// Output:
	// auth.AKSK {HPUAEXAMPLEKEY [REDACTED]  0123456789abcdef0123456789abcdef} <nil>
	// true
	// auth: HUAWEICLOUD_SDK_AK is set but HUAWEICLOUD_SDK_SK is not
}

func ExampleReuseTokenSource() {
	fetches := 0
	src := auth.TokenSourceFunc(func(ctx context.Context) (auth.Token, error) {
		fetches++
		return auth.Token{Value: fmt.Sprintf("token-%d", fetches), ExpiresAt: time.Now().Add(time.Hour)}, nil
	})
	cache := auth.ReuseTokenSource(src, 10*time.Minute)
	for range 3 {
		tok, _ := cache.Token(context.Background())
		fmt.Println(tok.Value)
	}
	fmt.Println(cache.Invalidate("token-1")) // the API rejected token-1
	tok, _ := cache.Token(context.Background())
	fmt.Println(tok.Value, fetches)
	// Output:
	// token-1
	// token-1
	// token-1
	// true
	// token-2 2
}
