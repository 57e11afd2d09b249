// Package bench is loginkit's side-by-side benchmark suite: each of
// loginkit's hot paths beside the least the job can cost (its floor) and
// beside the usual Go way of doing it, measured in the same run. make bench
// (scripts/bench.sh) runs the benchmarks in this package, drives
// cmd/benchserver with wrk, and prints one table of ratios with a PASS or
// MISS for each target of issue 7.
//
// The package holds only benchmarks, the tests that check their fixtures
// are honest (a login really signs in, a Require case really lets the user
// through), and the fixtures shared with cmd/benchserver, in this file.
// None of its tests measures time, so make test runs them as plain tests.
package bench

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/gob"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
	"github.com/redis/go-redis/v9"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/middleware"
	"github.com/loginkit/loginkit/session"
)

// Key seals every benchmark session. It is a fixed test key, never a secret.
var Key = []byte("loginkit-bench-key-0123456789abc")

// TokenBytes is the realistic token load: access, refresh and ID token of
// about 3 KB together (Entra ID and Cognito tokens run 1–2 KB each).
const TokenBytes = 3 << 10

// User is the signed-in user every case holds, with a small raw profile.
func User() client.User {
	return client.User{
		Provider: "google", Subject: "110169484474386276334", Email: "ada.lovelace@example.com",
		EmailVerified: true, Name: "Ada Lovelace", Picture: "https://lh3.googleusercontent.com/a/ACg8ocKxyz=s96-c",
		SessionID: "sid-8f1c2e",
		Raw: []byte(`{"sub":"110169484474386276334","email":"ada.lovelace@example.com","email_verified":true,` +
			`"name":"Ada Lovelace","given_name":"Ada","family_name":"Lovelace","locale":"en"}`),
	}
}

// Tokens returns tokens of about n bytes in all, split as real ones are
// (half access token, a third ID token, the rest refresh token), of random
// base64url characters so that nothing compresses them. n = 0 gives none.
func Tokens(n int) client.Tokens {
	if n == 0 {
		return client.Tokens{}
	}
	return client.Tokens{
		AccessToken: randomText(n / 2), IDToken: randomText(n / 3), RefreshToken: randomText(n - n/2 - n/3),
		TokenType: "Bearer", Expiry: time.Now().Add(24 * time.Hour), Scopes: []string{"openid", "email", "profile"},
	}
}

func randomText(n int) string {
	b := make([]byte, base64.RawURLEncoding.DecodedLen(n)+1)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}

// Case is one signed-in request path: a handler and the Cookie header a
// signed-in browser sends it.
type Case struct {
	Name    string // "bare", "gorilla-gob", "cookie-identity", …
	Handler http.Handler
	Cookie  string
	// SetCookie are the Set-Cookie lines the store wrote at sign-in.
	SetCookie []string
	// Close, when set, releases what the case's store holds (the near
	// cache's subscriber).
	Close func()
}

// Case names.
const (
	Bare           = "bare"
	GorillaGob     = "gorilla-gob"
	CookieIdentity = "cookie-identity"
	Cookie3K       = "cookie-3k"
	Cookie3KTokens = "cookie-3k+tokens"
	Memory         = "memory"
	MemoryTokens   = "memory+tokens"
	Redis          = "redis"
	RedisTokens    = "redis+tokens"
	// The Redis store with its near cache on (RedisConfig.NearCache).
	RedisNear       = "redis-near"
	RedisNearTokens = "redis-near+tokens"
	RedisPing       = "redis-ping"
	// The bare handler sent the Cookie header of Cookie3K or GorillaGob:
	// what the bytes alone cost (reading and parsing the request).
	BareCookie3K      = "bare+cookie-3k-header"
	BareGorillaCookie = "bare+gorilla-header"
)

// Options configure Cases.
type Options struct {
	// Redis is the client of the Redis store's cases; nil leaves them out.
	Redis redis.UniversalClient
	// RedisPrefix keeps these sessions apart from others in the same Redis.
	RedisPrefix string
}

