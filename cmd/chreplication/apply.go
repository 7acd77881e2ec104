package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/spf13/pflag"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/auth"
	"github.com/gaussdb-tools/chreplication/reconcile"
)

// Actions and results of apply's changes, as the JSON document spells them.
const (
	actionCreate = string(reconcile.ActionCreate)
	actionDelete = string(reconcile.ActionDelete)
	actionNone   = string(reconcile.ActionNone)

	resultDone     = string(reconcile.ResultDone)
	resultPlanned  = string(reconcile.ResultPlanned)
	resultFailed   = string(reconcile.ResultFailed)
	resultAbnormal = string(reconcile.ResultAbnormal)
	resultRunning  = string(reconcile.ResultRunning)
	resultConflict = string(reconcile.ResultConflict)
)

// applyAttempts is how many times apply tries a change that failed with an
// error that may pass (a 5xx, a network error). Lost answers, throttling
// and a busy instance are tried again for as long as --timeout allows.
const applyAttempts = 3

var applyCmd = &command{
	name:     "apply",
	summary:  "make the replications of instances match a file (create what is missing; --prune deletes the rest)",
	synopsis: "apply -f FILE [--prune] [--dry-run] [--confirm-wait D] [API flags]",
	details: `
Read the replications to have from FILE (YAML, or JSON; '-f -' reads standard
input) and make the service match it: for each instance the file names,
create the replications it lacks and, with --prune, delete those the file no
longer names (instances the file does not name are never touched). A task
that exists but is abnormal is left alone and reported. A task that exists
but replicates from another source instance or node than the file's is a
conflict: left alone, reported with both sources, and apply exits 1 (a
database has one task per instance; delete that task for apply to create
the file's). apply reads the configuration of each task the file wants
that exists (a request per task) to know its source; --no-source-check
trusts the list instead. A task still being created (stage wait or full,
its create job not ended, as after an interrupted apply) is not unchanged:
apply follows it until it reaches its steady stage, or reports it running. Every ID and
database name is checked before anything is sent: a bad file (an unknown key,
a bad ID or name, a database named twice for one instance, not YAML) exits 2
having sent nothing.

apply lists each instance and prints the plan, then carries it out: one
operation at a time per instance (the service runs one per instance), the
instances in parallel, waiting for each job (a live line per job on a
terminal, a line per change otherwise). --dry-run prints the plan only.
After an answer that may have been lost, apply looks at the list (for up to
--confirm-wait) before deciding anything, and never creates a database
twice: running apply again is always safe, and a second run of the same file
changes nothing.

File:
  replications:
    - instance_id: 54e42160670e48e789af7075e1efea1fin16        # the ClickHouse node's instance
      source_instance_id: ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07 # the GaussDB(for MySQL) instance
      source_node_id: ""                                       # optional: a read replica
      databases: [shop, sales]                                 # [] for none (with --prune: delete all)
      project_id: 0123456789abcdef0123456789abcdef             # optional (default: --project-id)
      region: cn-north-4                                       # optional, or endpoint: URL (default: --endpoint, --region)

Each (endpoint, project) pair of the file has its own client, with the
credentials of the environment scoped to its project and its own
--rate-limit budget. A lost answer, a throttled request and a busy instance
never make apply give up on a database while --timeout allows.

Output: the plan, what happened and a summary. With --output json, one
document: {"changes": [{"instance_id", "database", "action" (create, delete,
none), "job_id", "result" (done, planned, failed, abnormal, running,
conflict), "error"}], "error": {...}} (the top-level "error", as every failed
command's document has it, when apply exits non-zero)
("job_id_lost": true when a create's or delete's answer was lost and the list
showed it done; "running": the job was still running when apply was
interrupted or timed out; "project_id" and "endpoint" when the file gives
another place than the flags); progress and the plan go to stderr.
Exit codes: 0 the service matches the file; 1 an API or network error, or a
task of another source (conflict), left it unlike the file; 2 usage error or invalid file (nothing sent); 3 a job
ended Failed or a task is abnormal (and no error of kind 1); 130
interrupted (the jobs still running on the service are listed first).`,
	example: `  cat > replications.yaml <<'EOF'
  replications:
    - instance_id: 54e42160670e48e789af7075e1efea1fin16
      source_instance_id: ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07
      databases: [shop, sales]
  EOF
  chreplication apply -f replications.yaml --dry-run   # see the plan
  chreplication apply -f replications.yaml --prune     # create shop and sales, delete the others`,
	api: true,
	flags: func(fs *pflag.FlagSet) func(context.Context, *cli) error {
		var (
			a    apiFlags
			w    waitFlags
			path string
		)
		a.register(fs)
		fs.StringVarP(&path, "file", "f", "", "`FILE` to apply, YAML or JSON; - reads standard input (required)")
		prune := fs.Bool("prune", false, "also delete the replications of the file's instances that the file does not name")
		dryRun := fs.Bool("dry-run", false, "print the plan and change nothing")
		confirmWait := fs.Duration("confirm-wait", chreplication.DefaultConfirmWait, "after an answer that may have been lost, how long to keep looking at the list for its effect")
		skipSource := fs.Bool("no-source-check", false, "trust the list: do not read each existing task's configuration to compare its source with the file's (a request per task)")
		w.register(fs)
		return func(ctx context.Context, c *cli) error {
			if path == "" {
				c.note(usageErrorf("missing -f FILE (- reads standard input)"))
			}
			c.note(w.check())
			if *confirmWait < 0 {
				c.note(usageErrorf("--confirm-wait must not be negative"))
			}
			if err := c.check(a.checkOutput()); err != nil {
				return err
			}
			name, data, err := readApplyFile(path, c.stdin)
			if err != nil {
				return err
			}
			decl, err := parseApplyFile(name, data)
			if err != nil {
				return err
			}
			return a.do(ctx, c, func(ctx context.Context, client *chreplication.Client) error {
				ap := &applyRun{
					cli: c, a: &a, client: client, decl: decl,
					prune: *prune, dryRun: *dryRun, confirmWait: *confirmWait, poll: w.poll, skipSource: *skipSource,
				}
				return ap.run(ctx)
			})
		}
	},
}

