package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

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
	// envRateLimit is the CLI's own too: requests a second, as --rate-limit.
	envRateLimit = "HUAWEICLOUD_SDK_RATE_LIMIT"
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
	insecure  bool    // --insecure-http
	verbose   bool    // --verbose
	rateLimit float64 // --rate-limit: requests a second; 0 unset

	fs *pflag.FlagSet // where the flags are registered, to tell an empty value from none
}

func (a *apiFlags) register(fs *pflag.FlagSet) {
	a.fs = fs
	fs.StringVar(&a.endpoint, "endpoint", "", "API endpoint `URL`, such as https://gaussdb.cn-north-4.myhuaweicloud.com (env HUAWEICLOUD_SDK_ENDPOINT)")
	fs.StringVar(&a.region, "region", "", "Huawei Cloud region `NAME`, such as cn-north-4, instead of --endpoint (env HUAWEICLOUD_SDK_REGION)")
	fs.StringVar(&a.projectID, "project-id", "", "project `ID` (env HUAWEICLOUD_SDK_PROJECT_ID)")
	fs.StringVar(&a.language, "language", "", "`language` of the API's error messages: en-us or zh-cn (default: the API's, en-us)")
	fs.DurationVar(&a.timeout, "timeout", 0, "give up after this `duration`, such as 30s or 10m, waiting included (default: no limit; each API call still gives up after 60s)")
	fs.StringVar(&a.output, "output", outputText, "output `format`: text or json (json: exactly one JSON document on stdout)")
	fs.BoolVar(&a.insecure, "insecure-http", false, "allow a plain http:// --endpoint on a host that is not loopback (credentials then travel in clear text; http to 127.0.0.1 and localhost is always allowed)")
	fs.BoolVar(&a.verbose, "verbose", false, "print every wait of the client in full, one line per look: the answer's HTTP status, error code, message and request ID (default: a job not visible yet, a busy instance or a throttled request shows once, or in the progress line on a terminal)")
	fs.Float64Var(&a.rateLimit, "rate-limit", 0, "send at most `N` requests a second for the whole run (such as 5 or 0.5; bursts of up to N, at least 1), waits and retries included; 0: no limit (env HUAWEICLOUD_SDK_RATE_LIMIT; default: no limit, and a 429 from the gateway slows the client down in any case)")
	for _, name := range []string{"endpoint", "region", "project-id", "language", "timeout", "output", "insecure-http", "verbose", "rate-limit"} {
		_ = fs.SetAnnotation(name, annGroup, []string{groupAPI})
	}
}

// checkOutput validates --output before anything is sent.
func (a *apiFlags) checkOutput() error {
	switch a.output {
	case outputText, outputJSON:
		return nil
	}
	return usageErrorf("--output %s is not one of text, json", quoted(a.output))
}

// resolveEndpoint picks the endpoint: --endpoint, else --region, else
// HUAWEICLOUD_SDK_ENDPOINT, else HUAWEICLOUD_SDK_REGION. Flags win over the
// environment; a flag of either kind hides both variables.
func (a *apiFlags) resolveEndpoint(getenv func(string) string) (string, error) {
	if a.given("endpoint") && strings.TrimSpace(a.endpoint) == "" {
		return "", usageErrorf("--endpoint is empty: give a URL such as https://gaussdb.cn-north-4.myhuaweicloud.com, or leave the flag out to use --region or the environment")
	}
	if a.given("region") && strings.TrimSpace(a.region) == "" {
		return "", usageErrorf("--region is empty: give a region such as cn-north-4, or leave the flag out to use --endpoint or the environment")
	}
	if a.endpoint != "" && a.region != "" {
		return "", usageErrorf("give --endpoint or --region, not both")
	}
	switch {
	case a.endpoint != "":
		return a.endpoint, checkSchemeless("--endpoint", a.endpoint)
	case a.region != "":
		return chreplication.RegionEndpoint(a.region)
	}
	if ep := strings.TrimSpace(getenv(envEndpoint)); ep != "" {
		return ep, checkSchemeless(envEndpoint, ep)
	}
	if r := strings.TrimSpace(getenv(envRegion)); r != "" {
		ep, err := chreplication.RegionEndpoint(r)
		return ep, fromVariable(err, "region", envRegion)
	}
	return "", usageErrorf("no endpoint: give --endpoint URL or --region NAME (or set %s or %s)", envRegion, envEndpoint)
}

