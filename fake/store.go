package fake

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/gaussdb-tools/chreplication/wiretype"
)

// jobFinalStep is the step at which a job ends; steps 1 to jobFinalStep-1
// are Running with process 20%, 40%, 60% and 80%. Step 0 is Pending; a
// job shows a process only while it is Running.
const jobFinalStep = 5

// timeFormat is how jobs show their timestamps (not RFC 3339).
const timeFormat = "2006-01-02T15:04:05-0700"

// databasePattern is the spec's DatabaseName schema.
var databasePattern = regexp.MustCompile(`^[^/\\.\x00-\x1F\x7F-\x9F]*[^/\\.\x00-\x1F\x7F-\x9F ]$`)

func isDatabaseName(s string) bool {
	return s != "" && len([]rune(s)) <= 64 && databasePattern.MatchString(s)
}

// errDuplicate and errNotFound are the store's answers to a create of a
// database that has a task and a delete of one that has none.
var (
	errDuplicate = errors.New("the database already has a synchronization task on this instance")
	errNotFound  = errors.New("the database has no synchronization task on this instance")
	// errNoSource is the store's answer to a create of a database that
	// ListClickHouseDataBase does not list for the instance.
	errNoSource = errors.New("the source database does not exist on this instance")
)

type job struct {
	id           string
	name         string
	instanceID   string
	instanceName string
	created      time.Time
	step         int
	ended        time.Time // zero until the job ends
	failReason   string    // the job ends Failed when non-empty
}

type replication struct {
	database string
	job      *job // the job that creates it; nil for seeded replications
	source   replicationSource
	scope    scope // the table scope, changed by UpdateClickHouseDataBaseConfig
	// state, when set by Server.SetReplicationState, is what the list
	// shows instead of what the job says.
	state *ReplicationState
}

type instance struct {
	order  []*replication // in creation order, the order List pages through
	byName map[string]*replication
	// unended holds the instance's jobs not seen ended yet, oldest first:
	// with WithOneOperationPerInstance, a write waits for them to end.
	unended []*job
}

// store holds the replications and jobs. Every method takes mu.
type store struct {
	mu           sync.Mutex
	mode         JobMode
	duration     time.Duration
	hideFor      time.Duration // WithJobVisibilityDelay
	now          func() time.Time
	instanceName func(string) string
	instances    map[string]*instance
	jobs         map[string]*job
	failures     []string            // fail reasons of the next jobs, oldest first
	sources      map[string][]string // source databases by instance, when not the default ones
}

func newStore(c *config) *store {
	name := c.instanceName
	if name == nil {
		name = func(id string) string { return "clickhouse-" + id[:min(8, len(id))] }
	}
	return &store{
		mode:         c.jobMode,
		duration:     c.jobDuration,
		hideFor:      c.jobVisibilityDelay,
		now:          c.now,
		instanceName: name,
		instances:    make(map[string]*instance),
		jobs:         make(map[string]*job),
		sources:      cloneSources(c.sources),
	}
}

func (st *store) instance(id string) *instance {
	in := st.instances[id]
	if in == nil {
		in = &instance{byName: make(map[string]*replication)}
		st.instances[id] = in
	}
	return in
}

// add appends r to the instance; the caller holds mu and has checked that
// the database has no replication there.
func (in *instance) add(r *replication) {
	in.order = append(in.order, r)
	in.byName[r.database] = r
}

// newJob records a job; the caller holds mu.
func (st *store) newJob(name, instanceID string) *job {
	j := &job{
		id:           newUUID(),
		name:         name,
		instanceID:   instanceID,
		instanceName: st.instanceName(instanceID),
		created:      st.now(),
	}
	if len(st.failures) > 0 {
		j.failReason = st.failures[0]
		st.failures = st.failures[1:]
	}
	st.jobs[j.id] = j
	in := st.instance(instanceID)
	in.unended = append(in.unended, j)
	st.refresh(j)
	return j
}

