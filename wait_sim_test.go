package chreplication

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The simulation runs WaitJob's loop (waiter.run, the code WaitJob runs)
// on a simulated clock against simulated jobs, with WaitJob's schedule and
// with the waiters users have without it, and measures each wait's lag
// (from the job's end to the wait's return) and looks (requests).

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

func (j simJob) name() string { return j.kind + " " + fmtDuration(j.end) }

// reported is a progress of f percent as the API reports it: "N%" with N
// rounded down, never 100 while the job runs.
func reported(f float64) string {
	return fmt.Sprintf("%d%%", min(max(int(math.Floor(f)), 0), 99))
}

func linearJob(end time.Duration) simJob {
	return simJob{"linear", end, func(t time.Duration) string { return reported(100 * t.Seconds() / end.Seconds()) }}
}

// stepsJob moves in five even steps of 20%, as the fake's jobs do.
func stepsJob(end time.Duration) simJob {
	return simJob{"steps", end, func(t time.Duration) string {
		return reported(20 * math.Floor(5*t.Seconds()/end.Seconds()))
	}}
}

// jumpJob moves steadily but jumps by 30% at 30% of its time.
func jumpJob(end time.Duration) simJob {
	return simJob{"jump", end, func(t time.Duration) string {
		f := 70 * t.Seconds() / end.Seconds()
		if t >= end*3/10 {
			f += 30
		}
		return reported(f)
	}}
}

// stallJob stands still from 30% to 60% of its time, at the same pace
// before and after.
func stallJob(end time.Duration) simJob {
	return simJob{"stall", end, func(t time.Duration) string {
		r, s, d := 100/(0.7*end.Seconds()), t.Seconds(), end.Seconds()
		return reported(r*min(s, 0.3*d) + r*max(0, s-0.6*d))
	}}
}

// backJob goes back from 70% to 40% (a phase started again), then on at
// the same pace.
func backJob(end time.Duration) simJob {
	return simJob{"backwards", end, func(t time.Duration) string {
		r, s, tb := 130/end.Seconds(), t.Seconds(), 70/130.0*end.Seconds()
		if s < tb {
			return reported(r * s)
		}
		return reported(40 + r*(s-tb))
	}}
}

// slowingJob slows down all the time (the square root of its time):
// every prediction comes too early.
func slowingJob(end time.Duration) simJob {
	return simJob{"slowing", end, func(t time.Duration) string { return reported(100 * math.Sqrt(t.Seconds()/end.Seconds())) }}
}

