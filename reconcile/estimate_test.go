package reconcile

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestEstimate: the first look at a job comes 5% after the latest time a
// job was seen running; only such times move it, and the oldest are
// forgotten.
func TestEstimate(t *testing.T) {
	t.Parallel()
	var e estimate
	assert.Zero(t, e.get(), "nothing seen: look at once")
	e.running(100 * time.Millisecond)
	e.running(2 * time.Second)
	e.running(time.Second)
	assert.Equal(t, 2100*time.Millisecond, e.get())
	for range estimateSize {
		e.running(time.Second)
	}
	assert.Equal(t, 1050*time.Millisecond, e.get(), "the 2s of long ago is forgotten")
}
