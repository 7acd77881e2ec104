package interop

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	gaussdb "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/gaussdb/v3"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/gaussdb/v3/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication/fake"
)

// The instances the lifecycle works on: a ClickHouse instance and the
// GaussDB(for MySQL) instance it copies from (the ID forms of Huawei's
// examples).
const (
	chInstanceID     = "54e42160670e48e789af7075e1efea1fin16"
	sourceInstanceID = "ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07"
)

// TestSDKLifecycleInProcess drives a fake started with fake.NewServer
// through the official SDK, with the real service's habits turned on: a new
// job is not visible for a while, and an instance runs one operation at a
// time.
func TestSDKLifecycleInProcess(t *testing.T) {
	t.Parallel()
	s, err := fake.NewServer(
		fake.WithJobDuration(500*time.Millisecond),
		fake.WithJobVisibilityDelay(300*time.Millisecond),
		fake.WithOneOperationPerInstance())
	require.NoError(t, err)
	t.Cleanup(s.Close)
	ak, sk := s.AccessKey()
	e := endpointInfo{URL: s.URL(), ProjectID: s.ProjectID(), AK: ak, SK: sk}
	sdkLifecycle(t, newSDKClient(t, e))

	// Every request the SDK sent was signed with AK/SK and accepted; the
	// polls met jobs not visible yet, and no write met a busy instance.
	reqs := s.Requests()
	require.NotEmpty(t, reqs)
	hidden := 0
	for _, r := range reqs {
		assert.Equal(t, "Authorization", r.AuthHeader, "%s %s", r.Method, r.Path)
		assert.True(t, r.Authenticated, "%s %s", r.Method, r.Path)
		assert.NotEqual(t, http.StatusConflict, r.Status, "%s %s: a write met a busy instance", r.Method, r.Path)
		if r.Operation == "ShowGaussMySqlJobInfo" && r.Status == http.StatusBadRequest {
			hidden++
		}
	}
	assert.Positive(t, hidden, "no poll met a job not visible yet")
}

// TestSDKLifecycleCommand drives the `chreplication fake` command, built
// from this checkout and started on a free loopback port, through the
// official SDK, with the credentials the command printed.
func TestSDKLifecycleCommand(t *testing.T) {
	t.Parallel()
	e := startFakeCommand(t)
	sdkLifecycle(t, newSDKClient(t, e))
}

// sdkLifecycle creates two replications (one whose database name has a
// space and non-ASCII letters, legal in MySQL), waits for each job, lists
// them (page by page too), deletes them and lists again. Writes go one at a
// time, each after the previous job completed, as the service runs one
// operation at a time on an instance.
func sdkLifecycle(t *testing.T, c *gaussdb.GaussDBClient) {
	t.Helper()
	databases := []string{"sales", "ventes été"}

	// An empty instance lists nothing.
	assertSDKList(t, c, nil, nil)

	for _, db := range databases {
		created, err := c.CreateClickHouseDataBaseReplication(&model.CreateClickHouseDataBaseReplicationRequest{
			InstanceId: chInstanceID,
			XLanguage:  ptr("en-us"),
			Body: &model.CreateChDatabaseReplicationRequestBody{
				SourceInstanceId: sourceInstanceID,
				SourceDatabase:   db,
			},
		})
		require.NoError(t, err, "CreateClickHouseDataBaseReplication(%q)", db)
		assert.Equal(t, http.StatusOK, created.HttpStatusCode)
		require.NotEmpty(t, deref(created.JobId), "CreateClickHouseDataBaseReplication(%q): no job_id", db)

		job := waitSDKJob(t, c, *created.JobId)
		assertSDKJob(t, job)
	}

	// The whole list, then one task per page.
	assertSDKList(t, c, nil, databases)
	for i, db := range databases {
		assertSDKPage(t, c, 1, i, len(databases), []string{db})
	}

	// The same create again is refused, and the SDK reports the service's error.
	_, err := c.CreateClickHouseDataBaseReplication(&model.CreateClickHouseDataBaseReplicationRequest{
		InstanceId: chInstanceID,
		Body: &model.CreateChDatabaseReplicationRequestBody{
			SourceInstanceId: sourceInstanceID,
			SourceDatabase:   databases[0],
		},
	})
	var se *sdkerr.ServiceResponseError
	require.True(t, errors.As(err, &se), "a second create of %q: want a ServiceResponseError, got %v", databases[0], err)
	assert.Equal(t, http.StatusBadRequest, se.StatusCode)
	assert.Equal(t, fake.CodeReplicationExists, se.ErrorCode)
	assert.NotEmpty(t, se.RequestId, "the SDK reads X-Request-Id")

	for i, db := range databases {
		deleted, err := c.DeleteClickHouseDataBaseReplication(&model.DeleteClickHouseDataBaseReplicationRequest{
			InstanceId:   chInstanceID,
			DatabaseName: db,
		})
		require.NoError(t, err, "DeleteClickHouseDataBaseReplication(%q)", db)
		require.NotEmpty(t, deref(deleted.JobId), "DeleteClickHouseDataBaseReplication(%q): no job_id", db)
		job := waitSDKJob(t, c, *deleted.JobId)
		assertSDKJob(t, job)
		assertSDKList(t, c, nil, databases[i+1:])
	}
}

