package interop

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	gaussdb "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/gaussdb/v3"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/gaussdb/v3/model"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication/fake"
)

// endpointInfo is what a client needs to reach a fake: its endpoint, its
// project and an AK/SK pair it accepts.
type endpointInfo struct {
	URL       string
	ProjectID string
	AK        string
	SK        string // a secret: never in a failure message or a log line
}

// newSDKClient builds the official SDK's GaussDB client the way its README
// shows, with basic (AK/SK) credentials and a fixed endpoint, so that it
// asks IAM for nothing.
func newSDKClient(tb testing.TB, e endpointInfo) *gaussdb.GaussDBClient {
	tb.Helper()
	return newSDKClientWith(tb, e, nil)
}

// newSDKClientWith is newSDKClient sending through rt (nil: the SDK's own
// transport).
func newSDKClientWith(tb testing.TB, e endpointInfo, rt http.RoundTripper) *gaussdb.GaussDBClient {
	tb.Helper()
	hcfg := config.DefaultHttpConfig().WithTimeout(10 * time.Second)
	if rt != nil {
		hcfg = hcfg.WithHttpRoundTripper(rt)
	}
	cred, err := basic.NewCredentialsBuilder().
		WithAk(e.AK).
		WithSk(e.SK).
		WithProjectId(e.ProjectID).
		SafeBuild()
	require.NoError(tb, err, "building the SDK's AK/SK credentials")
	hc, err := gaussdb.GaussDBClientBuilder().
		WithEndpoints([]string{e.URL}).
		WithCredential(cred).
		WithHttpConfig(hcfg).
		SafeBuild()
	require.NoError(tb, err, "building the SDK's GaussDB client")
	return gaussdb.NewGaussDBClient(hc)
}

// Bounds of waitSDKJob: a real user polls every few seconds; the fakes here
// finish a job in a few seconds at most, so small sleeps keep the tests fast.
const (
	jobPollInterval = 100 * time.Millisecond
	jobWaitTimeout  = 60 * time.Second
)

// waitSDKJob polls ShowGaussMySqlJobInfo through the SDK, as an SDK user
// would, until the job is visible and Completed. A job that is not visible
// yet (Huawei: "after a job is generated it usually takes a few seconds
// before its ID can be queried") is answered 404, or 400 naming the job; it
// is looked at again. Any other error, a Failed job, or jobWaitTimeout
// ends the test.
func waitSDKJob(t *testing.T, c *gaussdb.GaussDBClient, jobID string) *model.GetJobInfoDetail {
	t.Helper()
	deadline := time.Now().Add(jobWaitTimeout)
	hidden, seen := 0, 0
	for {
		resp, err := c.ShowGaussMySqlJobInfo(&model.ShowGaussMySqlJobInfoRequest{Id: jobID})
		switch {
		case err == nil:
			require.NotNil(t, resp.Job, "ShowGaussMySqlJobInfo: an answer without job")
			seen++
			j := resp.Job
			require.Equal(t, jobID, j.Id, "ShowGaussMySqlJobInfo answered another job")
			switch j.Status.Value() {
			case "Completed":
				t.Logf("job %s: Completed after %d answers (%d not visible yet)", jobID, seen+hidden, hidden)
				return j
			case "Failed":
				t.Fatalf("job %s failed: %s", jobID, deref(j.FailReason))
			case "Pending", "Running":
			default:
				t.Fatalf("job %s: unknown status %q", jobID, j.Status.Value())
			}
		case jobNotVisible(err, jobID):
			require.Zero(t, seen, "job %s was visible, then not visible again: %v", jobID, err)
			hidden++
		default:
			t.Fatalf("ShowGaussMySqlJobInfo(%s): %v", jobID, err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s did not complete within %s (%d answers, %d not visible)", jobID, jobWaitTimeout, seen+hidden, hidden)
		}
		time.Sleep(jobPollInterval)
	}
}

// jobNotVisible reports whether err is the answer for a job the service
// does not show yet: a 404, or a 400 that names the job or has the fake's
// code for an unknown job.
func jobNotVisible(err error, jobID string) bool {
	var se *sdkerr.ServiceResponseError
	if !errors.As(err, &se) {
		return false
	}
	switch se.StatusCode {
	case http.StatusNotFound:
		return true
	case http.StatusBadRequest:
		return se.ErrorCode == fake.CodeJobNotFound || strings.Contains(se.ErrorMessage, jobID)
	}
	return false
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func ptr[T any](v T) *T { return &v }
