package fake

import (
	"encoding/json"
	"net/http"
)

// Error codes the fake answers with, in the `error_code` field of an
// ErrorResponse body. The DBS codes stand for the service, the APIGW codes
// for the API gateway in front of it. Where GaussDB(for MySQL)'s published
// error code table has a code for the case, the fake answers that code; the
// others are the fake's own.
const (
	// CodeInvalidParameter (400): the request does not match openapi.yaml,
	// or its content is refused: an UpdateClickHouseDataBaseConfig value
	// that is not {"black_list":"t1,..."} or {"white_list":"t1,..."} (or a
	// white list of no table, or a table named twice), a source_instance_id
	// other than the task's, or a check that names a parameter or a table
	// twice. The message names the parameter or body field. DBS.200001 is the
	// documented "Parameter error." of GaussDB(for MySQL) and Huawei's other
	// database services.
	CodeInvalidParameter = "DBS.200001"
	// CodeDatabaseNotFound (400): DeleteClickHouseDataBaseReplication of a
	// database that has no synchronization task on the instance, and so
	// ListClickHouseDataBaseReplicationConfig, UpdateClickHouseDataBaseConfig
	// and DeleteClickHouseDataBaseConfig. Huawei documents no code for this
	// case. DBS.280292 is the error code of the ErrorRsp example in Huawei's
	// definitions of these operations, whose error_msg there reads "invalid
	// database user name" and which the DBS error code table documents as
	// "Invalid username."; the fake keeps it because clients written
	// against it (EnsureReplication among them) read it as "no task".
	CodeDatabaseNotFound = "DBS.280292"
	// CodeSourceDatabaseNotFound (400): CreateClickHouseDataBaseReplication,
	// CheckClickHouseDataBaseConfig and CheckClickHouseTableConfig of a
	// source database that ListClickHouseDataBase does not list for the
	// instance (see WithSourceDatabases), the same answer in all three.
	// DBS.280128 is "The database name does not exist." (400) in the DBS
	// error code table of Huawei's relational database API reference.
	CodeSourceDatabaseNotFound = "DBS.280128"
	// CodeReplicationExists (400): CreateClickHouseDataBaseReplication of a
	// database that already has a synchronization task on the instance.
	// Huawei documents no code for this case; this one is the fake's.
	CodeReplicationExists = "DBS.280293"
	// CodeJobNotFound (400): ShowGaussMySqlJobInfo of a job ID the fake never
	// issued, or of a job not visible yet (see WithJobVisibilityDelay); the
	// message names the job. DBS.200543 is the documented "The job does not
	// exist." The fake answers 400 rather than 404 because the spec declares
	// 400 as the service's answer to a missing resource; 404 belongs to the
	// gateway (no such API).
	CodeJobNotFound = "DBS.200543"
	// CodeInstanceBusy (409): a write to an instance that runs another
	// operation (see WithOneOperationPerInstance), and, whatever the options,
	// an UpdateClickHouseDataBaseConfig of a task that is still being created
	// or whose table scope is already being changed. DBS.200019 is the
	// documented "Another operation is being performed on the DB instance";
	// the refused request changed nothing, so sending it again is safe.
	CodeInstanceBusy = "DBS.200019"
	// CodeInternal (500): the fake failed to build its answer. DBS.200005 is
	// the documented 500 "Server failure."; it is not DBS.200001, which is
	// documented as the 400 parameter error.
	CodeInternal = "DBS.200005"
	// CodeScopeTypeChange (400): UpdateClickHouseDataBaseConfig with the other
	// list type than the task's (white_list for a black_list task, or the
	// reverse): only the tables of a scope may change. Huawei documents no
	// code for this case; this one is the fake's.
	CodeScopeTypeChange = "DBS.280295"
	// CodeNoScopeChange (400): DeleteClickHouseDataBaseConfig of a task whose
	// table scope is not being changed. Huawei documents no code for this
	// case; this one is the fake's.
	CodeNoScopeChange = "DBS.280296"
	// CodeAuthFailed (401): neither a valid X-Auth-Token nor a valid AK/SK
	// signature.
	CodeAuthFailed = "APIGW.0301"
	// CodeForbidden (403): the request names a project other than the fake's.
	CodeForbidden = "APIGW.0302"
	// CodeAPINotFound (404): no operation of the spec has this method and path.
	CodeAPINotFound = "APIGW.0101"
	// CodeThrottled (429): the request is beyond the rate limit of its
	// credential (see WithRateLimit). APIGW.0308 is the API gateway's code,
	// with the error_msg "The throttling threshold has been reached: policy
	// user over ratelimit,limit:N,time:1 second".
	CodeThrottled = "APIGW.0308"
	// CodeServiceUnavailable (503): the fake is closing.
	CodeServiceUnavailable = "APIGW.0201"
)

// writeJSON answers status with v encoded as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error_code":"` + CodeInternal + `","error_msg":"Internal server error."}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeError answers status with an ErrorResponse body.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, ErrorResponse{ErrorCode: code, ErrorMsg: msg})
}