// assertSDKJob checks a completed job as the SDK decoded it.
func assertSDKJob(t *testing.T, j *model.GetJobInfoDetail) {
	t.Helper()
	assert.Equal(t, "Completed", j.Status.Value())
	assert.NotEmpty(t, j.Name)
	require.NotNil(t, j.Instance, "job %s: no instance", j.Id)
	assert.Equal(t, chInstanceID, j.Instance.Id)
	_, err := time.Parse("2006-01-02T15:04:05-0700", j.Created)
	assert.NoError(t, err, "job %s: created %q is not yyyy-mm-ddThh:mm:ss+hhmm", j.Id, j.Created)
	_, err = time.Parse("2006-01-02T15:04:05-0700", deref(j.Ended))
	assert.NoError(t, err, "job %s: ended %q is not yyyy-mm-ddThh:mm:ss+hhmm", j.Id, deref(j.Ended))
	assert.Empty(t, deref(j.FailReason))
}

// assertSDKList lists with the given limit (nil: the API's default) and
// checks that the page names exactly want, each task healthy and fully
// synchronised.
func assertSDKList(t *testing.T, c *gaussdb.GaussDBClient, limit *int32, want []string) {
	t.Helper()
	resp, err := c.ListClickHouseDataBaseReplication(&model.ListClickHouseDataBaseReplicationRequest{
		InstanceId: chInstanceID,
		Limit:      limit,
	})
	require.NoError(t, err, "ListClickHouseDataBaseReplication")
	require.NotNil(t, resp.TotalCount, "no total_count")
	assert.Equal(t, int32(len(want)), *resp.TotalCount)
	assertReplications(t, resp, want)
}

func assertSDKPage(t *testing.T, c *gaussdb.GaussDBClient, limit, offset, total int, want []string) {
	t.Helper()
	resp, err := c.ListClickHouseDataBaseReplication(&model.ListClickHouseDataBaseReplicationRequest{
		InstanceId: chInstanceID,
		Limit:      ptr(int32(limit)),
		Offset:     ptr(int32(offset)),
	})
	require.NoError(t, err, "ListClickHouseDataBaseReplication(limit %d, offset %d)", limit, offset)
	require.NotNil(t, resp.TotalCount, "no total_count")
	assert.Equal(t, int32(total), *resp.TotalCount)
	assertReplications(t, resp, want)
}

func assertReplications(t *testing.T, resp *model.ListClickHouseDataBaseReplicationResponse, want []string) {
	t.Helper()
	require.NotNil(t, resp.Replications, "no replications")
	var got []string
	for _, r := range *resp.Replications {
		got = append(got, r.SourceDatabase)
		assert.Equal(t, r.SourceDatabase, r.TargetDatabase)
		assert.Equal(t, "normal", r.Status, "%s", r.SourceDatabase)
		assert.Equal(t, "incremental", r.Stage, "%s", r.SourceDatabase)
		assert.Equal(t, "100", r.Percentage, "%s: percentage", r.SourceDatabase)
	}
	assert.ElementsMatch(t, want, got)
}
