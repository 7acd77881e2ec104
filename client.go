package chreplication

import (
	"errors"
	"math"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gaussdb-tools/chreplication/auth"
	"github.com/gaussdb-tools/chreplication/generated"
)

// Client calls the GaussDB(for MySQL) ClickHouse replication API of one
// project. Build it with NewClient. A Client is safe for concurrent use by
// many goroutines and should be reused: it keeps connections alive.
type Client struct {
	endpoint   string // absolute, ends in "/"
	projectID  string
	gen        *generated.Client // the generated client every call goes through
	auth       auth.Authenticator
	reauth     auth.Reauthenticator // nil when auth cannot refresh
	http       *http.Client
	language   *generated.XLanguage // the X-Language header; nil sends none
	userAgent  string
	retry      RetryPolicy
	timeout    time.Duration
	maxBody    int64
	maxErrBody int64
	onEvent    func(Event) // WithEventHook; nil: no hook
	insecure   bool        // WithInsecureHTTP: plain http to any host
	budget     *budget     // every request passes it (WithRateLimit)
	tel        *telemetry  // WithTracerProvider, WithMeterProvider; nil: none
}

// Option configures a Client in NewClient.
type Option func(*Client) error

// Defaults used by NewClient.
const (
	// DefaultTimeout bounds one API call (all its attempts) when the
	// caller's context has no deadline.
	DefaultTimeout = 60 * time.Second
	// DefaultMaxResponseBytes bounds the body of a successful answer.
	DefaultMaxResponseBytes = 8 << 20
	// maxErrorBytes bounds the body of an error answer.
	maxErrorBytes = 64 << 10
)

// NewClient returns a client for the API at endpoint, such as the value of
// RegionEndpoint("cn-north-4") or the URL of a fake server. WithProjectID
// and WithAuth are required; the other options have defaults. Bad options
// return an error wrapping ErrInvalidRequest; nothing is sent.
func NewClient(endpoint string, opts ...Option) (*Client, error) {
	ep, err := checkEndpoint(endpoint)
	if err != nil {
		return nil, err
	}
	c := &Client{
		endpoint:   ep,
		userAgent:  userAgent,
		retry:      DefaultRetryPolicy(),
		timeout:    DefaultTimeout,
		maxBody:    DefaultMaxResponseBytes,
		maxErrBody: maxErrorBytes,
		budget:     newBudget(wallClock{}, math.Inf(1), 1), // no limit until a 429
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(c); err != nil {
			return nil, err
		}
	}
	if err := checkPlainHTTP(c.endpoint, c.insecure); err != nil {
		return nil, err
	}
	if c.projectID == "" {
		return nil, invalid("projectID", "is required: use WithProjectID")
	}
	if c.auth == nil {
		return nil, invalid("auth", "is required: use WithAuth")
	}
	if c.http == nil {
		c.http = &http.Client{Transport: defaultTransport}
	}
	// Redirects are never followed: the API has none, and net/http would
	// forward X-Auth-Token (and a signature) to whatever host a redirect
	// names. A 3xx answer becomes an *APIError.
	hc := *c.http
	hc.CheckRedirect = noRedirects
	c.http = &hc
	// Every call goes through the generated client: it builds the request
	// from the spec, the editors name the client and add the credentials,
	// and the doer sends it (retries, size limits, re-authentication).
	gen, err := generated.NewClient(c.endpoint,
		generated.WithHTTPClient(doer{c}),
		generated.WithRequestEditorFn(c.setUserAgent),
		generated.WithRequestEditorFn(c.authenticate))
	if err != nil {
		return nil, invalid("endpoint", "is not usable: "+err.Error())
	}
	c.gen = gen
	return c, nil
}

func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// defaultTransport is shared by the clients built without WithHTTPClient.
// It keeps more idle connections per host than net/http's default of 2, so
// that many goroutines sharing a client reuse connections instead of
// opening new ones.
var defaultTransport = func() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 128
	t.IdleConnTimeout = 90 * time.Second
	t.ResponseHeaderTimeout = DefaultTimeout
	return t
}()

func checkEndpoint(endpoint string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(endpoint))
	if err != nil {
		return "", invalid("endpoint", "is not a URL")
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return "", invalid("endpoint", "must be an http or https URL, such as https://gaussdb.cn-north-4.myhuaweicloud.com")
	case u.Host == "":
		return "", invalid("endpoint", "has no host")
	case u.User != nil:
		// Never echo the URL: it holds credentials.
		return "", invalid("endpoint", "must not hold a user name or password")
	case u.RawQuery != "" || u.Fragment != "":
		return "", invalid("endpoint", "must not have a query or fragment")
	}
	if _, port, err := net.SplitHostPort(u.Host); err == nil && port == "" {
		return "", invalid("endpoint", "has an empty port")
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	u.RawPath = ""
	return u.String(), nil
}

