package middleware_test

import (
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/middleware"
	"github.com/loginkit/loginkit/oidctest"
)

// clock is a test clock that runs with real time plus an offset that tests
// advance; the provider and the app share it.
type clock struct{ offset atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// env is one app (middleware on an httptest server) and one oidctest
// provider, sharing a clock.
type env struct {
	t      *testing.T
	op     *oidctest.Server
	app    *httptest.Server
	auth   *middleware.Auth
	clock  *clock
	tokens *tokenLog
	logs   *syncBuffer

	errMu   sync.Mutex
	lastErr *middleware.Error
}

// lastError is the last error the app's error handler saw.
func (e *env) lastError() *middleware.Error {
	e.errMu.Lock()
	defer e.errMu.Unlock()
	return e.lastErr
}

type envOptions struct {
	op     func(*oidctest.Config)
	auth   func(*middleware.Config)
	prov   func(*client.Provider)
	noUser bool
}

// tokenLog records every token the provider issued, to prove none leaks.
type tokenLog struct {
	mu  sync.Mutex
	all []string
}

func (l *tokenLog) add(resp map[string]any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range []string{"access_token", "refresh_token", "id_token"} {
		if s, ok := resp[k].(string); ok && s != "" {
			l.all = append(l.all, s)
		}
	}
}

func (l *tokenLog) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.all...)
}

// syncBuffer collects log lines from concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	e := &env{t: t, clock: &clock{}, tokens: &tokenLog{}, logs: &syncBuffer{}}
	var handler atomic.Value
	e.app = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handler.Load().(http.Handler).ServeHTTP(w, r)
	}))
	t.Cleanup(e.app.Close)
	ocfg := oidctest.Config{
		Users: []oidctest.User{{Subject: "ada", Email: "ada@example.com", EmailVerified: true, Name: "Ada Lovelace"}},
		Clients: []oidctest.Client{{ID: "app", Secret: "app-secret",
			RedirectURIs:           []string{e.app.URL + "/callback/test"},
			PostLogoutRedirectURIs: []string{e.app.URL + "/", e.app.URL + "/logout/callback"}}},
		AutoApprove: "ada",
		Now:         e.clock.Now,
	}
	if o.op != nil {
		o.op(&ocfg)
	}
	op, err := oidctest.NewServer(ocfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(op.Close)
	e.op = op
	e.setHooks(oidctest.Hooks{})
	p := client.Provider{Name: "test", Issuer: op.Issuer(), ClientID: "app", ClientSecret: "app-secret", Timeout: 2 * time.Second}
	if o.prov != nil {
		o.prov(&p)
	}
	cfg := middleware.Config{
		BaseURL: e.app.URL, Providers: []client.Provider{p},
		Keys:   [][]byte{[]byte("0123456789abcdef0123456789abcdef")},
		Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:    e.clock.Now,
	}
	if o.auth != nil {
		o.auth(&cfg)
	}
	if cfg.ErrorHandler == nil {
		cfg.ErrorHandler = func(w http.ResponseWriter, r *http.Request, me *middleware.Error) {
			e.errMu.Lock()
			e.lastErr = me
			e.errMu.Unlock()
			middleware.DefaultErrorHandler(w, r, me)
		}
	}
	auth, err := middleware.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.auth = auth
	mux := http.NewServeMux()
	auth.Register(mux)
	mux.Handle("GET /{$}", auth.Optional(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, ok := middleware.UserFrom(r.Context()); ok {
			io.WriteString(w, "hello "+u.Name)
			return
		}
		io.WriteString(w, "signed out")
	})))
	mountPrivate(mux, auth)
	mux.Handle("GET /sid", auth.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := middleware.SessionFrom(r.Context())
		io.WriteString(w, s.ID)
	})))
	handler.Store(http.Handler(mux))
	return e
}