// resolveRateLimit picks --rate-limit, else HUAWEICLOUD_SDK_RATE_LIMIT: a
// number of requests a second, 0 for no limit.
func (a *apiFlags) resolveRateLimit(getenv func(string) string) (float64, error) {
	if a.given("rate-limit") {
		if math.IsNaN(a.rateLimit) || math.IsInf(a.rateLimit, 0) || a.rateLimit < 0 {
			return 0, usageErrorf("--rate-limit must be a number of requests a second, such as 5 or 0.5 (0: no limit)")
		}
		return a.rateLimit, nil
	}
	v := strings.TrimSpace(getenv(envRateLimit))
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(n) || math.IsInf(n, 0) || n < 0 {
		return 0, usageErrorf("%s %s must be a number of requests a second, such as 5 or 0.5 (0: no limit)", envRateLimit, quoted(v))
	}
	return n, nil
}

// rateBurst is the burst of a rate limit of perSecond requests a second:
// a second's worth, at least 1.
func rateBurst(perSecond float64) int {
	return max(1, int(math.Ceil(perSecond)))
}

// given reports whether the flag name was on the command line.
func (a *apiFlags) given(name string) bool {
	return a.fs != nil && a.fs.Changed(name)
}

// checkSchemeless refuses an endpoint without a scheme, such as
// 127.0.0.1:8080, saying what was given and the URL it probably means:
// http:// for a loopback address (where the fake serves), https://
// otherwise.
func checkSchemeless(what, endpoint string) error {
	if strings.Contains(endpoint, "://") {
		return nil
	}
	scheme := "https://"
	host := endpoint
	if h, _, err := net.SplitHostPort(endpoint); err == nil {
		host = h
	}
	if ip := net.ParseIP(host); (ip != nil && ip.IsLoopback()) || strings.EqualFold(host, "localhost") {
		scheme = "http://"
	}
	return usageErrorf("%s %s has no scheme: give a URL, such as %s", what, quotedAt(endpoint, 100), clipAt(scheme+endpoint, 108))
}

