package fake

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/getkin/kin-openapi/routers"
)

// startsJob reports whether the operation of route is a write that starts
// a job: a method other than GET whose 200 answer has a job_id. These are
// the writes WithOneOperationPerInstance refuses while the instance runs a
// job; an operation added to the spec is classified the same way.
func startsJob(route *routers.Route) bool {
	if route.Method == http.MethodGet || route.Method == http.MethodHead || route.Operation == nil || route.Operation.Responses == nil {
		return false
	}
	ok := route.Operation.Responses.Status(http.StatusOK)
	if ok == nil || ok.Value == nil {
		return false
	}
	mt := ok.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
		return false
	}
	_, has := mt.Schema.Value.Properties["job_id"]
	return has
}

// busyExempt names the writes that a busy instance accepts all the same:
// DeleteClickHouseDataBaseConfig stops a scope change that has not
// finished, the very job that keeps the instance busy.
var busyExempt = map[string]bool{"DeleteClickHouseDataBaseConfig": true}

// refusedWhenBusy reports whether WithOneOperationPerInstance refuses a
// request of route's operation while the instance runs a job.
func refusedWhenBusy(route *routers.Route) bool {
	return startsJob(route) && !busyExempt[route.Operation.OperationID]
}

// refuseBusy answers 409 CodeInstanceBusy and reports true when the
// instance of the request's path runs a job that has not ended. The caller
// holds writeMu, so that no other write starts a job between this check and
// the write it lets through.
func (s *Server) refuseBusy(w http.ResponseWriter, pathParams map[string]string) bool {
	// instance_id passed validation: it has no escapes.
	id, err := url.PathUnescape(pathParams["instance_id"])
	if err != nil || id == "" {
		return false
	}
	j, busy := s.store.busy(id)
	if !busy {
		return false
	}
	writeError(w, http.StatusConflict, CodeInstanceBusy, fmt.Sprintf(
		"Another operation is being performed on the DB instance: job %s (%s) is %s. Nothing was changed; send the request again once the job has ended.",
		j.ID, j.Name, j.Status))
	return true
}