// mountPrivate serves the test app's signed-in routes: GET /private (the
// user's subject) and GET /api (the provider's userinfo through auth.Client,
// 401 once the session ended).
func mountPrivate(mux *http.ServeMux, auth *middleware.Auth) {
	mux.Handle("GET /private", auth.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := middleware.UserFrom(r.Context())
		io.WriteString(w, "private for "+u.Subject)
	})))
	mux.Handle("GET /api", auth.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hc, err := auth.Client(w, r)
		if err != nil {
			http.Error(w, "no client", http.StatusUnauthorized)
			return
		}
		m, _ := auth.ProviderClient("test").Discover(r.Context())
		resp, err := hc.Get(m.UserInfoURL)
		if errors.Is(err, middleware.ErrSessionEnded) {
			http.Error(w, "session ended", http.StatusUnauthorized)
			return
		}
		if err != nil {
			http.Error(w, "upstream failed", http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	})))
}

// setHooks installs h plus the token recorder.
func (e *env) setHooks(h oidctest.Hooks) {
	inner := h.TokenResponse
	h.TokenResponse = func(resp map[string]any) {
		if inner != nil {
			inner(resp)
		}
		e.tokens.add(resp)
	}
	e.op.SetHooks(h)
}

// browser is a scripted browser: a cookie jar, redirects followed by hand,
// and every response kept for the leak checks.
type browser struct {
	t    *testing.T
	hc   *http.Client
	seen []seenResponse
	mu   sync.Mutex
}

type seenResponse struct {
	url     string
	status  int
	header  http.Header
	body    string
	cookies []*http.Cookie
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, hc: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	status int
	header http.Header
	body   string
	loc    *url.URL
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.hc.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	p := page{status: resp.StatusCode, header: resp.Header, body: string(body)}
	if l, err := resp.Location(); err == nil {
		p.loc = l
	}
	b.mu.Lock()
	b.seen = append(b.seen, seenResponse{req.URL.String(), resp.StatusCode, resp.Header, string(body), resp.Cookies()})
	b.mu.Unlock()
	return p
}

func (b *browser) get(u string) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Accept", "text/html")
	return b.do(req)
}

func (b *browser) getJSON(u string) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Accept", "application/json")
	return b.do(req)
}

func (b *browser) post(u string, origin string) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, nil)
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	return b.do(req)
}

// startLogin opens /login/test and returns the provider's redirect back to
// the app (the callback URL), without opening it.
func (b *browser) startLogin(e *env, returnTo string) *url.URL {
	b.t.Helper()
	u := e.app.URL + "/login/test"
	if returnTo != "" {
		u += "?return_to=" + url.QueryEscape(returnTo)
	}
	p := b.get(u)
	if p.status != http.StatusFound || p.loc == nil {
		b.t.Fatalf("login: status %d, want 302", p.status)
	}
	p = b.get(p.loc.String())
	if p.status != http.StatusFound || p.loc == nil {
		b.t.Fatalf("authorize: status %d body %q", p.status, p.body)
	}
	return p.loc
}

// login signs in and returns the callback's response.
func (b *browser) login(e *env, returnTo string) page {
	b.t.Helper()
	return b.get(b.startLogin(e, returnTo).String())
}

func (b *browser) mustLogin(e *env) {
	b.t.Helper()
	if p := b.login(e, ""); p.status != http.StatusSeeOther {
		b.t.Fatalf("callback: status %d body %q\nlogs:\n%s", p.status, p.body, e.logText())
	}
}

func (b *browser) cookies(e *env) []*http.Cookie {
	u, _ := url.Parse(e.app.URL)
	return b.hc.Jar.Cookies(u)
}

func (e *env) logText() string {
	return e.logs.String()
}

// decodings returns s and what s decodes to as base64 of any alphabet, to
// find a token hidden in an encoding.
func decodings(s string) []string {
	out := []string{s}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if d, err := enc.DecodeString(s); err == nil {
			out = append(out, string(d))
		}
	}
	return out
}
