package middleware_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/loginkit/loginkit/oidctest"
)

// postLogoutToken posts a back-channel logout request as the provider does.
func postLogoutToken(t *testing.T, e *env, token string) page {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.app.URL+"/logout/backchannel/test",
		strings.NewReader(url.Values{"logout_token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return newBrowser(t).do(req)
}

func logoutToken(t *testing.T, e *env, sub, sid string, mutate func(map[string]any)) string {
	t.Helper()
	tok, err := e.op.LogoutToken(sub, sid, mutate)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestBackChannelLogout: a valid logout token naming a provider session
// ends exactly the sessions signed in through it; one naming only the user
// ends all of theirs; a replay is refused.
func TestBackChannelLogout(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, kind storeKind) {
		e, store := newServerEnv(t, kind, envOptions{op: func(c *oidctest.Config) {
			c.Users = append(c.Users, oidctest.User{Subject: "bob", Name: "Bob"})
		}})
		one, two := newBrowser(t), newBrowser(t) // two provider sessions of ada
		one.mustLogin(e)
		two.mustLogin(e)
		sid := sessionOf(t, e, one, store).User.SessionID
		if sid == "" || sid == sessionOf(t, e, two, store).User.SessionID {
			t.Fatal("the sessions lack distinct provider sids")
		}

		tok := logoutToken(t, e, "ada", sid, nil)
		p := postLogoutToken(t, e, tok)
		if p.status != http.StatusOK || p.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("back-channel logout: %d %q %q", p.status, p.header.Get("Cache-Control"), p.body)
		}
		if p := one.getJSON(e.app.URL + "/private"); p.status != http.StatusUnauthorized {
			t.Fatalf("the logged-out session: %d", p.status)
		}
		if p := two.get(e.app.URL + "/private"); p.status != http.StatusOK {
			t.Fatalf("ada's other provider session: %d", p.status)
		}
		if p := postLogoutToken(t, e, tok); p.status != http.StatusBadRequest || jsonError(t, p.body) != "invalid_request" {
			t.Fatalf("replayed logout token: %d %q", p.status, p.body)
		}

		one.mustLogin(e)
		if p := postLogoutToken(t, e, logoutToken(t, e, "ada", "", nil)); p.status != http.StatusOK {
			t.Fatalf("logout by sub: %d %q", p.status, p.body)
		}
		for i, b := range []*browser{one, two} {
			if p := b.getJSON(e.app.URL + "/private"); p.status != http.StatusUnauthorized {
				t.Fatalf("session %d after logout by sub: %d", i, p.status)
			}
		}
		if !strings.Contains(e.logText(), "back-channel logout") {
			t.Error("the back-channel logouts were not logged")
		}
	})
}

// TestBackChannelLogoutRefused: each check of Back-Channel Logout 1.0 §2.6
// refuses a token (400, JSON, no-store) and ends nothing.
func TestBackChannelLogoutRefused(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, kind storeKind) {
		e, _, b, s := signedInServer(t, kind)
		sid := s.User.SessionID
		old := e.clock.Now().Add(-10 * time.Minute).Unix()
		cases := map[string]func(map[string]any){
			"wrong aud":         func(c map[string]any) { c["aud"] = "another-client" },
			"wrong iss":         func(c map[string]any) { c["iss"] = "https://evil.example" },
			"no iat":            func(c map[string]any) { delete(c, "iat") },
			"iat in the future": func(c map[string]any) { c["iat"] = e.clock.Now().Add(time.Hour).Unix() },
			"iat too old":       func(c map[string]any) { c["iat"], c["exp"] = old, old+3600 },
			"expired":           func(c map[string]any) { c["exp"] = e.clock.Now().Add(-5 * time.Minute).Unix() },
			"no events":         func(c map[string]any) { delete(c, "events") },
			"other event":       func(c map[string]any) { c["events"] = map[string]any{"http://example.com/other": map[string]any{}} },
			"event not an object": func(c map[string]any) {
				c["events"] = map[string]any{"http://schemas.openid.net/event/backchannel-logout": "yes"}
			},
			"nonce":               func(c map[string]any) { c["nonce"] = "n-0S6_WzA2Mj" },
			"neither sid nor sub": func(c map[string]any) { delete(c, "sid"); delete(c, "sub") },
			"no jti":              func(c map[string]any) { delete(c, "jti") },
		}
		for name, mutate := range cases {
			p := postLogoutToken(t, e, logoutToken(t, e, "ada", sid, mutate))
			if p.status != http.StatusBadRequest || p.header.Get("Cache-Control") != "no-store" || jsonError(t, p.body) != "invalid_request" {
				t.Errorf("%s: %d %q %q", name, p.status, p.header.Get("Cache-Control"), p.body)
			}
		}
		valid := logoutToken(t, e, "ada", sid, nil)
		parts := strings.Split(valid, ".")
		forged := parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))
		for name, tok := range map[string]string{"empty": "", "garbage": "not-a-jwt", "bad signature": forged} {
			if p := postLogoutToken(t, e, tok); p.status != http.StatusBadRequest {
				t.Errorf("%s: %d %q", name, p.status, p.body)
			}
		}
		if p := b.get(e.app.URL + "/private"); p.status != http.StatusOK {
			t.Fatalf("a refused logout token ended the session: %d", p.status)
		}
		if p := postLogoutToken(t, e, valid); p.status != http.StatusOK {
			t.Fatalf("the valid token after the refused ones: %d %q\n%s", p.status, p.body, e.logText())
		}
	})
}

// TestBackChannelLogoutNeedsServerStore: with the cookie store, which
// cannot end a session it does not hold, the route is not served.
func TestBackChannelLogoutNeedsServerStore(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	if p := postLogoutToken(t, e, logoutToken(t, e, "ada", "x", nil)); p.status == http.StatusOK {
		t.Fatalf("cookie store back-channel logout answered %d", p.status)
	}
}