// change is one line of apply's plan and of its JSON document.
type change struct {
	InstanceID string `json:"instance_id"`
	Database   string `json:"database"`
	// ProjectID and Endpoint are set when the file puts the instance in
	// another project or on another endpoint than the flags' and the
	// environment's.
	ProjectID string `json:"project_id,omitempty"`
	Endpoint  string `json:"endpoint,omitempty"`
	Action    string `json:"action"`
	JobID     string `json:"job_id"`
	JobIDLost bool   `json:"job_id_lost,omitempty"`
	Result    string `json:"result"`
	Error     string `json:"error"`

	jobFailed bool // Result failed because the job ended Failed
	mayRun    bool // a request whose answer was lost may have started a job
}

func (ch *change) label() string {
	return changeLabel(ch.Action, ch.Database, ch.InstanceID)
}

func changeLabel(action, db, instanceID string) string {
	return fmt.Sprintf("%s %s on %s", action, quoteName(db), printable(instanceID))
}

// applyDoc is apply's JSON document; Error is set, as in every failed
// command's document, when apply exits non-zero.
type applyDoc struct {
	Changes []*change  `json:"changes"`
	Error   *errorBody `json:"error,omitempty"`
}

// applyRun is one apply: the file, the flags' client and what to draw.
type applyRun struct {
	cli         *cli
	a           *apiFlags
	client      *chreplication.Client // the client of the flags' place
	decl        *reconcile.Declaration
	prune       bool
	dryRun      bool
	confirmWait time.Duration
	poll        time.Duration
	skipSource  bool

	board *board
	mu    sync.Mutex
	lines map[changeKey]int    // a change's line on the board
	verbs map[changeKey]string // a change's planned action
}

// changeKey names a change among those of one apply.
type changeKey struct{ endpoint, projectID, instanceID, database string }

func keyOf(ch reconcile.Change) changeKey {
	return changeKey{ch.Endpoint, ch.ProjectID, ch.InstanceID, ch.Database}
}

