package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"strings"
	"time"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/auth"
)

// Environment variables the CLI reads besides the credentials (which
// auth.FromLookup reads).
const (
	envProjectID = auth.EnvProjectID
	envRegion    = auth.EnvRegion
	// envEndpoint is the CLI's own: the API endpoint URL, as --endpoint.
	// 'chreplication fake' prints it so that its output can be pasted into
	// a shell.
	envEndpoint = "HUAWEICLOUD_SDK_ENDPOINT"
)

// Output formats of --output.
const (
	outputText = "text"
	outputJSON = "json"
)

// apiFlags are the flags every API command takes.
type apiFlags struct {
	endpoint  string
	region    string
	projectID string
	language  string
	timeout   time.Duration
	output    string
}

func (a *apiFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&a.endpoint, "endpoint", "", "API endpoint `URL`, such as https://gaussdb.cn-north-4.myhuaweicloud.com (env HUAWEICLOUD_SDK_ENDPOINT)")
	fs.StringVar(&a.region, "region", "", "Huawei Cloud region `NAME`, such as cn-north-4, instead of --endpoint (env HUAWEICLOUD_SDK_REGION)")
	fs.StringVar(&a.projectID, "project-id", "", "project `ID` (env HUAWEICLOUD_SDK_PROJECT_ID)")
	fs.StringVar(&a.language, "language", "", "`language` of the API's error messages: en-us or zh-cn (default: the API's, en-us)")
	fs.DurationVar(&a.timeout, "timeout", 0, "give up after this `duration`, such as 30s or 10m, waiting included (default: no limit; each API call still gives up after 60s)")
	fs.StringVar(&a.output, "output", outputText, "output `format`: text or json (json: exactly one JSON document on stdout)")
}

// checkOutput validates --output before anything is sent.
func (a *apiFlags) checkOutput() error {
	switch a.output {
	case outputText, outputJSON:
		return nil
	}
	return usageErrorf("--output %q is not one of text, json", clip(a.output))
}

// resolveEndpoint picks the endpoint: --endpoint, else --region, else
// HUAWEICLOUD_SDK_ENDPOINT, else HUAWEICLOUD_SDK_REGION. Flags win over the
// environment; a flag of either kind hides both variables.
func (a *apiFlags) resolveEndpoint(getenv func(string) string) (string, error) {
	if a.endpoint != "" && a.region != "" {
		return "", usageErrorf("give --endpoint or --region, not both")
	}
	switch {
	case a.endpoint != "":
		return a.endpoint, nil
	case a.region != "":
		return chreplication.RegionEndpoint(a.region)
	}
	if ep := strings.TrimSpace(getenv(envEndpoint)); ep != "" {
		return ep, nil
	}
	if r := strings.TrimSpace(getenv(envRegion)); r != "" {
		ep, err := chreplication.RegionEndpoint(r)
		return ep, fromVariable(err, "region", envRegion)
	}
	return "", usageErrorf("no endpoint: give --endpoint URL or --region NAME (or set %s or %s)", envRegion, envEndpoint)
}

// resolveProjectID picks --project-id, else HUAWEICLOUD_SDK_PROJECT_ID.
func (a *apiFlags) resolveProjectID(getenv func(string) string) (string, error) {
	if a.projectID != "" {
		return a.projectID, nil
	}
	if p := strings.TrimSpace(getenv(envProjectID)); p != "" {
		return p, nil
	}
	return "", usageErrorf("no project: give --project-id ID (or set %s)", envProjectID)
}

// credentialsLookup returns the environment as the credential sources see
// it: the project and region the flags chose replace the variables, so that
// the AK/SK signer's X-Project-Id and the IAM token's scope and host follow
// --project-id and --region too.
func (a *apiFlags) credentialsLookup(getenv func(string) string, projectID string) func(string) string {
	return func(name string) string {
		switch name {
		case envProjectID:
			return projectID
		case envRegion:
			if a.region != "" {
				return a.region
			}
		}
		return getenv(name)
	}
}

// client builds the API client from the flags and the environment. Every
// error it returns exits with code 2: nothing has been sent.
func (a *apiFlags) client(getenv func(string) string) (*chreplication.Client, error) {
	if err := a.checkOutput(); err != nil {
		return nil, err
	}
	if a.timeout < 0 {
		return nil, usageErrorf("--timeout must not be negative")
	}
	endpoint, err := a.resolveEndpoint(getenv)
	if err != nil {
		return nil, err
	}
	projectID, err := a.resolveProjectID(getenv)
	if err != nil {
		return nil, err
	}
	creds, err := auth.FromLookup(a.credentialsLookup(getenv, projectID))
	if err != nil {
		if errors.Is(err, auth.ErrNoCredentials) {
			return nil, usageErrorf("no credentials: set HUAWEICLOUD_AUTH_TOKEN, or HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK, or HUAWEICLOUD_IAM_USER, HUAWEICLOUD_IAM_PASSWORD and HUAWEICLOUD_IAM_DOMAIN")
		}
		// The auth package's errors name variables, never their values.
		return nil, usageErrorf("credentials: %s", printable(strings.TrimPrefix(firstLine(err.Error()), "auth: ")))
	}
	opts := []chreplication.Option{
		chreplication.WithProjectID(projectID),
		chreplication.WithAuth(creds),
		chreplication.WithUserAgent("chreplication-cli/" + chreplication.Version),
	}
	if a.language != "" {
		opts = append(opts, chreplication.WithLanguage(a.language))
	}
	client, err := chreplication.NewClient(endpoint, opts...)
	if a.endpoint == "" && a.region == "" {
		err = fromVariable(err, "endpoint", envEndpoint)
	}
	if a.projectID == "" {
		err = fromVariable(err, "projectID", envProjectID)
	}
	return client, err
}

// fromVariable renames the field of an invalid-input error after the
// environment variable its value came from: the user typed no flag, and
// "invalid --endpoint" would send them looking for one.
func fromVariable(err error, field, variable string) error {
	var ire *chreplication.InvalidRequestError
	if errors.As(err, &ire) && ire.Field == field {
		return &chreplication.InvalidRequestError{Field: variable, Reason: ire.Reason}
	}
	return err
}

// do is what every API command shares: it builds the client from the flags
// and the environment (a usage error there sends nothing) and calls fn with
// it and ctx bounded by --timeout.
func (a *apiFlags) do(ctx context.Context, c *cli, fn func(ctx context.Context, client *chreplication.Client) error) error {
	client, err := a.client(c.getenv)
	if err != nil {
		return err
	}
	if a.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, a.timeout)
		defer cancel()
	}
	return fn(ctx, client)
}

// emit writes doc as the one JSON document with --output json, and calls
// text otherwise.
func (a *apiFlags) emit(w io.Writer, doc any, text func() error) error {
	if a.output == outputJSON {
		return writeJSON(w, doc)
	}
	return text()
}

// requireFlags returns a usage error naming every required flag left empty.
func requireFlags(pairs ...string) error {
	var missing []string
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			missing = append(missing, "--"+pairs[i])
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return usageErrorf("missing %s", strings.Join(missing, ", "))
}
