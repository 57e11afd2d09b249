package middleware_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loginkit/loginkit/oidctest"
)

func TestRefreshAfterExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	b := newBrowser(t)
	b.mustLogin(e)
	if p := b.get(e.app.URL + "/api"); p.status != 200 {
		t.Fatalf("/api before expiry: %d", p.status)
	}
	if n := e.op.GrantCount("refresh_token"); n != 0 {
		t.Fatalf("refreshed %d times before expiry", n)
	}
	e.clock.Advance(2 * time.Hour)
	for i := range 3 {
		if p := b.get(e.app.URL + "/api"); p.status != 200 || !strings.Contains(p.body, `"sub":"ada"`) {
			t.Fatalf("/api %d after expiry: %d %q\n%s", i, p.status, p.body, e.logText())
		}
	}
	if n := e.op.GrantCount("refresh_token"); n != 1 {
		t.Fatalf("refresh calls: %d, want 1 (rotated tokens saved back)", n)
	}
	// The rotated refresh token was saved: a second expiry refreshes again.
	e.clock.Advance(2 * time.Hour)
	if p := b.get(e.app.URL + "/api"); p.status != 200 {
		t.Fatalf("/api after second expiry: %d", p.status)
	}
	if n := e.op.GrantCount("refresh_token"); n != 2 {
		t.Fatalf("refresh calls: %d, want 2", n)
	}
}

// TestConcurrentRefresh: 50 requests with the same expired session make one
// refresh at the provider, and all succeed.
func TestConcurrentRefresh(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	b := newBrowser(t)
	b.mustLogin(e)
	e.clock.Advance(2 * time.Hour)
	var wg sync.WaitGroup
	statuses := make([]int, 50)
	for i := range statuses {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodGet, e.app.URL+"/api", nil)
			resp, err := b.hc.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		})
	}
	wg.Wait()
	for i, s := range statuses {
		if s != 200 {
			t.Errorf("request %d: status %d", i, s)
		}
	}
	if n := e.op.GrantCount("refresh_token"); n != 1 {
		t.Fatalf("refresh calls for 50 concurrent requests: %d, want 1", n)
	}
}

// TestRefreshTokenReuse: an old copy of the session (its refresh token
// already rotated away) is refused once the rotation memory is over; the
// provider's reuse detection revokes the family and both copies end.
func TestRefreshTokenReuse(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	b := newBrowser(t)
	b.mustLogin(e)
	old := b.cookies(e)
	e.clock.Advance(2 * time.Hour)
	if p := b.get(e.app.URL + "/api"); p.status != 200 {
		t.Fatalf("first refresh: %d", p.status)
	}
	// Within the rotation memory an old copy gets the new tokens, without a
	// second refresh (a request that raced the cookie update).
	thief := newBrowser(t)
	u, _ := url.Parse(e.app.URL)
	thief.hc.Jar.SetCookies(u, old)
	if p := thief.get(e.app.URL + "/api"); p.status != 200 || e.op.GrantCount("refresh_token") != 1 {
		t.Fatalf("old copy within the rotation memory: %d, refreshes %d", p.status, e.op.GrantCount("refresh_token"))
	}
	// Later, the old refresh token is spent at the provider: refused.
	thief2 := newBrowser(t)
	thief2.hc.Jar.SetCookies(u, old)
	e.clock.Advance(10 * time.Minute)
	if p := thief2.getJSON(e.app.URL + "/api"); p.status != http.StatusUnauthorized {
		t.Fatalf("reused refresh token: status %d, want 401", p.status)
	}
	if p := thief2.get(e.app.URL + "/private"); p.status != http.StatusFound {
		t.Fatalf("session not ended after invalid_grant: %d", p.status)
	}
	// Reuse detection revoked the family: the legitimate copy ends too at
	// its next refresh.
	e.clock.Advance(2 * time.Hour)
	if p := b.getJSON(e.app.URL + "/api"); p.status != http.StatusUnauthorized {
		t.Fatalf("legitimate session after reuse detection: %d, want 401", p.status)
	}
}

func TestInvalidGrantEndsSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	b := newBrowser(t)
	b.mustLogin(e)
	e.op.RevokeRefreshTokens("ada")
	e.clock.Advance(2 * time.Hour)
	if p := b.getJSON(e.app.URL + "/api"); p.status != http.StatusUnauthorized {
		t.Fatalf("/api after revocation: %d, want 401", p.status)
	}
	if p := b.get(e.app.URL + "/private"); p.status != http.StatusFound {
		t.Fatalf("session survived invalid_grant: %d", p.status)
	}
}

// TestRefreshedIDTokenChecked: a refresh whose new ID token names another
// subject is refused, not saved.
func TestRefreshedIDTokenChecked(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	b := newBrowser(t)
	b.mustLogin(e)
	e.setHooks(oidctest.Hooks{IDTokenClaims: func(c map[string]any) { c["sub"] = "mallory" }})
	e.clock.Advance(2 * time.Hour)
	if p := b.getJSON(e.app.URL + "/api"); p.status == 200 {
		t.Fatalf("refresh with another subject accepted")
	}
}

// TestStaleCookieFollowsRotations: a request with a cookie two rotations
// old, whose remembered replacement is itself due, refreshes with the newest
// refresh token rather than handing out an expired access token or spending
// a rotated-away one.
func TestStaleCookieFollowsRotations(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{op: func(c *oidctest.Config) { c.AccessTokenTTL = 90 * time.Second }})
	b := newBrowser(t)
	b.mustLogin(e)
	old := b.cookies(e)
	e.clock.Advance(2 * time.Minute)
	if p := b.get(e.app.URL + "/api"); p.status != 200 {
		t.Fatalf("refresh 1: %d", p.status)
	}
	e.clock.Advance(100 * time.Second) // refresh 1's access token has expired; its memory has not
	stale := newBrowser(t)
	u, _ := url.Parse(e.app.URL)
	stale.hc.Jar.SetCookies(u, old)
	if p := stale.get(e.app.URL + "/api"); p.status != 200 {
		t.Fatalf("stale cookie: %d\n%s", p.status, e.logText())
	}
	if p := b.get(e.app.URL + "/api"); p.status != 200 {
		t.Fatalf("current cookie after the stale one: %d", p.status)
	}
	if n := e.op.GrantCount("refresh_token"); n != 2 {
		t.Fatalf("refreshes: %d, want 2", n)
	}
}
