package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/pflag"

	"github.com/gaussdb-tools/chreplication"
)

// defaultPollInterval is the shortest delay between two looks at a waited
// job (see pollInterval).
const defaultPollInterval = time.Second

// waitFlags are the flags of the commands that can wait for a job.
type waitFlags struct {
	poll time.Duration
}

func (w *waitFlags) register(fs *pflag.FlagSet) {
	fs.DurationVar(&w.poll, "poll-interval", defaultPollInterval, "shortest `delay` between two looks at the job while waiting: the job's progress predicts its end and the wait looks just after it; while it cannot predict (no progress reported yet, or the predictions missed), the delay starts at this and doubles up to ten times it (at most 15s, unless this is longer), the longest delay between two looks in any case")
}

func (w *waitFlags) check() error {
	if w.poll <= 0 {
		return usageErrorf("--poll-interval must be positive")
	}
	return nil
}

// wait waits for the job, drawing its progress on stdout, or on stderr when
// stdout carries the JSON document. A job that ends Failed is returned with
// a *jobFailedError.
func wait(ctx context.Context, c *cli, client *chreplication.Client, a *apiFlags, w *waitFlags, jobID string) (*chreplication.Job, error) {
	out := c.stdout
	if a.output == outputJSON {
		out = c.stderr
	}
	job, err := waitJob(ctx, client, jobID, out, c.events, pollInterval(w.poll))
	if err != nil {
		noteStillRunning(ctx, c.stderr, jobID, job)
	}
	return job, err
}

// waitJob waits for the job with WaitJob, drawing its progress on out; on
// a terminal the client's waits for the job (events, when not nil) show in
// the progress line. A job that ends Failed is returned with a
// *jobFailedError.
func waitJob(ctx context.Context, client *chreplication.Client, jobID string, out io.Writer, events *eventLines, poll chreplication.WaitOption) (*chreplication.Job, error) {
	p := newProgress(out, jobID)
	if events != nil && p.live {
		events.follow(jobID, p.waiting)
		defer events.unfollow(jobID)
	}
	job, err := client.WaitJob(ctx, jobID, chreplication.WithProgress(p.update), poll)
	p.done()
	if errors.Is(err, chreplication.ErrJobFailed) {
		return job, &jobFailedError{job: job, err: err}
	}
	return job, err
}

// startJob is the part create and delete share: call start, print the job
// ID (and with --wait, wait and print the final job).
func startJob(ctx context.Context, c *cli, a *apiFlags, w *waitFlags, doWait bool, what, instanceID string,
	start func(ctx context.Context, client *chreplication.Client) (string, error),
) error {
	if doWait {
		c.note(w.check())
	}
	return a.do(ctx, c, func(ctx context.Context, client *chreplication.Client) error {
		jobID, err := start(ctx, client)
		if err != nil {
			noteMayHaveStarted(ctx, c.stderr, err, instanceID)
			return err
		}
		c.failure.jobID = jobID
		if a.output == outputText {
			fmt.Fprintf(c.stdout, "Started job %s: %s.\n", printable(jobID), what)
		}
		if !doWait {
			return a.emit(c.stdout, jobIDDoc{JobID: jobID}, func() error {
				_, err := fmt.Fprintf(c.stdout, "Follow it with: chreplication wait --job-id %s\n", printable(jobID))
				return err
			})
		}
		began := time.Now()
		job, err := wait(ctx, c, client, a, w, jobID)
		if err != nil {
			// The failure's document names the job, as last seen.
			c.failure.job = job
			return err
		}
		if a.output == outputJSON {
			return writeJSON(c.stdout, jobIDDoc{JobID: jobID, Job: job})
		}
		if err == nil {
			fmt.Fprintf(c.stdout, "Job %s %s in %s.\n", printable(jobID), job.Status, time.Since(began).Round(100*time.Millisecond))
		}
		return err
	})
}

