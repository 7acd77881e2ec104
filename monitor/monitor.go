// Package monitor looks at every synchronization task of many ClickHouse
// instances and says what changed between two looks.
//
// A Monitor holds Targets (an instance and the client that reaches it). Look
// reads every task of one instance (all pages) into a Snapshot; Round looks
// at each target once, spreading the looks evenly over an interval; Run
// repeats rounds until its context ends. Every request goes through the
// target's *chreplication.Client, so the client's request budget (its rate
// limit, retries and timeouts) applies: a look that must wait for the budget
// simply takes longer.
//
// Changes compares two snapshots of an instance and returns what changed
// as values (a task appearing or disappearing, its status, stage, catch-up
// stage or percentage changing, a look failing or recovering); a Tracker
// keeps the last snapshot of each instance so that a failed look is never
// taken for every task disappearing.
//
// Example to watch three instances every minute:
//
//	m, err := monitor.New([]monitor.Target{
//		{Client: c, InstanceID: "54e42160670e48e789af7075e1efea1fin16"},
//		{Client: c, InstanceID: "8a7b1d1e0e6e4f8c9b0f2a3c4d5e6f70in16"},
//	})
//	if err != nil { ... }
//	var tr monitor.Tracker
//	err = m.Run(ctx, time.Minute, func(s monitor.Snapshot) {
//		for _, ch := range tr.Update(s) {
//			fmt.Println(ch)
//		}
//	})
package monitor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gaussdb-tools/chreplication"
)

// Target is one ClickHouse instance to look at and the client that reaches
// it (its endpoint, project, credentials and request budget).
type Target struct {
	Client     *chreplication.Client
	InstanceID string
}

// Clock is the time a Monitor reads and waits on. Sleep waits for d, or
// until ctx ends (then it returns ctx.Err()); a d of zero or less returns
// at once. A Clock must be safe for concurrent use.
type Clock interface {
	Now() time.Time
	Sleep(ctx context.Context, d time.Duration) error
}

// wallClock is the system's clock.
type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

