package fake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
)

// Names of the scope jobs, as ShowGaussMySqlJobInfo shows them.
const (
	jobUpdateScope = "UpdateClickHouseDataBaseConfig"
	jobStopScope   = "DeleteClickHouseDataBaseConfig"
)

// stoppedReason is the fail_reason of a scope change that
// DeleteClickHouseDataBaseConfig stopped.
const stoppedReason = "The change of the table scope was stopped."

// Errors of the scope operations.
var (
	errSourceMismatch  = errors.New("source_instance_id is not the source instance of the synchronization task")
	errScopeTypeChange = errors.New("the list type of a synchronization task cannot change")
	errScopeBusy       = errors.New("the synchronization task is being created or its table scope is being changed")
	errNoScopeChange   = errors.New("no change of the table scope is in progress")
)

// replicationSource is where a synchronization task reads from, as its
// create (or, for a seeded task, its first scope update) named it.
type replicationSource struct {
	instanceID string
	nodeID     string // "" for the primary node
}

func sourceOf(instanceID string, nodeID *string) replicationSource {
	src := replicationSource{instanceID: instanceID}
	if nodeID != nil {
		src.nodeID = *nodeID
	}
	return src
}

// scope is the table scope of a synchronization task. Its zero value is
// a new task's: black_list with no tables, every table.
type scope struct {
	whiteList bool
	tables    []string
	change    *scopeChange // the change in progress; nil when none
	lastError string       // fail reason of the last change that failed
}

// scopeChange is a change of the tables, carried out by a job.
type scopeChange struct {
	tables []string
	job    *job
}

func replType(whiteList bool) TableReplConfigReplType {
	if whiteList {
		return TableReplConfigReplTypeWhiteList
	}
	return TableReplConfigReplTypeBlackList
}

// settle applies the outcome of the scope change of r once its job has
// ended: the new tables when it completed, its fail reason in lastError
// when it failed. The caller holds mu.
func (st *store) settle(r *replication) {
	c := r.scope.change
	if c == nil {
		return
	}
	st.refresh(c.job)
	if c.job.ended.IsZero() {
		return
	}
	if c.job.failReason == "" {
		r.scope.tables, r.scope.lastError = c.tables, ""
	} else {
		r.scope.lastError = c.job.failReason
	}
	r.scope.change = nil
}

// replication returns the task of database on the instance, settled, or
// errNotFound; the caller holds mu.
func (st *store) replication(instanceID, database string) (*replication, error) {
	in := st.instances[instanceID]
	if in == nil || in.byName[database] == nil {
		return nil, errNotFound
	}
	r := in.byName[database]
	st.settle(r)
	return r, nil
}

// parseScope reads the value of an UpdateClickHouseDataBaseConfig: a JSON
// object of exactly one member, black_list or white_list, whose value is a
// string of table names separated by commas (spaces around a name are
// left out; "" names no table). A white list must name a table; no table
// may be named twice.
func parseScope(value string) (whiteList bool, tables []string, err error) {
	malformed := func(why string) (bool, []string, error) {
		return false, nil, fmt.Errorf(`value is not a JSON document such as {"black_list":"t1,t2"}: %s`, why)
	}
	dec := json.NewDecoder(strings.NewReader(value))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return malformed("it is not a JSON object")
	}
	tok, err := dec.Token()
	key, ok := tok.(string)
	if err != nil || !ok {
		return malformed("it has no member")
	}
	switch key {
	case "black_list":
	case "white_list":
		whiteList = true
	default:
		return malformed("its member must be black_list or white_list")
	}
	tok, err = dec.Token()
	list, ok := tok.(string)
	if err != nil || !ok {
		return malformed("the value of " + key + " must be a string")
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return malformed("it must have one member only")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return malformed("something follows the object")
	}
	if strings.TrimSpace(list) != "" {
		for t := range strings.SplitSeq(list, ",") {
			t = strings.TrimSpace(t)
			switch {
			case !isDatabaseName(t):
				return malformed(fmt.Sprintf("%q is not a table name", t))
			case slices.Contains(tables, t):
				return malformed(fmt.Sprintf("table %q is named twice", t))
			}
			tables = append(tables, t)
		}
	}
	if whiteList && len(tables) == 0 {
		return malformed("a white list must name a table")
	}
	return whiteList, tables, nil
}

