package chreplication

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCreateReplication(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		req      CreateReplicationRequest
		wantBody string
	}{
		{
			name:     "seed example",
			req:      CreateReplicationRequest{SourceInstanceID: "source_instance_id", SourceNodeID: "source_node_id", SourceDatabase: "source_database"},
			wantBody: `{"source_database":"source_database","source_instance_id":"source_instance_id","source_node_id":"source_node_id"}`,
		},
		{
			name:     "primary node leaves source_node_id out",
			req:      CreateReplicationRequest{SourceInstanceID: "src1", SourceDatabase: "sales db ü"},
			wantBody: `{"source_database":"sales db ü","source_instance_id":"src1"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, ts := setup(t, WithLanguage("zh-cn"))
			ts.handle("POST "+replicationPath, func(w http.ResponseWriter, r *http.Request) {
				testHeader(t, r, "X-Auth-Token", testToken)
				testHeader(t, r, "X-Language", "zh-cn")
				testHeader(t, r, "Content-Type", "application/json")
				assert.True(t, strings.HasPrefix(r.Header.Get("User-Agent"), "chreplication-go/"+Version+" "))
				body, _ := io.ReadAll(r.Body)
				assert.JSONEq(t, tt.wantBody, string(body))
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, `{"job_id":"18ef8ee3-b880-4851-8978-bb6acbd4e695"}`)
			})
			id, err := c.CreateReplication(t.Context(), testInstance, tt.req)
			require.NoError(t, err)
			assert.Equal(t, "18ef8ee3-b880-4851-8978-bb6acbd4e695", id)
		})
	}
}

func TestDeleteReplicationEscapesDatabase(t *testing.T) {
	t.Parallel()
	c, ts := setup(t)
	ts.handle("DELETE "+replicationPath+"/{db}", func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "my db ü", r.PathValue("db"))
		assert.Equal(t, replicationPath+"/my%20db%20%C3%BC", r.URL.EscapedPath())
		testHeader(t, r, "X-Language", "")
		_, _ = io.WriteString(w, `{"job_id":"j-1"}`)
	})
	id, err := c.DeleteReplication(t.Context(), testInstance, "my db ü")
	require.NoError(t, err)
	assert.Equal(t, "j-1", id)
}

func TestListReplications(t *testing.T) {
	t.Parallel()
	tests := []struct {
		opts      ListOptions
		wantQuery string
	}{
		{ListOptions{}, ""},
		{ListOptions{Limit: 100}, "limit=100"},
		{ListOptions{Limit: 5, Offset: 10}, "limit=5&offset=10"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.opts), func(t *testing.T) {
			t.Parallel()
			c, ts := setup(t)
			ts.handle("GET "+replicationPath, func(w http.ResponseWriter, r *http.Request) {
				assert.Equal(t, tt.wantQuery, r.URL.RawQuery)
				_, _ = io.WriteString(w, `{"total_count":2,"replications":[
					{"source_database":"a","target_database":"a_ch","status":"normal","stage":"full","catchup_stage":"full","percentage":40},
					{"source_database":"b"}]}`)
			})
			page, err := c.ListReplications(t.Context(), testInstance, tt.opts)
			require.NoError(t, err)
			assert.Equal(t, &ReplicationPage{TotalCount: 2, Replications: []Replication{
				{SourceDatabase: "a", TargetDatabase: "a_ch", Status: ReplicationNormal, Stage: "full", CatchupStage: CatchupFull, Percentage: 40},
				{SourceDatabase: "b"},
			}}, page)
		})
	}
}

// pagingHandler serves total replications named db0, db1, ... honouring
// limit and offset.
func pagingHandler(t *testing.T, total int, requests *[]string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		*requests = append(*requests, r.URL.RawQuery)
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		assert.Equal(t, 100, limit)
		page := struct {
			TotalCount   int           `json:"total_count"`
			Replications []Replication `json:"replications"`
		}{TotalCount: total, Replications: []Replication{}}
		for i := offset; i < min(offset+limit, total); i++ {
			page.Replications = append(page.Replications, Replication{SourceDatabase: "db" + strconv.Itoa(i)})
		}
		_ = json.NewEncoder(w).Encode(page)
	}
}

func TestAllReplications(t *testing.T) {
	t.Parallel()
	for _, total := range []int{0, 1, 100, 250} {
		t.Run(strconv.Itoa(total), func(t *testing.T) {
			t.Parallel()
			c, ts := setup(t)
			var requests []string
			ts.handle("GET "+replicationPath, pagingHandler(t, total, &requests))
			var got []string
			for r, err := range c.AllReplications(t.Context(), testInstance) {
				require.NoError(t, err)
				got = append(got, r.SourceDatabase)
			}
			require.Len(t, got, total)
			for i, name := range got {
				assert.Equal(t, "db"+strconv.Itoa(i), name)
			}
			assert.Len(t, requests, max(1, (total+99)/100))
		})
	}
}

func TestAllReplicationsStopsOnBreak(t *testing.T) {
	t.Parallel()
	c, ts := setup(t)
	var requests []string
	ts.handle("GET "+replicationPath, pagingHandler(t, 1000, &requests))
	n := 0
	for _, err := range c.AllReplications(t.Context(), testInstance) {
		require.NoError(t, err)
		n++
		if n == 150 {
			break
		}
	}
	assert.Equal(t, 150, n)
	assert.Equal(t, []string{"limit=100", "limit=100&offset=100"}, requests)
}

func TestAllReplicationsYieldsErrorOnce(t *testing.T) {
	t.Parallel()
	c, ts := setup(t, WithoutRetry())
	calls := 0
	ts.handle("GET "+replicationPath, func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls == 1 {
			_, _ = io.WriteString(w, `{"total_count":200,"replications":[{"source_database":"a"}]}`)
			return
		}
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, `{"error_code":"DBS.200001","error_msg":"boom"}`)
	})
	var items, errs int
	for _, err := range c.AllReplications(t.Context(), testInstance) {
		if err != nil {
			errs++
			var apiErr *APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, "DBS.200001", apiErr.Code)
			continue
		}
		items++
	}
	assert.Equal(t, 1, items)
	assert.Equal(t, 1, errs)
}

func TestAllReplicationsStopsOnEmptyPage(t *testing.T) {
	t.Parallel()
	c, ts := setup(t)
	calls := 0
	ts.handle("GET "+replicationPath, func(w http.ResponseWriter, r *http.Request) {
		calls++
		// A server that claims more than it ever returns.
		_, _ = io.WriteString(w, `{"total_count":1000000,"replications":[]}`)
	})
	for _, err := range c.AllReplications(t.Context(), testInstance) {
		require.NoError(t, err)
	}
	assert.Equal(t, 1, calls)
}
