//go:build race

package console_test

// raceEnabled is true under the race detector, which makes the 10,000
// execution test several times slower.
const raceEnabled = true
