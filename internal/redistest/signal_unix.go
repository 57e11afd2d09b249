//go:build unix

package redistest

import (
	"os"
	"syscall"
)

// pauseSignal freezes (SIGSTOP) or thaws (SIGCONT) a process.
func pauseSignal(pause bool) os.Signal {
	if pause {
		return syscall.SIGSTOP
	}
	return syscall.SIGCONT
}
