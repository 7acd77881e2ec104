package fake

import (
	"context"
	"errors"

	"github.com/gaussdb-tools/chreplication/wiretype"
)

// api implements the generated StrictServerInterface over the store. The
// requests it sees have been authenticated and validated.
type api struct{ s *Server }

var _ StrictServerInterface = api{}

func (a api) CreateClickHouseDataBaseReplication(_ context.Context, req CreateClickHouseDataBaseReplicationRequestObject) (CreateClickHouseDataBaseReplicationResponseObject, error) {
	if req.Body == nil { // validation rejects a missing body; keep the handler total anyway
		return CreateClickHouseDataBaseReplication400JSONResponse{ClientErrorJSONResponse{
			ErrorCode: CodeInvalidParameter, ErrorMsg: "Invalid request: the request body is missing.",
		}}, nil
	}
	jobID, err := a.s.store.create(req.InstanceID, req.Body.SourceDatabase, sourceOf(req.Body.SourceInstanceID, req.Body.SourceNodeID))
	if errors.Is(err, errDuplicate) {
		return CreateClickHouseDataBaseReplication400JSONResponse{ClientErrorJSONResponse{
			ErrorCode: CodeReplicationExists, ErrorMsg: "The database already has a synchronization task on this instance.",
		}}, nil
	}
	if errors.Is(err, errNoSource) {
		return CreateClickHouseDataBaseReplication400JSONResponse{clientError(CodeSourceDatabaseNotFound, errNoSourceDatabase)}, nil
	}
	if err != nil {
		return nil, err
	}
	return CreateClickHouseDataBaseReplication200JSONResponse{JobID: jobID}, nil
}

func (a api) ListClickHouseDataBaseReplication(_ context.Context, req ListClickHouseDataBaseReplicationRequestObject) (ListClickHouseDataBaseReplicationResponseObject, error) {
	limit, offset := 10, 0
	if p := req.Params.Limit; p != nil {
		limit = int(*p)
	}
	if p := req.Params.Offset; p != nil {
		offset = int(*p)
	}
	total, page := a.s.store.list(req.InstanceID, limit, offset)
	return ListClickHouseDataBaseReplication200JSONResponse{TotalCount: wiretype.Int(total), Replications: page}, nil
}

func (a api) DeleteClickHouseDataBaseReplication(_ context.Context, req DeleteClickHouseDataBaseReplicationRequestObject) (DeleteClickHouseDataBaseReplicationResponseObject, error) {
	jobID, err := a.s.store.delete(req.InstanceID, req.DatabaseName)
	if errors.Is(err, errNotFound) {
		return DeleteClickHouseDataBaseReplication400JSONResponse{ClientErrorJSONResponse{
			ErrorCode: CodeDatabaseNotFound, ErrorMsg: "The database does not exist: it has no synchronization task on this instance.",
		}}, nil
	}
	if err != nil {
		return nil, err
	}
	return DeleteClickHouseDataBaseReplication200JSONResponse{JobID: jobID}, nil
}

func (a api) ShowGaussMySQLJobInfo(_ context.Context, req ShowGaussMySQLJobInfoRequestObject) (ShowGaussMySQLJobInfoResponseObject, error) {
	job, ok := a.s.store.showJob(req.Params.ID, true)
	if !ok {
		return ShowGaussMySQLJobInfo400JSONResponse{ClientErrorJSONResponse{
			// The ID passed validation: it has only letters, digits, - and _.
			ErrorCode: CodeJobNotFound, ErrorMsg: "The job does not exist: " + req.Params.ID + ".",
		}}, nil
	}
	return ShowGaussMySQLJobInfo200JSONResponse{Job: job}, nil
}