// TestFrontChannelLogout: the provider's iframe with iss and sid ends that
// provider session's sessions; the page may be framed by the provider only.
func TestFrontChannelLogout(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, kind storeKind) {
		e, store := newServerEnv(t, kind, envOptions{})
		victim, other := newBrowser(t), newBrowser(t)
		victim.mustLogin(e)
		other.mustLogin(e)
		sid := sessionOf(t, e, victim, store).User.SessionID
		frame := func(q url.Values) page {
			// The iframe's request: cross-site, so without the app's cookies.
			return newBrowser(t).get(e.app.URL + "/logout/frontchannel/test?" + q.Encode())
		}
		for name, q := range map[string]url.Values{
			"wrong iss": {"iss": {"https://evil.example"}, "sid": {sid}},
			"no sid":    {"iss": {e.op.Issuer()}},
			"no iss":    {"sid": {sid}},
		} {
			if p := frame(q); p.status != http.StatusBadRequest {
				t.Errorf("%s: %d", name, p.status)
			}
		}
		if p := victim.get(e.app.URL + "/private"); p.status != http.StatusOK {
			t.Fatalf("a refused request ended the session: %d", p.status)
		}
		p := frame(url.Values{"iss": {e.op.Issuer()}, "sid": {sid}})
		if p.status != http.StatusOK || !strings.Contains(p.header.Get("Cache-Control"), "no-store") ||
			p.header.Get("X-Frame-Options") != "" || p.header.Get("Content-Security-Policy") != "frame-ancestors "+e.op.URL {
			t.Fatalf("front-channel logout: %d %v", p.status, p.header)
		}
		if p := victim.getJSON(e.app.URL + "/private"); p.status != http.StatusUnauthorized {
			t.Fatalf("the provider session's app session: %d", p.status)
		}
		if p := other.get(e.app.URL + "/private"); p.status != http.StatusOK {
			t.Fatalf("another provider session: %d", p.status)
		}
		// Same-site provider: the browser's cookie comes along, and no
		// parameters are needed to end its own session.
		if p := other.get(e.app.URL + "/logout/frontchannel/test"); p.status != http.StatusOK {
			t.Fatalf("front-channel logout without parameters: %d", p.status)
		}
		if p := other.getJSON(e.app.URL + "/private"); p.status != http.StatusUnauthorized {
			t.Fatalf("the framing browser's own session: %d", p.status)
		}
	})
}

// TestFrontChannelLogoutCookieStore: with the cookie store, the browser's
// own session ends when its cookie comes along and its sid matches.
func TestFrontChannelLogoutCookieStore(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	b := newBrowser(t)
	b.mustLogin(e)
	if p := b.get(e.app.URL + "/logout/frontchannel/test?" + url.Values{"iss": {e.op.Issuer()}, "sid": {"another-sid"}}.Encode()); p.status != http.StatusOK {
		t.Fatalf("front-channel logout for another sid: %d", p.status)
	}
	if p := b.get(e.app.URL + "/private"); p.status != http.StatusOK {
		t.Fatalf("another sid's logout ended this session: %d", p.status)
	}
	if p := b.get(e.app.URL + "/logout/frontchannel/test"); p.status != http.StatusOK {
		t.Fatalf("front-channel logout: %d", p.status)
	}
	if p := b.get(e.app.URL + "/private"); p.status != http.StatusFound {
		t.Fatalf("session survived front-channel logout: %d", p.status)
	}
}

// TestLogoutCallbackState: the post-logout landing accepts only the state
// this browser's logout sent, once; a login's state is no logout's, and a
// logout's is no login's.
func TestLogoutCallbackState(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	b := newBrowser(t)
	b.mustLogin(e)
	out := b.post(e.app.URL+"/logout", e.app.URL)
	state := out.loc.Query().Get("state")
	back := e.app.URL + "/logout/callback?state=" + url.QueryEscape(state)
	for name, u := range map[string]string{
		"no state":    e.app.URL + "/logout/callback",
		"wrong state": e.app.URL + "/logout/callback?state=" + strings.Repeat("x", 43),
	} {
		if p := b.get(u); p.status != http.StatusBadRequest || p.loc != nil {
			t.Errorf("%s: %d %v", name, p.status, p.loc)
		}
	}
	if p := newBrowser(t).get(back); p.status != http.StatusBadRequest {
		t.Errorf("another browser with the state: %d", p.status)
	}
	// A logout's state at the login callback.
	if p := b.get(e.app.URL + "/callback/test?code=x&state=" + url.QueryEscape(state)); p.status != http.StatusBadRequest {
		t.Errorf("logout state at the login callback: %d", p.status)
	}
	// It was consumed there; a new logout, then its state works once.
	b.mustLogin(e)
	state = b.post(e.app.URL+"/logout", e.app.URL).loc.Query().Get("state")
	back = e.app.URL + "/logout/callback?state=" + url.QueryEscape(state)
	if p := b.get(back); p.status != http.StatusSeeOther || p.loc.String() != e.app.URL+"/" {
		t.Fatalf("logout callback: %d %v", p.status, p.loc)
	}
	if p := b.get(back); p.status != http.StatusBadRequest {
		t.Errorf("replayed logout callback: %d", p.status)
	}
	// A login's state at the logout callback.
	cb := b.startLogin(e, "")
	if p := b.get(e.app.URL + "/logout/callback?state=" + url.QueryEscape(cb.Query().Get("state"))); p.status != http.StatusBadRequest {
		t.Errorf("login state at the logout callback: %d", p.status)
	}
}