// runningJob returns the oldest job of the instance that has not ended,
// forgetting those that have; the caller holds mu.
func (st *store) runningJob(instanceID string) *job {
	in := st.instances[instanceID]
	if in == nil {
		return nil
	}
	for len(in.unended) > 0 {
		j := in.unended[0]
		st.refresh(j)
		if j.ended.IsZero() {
			return j
		}
		in.unended[0] = nil
		in.unended = in.unended[1:]
	}
	return nil
}

// busy returns the job that keeps the instance busy, as
// ShowGaussMySqlJobInfo would show it, or false when the instance runs
// none.
func (st *store) busy(instanceID string) (Job, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	j := st.runningJob(instanceID)
	if j == nil {
		return Job{}, false
	}
	return viewJob(j), true
}

// visible reports whether ShowGaussMySqlJobInfo shows the job yet (see
// WithJobVisibilityDelay); the caller holds mu.
func (st *store) visible(j *job) bool {
	return st.hideFor <= 0 || st.now().Sub(j.created) >= st.hideFor
}

// refresh moves a wall-clock job to the step the clock says; the caller
// holds mu.
func (st *store) refresh(j *job) {
	if st.mode != JobsWallClock || !j.ended.IsZero() {
		return
	}
	elapsed := st.now().Sub(j.created)
	step := jobFinalStep
	if st.duration > 0 {
		step = int(max(elapsed, 0) * jobFinalStep / st.duration)
	}
	if step >= jobFinalStep {
		j.step = jobFinalStep
		j.ended = j.created.Add(st.duration)
		return
	}
	j.step = max(j.step, step)
}

// advance moves an unfinished job n steps; the caller holds mu.
func (st *store) advance(j *job, n int) {
	st.refresh(j)
	if !j.ended.IsZero() || n <= 0 {
		return
	}
	j.step = min(j.step+n, jobFinalStep)
	if j.step == jobFinalStep {
		j.ended = st.now()
	}
}

func (st *store) create(instanceID, database string, source replicationSource) (string, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	in := st.instance(instanceID)
	if _, ok := in.byName[database]; ok {
		return "", errDuplicate
	}
	if !st.hasDatabase(instanceID, database) {
		return "", errNoSource
	}
	j := st.newJob("CreateClickHouseDataBaseReplication", instanceID)
	in.add(&replication{database: database, job: j, source: source})
	return j.id, nil
}

func (st *store) delete(instanceID, database string) (string, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	in := st.instances[instanceID]
	if in == nil || in.byName[database] == nil {
		return "", errNotFound
	}
	r := in.byName[database]
	delete(in.byName, database)
	for i, x := range in.order {
		if x == r {
			in.order = append(in.order[:i], in.order[i+1:]...)
			break
		}
	}
	return st.newJob("DeleteClickHouseDataBaseReplication", instanceID).id, nil
}

// list answers one page: the total and the replications from offset on,
// at most limit of them.
func (st *store) list(instanceID string, limit, offset int) (int, []Replication) {
	st.mu.Lock()
	defer st.mu.Unlock()
	in := st.instances[instanceID]
	if in == nil {
		return 0, []Replication{}
	}
	total := len(in.order)
	start := min(offset, total)
	end := min(start+limit, total)
	page := make([]Replication, 0, end-start)
	for _, r := range in.order[start:end] {
		page = append(page, st.view(r))
	}
	return total, page
}

