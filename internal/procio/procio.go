// Package procio holds the small I/O pieces the tests use to run real peers
// (oidc-provider, redis-server, the demo app) as child processes: a buffer
// that collects their output safely, and a writer that hands over each line.
package procio

import (
	"bytes"
	"strings"
	"sync"
)

// Buffer is a bytes.Buffer safe for concurrent use.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// LineWriter calls Fn with each complete line written to it, without the
// line ending.
type LineWriter struct {
	Fn  func(line string)
	mu  sync.Mutex
	buf []byte
}

// Write buffers p and calls Fn for every line it completes.
func (w *LineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := strings.TrimSuffix(string(w.buf[:i]), "\r")
		w.buf = w.buf[i+1:]
		w.Fn(line)
	}
}
