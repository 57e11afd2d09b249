package middleware_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/oidctest"
)

func TestHappyPath(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	b := newBrowser(t)

	if p := b.get(e.app.URL + "/private"); p.status != http.StatusFound || !strings.HasPrefix(p.loc.Path, "/login/test") || p.loc.Query().Get("return_to") != "/private" {
		t.Fatalf("signed-out /private: status %d location %v", p.status, p.loc)
	}
	if p := b.getJSON(e.app.URL + "/private"); p.status != http.StatusUnauthorized || !strings.Contains(p.body, `"error"`) {
		t.Fatalf("signed-out API call: status %d body %q", p.status, p.body)
	}
	p := b.login(e, "/private")
	if p.status != http.StatusSeeOther || p.loc.Path != "/private" {
		t.Fatalf("callback: status %d location %v body %q", p.status, p.loc, p.body)
	}
	if p := b.get(e.app.URL + "/private"); p.status != 200 || p.body != "private for ada" {
		t.Fatalf("/private: %d %q", p.status, p.body)
	}
	if p := b.get(e.app.URL + "/"); p.body != "hello Ada Lovelace" {
		t.Fatalf("/: %q", p.body)
	}
	if p := b.get(e.app.URL + "/api"); p.status != 200 || !strings.Contains(p.body, `"sub":"ada"`) {
		t.Fatalf("/api: %d %q", p.status, p.body)
	}

	// Logout: cross-site POSTs are refused; a same-origin one ends the
	// session and goes through the provider's end_session_endpoint.
	if p := b.post(e.app.URL+"/logout", "https://evil.example"); p.status != http.StatusForbidden {
		t.Fatalf("cross-site logout: status %d", p.status)
	}
	p = b.post(e.app.URL+"/logout", e.app.URL)
	if p.status != http.StatusSeeOther || p.loc == nil || !strings.HasPrefix(p.loc.String(), e.op.Issuer()+"/end_session") {
		t.Fatalf("logout: status %d location %v", p.status, p.loc)
	}
	q := p.loc.Query()
	if q.Get("id_token_hint") == "" || q.Get("post_logout_redirect_uri") != e.app.URL+"/logout/callback" ||
		q.Get("client_id") != "app" || len(q.Get("state")) < 43 {
		t.Fatalf("end_session parameters: %v", q)
	}
	p = b.get(p.loc.String())
	if p.status != http.StatusFound || p.loc == nil || p.loc.Path != "/logout/callback" || p.loc.Query().Get("state") != q.Get("state") {
		t.Fatalf("end_session: status %d location %v body %q", p.status, p.loc, p.body)
	}
	if p := b.get(p.loc.String()); p.status != http.StatusSeeOther || p.loc.String() != e.app.URL+"/" {
		t.Fatalf("logout callback: status %d location %v body %q", p.status, p.loc, p.body)
	}
	if p := b.get(e.app.URL + "/private"); p.status != http.StatusFound {
		t.Fatalf("after logout /private: status %d", p.status)
	}
	if n := e.op.Count(oidctest.EndpointRevocation); n != 1 {
		t.Fatalf("revocation calls: %d, want 1", n)
	}
}

