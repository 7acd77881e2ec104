package fake_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication/fake"
)

func TestSetReplicationState(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		state fake.ReplicationState
		want  string // the entry of the list answer
	}{
		{
			"abnormal in full",
			fake.ReplicationState{Status: fake.StatusAbnormal, Stage: fake.StageFull, CatchupStage: fake.StageFailed, Percentage: 37},
			`{"source_database":"shop","target_database":"shop","status":"abnormal","stage":"full","catchup_stage":"failed","percentage":"37"}`,
		},
		{
			"waiting",
			fake.ReplicationState{Status: fake.StatusNormal, Stage: fake.StageWait, CatchupStage: fake.StageWait},
			`{"source_database":"shop","target_database":"shop","status":"normal","stage":"wait","catchup_stage":"wait","percentage":"0"}`,
		},
		{
			"no stages are nulls",
			fake.ReplicationState{Status: fake.StatusNormal, Percentage: 100},
			`{"source_database":"shop","target_database":"shop","status":"normal","stage":null,"percentage":"100"}`,
		},
		{
			"values the fake never shows by itself",
			fake.ReplicationState{Status: "frozen", Stage: "Incremental", CatchupStage: fake.StageOther, Percentage: 99},
			`{"source_database":"shop","target_database":"shop","status":"frozen","stage":"Incremental","catchup_stage":"other","percentage":"99"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, fake.WithJobMode(fake.JobsManual))
			create(t, s, testInstance, "shop")
			require.NoError(t, s.SetReplicationState(testInstance, "shop", tt.state))
			a := call(t, s, http.MethodGet, replicationPath(s, testInstance), "")
			require.Equal(t, http.StatusOK, a.Status, "body %s", a.Body)
			assert.JSONEq(t, `{"total_count":1,"ext_text":null,"replications":[`+tt.want+`]}`, string(a.Body))
		})
	}
}

// TestSetReplicationStateOutlivesTheJob checks that the state set holds
// while the create job moves and after it ends, and that the job is not
// touched.
func TestSetReplicationStateOutlivesTheJob(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithJobMode(fake.JobsManual))
	id := create(t, s, testInstance, "shop")
	create(t, s, testInstance, "sales")
	st := fake.ReplicationState{Status: fake.StatusAbnormal, Stage: fake.StageFull, CatchupStage: fake.StageFull, Percentage: 12}
	require.NoError(t, s.SetReplicationState(testInstance, "shop", st))

	s.Advance(2)
	page := list(t, s, testInstance, -1, -1)
	require.Len(t, page.Replications, 2)
	assert.Equal(t, fake.StatusAbnormal, page.Replications[0].Status)
	assert.EqualValues(t, 12, page.Replications[0].Percentage)
	assert.EqualValues(t, 40, page.Replications[1].Percentage, "the other task moves with its job")

	s.FinishJobs()
	job, ok := s.Job(id)
	require.True(t, ok)
	assert.Equal(t, fake.JobStatusCompleted, job.Status, "the job runs on")
	page = list(t, s, testInstance, -1, -1)
	assert.Equal(t, fake.StatusAbnormal, page.Replications[0].Status)
	assert.Equal(t, fake.StageFull, deref(page.Replications[0].Stage))
	assert.Equal(t, fake.StatusNormal, page.Replications[1].Status)
	assert.Equal(t, fake.StageIncremental, deref(page.Replications[1].Stage))

	// A second call replaces the first; a deleted and created again task
	// starts afresh.
	st.Status, st.Percentage = fake.StatusNormal, 100
	require.NoError(t, s.SetReplicationState(testInstance, "shop", st))
	assert.Equal(t, fake.StatusNormal, s.Replications(testInstance)[0].Status)
	a := call(t, s, http.MethodDelete, deletePath(s, testInstance, "shop"), "")
	require.Equal(t, http.StatusOK, a.Status, "body %s", a.Body)
	create(t, s, testInstance, "shop")
	got := s.Replications(testInstance)
	require.Len(t, got, 2)
	assert.Equal(t, "shop", got[1].TargetDatabase)
	assert.Equal(t, fake.StageWait, deref(got[1].CatchupStage), "the new task shows its own job")
}

func TestSetReplicationStateRefused(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	require.NoError(t, s.AddReplication(testInstance, "shop"))
	good := fake.ReplicationState{Status: fake.StatusNormal, Stage: fake.StageFull, Percentage: 50}
	tests := []struct {
		name               string
		instance, database string
		state              fake.ReplicationState
		notFound           bool
		wantMsg            string
	}{
		{"unknown instance", "otherinstance01", "shop", good, true, `no synchronization task on instance "otherinstance01"`},
		{"unknown database", testInstance, "sales", good, true, `no synchronization task of database "sales" on instance "` + testInstance + `"`},
		{"database of no task but listed", testInstance, "orders", good, true, `no synchronization task of database "orders"`},
		{"empty status", testInstance, "shop", fake.ReplicationState{Stage: fake.StageFull}, false, "status"},
		{"percentage below 0", testInstance, "shop", fake.ReplicationState{Status: "normal", Percentage: -1}, false, "percentage"},
		{"percentage above 100", testInstance, "shop", fake.ReplicationState{Status: "normal", Percentage: 101}, false, "percentage"},
	}
	t.Run("cases", func(t *testing.T) { // parallel among themselves, before the check below
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				err := s.SetReplicationState(tt.instance, tt.database, tt.state)
				require.Error(t, err)
				assert.Equal(t, tt.notFound, errors.Is(err, fake.ErrReplicationNotFound), "%v", err)
				assert.Contains(t, err.Error(), tt.wantMsg)
			})
		}
	})
	r := s.Replications(testInstance)
	require.Len(t, r, 1)
	assert.Equal(t, fake.StatusNormal, r[0].Status, "nothing changed")
	assert.EqualValues(t, 100, r[0].Percentage, "nothing changed")
}
