package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/spf13/pflag"

	"github.com/gaussdb-tools/chreplication"
)

// Actions and results of apply's changes, as the JSON document spells them.
const (
	actionCreate = "create"
	actionDelete = "delete"
	actionNone   = "none"

	resultDone     = "done"
	resultPlanned  = "planned"
	resultFailed   = "failed"
	resultAbnormal = "abnormal"
)

// applyAttempts is how many times apply tries one change whose outcome an
// error left open (a lost answer the list did not settle, a busy or failing
// service). Each try looks at the list first, so a task is never created
// twice.
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
that exists but is abnormal is left alone and reported. Every ID and
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

Output: the plan, what happened and a summary. With --output json, one
document: {"changes": [{"instance_id", "database", "action" (create, delete,
none), "job_id", "result" (done, planned, failed, abnormal), "error"}]}
("job_id_lost": true when a create's or delete's answer was lost and the list
showed it done); progress and the plan go to stderr.
Exit codes: 0 the service matches the file; 1 an API or network error left
it unlike the file; 2 usage error or invalid file (nothing sent); 3 a job
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
			targets, err := parseApplyFile(name, data)
			if err != nil {
				return err
			}
			return a.do(ctx, c, func(ctx context.Context, client *chreplication.Client) error {
				ap := &applier{
					cli: c, a: &a, client: client, targets: targets,
					prune: *prune, dryRun: *dryRun,
					ensure: []chreplication.EnsureOption{chreplication.WithConfirmWait(*confirmWait)},
					poll:   w.poll,
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
	Action     string `json:"action"`
	JobID      string `json:"job_id"`
	JobIDLost  bool   `json:"job_id_lost,omitempty"`
	Result     string `json:"result"`
	Error      string `json:"error"`

	req       chreplication.CreateReplicationRequest
	jobFailed bool // Result failed because the job ended Failed
	running   bool // a job was started and was not seen to end
	mayRun    bool // a request whose answer was lost may have started a job
	took      time.Duration
}

func (ch *change) label() string {
	return fmt.Sprintf("%s %s on %s", ch.Action, quoteName(ch.Database), printable(ch.InstanceID))
}

// fail records err as the change's outcome.
func (ch *change) fail(err error) {
	ch.Result = resultFailed
	ch.Error = oneLine(err)
}

// applyDoc is apply's JSON document.
type applyDoc struct {
	Changes []*change `json:"changes"`
}

// applier carries one apply out.
type applier struct {
	cli     *cli
	a       *apiFlags
	client  *chreplication.Client
	targets []*target
	prune   bool
	dryRun  bool
	ensure  []chreplication.EnsureOption
	poll    time.Duration

	board *board
}

// plan is the changes of one instance.
type instancePlan struct {
	instanceID string
	changes    []*change
}

func (ap *applier) run(ctx context.Context) error {
	began := time.Now()
	// Text for people goes to stdout, or to stderr when stdout carries the
	// JSON document.
	info := ap.cli.stdout
	if ap.a.output == outputJSON {
		info = ap.cli.stderr
	}
	plans := ap.plan(ctx)
	var all []*change
	for _, p := range plans {
		all = append(all, p.changes...)
	}
	if ctx.Err() == nil {
		printPlan(info, plans, ap.dryRun)
	}
	if !ap.dryRun && ctx.Err() == nil {
		ap.board = newBoard(info, ap.cli.stderr)
		if ap.board.live && ap.cli.events != nil && isTerminal(ap.cli.stderr) {
			// Event lines land on the board's terminal: draw them
			// through it, or its redrawing would overwrite them.
			ap.cli.events.through(ap.board.note)
			defer ap.cli.events.through(nil)
		}
		var wg sync.WaitGroup
		for _, p := range plans {
			wg.Go(func() { ap.carryOut(ctx, p) })
		}
		wg.Wait()
	}
	if ap.a.output == outputJSON {
		if all == nil {
			all = []*change{}
		}
		if err := writeJSON(ap.cli.stdout, applyDoc{Changes: all}); err != nil {
			return err
		}
	} else if !ap.dryRun {
		printSummary(info, all, time.Since(began))
	}
	return ap.outcome(ctx, all)
}

// plan lists every instance of the file, in parallel, and works out its
// changes. A list that fails makes the instance's changes failed ones.
func (ap *applier) plan(ctx context.Context) []*instancePlan {
	plans := make([]*instancePlan, len(ap.targets))
	var wg sync.WaitGroup
	for i, t := range ap.targets {
		wg.Go(func() { plans[i] = ap.planInstance(ctx, t) })
	}
	wg.Wait()
	return plans
}

func (ap *applier) planInstance(ctx context.Context, t *target) *instancePlan {
	p := &instancePlan{instanceID: t.instanceID}
	existing := map[string]chreplication.Replication{}
	var order []string
	var listErr error
	for r, err := range ap.client.AllReplications(ctx, t.instanceID) {
		if err != nil {
			listErr = err
			break
		}
		key := r.SourceDatabase
		if key == "" {
			key = r.TargetDatabase
		}
		if _, dup := existing[key]; !dup {
			order = append(order, key)
		}
		existing[key] = r
	}
	wanted := map[string]bool{}
	for _, req := range t.wanted {
		wanted[req.SourceDatabase] = true
		ch := &change{InstanceID: t.instanceID, Database: req.SourceDatabase, req: req}
		r, ok := existing[req.SourceDatabase]
		switch {
		case listErr != nil:
			ch.Action = actionNone
			ch.fail(fmt.Errorf("listing the replications of the instance: %w", listErr))
		case ok && isAbnormal(r):
			ch.Action, ch.Result = actionNone, resultAbnormal
		case ok:
			ch.Action, ch.Result = actionNone, resultDone
		default:
			ch.Action, ch.Result = actionCreate, resultPlanned
		}
		p.changes = append(p.changes, ch)
	}
	if ap.prune && listErr == nil {
		for _, db := range order {
			if wanted[db] {
				continue
			}
			ch := &change{InstanceID: t.instanceID, Database: db, Action: actionDelete, Result: resultPlanned}
			if isAbnormal(existing[db]) {
				ch.Action, ch.Result = actionNone, resultAbnormal
			}
			p.changes = append(p.changes, ch)
		}
	}
	return p
}

func isAbnormal(r chreplication.Replication) bool {
	return strings.EqualFold(string(r.Status), string(chreplication.ReplicationAbnormal))
}

// carryOut makes the planned changes of one instance, one after the other:
// the service runs one operation per instance. It stops when ctx ends.
func (ap *applier) carryOut(ctx context.Context, p *instancePlan) {
	for _, ch := range p.changes {
		if ch.Result != resultPlanned {
			continue
		}
		if ctx.Err() != nil {
			ch.Error = "not started: " + interruptedWord(ctx)
			continue
		}
		began := time.Now()
		switch ch.Action {
		case actionCreate:
			ap.create(ctx, ch)
		case actionDelete:
			ap.remove(ctx, ch)
		}
		ch.took = time.Since(began)
	}
}

// create makes the replication of ch: EnsureReplication, tried again while
// errors leave the outcome open, then the job.
func (ap *applier) create(ctx context.Context, ch *change) {
	ap.retry(ctx, ch, func(lost bool) (bool, error) {
		res, err := ap.client.EnsureReplication(ctx, ch.InstanceID, ch.req, ap.ensure...)
		if err != nil {
			return false, err
		}
		switch {
		case res.Created:
			ch.JobID, ch.JobIDLost = res.JobID, res.JobIDLost
		case lost:
			// The list shows the task an earlier try's lost
			// create made.
			ch.JobIDLost = true
		default:
			// Someone else created it since the plan was made.
			ch.Action, ch.Result = actionNone, resultDone
			if res.Replication != nil && isAbnormal(*res.Replication) {
				ch.Result = resultAbnormal
			}
			ap.board.add(fmt.Sprintf("%s %s on %s: exists already", actionCreate, quoteName(ch.Database), printable(ch.InstanceID)))
			return false, nil
		}
		return true, nil
	})
}

// remove deletes the replication of ch, as create makes one.
func (ap *applier) remove(ctx context.Context, ch *change) {
	ap.retry(ctx, ch, func(lost bool) (bool, error) {
		res, err := ap.client.EnsureReplicationAbsent(ctx, ch.InstanceID, ch.Database, ap.ensure...)
		if err != nil {
			return false, err
		}
		switch {
		case res.Deleted:
			ch.JobID, ch.JobIDLost = res.JobID, res.JobIDLost
		case lost:
			ch.JobIDLost = true
		default:
			ch.Action, ch.Result = actionNone, resultDone
			ap.board.add(fmt.Sprintf("%s %s on %s: gone already", actionDelete, quoteName(ch.Database), printable(ch.InstanceID)))
			return false, nil
		}
		return true, nil
	})
}

// retry calls try until it returns no error, tryAgain deciding after each
// error whether to go on; then, when try says a job was started, it
// follows the job. lost, passed to try, is whether an earlier try ended
// with its outcome unknown (its request may have reached the service).
func (ap *applier) retry(ctx context.Context, ch *change, try func(lost bool) (started bool, err error)) {
	lost := false
	for attempt := 1; ; attempt++ {
		started, err := try(lost)
		if err == nil {
			if started {
				ch.mayRun = false
				ap.follow(ctx, ch)
			}
			return
		}
		if errors.Is(err, chreplication.ErrOutcomeUnknown) {
			lost, ch.mayRun = true, true
		}
		if !ap.tryAgain(ctx, ch, attempt, err) {
			return
		}
	}
}

// tryAgain decides, after a failed try, whether to try once more (and
// waits before it), or records the failure.
func (ap *applier) tryAgain(ctx context.Context, ch *change, attempt int, err error) bool {
	if ctx.Err() != nil || attempt >= applyAttempts || !transient(err) {
		ch.fail(err)
		ap.board.add(ch.label() + ": failed: " + ch.Error)
		return false
	}
	ap.board.add(fmt.Sprintf("%s: %s; trying again (%d of %d)", ch.label(), oneLine(err), attempt+1, applyAttempts))
	t := time.NewTimer(ap.poll << (attempt - 1))
	defer t.Stop()
	select {
	case <-ctx.Done():
		ch.fail(err)
		return false
	case <-t.C:
		return true
	}
}

// transient reports whether an error of a create or delete may pass when
// the change is tried again: the outcome was left open, the instance was
// busy, the service or the network failed. A refusal of the request itself
// (a 4xx, invalid input) would come again.
func transient(err error) bool {
	switch {
	case errors.Is(err, chreplication.ErrOutcomeUnknown):
		return true
	case errors.Is(err, chreplication.ErrInvalidRequest), errors.Is(err, chreplication.ErrJobFailed):
		return false
	}
	var apiErr *chreplication.APIError
	if errors.As(err, &apiErr) {
		s := apiErr.StatusCode
		return s == http.StatusConflict || s == http.StatusTooManyRequests || s >= 500
	}
	return true
}

// follow waits for the change's job, drawing its progress, and records how
// it ended. A change whose job ID was lost is done: the list showed it.
func (ap *applier) follow(ctx context.Context, ch *change) {
	if ch.JobID == "" {
		ch.Result = resultDone
		ap.board.add(ch.label() + ": done (the answer was lost, the list shows it done; the job's ID is unknown)")
		return
	}
	ch.running = true
	line := ap.board.add(ch.label() + ": job " + printable(ch.JobID) + " started")
	began := time.Now()
	for attempt := 1; ; attempt++ {
		job, err := ap.client.WaitJob(ctx, ch.JobID, pollInterval(ap.poll), chreplication.WithProgress(func(j *chreplication.Job) {
			ap.board.set(line, ch.label()+": "+jobState(j))
		}))
		switch {
		case err == nil:
			ch.running = false
			ch.Result = resultDone
			ap.board.set(line, fmt.Sprintf("%s: done (job %s %s in %s)", ch.label(), printable(ch.JobID), job.Status, time.Since(began).Round(100*time.Millisecond)))
			return
		case errors.Is(err, chreplication.ErrJobFailed):
			ch.running = false
			ch.jobFailed = true
			reason := "no reason given"
			if job != nil && job.FailReason != "" {
				reason = job.FailReason
			}
			ch.Result = resultFailed
			ch.Error = "job " + printable(ch.JobID) + " failed: " + printable(reason)
			ap.board.set(line, ch.label()+": failed: "+ch.Error)
			return
		case ctx.Err() == nil && attempt < applyAttempts && transient(err):
			ap.board.add(fmt.Sprintf("%s: following job %s: %s; looking again", ch.label(), printable(ch.JobID), oneLine(err)))
			continue
		}
		ch.fail(fmt.Errorf("following job %s: %w", ch.JobID, err))
		ap.board.set(line, ch.label()+": "+ch.Error)
		return
	}
}

// outcome prints what is left running when apply was interrupted or timed
// out, and returns the error that gives the exit code.
func (ap *applier) outcome(ctx context.Context, all []*change) error {
	apiFailed, jobFailed, abnormal := 0, 0, 0
	for _, ch := range all {
		switch {
		case ch.Result == resultFailed && ch.jobFailed:
			jobFailed++
		case ch.Result == resultFailed:
			apiFailed++
		case ch.Result == resultAbnormal:
			abnormal++
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
		case ch.running:
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
func printPlan(w io.Writer, plans []*instancePlan, dryRun bool) {
	var creates, deletes, none, abnormal, failed int
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	var rows []string
	for _, p := range plans {
		for _, ch := range p.changes {
			switch {
			case ch.Action == actionCreate:
				creates++
			case ch.Action == actionDelete:
				deletes++
			case ch.Result == resultAbnormal:
				abnormal++
			case ch.Result == resultFailed:
				failed++
			default:
				none++
			}
			switch {
			case ch.Action == actionCreate || ch.Action == actionDelete:
				rows = append(rows, fmt.Sprintf("  %s\t%s\ton %s\n", ch.Action, quoteName(ch.Database), printable(ch.InstanceID)))
			case ch.Result == resultAbnormal:
				rows = append(rows, fmt.Sprintf("  abnormal\t%s\ton %s\t(left alone)\n", quoteName(ch.Database), printable(ch.InstanceID)))
			case ch.Result == resultFailed:
				rows = append(rows, fmt.Sprintf("  unknown\t%s\ton %s\t(%s)\n", quoteName(ch.Database), printable(ch.InstanceID), ch.Error))
			}
		}
	}
	head := "Plan"
	if dryRun {
		head = "Plan (dry run: nothing will be changed)"
	}
	fmt.Fprintf(w, "%s for %d %s: %d to create, %d to delete, %d unchanged", head, len(plans), plural(len(plans), "instance", "instances"), creates, deletes, none)
	if abnormal > 0 {
		fmt.Fprintf(w, ", %d abnormal", abnormal)
	}
	if failed > 0 {
		fmt.Fprintf(w, ", %d not listed", failed)
	}
	fmt.Fprintln(w, ".")
	for _, r := range rows {
		fmt.Fprint(tw, r)
	}
	_ = tw.Flush()
	if creates+deletes == 0 && failed == 0 {
		fmt.Fprintln(w, "Nothing to change: the service matches the file.")
	}
}

// printSummary writes what apply did.
func printSummary(w io.Writer, all []*change, took time.Duration) {
	var created, deleted, unchanged, abnormal, failed, notStarted int
	for _, ch := range all {
		switch {
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
		}
	}
	fmt.Fprintf(w, "Summary: %d created, %d deleted, %d unchanged", created, deleted, unchanged)
	if abnormal > 0 {
		fmt.Fprintf(w, ", %d abnormal (left alone)", abnormal)
	}
	if failed > 0 {
		fmt.Fprintf(w, ", %d failed", failed)
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
		}
	}
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
