package fake

import (
	"errors"
	"log/slog"
	"time"
)

// Defaults of the options.
const (
	// DefaultTokenLifetime is how long a token issued by the fake's IAM
	// endpoint is accepted, as on Huawei Cloud.
	DefaultTokenLifetime = 24 * time.Hour
	// DefaultJobDuration is how long a job takes from Pending to its end in
	// wall-clock mode.
	DefaultJobDuration = 2 * time.Second
	// DefaultMaxSkew is how far the X-Sdk-Date of an AK/SK-signed request
	// may be from the fake's clock, as on the Huawei Cloud API gateway.
	DefaultMaxSkew = 15 * time.Minute
	// DefaultRequestLogSize is how many requests Requests keeps.
	DefaultRequestLogSize = 10000
)

// JobMode says what moves a job from one step of its lifecycle to the next.
type JobMode int

const (
	// JobsWallClock moves jobs with the clock: a job takes the job duration
	// (WithJobDuration) from Pending to its end, in evenly spaced steps.
	JobsWallClock JobMode = iota
	// JobsStepOnPoll moves a job one step each time ShowGaussMySqlJobInfo
	// shows it: the answer shows the job as it was, then the job moves on.
	// Polling a new job therefore shows Pending, Running 20%, 40%, 60%,
	// 80%, then Completed (or Failed), six answers in all. A poll that does
	// not see the job (WithJobVisibilityDelay) does not move it.
	JobsStepOnPoll
	// JobsManual moves jobs only when the test calls Server.Advance or
	// Server.FinishJobs.
	JobsManual
)

// String returns the name of the mode.
func (m JobMode) String() string {
	switch m {
	case JobsWallClock:
		return "wall-clock"
	case JobsStepOnPoll:
		return "step-on-poll"
	case JobsManual:
		return "manual"
	default:
		return "unknown"
	}
}

// An Option configures a Server made by NewServer.
type Option func(*config)

type config struct {
	addr           string
	projectID      string
	token          *string
	ak, sk         *string
	securityToken  string
	iamDomain      *string
	iamUser        *string
	iamPassword    *string
	tokenLifetime  time.Duration
	jobMode        JobMode
	jobDuration    time.Duration
	now            func() time.Time
	logger         *slog.Logger
	maxSkew        time.Duration
	requestLogSize int
	instanceName   func(instanceID string) string
	// jobVisibilityDelay hides a new job from ShowGaussMySqlJobInfo for
	// that long; oneOperation refuses a write to an instance that runs a job.
	jobVisibilityDelay time.Duration
	oneOperation       bool
	sources            map[string][]string // WithSourceDatabases, by instance ID
	rateLimit          int                 // WithRateLimit: requests a second per credential
	gateway            Gateway             // WithGateway (its Limit is rateLimit)
	control            bool                // WithControl
}

func defaultConfig() config {
	return config{
		addr:           "127.0.0.1:0",
		tokenLifetime:  DefaultTokenLifetime,
		jobMode:        JobsWallClock,
		jobDuration:    DefaultJobDuration,
		now:            time.Now,
		maxSkew:        DefaultMaxSkew,
		requestLogSize: DefaultRequestLogSize,
	}
}

