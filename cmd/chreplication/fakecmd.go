package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/gaussdb-tools/chreplication/auth"
	"github.com/gaussdb-tools/chreplication/fake"
)

// fromEnv is printed in place of a credential the user's environment
// supplied: those may be real secrets and are never echoed.
const fromEnv = "(from your environment)"

// fakeVisibilityDelay is how long the fake command hides a new job by
// default: the service takes "a few seconds" before a job can be queried;
// one second, with the default job duration, shows the job running once it
// shows up.
const fakeVisibilityDelay = time.Second

var fakeCmd = &command{
	name:     "fake",
	summary:  "serve a fake of the API on your machine until interrupted",
	synopsis: "fake [--addr 127.0.0.1:8080] [--rate-limit N] [--control=false] [--job-duration 2s] [--job-visibility-delay 1s] [--one-operation-per-instance=false] [--quiet]",
	details: `
Serve a fake of the GaussDB(for MySQL) ClickHouse replication API, checked
against the same OpenAPI spec as the client, for trying the CLI and for
testing clients in any language. Replications and jobs live in memory; jobs
go Pending, Running (process rising), Completed in --job-duration. The fake
also serves IAM's POST /v3/auth/tokens.

It behaves as the service does in two ways a client must cope with:
  - a new job is not visible for --job-visibility-delay: until then
    ShowGaussMySqlJobInfo answers 400 DBS.200543 naming the job, as for a job
    that does not exist (0 shows jobs at once);
  - an instance runs one operation at a time: while a job runs on an
    instance, a write to that instance (a create, a delete, any operation
    that starts a job) is refused with 409 DBS.200019 and changes nothing, so
    it is safe to send again later (--one-operation-per-instance=false
    accepts every write). Reads are never refused.
With --rate-limit N it also throttles as the API gateway does: beyond N
requests a second per credential, a request is answered 429 APIGW.0308,
its policy in the error_msg (limit:N,time:1 second) as Huawei's gateway
writes it. Go tests can make other gateways with fake.WithGateway.

On a loopback address it serves control routes, for tests in any language
(--control=false leaves them out; they need no credentials, answer only
requests from a loopback address, and refuse a web page's request from
another site and a body that is not Content-Type: application/json):
  POST   /_fake/replications/{instance}/{database}/state  what the list shows of a task (status, stage, percentage)
  POST   /_fake/faults, DELETE /_fake/faults             inject a fault (status, body, delay, times) or clear them
  POST   /_fake/jobs/fail-next                           make the next job end Failed
  POST   /_fake/jobs/advance, POST /_fake/jobs/finish    move jobs on, or end them
  POST   /_fake/rate-limit                               change the rate limit ({"per_second": N})

It accepts the credentials set in the environment (HUAWEICLOUD_AUTH_TOKEN,
HUAWEICLOUD_SDK_AK + HUAWEICLOUD_SDK_SK, HUAWEICLOUD_IAM_USER +
HUAWEICLOUD_IAM_PASSWORD + HUAWEICLOUD_IAM_DOMAIN) and the project
HUAWEICLOUD_SDK_PROJECT_ID, and makes up those that are not set. It prints the
endpoint, the project and the credentials to use as shell 'export' lines
(credentials from your environment are not printed), logs one line per request
on stderr, and serves until interrupted (Ctrl-C or SIGTERM: exit 130, as watch and exporter).`,
	example: `  chreplication fake --addr 127.0.0.1:8080
  chreplication fake --job-visibility-delay 0 --one-operation-per-instance=false  # every job visible, every write accepted
  # in another shell, paste the export lines it printed, then:
  chreplication create --instance-id 54e42160670e48e789af7075e1efea1fin16 \
      --source-instance-id ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07 --source-database shop --wait`,
	flags: func(fs *pflag.FlagSet) func(context.Context, *cli) error {
		addr := fs.String("addr", "127.0.0.1:8080", "`host:port` to listen on (port 0: any free port)")
		jobDuration := fs.Duration("job-duration", fake.DefaultJobDuration, "how long a job takes from Pending to Completed")
		visibilityDelay := fs.Duration("job-visibility-delay", fakeVisibilityDelay,
			"how long a new job answers as unknown (400 DBS.200543) before it can be queried (0: at once)")
		oneOperation := fs.Bool("one-operation-per-instance", true,
			"refuse a write to an instance while one of its jobs runs (409 DBS.200019); =false accepts every write")
		quiet := fs.Bool("quiet", false, "do not log requests on stderr")
		rateLimit := fs.Int("rate-limit", 0, "throttle beyond `N` requests a second per credential, as the API gateway does (429 APIGW.0308; 0: no limit)")
		control := fs.Bool("control", true, "serve the control routes under /_fake/ (on a loopback address only; off by default on another)")
		return func(ctx context.Context, c *cli) error {
			if *jobDuration < 0 {
				c.note(usageErrorf("--job-duration must not be negative"))
			}
			if *visibilityDelay < 0 {
				c.note(usageErrorf("--job-visibility-delay must not be negative"))
			}
			if *rateLimit < 0 {
				c.note(usageErrorf("--rate-limit must not be negative"))
			}
			if _, port, err := net.SplitHostPort(*addr); err != nil || port == "" {
				hint := "want host:port, such as 127.0.0.1:8080 (port 0: any free port)"
				if _, nerr := strconv.ParseUint(*addr, 10, 16); nerr == nil {
					hint = "want host:port: did you mean --addr 127.0.0.1:" + *addr + "?"
				}
				c.note(usageErrorf("invalid --addr %s: %s", quoted(*addr), hint))
			}
			everywhere := unspecifiedHost(*addr)
			if everywhere && *control && fs.Changed("control") {
				c.note(usageErrorf("--control serves the control routes on a loopback address only: give --addr 127.0.0.1:PORT, or leave out --control"))
			}
			opts, given, err := fakeCredentials(c.getenv)
			if err := c.check(err); err != nil {
				return err
			}
			opts = append(opts, fake.WithAddr(*addr), fake.WithJobDuration(*jobDuration),
				fake.WithJobVisibilityDelay(*visibilityDelay), fake.WithRateLimit(*rateLimit))
			if *control && isLoopbackAddr(*addr) {
				opts = append(opts, fake.WithControl())
			}
			if *oneOperation {
				opts = append(opts, fake.WithOneOperationPerInstance())
			}
			if !*quiet {
				opts = append(opts, fake.WithLogger(slog.New(slog.NewTextHandler(c.stderr, nil))))
			}
			s, err := fake.NewServer(opts...)
			var opErr *net.OpError
			switch {
			case errors.As(err, &opErr):
				// Listening failed (a taken port, an address not ours).
				return fmt.Errorf("starting the fake on %s: %w", *addr, err)
			case err != nil:
				// The fake refused a setting (such as the project ID
				// from the environment): the user's to fix.
				return usageErrorf("%s", strings.TrimPrefix(err.Error(), "fake: "))
			}
			defer s.Close()
			endpoint := s.URL()
			if everywhere {
				// 0.0.0.0 is no address to send to: print the loopback
				// address of the same port, which the CLI accepts.
				endpoint = loopbackURL(s.URL())
				fmt.Fprintf(c.stderr, "chreplication fake: warning: listening on every interface (%s): anyone who can reach this machine can use the fake and its credentials; the endpoint printed is the loopback address, %s\n", printable(listenAddr(*addr, s.URL())), endpoint)
			}
			printFakeEnv(c.stdout, s, endpoint, given, fakeBehaviour{*visibilityDelay, *oneOperation, *rateLimit, *control && isLoopbackAddr(*addr)})
			<-ctx.Done()
			fmt.Fprintln(c.stderr, "chreplication fake: stopping")
			s.Close()
			if errors.Is(ctx.Err(), context.Canceled) {
				return fmt.Errorf("interrupted: %w", ctx.Err()) // 130, as watch and exporter
			}
			return nil // --timeout ended it
		}
	},
}