// TestIDTokenChecks breaks one check at a time; each must fail the login
// with its own error and leave the browser signed out.
func TestIDTokenChecks(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		hooks oidctest.Hooks
		want  error
	}{
		{"wrong iss", claims(func(c map[string]any) { c["iss"] = "https://evil.example" }), client.ErrInvalidIssuer},
		{"wrong aud", claims(func(c map[string]any) { c["aud"] = "someone-else" }), client.ErrInvalidAudience},
		{"several aud no azp", claims(func(c map[string]any) { c["aud"] = []string{"app", "other"}; delete(c, "azp") }), client.ErrInvalidAudience},
		{"wrong azp", claims(func(c map[string]any) { c["azp"] = "other" }), client.ErrInvalidAudience},
		{"expired", claims(func(c map[string]any) { c["exp"] = 1000 }), client.ErrTokenExpired},
		{"no iat", claims(func(c map[string]any) { delete(c, "iat") }), client.ErrIssuedInFuture},
		{"iat in future", claims(func(c map[string]any) { c["iat"] = c["exp"] }), client.ErrIssuedInFuture},
		{"wrong nonce", claims(func(c map[string]any) { c["nonce"] = "forged" }), client.ErrNonceMismatch},
		{"no nonce", claims(func(c map[string]any) { delete(c, "nonce") }), client.ErrNonceMismatch},
		{"wrong at_hash", claims(func(c map[string]any) { c["at_hash"] = "AAAAAAAAAAAAAAAAAAAAAA" }), client.ErrAccessTokenHash},
		{"no sub", claims(func(c map[string]any) { c["sub"] = "" }), client.ErrInvalidIDToken},
		{"bad signature", oidctest.Hooks{BadSignature: true}, client.ErrInvalidIDToken},
		{"HS256 with the secret", oidctest.Hooks{SignAlg: "HS256"}, client.ErrInvalidIDToken},
		{"alg none", oidctest.Hooks{SignAlg: "none"}, client.ErrInvalidIDToken},
		{"no id_token", oidctest.Hooks{TokenResponse: func(r map[string]any) { delete(r, "id_token") }}, client.ErrMissingIDToken},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOptions{})
			e.setHooks(tc.hooks)
			b := newBrowser(t)
			p := b.login(e, "")
			if p.status != http.StatusBadGateway {
				t.Fatalf("status %d, want 502; body %q", p.status, p.body)
			}
			if got := e.lastError(); got == nil || !errors.Is(got, tc.want) {
				t.Fatalf("error %v, want %v", got, tc.want)
			}
			if p := b.get(e.app.URL + "/private"); p.status != http.StatusFound {
				t.Fatalf("signed in after a failed check: %d", p.status)
			}
		})
	}
}

func claims(f func(map[string]any)) oidctest.Hooks { return oidctest.Hooks{IDTokenClaims: f} }

func TestKeyRotation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	newBrowser(t).mustLogin(e)
	newBrowser(t).mustLogin(e)
	if n := e.op.Count(oidctest.EndpointJWKS); n != 1 {
		t.Fatalf("JWKS fetched %d times for two logins, want 1 (cached)", n)
	}
	if n := e.op.Count(oidctest.EndpointDiscovery); n != 1 {
		t.Fatalf("discovery fetched %d times, want 1", n)
	}
	if err := e.op.RotateKeys(false); err != nil {
		t.Fatal(err)
	}
	newBrowser(t).mustLogin(e) // unknown kid: the key set is fetched again
	if n := e.op.Count(oidctest.EndpointJWKS); n != 2 {
		t.Fatalf("JWKS fetched %d times after rotation, want 2", n)
	}
}

func TestCallbackForgeries(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		mutate func(q url.Values)
		status int
		want   error
	}{
		{"state missing", func(q url.Values) { q.Del("state") }, 400, client.ErrFlowMissing},
		{"state wrong", func(q url.Values) { q.Set("state", "forged-state") }, 400, client.ErrFlowMissing},
		{"iss missing", func(q url.Values) { q.Del("iss") }, 400, client.ErrInvalidIssuer},
		{"iss wrong", func(q url.Values) { q.Set("iss", "https://evil.example") }, 400, client.ErrInvalidIssuer},
		{"code missing", func(q url.Values) { q.Del("code") }, 400, client.ErrMissingCode},
		{"code forged", func(q url.Values) { q.Set("code", "forged") }, 502, client.ErrInvalidGrant},
		{"access denied", func(q url.Values) { q.Del("code"); q.Set("error", "access_denied") }, 403, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOptions{})
			b := newBrowser(t)
			cb := b.startLogin(e, "")
			q := cb.Query()
			tc.mutate(q)
			cb.RawQuery = q.Encode()
			p := b.get(cb.String())
			if p.status != tc.status {
				t.Fatalf("status %d, want %d; body %q", p.status, tc.status, p.body)
			}
			got := e.lastError()
			var ce *client.CallbackError
			switch {
			case tc.want == nil && (got == nil || !errors.As(got, &ce) || ce.Code != "access_denied"):
				t.Fatalf("error %v, want a CallbackError access_denied", got)
			case tc.want != nil && (got == nil || !errors.Is(got, tc.want)):
				t.Fatalf("error %v, want %v", got, tc.want)
			}
			if p := b.get(e.app.URL + "/private"); p.status != http.StatusFound {
				t.Fatalf("signed in after a forged callback: %d", p.status)
			}
		})
	}
}