func (ap *applyRun) run(ctx context.Context) error {
	began := time.Now()
	// Text for people goes to stdout, or to stderr when stdout carries the
	// JSON document.
	info := ap.cli.stdout
	if ap.a.output == outputJSON {
		info = ap.cli.stderr
	}
	confirmWait := ap.confirmWait
	if confirmWait == 0 {
		confirmWait = -1 // look once
	}
	eng, err := reconcile.New(reconcile.Options{
		Client:          ap.clientFor,
		Endpoint:        ap.client.Endpoint(),
		ProjectID:       ap.client.ProjectID(),
		Prune:           ap.prune,
		ConfirmWait:     confirmWait,
		PollInterval:    ap.poll,
		MaxAttempts:     applyAttempts,
		OnEvent:         ap.event,
		SkipSourceCheck: ap.skipSource,
	})
	if err != nil {
		return err
	}
	plan, err := eng.Plan(ctx, ap.decl)
	if err != nil {
		return err // a client of the file's places could not be made: nothing was sent
	}
	ap.lines, ap.verbs = map[changeKey]int{}, map[changeKey]string{}
	for _, ch := range plan.Changes {
		ap.verbs[keyOf(ch)] = string(ch.Action)
		if ch.Starting {
			ap.verbs[keyOf(ch)] = "follow"
		}
	}
	results := plan.Changes
	if ctx.Err() == nil {
		printPlan(info, plan, ap.dryRun)
	}
	if !ap.dryRun && ctx.Err() == nil {
		ap.board = newBoard(info, ap.cli.stderr)
		if ap.board.live && ap.cli.events != nil && isTerminal(ap.cli.stderr) {
			// Event lines land on the board's terminal: draw them
			// through it, or its redrawing would overwrite them.
			ap.cli.events.through(ap.board.note)
			defer ap.cli.events.through(nil)
		}
		results = eng.Apply(ctx, plan)
	}
	all := make([]*change, 0, len(results))
	for _, rc := range results {
		all = append(all, ap.toChange(ctx, rc))
	}
	outcome := ap.outcome(ctx, all)
	if ap.a.output == outputJSON {
		doc := applyDoc{Changes: all}
		if outcome != nil {
			doc.Error = describeFailure(outcome)
		}
		if err := writeJSON(ap.cli.stdout, doc); err != nil {
			return err
		}
	} else if !ap.dryRun {
		printSummary(info, all, time.Since(began))
	}
	return outcome
}

// clientFor is the engine's reconcile.ClientFunc: the flags' client for
// their place, and for another place of the file a client made the same way
// with that project and endpoint (its credentials scoped to the project,
// its own --rate-limit budget).
func (ap *applyRun) clientFor(endpoint, projectID string) (*chreplication.Client, error) {
	if endpoint == strings.TrimRight(ap.client.Endpoint(), "/") && projectID == ap.client.ProjectID() {
		return ap.client, nil
	}
	a, getenv := ap.a, ap.cli.getenv
	creds, err := auth.FromLookup(a.credentialsLookup(getenv, projectID))
	if err != nil {
		return nil, usageErrorf("credentials of project %s: %s", printable(projectID), printable(strings.TrimPrefix(firstLine(err.Error()), "auth: ")))
	}
	perSecond, err := a.resolveRateLimit(getenv)
	if err != nil {
		return nil, err
	}
	c, err := chreplication.NewClient(endpoint, append(a.clientOptions(projectID, creds, perSecond, ap.cli.events), ap.cli.tel...)...)
	var ire *chreplication.InvalidRequestError
	if errors.As(err, &ire) && ire.Field == "endpoint" {
		// The file's endpoint (an entry's endpoint or region), not --endpoint.
		return nil, usageErrorf("the file's endpoint %s (an entry's endpoint key): %s", quoted(endpoint),
			strings.ReplaceAll(strings.TrimPrefix(ire.Reason, quoted(endpoint)+" is "), "WithInsecureHTTP", "--insecure-http"))
	}
	return c, err
}

// toChange is the JSON document's line of a change.
func (ap *applyRun) toChange(ctx context.Context, rc reconcile.Change) *change {
	ch := &change{
		InstanceID: rc.InstanceID, Database: rc.Database, Action: string(rc.Action),
		JobID: rc.JobID, JobIDLost: rc.JobIDLost, Result: string(rc.Result),
		jobFailed: rc.JobFailed, mayRun: rc.MayRun && rc.Result != reconcile.ResultDone,
	}
	if rc.Endpoint != strings.TrimRight(ap.client.Endpoint(), "/") || rc.ProjectID != ap.client.ProjectID() {
		ch.ProjectID, ch.Endpoint = rc.ProjectID, rc.Endpoint
	}
	switch {
	case rc.Err == nil && rc.Result == reconcile.ResultRunning && rc.Starting:
		ch.Error = "still being created: " + interruptedWord(ctx) + " before the task left its first stages"
	case rc.Err == nil:
	case rc.Result == reconcile.ResultPlanned && rc.Starting:
		ch.Error = "still being created, not followed: " + interruptedWord(ctx)
	case rc.Result == reconcile.ResultPlanned:
		ch.Error = "not started: " + interruptedWord(ctx)
	case rc.JobFailed:
		ch.Error = printable(rc.Err.Error())
	default:
		ch.Error = oneLine(rc.Err)
	}
	return ch
}

