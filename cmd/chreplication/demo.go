package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/auth"
	"github.com/gaussdb-tools/chreplication/fake"
)

// The demo's example IDs: the instance whose ClickHouse node receives the
// data, the GaussDB(for MySQL) instance it comes from, and the database.
const (
	demoInstanceID       = "54e42160670e48e789af7075e1efea1fin16"
	demoSourceInstanceID = "ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07"
	demoDatabase         = "shop"
)

// defaultDemoJobDuration is how long the demo's jobs take: long enough to
// see the progress move, short enough for the demo to end in seconds.
const defaultDemoJobDuration = 1500 * time.Millisecond

var demoCmd = &command{
	name:     "demo",
	summary:  "run the whole lifecycle against an in-process fake (no credentials, no network)",
	synopsis: "demo [--job-duration 1.5s]",
	details: `
Start the fake API inside this process on 127.0.0.1, then do what a user
does, with the same client the other commands use: create a replication,
wait for its job with progress, have the service check two parameter values,
change the tables the replication copies and wait for that job, list the
replications, delete it, wait again, and print a summary. It reads no credentials and reaches no network; it ends
in a few seconds.`,
	example: `  chreplication demo
  make demo            # the same, from a clone: go run ./cmd/chreplication demo`,
	flags: func(fs *pflag.FlagSet) func(context.Context, *cli) error {
		jobDuration := fs.Duration("job-duration", defaultDemoJobDuration, "how long each of the demo's jobs takes")
		return func(ctx context.Context, c *cli) error {
			if *jobDuration < 0 || *jobDuration > time.Minute {
				c.note(usageErrorf("--job-duration must be between 0 and 1m"))
			}
			if err := c.check(); err != nil {
				return err
			}
			return demo(ctx, c, *jobDuration)
		}
	},
}

