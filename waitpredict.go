package chreplication

import (
	"math"
	"slices"
	"time"
)

// How WaitJob predicts (see WaitJob's doc comment for the whole picture).
const (
	// predictTolerance is the lag WaitJob aims at, as a share of the
	// job's duration: once the earliest and the latest possible end are
	// closer than that, it looks at the latest.
	predictTolerance = 0.003
	// minPredictTolerance is the least of that tolerance.
	minPredictTolerance = 50 * time.Millisecond
	// lookAhead is how far, as a share of the time left before the
	// earliest possible end, a look that narrows the estimate may come:
	// a job that speeds up then ends after it.
	lookAhead = 0.9
	// stretch bounds every delay by that many times the span of the looks
	// the estimate rests on (since the first look, or since looks last
	// disagreed): a job whose pace changed unseen cannot be overshot by
	// more than that.
	stretch = 2.0
	// leadShare: while the looks bound the job's end from below only (the
	// job was seen to pass one step of progress, so its pace has no lower
	// bound yet), the next look comes after that share of the time left
	// before the earliest possible end, when that is longer than the
	// backoff's delay.
	leadShare = 0.5
	// leadStretch bounds that delay by that many times the span of the
	// looks, as stretch does for predicted ones.
	leadStretch = 4.0
	// scanLooks: an end range still too wide when no look can narrow it
	// before its start is walked through in that many looks, or in steps
	// of scanShare of the job's duration when those are shorter.
	scanLooks = 4
	scanShare = 0.02
	// maxMisses is how many looks may find the job running where its end
	// was predicted, and maxResets how many may disagree with the looks
	// before them, before WaitJob gives up predicting.
	maxMisses = 3
	maxResets = 6
	// lookCandidates is how many moments are weighed for a look that
	// narrows the estimate.
	lookCandidates = 48
	// crossingLevels is how many of the values a job may pass before a
	// look (the latest ones) add moments to weigh, crossingCandidates how
	// many each.
	crossingLevels     = 8
	crossingCandidates = 16
	// horizon: an estimate whose latest end lies farther ahead, in
	// seconds, does not bound the job's rate (about 12 days; the job API
	// shows jobs of the last month only).
	horizon = 1e6
)

// predictor is the schedule of WaitJob: it predicts the job's end from
// the progress reported, and falls back to capped exponential backoff. Its
// zero value is not usable; newPredictor makes one. It is used by one wait
// at a time.
//
// How it chooses each look. WaitJob looks at once, then:
//
//   - While the job reports its progress ("60%" in Process, see
//     Job.Percent), WaitJob predicts the job's end and looks just after it.
//     It keeps every steady pace and start time that agrees with all the
//     looks so far, reading a report of 60% as "between 60% and 61%"
//     somewhere between the look's request and its answer (or as "between
//     60% and 80%" once two different values were seen and all are
//     multiples of 20, and likewise for other steps). From those it takes
//     the earliest and the latest possible end. When they are within 0.3%
//     of the job's duration (at least 50ms) of each other, the next look
//     comes at the latest one. Otherwise it comes at the moment whose
//     answer, whatever it shows, narrows that range most (weighing moments
//     spread over the time and over the span in which the job may pass
//     each of its next values), no later than one shortest interval before
//     the earliest end, nor than 90% of the time left before it; when no
//     such moment is left, WaitJob walks through the range from its start,
//     in steps of a quarter of it or 2% of the job's duration, whichever is
//     shorter, but at least the shortest interval. No delay is longer than
//     twice the time covered by the looks the prediction rests on (since
//     the first, or since the last look that disagreed with the older ones:
//     the job stalled, jumped or went back, and WaitJob forgot the older
//     ones).
//   - While the job has been seen to pass a single step of progress, so
//     that the looks bound its end from below only, the next look comes
//     after half the time left before that earliest end, but no later than
//     four times the time the looks cover, and no sooner than the backoff
//     below would look.
//   - While the job reports no progress, or the looks bound neither its
//     pace nor its end (it still shows the value it first showed, or a look
//     just disagreed with the older ones), the delay starts at the shortest
//     interval and doubles after every look, up to DefaultMaxPollInterval
//     or the max given to WithPollInterval (the backoff). After three
//     looks that found the job running past its latest predicted end, or
//     six looks that disagreed with the older ones, WaitJob stops
//     predicting and uses the backoff, from the shortest interval, for the
//     rest of the wait.
//   - Two looks are never closer than the shortest interval nor farther
//     apart than the longest (see WithPollInterval).
//
// A job that reports no progress is thus looked at after 1s, 2s, 4s … up
// to 30s with the default intervals.
type predictor struct {
	floor, longest, blindLongest time.Duration
	backoff                      time.Duration // the next blind delay
	start                        time.Time     // the first look was sent
	origin                       time.Time     // the time 0 of points
	points                       []progressPoint
	trusted                      float64 // the estimate rests on looks since then (seconds since origin)
	bounded                      bool    // the last look gave a bounded estimate
	aimed                        bool    // the last delay aimed at the predicted end
	misses, resets               int
	fallback                     bool          // too many misses or resets: backoff to the end
	slackD                       time.Duration // see slack
}

