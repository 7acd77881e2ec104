package fake

import (
	"errors"
	"fmt"

	"github.com/gaussdb-tools/chreplication/wiretype"
)

// Values of a synchronization task's status and stages, as the spec and
// Huawei's schema name them. ListClickHouseDataBaseReplication shows a task
// as StatusNormal, or StatusAbnormal once its create job failed; its stage
// and catch-up stage are StageWait, StageFull or StageIncremental, and
// StageFailed for a failed create. Server.SetReplicationState takes these
// and any other value (the service may send others, such as "Full").
const (
	StatusNormal   = "normal"
	StatusAbnormal = "abnormal"

	StageWait        = "wait"
	StageFull        = "full"
	StageIncremental = "incremental"
	StageFailed      = "failed"
	StageOther       = "other"
)

// A ReplicationState is what ListClickHouseDataBaseReplication shows of a
// synchronization task's progress: its status, stage, catch-up stage and
// percentage (see Server.SetReplicationState). Its JSON form is the body of
// the control route POST /_fake/replications/{instance}/{database}/state.
type ReplicationState struct {
	// Status is the task's health, StatusNormal or StatusAbnormal on the
	// service; it must not be empty.
	Status string `json:"status"`
	// Stage is the synchronization stage (StageWait, StageFull, ...); empty
	// shows null.
	Stage string `json:"stage,omitempty"`
	// CatchupStage is the catch-up stage, with the values of Stage; empty
	// shows null.
	CatchupStage string `json:"catchup_stage,omitempty"`
	// Percentage is the progress of the stage, 0 to 100, shown as a JSON
	// string ("40") as the service sends it.
	Percentage int `json:"percentage"`
}

// ErrReplicationNotFound is the error of Server.SetReplicationState (and the
// control routes) for an instance or database that has no synchronization
// task.
var ErrReplicationNotFound = errors.New("no synchronization task")

// check reports what is wrong with st, naming the field.
func (st ReplicationState) check() error {
	switch {
	case st.Status == "":
		return errors.New("status: must not be empty")
	case st.Percentage < 0 || st.Percentage > 100:
		return fmt.Errorf("percentage: %d is not between 0 and 100", st.Percentage)
	}
	return nil
}

// SetReplicationState makes ListClickHouseDataBaseReplication show st for
// the synchronization task of database on the instance, from now until the
// next SetReplicationState or the task's deletion, whatever its create job
// does: the job itself runs on (ShowGaussMySqlJobInfo shows it as before).
// It drives a task into states the API cannot reach by itself, such as an
// abnormal task whose create succeeded or a stage the fake never shows. It
// fails, changing nothing, with an error wrapping ErrReplicationNotFound
// when the instance has no task of that database, and with an error naming
// the field when st.Status is empty or st.Percentage is not between 0 and
// 100. It is safe for concurrent use.
func (s *Server) SetReplicationState(instanceID, database string, st ReplicationState) error {
	if err := st.check(); err != nil {
		return fmt.Errorf("fake: SetReplicationState: %w", err)
	}
	if err := s.store.setState(instanceID, database, st); err != nil {
		return fmt.Errorf("fake: SetReplicationState: %w", err)
	}
	return nil
}

// setState pins the state of a replication.
func (st *store) setState(instanceID, database string, state ReplicationState) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	in := st.instances[instanceID]
	if in == nil || len(in.order) == 0 {
		return fmt.Errorf("%w on instance %q", ErrReplicationNotFound, instanceID)
	}
	r := in.byName[database]
	if r == nil {
		return fmt.Errorf("%w of database %q on instance %q", ErrReplicationNotFound, database, instanceID)
	}
	r.state = &state
	return nil
}

// viewState shows a pinned state in the wire model.
func viewState(database string, state *ReplicationState) Replication {
	db := database
	r := Replication{
		SourceDatabase: &db,
		TargetDatabase: db,
		Status:         state.Status,
		Percentage:     wiretype.IntString(state.Percentage),
	}
	if state.Stage != "" {
		stage := state.Stage
		r.Stage = &stage
	}
	if state.CatchupStage != "" {
		catchup := state.CatchupStage
		r.CatchupStage = &catchup
	}
	return r
}