func demo(ctx context.Context, c *cli, jobDuration time.Duration) error {
	began := time.Now()
	s, err := fake.NewServer(fake.WithJobDuration(jobDuration))
	if err != nil {
		return fmt.Errorf("starting the fake: %w", err)
	}
	defer s.Close()
	client, err := chreplication.NewClient(s.URL(),
		chreplication.WithProjectID(s.ProjectID()),
		chreplication.WithAuth(auth.StaticToken(s.Token())),
		chreplication.WithUserAgent("chreplication-demo/"+chreplication.Version))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second+4*jobDuration)
	defer cancel()

	out := c.stdout
	say := func(format string, args ...any) { fmt.Fprintf(out, format, args...) }
	// Look at the job often enough to see it move.
	poll := max(jobDuration/10, 20*time.Millisecond)
	waitFor := func(jobID string) (*chreplication.Job, time.Duration, error) {
		start := time.Now()
		job, err := waitJob(ctx, client, jobID, out, nil, chreplication.WithPollInterval(poll, 2*poll))
		return job, time.Since(start), err
	}

	say("Demo: a fake GaussDB(for MySQL) API runs in this process at %s (no credentials, no network).\n\n", s.URL())

	say("1. Create a replication of database %q from instance %s into the ClickHouse node of %s\n", demoDatabase, demoSourceInstanceID, demoInstanceID)
	say("   $ chreplication create --instance-id %s --source-instance-id %s --source-database %s --wait\n", demoInstanceID, demoSourceInstanceID, demoDatabase)
	createJob, err := client.CreateReplication(ctx, demoInstanceID, chreplication.CreateReplicationRequest{
		SourceInstanceID: demoSourceInstanceID,
		SourceDatabase:   demoDatabase,
	})
	if err != nil {
		return err
	}
	say("Started job %s.\n", createJob)
	job, createTook, err := waitFor(createJob)
	if err != nil {
		return err
	}
	say("Job %s %s in %s.\n\n", job.ID, job.Status, createTook.Round(100*time.Millisecond))

	say("2. Have the service judge two parameter values for %q (a check changes nothing)\n", demoDatabase)
	say("   $ chreplication check --instance-id %s --source-instance-id %s --source-database %s --param max_sync_threads=2 --param max_flush_data_time=20000\n",
		demoInstanceID, demoSourceInstanceID, demoDatabase)
	asked := []chreplication.Setting{{Name: "max_sync_threads", Value: "2"}, {Name: "max_flush_data_time", Value: "20000"}}
	check, err := client.CheckDatabaseConfig(ctx, demoInstanceID, chreplication.CheckRequest{
		SourceInstanceID: demoSourceInstanceID,
		SourceDatabase:   demoDatabase,
		Settings:         asked,
	})
	if err != nil {
		return err
	}
	var shown []chreplication.SettingCheck
	for _, sc := range check.Settings {
		for _, a := range asked {
			if sc.Name == a.Name {
				shown = append(shown, sc)
			}
		}
	}
	if err := printSettings(out, shown); err != nil {
		return err
	}
	say("(the other %d parameters are judged at their defaults; a value that fails makes 'chreplication check' exit 4)\n", len(check.Settings)-len(shown))
	say("This API version creates a replication with the default parameters: a check is advice, not a setting.\n\n")

	say("3. Leave table audit_log out of the replication (the tables of its exclude list change; the list's type cannot)\n")
	say("   $ chreplication scope --instance-id %s --source-instance-id %s --database %s --exclude-tables audit_log --wait\n",
		demoInstanceID, demoSourceInstanceID, demoDatabase)
	scopeJob, err := client.UpdateScope(ctx, demoInstanceID, chreplication.ScopeUpdate{
		SourceInstanceID: demoSourceInstanceID,
		Database:         demoDatabase,
		Scope:            chreplication.TableScope{Mode: chreplication.ScopeExclude, Tables: []string{"audit_log"}},
	})
	if err != nil {
		return err
	}
	say("Started job %s.\n", scopeJob)
	job, scopeTook, err := waitFor(scopeJob)
	if err != nil {
		return err
	}
	say("Job %s %s in %s.\n", job.ID, job.Status, scopeTook.Round(100*time.Millisecond))
	cfg, err := client.ShowReplicationConfig(ctx, demoInstanceID, demoDatabase)
	if err != nil {
		return err
	}
	say("   $ chreplication config --instance-id %s --database %s\n", demoInstanceID, demoDatabase)
	say("Scope: %s.\n\n", describeScope(cfg.Scope))

	say("4. List the replications of %s\n", demoInstanceID)
	say("   $ chreplication list --instance-id %s\n", demoInstanceID)
	page, err := client.ListReplications(ctx, demoInstanceID, chreplication.ListOptions{})
	if err != nil {
		return err
	}
	if err := printReplications(out, page.Replications); err != nil {
		return err
	}
	say("\n")

	say("5. Delete the replication of %q\n", demoDatabase)
	say("   $ chreplication delete --instance-id %s --database %s --wait\n", demoInstanceID, demoDatabase)
	deleteJob, err := client.DeleteReplication(ctx, demoInstanceID, demoDatabase)
	if err != nil {
		return err
	}
	say("Started job %s.\n", deleteJob)
	job, deleteTook, err := waitFor(deleteJob)
	if err != nil {
		return err
	}
	say("Job %s %s in %s.\n\n", job.ID, job.Status, deleteTook.Round(100*time.Millisecond))

	page, err = client.ListReplications(ctx, demoInstanceID, chreplication.ListOptions{})
	if err != nil {
		return err
	}
	say("6. List again: %d %s left.\n\n", page.TotalCount, plural(page.TotalCount, "replication", "replications"))

	say("Done in %s: created the replication of %q (job %s, %s), changed its tables (job %s, %s) and deleted it (job %s, %s).\n",
		time.Since(began).Round(100*time.Millisecond), demoDatabase,
		createJob, createTook.Round(100*time.Millisecond), scopeJob, scopeTook.Round(100*time.Millisecond),
		deleteJob, deleteTook.Round(100*time.Millisecond))
	say("Next: 'chreplication fake' serves this fake on 127.0.0.1:8080 for your own tries; 'chreplication help' lists the commands.\n")
	return nil
}
