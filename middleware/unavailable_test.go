package middleware_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/loginkit/loginkit/internal/redistest"
)

// TestRedisOutage stops the real redis-server under a signed-in user, then
// freezes it, and brings it back each time: meanwhile protected routes
// answer 503 with a clear message (never a sign-in redirect), sign-in and
// sign-out fail cleanly without touching the browser's session cookie,
// nothing panics; afterwards the same session works again, with no restart
// of the app.
func TestRedisOutage(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	e, store := newServerEnv(t, storeKind{"redis", redisKind(srv)}, envOptions{})
	b := newBrowser(t)
	b.mustLogin(e)
	sid := sessionOf(t, e, b, store).User.SessionID
	if p := b.get(e.app.URL + "/api"); p.status != http.StatusOK {
		t.Fatalf("/api: %d", p.status)
	}
	cookie := b.cookies(e)[0].Value

	requireDown := func(what string) {
		t.Helper()
		start := time.Now()
		p := b.get(e.app.URL + "/private")
		if p.status != http.StatusServiceUnavailable || p.loc != nil || p.header.Get("Retry-After") == "" ||
			!strings.Contains(p.body, "unavailable") {
			t.Fatalf("%s: /private: %d %v %q", what, p.status, p.loc, p.body)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s: /private took %v", what, d)
		}
		if p := b.getJSON(e.app.URL + "/api"); p.status != http.StatusServiceUnavailable || !strings.Contains(p.body, `"message"`) {
			t.Fatalf("%s: /api (JSON): %d %q", what, p.status, p.body)
		}
		if p := b.post(e.app.URL+"/logout", e.app.URL); p.status != http.StatusServiceUnavailable {
			t.Fatalf("%s: logout: %d, want 503 (the session was not ended)", what, p.status)
		}
		newcomer := newBrowser(t)
		if p := newcomer.login(e, "/private"); p.status != http.StatusServiceUnavailable || p.loc != nil {
			t.Fatalf("%s: sign-in: %d %v, want 503", what, p.status, p.loc)
		}
		p = postLogoutToken(t, e, logoutToken(t, e, "ada", sid, nil))
		if p.status != http.StatusBadRequest || jsonError(t, p.body) != "temporarily_unavailable" {
			t.Fatalf("%s: back-channel logout: %d %q", what, p.status, p.body)
		}
		if got := b.cookies(e); len(got) != 1 || got[0].Value != cookie {
			t.Fatalf("%s: the session cookie changed: %v", what, got)
		}
	}
	requireBack := func(what string) {
		t.Helper()
		if p := b.get(e.app.URL + "/private"); p.status != http.StatusOK || p.body != "private for ada" {
			t.Fatalf("%s: /private: %d %q\n%s", what, p.status, p.body, e.logText())
		}
		if p := b.get(e.app.URL + "/api"); p.status != http.StatusOK {
			t.Fatalf("%s: /api: %d", what, p.status)
		}
		newBrowser(t).mustLogin(e)
	}

	srv.Stop()
	requireDown("Redis stopped")
	srv.Start()
	requireBack("Redis restarted")

	srv.Pause()
	requireDown("Redis hung")
	srv.Resume()
	requireBack("Redis resumed")

	if !strings.Contains(e.logText(), "unavailable") {
		t.Error("the outage was not logged")
	}
	if strings.Contains(e.logText(), "panic") {
		t.Error("something panicked")
	}
}
