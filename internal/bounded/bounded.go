// Package bounded gives every call loginkit makes to a provider a size cap and
// a timeout: an HTTP client whose response bodies fail once they exceed a limit.
package bounded

import (
	"context"
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
// responses are capped at maxBytes and whose requests time out after timeout
// (or base.Timeout, when that is shorter). The copy never shares a Transport
// wrapper with base, so base is unchanged.
//
// The time limit lives in the Transport, not in http.Client.Timeout: for a
// RoundTripper it does not know, net/http enforces Client.Timeout with a
// goroutine, a timer and a cancel channel per request, which cost a login
// more than the rest of its token request on the client side. A context
// deadline costs one timer, and none when the caller's context already ends
// sooner. Use Timeout to read the limit back.
func Client(base *http.Client, timeout time.Duration, maxBytes int64) *http.Client {
	c := &http.Client{}
	if base != nil {
		*c = *base
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if t := Timeout(c); t > 0 && t < timeout {
		timeout = t
	}
	c.Timeout = 0
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	rt := c.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	c.Transport = &Transport{Base: rt, MaxBytes: maxBytes, Timeout: timeout}
	return c
}

// Timeout is the time limit hc puts on one call: the shorter of hc.Timeout
// and its bounded Transport's, or 0 when it has neither.
func Timeout(hc *http.Client) time.Duration {
	d := hc.Timeout
	for rt := hc.Transport; ; {
		t, ok := rt.(*Transport)
		if !ok {
			return d
		}
		if t.Timeout > 0 && (d == 0 || t.Timeout < d) {
			d = t.Timeout
		}
		rt = t.Base
	}
}

// Transport caps the body of every response at MaxBytes. A response that
// declares a larger Content-Length fails before its body is read. With a
// Timeout, each call (its redirects included, and the reading of the body)
// must end within Timeout of its first request, as with http.Client.Timeout.
type Transport struct {
	Base     http.RoundTripper
	MaxBytes int64
	Timeout  time.Duration
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var cancel context.CancelFunc
	var callDeadline time.Time
	if t.Timeout > 0 {
		deadline := time.Now().Add(t.Timeout)
		// A redirect keeps the call's deadline, which the previous hop's
		// response body (ours, handed over by net/http) carries on.
		if prev := req.Response; prev != nil {
			if b, ok := prev.Body.(*limitedBody); ok && !b.deadline.IsZero() && b.deadline.Before(deadline) {
				deadline = b.deadline
			}
		}
		if d, ok := req.Context().Deadline(); !ok || deadline.Before(d) {
			var ctx context.Context
			ctx, cancel = context.WithDeadline(req.Context(), deadline)
			req = req.WithContext(ctx)
		} else {
			deadline = d
		}
		callDeadline = deadline
	}
	resp, err := t.Base.RoundTrip(req)
	if err != nil {
		if cancel != nil {
			cancel()
		}
		return nil, err
	}
	if resp.ContentLength > t.MaxBytes {
		resp.Body.Close()
		if cancel != nil {
			cancel()
		}
		return nil, fmt.Errorf("%w (%d bytes declared)", ErrTooLarge, resp.ContentLength)
	}
	resp.Body = &limitedBody{rc: resp.Body, left: t.MaxBytes, cancel: cancel, deadline: callDeadline}
	return resp, nil
}

// limitedBody returns ErrTooLarge instead of silently truncating, so a cut-off
// JSON document is never mistaken for a complete one.
type limitedBody struct {
	rc       io.ReadCloser
	left     int64
	cancel   context.CancelFunc // the call's deadline, released on Close; may be nil
	deadline time.Time          // the call's deadline, for its redirects; zero if none
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

func (b *limitedBody) Close() error {
	err := b.rc.Close()
	if b.cancel != nil {
		b.cancel()
	}
	return err
}

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
