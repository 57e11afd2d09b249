//go:build !unix

package realop

import (
	"errors"
	"os"
	"time"
)

// lockFile takes a lock on path by creating it exclusively, waiting up to
// ten minutes for another holder, and returns the function that releases it.
func lockFile(path string) (func(), error) {
	deadline := time.Now().Add(10 * time.Minute)
	for {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err == nil {
			f.Close()
			return func() { _ = os.Remove(path) }, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, err
		}
		if time.Now().After(deadline) {
			return nil, errors.New("timed out waiting for " + path + "; remove it if no install is running")
		}
		time.Sleep(200 * time.Millisecond)
	}
}
