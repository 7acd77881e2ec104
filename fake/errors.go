package fake

import (
	"encoding/json"
	"net/http"
)

// Error codes the fake answers with, in the `error_code` field of an
// ErrorResponse body. The DBS codes stand for the service, the APIGW codes
// for the API gateway in front of it.
const (
	// CodeInvalidParameter (400): the request does not match openapi.yaml;
	// the message names the parameter or body field.
	CodeInvalidParameter = "DBS.280001"
	// CodeDatabaseNotFound (400): DeleteClickHouseDataBaseReplication of a
	// database that has no synchronization task on the instance.
	CodeDatabaseNotFound = "DBS.280292"
	// CodeReplicationExists (400): CreateClickHouseDataBaseReplication of a
	// database that already has a synchronization task on the instance.
	CodeReplicationExists = "DBS.280293"
	// CodeJobNotFound (400): ShowGaussMySqlJobInfo of a job ID the fake never
	// issued. The fake answers 400 rather than 404 because the spec declares
	// 400 as the service's answer to a missing resource; 404 belongs to the
	// gateway (no such API).
	CodeJobNotFound = "DBS.280294"
	// CodeInternal (500): the fake failed to build its answer.
	CodeInternal = "DBS.200001"
	// CodeAuthFailed (401): neither a valid X-Auth-Token nor a valid AK/SK
	// signature.
	CodeAuthFailed = "APIGW.0301"
	// CodeForbidden (403): the request names a project other than the fake's.
	CodeForbidden = "APIGW.0302"
	// CodeAPINotFound (404): no operation of the spec has this method and path.
	CodeAPINotFound = "APIGW.0101"
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