// progressPoint is one look at a running job: sent at a, answered at b
// (seconds since the predictor's origin), showing p percent.
type progressPoint struct {
	a, b float64
	p    int
}

func newPredictor(cfg waitConfig) *predictor {
	p := &predictor{floor: cfg.first, longest: DefaultMaxPredictedPollInterval, blindLongest: DefaultMaxPollInterval}
	if cfg.maxSet {
		p.longest, p.blindLongest = cfg.max, cfg.max
	}
	p.longest = max(p.longest, p.floor)
	p.blindLongest = max(p.blindLongest, p.floor)
	p.backoff = p.floor
	return p
}

func (p *predictor) initial() time.Duration { return 0 }

func (p *predictor) next(l look) time.Duration {
	p.slackD = 0
	if p.start.IsZero() {
		p.start = l.sent
	}
	if l.job == nil || p.fallback {
		return p.blind()
	}
	pct, ok := l.job.Percent()
	if !ok || pct >= 100 {
		p.aimed = false
		return p.blind()
	}
	if p.aimed {
		p.aimed = false
		if p.misses++; p.misses >= maxMisses {
			return p.giveUp()
		}
	}
	if p.origin.IsZero() {
		p.origin = l.sent
	}
	p.points = append(p.points, progressPoint{a: p.sec(l.sent), b: p.sec(l.got), p: pct})
	kept := len(p.points)
	est, ok := p.estimate()
	if len(p.points) < kept { // the pace changed: trust only what comes next
		p.trusted = p.points[len(p.points)-1].a
		if p.resets++; p.resets >= maxResets {
			return p.giveUp()
		}
	}
	if !ok || est.hi-p.sec(l.got) > horizon {
		if p.bounded {
			p.bounded, p.backoff = false, p.floor // the job changed pace: explore again
		}
		d := p.blind()
		// A job that moved from the value it first showed, at a pace
		// that agrees with all the looks, takes at least until est.lo:
		// look before that, not sooner than the backoff would, nor later
		// than leadStretch times the span of the looks.
		if ok && p.resets == 0 && p.points[0].p != pct && est.lo > p.sec(l.got) {
			lead := min(leadShare*(est.lo-p.sec(l.got)), p.longest.Seconds(), leadStretch*(p.sec(l.got)-p.trusted))
			d = max(d, time.Duration(lead*float64(time.Second)))
			p.setSlack(est.lo, p.sec(l.got), d)
		}
		return d
	}
	p.bounded = true
	d := p.aim(est, p.sec(l.got))
	p.setSlack(est.lo, p.sec(l.got), d)
	return d
}

// slack is how long the look next planned may come late at little cost:
// the time from it to the job's earliest possible end, at most the delay
// before it. 0 for a look at or after that end, or when nothing bounds it.
// When requests queue for the client's budget, a look with slack lets the
// looks at jobs whose end is due go first.
func (p *predictor) slack() time.Duration { return p.slackD }

// setSlack sets slack for a look d after now, lo being the earliest end
// (seconds since origin).
func (p *predictor) setSlack(lo, now float64, d time.Duration) {
	left := time.Duration((lo - now) * float64(time.Second))
	p.slackD = min(max(left-d, 0), d)
}

