package fake_test

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication/fake"
)

func TestPaging(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.AddReplications(testInstance, 25)
	tests := []struct {
		name          string
		limit, offset int // -1: left out
		wantFirst     string
		wantLen       int
	}{
		{"defaults", -1, -1, "db_000001", 10},
		{"first page", 10, 0, "db_000001", 10},
		{"second page", 10, 10, "db_000011", 10},
		{"last page", 10, 20, "db_000021", 5},
		{"past the end", 10, 25, "", 0},
		{"far past the end", 100, 1000000, "", 0},
		{"limit 1", 1, 7, "db_000008", 1},
		{"limit 100", 100, 0, "db_000001", 25},
		{"offset only", -1, 3, "db_000004", 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			page := list(t, s, testInstance, tt.limit, tt.offset)
			assert.EqualValues(t, 25, page.TotalCount)
			require.Len(t, page.Replications, tt.wantLen)
			require.NotNil(t, page.Replications, "an empty page is [], not null")
			if tt.wantLen > 0 {
				assert.Equal(t, tt.wantFirst, deref(page.Replications[0].SourceDatabase))
				r := page.Replications[0]
				assert.Equal(t, deref(r.SourceDatabase), r.TargetDatabase)
				assert.Equal(t, "normal", r.Status)
				assert.Equal(t, "incremental", deref(r.CatchupStage))
				assert.EqualValues(t, 100, r.Percentage)
			}
		})
	}
	t.Run("other instance is empty", func(t *testing.T) {
		t.Parallel()
		a := call(t, s, http.MethodGet, replicationPath(s, "otherinstance01"), "")
		require.Equal(t, http.StatusOK, a.Status)
		assert.JSONEq(t, `{"total_count":0,"replications":[],"ext_text":null}`, string(a.Body))
	})
}

func TestPagingAllOf10000(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.AddReplications(testInstance, 10000)
	seen := make(map[string]bool)
	for offset := 0; ; offset += 100 {
		page := list(t, s, testInstance, 100, offset)
		require.EqualValues(t, 10000, page.TotalCount)
		if len(page.Replications) == 0 {
			break
		}
		for _, r := range page.Replications {
			seen[deref(r.SourceDatabase)] = true
		}
	}
	assert.Len(t, seen, 10000)
}

func TestAddReplication(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	require.NoError(t, s.AddReplication(testInstance, "db_000002"))
	s.AddReplications(testInstance, 3) // skips db_000002
	var names []string
	for _, r := range s.Replications(testInstance) {
		names = append(names, deref(r.SourceDatabase))
	}
	assert.Equal(t, []string{"db_000002", "db_000001", "db_000003", "db_000004"}, names)
	require.Error(t, s.AddReplication(testInstance, "db_000001"), "duplicate")
	require.Error(t, s.AddReplication(testInstance, "a.b"), "invalid name")
	require.Error(t, s.AddReplication("a b", "ok"), "invalid instance")
	assert.Panics(t, func() { s.AddReplications("", 1) })
}

func TestCreateDuplicate(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	create(t, s, testInstance, "orders")
	a := call(t, s, http.MethodPost, replicationPath(s, testInstance), createBody("orders"))
	require.Equal(t, http.StatusBadRequest, a.Status)
	assert.Equal(t, fake.CodeReplicationExists, a.errorBody(t).ErrorCode)
	create(t, s, "otherinstance01", "orders") // same name, other instance: fine
}

