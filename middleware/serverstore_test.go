package middleware_test

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/internal/redistest"
	"github.com/loginkit/loginkit/middleware"
	"github.com/loginkit/loginkit/oidctest"
	"github.com/loginkit/loginkit/session"
)

var testKeys = [][]byte{[]byte("0123456789abcdef0123456789abcdef")}

// storeKind makes a server-side store on a clock; stores made by one kind
// within one test share their sessions (for Redis: one server, one prefix),
// as the instances of an app do.
type storeKind struct {
	name string
	make func(t *testing.T, now func() time.Time) session.ServerStore
}

// serverStores are the memory store and, with redis-server, the Redis store.
func serverStores() []storeKind {
	return []storeKind{
		{"memory", func(t *testing.T, now func() time.Time) session.ServerStore {
			s, err := session.NewMemoryStore(session.MemoryConfig{Keys: testKeys, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
		{"redis", redisKind(nil)},
	}
}

// redisKind returns a maker of Redis stores sharing one server (started on
// first use, or srv) and one prefix.
func redisKind(srv *redistest.Server) func(t *testing.T, now func() time.Time) session.ServerStore {
	var prefix string
	return func(t *testing.T, now func() time.Time) session.ServerStore {
		if srv == nil {
			srv = redistest.Start(t)
		}
		if prefix == "" {
			b := make([]byte, 6)
			rand.Read(b)
			prefix = "lk-" + hex.EncodeToString(b) + ":"
		}
		s, err := session.NewRedisStore(session.RedisConfig{Client: srv.Client(t), Keys: testKeys, Now: now,
			Prefix: prefix, Timeout: 300 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
}

// forEachStore runs fn as a parallel subtest per server-side store kind.
func forEachStore(t *testing.T, fn func(t *testing.T, kind storeKind)) {
	for _, kind := range serverStores() {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			fn(t, kind)
		})
	}
}

// newServerEnv is newEnv with a store of kind; it returns the store too.
func newServerEnv(t *testing.T, kind storeKind, o envOptions) (*env, session.ServerStore) {
	var store session.ServerStore
	inner := o.auth
	o.auth = func(c *middleware.Config) {
		store = kind.make(t, c.Now)
		c.Store = store
		if inner != nil {
			inner(c)
		}
	}
	return newEnv(t, o), store
}

// instance runs another instance of the app: its own Auth on its own port,
// the same provider, keys, clock and store kind. It serves /api and /private
// as the first one does, and returns its URL.
func (e *env) instance(t *testing.T, kind storeKind) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	auth, err := middleware.New(middleware.Config{
		BaseURL: base, Keys: testKeys, Store: kind.make(t, e.clock.Now), Now: e.clock.Now,
		Providers: []client.Provider{{Name: "test", Issuer: e.op.Issuer(), ClientID: "app", ClientSecret: "app-secret", Timeout: 2 * time.Second}},
		Logger:    slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	auth.Register(mux)
	mountPrivate(mux, auth)
	srv.Config.Handler = mux
	srv.Start()
	t.Cleanup(srv.Close)
	return base
}

// signedInServer is a server-store env with a browser signed in, and its
// session as the store holds it.
func signedInServer(t *testing.T, kind storeKind) (*env, session.ServerStore, *browser, *session.Session) {
	t.Helper()
	e, store := newServerEnv(t, kind, envOptions{})
	b := newBrowser(t)
	b.mustLogin(e)
	return e, store, b, sessionOf(t, e, b, store)
}

// sessionOf returns the browser's session as the store holds it.
func sessionOf(t *testing.T, e *env, b *browser, store session.ServerStore) *session.Session {
	t.Helper()
	p := b.get(e.app.URL + "/sid")
	if p.status != http.StatusOK {
		t.Fatalf("/sid: %d", p.status)
	}
	s, err := store.Get(t.Context(), p.body)
	if err != nil {
		t.Fatalf("store.Get: %v", err)
	}
	return s
}

// TestServerStoreSession: the cookie carries only the sealed session ID;
// sign-in, pages and API calls work; after logout a copy of the old cookie
// gets nothing, since the ID itself has ended.
func TestServerStoreSession(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, kind storeKind) {
		e, store := newServerEnv(t, kind, envOptions{op: func(c *oidctest.Config) { c.TokenPadding = 3000 }})
		b := newBrowser(t)
		b.mustLogin(e)
		cookies := b.cookies(e)
		if len(cookies) != 1 || len(cookies[0].Value) > 200 {
			t.Fatalf("cookies %v: want one small cookie holding the session ID", cookies)
		}
		if p := b.get(e.app.URL + "/api"); p.status != 200 || !strings.Contains(p.body, `"sub":"ada"`) {
			t.Fatalf("/api: %d %q", p.status, p.body)
		}
		s := sessionOf(t, e, b, store)
		if s.User.SessionID == "" || s.User.Subject != "ada" {
			t.Fatalf("stored user %+v lacks the provider's sid", s.User)
		}
		copied := newBrowser(t)
		u, _ := url.Parse(e.app.URL)
		copied.hc.Jar.SetCookies(u, cookies)
		if p := b.post(e.app.URL+"/logout", e.app.URL); p.status != http.StatusSeeOther {
			t.Fatalf("logout: %d", p.status)
		}
		if _, err := store.Get(t.Context(), s.ID); !errors.Is(err, session.ErrNoSession) {
			t.Fatalf("session still stored after logout: %v", err)
		}
		if p := copied.getJSON(e.app.URL + "/private"); p.status != http.StatusUnauthorized {
			t.Fatalf("a copy of the pre-logout cookie: %d, want 401", p.status)
		}
		if n := e.op.Count(oidctest.EndpointRevocation); n != 1 {
			t.Fatalf("revocations: %d, want 1", n)
		}
	})
}

// TestRefreshOnceAcrossInstances: two instances sharing the store; 20
// requests split across both after the access token expired make one
// refresh at the provider, and all succeed with the new token.
func TestRefreshOnceAcrossInstances(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, kind storeKind) {
		e, store := newServerEnv(t, kind, envOptions{})
		if kind.name == "memory" {
			t.Skip("a memory store is one process's")
		}
		other := e.instance(t, kind)
		b := newBrowser(t)
		b.mustLogin(e)
		if p := b.get(other + "/private"); p.status != 200 || p.body != "private for ada" {
			t.Fatalf("the session on the other instance: %d %q", p.status, p.body)
		}
		before := sessionOf(t, e, b, store)
		e.clock.Advance(2 * time.Hour)
		statuses := make([]int, 20)
		var wg sync.WaitGroup
		for i := range statuses {
			base := e.app.URL
			if i%2 == 1 {
				base = other
			}
			wg.Go(func() {
				req, _ := http.NewRequest(http.MethodGet, base+"/api", nil)
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
				t.Errorf("request %d: %d", i, s)
			}
		}
		if n := e.op.GrantCount("refresh_token"); n != 1 {
			t.Fatalf("refreshes for 20 requests on 2 instances: %d, want 1\n%s", n, e.logText())
		}
		after := sessionOf(t, e, b, store)
		bt, _ := before.Tokens()
		at, _ := after.Tokens()
		if at.RefreshToken == bt.RefreshToken || at.AccessToken == bt.AccessToken {
			t.Fatal("the rotated tokens were not saved")
		}
	})
}

// TestRefreshLockHolderDies: a lock left by an instance that died lapses
// by itself; the next request then refreshes, once.
func TestRefreshLockHolderDies(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, kind storeKind) {
		e, store, b, s := signedInServer(t, kind)
		e.clock.Advance(2 * time.Hour)
		// middleware's lock name for the session's refresh: a dead holder.
		if _, ok, err := store.Lock(t.Context(), "refresh:"+s.ID, 400*time.Millisecond); !ok || err != nil {
			t.Fatalf("Lock: %v %v", ok, err)
		}
		start := time.Now()
		if p := b.get(e.app.URL + "/api"); p.status != 200 {
			t.Fatalf("/api: %d %q\n%s", p.status, p.body, e.logText())
		}
		if d := time.Since(start); d < 300*time.Millisecond {
			t.Errorf("refreshed after %v, while the lock was held", d)
		}
		if n := e.op.GrantCount("refresh_token"); n != 1 {
			t.Fatalf("refreshes: %d, want 1", n)
		}
	})
}

// TestInvalidGrantRereadsStore: the provider refuses the refresh token
// because another instance rotated it meanwhile; the store holds the new
// tokens, so the session goes on instead of ending.
func TestInvalidGrantRereadsStore(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, kind storeKind) {
		e, store, b, s := signedInServer(t, kind)
		e.clock.Advance(2 * time.Hour)
		b2 := newBrowser(t) // fresh tokens to play the other instance's result
		b2.mustLogin(e)
		fresh, _ := sessionOf(t, e, b2, store).Tokens()
		var once atomic.Bool
		e.setHooks(oidctest.Hooks{Intercept: func(ep oidctest.Endpoint, w http.ResponseWriter, r *http.Request) bool {
			if ep != oidctest.EndpointToken || r.FormValue("grant_type") != "refresh_token" || !once.CompareAndSwap(false, true) {
				return false
			}
			other, err := store.Get(r.Context(), s.ID)
			if err == nil {
				other.SetTokens(fresh)
				err = store.Update(r.Context(), other)
			}
			if err != nil {
				t.Errorf("playing the other instance: %v", err)
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":"invalid_grant"}`)
			return true
		}})
		if p := b.get(e.app.URL + "/api"); p.status != 200 {
			t.Fatalf("/api: %d %q\n%s", p.status, p.body, e.logText())
		}
		if !once.Load() {
			t.Fatal("the provider was never asked to refresh")
		}
		if p := b.get(e.app.URL + "/private"); p.status != 200 {
			t.Fatalf("session ended: %d", p.status)
		}
	})
}

// TestInvalidGrantEndsServerSession: a refresh token the provider revoked
// ends the session in the store, not only in this browser.
func TestInvalidGrantEndsServerSession(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, kind storeKind) {
		e, store, b, s := signedInServer(t, kind)
		e.op.RevokeRefreshTokens("ada")
		e.clock.Advance(2 * time.Hour)
		if p := b.getJSON(e.app.URL + "/api"); p.status != http.StatusUnauthorized {
			t.Fatalf("/api after revocation: %d", p.status)
		}
		if _, err := store.Get(t.Context(), s.ID); !errors.Is(err, session.ErrNoSession) {
			t.Fatalf("session kept after invalid_grant: %v", err)
		}
	})
}

// jsonError decodes a back-channel error body.
func jsonError(t *testing.T, body string) string {
	t.Helper()
	var e struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	return e.Error
}