// resolveProjectID picks --project-id, else HUAWEICLOUD_SDK_PROJECT_ID.
func (a *apiFlags) resolveProjectID(getenv func(string) string) (string, error) {
	if a.given("project-id") && strings.TrimSpace(a.projectID) == "" {
		return "", usageErrorf("--project-id is empty: give the project's ID, or leave the flag out to use %s", envProjectID)
	}
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

// client builds the API client from the flags and the environment. The
// waits the client rides out (a busy instance, a job not visible yet) go to
// events, one line each, when events is not nil; extra options come after
// the flags' (the exporter's request-counting transport). Every error it
// returns exits with code 2: nothing has been sent.
func (a *apiFlags) client(getenv func(string) string, events *eventLines, extra ...chreplication.Option) (*chreplication.Client, error) {
	// Every problem of the flags and the environment is found before the
	// first is reported.
	var errs []error
	errs = append(errs, a.checkOutput())
	if a.timeout < 0 {
		errs = append(errs, usageErrorf("--timeout must not be negative"))
	}
	endpoint, err := a.resolveEndpoint(getenv)
	errs = append(errs, err)
	perSecond, err := a.resolveRateLimit(getenv)
	errs = append(errs, err)
	projectID, err := a.resolveProjectID(getenv)
	errs = append(errs, err)
	creds, err := auth.FromLookup(a.credentialsLookup(getenv, projectID))
	switch {
	case errors.Is(err, auth.ErrNoCredentials):
		errs = append(errs, usageErrorf("no credentials: set HUAWEICLOUD_AUTH_TOKEN, or HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK, or HUAWEICLOUD_IAM_USER, HUAWEICLOUD_IAM_PASSWORD and HUAWEICLOUD_IAM_DOMAIN"))
	case err != nil:
		// The auth package's errors name variables, never their values.
		errs = append(errs, usageErrorf("credentials: %s", printable(strings.TrimPrefix(firstLine(err.Error()), "auth: "))))
	}
	if err := joinProblems(errs...); err != nil {
		return nil, err
	}
	opts := a.clientOptions(projectID, creds, perSecond, events)
	client, err := chreplication.NewClient(endpoint, append(opts, extra...)...)
	if a.endpoint == "" && a.region == "" {
		err = fromVariable(err, "endpoint", envEndpoint)
	}
	if a.projectID == "" {
		err = fromVariable(err, "projectID", envProjectID)
	}
	return client, err
}

// clientOptions are the options of a client of the flags for projectID,
// with creds and a budget of perSecond requests a second (none when 0).
func (a *apiFlags) clientOptions(projectID string, creds auth.Authenticator, perSecond float64, events *eventLines) []chreplication.Option {
	opts := []chreplication.Option{
		chreplication.WithProjectID(projectID),
		chreplication.WithAuth(creds),
		chreplication.WithUserAgent("chreplication-cli/" + chreplication.Version),
	}
	if a.language != "" {
		opts = append(opts, chreplication.WithLanguage(a.language))
	}
	if a.insecure {
		opts = append(opts, chreplication.WithInsecureHTTP())
	}
	if perSecond > 0 {
		opts = append(opts, chreplication.WithRateLimit(perSecond, rateBurst(perSecond)))
	}
	if events != nil {
		opts = append(opts, chreplication.WithEventHook(events.event))
	}
	return opts
}

// eventLines is where the client's event lines go: stderr (stdout may carry
// the one JSON document). The waits a client expects (a job not visible
// yet, a busy instance, a throttled request) are quiet: on a terminal they
// show in the live progress line of the job waited for, otherwise as one
// short line per job, operation or kind; verbose prints every one in full.
// While apply draws live lines on the terminal that stderr also shows, the
// lines go through its board (which writes them to stderr too), so that the
// board knows where its lines are. It is safe for concurrent use, as
// apply's parallel instances need.
type eventLines struct {
	mu      sync.Mutex
	w       io.Writer
	verbose bool
	draw    func(string)            // nil: write to w
	live    map[string]func(string) // a job's live progress line, which shows its waits
	said    map[string]bool         // the short lines already written
}

// event writes what e says, as the CLI's flags ask.
func (e *eventLines) event(ev chreplication.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.verbose || !expectedWait(ev.Kind) {
		e.printLocked(describeEvent(ev))
		return
	}
	if show := e.live[ev.JobID]; ev.JobID != "" && show != nil {
		show(shortWait(ev, false))
		return
	}
	key := ev.Kind.String()
	switch ev.Kind {
	case chreplication.EventJobNotVisible:
		key += " " + ev.JobID
	case chreplication.EventInstanceBusy:
		key += " " + ev.Operation
	case chreplication.EventRateWait:
		// One line for each 10 s of the schedule the waits reach: a long
		// throttle is never silent, and many waiting requests are one line.
		key += " " + time.Now().Add(ev.Delay).Truncate(10*time.Second).String()
	}
	if e.said[key] {
		return
	}
	if e.said == nil {
		e.said = map[string]bool{}
	}
	e.said[key] = true
	e.printLocked("chreplication: waiting: " + shortWait(ev, true))
}

// expectedWait reports whether a wait of kind k is one a client expects,
// and so quiet.
func expectedWait(k chreplication.EventKind) bool {
	switch k {
	case chreplication.EventJobNotVisible, chreplication.EventInstanceBusy, chreplication.EventThrottled, chreplication.EventRateWait:
		return true
	}
	return false
}

// shortWait says in a few words what the client waits for; named says
// which job or operation.
func shortWait(ev chreplication.Event, named bool) string {
	switch ev.Kind {
	case chreplication.EventJobNotVisible:
		if named {
			return "job " + printable(ev.JobID) + " not visible yet"
		}
		return "not visible yet"
	case chreplication.EventInstanceBusy:
		if named {
			return "the instance is busy with another operation; " + printable(ev.Operation) + " will be sent again"
		}
		return "instance busy"
	case chreplication.EventThrottled:
		if named {
			return "throttled by the API gateway; requests are sent again, more slowly"
		}
		return "throttled"
	case chreplication.EventRateWait:
		next := time.Now().Add(ev.Delay).Format("15:04:05")
		if named {
			return fmt.Sprintf("throttled: the next request (%s) goes at %s, in %s, within the gateway's limit", printable(ev.Operation), next, ev.Delay.Round(time.Second))
		}
		return fmt.Sprintf("throttled: next look at %s (in %s)", next, ev.Delay.Round(time.Second))
	}
	return printable(ev.Kind.String())
}

// follow shows the waits for job jobID through show (a live progress
// line) until unfollow.
func (e *eventLines) follow(jobID string, show func(string)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.live == nil {
		e.live = map[string]func(string){}
	}
	e.live[jobID] = show
}

func (e *eventLines) unfollow(jobID string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.live, jobID)
}

