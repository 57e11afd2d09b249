//go:build linux

package e2e_test

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal makes the kernel kill the child when the test binary
// dies without running its cleanups (a -timeout panic, a kill), so no app
// process outlives the tests.
func setParentDeathSignal(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}