func (wallClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Option configures a Monitor in New.
type Option func(*Monitor)

// WithClock makes the Monitor read time and wait on c instead of the system
// clock (tests use a fake clock to drive rounds deterministically). nil
// keeps the system clock.
func WithClock(c Clock) Option {
	return func(m *Monitor) {
		if c != nil {
			m.clock = c
		}
	}
}

// WithMaxTasks bounds how many tasks a look reads from one instance
// (DefaultMaxTasks when not set; n of zero or less keeps the default): a
// look at an instance that lists more fails with an error wrapping
// ErrTooManyTasks, having sent at most n/100+1 requests, so that an answer
// that never ends cannot fill the memory.
func WithMaxTasks(n int) Option {
	return func(m *Monitor) {
		if n > 0 {
			m.maxTasks = n
		}
	}
}

// DefaultMaxTasks is how many tasks a look reads from one instance at most.
const DefaultMaxTasks = 100_000

// ErrTooManyTasks is wrapped by the error of a look at an instance that
// lists more tasks than the Monitor reads (see WithMaxTasks).
var ErrTooManyTasks = errors.New("monitor: the instance lists more tasks than a look reads")

// Monitor looks at the synchronization tasks of a fixed set of instances.
// Build it with New; a Monitor is safe for concurrent use, but rounds run
// concurrently share the clients' request budgets.
type Monitor struct {
	targets  []Target
	clock    Clock
	maxTasks int
}

// ErrInvalidTarget is wrapped by the errors New returns for a target list it
// cannot use; the message names the target and the field.
var ErrInvalidTarget = errors.New("monitor: invalid target")

// New returns a Monitor of targets, in the order given (the order of every
// round). It refuses, with an error wrapping ErrInvalidTarget that names the
// field, an empty list, a target without a client, an instance ID the client
// would refuse, and an instance listed twice (snapshots are keyed by
// instance ID). It sends nothing.
func New(targets []Target, opts ...Option) (*Monitor, error) {
	if len(targets) == 0 {
		return nil, fmt.Errorf("%w: targets: at least one instance is required", ErrInvalidTarget)
	}
	seen := make(map[string]int, len(targets))
	for i, t := range targets {
		if t.Client == nil {
			return nil, fmt.Errorf("%w: targets[%d].Client: must not be nil", ErrInvalidTarget, i)
		}
		if err := chreplication.ValidateID(t.InstanceID); err != nil {
			return nil, fmt.Errorf("%w: targets[%d].InstanceID: %w", ErrInvalidTarget, i, err)
		}
		if j, ok := seen[t.InstanceID]; ok {
			return nil, fmt.Errorf("%w: targets[%d].InstanceID: %q is also targets[%d]", ErrInvalidTarget, i, t.InstanceID, j)
		}
		seen[t.InstanceID] = i
	}
	m := &Monitor{targets: append([]Target(nil), targets...), clock: wallClock{}, maxTasks: DefaultMaxTasks}
	for _, o := range opts {
		if o != nil {
			o(m)
		}
	}
	return m, nil
}

// Targets returns a copy of the Monitor's targets, in round order.
func (m *Monitor) Targets() []Target { return append([]Target(nil), m.targets...) }

// Look reads every synchronization task of t's instance, page after page
// (AllReplications), and returns them as a Snapshot taken when the last
// page came. An error (an API error, the network, the end of ctx, more
// tasks than WithMaxTasks allows) is the Snapshot's Err, and its Tasks are
// then nil: a look either sees every task or none.
func (m *Monitor) Look(ctx context.Context, t Target) Snapshot {
	start := m.clock.Now()
	var tasks []chreplication.Replication
	var err error
	if t.Client == nil {
		err = fmt.Errorf("%w: Client: must not be nil", ErrInvalidTarget)
	} else {
		for r, rerr := range t.Client.AllReplications(ctx, t.InstanceID) {
			if rerr != nil {
				err = rerr
				break
			}
			if len(tasks) == m.maxTasks {
				err = fmt.Errorf("%w: instance %s: more than %d", ErrTooManyTasks, t.InstanceID, m.maxTasks)
				break
			}
			tasks = append(tasks, r)
		}
	}
	end := m.clock.Now()
	s := Snapshot{InstanceID: t.InstanceID, At: end, Took: end.Sub(start), Err: err}
	if err == nil {
		s.Tasks = normalize(tasks)
	}
	return s
}

// LookAll looks at every target once, one after another with no pause, and
// returns their snapshots in target order.
func (m *Monitor) LookAll(ctx context.Context) []Snapshot {
	out := make([]Snapshot, len(m.targets))
	for i, t := range m.targets {
		out[i] = m.Look(ctx, t)
	}
	return out
}

// Schedule returns when, from the start of a round of interval, each of n
// looks begins: look i at i*interval/n, so that the looks (and the requests
// they send) are spread evenly. n of zero or less gives none; an interval of
// zero or less starts every look at once.
func Schedule(n int, interval time.Duration) []time.Duration {
	if n <= 0 {
		return nil
	}
	out := make([]time.Duration, n)
	if interval <= 0 {
		return out
	}
	for i := range out {
		out[i] = time.Duration(int64(interval) / int64(n) * int64(i))
	}
	return out
}

// Round looks at every target once, in order, starting look i at
// Schedule's offset from the round's start (or right after the previous
// look, when that one took longer), calls fn with each snapshot as soon as
// it is taken, and returns once interval has passed since the round began.
// fn runs on Round's goroutine. When ctx ends, Round returns ctx.Err()
// without calling fn for the look ctx cut short. An interval of zero or less
// looks at every target back to back and returns after the last look.
func (m *Monitor) Round(ctx context.Context, interval time.Duration, fn func(Snapshot)) error {
	start := m.clock.Now()
	for i, at := range Schedule(len(m.targets), interval) {
		if err := m.clock.Sleep(ctx, at-m.clock.Now().Sub(start)); err != nil {
			return err
		}
		s := m.Look(ctx, m.targets[i])
		if err := ctx.Err(); err != nil {
			return err
		}
		if fn != nil {
			fn(s)
		}
	}
	if interval <= 0 {
		return nil
	}
	return m.clock.Sleep(ctx, interval-m.clock.Now().Sub(start))
}

// Run repeats Round until ctx ends, and then returns nil. A round that
// takes longer than interval (the client waited for its budget, or an
// answer was slow) is followed by the next at once. An interval of zero or
// less is refused with an error, before any look.
func (m *Monitor) Run(ctx context.Context, interval time.Duration, fn func(Snapshot)) error {
	if interval <= 0 {
		return fmt.Errorf("monitor: interval: %v must be positive", interval)
	}
	for ctx.Err() == nil {
		_ = m.Round(ctx, interval, fn) // only the end of ctx ends a round early
	}
	return nil
}