// giveUp turns predictions off for the rest of the wait: the backoff
// starts again from the floor.
func (p *predictor) giveUp() time.Duration {
	p.fallback, p.points, p.backoff = true, nil, p.floor
	return p.blind()
}

// blind is the backoff's next delay.
func (p *predictor) blind() time.Duration {
	d := p.backoff
	p.backoff = min(2*d, p.blindLongest)
	return d
}

func (p *predictor) sec(t time.Time) float64 { return t.Sub(p.origin).Seconds() }

// aim returns the delay from now (seconds since origin) to the next look.
func (p *predictor) aim(est endEstimate, now float64) time.Duration {
	floor := p.floor.Seconds()
	longest := min(p.longest.Seconds(), max(floor, stretch*(now-p.trusted)))
	width := est.hi - est.lo
	took := (est.lo+est.hi)/2 - p.sec(p.start)
	tol := max(minPredictTolerance.Seconds(), predictTolerance*took)
	target, atLatest := est.hi, true
	if width > tol {
		lo, hi := now+floor, min(now+longest, now+lookAhead*(est.lo-now), est.lo-floor)
		if lo <= hi {
			if t, worst := est.bestLook(lo, hi); worst < 0.8*width {
				return p.delay(t-now, false)
			}
		}
		// No look can narrow the range before its start: walk through it,
		// in steps no shorter than the floor (a look that comes too early
		// costs a floor) and no longer than scanShare of the duration.
		if t := est.lo + max(tol, floor, min(width/scanLooks, scanShare*took)); t < est.hi {
			target, atLatest = t, false
		}
	}
	const guard = 0.001 // look just after the end
	if d := target + guard - now; d <= longest {
		return p.delay(d, atLatest)
	}
	return p.delay(longest, false)
}

func (p *predictor) delay(d float64, aimed bool) time.Duration {
	p.aimed = aimed
	return min(max(time.Duration(d*float64(time.Second)), p.floor), p.longest)
}

// estimate fits the points: the rates and start times of the lines of
// progress that agree with every point, reading each percentage p as
// [p, p+step) (see step). When no line agrees with all the points, the
// oldest are forgotten until one does. ok is false when fewer than two
// points are left.
func (p *predictor) estimate() (est endEstimate, ok bool) {
	for len(p.points) > 1 {
		q := step(p.points)
		if pg := fitPolygon(p.points, q); len(pg) > 0 {
			lo, hi := pg.endRange()
			lo = max(lo, p.points[len(p.points)-1].a) // it was running then
			return endEstimate{pg: pg, q: float64(q), lo: lo, hi: hi}, hi >= lo
		}
		p.points = p.points[1:]
	}
	return endEstimate{}, false
}

