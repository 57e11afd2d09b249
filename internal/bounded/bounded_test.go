package bounded_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loginkit/loginkit/internal/bounded"
)

func TestLimit(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		size     int
		declared bool
		wantErr  bool
	}{
		{"under", 99, true, false},
		{"exactly", 100, true, false},
		{"exactly chunked", 100, false, false},
		{"over declared", 101, true, true},
		{"over chunked", 101, false, true},
		{"far over chunked", 20 << 20, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.declared {
					w.Header().Set("Content-Length", strconv.Itoa(tc.size))
				}
				w.Write([]byte(strings.Repeat("x", tc.size)))
			}))
			defer srv.Close()
			hc := bounded.Client(nil, time.Second, 100)
			resp, err := hc.Get(srv.URL)
			if err == nil {
				defer resp.Body.Close()
				var body []byte
				body, err = io.ReadAll(resp.Body)
				if err == nil && len(body) != tc.size {
					t.Fatalf("read %d bytes, want %d", len(body), tc.size)
				}
			}
			if got := errors.Is(err, bounded.ErrTooLarge); got != tc.wantErr {
				t.Fatalf("err %v, want ErrTooLarge %t", err, tc.wantErr)
			}
		})
	}
}

// hang answers after block closes or the request ends; with body set it
// sends its headers and a first byte at once, and hangs in the body.
func hang(t *testing.T, body bool) *httptest.Server {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if body {
			w.Write([]byte("x"))
			w.(http.Flusher).Flush()
		}
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(block); srv.Close() })
	return srv
}

// TestTimeout: every way a call can hang ends within the limit, with an
// error that says it timed out.
func TestTimeout(t *testing.T) {
	t.Parallel()
	const limit = 200 * time.Millisecond
	cases := []struct {
		name string
		hc   *http.Client
		get  func(hc *http.Client, srv *httptest.Server) error
		body bool
	}{
		{"awaiting headers", bounded.Client(nil, limit, 0), get, false},
		{"reading the body", bounded.Client(nil, limit, 0), getAll, true},
		{"base client's shorter timeout", bounded.Client(&http.Client{Timeout: limit}, time.Hour, 0), get, false},
		{"through redirects", bounded.Client(nil, limit, 0), func(hc *http.Client, srv *httptest.Server) error {
			// Each hop waits 60% of the limit, so only a deadline that
			// spans the whole call (not one per hop) ends it.
			hops := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n, _ := strconv.Atoi(r.URL.Query().Get("n"))
				select {
				case <-time.After(limit * 6 / 10):
				case <-r.Context().Done():
					return
				}
				http.Redirect(w, r, "/?n="+strconv.Itoa(n+1), http.StatusFound)
			}))
			defer hops.Close()
			hc.CheckRedirect = func(_ *http.Request, via []*http.Request) error {
				if len(via) > 30 { // far past the limit: the deadline did not span the hops
					return errors.New("too many redirects")
				}
				return nil
			}
			return getAll(hc, hops)
		}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := hang(t, tc.body)
			start := time.Now()
			err := tc.get(tc.hc, srv)
			if el := time.Since(start); el > 2*time.Second {
				t.Fatalf("took %v", el)
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err %v, want a deadline error", err)
			}
			var ne interface{ Timeout() bool }
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Fatalf("err %v: not a timeout", err)
			}
		})
	}
}

func get(hc *http.Client, srv *httptest.Server) error {
	resp, err := hc.Get(srv.URL)
	if err == nil {
		resp.Body.Close()
	}
	return err
}

func getAll(hc *http.Client, srv *httptest.Server) error {
	resp, err := hc.Get(srv.URL)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.ReadAll(resp.Body)
	return err
}

// TestCallerDeadlineKept: a caller's context that ends sooner than the
// limit is the one that counts, and a later one does not lift the limit.
func TestCallerDeadlineKept(t *testing.T) {
	t.Parallel()
	srv := hang(t, false)
	for _, tc := range []struct {
		name          string
		limit, caller time.Duration
	}{
		{"caller sooner", time.Hour, 100 * time.Millisecond},
		{"limit sooner", 100 * time.Millisecond, time.Hour},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), tc.caller)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		start := time.Now()
		_, err := bounded.Client(nil, tc.limit, 0).Do(req)
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
			t.Fatalf("%s: err %v after %v", tc.name, err, time.Since(start))
		}
	}
}

// captureRT answers 200 with an empty body and keeps each request's context.
type captureRT struct{ ctxs []context.Context }

