package chreplication

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestJobScheduleBacksOffWhileBlind: a job not shown yet, or one that
// reports no progress, is looked at after the backoff's delays, from
// WithPollInterval's first up to its max.
func TestJobScheduleBacksOffWhileBlind(t *testing.T) {
	s := NewJobSchedule(WithPollInterval(time.Second, 5*time.Second))
	at := time.Unix(1_700_000_000, 0)
	var got []time.Duration
	for i := range 5 {
		var job *Job
		if i >= 2 {
			job = &Job{ID: "j", Status: JobRunning} // no progress reported
		}
		d := s.Next(at, at.Add(10*time.Millisecond), job)
		got = append(got, d)
		at = at.Add(d)
	}
	assert.Equal(t, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}, got)
}

// TestJobSchedulePredictsTheEnd: a job whose progress moves steadily is
// looked at just after the end its progress predicts (within WaitJob's
// tolerance, 0.3% of the job's duration), in a few looks, where the
// backoff alone comes up to its longest delay late.
func TestJobSchedulePredictsTheEnd(t *testing.T) {
	for _, took := range []time.Duration{20 * time.Second, 5 * time.Minute, time.Hour} {
		t.Run(took.String(), func(t *testing.T) {
			s := NewJobSchedule()
			start := time.Unix(1_700_000_000, 0)
			blind := NewJobSchedule()
			blindLooks, at := 0, start
			for ; at.Sub(start) < took; blindLooks++ {
				at = at.Add(blind.Next(at, at, &Job{ID: "j", Status: JobRunning}))
			}
			blindLate := at.Sub(start) - took
			now, looks := start, 0
			for looks < 100 {
				looks++
				elapsed := now.Sub(start)
				if elapsed >= took {
					break
				}
				pct := int(100 * elapsed / took)
				job := &Job{ID: "j", Status: JobRunning, Process: fmt.Sprintf("%d%%", pct)}
				now = now.Add(s.Next(now, now, job))
			}
			late := now.Sub(start) - took
			t.Logf("%v: %d looks, %v late; the backoff alone: %d looks, %v late", took, looks, late, blindLooks, blindLate)
			require.Less(t, looks, 100, "the job's end was reached")
			assert.LessOrEqual(t, late, max(took*3/1000, 500*time.Millisecond), "the last look came soon after the end")
			assert.LessOrEqual(t, looks, 20, "looks at a job of %v", took)
		})
	}
}

// TestJobScheduleConcurrent: one schedule may be fed from several
// goroutines (a controller's workers); -race checks it.
func TestJobScheduleConcurrent(t *testing.T) {
	s := NewJobSchedule()
	at := time.Unix(1_700_000_000, 0)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			job := &Job{ID: "j", Status: JobRunning, Process: fmt.Sprintf("%d%%", 10+i)}
			assert.Positive(t, s.Next(at.Add(time.Duration(i)*time.Second), at.Add(time.Duration(i)*time.Second), job))
		})
	}
	wg.Wait()
	// An answer stamped before its request is read as answered when sent.
	assert.Positive(t, s.Next(at.Add(time.Minute), at, nil))
}
