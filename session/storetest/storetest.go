// Package storetest is one conformance suite for session stores: the cookie,
// memory and Redis stores all pass it, and so should a store of your own.
//
//	func TestMyStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T, cfg storetest.Config) session.Store {
//			s, err := mystore.New(cfg.Keys, cfg.Now, cfg.IdleTimeout)
//			if err != nil {
//				t.Fatal(err)
//			}
//			return s
//		})
//	}
//
// Every store must keep a session's identity and tokens, refuse forged,
// tampered, deleted and expired sessions as session.ErrNoSession, never
// show a token or the user's identity in a cookie, and be safe for
// concurrent use. A session.ServerStore must also end a deleted session's ID
// for good (even for a copy of the old cookie), never revive a session that
// ended while a request held it, honour the idle timeout, delete by user
// and by provider session, and lock and mark one-time values.
//
// The idle timeout may be kept to a step: a store may leave a use
// unrecorded when it comes less than MaxIdleStep after the last recorded
// one (session.RedisStore does, so that most requests only read), so that
// a session ends between IdleTimeout−MaxIdleStep and IdleTimeout after its
// last use; never later.
package storetest

import (
	"crypto/rand"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/session"
)

// Config is what the suite asks of a new store.
type Config struct {
	// Keys to seal with, fresh for each store.
	Keys [][]byte
	// Now is the suite's clock, which it advances by hand.
	Now func() time.Time
	// IdleTimeout is the sliding expiry for stores that have one.
	IdleTimeout time.Duration
}

// Factory returns a new, empty store configured with cfg. Stores made by
// one Factory within one test need not share their sessions.
type Factory func(t *testing.T, cfg Config) session.Store

// The suite's timings.
const (
	lifetime = 2 * time.Hour
	idle     = 30 * time.Minute
	lockTTL  = 150 * time.Millisecond
)

// MaxIdleStep is the coarsest a store may keep the idle timeout to: a use
// that comes this long or longer after the last recorded one must restart
// the idle timeout; 1% of it, at most a minute.
func MaxIdleStep(idleTimeout time.Duration) time.Duration { return min(idleTimeout/100, time.Minute) }

// Run runs the suite against stores from newStore, each subtest in parallel.
func Run(t *testing.T, newStore Factory) {
	tests := []struct {
		name   string
		server bool
		fn     func(t *testing.T, e *env)
	}{
		{"RoundTrip", false, testRoundTrip},
		{"SignedOut", false, testSignedOut},
		{"Tampered", false, testTampered},
		{"Delete", false, testDelete},
		{"UpdateTokens", false, testUpdateTokens},
		{"AbsoluteLifetime", false, testAbsoluteLifetime},
		{"NewIDEachLogin", false, testNewID},
		{"NoCleartextInCookies", false, testNoCleartext},
		{"Concurrent", false, testConcurrent},
		{"IdleTimeout", true, testIdleTimeout},
		{"IdleStep", true, testIdleStep},
		{"DeletedIDNeverWorksAgain", true, testDeletedID},
		{"NoRevival", true, testNoRevival},
		{"GetByID", true, testGet},
		{"DeleteUser", true, testDeleteUser},
		{"DeleteProviderSession", true, testDeleteProviderSession},
		{"IndexesFollowUpdates", true, testIndexesFollowUpdates},
		{"Lock", true, testLock},
		{"FirstUse", true, testFirstUse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, newStore)
			if tt.server && e.server == nil {
				t.Skip("not a session.ServerStore")
			}
			tt.fn(t, e)
		})
	}
}

// env is one store on the suite's clock.
type env struct {
	store  session.Store
	server session.ServerStore
	clock  *clock
}

