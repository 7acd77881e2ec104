package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/gaussdb-tools/chreplication"
)

// noteStillRunning tells on w, when a wait ended because ctx did (Ctrl-C or
// --timeout) before the job did, that the job goes on running on the
// service and how to follow it. job is the job as last seen, or nil.
func noteStillRunning(ctx context.Context, w io.Writer, jobID string, job *chreplication.Job) {
	if ctx.Err() == nil || (job != nil && job.Status.Done()) {
		return
	}
	state := ""
	if job != nil {
		state = " (last seen " + jobState(job) + ")"
	}
	fmt.Fprintf(w, "chreplication: %s: job %s is still running on the service%s; follow it with: chreplication wait --job-id %s\n",
		interruptedWord(ctx), printable(jobID), state, printable(jobID))
}

// noteMayHaveStarted tells on w, when ctx ended while a create or delete
// was waiting for its answer, that the request may have reached the service.
func noteMayHaveStarted(ctx context.Context, w io.Writer, err error, instanceID string) {
	if err == nil || ctx.Err() == nil || errors.Is(err, chreplication.ErrInvalidRequest) {
		return
	}
	if errors.Is(err, chreplication.ErrNotStarted) {
		// Nothing was sent, or every answer said nothing changed (a busy
		// instance, the gateway's throttle).
		fmt.Fprintf(w, "chreplication: %s: nothing was started on the service (no request got through, or each answer said nothing changed)\n", interruptedWord(ctx))
		return
	}
	fmt.Fprintf(w, "chreplication: %s before the answer came: the request may have reached the service and started a job; check with: chreplication list --instance-id %s\n",
		interruptedWord(ctx), printable(instanceID))
}