// Cases builds every request path of the table: a bare handler, the
// gorilla/sessions gob CookieStore holding the user and 3 KB of tokens, and
// Require over each loginkit store. A "+tokens" case's handler also asks
// for the tokens (auth.Tokens), as a handler calling an API does; the others
// read only the user, which is all Require decodes. Last come the bare
// handler sent the big cookies, which tell the cost of their bytes.
func Cases(opt Options) ([]Case, error) {
	cases := []Case{{Name: Bare, Handler: okHandler}}
	g, err := gorillaCase()
	if err != nil {
		return nil, err
	}
	cases = append(cases, g)
	cookie := func() (session.Store, error) {
		return session.NewCookieStore(session.CookieConfig{Keys: [][]byte{Key}})
	}
	memory := func() (session.Store, error) {
		return session.NewMemoryStore(session.MemoryConfig{Keys: [][]byte{Key}})
	}
	kinds := []storeKind{
		{CookieIdentity, "", 0, cookie},
		{Cookie3K, Cookie3KTokens, TokenBytes, cookie},
		{Memory, MemoryTokens, TokenBytes, memory},
	}
	if opt.Redis != nil {
		cases = append(cases, Case{Name: RedisPing, Handler: pingHandler(opt.Redis)})
		redisStore := func(near bool) func() (session.Store, error) {
			return func() (session.Store, error) {
				return session.NewRedisStore(session.RedisConfig{Client: opt.Redis, Keys: [][]byte{Key}, Prefix: opt.RedisPrefix,
					NearCache: session.NearCacheConfig{Enabled: near}})
			}
		}
		kinds = append(kinds, storeKind{Redis, RedisTokens, TokenBytes, redisStore(false)},
			storeKind{RedisNear, RedisNearTokens, TokenBytes, redisStore(true)})
	}
	for _, k := range kinds {
		kc, err := k.cases()
		if err != nil {
			return nil, err
		}
		cases = append(cases, kc...)
	}
	for _, c := range cases {
		switch c.Name {
		case Cookie3K:
			cases = append(cases, Case{Name: BareCookie3K, Handler: okHandler, Cookie: c.Cookie})
		case GorillaGob:
			cases = append(cases, Case{Name: BareGorillaCookie, Handler: okHandler, Cookie: c.Cookie})
		}
	}
	return cases, nil
}

// storeKind is a loginkit store holding a session with tokens of about
// tokens bytes, served by Require (case name) and, when tokensName is set,
// by Require with a handler that reads the tokens.
type storeKind struct {
	name, tokensName string
	tokens           int
	store            func() (session.Store, error)
}

func (k storeKind) cases() ([]Case, error) {
	store, err := k.store()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", k.name, err)
	}
	auth, c, err := SignedIn(store, Tokens(k.tokens))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", k.name, err)
	}
	c.Name, c.Handler = k.name, auth.Require(okHandler)
	if rs, ok := store.(*session.RedisStore); ok {
		c.Close = func() { rs.Close() }
	}
	out := []Case{c}
	if k.tokensName != "" {
		c.Name, c.Handler, c.Close = k.tokensName, auth.Require(tokensHandler(auth)), nil
		out = append(out, c)
	}
	return out, nil
}

// okHandler is the app: a tiny response, so that the table shows what the
// session costs rather than what the page costs.
var okHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	w.Write([]byte("ok\n"))
})

// pingHandler is the floor of any Redis store: the app plus one round trip
// to Redis (PING) per request, and no session at all.
func pingHandler(rc redis.UniversalClient) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := rc.Ping(r.Context()).Err(); err != nil {
			http.Error(w, "redis", http.StatusServiceUnavailable)
			return
		}
		okHandler(w, r)
	})
}

// tokensHandler reads the tokens, as a handler about to call an API does.
func tokensHandler(auth *middleware.Auth) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, err := auth.Tokens(w, r)
		if err != nil || t.AccessToken == "" {
			http.Error(w, "no tokens", http.StatusInternalServerError)
			return
		}
		okHandler(w, r)
	})
}

