package monitor_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gaussdb-tools/chreplication"
	"github.com/gaussdb-tools/chreplication/auth"
	"github.com/gaussdb-tools/chreplication/fake"
)

const (
	instA = "54e42160670e48e789af7075e1efea1fin16"
	instB = "8a7b1d1e0e6e4f8c9b0f2a3c4d5e6f70in16"
	instC = "0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5fin16"
	instD = "f0e1d2c3b4a5968778695a4b3c2d1e0fin16"
)

// opList is the operationId of the list the looks send.
const opList = "ListClickHouseDataBaseReplication"

// newFake starts a fake whose jobs move only when the test says so, and
// returns it with a client of it that does not retry.
func newFake(t *testing.T) (*fake.Server, *chreplication.Client) {
	t.Helper()
	s, err := fake.NewServer(fake.WithJobMode(fake.JobsManual))
	require.NoError(t, err)
	t.Cleanup(s.Close)
	c, err := chreplication.NewClient(s.URL(),
		chreplication.WithProjectID(s.ProjectID()),
		chreplication.WithAuth(auth.StaticToken(s.Token())),
		chreplication.WithHTTPClient(s.Client()),
		chreplication.WithoutRetry())
	require.NoError(t, err)
	return s, c
}

// fakeClock is a Clock whose time moves only when Sleep is called: it
// records each wait and moves the time by it.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	if d > 0 {
		c.now = c.now.Add(d)
	}
	return nil
}

// elapsed is the time since the clock's start.
func (c *fakeClock) elapsed() time.Duration {
	return c.Now().Sub(time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC))
}
