package interop

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	gaussdb "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/gaussdb/v3"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/gaussdb/v3/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/auth"
)

const answersDir = "testdata/answers"

// corpusProject is the project of the corpus server (Huawei's example).
const corpusProject = "23a50154cf494ec9ad6883979a12db0a"

// answerCase reads one file of testdata/answers through the facade and
// through the official SDK.
type answerCase struct {
	file string
	// method and path the facade must send (the path under /v3/{project}).
	method, path, rawQuery string
	// facade makes the call and checks what it returned.
	facade func(t *testing.T, c *chreplication.Client)
	// sdk makes the same call with the official SDK and returns its error;
	// sdkRefuses is "" when the SDK reads the answer, else a part of the
	// error it is known to return.
	sdk        func(c *gaussdb.GaussDBClient) error
	sdkRefuses string
}

var answerCases = []answerCase{
	{
		file:   "CreateClickHouseDataBaseReplication.json",
		method: http.MethodPost, path: "/instances/" + chInstanceID + "/clickhouse/replication",
		facade: func(t *testing.T, c *chreplication.Client) {
			jobID, err := c.CreateReplication(t.Context(), chInstanceID, chreplication.CreateReplicationRequest{
				SourceInstanceID: sourceInstanceID,
				SourceDatabase:   "source_database",
			})
			require.NoError(t, err)
			assert.Equal(t, "18ef8ee3-b880-4851-8978-bb6acbd4e695", jobID)
		},
		sdk: func(c *gaussdb.GaussDBClient) error {
			r, err := c.CreateClickHouseDataBaseReplication(&model.CreateClickHouseDataBaseReplicationRequest{
				InstanceId: chInstanceID,
				Body:       &model.CreateChDatabaseReplicationRequestBody{SourceInstanceId: sourceInstanceID, SourceDatabase: "source_database"},
			})
			if err == nil && deref(r.JobId) != "18ef8ee3-b880-4851-8978-bb6acbd4e695" {
				return errUnexpected
			}
			return err
		},
	},
	{
		file:   "DeleteClickHouseDataBaseReplication.json",
		method: http.MethodDelete, path: "/instances/" + chInstanceID + "/clickhouse/replication/db_test",
		facade: func(t *testing.T, c *chreplication.Client) {
			jobID, err := c.DeleteReplication(t.Context(), chInstanceID, "db_test")
			require.NoError(t, err)
			assert.Equal(t, "18ef8ee3-b880-4851-8978-bb6acbd4e695", jobID)
		},
		sdk: func(c *gaussdb.GaussDBClient) error {
			r, err := c.DeleteClickHouseDataBaseReplication(&model.DeleteClickHouseDataBaseReplicationRequest{
				InstanceId: chInstanceID, DatabaseName: "db_test",
			})
			if err == nil && deref(r.JobId) != "18ef8ee3-b880-4851-8978-bb6acbd4e695" {
				return errUnexpected
			}
			return err
		},
	},
	{
		// Numbers for percentage, null catch-up stages, entries without
		// source_database, stages in another case.
		file:   "ListClickHouseDataBaseReplication.json",
		method: http.MethodGet, path: "/instances/" + chInstanceID + "/clickhouse/replication", rawQuery: "limit=10",
		facade: func(t *testing.T, c *chreplication.Client) {
			page, err := c.ListReplications(t.Context(), chInstanceID, chreplication.ListOptions{Limit: 10})
			require.NoError(t, err)
			assert.Equal(t, 3, page.TotalCount)
			require.Len(t, page.Replications, 3)
			want := []struct {
				source, target, status, stage, catchup string
				percentage                             int
			}{
				{"test", "test", "abnormal", "full", "", 0},
				{"blackwhite_0018_61474479", "blackwhite_0018_61474479", "normal", "incremental", "", 100},
				{"blackwhite_0017_22525694", "blackwhite_0017_22525694", "normal", "wait", "", 0},
			}
			for i, w := range want {
				r := page.Replications[i]
				assert.Equal(t, w.source, r.SourceDatabase, "[%d] SourceDatabase (target_database when left out)", i)
				assert.Equal(t, w.target, r.TargetDatabase, "[%d] TargetDatabase", i)
				assert.EqualValues(t, w.status, r.Status, "[%d] Status", i)
				assert.EqualValues(t, w.stage, r.Stage, "[%d] Stage, normalised to lower case", i)
				assert.EqualValues(t, w.catchup, r.CatchupStage, "[%d] CatchupStage (null)", i)
				assert.Equal(t, w.percentage, r.Percentage, "[%d] Percentage (a number on the wire)", i)
			}
		},
		sdk: func(c *gaussdb.GaussDBClient) error {
			_, err := c.ListClickHouseDataBaseReplication(&model.ListClickHouseDataBaseReplicationRequest{
				InstanceId: chInstanceID, Limit: ptr(int32(10)),
			})
			return err
		},
		// The SDK's Percentage is a string: it refuses Huawei's own example.
		sdkRefuses: "Percentage: ReadString",
	},
	{
		file:   "ListClickHouseDataBaseReplication.schema.json",
		method: http.MethodGet, path: "/instances/" + chInstanceID + "/clickhouse/replication",
		facade: func(t *testing.T, c *chreplication.Client) {
			page, err := c.ListReplications(t.Context(), chInstanceID, chreplication.ListOptions{})
			require.NoError(t, err)
			assert.Equal(t, 2, page.TotalCount)
			require.Len(t, page.Replications, 2)
			r := page.Replications[0]
			assert.Equal(t, "sales", r.SourceDatabase)
			assert.Equal(t, "sales", r.TargetDatabase)
			assert.EqualValues(t, chreplication.ReplicationNormal, r.Status)
			assert.EqualValues(t, "incremental", r.Stage)
			assert.EqualValues(t, chreplication.CatchupIncremental, r.CatchupStage)
			assert.Equal(t, 100, r.Percentage, "Percentage (a string on the wire)")
			r = page.Replications[1]
			assert.Equal(t, "orders", r.SourceDatabase)
			assert.EqualValues(t, "full", r.Stage)
			assert.EqualValues(t, chreplication.CatchupFull, r.CatchupStage)
			assert.Equal(t, 60, r.Percentage)
		},
		sdk: func(c *gaussdb.GaussDBClient) error {
			r, err := c.ListClickHouseDataBaseReplication(&model.ListClickHouseDataBaseReplicationRequest{InstanceId: chInstanceID})
			if err == nil && (r.Replications == nil || len(*r.Replications) != 2 || (*r.Replications)[0].Percentage != "100") {
				return errUnexpected
			}
			return err
		},
	},
	{
		// Any UTC offset, a free-form entities object, process "".
		file:   "ShowGaussMySqlJobInfo.json",
		method: http.MethodGet, path: "/jobs", rawQuery: "id=31b8ae23-c687-4d80-b7b4-42a66c9bb886",
		facade: func(t *testing.T, c *chreplication.Client) {
			j, err := c.Job(t.Context(), "31b8ae23-c687-4d80-b7b4-42a66c9bb886")
			require.NoError(t, err)
			assert.Equal(t, "31b8ae23-c687-4d80-b7b4-42a66c9bb886", j.ID)
			assert.Equal(t, "CreateGaussDBforMySQLInstance", j.Name)
			assert.Equal(t, chreplication.JobCompleted, j.Status)
			assert.True(t, j.Created.Equal(time.Date(2018, 8, 6, 2, 41, 14, 0, time.UTC)), "Created %v: 10:41:14+0800", j.Created)
			assert.True(t, j.Ended.Equal(time.Date(2018, 8, 6, 16, 41, 14, 0, time.UTC)), "Ended %v", j.Ended)
			assert.Empty(t, j.Process)
			assert.Empty(t, j.FailReason)
			assert.Equal(t, "a48e43ff268f4c0e879652d65e63d0fbin07", j.Instance.ID)
			assert.Equal(t, "DO-NOT-TOUCH-mgr2-mysql-single", j.Instance.Name)
			p, ok := j.Percent()
			assert.True(t, ok)
			assert.Equal(t, 100, p, "a completed job without a percentage in process")
		},
		sdk: func(c *gaussdb.GaussDBClient) error {
			r, err := c.ShowGaussMySqlJobInfo(&model.ShowGaussMySqlJobInfoRequest{Id: "31b8ae23-c687-4d80-b7b4-42a66c9bb886"})
			if err == nil && (r.Job == nil || r.Job.Status.Value() != "Completed" || r.Job.Created != "2018-08-06T10:41:14+0800") {
				return errUnexpected
			}
			return err
		},
	},
	{
		file:   "ShowGaussMySqlJobInfo.running.json",
		method: http.MethodGet, path: "/jobs", rawQuery: "id=18ef8ee3-b880-4851-8978-bb6acbd4e695",
		facade: func(t *testing.T, c *chreplication.Client) {
			j, err := c.Job(t.Context(), "18ef8ee3-b880-4851-8978-bb6acbd4e695")
			require.NoError(t, err)
			assert.Equal(t, chreplication.JobRunning, j.Status)
			assert.False(t, j.Status.Done())
			assert.Equal(t, "60%", j.Process)
			assert.True(t, j.Ended.IsZero(), "Ended %v: empty while the job runs", j.Ended)
			p, ok := j.Percent()
			assert.True(t, ok)
			assert.Equal(t, 60, p)
			assert.Equal(t, chInstanceID, j.Instance.ID)
		},
		sdk: func(c *gaussdb.GaussDBClient) error {
			r, err := c.ShowGaussMySqlJobInfo(&model.ShowGaussMySqlJobInfoRequest{Id: "18ef8ee3-b880-4851-8978-bb6acbd4e695"})
			if err == nil && (r.Job == nil || deref(r.Job.Process) != "60%") {
				return errUnexpected
			}
			return err
		},
	},
	{
		file:   "ShowGaussMySqlJobInfo.failed.json",
		method: http.MethodGet, path: "/jobs", rawQuery: "id=7c0e4a52-4f38-4a43-a1a2-2a7a7d4b8f11",
		facade: func(t *testing.T, c *chreplication.Client) {
			j, err := c.Job(t.Context(), "7c0e4a52-4f38-4a43-a1a2-2a7a7d4b8f11")
			require.NoError(t, err)
			assert.Equal(t, chreplication.JobFailed, j.Status)
			assert.True(t, j.Status.Done())
			assert.Equal(t, "The source database does not exist.", j.FailReason)
			assert.True(t, j.Ended.Equal(time.Date(2018, 8, 6, 2, 43, 2, 0, time.UTC)), "Ended %v", j.Ended)
		},
		sdk: func(c *gaussdb.GaussDBClient) error {
			r, err := c.ShowGaussMySqlJobInfo(&model.ShowGaussMySqlJobInfoRequest{Id: "7c0e4a52-4f38-4a43-a1a2-2a7a7d4b8f11"})
			if err == nil && (r.Job == nil || r.Job.Status.Value() != "Failed") {
				return errUnexpected
			}
			return err
		},
	},
}

