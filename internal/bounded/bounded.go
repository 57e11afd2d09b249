// Package bounded gives every call loginkit makes to a provider a size cap and
// a timeout: an HTTP client whose response bodies fail once they exceed a limit.
package bounded

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Defaults used when a configuration leaves the field zero.
const (
	DefaultTimeout  = 10 * time.Second
	DefaultMaxBytes = 1 << 20 // 1 MiB
)

// ErrTooLarge is returned by a response body read past its cap.
var ErrTooLarge = errors.New("loginkit: provider response exceeds the size limit")

// Client returns a copy of base (http.DefaultClient's settings when nil) whose
// responses are capped at maxBytes and whose requests time out after timeout.
// The copy never shares a Transport wrapper with base, so base is unchanged.
func Client(base *http.Client, timeout time.Duration, maxBytes int64) *http.Client {
	c := &http.Client{}
	if base != nil {
		*c = *base
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if c.Timeout == 0 || c.Timeout > timeout {
		c.Timeout = timeout
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	rt := c.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	c.Transport = &Transport{Base: rt, MaxBytes: maxBytes}
	return c
}

// Transport caps the body of every response at MaxBytes. A response that
// declares a larger Content-Length fails before its body is read.
type Transport struct {
	Base     http.RoundTripper
	MaxBytes int64
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.Base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > t.MaxBytes {
		resp.Body.Close()
		return nil, fmt.Errorf("%w (%d bytes declared)", ErrTooLarge, resp.ContentLength)
	}
	resp.Body = &limitedBody{rc: resp.Body, left: t.MaxBytes}
	return resp, nil
}

// limitedBody returns ErrTooLarge instead of silently truncating, so a cut-off
// JSON document is never mistaken for a complete one.
type limitedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// Probe one byte: exactly MaxBytes is fine, more is not.
		var one [1]byte
		n, err := b.rc.Read(one[:])
		if n > 0 {
			return 0, ErrTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

// ReadAll reads r to the end, failing with ErrTooLarge past max bytes.
func ReadAll(r io.Reader, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, ErrTooLarge
	}
	return data, nil
}