// event draws the engine's progress on the board.
func (ap *applyRun) event(e reconcile.Event) {
	ch := e.Change
	k := keyOf(ch)
	ap.mu.Lock()
	verb := ap.verbs[k]
	line, drawn := ap.lines[k]
	ap.mu.Unlock()
	label := changeLabel(verb, ch.Database, ch.InstanceID)
	switch e.Kind {
	case reconcile.EventStarted:
		if ch.Starting {
			text := label + ": " + startingState(ch.Replication)
			if ch.JobIDLost {
				text = label + ": the answer was lost; the list shows the task: " + startingState(ch.Replication)
			}
			line := ap.board.add(text)
			ap.mu.Lock()
			ap.lines[k] = line
			ap.mu.Unlock()
			return
		}
		if ch.JobID == "" {
			ap.board.add(label + ": done (the answer was lost, the list shows it done; the job's ID is unknown)")
			return
		}
		line := ap.board.add(label + ": job " + printable(ch.JobID) + " started")
		ap.mu.Lock()
		ap.lines[k] = line
		ap.mu.Unlock()
		if ap.board.live && ap.cli.events != nil {
			// On a terminal the job's line shows what its looks wait for
			// (throttled: when the next look goes), not a frozen state.
			id := printable(ch.JobID)
			ap.cli.events.follow(ch.JobID, func(wait string) { ap.board.set(line, label+": job "+id+" "+wait) })
		}
	case reconcile.EventProgress:
		if drawn {
			ap.board.set(line, label+": "+jobState(e.Job))
		}
	case reconcile.EventRetry:
		what := "trying again"
		if ch.JobID != "" {
			what = "looking again"
		}
		ap.board.add(fmt.Sprintf("%s: %s; %s in %s (attempt %d)", label, oneLine(e.Err), what, e.Delay.Round(10*time.Millisecond), e.Attempt+1))
	case reconcile.EventDone:
		if ch.JobID != "" && ap.cli.events != nil {
			ap.cli.events.unfollow(ch.JobID)
		}
		var text string
		switch {
		case ch.Already && verb == actionCreate:
			text = label + ": exists already"
		case ch.Already:
			text = label + ": gone already"
		case ch.Result == reconcile.ResultDone && ch.JobID != "":
			text = fmt.Sprintf("%s: done (job %s %s%s)", label, printable(ch.JobID), chreplication.JobCompleted, jobTimes(ch.Job))
		case ch.Result == reconcile.ResultFailed && ch.JobFailed:
			text = label + ": failed: " + printable(ch.Err.Error())
		case ch.Result == reconcile.ResultFailed:
			text = label + ": failed: " + oneLine(ch.Err)
		case ch.Result == reconcile.ResultConflict:
			text = label + ": conflict: " + oneLine(ch.Err)
		case ch.Result == reconcile.ResultDone && ch.JobIDLost && ch.Action == reconcile.ActionCreate && ch.Replication != nil:
			text = fmt.Sprintf("%s: done (the answer was lost; the task is synchronising, stage %s)", label, printable(ch.Replication.Stage))
		case ch.Result == reconcile.ResultDone && ch.Action == reconcile.ActionNone && ch.Replication != nil:
			text = fmt.Sprintf("%s: created and synchronising (stage %s)", label, printable(ch.Replication.Stage))
		case ch.Result == reconcile.ResultAbnormal && ch.Replication != nil:
			text = fmt.Sprintf("%s: abnormal (stage %s, catch-up %s): left alone", label, printable(ch.Replication.Stage), printable(string(ch.Replication.CatchupStage)))
		default:
			return
		}
		if drawn {
			ap.board.set(line, text)
		} else {
			ap.board.add(text)
		}
	}
}