func newEnv(t *testing.T, newStore Factory) *env {
	key := make([]byte, 32)
	rand.Read(key)
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	st := newStore(t, Config{Keys: [][]byte{key}, Now: clk.Now, IdleTimeout: idle})
	e := &env{store: st, clock: clk}
	e.server, _ = st.(session.ServerStore)
	return e
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// user returns a distinct, fully populated identity.
func user(subject, sid string) client.User {
	return client.User{Provider: "example", Subject: subject, Email: subject + "@example.com", EmailVerified: true,
		Name: "Name of " + subject, Picture: "https://example.com/" + subject + ".png", SessionID: sid,
		Raw: []byte(`{"sub":"` + subject + `","email":"` + subject + `@example.com"}`)}
}

// tokens returns distinctive tokens of about 3 KB.
func tokens(tag string, expiry time.Time) client.Tokens {
	return client.Tokens{AccessToken: "AT-" + tag + "-" + strings.Repeat("a", 1500), TokenType: "Bearer",
		RefreshToken: "RT-" + tag + "-" + strings.Repeat("r", 500), IDToken: "IDT-" + tag + "-" + strings.Repeat("i", 1000),
		Expiry: expiry.Truncate(time.Second), Scopes: []string{"openid", "email"}}
}

// jar is one browser's cookies for the app.
type jar map[string]string

func (j jar) apply(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	for _, c := range rec.Result().Cookies() {
		if c.MaxAge < 0 {
			delete(j, c.Name)
			continue
		}
		j[c.Name] = c.Value
	}
}

func (j jar) request() *http.Request {
	r := httptest.NewRequest(http.MethodGet, "https://app.example/", nil)
	var parts []string
	for k, v := range j {
		parts = append(parts, k+"="+v)
	}
	slices.Sort(parts)
	if len(parts) > 0 {
		r.Header.Set("Cookie", strings.Join(parts, "; "))
	}
	return r
}

func (j jar) clone() jar {
	c := jar{}
	for k, v := range j {
		c[k] = v
	}
	return c
}

// login saves a new session for u into a new jar.
func (e *env) login(t *testing.T, u client.User, tok client.Tokens) (*session.Session, jar) {
	t.Helper()
	s := session.New(u, tok, e.clock.Now(), lifetime)
	j := jar{}
	rec := httptest.NewRecorder()
	if err := e.store.Save(rec, j.request(), s); err != nil {
		t.Fatalf("Save: %v", err)
	}
	j.apply(t, rec)
	if len(j) == 0 {
		t.Fatal("Save set no cookie")
	}
	return s, j
}

func (e *env) load(t *testing.T, j jar) *session.Session {
	t.Helper()
	s, err := e.store.Load(j.request())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return s
}

func (e *env) requireSignedOut(t *testing.T, j jar, what string) {
	t.Helper()
	s, err := e.store.Load(j.request())
	if err == nil {
		// A store may decode the identity only and fail on the tokens.
		if _, err = s.Tokens(); err == nil {
			t.Fatalf("%s: the session still loads", what)
		}
	}
	if !errors.Is(err, session.ErrNoSession) {
		t.Fatalf("%s: error %v, want session.ErrNoSession", what, err)
	}
}

func requireSame(t *testing.T, got *session.Session, want *session.Session, wantTok client.Tokens) {
	t.Helper()
	gu, wu := got.User, want.User
	gu.Raw, wu.Raw = nil, nil
	if gu.Provider != wu.Provider || gu.Subject != wu.Subject || gu.Email != wu.Email || gu.EmailVerified != wu.EmailVerified ||
		gu.Name != wu.Name || gu.Picture != wu.Picture || gu.SessionID != wu.SessionID {
		t.Errorf("User = %+v, want %+v", gu, wu)
	}
	if got.ID != want.ID || !got.Created.Equal(want.Created) || !got.Expires.Equal(want.Expires) {
		t.Errorf("session {%s %v %v}, want {%s %v %v}", got.ID, got.Created, got.Expires, want.ID, want.Created, want.Expires)
	}
	tok, err := got.Tokens()
	if err != nil {
		t.Fatalf("Tokens: %v", err)
	}
	if tok.AccessToken != wantTok.AccessToken || tok.RefreshToken != wantTok.RefreshToken || tok.IDToken != wantTok.IDToken ||
		tok.TokenType != wantTok.TokenType || !tok.Expiry.Equal(wantTok.Expiry) || !slices.Equal(tok.Scopes, wantTok.Scopes) {
		t.Errorf("Tokens = %v, want %v", tok, wantTok)
	}
}