var createCmd = &command{
	name:     "create",
	summary:  "start synchronising a MySQL database into an instance's ClickHouse node",
	synopsis: "create --instance-id I --source-instance-id S --source-database D [--source-node-id N] [--wait] [API flags]",
	details: `
Create a replication (data synchronization task): copy database D of the
GaussDB(for MySQL) instance S into the ClickHouse node of instance I, and keep
it in sync. The API starts a job and answers its ID; --wait follows the job
until it ends, showing its progress.

Output: the job ID. With --output json, {"job_id": "..."}; with --wait also
the final job: {"job_id": "...", "job": {...}} (progress goes to stderr).
Exit code 3 when the waited job ends Failed.`,
	example: `  export HUAWEICLOUD_SDK_REGION=cn-north-4 HUAWEICLOUD_SDK_PROJECT_ID=0123456789abcdef0123456789abcdef
  export HUAWEICLOUD_AUTH_TOKEN="$(cat ~/.iam-token)"
  chreplication create --instance-id 54e42160670e48e789af7075e1efea1fin16 \
      --source-instance-id ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07 --source-database shop --wait`,
	api: true,
	flags: func(fs *pflag.FlagSet) func(context.Context, *cli) error {
		var (
			a   apiFlags
			w   waitFlags
			req chreplication.CreateReplicationRequest
		)
		a.register(fs)
		instanceID := fs.String("instance-id", "", "`ID` of the instance whose ClickHouse node receives the data (required)")
		fs.StringVar(&req.SourceInstanceID, "source-instance-id", "", "`ID` of the GaussDB(for MySQL) instance to copy from (required)")
		fs.StringVar(&req.SourceDatabase, "source-database", "", "`name` of the database to synchronise (required)")
		fs.StringVar(&req.SourceNodeID, "source-node-id", "", "`ID` of the read replica to copy from (default: the primary node)")
		doWait := fs.Bool("wait", false, "wait for the job to end, showing its progress")
		w.register(fs)
		return func(ctx context.Context, c *cli) error {
			c.note(requireFlags("instance-id", *instanceID, "source-instance-id", req.SourceInstanceID, "source-database", req.SourceDatabase))
			what := fmt.Sprintf("create the replication of database %q into instance %s", printable(req.SourceDatabase), printable(*instanceID))
			return startJob(ctx, c, &a, &w, *doWait, what, *instanceID, func(ctx context.Context, client *chreplication.Client) (string, error) {
				return client.CreateReplication(ctx, *instanceID, req)
			})
		}
	},
}

var deleteCmd = &command{
	name:     "delete",
	summary:  "stop synchronising a database and delete its replication",
	synopsis: "delete --instance-id I --database D [--wait] [API flags]",
	details: `
Delete the replication of database D from the ClickHouse node of instance I.
The API starts a job and answers its ID; --wait follows the job until it
ends, showing its progress.

Output: the job ID. With --output json, {"job_id": "..."}; with --wait also
the final job: {"job_id": "...", "job": {...}} (progress goes to stderr).
Exit code 3 when the waited job ends Failed.`,
	example: `  chreplication delete --region cn-north-4 --project-id 0123456789abcdef0123456789abcdef \
      --instance-id 54e42160670e48e789af7075e1efea1fin16 --database shop --wait --output json`,
	api: true,
	flags: func(fs *pflag.FlagSet) func(context.Context, *cli) error {
		var (
			a apiFlags
			w waitFlags
		)
		a.register(fs)
		instanceID := fs.String("instance-id", "", "`ID` of the instance whose ClickHouse node holds the replication (required)")
		database := fs.String("database", "", "`name` of the synchronised database (required)")
		doWait := fs.Bool("wait", false, "wait for the job to end, showing its progress")
		w.register(fs)
		return func(ctx context.Context, c *cli) error {
			c.note(requireFlags("instance-id", *instanceID, "database", *database))
			what := fmt.Sprintf("delete the replication of database %q from instance %s", printable(*database), printable(*instanceID))
			return startJob(ctx, c, &a, &w, *doWait, what, *instanceID, func(ctx context.Context, client *chreplication.Client) (string, error) {
				return client.DeleteReplication(ctx, *instanceID, *database)
			})
		}
	},
}

var listCmd = &command{
	name:     "list",
	summary:  "list the replications of an instance's ClickHouse node",
	synopsis: "list --instance-id I [--limit N --offset N | --all] [API flags]",
	details: `
List the replications (data synchronization tasks) of the ClickHouse node of
instance I: one page (--limit, --offset), or every one with --all, which
fetches pages of 100 as it goes.

Output: a table. With --output json, {"total_count": N, "replications": [...]}
where each replication has source_database, target_database, status, stage,
catchup_stage and percentage; with --all, total_count is the number listed.`,
	example: `  chreplication list --region cn-north-4 --instance-id 54e42160670e48e789af7075e1efea1fin16 --all --output json`,
	api:     true,
	flags: func(fs *pflag.FlagSet) func(context.Context, *cli) error {
		var a apiFlags
		a.register(fs)
		instanceID := fs.String("instance-id", "", "`ID` of the instance whose ClickHouse node to list (required)")
		limit := fs.Int("limit", 0, "page size, 1 to 100 (default: the API's, 10)")
		offset := fs.Int("offset", 0, "number of replications to skip")
		all := fs.Bool("all", false, "list every replication, page after page (not with --limit or --offset)")
		return func(ctx context.Context, c *cli) error {
			c.note(requireFlags("instance-id", *instanceID))
			if *all {
				c.note(refusePaging(fs))
			}
			return a.do(ctx, c, func(ctx context.Context, client *chreplication.Client) error {
				var page *chreplication.ReplicationPage
				if *all {
					page = &chreplication.ReplicationPage{Replications: []chreplication.Replication{}}
					for r, err := range client.AllReplications(ctx, *instanceID) {
						if err != nil {
							return err
						}
						page.Replications = append(page.Replications, r)
					}
					page.TotalCount = len(page.Replications)
				} else {
					var err error
					page, err = client.ListReplications(ctx, *instanceID, chreplication.ListOptions{Limit: *limit, Offset: *offset})
					if err != nil {
						return err
					}
					if page.Replications == nil {
						page.Replications = []chreplication.Replication{}
					}
				}
				return a.emit(c.stdout, page, func() error { return printPage(c.stdout, page, *instanceID, *all, *offset) })
			})
		}
	},
}

