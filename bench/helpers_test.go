package bench

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/loginkit/loginkit/internal/redistest"
	"github.com/loginkit/loginkit/oidctest"
	"github.com/loginkit/loginkit/session"
)

// discard is a ResponseWriter that keeps only the header (cleared per
// iteration) and the status, so that a benchmark measures the handler
// rather than a recorder.
type discard struct {
	h      http.Header
	status int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(s int)           { d.status = s }

// serve runs h for a signed-in request with cookie, b.N times. Each
// iteration gets a fresh request value, as a server makes one per request
// (gorilla caches decoded sessions in the request's context).
func serve(b *testing.B, h http.Handler, cookie string) {
	req := httptest.NewRequest(http.MethodGet, "/private", nil)
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	w := &discard{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		r := *req
		h.ServeHTTP(w, &r)
	}
	if w.status != 0 && w.status != http.StatusOK {
		b.Fatalf("status %d", w.status)
	}
}

// redisFor is a Redis for the Redis store's cases: the one make bench
// started (LOGINKIT_BENCH_REDIS, a redis:// URL), else a redis-server of
// tb's own. It is nil without redis-server, and under -short (no real
// peers), so that the other cases still run.
func redisFor(tb testing.TB) redis.UniversalClient {
	tb.Helper()
	if u := os.Getenv("LOGINKIT_BENCH_REDIS"); u != "" {
		c, err := session.NewRedisClient(u)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { c.Close() })
		return c
	}
	if testing.Short() {
		return nil
	}
	// Without redis-server the Redis cases are left out, except under
	// CI=true, where redistest fails the test instead.
	if _, err := exec.LookPath("redis-server"); err != nil && os.Getenv("CI") != "true" {
		return nil
	}
	return redistest.Start(tb).Client(tb)
}

// counter is an http.RoundTripper that counts the requests it sends: what a
// relying party asks of its provider, browser traffic excluded.
type counter struct {
	n    atomic.Int64
	base http.RoundTripper
}

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.base.RoundTrip(r)
}

// countingClient is an HTTP client of its own (its own connection pool) that
// counts its requests.
func countingClient() (*http.Client, *counter) {
	c := &counter{base: http.DefaultTransport.(*http.Transport).Clone()}
	return &http.Client{Transport: c}, c
}

// benchOP is an in-process OpenID Provider on a loopback port, started as
// oidctest.NewServer starts one, which also adds up the time its handler
// spends on requests, so that a login's provider part can be taken out.
type benchOP struct {
	*oidctest.Provider
	srv  *httptest.Server
	busy atomic.Int64 // ns inside the provider's handler
}

func (o *benchOP) Client() *http.Client { return o.srv.Client() }
func (o *benchOP) Close()               { o.srv.Close() }

// newOP starts an in-process OpenID Provider signing with alg, with one user
// signed in without a page and one client for each redirect URI.
func newOP(tb testing.TB, alg string, redirectURIs ...string) *benchOP {
	tb.Helper()
	srv := httptest.NewUnstartedServer(nil)
	p, err := oidctest.New(oidctest.Config{
		Issuer: "http://" + srv.Listener.Addr().String(),
		Alg:    alg,
		Users: []oidctest.User{{Subject: "ada", Email: "ada.lovelace@example.com", EmailVerified: true,
			Name: "Ada Lovelace", GivenName: "Ada", FamilyName: "Lovelace"}},
		Clients:     []oidctest.Client{{ID: "app", Secret: "app-secret", RedirectURIs: redirectURIs}},
		AutoApprove: "ada",
	})
	if err != nil {
		srv.Close()
		tb.Fatal(err)
	}
	op := &benchOP{Provider: p, srv: srv}
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t0 := time.Now()
		p.ServeHTTP(w, r)
		op.busy.Add(int64(time.Since(t0)))
	})
	srv.Start()
	tb.Cleanup(op.Close)
	return op
}

// browser follows nothing: each step of a login is one request.
func browser(op *benchOP) *http.Client {
	hc := op.Client()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return hc
}