func (c *config) check() error {
	var errs []error
	if c.projectID != "" && !isID(c.projectID) {
		errs = append(errs, errors.New("WithProjectID: the project ID must match ^[A-Za-z0-9][A-Za-z0-9_-]*$ (at most 64 characters)"))
	}
	if c.token != nil && *c.token == "" {
		errs = append(errs, errors.New("WithToken: empty token"))
	}
	if c.ak != nil && (*c.ak == "" || *c.sk == "") {
		errs = append(errs, errors.New("WithAccessKey: empty access key or secret key"))
	}
	if c.iamUser != nil && (*c.iamDomain == "" || *c.iamUser == "" || *c.iamPassword == "") {
		errs = append(errs, errors.New("WithIAMUser: empty domain, user name or password"))
	}
	if c.tokenLifetime <= 0 {
		errs = append(errs, errors.New("WithTokenLifetime: the lifetime must be positive"))
	}
	if c.jobDuration < 0 {
		errs = append(errs, errors.New("WithJobDuration: the duration must not be negative"))
	}
	if c.now == nil {
		errs = append(errs, errors.New("WithClock: nil clock"))
	}
	if c.maxSkew <= 0 {
		errs = append(errs, errors.New("WithMaxSkew: the skew must be positive"))
	}
	if c.jobVisibilityDelay < 0 {
		errs = append(errs, errors.New("WithJobVisibilityDelay: the delay must not be negative"))
	}
	if c.requestLogSize < 0 {
		errs = append(errs, errors.New("WithRequestLogSize: the size must not be negative"))
	}
	errs = append(errs, checkSources(c.sources)...)
	if err := checkRateLimit(c.rateLimit); err != nil {
		errs = append(errs, err)
	}
	if err := checkGateway(c.gateway); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// WithAddr makes the server listen on addr (host:port) instead of
// 127.0.0.1 on a port the system picks.
func WithAddr(addr string) Option {
	return func(c *config) { c.addr = addr }
}

// WithProjectID sets the project ID the fake serves; requests for any other
// project are answered 403. By default the fake makes up a 32-hex ID.
func WithProjectID(projectID string) Option {
	return func(c *config) { c.projectID = projectID }
}

// WithToken sets a static token the fake accepts in X-Auth-Token. By default
// the fake makes one up (see Server.Token). An empty token makes NewServer fail.
func WithToken(token string) Option {
	return func(c *config) { c.token = &token }
}

// WithAccessKey sets the access key and secret key whose AK/SK signatures
// the fake accepts. By default the fake makes a pair up (see
// Server.AccessKey). An empty key makes NewServer fail.
func WithAccessKey(ak, sk string) Option {
	return func(c *config) { c.ak, c.sk = &ak, &sk }
}

// WithSecurityToken makes the fake require, on AK/SK-signed requests, the
// X-Security-Token of temporary credentials (signed, as the signature
// covers it). By default the fake does not check X-Security-Token beyond
// the signature.
func WithSecurityToken(token string) Option {
	return func(c *config) { c.securityToken = token }
}

// WithIAMUser sets the IAM user whose password the fake's IAM endpoint
// (POST /v3/auth/tokens) exchanges for a token. By default the fake makes
// one up (see Server.IAMUser). An empty value makes NewServer fail.
func WithIAMUser(domain, user, password string) Option {
	return func(c *config) { c.iamDomain, c.iamUser, c.iamPassword = &domain, &user, &password }
}

// WithTokenLifetime sets how long a token issued by the fake's IAM endpoint
// is accepted (DefaultTokenLifetime when not set). It must be positive.
func WithTokenLifetime(d time.Duration) Option {
	return func(c *config) { c.tokenLifetime = d }
}

// WithJobDuration selects JobsWallClock mode in which a job takes d from
// Pending to its end (DefaultJobDuration when not set). Zero makes every
// job end as soon as it is created.
func WithJobDuration(d time.Duration) Option {
	return func(c *config) { c.jobMode, c.jobDuration = JobsWallClock, d }
}

// WithJobMode selects what moves jobs along (JobsWallClock when not set).
// JobsStepOnPoll and JobsManual are deterministic and meant for tests.
func WithJobMode(m JobMode) Option {
	return func(c *config) { c.jobMode = m }
}

// WithClock sets the clock the fake reads for token expiry, job timestamps,
// wall-clock job progress, job visibility (WithJobVisibilityDelay), the
// seconds of the rate limit (WithRateLimit) and Request.Time (time.Now when
// not set). The
// X-Sdk-Date of AK/SK-signed requests is checked against the system clock
// (auth.Verifier's), not this one. It must be safe for concurrent use.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.now = now }
}

// WithLogger makes the server log one line per request (method, path,
// operation, status, request ID; never a header value or a body) and its
// own errors. By default it logs nothing.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger = l }
}

// WithMaxSkew sets how far the X-Sdk-Date of an AK/SK-signed request may be
// from the fake's clock (DefaultMaxSkew when not set).
func WithMaxSkew(d time.Duration) Option {
	return func(c *config) { c.maxSkew = d }
}

// WithRequestLogSize sets how many of the latest requests Server.Requests
// keeps (DefaultRequestLogSize when not set; 0 keeps none). Server.RequestCount
// counts every request whatever the size.
func WithRequestLogSize(n int) Option {
	return func(c *config) { c.requestLogSize = n }
}

// WithInstanceName sets how the fake names an instance in the jobs it shows
// (by default "clickhouse-" and the first 8 characters of the instance ID).
func WithInstanceName(name func(instanceID string) string) Option {
	return func(c *config) { c.instanceName = name }
}

// WithJobVisibilityDelay makes every new job invisible to
// ShowGaussMySqlJobInfo for d after it was created, on the fake's clock (see
// WithClock), as on the real service, where "it usually takes a few seconds
// before a job's ID can be queried". Until then ShowGaussMySqlJobInfo
// answers what it answers for a job that does not exist: 400
// CodeJobNotFound, with a message that names the job. The job runs all the
// same (in JobsStepOnPoll mode, a poll that does not see it does not move
// it), Server.Job shows it, and the replication of a create is listed at
// once. Zero, the default, shows jobs as soon as they are created. A
// negative d makes NewServer fail.
func WithJobVisibilityDelay(d time.Duration) Option {
	return func(c *config) { c.jobVisibilityDelay = d }
}

// WithOneOperationPerInstance makes an instance (the instance_id of the
// path) run one operation at a time, as on the real service: while a job
// started on an instance has not ended, a write to that instance is refused
// with 409 and CodeInstanceBusy. A write is a request of any operation of
// the spec that answers a job_id (create, delete, and those added later),
// checked after the request's credentials and validation, except
// DeleteClickHouseDataBaseConfig, which stops the unfinished scope change
// that keeps the instance busy. The refusal
// changes nothing: no replication, no job, no failure queued by
// FailNextJob is touched, and the request log shows the 409. Reads (every
// GET, and any request whose answer names no job) are never refused. A job
// not visible yet (WithJobVisibilityDelay) runs all the same and keeps its
// instance busy; in JobsManual mode, a test ends jobs with
// Server.FinishJobs or Server.Advance. By default no write is refused.
func WithOneOperationPerInstance() Option {
	return func(c *config) { c.oneOperation = true }
}