// stuckJob reaches 99% half way and stays there.
func stuckJob(end time.Duration) simJob {
	return simJob{"stuck-99%", end, func(t time.Duration) string { return reported(200 * t.Seconds() / end.Seconds()) }}
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
// default options, the doubling waiter of earlier versions with its
// default intervals (1s up to 30s), and Terraform's fixed 10s poll.
var simWaiters = []struct {
	name string
	make func() schedule
}{
	{"predictive", func() schedule { return newPredictor(newWaitConfig(nil)) }},
	{"doubling", func() schedule { return &doublingSchedule{DefaultPollInterval, DefaultMaxPollInterval} }},
	{"fixed-10s", func() schedule { return fixedSchedule{10 * time.Second} }},
}

// recorder passes a schedule's delays on and keeps them.
type recorder struct {
	schedule
	delays []time.Duration
}

func (r *recorder) next(l look) time.Duration {
	d := r.schedule.next(l)
	r.delays = append(r.delays, d)
	return d
}

// simResult is one simulated wait.
type simResult struct {
	lag    time.Duration // from the job's end to the wait's return
	looks  int
	delays []time.Duration // between a look's answer and the next look
}

// simulate runs WaitJob's loop with schedule s on a simulated clock against
// job j, each look taking rtt.
func simulate(tb testing.TB, j simJob, s schedule, rtt time.Duration) simResult {
	tb.Helper()
	clk := &simClock{now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	start := clk.now
	looks := 0
	rec := &recorder{schedule: s}
	w := waiter{jobID: "sim", cfg: newWaitConfig(nil), clock: clk, plan: rec,
		look: func(context.Context) (*Job, error) {
			if looks++; looks > 10000 {
				return nil, fmt.Errorf("%s: more than 10000 looks", j.name())
			}
			clk.now = clk.now.Add(rtt / 2)
			job := &Job{ID: "sim", Status: JobRunning}
			if at := clk.now.Sub(start); at >= j.end {
				job.Status = JobCompleted
			} else {
				job.Process = j.progress(at)
			}
			clk.now = clk.now.Add(rtt / 2)
			return job, nil
		}}
	job, err := w.run(context.Background())
	require.NoError(tb, err, j.name())
	require.Equal(tb, JobCompleted, job.Status, j.name())
	return simResult{lag: clk.now.Sub(start) - j.end, looks: looks, delays: rec.delays}
}

var (
	simDurations = []time.Duration{10 * time.Second, time.Minute, 10 * time.Minute}
	linearEnds   = []time.Duration{2 * time.Second, 10 * time.Second, time.Minute, 10 * time.Minute}
)

// simJobs are the scenarios of the table: steady progress at four
// durations, then progress that jumps, stalls, goes back, keeps slowing
// down or stops at 99%, and none at all, at three durations each.
func simJobs() []simJob {
	var jobs []simJob
	for _, d := range linearEnds {
		jobs = append(jobs, linearJob(d))
	}
	for _, mk := range []func(time.Duration) simJob{stepsJob, jumpJob, stallJob, backJob, slowingJob, stuckJob, silentJob} {
		for _, d := range simDurations {
			jobs = append(jobs, mk(d))
		}
	}
	return jobs
}

// spread returns n durations between 0.8d and 1.2d, spaced by the golden
// ratio so that none lines up with a fixed schedule.
func spread(d time.Duration, n int) []time.Duration {
	out := make([]time.Duration, n)
	for k := range out {
		u := math.Mod(float64(k)*0.6180339887498949, 1)
		out[k] = time.Duration(float64(d) * (0.8 + 0.4*u))
	}
	return out
}

// lagBudget is the lag WaitJob may take for a job of duration d that
// reports its progress: 3% of d, at least 300ms.
func lagBudget(d time.Duration) time.Duration { return max(d*3/100, 300*time.Millisecond) }

// TestWaitJobSimulation measures WaitJob's schedule next to the doubling
// waiter and the fixed 10s poll on every scenario, prints the tables of
// BENCHMARKS.md and checks the budgets:
//
//   - steady progress: lag ≤ 3% of the job's duration (at least 300ms) and
//     ≤ 1/10 of the doubling waiter's; ≤ 8 looks for 10s, ≤ 12 for 600s.
//     The doubling waiter looks at 1, 3, 7, 15, 31, 61, 91 … 601s, so at
//     exactly 60s and 600s it happens to look about 1s after the end. The
//     1/10 is asserted for each job of 2s, 10s and 60s, and, for 10s, 60s
//     and 600s, on the mean over 16 durations from 0.8 to 1.2 times as
//     long (the spread table); for the job of exactly 600s it is not met
//     (see BENCHMARKS.md: 12 looks do not narrow a 10-minute job's end to
//     150ms once the first looks may not leap ahead of a job that speeds
//     up);
//   - progress that moves in steps, jumps, stalls or goes back: lag ≤ 3%
//     (at least 300ms) or one floor (1s), whichever is longer: a change of
//     pace between two looks is seen one look late, and looks are at least
//     a floor apart;
//   - progress that keeps misleading the predictions: WaitJob falls back
//     to the backoff, whose lag is at most its 30s cap;
//   - no progress: the doubling waiter's looks and lag exactly.
func TestWaitJobSimulation(t *testing.T) {
	t.Parallel()
	var table strings.Builder
	table.WriteString("\n| job | predictive: lag | looks | doubling: lag | looks | fixed-10s: lag | looks |\n|---|--:|--:|--:|--:|--:|--:|\n")
	for _, j := range simJobs() {
		res := map[string]simResult{}
		fmt.Fprintf(&table, "| %s |", j.name())
		for _, w := range simWaiters {
			r := simulate(t, j, w.make(), simRTT)
			res[w.name] = r
			fmt.Fprintf(&table, " %s | %d |", fmtDuration(r.lag), r.looks)
		}
		table.WriteString("\n")
		p, d := res["predictive"], res["doubling"]
		for i, delay := range p.delays {
			require.GreaterOrEqual(t, delay, DefaultPollInterval, "%s: delay %d under the floor", j.name(), i)
			require.LessOrEqual(t, delay, DefaultMaxPredictedPollInterval, "%s: delay %d over the longest", j.name(), i)
		}
		switch j.kind {
		case "linear":
			assert.LessOrEqual(t, p.lag, lagBudget(j.end), "%s: lag", j.name())
			if j.end <= time.Minute {
				assert.LessOrEqual(t, p.lag, d.lag/10, "%s: lag next to the doubling waiter's", j.name())
			}
		case "steps", "jump", "stall", "backwards":
			assert.LessOrEqual(t, p.lag, max(lagBudget(j.end), DefaultPollInterval), "%s: lag", j.name())
		case "slowing", "stuck-99%":
			assert.LessOrEqual(t, p.lag, DefaultMaxPollInterval, "%s: lag", j.name())
		case "none":
			assert.Equal(t, d.looks, p.looks, "%s: looks", j.name())
			assert.Equal(t, d.lag, p.lag, "%s: lag", j.name())
			assert.Equal(t, d.delays, p.delays, "%s: delays", j.name())
		}
		switch j.name() {
		case "linear 10s":
			assert.LessOrEqual(t, p.looks, 8, "%s: looks", j.name())
		case "linear 10m":
			assert.LessOrEqual(t, p.looks, 12, "%s: looks", j.name())
		}
	}
	t.Log(table.String())

	table.Reset()
	table.WriteString("\n| steady jobs of | waiter | mean lag | most lag | mean looks | most looks |\n|---|---|--:|--:|--:|--:|\n")
	for _, end := range linearEnds {
		mean := map[string]time.Duration{}
		for _, w := range simWaiters {
			var sum, most time.Duration
			looks, mostLooks := 0, 0
			ends := spread(end, 16)
			for _, d := range ends {
				r := simulate(t, linearJob(d), w.make(), simRTT)
				sum, most = sum+r.lag, max(most, r.lag)
				looks, mostLooks = looks+r.looks, max(mostLooks, r.looks)
				if w.name != "predictive" {
					continue
				}
				// A job shorter than two floors ends before the third look can come.
				if d >= 2*DefaultPollInterval {
					assert.LessOrEqual(t, r.lag, lagBudget(d), "linear %v: lag", d)
				}
				switch end {
				case 10 * time.Second:
					assert.LessOrEqual(t, r.looks, 8, "linear %v: looks", d)
				case 10 * time.Minute:
					assert.LessOrEqual(t, r.looks, 12, "linear %v: looks", d)
				}
			}
			mean[w.name] = sum / time.Duration(len(ends))
			fmt.Fprintf(&table, "| %s–%s | %s | %s | %s | %.1f | %d |\n", fmtDuration(end*8/10), fmtDuration(end*12/10), w.name,
				fmtDuration(mean[w.name]), fmtDuration(most), float64(looks)/float64(len(ends)), mostLooks)
		}
		if end >= 10*time.Second {
			assert.LessOrEqual(t, mean["predictive"], mean["doubling"]/10, "jobs of about %v: mean lag next to the doubling waiter's", end)
		}
	}
	t.Log(table.String())
}

// BenchmarkWaitJobSimulated reports the simulated wait of a steady 10s job
// with each waiter (lag-ms, looks), each look taking 1ms as on a loopback
// server: what bench's BenchmarkWaitJobRealTime measures on the clock.
// benchratio compares the two.
func BenchmarkWaitJobSimulated(b *testing.B) {
	for _, w := range simWaiters {
		b.Run("job=linear-10s/waiter="+w.name, func(b *testing.B) {
			var r simResult
			for b.Loop() {
				r = simulate(b, linearJob(10*time.Second), w.make(), time.Millisecond)
			}
			b.ReportMetric(float64(r.lag)/float64(time.Millisecond), "lag-ms")
			b.ReportMetric(float64(r.looks), "looks")
		})
	}
}

// fmtDuration prints d briefly: 60ms, 1.82s, 10s, 10m.
func fmtDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Round(time.Millisecond).Milliseconds())
	case d < time.Minute || d%time.Minute != 0:
		return strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.2f", d.Seconds()), "0"), ".0") + "s"
	}
	return fmt.Sprintf("%dm", d/time.Minute)
}