// checkPlainHTTP refuses an http:// endpoint whose host is not loopback,
// unless insecure: a token or a signed request would cross the network in
// clear text. Loopback (127.0.0.0/8, ::1, localhost) is where the fake runs.
func checkPlainHTTP(endpoint string, insecure bool) error {
	u, err := url.Parse(endpoint)
	if err != nil {
		return invalid("endpoint", "is not a URL")
	}
	if u.Scheme != "http" || insecure || isLoopback(u.Hostname()) {
		return nil
	}
	return invalid("endpoint", quote(endpoint)+" is plain http to a host that is not loopback: credentials would travel in clear text; use https, or WithInsecureHTTP to allow it")
}

// isLoopback reports whether host is localhost or a loopback IP address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// WithInsecureHTTP allows a plain http:// endpoint on a host that is not
// loopback. Without it NewClient refuses one, because tokens and signed
// requests would travel in clear text; http to 127.0.0.0/8, ::1 and
// localhost (a fake server) is always allowed.
func WithInsecureHTTP() Option {
	return func(c *Client) error {
		c.insecure = true
		return nil
	}
}

// WithProjectID sets the project the client works in (required): the
// 32-hex project ID of the tenant in the region.
func WithProjectID(projectID string) Option {
	return func(c *Client) error {
		if err := checkID("projectID", projectID); err != nil {
			return err
		}
		c.projectID = projectID
		return nil
	}
}

// WithAuth sets how requests are authenticated (required): auth.StaticToken,
// the AK/SK signer, an IAM token source, or any auth.Authenticator. If a sets
// credentials that can be refreshed (auth.Reauthenticator), a request the API
// answers with 401 is retried once with fresh credentials.
func WithAuth(a auth.Authenticator) Option {
	return func(c *Client) error {
		if a == nil {
			return invalid("auth", "must not be nil")
		}
		if v, ok := a.(auth.Validator); ok {
			if err := v.Validate(); err != nil {
				return errors.Join(invalid("auth", "is not usable"), err)
			}
		}
		c.auth = a
		c.reauth, _ = a.(auth.Reauthenticator)
		return nil
	}
}

// WithHTTPClient sets the HTTP client used to send requests; by default a
// client with a shared, connection-pooling transport is used. The client is
// copied, and the copy never follows redirects.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error {
		if hc == nil {
			return invalid("httpClient", "must not be nil")
		}
		c.http = hc
		return nil
	}
}

// WithLanguage sets the X-Language header: "en-us" (the API's default) or
// "zh-cn", the language of error messages.
func WithLanguage(lang string) Option {
	return func(c *Client) error {
		if err := checkLanguage(lang); err != nil {
			return err
		}
		l := generated.XLanguage(lang)
		c.language = &l
		return nil
	}
}

// WithUserAgent puts product (such as "myapp/1.2") in front of the client's
// own User-Agent.
func WithUserAgent(product string) Option {
	return func(c *Client) error {
		product = strings.TrimSpace(product)
		if strings.ContainsFunc(product, func(r rune) bool { return r < ' ' || r == 0x7f }) {
			return invalid("userAgent", "must not contain control characters")
		}
		if product != "" {
			c.userAgent = product + " " + userAgent
		}
		return nil
	}
}

// WithTimeout bounds each API call, all its attempts included, when the
// caller's context has no deadline of its own. Zero means no bound; the
// default is DefaultTimeout.
func WithTimeout(d time.Duration) Option {
	return func(c *Client) error {
		if d < 0 {
			return invalid("timeout", "must not be negative")
		}
		c.timeout = d
		return nil
	}
}

// WithRetry sets how failed calls are retried; see RetryPolicy. The default
// is DefaultRetryPolicy().
func WithRetry(p RetryPolicy) Option {
	return func(c *Client) error {
		if p.MaxAttempts < 0 || p.BaseDelay < 0 || p.MaxDelay < 0 {
			return invalid("retry", "must not have negative values")
		}
		c.retry = p
		return nil
	}
}

// WithoutRetry turns retries off: every call is sent once (a request
// rejected with 401 is still re-sent once with refreshed credentials).
func WithoutRetry() Option { return WithRetry(RetryPolicy{MaxAttempts: 1}) }

// WithMaxResponseBytes bounds the body of a successful answer (default
// DefaultMaxResponseBytes). A larger body gives an error wrapping
// ErrResponseTooLarge.
func WithMaxResponseBytes(n int64) Option {
	return func(c *Client) error {
		if n <= 0 {
			return invalid("maxResponseBytes", "must be positive")
		}
		c.maxBody = n
		return nil
	}
}

// ProjectID returns the project the client works in.
func (c *Client) ProjectID() string { return c.projectID }

// Endpoint returns the API endpoint, ending in "/".
func (c *Client) Endpoint() string { return c.endpoint }
