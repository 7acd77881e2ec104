package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/auth"
	"github.com/gaussdb-tools/chreplication/generated"
)

// contender is one way of making each of the three calls. Each function
// returns what a caller would look at, so tests can check that every
// contender gets the same answer.
type contender struct {
	name   string
	create func(context.Context) (string, error) // the job ID
	list   func(context.Context) (int, error)    // the number of tasks in the page
	job    func(context.Context) (string, error) // the job's status
}

// userAgent is the facade's User-Agent header, which the other contenders
// send too.
var userAgent = "chreplication-go/" + chreplication.Version + " (" + runtime.Version() + "; " + runtime.GOOS + "/" + runtime.GOARCH + ")"

// newTransport is configured like the facade's default transport (client.go:
// defaultTransport), so that no contender gets a larger connection pool.
func newTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 128
	t.IdleConnTimeout = 90 * time.Second
	t.ResponseHeaderTimeout = chreplication.DefaultTimeout
	return t
}

// handWritten is the baseline: the calls as one would write them by hand
// with net/http and encoding/json, with the same headers and body as the
// facade, decoding the same fields.
type handWritten struct {
	hc                         *http.Client
	createURL, listURL, jobURL string
}

type hwCreateRequest struct {
	SourceDatabase   string `json:"source_database"`
	SourceInstanceID string `json:"source_instance_id"`
	SourceNodeID     string `json:"source_node_id,omitempty"`
}

type hwReplication struct {
	SourceDatabase string `json:"source_database"`
	TargetDatabase string `json:"target_database"`
	Status         string `json:"status"`
	Stage          string `json:"stage"`
	CatchupStage   string `json:"catchup_stage"`
	Percentage     int    `json:"percentage"`
}