// step is the width a reported percentage stands for: the largest divisor
// of 100 that every value seen is a multiple of, once two different values
// other than 0% agree on it (20 for a job that moves in steps of 20%), and
// 1 before.
func step(points []progressPoint) int {
	q, first := 100, -1
	two := false
	for _, pt := range points {
		q = gcd(q, pt.p)
		if pt.p > 0 && first < 0 {
			first = pt.p
		} else if pt.p > 0 && pt.p != first {
			two = true
		}
	}
	if !two {
		return 1
	}
	return q
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// rateF0 is a line of progress: f(t) = f0 + rate·t percent at t seconds.
type rateF0 struct{ rate, f0 float64 }

// polygon is a convex set of lines, as the corners of its polygon in the
// (rate, f0) plane.
type polygon []rateF0

// fitPolygon is the set of lines that pass every point with steps of q:
// f(b) ≥ p (the value was reached when the answer came) and f(a) ≤ p+q (the
// next was not reached when the look was sent).
func fitPolygon(points []progressPoint, q int) polygon {
	pg := polygon{{1e-9, -1e6}, {1e4, -1e6}, {1e4, 100}, {1e-9, 100}}
	for _, pt := range points {
		pg = pg.clip(-pt.b, -1, -float64(pt.p)) // f0 + rate·b ≥ p
		pg = pg.clip(pt.a, 1, float64(pt.p+q))  // f0 + rate·a ≤ p+q
		if len(pg) == 0 {
			return nil
		}
	}
	return pg
}

// clip keeps the part where a·rate + b·f0 ≤ c.
func (pg polygon) clip(a, b, c float64) polygon {
	if len(pg) == 0 {
		return nil
	}
	scale := math.Abs(c) + 1
	side := func(v rateF0) float64 { return (a*v.rate + b*v.f0 - c) / scale }
	out := make(polygon, 0, len(pg)+1)
	for i, cur := range pg {
		nxt := pg[(i+1)%len(pg)]
		dc, dn := side(cur), side(nxt)
		if dc <= 1e-12 {
			out = append(out, cur)
		}
		if (dc < -1e-12 && dn > 1e-12) || (dc > 1e-12 && dn < -1e-12) {
			s := dc / (dc - dn)
			out = append(out, rateF0{cur.rate + s*(nxt.rate-cur.rate), cur.f0 + s*(nxt.f0-cur.f0)})
		}
	}
	return out
}

// endRange is the earliest and latest time a line of pg reaches 100%.
func (pg polygon) endRange() (lo, hi float64) { return pg.crossing(100) }

// valueRange is the least and most progress the lines of pg give at t.
func (pg polygon) valueRange(t float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range pg {
		f := v.f0 + v.rate*t
		lo, hi = min(lo, f), max(hi, f)
	}
	return lo, hi
}

// endEstimate is what the points say about the job's end: the lines that
// agree with them, the step of the reported values, and the earliest and
// latest end (seconds since the predictor's origin).
type endEstimate struct {
	pg     polygon
	q      float64
	lo, hi float64
}

// bestLook weighs moments between lo and hi (seconds) for a look that
// narrows the estimate: for each, every value the look may show, and the
// width of the end range left after it. The moments are evenly spread over
// [lo, hi], plus, for the values the job may pass in that time, moments
// spread over the time it may pass each (where a look tells most about
// when it does). It returns the earliest moment whose worst value leaves a
// range at most 5% wider than the narrowest (so that later looks keep room
// to narrow it further), and that width.
func (e endEstimate) bestLook(lo, hi float64) (at, worst float64) {
	cands := make([]float64, 0, lookCandidates+1+crossingLevels*crossingCandidates)
	for i := range lookCandidates + 1 {
		cands = append(cands, lo+(hi-lo)*float64(i)/lookCandidates)
	}
	_, fmax := e.pg.valueRange(hi)
	fmin, _ := e.pg.valueRange(lo)
	top := math.Floor(math.Min(fmax, 100-e.q)/e.q) * e.q
	for k, n := top, 0; k > fmin && n < crossingLevels; k, n = k-e.q, n+1 {
		c0, c1 := e.pg.crossing(k)
		c0, c1 = max(c0, lo), min(c1, hi)
		for i := 1; i < crossingCandidates && c0 < c1; i++ {
			cands = append(cands, c0+(c1-c0)*float64(i)/crossingCandidates)
		}
	}
	slices.Sort(cands)
	best := math.Inf(1)
	widths := make([]float64, len(cands))
	for i, t := range cands {
		widths[i] = e.worstWidthAfter(t)
		best = min(best, widths[i])
	}
	for i, w := range widths {
		if w <= best*1.05 {
			return cands[i], w
		}
	}
	return hi, best
}

// crossing is the earliest and latest time a line of pg reaches f percent.
func (pg polygon) crossing(f float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range pg {
		c := (f - v.f0) / v.rate
		lo, hi = min(lo, c), max(hi, c)
	}
	return lo, hi
}

// worstWidthAfter is the widest end range a look at t may leave.
func (e endEstimate) worstWidthAfter(t float64) float64 {
	fmin, fmax := e.pg.valueRange(t)
	worst := 0.0
	first := math.Floor(fmin/e.q) * e.q
	for k := first; k <= fmax && k < 100; k += e.q {
		sub := e.pg.clip(-t, -1, -k).clip(t, 1, k+e.q)
		if len(sub) == 0 {
			continue
		}
		l, h := sub.endRange()
		worst = max(worst, h-l)
	}
	return worst
}
