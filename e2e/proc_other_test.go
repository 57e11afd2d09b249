//go:build !linux

package e2e_test

import "os/exec"

// setParentDeathSignal has no portable equivalent outside Linux; the test's
// cleanup stops the app.
func setParentDeathSignal(*exec.Cmd) {}