// updateScope starts a change of the tables of a task.
func (st *store) updateScope(instanceID, database, sourceInstanceID string, whiteList bool, tables []string) (string, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	r, err := st.replication(instanceID, database)
	if err != nil {
		return "", err
	}
	if r.source.instanceID != "" && r.source.instanceID != sourceInstanceID {
		return "", errSourceMismatch
	}
	if whiteList != r.scope.whiteList {
		return "", errScopeTypeChange
	}
	if r.job != nil {
		st.refresh(r.job)
	}
	if r.scope.change != nil || (r.job != nil && r.job.ended.IsZero()) {
		return "", errScopeBusy
	}
	if r.source.instanceID == "" {
		r.source.instanceID = sourceInstanceID
	}
	j := st.newJob(jobUpdateScope, instanceID)
	r.scope.change = &scopeChange{tables: tables, job: j}
	return j.id, nil
}

// stopScope stops the change in progress of a task: its job ends Failed at
// once and the task keeps its tables. The job it returns reports the stop;
// it takes no failure that FailNextJob queued.
func (st *store) stopScope(instanceID, database string) (string, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	r, err := st.replication(instanceID, database)
	if err != nil {
		return "", err
	}
	c := r.scope.change
	if c == nil {
		return "", errNoScopeChange
	}
	c.job.failReason, c.job.step, c.job.ended = stoppedReason, jobFinalStep, st.now()
	r.scope.change = nil
	queued := st.failures
	st.failures = nil
	j := st.newJob(jobStopScope, instanceID)
	st.failures = queued
	return j.id, nil
}

// config answers a task's configuration.
func (st *store) config(instanceID, database string) (ReplicationConfigResponse, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	r, err := st.replication(instanceID, database)
	if err != nil {
		return ReplicationConfigResponse{}, err
	}
	results, _ := judge(nil) // a task has the default parameters
	out := ReplicationConfigResponse{
		SourceInstanceID: r.source.instanceID,
		SourceNodeID:     r.source.nodeID,
		DatabaseInfo:     DatabaseConfigCheckResponse{DatabaseName: r.database, DBConfigCheckResults: results},
		TableInfos:       []TableConfigCheckResult{},
		TableReplConfig:  TableReplConfig{ReplType: replType(r.scope.whiteList), Tables: append([]string{}, r.scope.tables...)},
	}
	if c := r.scope.change; c != nil {
		t := string(replType(r.scope.whiteList))
		tables := append([]string{}, c.tables...)
		out.IsTablesChange = true
		out.NewTableReplConfig = PendingTableReplConfig{ReplType: &t, Tables: &tables}
	}
	if r.scope.lastError != "" {
		e := r.scope.lastError
		out.LastErrorOfAlterTable = &e
	}
	return out, nil
}

// SetTableScope gives the synchronization task of database on an instance
// a table scope, at once and without a job: for tests of a scope that the
// API cannot reach, such as a white list. It fails when the task does not
// exist, a change of its scope is in progress, a table name is invalid for
// the spec or named twice, or a white list names no table.
func (s *Server) SetTableScope(instanceID, database string, scope TableReplConfig) error {
	whiteList := scope.ReplType == TableReplConfigReplTypeWhiteList
	if !whiteList && scope.ReplType != TableReplConfigReplTypeBlackList {
		return fmt.Errorf("fake: SetTableScope: unknown list type %q", scope.ReplType)
	}
	for i, t := range scope.Tables {
		switch {
		case !isDatabaseName(t):
			return fmt.Errorf("fake: SetTableScope: invalid table name %q", t)
		case slices.Contains(scope.Tables[:i], t):
			return fmt.Errorf("fake: SetTableScope: table %q named twice", t)
		}
	}
	if whiteList && len(scope.Tables) == 0 {
		return errors.New("fake: SetTableScope: a white list must name a table")
	}
	st := s.store
	st.mu.Lock()
	defer st.mu.Unlock()
	r, err := st.replication(instanceID, database)
	if err != nil {
		return fmt.Errorf("fake: SetTableScope: %w", err)
	}
	if r.scope.change != nil {
		return fmt.Errorf("fake: SetTableScope: %w", errScopeBusy)
	}
	r.scope.whiteList, r.scope.tables = whiteList, slices.Clone(scope.Tables)
	return nil
}