// givenCreds records which credentials came from the user's environment.
type givenCreds struct {
	project, token, aksk, iam bool
}

// fakeCredentials turns the credential variables that are set into fake
// options. A way that is only partly set is a usage error, as for the API
// commands.
func fakeCredentials(getenv func(string) string) ([]fake.Option, givenCreds, error) {
	get := func(name string) string { return strings.TrimSpace(getenv(name)) }
	var (
		opts  []fake.Option
		given givenCreds
	)
	if p := get(auth.EnvProjectID); p != "" {
		opts = append(opts, fake.WithProjectID(p))
		given.project = true
	}
	if t := getenv(auth.EnvAuthToken); strings.TrimSpace(t) != "" {
		// Refuse what a client would refuse to send, with the same words.
		if err := auth.StaticToken(t).(auth.Validator).Validate(); err != nil {
			return nil, given, usageErrorf("%s: %s", auth.EnvAuthToken, strings.TrimPrefix(err.Error(), "auth: "))
		}
		opts = append(opts, fake.WithToken(t))
		given.token = true
	}
	ak, sk := getenv(auth.EnvAccessKey), getenv(auth.EnvSecretKey)
	switch {
	case strings.TrimSpace(ak) != "" && strings.TrimSpace(sk) != "":
		if err := (auth.AKSK{AccessKey: ak, SecretKey: sk}).Validate(); err != nil {
			return nil, given, usageErrorf("%s/%s: %s", auth.EnvAccessKey, auth.EnvSecretKey, strings.TrimPrefix(err.Error(), "auth: "))
		}
		opts = append(opts, fake.WithAccessKey(ak, sk))
		given.aksk = true
	case strings.TrimSpace(ak) != "" || strings.TrimSpace(sk) != "":
		return nil, given, usageErrorf("set both %s and %s, or neither", auth.EnvAccessKey, auth.EnvSecretKey)
	}
	user, password, domain := getenv(auth.EnvIAMUser), getenv(auth.EnvIAMPassword), getenv(auth.EnvIAMDomain)
	n := 0
	for _, v := range []string{user, password, domain} {
		if strings.TrimSpace(v) != "" {
			n++
		}
	}
	switch n {
	case 3:
		opts = append(opts, fake.WithIAMUser(domain, user, password))
		given.iam = true
	case 1, 2:
		return nil, given, usageErrorf("set all of %s, %s and %s, or none", auth.EnvIAMUser, auth.EnvIAMPassword, auth.EnvIAMDomain)
	}
	return opts, given, nil
}