// outcome prints what is left running when apply was interrupted or timed
// out, and returns the error that gives the exit code.
func (ap *applyRun) outcome(ctx context.Context, all []*change) error {
	apiFailed, jobFailed, abnormal, unfinished, conflicts := 0, 0, 0, 0, 0
	for _, ch := range all {
		switch {
		case ch.Result == resultConflict:
			conflicts++
		case ch.Result == resultFailed && ch.jobFailed:
			jobFailed++
		case ch.Result == resultFailed:
			apiFailed++
		case ch.Result == resultAbnormal:
			abnormal++
		case ch.Result == resultRunning, ch.Result == resultPlanned && ch.Error != "":
			unfinished++
		}
	}
	if ctx.Err() != nil {
		printStillRunning(ap.cli.stderr, all)
		if errors.Is(ctx.Err(), context.Canceled) {
			return fmt.Errorf("interrupted: %w", context.Canceled)
		}
	}
	switch {
	case apiFailed > 0:
		return &exitError{code: exitAPI, msg: fmt.Sprintf("%d %s failed: the service does not match the file", apiFailed, plural(apiFailed, "change", "changes"))}
	case conflicts > 0:
		return &exitError{code: exitAPI, msg: fmt.Sprintf("%d %s from another source than the file's: the service does not match the file", conflicts, plural(conflicts, "task replicates", "tasks replicate"))}
	case unfinished > 0:
		return &exitError{code: exitAPI, msg: fmt.Sprintf("%d %s did not finish before --timeout: the service does not match the file yet", unfinished, plural(unfinished, "change", "changes"))}
	case jobFailed > 0 || abnormal > 0:
		var parts []string
		if jobFailed > 0 {
			parts = append(parts, fmt.Sprintf("%d %s ended Failed", jobFailed, plural(jobFailed, "job", "jobs")))
		}
		if abnormal > 0 {
			parts = append(parts, fmt.Sprintf("%d %s abnormal", abnormal, plural(abnormal, "replication is", "replications are")))
		}
		return &exitError{code: exitJobFailed, msg: strings.Join(parts, ", ")}
	}
	return nil
}

func interruptedWord(ctx context.Context) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return "timed out (--timeout)"
	}
	return "interrupted"
}

// printStillRunning lists on w the jobs that were started and not seen to
// end, and the requests whose answer was lost.
func printStillRunning(w io.Writer, all []*change) {
	var lines []string
	for _, ch := range all {
		switch {
		case ch.Result == resultRunning && ch.JobID == "":
			lines = append(lines, fmt.Sprintf("  task being created: %s on %s (check with: chreplication list --instance-id %s)", quoteName(ch.Database), printable(ch.InstanceID), printable(ch.InstanceID)))
		case ch.Result == resultRunning:
			lines = append(lines, fmt.Sprintf("  job %s: %s (follow it with: chreplication wait --job-id %s)", printable(ch.JobID), ch.label(), printable(ch.JobID)))
		case ch.mayRun:
			lines = append(lines, fmt.Sprintf("  job unknown: %s may have reached the service (check with: chreplication list --instance-id %s)", ch.label(), printable(ch.InstanceID)))
		}
	}
	if len(lines) == 0 {
		fmt.Fprintln(w, "chreplication apply: no job of this run is left running on the service")
		return
	}
	fmt.Fprintln(w, "chreplication apply: still running on the service:")
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
}

