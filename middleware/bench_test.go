package middleware_test

import (
	"encoding/gob"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/middleware"
	"github.com/loginkit/loginkit/session"
)

// The per-request path, side by side in one run: a bare handler, the common
// gorilla/sessions CookieStore (gob) holding the same user and tokens, and
// Require with loginkit's cookie store, without and with asking for tokens.
//
//	go test -run '^$' -bench BenchmarkRequest -benchmem ./middleware/

var benchUser = client.User{Provider: "google", Subject: "110169484474386276334", Email: "ada.lovelace@example.com",
	EmailVerified: true, Name: "Ada Lovelace", Picture: "https://lh3.googleusercontent.com/a/ACg8ocKxyz=s96-c", SessionID: "sid-8f1c2e"}

// benchTokens are realistic: ~3 KB in all, like a JWT access token with
// group claims and an opaque refresh token.
func benchTokens() client.Tokens {
	return client.Tokens{AccessToken: strings.Repeat("a", 1500), RefreshToken: strings.Repeat("r", 500),
		IDToken: strings.Repeat("i", 1000), TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)}
}

type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(int)             {}

func cookieHeader(rec *httptest.ResponseRecorder) string {
	var parts []string
	for _, c := range rec.Result().Cookies() {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return strings.Join(parts, "; ")
}

func serve(b *testing.B, h http.Handler, cookie string) {
	req := httptest.NewRequest(http.MethodGet, "/private", nil)
	req.Header.Set("Cookie", cookie)
	w := &discard{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		clear(w.h)
		// A fresh request value each time, as a server makes: gorilla
		// caches decoded sessions in the request's context.
		r := *req
		h.ServeHTTP(w, &r)
	}
}

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })

func BenchmarkRequest(b *testing.B) {
	key := []byte("0123456789abcdef0123456789abcdef")
	b.Run("bare", func(b *testing.B) { serve(b, okHandler, "") })

	b.Run("gorilla-gob", func(b *testing.B) {
		gob.Register(client.Tokens{})
		gob.Register(client.User{})
		store := sessions.NewCookieStore(key, key[:32])
		for _, c := range store.Codecs {
			if sc, ok := c.(*securecookie.SecureCookie); ok {
				sc.MaxLength(0) // gorilla refuses > 4096 bytes by default: lift it to measure at all
			}
		}
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		s, _ := store.Get(req, "session")
		s.Values["user"], s.Values["tokens"] = benchUser, benchTokens()
		if err := s.Save(req, rec); err != nil {
			b.Fatal(err)
		}
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, err := store.Get(r, "session")
			if err != nil || s.Values["user"] == nil {
				b.Fatal("gorilla session lost", err)
			}
			w.Write([]byte("ok"))
		})
		serve(b, h, cookieHeader(rec))
	})

	auth, cookie := benchAuth(b, key)
	b.Run("require", func(b *testing.B) { serve(b, auth.Require(okHandler), cookie) })
	b.Run("require+tokens", func(b *testing.B) {
		h := auth.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, _ := middleware.SessionFrom(r.Context())
			if t, err := s.Tokens(); err != nil || t.AccessToken == "" {
				b.Fatal("tokens lost", err)
			}
			w.Write([]byte("ok"))
		}))
		serve(b, h, cookie)
	})
}

// benchAuth is an Auth whose cookie store holds benchUser and benchTokens,
// and the Cookie header a signed-in browser would send.
func benchAuth(b *testing.B, key []byte) (*middleware.Auth, string) {
	store, err := session.NewCookieStore(session.CookieConfig{Keys: [][]byte{key}})
	if err != nil {
		b.Fatal(err)
	}
	auth, err := middleware.New(middleware.Config{BaseURL: "http://app.test", Keys: [][]byte{key}, Store: store,
		Providers: []client.Provider{{Name: "google", Issuer: "https://accounts.google.com", ClientID: "x"}}})
	if err != nil {
		b.Fatal(err)
	}
	rec := httptest.NewRecorder()
	s := session.New(benchUser, benchTokens(), time.Now(), time.Hour)
	if err := store.Save(rec, httptest.NewRequest(http.MethodGet, "/", nil), s); err != nil {
		b.Fatal(err)
	}
	return auth, cookieHeader(rec)
}