type hwJob struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Status     string `json:"status"`
	Created    string `json:"created"`
	Ended      string `json:"ended"`
	Process    string `json:"process"`
	FailReason string `json:"fail_reason"`
	Instance   struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"instance"`
}

func newHandWritten(baseURL string, rt http.RoundTripper) *handWritten {
	path := baseURL + "/v3/" + projectID + "/instances/" + instanceID + "/clickhouse/replication"
	return &handWritten{
		hc:        &http.Client{Transport: rt},
		createURL: path,
		listURL:   path + "?limit=100",
		jobURL:    baseURL + "/v3/" + projectID + "/jobs?id=" + jobID,
	}
}

func (h *handWritten) header(req *http.Request) {
	req.Header.Set("X-Language", language)
	req.Header.Set("X-Auth-Token", token)
	req.Header.Set("User-Agent", userAgent)
}

// do sends req and decodes a 200 answer into v.
func (h *handWritten) do(req *http.Request, v any) error {
	resp, err := h.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s: %s", req.Method, req.URL.Path, resp.Status, body)
	}
	return json.Unmarshal(body, v)
}

func (h *handWritten) create(ctx context.Context) (string, error) {
	body, err := json.Marshal(hwCreateRequest{SourceDatabase: sourceDatabase, SourceInstanceID: sourceInstanceID})
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.createURL, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	h.header(req)
	var out struct {
		JobID string `json:"job_id"`
	}
	err = h.do(req, &out)
	return out.JobID, err
}

func (h *handWritten) list(ctx context.Context) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.listURL, nil)
	if err != nil {
		return 0, err
	}
	h.header(req)
	var out struct {
		TotalCount   int             `json:"total_count"`
		Replications []hwReplication `json:"replications"`
	}
	err = h.do(req, &out)
	return len(out.Replications), err
}

func (h *handWritten) job(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.jobURL, nil)
	if err != nil {
		return "", err
	}
	h.header(req)
	var out struct {
		Job hwJob `json:"job"`
	}
	err = h.do(req, &out)
	return out.Job.Status, err
}

// newGenerated is oapi-codegen's ClientWithResponses, used directly, with a
// request editor that sets the token and the User-Agent.
func newGenerated(baseURL string, rt http.RoundTripper) (contender, error) {
	gc, err := generated.NewClientWithResponses(baseURL,
		generated.WithHTTPClient(&http.Client{Transport: rt}),
		generated.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
			req.Header.Set("X-Auth-Token", token)
			req.Header.Set("User-Agent", userAgent)
			return nil
		}))
	if err != nil {
		return contender{}, err
	}
	lang := generated.XLanguage(language)
	limit := int32(listPageSize)
	status := func(code int) error { return fmt.Errorf("status %d", code) }
	return contender{
		name: "generated",
		create: func(ctx context.Context) (string, error) {
			r, err := gc.CreateClickHouseDataBaseReplicationWithResponse(ctx, projectID, instanceID,
				&generated.CreateClickHouseDataBaseReplicationParams{XLanguage: &lang},
				generated.CreateReplicationRequest{SourceInstanceID: sourceInstanceID, SourceDatabase: sourceDatabase})
			if err != nil {
				return "", err
			}
			if r.JSON200 == nil {
				return "", status(r.StatusCode())
			}
			return r.JSON200.JobID, nil
		},
		list: func(ctx context.Context) (int, error) {
			r, err := gc.ListClickHouseDataBaseReplicationWithResponse(ctx, projectID, instanceID,
				&generated.ListClickHouseDataBaseReplicationParams{Limit: &limit, XLanguage: &lang})
			if err != nil {
				return 0, err
			}
			if r.JSON200 == nil {
				return 0, status(r.StatusCode())
			}
			return len(r.JSON200.Replications), nil
		},
		job: func(ctx context.Context) (string, error) {
			r, err := gc.ShowGaussMySQLJobInfoWithResponse(ctx, projectID,
				&generated.ShowGaussMySQLJobInfoParams{ID: jobID, XLanguage: &lang})
			if err != nil {
				return "", err
			}
			if r.JSON200 == nil {
				return "", status(r.StatusCode())
			}
			return string(r.JSON200.Job.Status), nil
		},
	}, nil
}

// newFacade is the facade with the given credentials and, when rt is nil,
// its default HTTP client (and so its default transport), and extra's
// options.
func newFacade(name, baseURL string, a auth.Authenticator, rt http.RoundTripper, extra ...chreplication.Option) (contender, error) {
	opts := []chreplication.Option{
		chreplication.WithProjectID(projectID),
		chreplication.WithAuth(a),
		chreplication.WithLanguage(language),
	}
	opts = append(opts, extra...)
	if rt != nil {
		opts = append(opts, chreplication.WithHTTPClient(&http.Client{Transport: rt}))
	}
	c, err := chreplication.NewClient(baseURL, opts...)
	if err != nil {
		return contender{}, err
	}
	req := chreplication.CreateReplicationRequest{SourceInstanceID: sourceInstanceID, SourceDatabase: sourceDatabase}
	return contender{
		name: name,
		create: func(ctx context.Context) (string, error) {
			return c.CreateReplication(ctx, instanceID, req)
		},
		list: func(ctx context.Context) (int, error) {
			p, err := c.ListReplications(ctx, instanceID, chreplication.ListOptions{Limit: listPageSize})
			if err != nil {
				return 0, err
			}
			return len(p.Replications), nil
		},
		job: func(ctx context.Context) (string, error) {
			j, err := c.Job(ctx, jobID)
			if err != nil {
				return "", err
			}
			return string(j.Status), nil
		},
	}, nil
}

// Contender names, as they appear in benchmark names.
const (
	nameBaseline    = "baseline"
	nameGenerated   = "generated"
	nameFacadeToken = "facade-token"
	nameFacadeAKSK  = "facade-aksk"
)

// newContenders builds the four contenders for the server at baseURL. With
// rt nil they go over the network: the baseline and the generated client
// each with a transport of their own configured like the facade's default
// one (newTransport), the facade with its default transport. Otherwise all
// of them send through rt.
func newContenders(baseURL string, rt http.RoundTripper) ([]contender, error) {
	own := func() http.RoundTripper {
		if rt != nil {
			return rt
		}
		return newTransport()
	}
	hw := newHandWritten(baseURL, own())
	gen, err := newGenerated(baseURL, own())
	if err != nil {
		return nil, err
	}
	tok, err := newFacade(nameFacadeToken, baseURL, auth.StaticToken(token), rt)
	if err != nil {
		return nil, err
	}
	aksk, err := newFacade(nameFacadeAKSK, baseURL, auth.AKSK{AccessKey: accessKey, SecretKey: secretKey, ProjectID: projectID}, rt)
	if err != nil {
		return nil, err
	}
	return []contender{
		{name: nameBaseline, create: hw.create, list: hw.list, job: hw.job},
		gen, tok, aksk,
	}, nil
}

// sharedContenders are built once, against the shared server, so that every
// benchmark of a run reuses the same clients (and their connection pools).
var sharedContenders = sync.OnceValues(func() ([]contender, error) {
	return newContenders(sharedServer().URL, nil)
})

func contenders(tb testing.TB) []contender {
	tb.Helper()
	cs, err := sharedContenders()
	if err != nil {
		tb.Fatal(err)
	}
	return cs
}

func contenderNamed(tb testing.TB, name string) contender {
	tb.Helper()
	for _, c := range contenders(tb) {
		if c.name == name {
			return c
		}
	}
	tb.Fatalf("no contender %q", name)
	return contender{}
}

var errEmpty = errors.New("empty answer")
