package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/monitor"
	"github.com/gaussdb-tools/chreplication/reconcile"
)

// defaultWatchInterval is how often watch looks at every instance.
const defaultWatchInterval = 30 * time.Second

var _ = register(newWatchCommand)

// instanceFlags are the flags that name the instances watch and exporter
// look at: --instance-id (repeated) or the apply file of -f.
type instanceFlags struct {
	ids  []string
	path string
}

func (f *instanceFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&f.ids, "instance-id", nil, "`ID` of an instance whose ClickHouse node to look at; repeat the flag for more (or give -f)")
	fs.StringVarP(&f.path, "file", "f", "", "apply `FILE` (YAML or JSON, as apply reads it; - reads standard input) naming the instances, with their region, endpoint and project")
}

// check notes the problems of the flags: exactly one of --instance-id and
// -f, well-formed IDs, none twice.
func (f *instanceFlags) check(c *cli) {
	switch {
	case len(f.ids) == 0 && f.path == "":
		c.note(usageErrorf("missing --instance-id ID (repeat it for more instances) or -f FILE"))
	case len(f.ids) > 0 && f.path != "":
		c.note(usageErrorf("give --instance-id or -f, not both"))
	}
	seen := map[string]bool{}
	for _, id := range f.ids {
		if err := chreplication.ValidateID(id); err != nil {
			c.note(usageErrorf("invalid --instance-id %s: %s", quoted(id), reasonOfID(err)))
			continue
		}
		if seen[id] {
			c.note(usageErrorf("--instance-id %s given twice", id))
		}
		seen[id] = true
	}
}

// reasonOfID is the reason an InvalidRequestError gives, without its field.
func reasonOfID(err error) string {
	var ire *chreplication.InvalidRequestError
	if errors.As(err, &ire) {
		return ire.Reason
	}
	return err.Error()
}

// targets returns the instances to look at, each with its client: those of
// --instance-id with the client of the API flags, or those of the apply
// file with the client of their place (the endpoint or region and the
// project the file gives, the flags' and the environment's for what it
// leaves out), one client per place. extra options go to every client. A
// bad file or place is a usage error; nothing is sent.
func (f *instanceFlags) targets(c *cli, a *apiFlags, extra ...chreplication.Option) ([]monitor.Target, error) {
	extra = append(extra[:len(extra):len(extra)], c.tel...)
	if f.path == "" {
		client, err := a.client(c.getenv, c.events, extra...)
		if err != nil {
			return nil, err
		}
		out := make([]monitor.Target, len(f.ids))
		for i, id := range f.ids {
			out[i] = monitor.Target{Client: client, InstanceID: id}
		}
		return out, nil
	}
	name, data, err := readApplyFile(f.path, c.stdin)
	if err != nil {
		return nil, err
	}
	decl, err := reconcile.Parse(name, data)
	var ife *reconcile.InvalidFileError
	if errors.As(err, &ife) {
		return nil, &usageError{msg: ife.Name + " is not a valid apply file: " + ife.Problems[0], more: ife.Problems[1:]}
	}
	if err != nil {
		return nil, usageErrorf("-f %s: %s", clip(f.path), err)
	}
	type place struct{ endpoint, projectID string }
	clients := map[place]*chreplication.Client{}
	var out []monitor.Target
	where := map[string]place{}
	for _, t := range decl.Targets {
		p := place{t.Endpoint, t.ProjectID}
		if q, ok := where[t.InstanceID]; ok && q != p {
			return nil, usageErrorf("%s names instance %s in two places (endpoints or projects): watch it from one", name, t.InstanceID)
		} else if ok {
			continue
		}
		where[t.InstanceID] = p
		client := clients[p]
		if client == nil {
			at := *a // the flags, with the file's endpoint and project
			if p.endpoint != "" {
				at.endpoint, at.region = p.endpoint, ""
			}
			if p.projectID != "" {
				at.projectID = p.projectID
			}
			if client, err = at.client(c.getenv, c.events, extra...); err != nil {
				return nil, err
			}
			clients[p] = client
		}
		out = append(out, monitor.Target{Client: client, InstanceID: t.InstanceID})
	}
	if len(out) == 0 {
		return nil, usageErrorf("%s names no instance", name)
	}
	return out, nil
}