// errUnexpected is what an sdk func returns when the SDK decoded the answer
// into other values than the file holds.
var errUnexpected = errorString("the SDK decoded other values than the file holds")

type errorString string

func (e errorString) Error() string { return string(e) }

// TestAnswersCorpus serves every file of testdata/answers from a loopback
// server, as the service's 200 answer to the call that asks for it, and
// reads it through the chreplication facade (the decoded values must be
// what the file says, read the way the package documentation promises)
// and through the official SDK (which must read it, or refuse it where
// the SDK is known to).
func TestAnswersCorpus(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(answersDir, "*.json"))
	require.NoError(t, err)
	var covered []string
	for _, tc := range answerCases {
		covered = append(covered, filepath.Join(answersDir, tc.file))
	}
	assert.ElementsMatch(t, files, covered, "every answer file has a case, and every case a file")

	for _, tc := range answerCases {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			body, err := os.ReadFile(filepath.Join(answersDir, tc.file))
			require.NoError(t, err)
			require.True(t, json.Valid(body), "%s is not valid JSON", tc.file)
			srv := newAnswerServer(t, tc, body)

			t.Run("facade", func(t *testing.T) {
				c, err := chreplication.NewClient(srv.URL,
					chreplication.WithProjectID(corpusProject),
					chreplication.WithAuth(auth.StaticToken("corpus-token")),
					chreplication.WithoutRetry())
				require.NoError(t, err)
				tc.facade(t, c)
				srv.assertAsked(t)
			})
			t.Run("sdk", func(t *testing.T) {
				c := newSDKClient(t, endpointInfo{URL: srv.URL, ProjectID: corpusProject, AK: "CORPUSACCESSKEY", SK: "corpus-secret-key"})
				err := tc.sdk(c)
				if tc.sdkRefuses == "" {
					assert.NoError(t, err, "the official SDK must read %s", tc.file)
				} else {
					require.Error(t, err, "the official SDK is known to refuse %s; if it reads it now, update the case", tc.file)
					assert.Contains(t, err.Error(), tc.sdkRefuses, "the official SDK refuses %s for another reason", tc.file)
				}
				srv.assertAsked(t)
			})
		})
	}
}

