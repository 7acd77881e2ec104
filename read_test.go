package chreplication

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestListReadsWhatTheServiceSends: every form Huawei documents for a list
// answer is read without failing the call.
func TestListReadsWhatTheServiceSends(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		want       *ReplicationPage
	}{
		{
			name: "Huawei's documented example",
			body: `{"ext_text":null,"replications":[
				{"catchup_stage":null,"percentage":0,"source_database":"test","stage":"Full","status":"abnormal","target_database":"test"},
				{"catchup_stage":null,"percentage":100,"stage":"Incremental","status":"normal","target_database":"blackwhite_0018_61474479"},
				{"catchup_stage":null,"percentage":0,"stage":"Wait","status":"normal","target_database":"blackwhite_0017_22525694"}],
				"total_count":3}`,
			want: &ReplicationPage{TotalCount: 3, Replications: []Replication{
				{SourceDatabase: "test", TargetDatabase: "test", Status: ReplicationAbnormal, Stage: "full", Percentage: 0},
				{SourceDatabase: "blackwhite_0018_61474479", TargetDatabase: "blackwhite_0018_61474479", Status: ReplicationNormal, Stage: "incremental", Percentage: 100},
				{SourceDatabase: "blackwhite_0017_22525694", TargetDatabase: "blackwhite_0017_22525694", Status: ReplicationNormal, Stage: "wait", Percentage: 0},
			}},
		},
		{
			name: "percentage as Huawei's schema says: a string",
			body: `{"total_count":"2","ext_text":"","replications":[
				{"source_database":"a","target_database":"a","status":"normal","stage":"full","catchup_stage":"full","percentage":"40"},
				{"source_database":"b","target_database":"b","status":"Normal","stage":"INCREMENTAL","catchup_stage":"Incremental","percentage":" 100% "}]}`,
			want: &ReplicationPage{TotalCount: 2, Replications: []Replication{
				{SourceDatabase: "a", TargetDatabase: "a", Status: ReplicationNormal, Stage: "full", CatchupStage: CatchupFull, Percentage: 40},
				{SourceDatabase: "b", TargetDatabase: "b", Status: ReplicationNormal, Stage: "incremental", CatchupStage: CatchupIncremental, Percentage: 100},
			}},
		},
		{
			name: "unknown values are kept as sent",
			body: `{"total_count":1,"replications":[{"source_database":"a","target_database":"a","status":"frozen","stage":"Resharding","catchup_stage":"paused","percentage":"7.5"}],"ext_text":"restart"}`,
			want: &ReplicationPage{TotalCount: 1, Replications: []Replication{
				{SourceDatabase: "a", TargetDatabase: "a", Status: "frozen", Stage: "Resharding", CatchupStage: "paused", Percentage: 7},
			}},
		},
		{
			name: "nulls, absent fields, unknown fields",
			body: `{"total_count":1,"replications":[{"target_database":"x","status":null,"stage":null,"percentage":null,"future":{"a":1}}],"next":"?"}`,
			want: &ReplicationPage{TotalCount: 1, Replications: []Replication{{SourceDatabase: "x", TargetDatabase: "x"}}},
		},
		{
			name: "out of range percentages are clamped",
			body: `{"total_count":2,"replications":[{"target_database":"a","percentage":"250"},{"target_database":"b","percentage":-3}]}`,
			want: &ReplicationPage{TotalCount: 2, Replications: []Replication{
				{SourceDatabase: "a", TargetDatabase: "a", Percentage: 100},
				{SourceDatabase: "b", TargetDatabase: "b", Percentage: 0},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, ts := setup(t)
			ts.handle("GET "+replicationPath, func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json;charset=UTF-8")
				_, _ = io.WriteString(w, tt.body)
			})
			page, err := c.ListReplications(t.Context(), testInstance, ListOptions{})
			require.NoError(t, err)
			assert.Equal(t, tt.want, page)
		})
	}
}

// TestListRefusesUnusableAnswers: a count or percentage that holds no
// number makes the answer unusable.
func TestListRefusesUnusableAnswers(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		`{"total_count":"many","replications":[]}`,
		`{"total_count":1,"replications":[{"target_database":"a","percentage":"most"}]}`,
		`{"total_count":1,"replications":[{"target_database":"a","percentage":[1]}]}`,
		`{"total_count":3000000000,"replications":[]}`,
	} {
		c, ts := setup(t)
		ts.handle("GET "+replicationPath, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, body)
		})
		_, err := c.ListReplications(t.Context(), testInstance, ListOptions{})
		require.ErrorIs(t, err, ErrInvalidResponse, body)
	}
}

// TestJobReadsWhatTheServiceSends: Huawei's documented job answer, with an
// offset other than UTC, entities and an empty process.
func TestJobReadsWhatTheServiceSends(t *testing.T) {
	t.Parallel()
	c, ts := setup(t)
	ts.handle("GET "+jobsPath, func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "31b8ae23-c687-4d80-b7b4-42a66c9bb886", r.URL.Query().Get("id"))
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"job":{"created":"2018-08-06T10:41:14+0800","ended":"2018-08-06T16:41:14+0000",
			"entities":{"instance":{"datastore":{"type":"gaussdb-mysql","version":"8.0"},"endpoint":"192.168.1.203:3306","type":"Cluster"},
			"resource_ids":["a48e43ff268f4c0e879652d65e63d0fbin07.vm","a48e43ff268f4c0e879652d65e63d0fbin07.volume"]},
			"id":"31b8ae23-c687-4d80-b7b4-42a66c9bb886","instance":{"id":"a48e43ff268f4c0e879652d65e63d0fbin07","name":"DO-NOT-TOUCH-mgr2-mysql-single"},
			"name":"CreateGaussDBforMySQLInstance","process":"","status":"Completed"}}`)
	})
	j, err := c.Job(t.Context(), "31b8ae23-c687-4d80-b7b4-42a66c9bb886")
	require.NoError(t, err)
	assert.Equal(t, JobCompleted, j.Status)
	assert.Equal(t, time.Date(2018, 8, 6, 2, 41, 14, 0, time.UTC), j.Created)
	assert.Equal(t, time.Date(2018, 8, 6, 16, 41, 14, 0, time.UTC), j.Ended)
	assert.Equal(t, JobInstance{ID: "a48e43ff268f4c0e879652d65e63d0fbin07", Name: "DO-NOT-TOUCH-mgr2-mysql-single"}, j.Instance)
	assert.Equal(t, "CreateGaussDBforMySQLInstance", j.Name)
	require.Contains(t, j.Entities, "resource_ids")
	assert.Len(t, j.Entities["resource_ids"], 2)
	p, ok := j.Percent()
	assert.True(t, ok)
	assert.Equal(t, 100, p)
}