// newWatchCommand is 'chreplication watch'.
func newWatchCommand(c *cli) *cobra.Command {
	var (
		a              apiFlags
		inst           instanceFlags
		interval       time.Duration
		exitOnAbnormal bool
	)
	cc := &cobra.Command{
		Use:   "watch",
		Short: "print every change of the replications of instances as it happens",
		Long: strings.TrimSpace(`
Look at every replication (data synchronization task) of the instances named
by --instance-id (repeated) or by the apply file -f, every --interval (the
looks at the instances spread evenly over it), and print one line per change:
a task that appears or disappears, a change of status, stage, catch-up stage
or percentage, a look that fails and one that succeeds again. The first look
prints every task as appearing.

Output: lines such as
  2026-12-03T10:00:00Z 54e42160670e48e789af7075e1efea1fin16 "shop" status normal -> abnormal
With --output json, one JSON object per line and change: {"instance_id",
"kind" (appeared, disappeared, status, stage, catchup_stage, percentage,
look_failed, look_recovered), "database", "from", "to", "task": {...}, "at",
"error"}.
Runs until interrupted (exit 130) or --timeout ends (exit 0). Exit code 5
with --exit-on-abnormal once a look shows a task whose status is not normal;
2 for a usage error or an invalid file (nothing sent).`),
		Example: `  chreplication watch --region cn-north-4 --instance-id 54e42160670e48e789af7075e1efea1fin16 --interval 1m
  chreplication watch -f replications.yaml --exit-on-abnormal --output json`,
		Annotations: map[string]string{
			annSynopsis: "watch (--instance-id I ... | -f FILE) [--interval D] [--exit-on-abnormal] [API flags]",
			annAPI:      "true",
		},
	}
	fs := cc.Flags()
	a.register(fs)
	inst.register(fs)
	fs.DurationVar(&interval, "interval", defaultWatchInterval, "how often to look at every instance (`duration`); the looks spread evenly over it")
	fs.BoolVar(&exitOnAbnormal, "exit-on-abnormal", false, "exit with code 5 once a task is abnormal")
	cc.RunE = func(cc *cobra.Command, _ []string) error {
		inst.check(c)
		if interval <= 0 {
			c.note(usageErrorf("--interval must be positive"))
		}
		if err := c.check(a.checkOutput()); err != nil {
			return err
		}
		c.events = &eventLines{w: c.stderr, verbose: a.verbose}
		targets, err := inst.targets(c, &a)
		if err := c.check(err); err != nil {
			return err
		}
		m, err := monitor.New(targets)
		if err != nil {
			return usageErrorf("%s", err.Error())
		}
		return watch(cc.Context(), c, &a, m, interval, exitOnAbnormal)
	}
	return cc
}

// watch runs the looks until ctx ends (or --timeout does, or an abnormal
// task is seen with exitOnAbnormal), printing each change.
func watch(ctx context.Context, c *cli, a *apiFlags, m *monitor.Monitor, interval time.Duration, exitOnAbnormal bool) error {
	run := ctx
	if a.timeout > 0 {
		var cancel context.CancelFunc
		run, cancel = context.WithTimeout(run, a.timeout)
		defer cancel()
	}
	run, stop := context.WithCancel(run)
	defer stop()
	var (
		tr       monitor.Tracker
		abnormal []string
		werr     error
	)
	_ = m.Run(run, interval, func(s monitor.Snapshot) {
		for _, ch := range tr.Update(s) {
			if err := printChange(c.stdout, a.output, ch); err != nil && werr == nil {
				werr = err
				stop()
			}
		}
		if exitOnAbnormal {
			for _, r := range s.Abnormal() {
				abnormal = append(abnormal, fmt.Sprintf("%s on %s (status %s)", strconv.Quote(r.SourceDatabase), s.InstanceID, orNull(string(r.Status))))
			}
			if len(abnormal) > 0 {
				stop()
			}
		}
	})
	switch {
	case werr != nil:
		return werr
	case len(abnormal) > 0:
		what := "abnormal task: "
		if len(abnormal) > 1 {
			what = "abnormal tasks: "
		}
		return &exitError{code: exitAbnormal, msg: what + strings.Join(abnormal, ", ")}
	case ctx.Err() != nil:
		return ctx.Err() // interrupted: 130
	}
	return nil // --timeout ended the watch
}

// printChange writes one change as a line of text or of JSON.
func printChange(w io.Writer, output string, ch monitor.Change) error {
	if output == outputJSON {
		b, err := json.Marshal(ch)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	_, err := fmt.Fprintf(w, "%s %s\n", ch.At.UTC().Format(time.RFC3339), printable(ch.String()))
	return err
}

func orNull(s string) string {
	if s == "" {
		return "null"
	}
	return s
}
