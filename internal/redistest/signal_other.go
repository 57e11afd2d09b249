//go:build !unix

package redistest

import "os"

// pauseSignal: processes cannot be frozen here; Pause does nothing.
func pauseSignal(bool) os.Signal { return nil }