// answerServer answers body to the request of its case, and 404 to any
// other, recording what it was asked.
type answerServer struct {
	*httptest.Server
	tc answerCase

	mu    sync.Mutex
	asked []string // "METHOD path?query" of each request
	bad   []string // requests other than the case's
}

func newAnswerServer(t *testing.T, tc answerCase, body []byte) *answerServer {
	s := &answerServer{tc: tc}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		got := r.Method + " " + r.URL.EscapedPath() + "?" + r.URL.RawQuery
		s.mu.Lock()
		s.asked = append(s.asked, got)
		ok := r.Method == tc.method && r.URL.EscapedPath() == "/v3/"+corpusProject+tc.path && r.URL.RawQuery == tc.rawQuery
		if !ok {
			s.bad = append(s.bad, got)
		}
		s.mu.Unlock()
		w.Header().Set("X-Request-Id", "corpus-request")
		if !ok {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"error_code":"APIGW.0101","error_msg":"The API does not exist or has not been published in the environment."}`)
			return
		}
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		_, _ = w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

// assertAsked checks that every request so far was the case's, then
// forgets them.
func (s *answerServer) assertAsked(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	assert.NotEmpty(t, s.asked, "nothing was asked")
	assert.Empty(t, s.bad, "asked other than %s /v3/%s%s?%s", s.tc.method, corpusProject, s.tc.path, s.tc.rawQuery)
	s.asked, s.bad = nil, nil
}
