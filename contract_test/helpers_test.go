package contract_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	contract "github.com/gaussdb-tools/chreplication/contract_test"
	"github.com/gaussdb-tools/chreplication/fake"
)

// Seed values of the API documentation.
const (
	seedProject  = "23a50154cf494ec9ad6883979a12db0a"
	seedInstance = "54e42160670e48e789af7075e1efea1fin16"
	seedBody     = `{"source_instance_id":"source_instance_id","source_node_id":"source_node_id","source_database":"source_database"}`
	seedJobID    = "18ef8ee3-b880-4851-8978-bb6acbd4e695"
)

// newValidatedFake starts a fake (on the seed's project unless opts say
// otherwise) and returns it with an HTTP client whose transport validates
// every request and response against the spec. When the test ends, it
// fails the test if any violation was recorded (call tr.Reset after
// provoking violations on purpose) and closes everything.
func newValidatedFake(t testing.TB, opts ...fake.Option) (*fake.Server, *http.Client, *contract.Transport) {
	t.Helper()
	s, err := fake.NewServer(append([]fake.Option{fake.WithProjectID(seedProject)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	tr, err := contract.NewTransport(s.Client().Transport)
	require.NoError(t, err)
	t.Cleanup(func() {
		assert.NoError(t, tr.Err(), "contract violations")
	})
	return s, tr.Client(), tr
}
