package fake

import "errors"

// Advance moves every unfinished job steps steps along its lifecycle
// (Pending, Running 20%, 40%, 60%, 80%, then Completed or Failed), in any
// job mode. A finished job does not move.
func (s *Server) Advance(steps int) { s.store.advanceAll(steps) }

// AdvanceJob moves one job steps steps along; it reports whether the job
// exists.
func (s *Server) AdvanceJob(id string, steps int) bool { return s.store.advanceOne(id, steps) }

// FinishJobs moves every unfinished job to its end.
func (s *Server) FinishJobs() { s.store.advanceAll(jobFinalStep) }

// FailNextJob makes the next job the fake starts (by a create, a delete or
// a change of table scope; not by a stop of one) end Failed with reason as
// its fail_reason instead of Completed. Each call queues one failure. The
// replication of a failed create stays listed with status abnormal and
// catchup_stage failed; a failed change of table scope leaves the tables as
// they were and its reason in last_error_of_alter_table.
func (s *Server) FailNextJob(reason string) {
	if reason == "" {
		reason = "The job failed."
	}
	s.store.failNext(reason)
}

// Job returns a job as ShowGaussMySqlJobInfo would show it, without moving
// it in JobsStepOnPoll mode; ok is false for an unknown ID. It shows a job
// that ShowGaussMySqlJobInfo does not show yet (WithJobVisibilityDelay).
func (s *Server) Job(id string) (job Job, ok bool) { return s.store.showJob(id, false) }

// Replications returns every replication of an instance in the order List
// pages through them.
func (s *Server) Replications(instanceID string) []Replication {
	return s.store.replications(instanceID)
}

// AddReplications adds n completed replications to an instance, named
// db_000001, db_000002, ... (skipping names the instance already has),
// quickly and without jobs: for tests and benchmarks that need many.
// It panics when instanceID is not a valid ID.
func (s *Server) AddReplications(instanceID string, n int) {
	if !isID(instanceID) {
		panic("fake: AddReplications: invalid instance ID")
	}
	s.store.seedN(instanceID, n)
}

// AddReplication adds one completed replication of database to an
// instance, without a job. It fails when either name is invalid for the
// spec or the database already has a replication there.
func (s *Server) AddReplication(instanceID, database string) error {
	switch {
	case !isID(instanceID):
		return errors.New("fake: AddReplication: invalid instance ID")
	case !isDatabaseName(database):
		return errors.New("fake: AddReplication: invalid database name")
	}
	return s.store.seed(instanceID, []string{database})
}

// AddReplicationFrom adds one completed replication of database to an
// instance, without a job, that reads from sourceInstanceID and its node
// sourceNodeID ("" for the primary node), as
// ListClickHouseDataBaseReplicationConfig then shows it: the task of
// another source that a client must not adopt. It fails as AddReplication
// does, and when the source instance ID is invalid.
func (s *Server) AddReplicationFrom(instanceID, database, sourceInstanceID, sourceNodeID string) error {
	switch {
	case !isID(instanceID):
		return errors.New("fake: AddReplicationFrom: invalid instance ID")
	case !isDatabaseName(database):
		return errors.New("fake: AddReplicationFrom: invalid database name")
	case !isID(sourceInstanceID):
		return errors.New("fake: AddReplicationFrom: invalid source instance ID")
	case sourceNodeID != "" && !isID(sourceNodeID):
		return errors.New("fake: AddReplicationFrom: invalid source node ID")
	}
	return s.store.seedFrom(instanceID, []string{database}, replicationSource{instanceID: sourceInstanceID, nodeID: sourceNodeID})
}