func TestStateReplay(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	b := newBrowser(t)
	cb := b.startLogin(e, "")
	flowCookies := b.cookies(e)
	if p := b.get(cb.String()); p.status != http.StatusSeeOther {
		t.Fatalf("first callback: %d", p.status)
	}
	// Replay with the very same flow cookie put back: still refused.
	u, _ := url.Parse(e.app.URL)
	b.hc.Jar.SetCookies(u, flowCookies)
	if p := b.get(cb.String()); p.status != http.StatusBadRequest || !errors.Is(e.lastError(), client.ErrFlowMissing) {
		t.Fatalf("replayed callback: status %d error %v", p.status, e.lastError())
	}
}

// TestLoginCSRF: a callback URL opened in a browser that did not start the
// login (an attacker's code in a victim's browser) is refused.
func TestLoginCSRF(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	attacker, victim := newBrowser(t), newBrowser(t)
	cb := attacker.startLogin(e, "")
	if p := victim.get(cb.String()); p.status != http.StatusBadRequest || !errors.Is(e.lastError(), client.ErrFlowMissing) {
		t.Fatalf("victim callback: status %d error %v", p.status, e.lastError())
	}
	if p := victim.get(e.app.URL + "/private"); p.status != http.StatusFound {
		t.Fatalf("victim signed in as the attacker: %d", p.status)
	}
}

func TestTwoTabs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	b := newBrowser(t)
	cb1 := b.startLogin(e, "/one")
	cb2 := b.startLogin(e, "/two")
	if p := b.get(cb2.String()); p.status != http.StatusSeeOther || p.loc.Path != "/two" {
		t.Fatalf("tab 2: %d %v", p.status, p.loc)
	}
	if p := b.get(cb1.String()); p.status != http.StatusSeeOther || p.loc.Path != "/one" {
		t.Fatalf("tab 1: %d %v", p.status, p.loc)
	}
}

func TestOpenRedirect(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	for _, rt := range []string{"//evil.example/x", "https://evil.example/", "/\\evil.example", "\\\\evil.example",
		"/\t/evil.example", "javascript:alert(1)", "/x\r\nSet-Cookie: a=b", "http:/evil.example", "evil.example"} {
		b := newBrowser(t)
		p := b.login(e, rt)
		if p.status != http.StatusSeeOther || p.loc.String() != e.app.URL+"/" {
			t.Errorf("return_to %q: status %d location %v", rt, p.status, p.loc)
		}
	}
	b := newBrowser(t)
	if p := b.login(e, "/ok?x=1#frag"); p.loc.RequestURI() != "/ok?x=1" {
		t.Errorf("relative return_to not kept: %v", p.loc)
	}
}

// TestSessionFixation: a session planted in the victim's browser (the
// attacker's own) does not survive the victim's login: the ID changes.
func TestSessionFixation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	attacker := newBrowser(t)
	attacker.mustLogin(e)
	planted := attacker.get(e.app.URL + "/sid").body
	victim := newBrowser(t)
	u, _ := url.Parse(e.app.URL)
	victim.hc.Jar.SetCookies(u, attacker.cookies(e))
	if got := victim.get(e.app.URL + "/sid").body; got != planted {
		t.Fatalf("planting failed: %q", got)
	}
	victim.mustLogin(e)
	if got := victim.get(e.app.URL + "/sid").body; got == planted || got == "" {
		t.Fatalf("session ID after login %q, planted %q", got, planted)
	}
}
