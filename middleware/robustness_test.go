package middleware_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/internal/bounded"
	"github.com/loginkit/loginkit/middleware"
	"github.com/loginkit/loginkit/oidctest"
)

// TestNoTokenLeaks walks a whole life (login, API calls, refresh, logout)
// with 3 KB tokens, then looks for every token the provider issued in every
// response the browser saw and in the app's log, plain and base64-decoded.
// The one allowed place is id_token_hint in the logout redirect to the
// provider's own end_session_endpoint, which RP-Initiated Logout requires.
func TestNoTokenLeaks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{op: func(c *oidctest.Config) { c.TokenPadding = 3072 }})
	b := newBrowser(t)
	b.mustLogin(e)
	b.get(e.app.URL + "/api")
	e.clock.Advance(2 * time.Hour)
	if p := b.get(e.app.URL + "/api"); p.status != 200 {
		t.Fatalf("/api after expiry: %d", p.status)
	}
	b.getJSON(e.app.URL + "/nope")
	b.post(e.app.URL+"/logout", e.app.URL)
	tokens := e.tokens.list()
	if len(tokens) < 6 {
		t.Fatalf("recorded %d tokens, want the login's and the refresh's", len(tokens))
	}
	for _, tok := range tokens {
		if len(tok) < 20 {
			t.Fatalf("implausible token %q", tok)
		}
	}
	for _, r := range b.seen {
		var where []string
		for k, vs := range r.header {
			for _, v := range vs {
				if k == "Location" && strings.HasPrefix(v, e.op.Issuer()+"/end_session?") {
					v = stripParam(v, "id_token_hint")
				}
				where = append(where, k+": "+v)
			}
		}
		where = append(where, r.body)
		for _, c := range r.cookies {
			where = append(where, decodings(c.Value)...)
		}
		for _, w := range where {
			for _, tok := range tokens {
				if strings.Contains(w, tok) {
					t.Fatalf("token found in response to %s: %.200q", r.url, w)
				}
			}
		}
	}
	for _, tok := range tokens {
		if strings.Contains(e.logText(), tok) {
			t.Fatal("token found in the log")
		}
	}
}

func stripParam(u, name string) string {
	i := strings.Index(u, name+"=")
	if i < 0 {
		return u
	}
	j := strings.IndexByte(u[i:], '&')
	if j < 0 {
		return u[:i]
	}
	return u[:i] + u[i+j+1:]
}

// TestLargeTokensFitCookies: with 3 KB access and refresh tokens every
// cookie stays within 4096 bytes and the session still works.
func TestLargeTokensFitCookies(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{op: func(c *oidctest.Config) { c.TokenPadding = 3072 }})
	b := newBrowser(t)
	b.mustLogin(e)
	e.clock.Advance(2 * time.Hour)
	if p := b.get(e.app.URL + "/api"); p.status != 200 {
		t.Fatalf("/api: %d", p.status)
	}
	n := 0
	for _, r := range b.seen {
		for _, line := range r.header["Set-Cookie"] {
			n++
			if len(line) > 4096 {
				t.Errorf("Set-Cookie of %d bytes from %s", len(line), r.url)
			}
		}
	}
	if len(b.cookies(e)) < 3 {
		t.Fatalf("%d cookies: 6 KB of tokens should span several", len(b.cookies(e)))
	}
	if n == 0 {
		t.Fatal("no cookies seen")
	}
}

func TestCookieFlags(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	b := newBrowser(t)
	b.mustLogin(e)
	checkFlags(t, b.seen, false)

	// Over https: Secure and the __Host- prefix, on a login route served in
	// memory (no TLS server needed to see the headers).
	auth, err := middleware.New(middleware.Config{
		BaseURL: "https://app.example", Keys: [][]byte{make([]byte, 32)},
		Providers: []client.Provider{{Name: "test", Issuer: e.op.Issuer(), ClientID: "app", ClientSecret: "app-secret"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	auth.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "https://app.example/login/test", nil))
	if rec.Code != http.StatusFound {
		t.Fatalf("https login: %d", rec.Code)
	}
	checkFlags(t, []seenResponse{{url: "https login", header: rec.Result().Header, cookies: rec.Result().Cookies()}}, true)
}

func checkFlags(t *testing.T, seen []seenResponse, secure bool) {
	t.Helper()
	n := 0
	for _, r := range seen {
		for _, c := range r.cookies {
			n++
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure != secure ||
				strings.HasPrefix(c.Name, "__Host-") != secure || c.Domain != "" {
				t.Errorf("%s: cookie %s: HttpOnly=%t SameSite=%v Path=%q Secure=%t Domain=%q",
					r.url, c.Name, c.HttpOnly, c.SameSite, c.Path, c.Secure, c.Domain)
			}
		}
	}
	if n == 0 {
		t.Fatal("no cookies to check")
	}
}

// TestSlowTokenEndpoint: a token endpoint that never answers fails the
// callback within the provider timeout (2 s here), with 504.
func TestSlowTokenEndpoint(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	e.setHooks(oidctest.Hooks{Intercept: func(ep oidctest.Endpoint, w http.ResponseWriter, r *http.Request) bool {
		if ep != oidctest.EndpointToken {
			return false
		}
		<-r.Context().Done()
		return true
	}})
	b := newBrowser(t)
	cb := b.startLogin(e, "")
	start := time.Now()
	p := b.get(cb.String())
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("callback took %v with a 2 s timeout", el)
	}
	if p.status != http.StatusGatewayTimeout {
		t.Fatalf("status %d, want 504; %v", p.status, e.lastError())
	}
}

// TestHugeResponses: 20 MB from the token or userinfo endpoint is a clean
// error, never read whole.
func TestHugeResponses(t *testing.T) {
	t.Parallel()
	for _, ep := range []oidctest.Endpoint{oidctest.EndpointToken, oidctest.EndpointUserInfo, oidctest.EndpointDiscovery} {
		for _, chunked := range []bool{false, true} {
			name := string(ep)
			if chunked {
				name += "/chunked"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				// userinfo is asked only for what the ID token lacks.
				e := newEnv(t, envOptions{prov: func(p *client.Provider) { p.AlwaysUserInfo = true }})
				e.setHooks(oidctest.Hooks{Intercept: func(got oidctest.Endpoint, w http.ResponseWriter, r *http.Request) bool {
					if got != ep {
						return false
					}
					w.Header().Set("Content-Type", "application/json")
					if !chunked {
						w.Header().Set("Content-Length", "20971520")
					}
					w.Write([]byte(`{"a":"`))
					io.CopyN(w, zeros{}, 20<<20-6)
					return true
				}})
				var p page
				if ep == oidctest.EndpointDiscovery {
					p = newBrowser(t).get(e.app.URL + "/login/test")
				} else {
					p = newBrowser(t).login(e, "")
				}
				if p.status != http.StatusBadGateway {
					t.Fatalf("status %d, want 502", p.status)
				}
				// go-oidc formats discovery errors with %v, and x/oauth2 stops
				// reading at 1 MiB itself; userinfo is read by loginkit.
				want := map[oidctest.Endpoint]error{oidctest.EndpointUserInfo: bounded.ErrTooLarge,
					oidctest.EndpointDiscovery: client.ErrDiscovery}[ep]
				if err := e.lastError(); want != nil && !errors.Is(err, want) {
					t.Fatalf("error %v, want %v", err.Err, want)
				}
			})
		}
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}
