//go:build race

package auth

// raceEnabled: the race detector changes allocation counts and timings.
const raceEnabled = true