// view shows a replication in the wire model; the caller holds mu.
func (st *store) view(r *replication) Replication {
	if r.state != nil {
		return viewState(r.database, r.state)
	}
	status := StatusNormal
	stage, catchup, pct := StageIncremental, StageIncremental, wiretype.IntString(100)
	if j := r.job; j != nil {
		st.refresh(j)
		switch {
		case j.step == 0:
			stage, catchup, pct = StageFull, StageWait, 0
		case j.step < jobFinalStep:
			stage, catchup, pct = StageFull, StageFull, wiretype.IntString(j.step*100/jobFinalStep)
		case j.failReason != "":
			status = StatusAbnormal
			stage, catchup, pct = StageFull, StageFailed, wiretype.IntString((jobFinalStep-1)*100/jobFinalStep)
		}
	}
	db := r.database
	return Replication{
		SourceDatabase: &db,
		TargetDatabase: db,
		Status:         status,
		Stage:          &stage,
		CatchupStage:   &catchup,
		Percentage:     pct,
	}
}

// showJob answers a job as ShowGaussMySqlJobInfo shows it. A poll (a
// request of the API, not Server.Job) does not see a job that is not
// visible yet, and in JobsStepOnPoll mode moves the job it sees one step.
func (st *store) showJob(id string, poll bool) (Job, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	j := st.jobs[id]
	if j == nil || (poll && !st.visible(j)) {
		return Job{}, false
	}
	st.refresh(j)
	v := viewJob(j)
	if poll && st.mode == JobsStepOnPoll {
		st.advance(j, 1)
	}
	return v, true
}

// viewJob shows a job in the wire model; the caller holds mu. As on the
// service, process is set only while the job runs ("60%") and is ""
// otherwise: Pending, Completed and Failed.
func viewJob(j *job) Job {
	status := JobStatusRunning
	process, failReason, ended := "", "", ""
	switch {
	case j.step == 0:
		status = JobStatusPending
	case j.step == jobFinalStep && j.failReason != "":
		status = JobStatusFailed
		failReason = j.failReason
	case j.step == jobFinalStep:
		status = JobStatusCompleted
	default:
		process = strconv.Itoa(j.step*100/jobFinalStep) + "%"
	}
	if !j.ended.IsZero() {
		ended = j.ended.UTC().Format(timeFormat)
	}
	created := j.created.UTC().Format(timeFormat)
	return Job{
		ID:         j.id,
		Name:       j.name,
		Status:     status,
		Created:    created,
		Ended:      &ended,
		Process:    &process,
		Instance:   JobInstance{ID: j.instanceID, Name: j.instanceName},
		FailReason: &failReason,
	}
}

func (st *store) advanceAll(n int) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, j := range st.jobs {
		st.advance(j, n)
	}
}

func (st *store) advanceOne(id string, n int) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	j := st.jobs[id]
	if j == nil {
		return false
	}
	st.advance(j, n)
	return true
}

func (st *store) failNext(reason string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.failures = append(st.failures, reason)
}

func (st *store) seed(instanceID string, databases []string) error {
	return st.seedFrom(instanceID, databases, replicationSource{})
}

// seedFrom adds completed replications that read from src (zero: a source
// the fake learns at the first scope update).
func (st *store) seedFrom(instanceID string, databases []string, src replicationSource) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	in := st.instance(instanceID)
	for _, db := range databases {
		if _, ok := in.byName[db]; ok {
			return fmt.Errorf("fake: database %q: %w", db, errDuplicate)
		}
		in.add(&replication{database: db, source: src})
	}
	return nil
}

// seedN adds n completed replications named db_000001, db_000002, ...,
// skipping names the instance already has.
func (st *store) seedN(instanceID string, n int) {
	st.mu.Lock()
	defer st.mu.Unlock()
	in := st.instance(instanceID)
	for k := 1; n > 0; k++ {
		db := fmt.Sprintf("db_%06d", k)
		if _, ok := in.byName[db]; ok {
			continue
		}
		in.add(&replication{database: db})
		n--
	}
}

func (st *store) replications(instanceID string) []Replication {
	st.mu.Lock()
	defer st.mu.Unlock()
	in := st.instances[instanceID]
	if in == nil {
		return nil
	}
	out := make([]Replication, 0, len(in.order))
	for _, r := range in.order {
		out = append(out, st.view(r))
	}
	return out
}