func (e *eventLines) printLocked(line string) {
	if e.draw != nil {
		e.draw(line)
		return
	}
	fmt.Fprintln(e.w, line)
}

// through sends the lines to draw (nil: back to w).
func (e *eventLines) through(draw func(string)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.draw = draw
}

// describeEvent says in one line what the client is waiting for, with the
// whole answer that made it wait (--verbose).
func describeEvent(e chreplication.Event) string {
	answer := ""
	if e.Err != nil {
		answer = "HTTP " + strconv.Itoa(e.Err.StatusCode)
		if e.Err.Code != "" {
			answer += " " + e.Err.Code
		}
		if e.Err.Message != "" {
			answer += ": " + e.Err.Message
		}
		if e.Err.RequestID != "" {
			answer += " (request ID " + e.Err.RequestID + ")"
		}
		answer = ": " + printable(answer)
	}
	delay := e.Delay.Round(10 * time.Millisecond)
	switch e.Kind {
	case chreplication.EventInstanceBusy:
		return fmt.Sprintf("chreplication: the instance is busy with another operation; sending %s again in %s (attempt %d)%s",
			printable(e.Operation), delay, e.Attempt+1, answer)
	case chreplication.EventJobNotVisible:
		return fmt.Sprintf("chreplication: job %s is not visible yet; looking again in %s (%s since the wait began)%s",
			printable(e.JobID), delay, e.Elapsed.Round(100*time.Millisecond), answer)
	case chreplication.EventThrottled:
		return fmt.Sprintf("chreplication: the API gateway throttled %s; sending it again in %s (attempt %d)%s",
			printable(e.Operation), delay, e.Attempt+1, answer)
	case chreplication.EventRateWait:
		return fmt.Sprintf("chreplication: %s waits %s for its turn in the request budget (the gateway's throttle); nothing is sent meanwhile",
			printable(e.Operation), delay)
	}
	return fmt.Sprintf("chreplication: %s: waiting %s before trying %s again%s", printable(e.Kind.String()), delay, printable(e.Operation), answer)
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
	if c.events == nil {
		c.events = &eventLines{w: c.stderr, verbose: a.verbose}
	}
	client, err := a.client(c.getenv, c.events, c.tel...)
	// The problems the command noted, with those of the client's flags.
	if err := c.check(err); err != nil {
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