func (a api) ListClickHouseDataBaseReplicationConfig(_ context.Context, req ListClickHouseDataBaseReplicationConfigRequestObject) (ListClickHouseDataBaseReplicationConfigResponseObject, error) {
	out, err := a.s.store.config(req.InstanceID, req.Params.DatabaseName)
	if errors.Is(err, errNotFound) {
		return ListClickHouseDataBaseReplicationConfig400JSONResponse{clientError(CodeDatabaseNotFound,
			"The database does not exist: it has no synchronization task on this instance.")}, nil
	}
	if err != nil {
		return nil, err
	}
	return ListClickHouseDataBaseReplicationConfig200JSONResponse(out), nil
}

func (a api) UpdateClickHouseDataBaseConfig(_ context.Context, req UpdateClickHouseDataBaseConfigRequestObject) (UpdateClickHouseDataBaseConfigResponseObject, error) {
	if req.Body == nil { // validation rejects a missing body; keep the handler total anyway
		return UpdateClickHouseDataBaseConfig400JSONResponse{clientError(CodeInvalidParameter, "Invalid request: the request body is missing.")}, nil
	}
	b := req.Body
	whiteList, tables, err := parseScope(b.Value)
	if err != nil {
		return UpdateClickHouseDataBaseConfig400JSONResponse{parameterError(err)}, nil
	}
	jobID, err := a.s.store.updateScope(req.InstanceID, b.Database, b.SourceInstanceID, whiteList, tables)
	switch {
	case errors.Is(err, errNotFound):
		return UpdateClickHouseDataBaseConfig400JSONResponse{clientError(CodeDatabaseNotFound,
			"The database does not exist: it has no synchronization task on this instance.")}, nil
	case errors.Is(err, errSourceMismatch):
		return UpdateClickHouseDataBaseConfig400JSONResponse{parameterError(err)}, nil
	case errors.Is(err, errScopeTypeChange):
		return UpdateClickHouseDataBaseConfig400JSONResponse{clientError(CodeScopeTypeChange,
			"The list type of a synchronization task cannot change: send the task's own list (black_list or white_list) with the new tables.")}, nil
	case errors.Is(err, errScopeBusy):
		return UpdateClickHouseDataBaseConfigdefaultJSONResponse{StatusCode: http.StatusConflict, Body: ErrorResponse{
			ErrorCode: CodeInstanceBusy, ErrorMsg: "The instance is busy: " + err.Error() + ". Try again later.",
		}}, nil
	case err != nil:
		return nil, err
	}
	return UpdateClickHouseDataBaseConfig200JSONResponse{JobID: jobID}, nil
}

func (a api) DeleteClickHouseDataBaseConfig(_ context.Context, req DeleteClickHouseDataBaseConfigRequestObject) (DeleteClickHouseDataBaseConfigResponseObject, error) {
	jobID, err := a.s.store.stopScope(req.InstanceID, req.Params.Database)
	switch {
	case errors.Is(err, errNotFound):
		return DeleteClickHouseDataBaseConfig400JSONResponse{clientError(CodeDatabaseNotFound,
			"The database does not exist: it has no synchronization task on this instance.")}, nil
	case errors.Is(err, errNoScopeChange):
		return DeleteClickHouseDataBaseConfig400JSONResponse{clientError(CodeNoScopeChange,
			"No change of the table scope of this synchronization task is in progress.")}, nil
	case err != nil:
		return nil, err
	}
	return DeleteClickHouseDataBaseConfig200JSONResponse{JobID: jobID}, nil
}
