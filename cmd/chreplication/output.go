package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gaussdb-tools/chreplication"
)

// jobIDDoc is the JSON document of create and delete: {"job_id": "..."},
// and with --wait also the final job, {"job_id": "...", "job": {...}}.
type jobIDDoc struct {
	JobID string             `json:"job_id"`
	Job   *chreplication.Job `json:"job,omitempty"`
}

// writeJSON writes v as one indented JSON document.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printJob writes a job as aligned "key  value" lines.
func printJob(w io.Writer, j *chreplication.Job) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s\t%s\n", k, printable(v))
		}
	}
	row("Job", j.ID)
	row("Name", j.Name)
	row("Status", string(j.Status))
	if p, ok := j.Percent(); ok {
		row("Progress", fmt.Sprintf("%d%%", p))
	} else {
		row("Progress", j.Process)
	}
	inst := j.Instance.ID
	if j.Instance.Name != "" {
		inst += " (" + j.Instance.Name + ")"
	}
	row("Instance", strings.TrimSpace(inst))
	row("Created", formatTime(j.Created))
	row("Ended", formatTime(j.Ended))
	row("Fail reason", j.FailReason)
	return tw.Flush()
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// printReplications writes replications as a table.
func printReplications(w io.Writer, rs []chreplication.Replication) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE DATABASE\tTARGET DATABASE\tSTATUS\tSTAGE\tCATCHUP\tPROGRESS")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d%%\n",
			dash(r.SourceDatabase), dash(r.TargetDatabase), dash(string(r.Status)),
			dash(r.Stage), dash(string(r.CatchupStage)), r.Percentage)
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	// Tabs would break the table's columns.
	return strings.ReplaceAll(printable(s), "\t", " ")
}

// isTerminal reports whether w is a terminal (a character device), where
// progress is drawn as one live line.
func isTerminal(w io.Writer) bool {
	if c, ok := w.(*countingWriter); ok {
		w = c.w
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progress draws a job's progress: on a terminal as one line redrawn with
// \r, elsewhere as one line per change (WaitJob reports only changes).
type progress struct {
	w     io.Writer
	live  bool
	width int    // length of the line on screen, to blank out a longer one
	open  bool   // a live line is drawn and not yet ended
	line  string // the job's state as last drawn, without a wait
	jobID string
}

func newProgress(w io.Writer, jobID string) *progress {
	return &progress{w: w, live: isTerminal(w), jobID: jobID}
}

// update draws the job's state: "job 18ef0a2b… Running 40%".
func (p *progress) update(j *chreplication.Job) {
	id := printable(j.ID)
	if p.live && len(id) > 12 {
		id = id[:8] + "…"
	}
	line := "job " + id + " " + printable(string(j.Status))
	if pct, ok := j.Percent(); ok {
		line += fmt.Sprintf(" %d%%", pct)
	} else if j.Process != "" {
		line += " " + printable(j.Process)
	}
	if !p.live {
		fmt.Fprintln(p.w, line)
		return
	}
	p.line = line
	p.draw(line)
}

// waiting shows, on a live line only, what the client waits for (such as
// "not visible yet") after the job's state; the next update replaces it.
func (p *progress) waiting(what string) {
	if !p.live {
		return
	}
	line := p.line
	if line == "" {
		id := printable(p.jobID)
		if len(id) > 12 {
			id = id[:8] + "…"
		}
		line = "job " + id
	}
	p.draw(line + " (waiting: " + what + ")")
}

// draw redraws the live line.
func (p *progress) draw(line string) {
	n := len([]rune(line))
	pad := ""
	if p.width > n {
		pad = strings.Repeat(" ", p.width-n)
	}
	fmt.Fprint(p.w, "\r"+line+pad)
	p.width = n
	p.open = true
}

// done ends a live line, so that what follows starts on its own line.
func (p *progress) done() {
	if p.live && p.open {
		fmt.Fprintln(p.w)
		p.open = false
		p.width = 0
	}
}

// pollInterval is the CLI's polling (--poll-interval): first is the
// shortest delay between two looks and the first of the backoff WaitJob
// uses while it cannot predict the job's end; the longest, for predicted
// looks and the backoff alike, is 10 times first (at most 15s, unless first
// is longer).
func pollInterval(first time.Duration) chreplication.WaitOption {
	return chreplication.WithPollInterval(first, max(min(10*first, 15*time.Second), first))
}
