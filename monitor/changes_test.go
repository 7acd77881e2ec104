package monitor_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/monitor"
)

var t0 = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

func task(db string, status chreplication.ReplicationStatus, stage string, catchup chreplication.CatchupStage, pct int) chreplication.Replication {
	return chreplication.Replication{SourceDatabase: db, TargetDatabase: db, Status: status, Stage: stage, CatchupStage: catchup, Percentage: pct}
}

func snap(tasks ...chreplication.Replication) monitor.Snapshot {
	if tasks == nil {
		tasks = []chreplication.Replication{}
	}
	return monitor.Snapshot{InstanceID: instA, Tasks: tasks, At: t0}
}

func failed(err error) monitor.Snapshot {
	return monitor.Snapshot{InstanceID: instA, At: t0, Err: err}
}

func TestChanges(t *testing.T) {
	t.Parallel()
	const (
		normal   = chreplication.ReplicationNormal
		abnormal = chreplication.ReplicationAbnormal
	)
	shop := task("shop", normal, "full", chreplication.CatchupFull, 40)
	boom := errors.New("boom")
	kinds := func(cs []monitor.Change) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.Database+" "+string(c.Kind)+" "+c.From+">"+c.To)
		}
		return out
	}
	tests := []struct {
		name       string
		prev, next monitor.Snapshot
		want       []string
	}{
		{"nothing changed", snap(shop), snap(shop), nil},
		{"first look", monitor.Snapshot{}, snap(shop, task("stock", normal, "wait", "wait", 0)),
			[]string{"shop appeared >", "stock appeared >"}},
		{"appear and disappear", snap(task("a", normal, "", "", 0), shop), snap(shop, task("z", normal, "", "", 0)),
			[]string{"a disappeared >", "z appeared >"}},
		{"all gone", snap(shop), snap(), []string{"shop disappeared >"}},
		{"status", snap(shop), snap(task("shop", abnormal, "full", chreplication.CatchupFull, 40)),
			[]string{"shop status normal>abnormal"}},
		{"catch-up failed", snap(shop), snap(task("shop", abnormal, "full", chreplication.CatchupFailed, 40)),
			[]string{"shop status normal>abnormal", "shop catchup_stage full>failed"}},
		{"every field, in order", snap(shop), snap(task("shop", abnormal, "incremental", chreplication.CatchupIncremental, 100)),
			[]string{"shop status normal>abnormal", "shop stage full>incremental", "shop catchup_stage full>incremental", "shop percentage 40>100"}},
		{"percentage step", snap(shop), snap(task("shop", normal, "full", chreplication.CatchupFull, 60)),
			[]string{"shop percentage 40>60"}},
		{"stage to null", snap(shop), snap(task("shop", normal, "", chreplication.CatchupFull, 40)),
			[]string{"shop stage full>"}},
		{"look failed", snap(shop), failed(boom), []string{" look_failed >"}},
		{"still failing", failed(boom), failed(boom), nil},
		{"recovered", failed(boom), snap(shop), []string{" look_recovered >", "shop appeared >"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := monitor.Changes(tt.prev, tt.next)
			assert.Equal(t, tt.want, kinds(got))
			for _, c := range got {
				assert.Equal(t, instA, c.InstanceID)
				assert.Equal(t, t0, c.At)
			}
		})
	}
}

func TestChangeValues(t *testing.T) {
	t.Parallel()
	prev := snap(task("shop", chreplication.ReplicationNormal, "full", chreplication.CatchupFull, 40))
	cur := task("shop", chreplication.ReplicationAbnormal, "full", chreplication.CatchupFailed, 40)
	got := monitor.Changes(prev, snap(cur))
	require.Len(t, got, 2)
	assert.Equal(t, monitor.Change{InstanceID: instA, Kind: monitor.StatusChanged, Database: "shop",
		From: "normal", To: "abnormal", Task: cur, At: t0}, got[0])
	assert.Equal(t, instA+` "shop" status normal -> abnormal`, got[0].String())
	assert.Equal(t, instA+` "shop" catchup_stage full -> failed`, got[1].String())

	b, err := json.Marshal(got[0])
	require.NoError(t, err)
	assert.JSONEq(t, `{"instance_id":"`+instA+`","kind":"status","database":"shop","from":"normal","to":"abnormal",
		"task":{"source_database":"shop","target_database":"shop","status":"abnormal","stage":"full","catchup_stage":"failed","percentage":40},
		"at":"2026-12-03T10:00:00Z"}`, string(b))

	appeared := monitor.Changes(monitor.Snapshot{}, snap(task("new db", chreplication.ReplicationNormal, "", "", 0)))
	require.Len(t, appeared, 1)
	assert.Equal(t, instA+` "new db" appeared: status normal, stage null, catch-up null, 0%`, appeared[0].String())

	lost := monitor.Changes(prev, failed(errors.New("503 Service unavailable")))
	require.Len(t, lost, 1)
	assert.Equal(t, instA+" look_failed: 503 Service unavailable", lost[0].String())
	b, err = json.Marshal(lost[0])
	require.NoError(t, err)
	assert.Contains(t, string(b), `"error":"503 Service unavailable"`)
}

func TestTrackerKeepsTheLastGoodLook(t *testing.T) {
	t.Parallel()
	var tr monitor.Tracker
	shop := task("shop", chreplication.ReplicationNormal, "full", chreplication.CatchupFull, 40)
	boom := errors.New("boom")

	first := tr.Update(snap(shop))
	require.Len(t, first, 1)
	assert.Equal(t, monitor.TaskAppeared, first[0].Kind)

	down := tr.Update(failed(boom))
	require.Len(t, down, 1)
	assert.Equal(t, monitor.LookFailed, down[0].Kind)
	assert.Same(t, boom, down[0].Err)
	assert.Empty(t, tr.Update(failed(boom)), "a failure is reported once")

	last, ok := tr.Last(instA)
	require.True(t, ok)
	assert.Equal(t, []chreplication.Replication{shop}, last.Tasks)

	// Back: compared with the last good look, not with nothing.
	moved := task("shop", chreplication.ReplicationNormal, "full", chreplication.CatchupFull, 80)
	up := tr.Update(snap(moved))
	require.Len(t, up, 2)
	assert.Equal(t, monitor.LookRecovered, up[0].Kind)
	assert.Equal(t, monitor.PercentageChanged, up[1].Kind)
	assert.Empty(t, tr.Update(snap(moved)))

	_, ok = tr.Last(instB)
	assert.False(t, ok)
	never := tr.Update(monitor.Snapshot{InstanceID: instB, Err: boom})
	require.Len(t, never, 1)
	assert.Equal(t, monitor.LookFailed, never[0].Kind)
}
