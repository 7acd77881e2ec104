package chreplication

import (
	"strconv"
	"testing"
	"time"
)

// FuzzWaitSchedule feeds WaitJob's schedule any sequence of looks: each
// three bytes of the input are the time the look took (0–255 ms), the
// pause the schedule asked for stretched or shrunk (a look sent late or
// early, as a loaded machine or a clock step does), and what the job
// showed (a percentage 0–120, no progress, or a Process the client does
// not read). Whatever it sees, the schedule never panics and every delay
// stays between the shortest and the longest interval.
func FuzzWaitSchedule(f *testing.F) {
	f.Add([]byte{20, 128, 0, 20, 128, 0, 20, 128, 1, 20, 128, 2, 20, 128, 5, 20, 128, 50, 20, 128, 99})
	f.Add([]byte{0, 0, 10, 0, 0, 10, 0, 0, 10, 0, 255, 99, 0, 255, 98})
	f.Add([]byte{255, 128, 70, 1, 128, 40, 1, 128, 41, 1, 128, 121, 1, 128, 122, 1, 128, 42})
	f.Add([]byte{20, 128, 0, 20, 128, 20, 20, 128, 40, 20, 128, 40, 20, 128, 60, 20, 128, 80})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, first := range []time.Duration{DefaultPollInterval, 100 * time.Millisecond} {
			cfg := newWaitConfig([]WaitOption{WithPollInterval(first, 0)})
			p := newPredictor(cfg)
			now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
			longest := DefaultMaxPredictedPollInterval
			for i := 0; i+2 < len(data) && i < 3*64; i += 3 {
				took := time.Duration(data[i]) * time.Millisecond
				job := &Job{ID: "j", Status: JobRunning}
				switch v := int(data[i+2]); {
				case v <= 120:
					job.Process = strconv.Itoa(v) + "%"
				case v < 200:
					job.Process = ""
				default:
					job.Process = "phase " + strconv.Itoa(v)
				}
				d := p.next(look{sent: now, got: now.Add(took), job: job})
				if d < first || d > longest {
					t.Fatalf("look %d (%q after %v): delay %v, not within [%v, %v]", i/3, job.Process, took, d, first, longest)
				}
				// The next look is sent after the delay, scaled by 0–2.
				now = now.Add(took + time.Duration(float64(d)*float64(data[i+1])/128))
			}
		}
	})
}
