package fake_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication/fake"
)

// verdict is what one operation answered about a database: the status and,
// for an error, its code and message.
type verdict struct {
	Status    int
	Code, Msg string
}

func verdictOf(t *testing.T, a answer) verdict {
	t.Helper()
	v := verdict{Status: a.Status}
	if a.Status != http.StatusOK {
		e := a.errorBody(t)
		v.Code, v.Msg = e.ErrorCode, e.ErrorMsg
	}
	return v
}

// listed reports whether ListClickHouseDataBase, asked for the name, lists
// it for the instance.
func listed(t *testing.T, s *fake.Server, instance, name string) bool {
	t.Helper()
	a := call(t, s, http.MethodGet, instancePath(s, instance, "databases")+"?limit=100&database_name="+url.QueryEscape(name), "")
	require.Equal(t, http.StatusOK, a.Status, "body %s", a.Body)
	var r fake.ListDatabasesResponse
	a.decode(t, &r)
	return slices.Contains(r.Databases, name)
}

// TestSourceDatabasesAgree checks that the fake agrees with itself about
// which source databases an instance has: for each name, the database
// check, the table check and a create give the same verdict, the same
// answer when they refuse it (400 CodeSourceDatabaseNotFound), and accept
// it exactly when ListClickHouseDataBase lists it, on an instance whose
// source databases were named.
func TestSourceDatabasesAgree(t *testing.T) {
	t.Parallel()
	const named, open = testInstance, "openinstance01"
	s := newServer(t, fake.WithJobMode(fake.JobsManual), fake.WithSourceDatabases(named, "shop", "sales", "数据库", "my db"))
	require.NoError(t, s.AddReplication(named, "legacy")) // a task of no source database
	const scope = `"table_repl_config":{"repl_type":"black_list","tables":[]}`
	tests := []struct {
		instance, name string
		accepted       bool
	}{
		{named, "shop", true},
		{named, "数据库", true},
		{named, "my db", true},
		{named, "legacy", true},  // listed, for its task; the create is refused as a duplicate
		{named, "orders", false}, // a default name, but this instance's sources were named
		{named, "sho", false},    // a part of a listed name is no name
		{named, "SHOP", false},   // names are case sensitive
		{named, "nosuchdb", false},
		{open, "nosuchdb", true},
		{open, "orders", true},
		{open, "数据库", true},
	}
	for _, tt := range tests {
		t.Run(tt.instance+"/"+tt.name, func(t *testing.T) {
			t.Parallel()
			listedBefore := listed(t, s, tt.instance, tt.name)
			db, err := json.Marshal(tt.name)
			require.NoError(t, err)
			head := `{"source_instance_id":"src0123","source_database_name":` + string(db) + `,"db_configs":[],`
			dbCheck := verdictOf(t, call(t, s, http.MethodPost, instancePath(s, tt.instance, "replication/database-check"), head+scope+`}`))
			tableCheck := verdictOf(t, call(t, s, http.MethodPost, instancePath(s, tt.instance, "replication/table-check"), head+`"tables_configs":[],`+scope+`}`))
			created := verdictOf(t, call(t, s, http.MethodPost, replicationPath(s, tt.instance), createBody(tt.name)))

			assert.Equal(t, dbCheck, tableCheck, "the two checks agree")
			if tt.instance == named {
				assert.Equal(t, tt.accepted, listedBefore, "accepted exactly when listed")
			}
			if !tt.accepted {
				want := verdict{http.StatusBadRequest, fake.CodeSourceDatabaseNotFound,
					"The database name does not exist: ListClickHouseDataBase does not list it for this instance."}
				assert.Equal(t, want, dbCheck)
				assert.Equal(t, want, created, "the create is refused as the checks refuse it")
				assert.False(t, listed(t, s, tt.instance, tt.name), "a refused create adds nothing")
				return
			}
			assert.Equal(t, http.StatusOK, dbCheck.Status, "%+v", dbCheck)
			if tt.name == "legacy" {
				assert.Equal(t, fake.CodeReplicationExists, created.Code)
			} else {
				assert.Equal(t, http.StatusOK, created.Status, "%+v", created)
			}
			assert.True(t, listed(t, s, tt.instance, tt.name), "listed once it has a task")
		})
	}
}

// TestRefusedCreateChangesNothing checks that a create of a database the
// instance does not have starts no job, adds no task, keeps the failure
// queued by FailNextJob for the next job and leaves the instance free.
func TestRefusedCreateChangesNothing(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithJobMode(fake.JobsManual), fake.WithOneOperationPerInstance(),
		fake.WithSourceDatabases(testInstance, "shop"))
	s.FailNextJob("the source binlog is disabled")
	a := call(t, s, http.MethodPost, replicationPath(s, testInstance), createBody("sales"))
	require.Equal(t, http.StatusBadRequest, a.Status, "body %s", a.Body)
	assert.Equal(t, fake.CodeSourceDatabaseNotFound, a.errorBody(t).ErrorCode)
	assert.Empty(t, s.Replications(testInstance))

	id := create(t, s, testInstance, "shop") // not refused as busy: no job runs
	s.FinishJobs()
	job, ok := s.Job(id)
	require.True(t, ok)
	assert.Equal(t, fake.JobStatusFailed, job.Status, "the queued failure went to the next job")
	assert.Equal(t, "the source binlog is disabled", deref(job.FailReason))
}

// TestSetSourceDatabasesOnARunningServer checks that naming an instance's
// source databases while it serves applies to the next create, and that a
// task keeps its database listed and checkable after its name is dropped.
func TestSetSourceDatabasesOnARunningServer(t *testing.T) {
	t.Parallel()
	s := newServer(t, fake.WithJobMode(fake.JobsManual))
	create(t, s, testInstance, "anything") // every name, until names are given
	require.NoError(t, s.SetSourceDatabases(testInstance, "shop"))
	a := call(t, s, http.MethodPost, replicationPath(s, testInstance), createBody("other"))
	assert.Equal(t, http.StatusBadRequest, a.Status, "body %s", a.Body)
	assert.Equal(t, []string{"anything", "shop"}, s.SourceDatabases(testInstance))
	assert.True(t, listed(t, s, testInstance, "anything"))
	assert.Equal(t, "anything", checkDatabase(t, s, checkBody(t, "anything", nil, "")).DatabaseName)
}
