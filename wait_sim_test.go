package chreplication

import (
	"context"
	"flag"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// simClock is a simulated clock: Sleep moves it on at once.
type simClock struct{ now time.Time }

func (c *simClock) Now() time.Time { return c.now }

func (c *simClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.now = c.now.Add(d)
	return nil
}

// simRTT is how long a simulated look takes; the job is read half way.
const simRTT = 20 * time.Millisecond

// simJob is a simulated job: it runs from time 0 (when the wait starts)
// until end, showing progress(t) in Process, then is Completed with "".
type simJob struct {
	kind     string
	end      time.Duration
	progress func(t time.Duration) string
}

func (j simJob) name() string { return fmt.Sprintf("%s %v", j.kind, j.end) }

// reported reports a progress of f percent as the API does: "N%" with N
// rounded down, never 100 while the job runs.
func reported(f float64) string {
	return fmt.Sprintf("%d%%", min(max(int(math.Floor(f)), 0), 99))
}

func linearJob(end time.Duration) simJob {
	return simJob{"linear", end, func(t time.Duration) string { return reported(100 * t.Seconds() / end.Seconds()) }}
}

// stepsJob moves in five steps of 20%, as the fake's jobs do.
func stepsJob(end time.Duration) simJob {
	return simJob{"steps", end, func(t time.Duration) string {
		return reported(20 * math.Floor(5*t.Seconds()/end.Seconds()))
	}}
}

// jumpJob moves steadily, but jumps by 30% at 30% of its time.
func jumpJob(end time.Duration) simJob {
	return simJob{"jump", end, func(t time.Duration) string {
		f := 70 * t.Seconds() / end.Seconds()
		if t >= end*3/10 {
			f += 30
		}
		return reported(f)
	}}
}

// stallJob stops from 30% to 60% of its time, at the same rate before and after.
func stallJob(end time.Duration) simJob {
	return simJob{"stall", end, func(t time.Duration) string {
		r, s := 100/(0.7*end.Seconds()), t.Seconds()
		return reported(r*min(s, 0.3*end.Seconds()) + r*max(0, s-0.6*end.Seconds()))
	}}
}

// backJob goes back from 70% to 40% (a phase started again), then goes on
// at the same rate.
func backJob(end time.Duration) simJob {
	return simJob{"backwards", end, func(t time.Duration) string {
		r, s, tb := 130/end.Seconds(), t.Seconds(), 70/130.0*end.Seconds()
		if s < tb {
			return reported(r * s)
		}
		return reported(40 + r*(s-tb))
	}}
}

// silentJob reports no progress.
func silentJob(end time.Duration) simJob {
	return simJob{"none", end, func(time.Duration) string { return "" }}
}

// doublingSchedule is the waiter of earlier versions: look at once, then
// after first, 2·first, 4·first ... up to max.
type doublingSchedule struct{ delay, max time.Duration }

func (*doublingSchedule) initial() time.Duration { return 0 }

func (s *doublingSchedule) next(look) time.Duration {
	d := s.delay
	s.delay = min(2*s.delay, s.max)
	return d
}

// fixedSchedule waits every before the first look and between looks, as
// the Terraform provider's GaussDB waiter does (10s).
type fixedSchedule struct{ every time.Duration }

func (s fixedSchedule) initial() time.Duration  { return s.every }
func (s fixedSchedule) next(look) time.Duration { return s.every }

// simWaiters are the waiters compared: WaitJob's own schedule with the
// default options, the doubling waiter with the default intervals of
// earlier versions (1s to 30s), and a fixed 10s poll.
var simWaiters = []struct {
	name string
	make func() schedule
}{
	{"predictive", func() schedule { return newPredictor(newWaitConfig(nil)) }},
	{"doubling", func() schedule { return &doublingSchedule{DefaultPollInterval, DefaultMaxPollInterval} }},
	{"fixed-10s", func() schedule { return fixedSchedule{10 * time.Second} }},
}

// simResult is one simulated wait.
type simResult struct {
	lag   time.Duration // from the job's end to the wait's return
	looks int
}

// simulate runs WaitJob's loop with schedule s on a simulated clock against
// job j.
func simulate(t testing.TB, j simJob, s schedule) simResult {
	t.Helper()
	clk := &simClock{now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	start := clk.now
	looks := 0
	w := waiter{jobID: "sim", cfg: newWaitConfig(nil), clock: clk, plan: s,
		look: func(context.Context) (*Job, error) {
			if looks++; looks > 10000 {
				return nil, fmt.Errorf("%s: more than 10000 looks", j.name())
			}
			clk.now = clk.now.Add(simRTT / 2)
			job := &Job{ID: "sim", Status: JobRunning}
			if at := clk.now.Sub(start); at >= j.end {
				job.Status = JobCompleted
			} else {
				job.Process = j.progress(at)
			}
			clk.now = clk.now.Add(simRTT / 2)
			return job, nil
		}}
	job, err := w.run(context.Background())
	require.NoError(t, err, j.name())
	require.Equal(t, JobCompleted, job.Status, j.name())
	return simResult{lag: clk.now.Sub(start) - j.end, looks: looks}
}

// simJobs are the simulated scenarios.
func simJobs() []simJob {
	var jobs []simJob
	for _, d := range []time.Duration{2 * time.Second, 10 * time.Second, time.Minute, 10 * time.Minute} {
		jobs = append(jobs, linearJob(d))
	}
	for _, mk := range []func(time.Duration) simJob{stepsJob, jumpJob, stallJob, backJob, silentJob} {
		for _, d := range []time.Duration{10 * time.Second, time.Minute, 10 * time.Minute} {
			jobs = append(jobs, mk(d))
		}
	}
	return jobs
}

func TestWaitJobSimulation(t *testing.T) {
	t.Parallel()
	var table strings.Builder
	fmt.Fprintf(&table, "\n%-18s %-12s %10s %6s\n", "job", "waiter", "lag", "looks")
	for _, j := range simJobs() {
		res := map[string]simResult{}
		for _, w := range simWaiters {
			r := simulate(t, j, w.make())
			res[w.name] = r
			fmt.Fprintf(&table, "%-18s %-12s %10v %6d\n", j.name(), w.name, r.lag.Round(time.Millisecond), r.looks)
		}
		p, d := res["predictive"], res["doubling"]
		if j.kind == "none" {
			assert.LessOrEqual(t, p.looks, d.looks, j.name())
			assert.LessOrEqual(t, p.lag, d.lag, j.name())
			continue
		}
		budget := min(max(j.end*3/100, 300*time.Millisecond), d.lag/10)
		assert.LessOrEqual(t, p.lag, budget, "%s: lag", j.name())
	}
	t.Log(table.String())
}

// tracing wraps a schedule and records every look and the delay chosen.
type tracing struct {
	s     schedule
	start time.Time
	lines []string
}

func (tr *tracing) initial() time.Duration { return tr.s.initial() }

func (tr *tracing) next(l look) time.Duration {
	d := tr.s.next(l)
	p := "(not shown)"
	if l.job != nil {
		p = l.job.Process
	}
	extra := ""
	if pr, ok := tr.s.(*predictor); ok {
		extra = fmt.Sprintf("  end [%.3f, %.3f] q=%v aimed=%v points=%d", pr.last.lo+pr.sec(tr.start)*-1, pr.last.hi-pr.sec(tr.start), pr.last.q, pr.aimed, len(pr.points))
	}
	tr.lines = append(tr.lines, fmt.Sprintf("%9.3fs %4s -> %v%s", l.sent.Sub(tr.start).Seconds(), p, d.Round(time.Millisecond), extra))
	return d
}

func TestWaitJobTrace(t *testing.T) {
	t.Parallel()
	for _, j := range simJobs() {
		if !strings.Contains(*traceJobs, j.name()) {
			continue
		}
		tr := &tracing{s: newPredictor(newWaitConfig(nil)), start: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
		r := simulate(t, j, tr)
		t.Logf("%s: lag %v, %d looks\n%s", j.name(), r.lag, r.looks, strings.Join(tr.lines, "\n"))
	}
}

var traceJobs = flag.String("trace", "", "jobs to trace")