// fakeBehaviour is what the fake command was told of the service's
// behaviour, for printFakeEnv to say.
type fakeBehaviour struct {
	visibilityDelay time.Duration
	oneOperation    bool
	rateLimit       int
	control         bool
}

// unspecifiedHost reports whether addr (host:port) listens on every
// interface: 0.0.0.0, ::, or no host.
func unspecifiedHost(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsUnspecified()
}

// isLoopbackAddr reports whether addr (host:port) is on a loopback
// address or localhost.
func isLoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// listenAddr is addr (as given, such as 0.0.0.0:0) with the port the fake
// at u listens on.
func listenAddr(addr, u string) string {
	host, _, err := net.SplitHostPort(addr)
	_, port, err2 := net.SplitHostPort(strings.TrimPrefix(u, "http://"))
	if err != nil || err2 != nil {
		return addr
	}
	return net.JoinHostPort(host, port)
}

// loopbackURL is u (http://HOST:PORT) with the loopback address in place
// of the host.
func loopbackURL(u string) string {
	hostport := strings.TrimPrefix(u, "http://")
	_, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return u
	}
	return "http://" + net.JoinHostPort("127.0.0.1", port)
}

// printFakeEnv prints what a client needs to use the fake, as lines a shell
// can run: export lines, and comments for the rest.
func printFakeEnv(w io.Writer, s *fake.Server, url string, given givenCreds, b fakeBehaviour) {
	ak, sk := s.AccessKey()
	domain, user, password := s.IAMUser()
	var out strings.Builder
	fmt.Fprintf(&out, "# Fake GaussDB(for MySQL) ClickHouse replication API on %s, serving until interrupted (Ctrl-C).\n", url)
	if b.visibilityDelay > 0 {
		fmt.Fprintf(&out, "# A new job answers 400 %s (unknown job) for its first %s, as on the service.\n", fake.CodeJobNotFound, b.visibilityDelay)
	}
	if b.oneOperation {
		fmt.Fprintf(&out, "# An instance runs one operation at a time: a write while one of its jobs runs gets 409 %s.\n", fake.CodeInstanceBusy)
	}
	if b.rateLimit > 0 {
		fmt.Fprintf(&out, "# Beyond %d requests a second per credential, a request gets 429 %s, as from the API gateway.\n", b.rateLimit, fake.CodeThrottled)
	}
	if b.control {
		fmt.Fprintf(&out, "# Control routes under %s%s (see 'chreplication fake --help').\n", url, strings.TrimSuffix(fake.ControlPrefix, "/"))
	}
	out.WriteString("# Point a client at it with these variables (paste them into a shell):\n")
	fmt.Fprintf(&out, "export %s=%s\n", envEndpoint, shellQuote(url))
	fmt.Fprintf(&out, "export %s=%s\n", auth.EnvProjectID, shellQuote(s.ProjectID()))
	if given.token {
		fmt.Fprintf(&out, "# %s: the token %s\n", auth.EnvAuthToken, fromEnv)
	} else {
		fmt.Fprintf(&out, "export %s=%s\n", auth.EnvAuthToken, shellQuote(s.Token()))
	}
	if given.aksk {
		fmt.Fprintf(&out, "# %s, %s: the AK/SK pair %s\n", auth.EnvAccessKey, auth.EnvSecretKey, fromEnv)
	} else {
		out.WriteString("# Or sign requests with AK/SK (used first when set):\n")
		fmt.Fprintf(&out, "#   export %s=%s %s=%s\n", auth.EnvAccessKey, shellQuote(ak), auth.EnvSecretKey, shellQuote(sk))
	}
	if given.iam {
		fmt.Fprintf(&out, "# %s, %s, %s: the IAM user %s; with\n", auth.EnvIAMUser, auth.EnvIAMPassword, auth.EnvIAMDomain, fromEnv)
		fmt.Fprintf(&out, "#   export %s=%s\n", auth.EnvIAMEndpoint, shellQuote(url))
	} else {
		out.WriteString("# Or get an IAM token from the fake with a password (used when neither of the above is set):\n")
		fmt.Fprintf(&out, "#   export %s=%s %s=%s %s=%s %s=%s\n",
			auth.EnvIAMEndpoint, shellQuote(url),
			auth.EnvIAMDomain, shellQuote(domain), auth.EnvIAMUser, shellQuote(user), auth.EnvIAMPassword, shellQuote(password))
	}
	out.WriteString("# Then, for example:\n")
	out.WriteString("#   chreplication create --instance-id 54e42160670e48e789af7075e1efea1fin16 --source-instance-id ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07 --source-database shop --wait\n")
	out.WriteString("#   chreplication list --instance-id 54e42160670e48e789af7075e1efea1fin16\n")
	_, _ = io.WriteString(w, out.String())
}

// shellQuote quotes s for a POSIX shell when it holds anything but safe
// characters.
func shellQuote(s string) string {
	safe := s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && !strings.ContainsRune("-_./:=@%+,", r)
	})
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
