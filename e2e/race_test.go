//go:build race

package e2e_test

// raceEnabled: the tests run with -race, so examples/webapp is built with it too.
const raceEnabled = true