// printPlan writes the plan: a line per change to make or task left alone,
// and a count of what matches already.
func printPlan(w io.Writer, plan *reconcile.Plan, dryRun bool) {
	var creates, deletes, none, abnormal, failed, conflicts, starting int
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	var rows []string
	for _, ch := range plan.Changes {
		switch {
		case ch.Action == reconcile.ActionCreate:
			creates++
		case ch.Action == reconcile.ActionDelete:
			deletes++
		case ch.Result == reconcile.ResultAbnormal:
			abnormal++
		case ch.Result == reconcile.ResultFailed:
			failed++
		case ch.Result == reconcile.ResultConflict:
			conflicts++
		case ch.Starting:
			starting++
		default:
			none++
		}
		switch {
		case ch.Action == reconcile.ActionCreate || ch.Action == reconcile.ActionDelete:
			rows = append(rows, fmt.Sprintf("  %s\t%s\ton %s\n", ch.Action, quoteName(ch.Database), printable(ch.InstanceID)))
		case ch.Result == reconcile.ResultConflict:
			rows = append(rows, fmt.Sprintf("  conflict\t%s\ton %s\t(%s; left alone)\n", quoteName(ch.Database), printable(ch.InstanceID), conflictWords(ch.Err)))
		case ch.Starting:
			rows = append(rows, fmt.Sprintf("  follow\t%s\ton %s\t(%s)\n", quoteName(ch.Database), printable(ch.InstanceID), startingState(ch.Replication)))
		case ch.Result == reconcile.ResultAbnormal:
			rows = append(rows, fmt.Sprintf("  abnormal\t%s\ton %s\t(left alone)\n", quoteName(ch.Database), printable(ch.InstanceID)))
		case ch.Result == reconcile.ResultFailed:
			rows = append(rows, fmt.Sprintf("  unknown\t%s\ton %s\t(%s)\n", quoteName(ch.Database), printable(ch.InstanceID), oneLine(ch.Err)))
		}
	}
	plans := plan.Instances
	head := "Plan"
	if dryRun {
		head = "Plan (dry run: nothing will be changed)"
	}
	fmt.Fprintf(w, "%s for %d %s: %d to create, %d to delete, %d unchanged", head, plans, plural(plans, "instance", "instances"), creates, deletes, none)
	if abnormal > 0 {
		fmt.Fprintf(w, ", %d abnormal", abnormal)
	}
	if failed > 0 {
		fmt.Fprintf(w, ", %d not listed", failed)
	}
	if conflicts > 0 {
		fmt.Fprintf(w, ", %d %s", conflicts, plural(conflicts, "conflict", "conflicts"))
	}
	if starting > 0 {
		fmt.Fprintf(w, ", %d still being created", starting)
	}
	fmt.Fprintln(w, ".")
	for _, r := range rows {
		fmt.Fprint(tw, r)
	}
	_ = tw.Flush()
	if creates+deletes+failed+conflicts+starting == 0 {
		fmt.Fprintln(w, "Nothing to change: the service matches the file.")
	}
}

// printSummary writes what apply did.
func printSummary(w io.Writer, all []*change, took time.Duration) {
	var created, deleted, unchanged, abnormal, failed, notStarted, running, conflicts int
	for _, ch := range all {
		switch {
		case ch.Result == resultConflict:
			conflicts++
		case ch.Result == resultDone && ch.Action == actionCreate:
			created++
		case ch.Result == resultDone && ch.Action == actionDelete:
			deleted++
		case ch.Result == resultDone:
			unchanged++
		case ch.Result == resultAbnormal:
			abnormal++
		case ch.Result == resultFailed:
			failed++
		case ch.Result == resultPlanned:
			notStarted++
		case ch.Result == resultRunning:
			running++
		}
	}
	fmt.Fprintf(w, "Summary: %d created, %d deleted, %d unchanged", created, deleted, unchanged)
	if abnormal > 0 {
		fmt.Fprintf(w, ", %d abnormal (left alone)", abnormal)
	}
	if failed > 0 {
		fmt.Fprintf(w, ", %d failed", failed)
	}
	if conflicts > 0 {
		fmt.Fprintf(w, ", %d %s (left alone)", conflicts, plural(conflicts, "conflict", "conflicts"))
	}
	if running > 0 {
		fmt.Fprintf(w, ", %d still running", running)
	}
	if notStarted > 0 {
		fmt.Fprintf(w, ", %d not started", notStarted)
	}
	fmt.Fprintf(w, " in %s.\n", took.Round(100*time.Millisecond))
	for _, ch := range all {
		switch ch.Result {
		case resultFailed:
			fmt.Fprintf(w, "  failed: %s: %s\n", ch.label(), ch.Error)
		case resultAbnormal:
			fmt.Fprintf(w, "  abnormal: %s on %s is left alone (delete it with 'chreplication delete' for apply to create it again)\n", quoteName(ch.Database), printable(ch.InstanceID))
		case resultConflict:
			fmt.Fprintf(w, "  conflict: %s on %s: %s\n", quoteName(ch.Database), printable(ch.InstanceID), ch.Error)
		}
	}
}