func printPage(w io.Writer, page *chreplication.ReplicationPage, instanceID string, all bool, offset int) error {
	n := len(page.Replications)
	if n == 0 {
		if page.TotalCount > 0 {
			_, err := fmt.Fprintf(w, "No replications at offset %d; instance %s has %d.\n", offset, printable(instanceID), page.TotalCount)
			return err
		}
		_, err := fmt.Fprintf(w, "No replications on instance %s.\n", printable(instanceID))
		return err
	}
	if err := printReplications(w, page.Replications); err != nil {
		return err
	}
	switch {
	case all:
		_, err := fmt.Fprintf(w, "%d %s.\n", n, plural(n, "replication", "replications"))
		return err
	case n < page.TotalCount:
		_, err := fmt.Fprintf(w, "%d to %d of %d replications (more with --offset %d, or --all).\n", offset+1, offset+n, page.TotalCount, offset+n)
		return err
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

var jobCmd = &command{
	name:     "job",
	summary:  "show a job, such as the one create or delete started",
	synopsis: "job --job-id J [API flags]",
	details: `
Show the job J once: its status (Pending, Running, Completed or Failed), its
progress, the instance it works on and, for a failed job, the reason.

Output: the job. With --output json, the job object: {"id", "name",
"status", "created", "ended", "process", "instance": {"id", "name"},
"fail_reason"} (empty fields left out).`,
	example: `  chreplication job --region cn-north-4 --job-id 2fa4e0d0-8b8c-4f0e-9a3f-0c0c3d2a4b11 --output json`,
	api:     true,
	flags: func(fs *pflag.FlagSet) func(context.Context, *cli) error {
		var a apiFlags
		a.register(fs)
		jobID := fs.String("job-id", "", "`ID` of the job (required)")
		return func(ctx context.Context, c *cli) error {
			c.note(requireFlags("job-id", *jobID))
			return a.do(ctx, c, func(ctx context.Context, client *chreplication.Client) error {
				job, err := client.Job(ctx, *jobID)
				if err != nil {
					return err
				}
				return a.emit(c.stdout, job, func() error { return printJob(c.stdout, job) })
			})
		}
	},
}

var waitCmd = &command{
	name:     "wait",
	summary:  "wait for a job to end, showing its progress",
	synopsis: "wait --job-id J [API flags]",
	details: `
Follow the job J until it is Completed or Failed, showing its progress: a live
line on a terminal, one line per change otherwise (on stderr with --output
json). The job's progress predicts when it ends, and the wait looks just
after; without a prediction it looks after --poll-interval, then backs off
(doubling, up to ten times --poll-interval, at most 15s).

Output: the final job, as 'chreplication job' prints it (with --output json,
the job object). Exit code 3 when the job ends Failed; --timeout bounds the
wait.`,
	example: `  chreplication wait --region cn-north-4 --job-id 2fa4e0d0-8b8c-4f0e-9a3f-0c0c3d2a4b11 --timeout 30m`,
	api:     true,
	flags: func(fs *pflag.FlagSet) func(context.Context, *cli) error {
		var (
			a apiFlags
			w waitFlags
		)
		a.register(fs)
		jobID := fs.String("job-id", "", "`ID` of the job (required)")
		w.register(fs)
		return func(ctx context.Context, c *cli) error {
			c.note(requireFlags("job-id", *jobID))
			c.note(w.check())
			return a.do(ctx, c, func(ctx context.Context, client *chreplication.Client) error {
				job, err := wait(ctx, c, client, &a, &w, *jobID)
				c.failure.job = job
				switch {
				case err == nil:
					return a.emit(c.stdout, job, func() error { return printJob(c.stdout, job) })
				case job != nil && errors.Is(err, chreplication.ErrJobFailed):
					// The final job, as on success, with what failed.
					perr := a.emit(c.stdout, jobErrorDoc{Job: job, Error: describeFailure(err)}, func() error { return printJob(c.stdout, job) })
					return cmp.Or(err, perr)
				}
				return err
			})
		}
	},
}
