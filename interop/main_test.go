package interop

import (
	"os"
	"testing"
)

// TestMain runs the tests, or, when the test binary is started by
// startBenchServer, only the benchmarks' loopback server (see
// serveBenchAnswers).
func TestMain(m *testing.M) {
	if os.Getenv(benchServerEnv) == "1" {
		os.Exit(serveBenchAnswers())
	}
	code := m.Run()
	stopBenchServer()
	os.Exit(code)
}