// SignedIn returns an Auth over store, which holds a session of User with
// tokens t, and the case of a browser signed in to it.
func SignedIn(store session.Store, t client.Tokens) (*middleware.Auth, Case, error) {
	auth, err := middleware.New(middleware.Config{BaseURL: "http://app.test", Keys: [][]byte{Key}, Store: store,
		Providers: []client.Provider{{Name: "google", Issuer: "https://accounts.google.com", ClientID: "bench"}}})
	if err != nil {
		return nil, Case{}, err
	}
	rec := httptest.NewRecorder()
	s := session.New(User(), t, time.Now(), 24*time.Hour)
	if err := store.Save(rec, httptest.NewRequest(http.MethodGet, "/", nil), s); err != nil {
		return nil, Case{}, err
	}
	return auth, Case{Cookie: CookieHeader(rec.Header()), SetCookie: rec.Header().Values("Set-Cookie")}, nil
}

// CookieHeader is the Cookie header a browser sends back for h's
// Set-Cookie lines (deletions left out).
func CookieHeader(h http.Header) string {
	var parts []string
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.MaxAge >= 0 && c.Value != "" {
			parts = append(parts, c.Name+"="+c.Value)
		}
	}
	return strings.Join(parts, "; ")
}

var registerGob sync.Once

// GorillaStore is the usual Go approach: a gorilla/sessions CookieStore
// (securecookie: gob, AES-256-CTR, HMAC-SHA256). Its default MaxLength of
// 4096 refuses 3 KB of tokens, so it is raised to let the comparison run at
// all; a browser would drop the cookie.
func GorillaStore() *sessions.CookieStore {
	registerGob.Do(func() {
		gob.Register(client.User{})
		gob.Register(client.Tokens{})
	})
	store := sessions.NewCookieStore(Key, Key)
	for _, c := range store.Codecs {
		c.(*securecookie.SecureCookie).MaxLength(16 << 10)
	}
	return store
}

// GorillaSave saves what a loginkit session holds (user, profile, tokens,
// times) in a gorilla session named "session".
func GorillaSave(store *sessions.CookieStore, w http.ResponseWriter, r *http.Request, u client.User, t client.Tokens) error {
	s, err := store.New(r, "session")
	if err != nil && s == nil {
		return err
	}
	prof := u.Raw
	u.Raw = nil
	now := time.Now()
	s.Values["user"], s.Values["tokens"], s.Values["profile"] = u, t, []byte(prof)
	s.Values["created"], s.Values["expires"] = now.Unix(), now.Add(24*time.Hour).Unix()
	return s.Save(r, w)
}

// GorillaLoad reads the gorilla session as a handler does: the whole
// session is decoded, tokens included, on every request.
func GorillaLoad(store *sessions.CookieStore, r *http.Request) (client.User, client.Tokens, error) {
	s, err := store.Get(r, "session")
	if err != nil {
		return client.User{}, client.Tokens{}, err
	}
	u, ok := s.Values["user"].(client.User)
	t, ok2 := s.Values["tokens"].(client.Tokens)
	if !ok || !ok2 {
		return client.User{}, client.Tokens{}, errors.New("bench: gorilla session holds no user")
	}
	return u, t, nil
}

func gorillaCase() (Case, error) {
	store := GorillaStore()
	rec := httptest.NewRecorder()
	if err := GorillaSave(store, rec, httptest.NewRequest(http.MethodGet, "/", nil), User(), Tokens(TokenBytes)); err != nil {
		return Case{}, fmt.Errorf("gorilla: %w", err)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, _, err := GorillaLoad(store, r); err != nil {
			http.Error(w, "sign in", http.StatusUnauthorized)
			return
		}
		okHandler(w, r)
	})
	return Case{Name: GorillaGob, Handler: h, Cookie: CookieHeader(rec.Header()), SetCookie: rec.Header().Values("Set-Cookie")}, nil
}