func TestDeleteNames(t *testing.T) {
	t.Parallel()
	names := []string{
		"orders",
		"my database",
		"数据库",
		"ünïcödé db",
		"日本語 テーブル",
		"a+b=c&d",
		"50% off",
		"what?#hash",
		"semi;colon,comma",
		"emoji 🚀",
		"tab-free 'quotes' \"double\"",
		strings.Repeat("é", 63), // and its neighbour of 64
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t)
			create(t, s, testInstance, name)
			create(t, s, testInstance, name+"x") // a neighbour that must survive
			page := list(t, s, testInstance, -1, -1)
			require.EqualValues(t, 2, page.TotalCount)
			assert.Equal(t, name, deref(page.Replications[0].SourceDatabase))

			a := call(t, s, http.MethodDelete, deletePath(s, testInstance, name), "")
			require.Equal(t, http.StatusOK, a.Status, "body %s", a.Body)
			var r fake.JobIDResponse
			a.decode(t, &r)
			assert.NotEmpty(t, r.JobID)
			page = list(t, s, testInstance, -1, -1)
			require.EqualValues(t, 1, page.TotalCount)
			assert.Equal(t, name+"x", deref(page.Replications[0].SourceDatabase))

			a = call(t, s, http.MethodDelete, deletePath(s, testInstance, name), "")
			require.Equal(t, http.StatusBadRequest, a.Status)
			assert.Equal(t, fake.CodeDatabaseNotFound, a.errorBody(t).ErrorCode)
		})
	}
}

func TestDeleteUnknown(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	for _, inst := range []string{testInstance, "neverseen01"} {
		a := call(t, s, http.MethodDelete, deletePath(s, inst, "nothing here"), "")
		require.Equal(t, http.StatusBadRequest, a.Status)
		e := a.errorBody(t)
		assert.Equal(t, fake.CodeDatabaseNotFound, e.ErrorCode)
		assert.Contains(t, e.ErrorMsg, "does not exist")
	}
}

func TestConcurrency(t *testing.T) {
	t.Parallel()
	const n = 200
	s := newServer(t, fake.WithJobMode(fake.JobsStepOnPoll))
	var wg sync.WaitGroup
	jobIDs := make([]string, n)
	errs := make(chan error, 4*n)
	for i := range n {
		wg.Go(func() {
			db := fmt.Sprintf("db %03d", i)
			a := call(t, s, http.MethodPost, replicationPath(s, testInstance), createBody(db))
			if a.Status != http.StatusOK {
				errs <- fmt.Errorf("create %s: %d %s", db, a.Status, a.Body)
				return
			}
			var r fake.JobIDResponse
			a.decode(t, &r)
			jobIDs[i] = r.JobID
			if a := call(t, s, http.MethodGet, jobPath(s, r.JobID), ""); a.Status != http.StatusOK {
				errs <- fmt.Errorf("job %s: %d", r.JobID, a.Status)
			}
			if a := call(t, s, http.MethodGet, replicationPath(s, testInstance)+"?limit=100", ""); a.Status != http.StatusOK {
				errs <- fmt.Errorf("list: %d", a.Status)
			}
			if i%2 == 0 {
				if a := call(t, s, http.MethodDelete, deletePath(s, testInstance, db), ""); a.Status != http.StatusOK {
					errs <- fmt.Errorf("delete %s: %d %s", db, a.Status, a.Body)
				}
			}
			s.Advance(1)
			_ = s.Requests()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assert.Len(t, s.Replications(testInstance), n/2)
	sort.Strings(jobIDs)
	for i := 1; i < n; i++ {
		assert.NotEqual(t, jobIDs[i-1], jobIDs[i], "job IDs are unique")
	}
	assert.Equal(t, n, s.RequestCount("CreateClickHouseDataBaseReplication"))
	assert.Equal(t, n/2, s.RequestCount("DeleteClickHouseDataBaseReplication"))
	assert.Equal(t, n, s.RequestCount("ShowGaussMySqlJobInfo"))
	assert.Equal(t, n, s.RequestCount("ListClickHouseDataBaseReplication"))
	assert.Equal(t, 3*n+n/2, s.RequestCount(""))
}

func TestConcurrentDuplicateCreates(t *testing.T) {
	t.Parallel()
	const n = 200
	s := newServer(t)
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i := range n {
		wg.Go(func() {
			statuses[i] = call(t, s, http.MethodPost, replicationPath(s, testInstance), createBody("same")).Status
		})
	}
	wg.Wait()
	counts := map[int]int{}
	for _, st := range statuses {
		counts[st]++
	}
	assert.Equal(t, map[int]int{http.StatusOK: 1, http.StatusBadRequest: n - 1}, counts)
}