// conflictWords says a source conflict in a few words: "replicated from
// instance B, not instance A".
func conflictWords(err error) string {
	var sc *chreplication.SourceConflictError
	if errors.As(err, &sc) {
		return printable(fmt.Sprintf("replicated from %s, not %s", sc.Have, sc.Want))
	}
	return oneLine(err)
}

// startingState says where a task still being created stands.
func startingState(r *chreplication.Replication) string {
	if r == nil {
		return "still being created"
	}
	return fmt.Sprintf("still being created: stage %s, %d%%", printable(r.Stage), r.Percentage)
}

// jobTimes says when the service ran a job, from its own times: ": began
// 10:02:03, ended 10:02:05, 2s"; "" when the job shows no times. apply's
// own waiting (the request budget, the gateway's throttle) is not in it.
func jobTimes(j *chreplication.Job) string {
	if j == nil || j.Created.IsZero() {
		return ""
	}
	s := ": began " + j.Created.Local().Format("15:04:05")
	if !j.Ended.IsZero() && !j.Ended.Before(j.Created) {
		s += ", ended " + j.Ended.Local().Format("15:04:05") + ", " + j.Ended.Sub(j.Created).Round(100*time.Millisecond).String()
	}
	return s
}

// jobState is a job's status and progress: "Running 40%".
func jobState(j *chreplication.Job) string {
	s := "job " + printable(j.ID) + " " + printable(string(j.Status))
	if pct, ok := j.Percent(); ok {
		s += fmt.Sprintf(" %d%%", pct)
	} else if j.Process != "" {
		s += " " + printable(j.Process)
	}
	return s
}

// quoteName quotes a database name when it needs it to be read as one word.
func quoteName(db string) string {
	if db == "" || strings.ContainsAny(db, " \t\"'") || printable(db) != db {
		return fmt.Sprintf("%q", db)
	}
	return db
}

// oneLine turns an error into one printable line without the client's
// prefixes.
func oneLine(err error) string {
	s := strings.ReplaceAll(err.Error(), "\n", "; ")
	s = strings.ReplaceAll(s, "; chreplication: ", "; ")
	s = strings.ReplaceAll(s, ": chreplication: ", ": ")
	return printable(trimPrefix(s))
}

// board draws a line per job: on a terminal each line is redrawn in place
// as its job moves (several jobs run at once, one per instance); elsewhere
// every change is a new line. It is safe for concurrent use.
type board struct {
	mu    sync.Mutex
	w     io.Writer
	notes io.Writer // where note writes: stderr
	live  bool
	lines int // lines drawn so far on the terminal (live)
}

func newBoard(w, notes io.Writer) *board {
	return &board{w: w, notes: notes, live: isTerminal(w)}
}

// note writes a line of another kind (the client's events) to notes, which
// shows on the same terminal: it counts as one of the board's lines.
func (b *board) note(line string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.live {
		line = fit(line)
	}
	fmt.Fprintln(b.notes, line)
	b.lines++
}

// maxBoardLine bounds a live line, so that it does not wrap on an 80-column
// terminal and break the redrawing.
const maxBoardLine = 79

// longID matches the IDs (instance IDs, job UUIDs) that a live line shows
// cut to their first 8 characters, as the single-job progress line does.
var longID = regexp.MustCompile(`\b[0-9a-zA-Z][0-9a-zA-Z_-]{19,}\b`)

// fit makes a line fit a live board: long IDs cut, the line clipped.
func fit(line string) string {
	line = longID.ReplaceAllStringFunc(line, func(id string) string {
		if !strings.ContainsAny(id, "0123456789") {
			return id
		}
		return id[:8] + "…"
	})
	return clipRunes(line, maxBoardLine)
}

// add writes a new line and returns its index, for set.
func (b *board) add(line string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.live {
		line = fit(line)
	}
	fmt.Fprintln(b.w, line)
	b.lines++
	return b.lines - 1
}

// set replaces line i: on a terminal it is redrawn where it is, elsewhere
// written as a new line.
func (b *board) set(i int, line string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.live {
		fmt.Fprintln(b.w, line)
		return
	}
	up := b.lines - i
	// Up to line i, clear it, write it, and back down.
	fmt.Fprintf(b.w, "\x1b[%dA\r\x1b[2K%s\x1b[%dB\r", up, fit(line), up)
}

func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