func (c *captureRT) RoundTrip(req *http.Request) (*http.Response, error) {
	c.ctxs = append(c.ctxs, req.Context())
	return &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(strings.NewReader("")), ContentLength: 0, Request: req}, nil
}

// TestDeadlineReleasedOnClose: closing the body ends the call's context at
// once, instead of leaving its timer to run out.
func TestDeadlineReleasedOnClose(t *testing.T) {
	t.Parallel()
	rt := &captureRT{}
	hc := bounded.Client(&http.Client{Transport: rt}, time.Hour, 0)
	resp, err := hc.Get("http://op.test/")
	if err != nil {
		t.Fatal(err)
	}
	ctx := rt.ctxs[0]
	if dl, ok := ctx.Deadline(); !ok || time.Until(dl) < 59*time.Minute {
		t.Fatalf("deadline %v %t, want one hour from now", dl, ok)
	}
	if ctx.Err() != nil {
		t.Fatalf("context ended before Close: %v", ctx.Err())
	}
	resp.Body.Close()
	if ctx.Err() == nil {
		t.Fatal("context still live after Close")
	}
}

func TestBaseClientKept(t *testing.T) {
	t.Parallel()
	base := &http.Client{Timeout: time.Hour}
	c := bounded.Client(base, 5*time.Second, 0)
	if bounded.Timeout(c) != 5*time.Second || base.Timeout != time.Hour || base.Transport != nil {
		t.Fatalf("timeout %v; base changed: %v %v", bounded.Timeout(c), base.Timeout, base.Transport)
	}
	// net/http's per-request goroutine for Client.Timeout is what the
	// Transport's deadline replaces.
	if c.Timeout != 0 {
		t.Fatalf("Client.Timeout %v, want 0", c.Timeout)
	}
	if got := bounded.Timeout(&http.Client{Timeout: time.Minute}); got != time.Minute {
		t.Fatalf("Timeout of a plain client: %v", got)
	}
}

// BenchmarkCall: one GET through the bounded client, beside the same limit
// set as http.Client.Timeout over the same wrapping Transport (what Client
// did before), and beside a bare client.
func BenchmarkCall(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("{}")) }))
	defer srv.Close()
	bc := bounded.Client(nil, 10*time.Second, 0)
	old := &http.Client{Timeout: 10 * time.Second, Transport: &bounded.Transport{Base: http.DefaultTransport, MaxBytes: bounded.DefaultMaxBytes}}
	for _, c := range []struct {
		name string
		hc   *http.Client
	}{{"bounded", bc}, {"client-timeout", old}, {"bare", http.DefaultClient}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := getAll(c.hc, srv); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// redirectRT answers every request with a redirect to the next hop, as a
// fake transport would: without setting the response's Request.
type redirectRT struct{ ctxs []context.Context }

func (r *redirectRT) RoundTrip(req *http.Request) (*http.Response, error) {
	r.ctxs = append(r.ctxs, req.Context())
	if len(r.ctxs) == 4 {
		return &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(strings.NewReader(""))}, nil
	}
	h := http.Header{"Location": {"/hop"}}
	return &http.Response{StatusCode: http.StatusFound, Header: h, Body: io.NopCloser(strings.NewReader(""))}, nil
}

// TestRedirectKeepsDeadline: every hop of a call has its first request's
// deadline, even behind a transport that does not link responses to their
// requests.
func TestRedirectKeepsDeadline(t *testing.T) {
	t.Parallel()
	rt := &redirectRT{}
	resp, err := bounded.Client(&http.Client{Transport: rt}, time.Hour, 0).Get("http://op.test/start")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(rt.ctxs) != 4 {
		t.Fatalf("%d hops", len(rt.ctxs))
	}
	first, ok := rt.ctxs[0].Deadline()
	if !ok {
		t.Fatal("no deadline")
	}
	for i, ctx := range rt.ctxs[1:] {
		if d, _ := ctx.Deadline(); !d.Equal(first) {
			t.Fatalf("hop %d: deadline %v, first %v", i+1, d, first)
		}
	}
}

// TestNestedLimits: a bounded client wrapping another keeps the shorter
// limit, and Timeout reports it.
func TestNestedLimits(t *testing.T) {
	t.Parallel()
	inner := bounded.Client(nil, time.Second, 0)
	if got := bounded.Timeout(bounded.Client(inner, time.Minute, 0)); got != time.Second {
		t.Fatalf("outer longer: %v", got)
	}
	if got := bounded.Timeout(bounded.Client(inner, time.Millisecond, 0)); got != time.Millisecond {
		t.Fatalf("outer shorter: %v", got)
	}
}
