package middleware_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/internal/redistest"
	"github.com/loginkit/loginkit/middleware"
	"github.com/loginkit/loginkit/oidctest"
	"github.com/loginkit/loginkit/session"
)

// The stores side by side: an authenticated request through Require, and a
// refresh that 20 requests need at once.
//
//	go test -run '^$' -bench 'Stores|RefreshContention' -benchmem ./middleware/

var benchKey = []byte("0123456789abcdef0123456789abcdef")

// benchStores makes each store kind; Redis needs redis-server on this
// machine (a local one, started for the benchmark).
func benchStores(b *testing.B) []struct {
	name string
	make func() session.Store
} {
	var srv *redistest.Server
	prefix := "lk-bench:"
	return []struct {
		name string
		make func() session.Store
	}{
		{"cookie", func() session.Store {
			s, _ := session.NewCookieStore(session.CookieConfig{Keys: [][]byte{benchKey}})
			return s
		}},
		{"memory", func() session.Store {
			s, _ := session.NewMemoryStore(session.MemoryConfig{Keys: [][]byte{benchKey}})
			return s
		}},
		{"redis", func() session.Store {
			if srv == nil {
				srv = redistest.Start(b)
			}
			s, err := session.NewRedisStore(session.RedisConfig{Client: srv.Client(b), Keys: [][]byte{benchKey}, Prefix: prefix})
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
	}
}

func BenchmarkStores(b *testing.B) {
	for _, kind := range benchStores(b) {
		b.Run(kind.name, func(b *testing.B) {
			store := kind.make()
			auth, err := middleware.New(middleware.Config{BaseURL: "http://app.test", Keys: [][]byte{benchKey}, Store: store,
				Providers: []client.Provider{{Name: "google", Issuer: "https://accounts.google.com", ClientID: "x"}}})
			if err != nil {
				b.Fatal(err)
			}
			rec := httptest.NewRecorder()
			s := session.New(benchUser, benchTokens(), time.Now(), time.Hour)
			if err := store.Save(rec, httptest.NewRequest(http.MethodGet, "/", nil), s); err != nil {
				b.Fatal(err)
			}
			cookie := cookieHeader(rec)
			b.Run("require", func(b *testing.B) { serve(b, auth.Require(okHandler), cookie) })
			b.Run("require+tokens", func(b *testing.B) {
				serve(b, auth.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					s, _ := middleware.SessionFrom(r.Context())
					if t, err := s.Tokens(); err != nil || t.AccessToken == "" {
						b.Fatal("tokens lost", err)
					}
					w.Write([]byte("ok"))
				})), cookie)
			})
		})
	}
}

// BenchmarkRefreshContention: each iteration expires the session's access
// token, then 20 concurrent requests ask for the tokens: one refresh at the
// provider (oidctest, over loopback HTTP), the others wait. With Redis the
// requests are split over two app instances sharing the store.
func BenchmarkRefreshContention(b *testing.B) {
	for _, kind := range benchStores(b) {
		b.Run(kind.name, func(b *testing.B) {
			op, p := benchOP(b)
			instances := 1
			if kind.name == "redis" {
				instances = 2
			}
			var auths []*middleware.Auth
			var stores []session.Store
			for range instances {
				store := kind.make()
				a, err := middleware.New(middleware.Config{BaseURL: "http://app.test", Keys: [][]byte{benchKey}, Store: store,
					Providers: []client.Provider{p}})
				if err != nil {
					b.Fatal(err)
				}
				auths, stores = append(auths, a), append(stores, store)
			}
			res := benchLogin(b, auths[0], op)
			latest, s, cookie := res.Tokens, session.New(res.User, res.Tokens, time.Now(), time.Hour), ""
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				cookie = expireAccess(b, stores[0], &s, cookie, latest)
				b.StartTimer()
				var wg sync.WaitGroup
				var mu sync.Mutex
				for g := range 20 {
					wg.Go(func() {
						r := httptest.NewRequest(http.MethodGet, "/api", nil)
						r.Header.Set("Cookie", cookie)
						t, err := auths[g%len(auths)].Tokens(httptest.NewRecorder(), r)
						if err != nil {
							b.Error(err)
							return
						}
						mu.Lock()
						latest = t
						mu.Unlock()
					})
				}
				wg.Wait()
			}
			b.StopTimer()
			if n := op.GrantCount("refresh_token"); n != b.N {
				b.Fatalf("refreshes: %d for %d iterations", n, b.N)
			}
		})
	}
}

// expireAccess stores the session with its access token expired and
// returns the Cookie header that names it: the same for a server-side
// store, whose session is updated in place; new cookies for the cookie store.
func expireAccess(b *testing.B, store session.Store, s **session.Session, cookie string, t client.Tokens) string {
	t.Expiry = time.Now().Add(-time.Minute)
	if ss, ok := store.(session.ServerStore); ok && cookie != "" {
		(*s).SetTokens(t)
		if err := ss.Update(context.Background(), *s); err != nil {
			b.Fatal(err)
		}
		return cookie
	}
	rec := httptest.NewRecorder()
	*s = session.New((*s).User, t, time.Now(), time.Hour)
	if err := store.Save(rec, httptest.NewRequest(http.MethodGet, "/", nil), *s); err != nil {
		b.Fatal(err)
	}
	return cookieHeader(rec)
}

// benchOP is an oidctest server and the provider of its client.
func benchOP(b *testing.B) (*oidctest.Server, client.Provider) {
	op, err := oidctest.NewServer(oidctest.Config{
		Users:       []oidctest.User{{Subject: "ada", Email: "ada@example.com", Name: "Ada"}},
		Clients:     []oidctest.Client{{ID: "app", Secret: "app-secret", RedirectURIs: []string{"http://app.test/callback/test"}}},
		AutoApprove: "ada",
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(op.Close)
	return op, client.Provider{Name: "test", Issuer: op.Issuer(), ClientID: "app", ClientSecret: "app-secret"}
}

// benchLogin signs ada in with the client of auth.
func benchLogin(b *testing.B, auth *middleware.Auth, op *oidctest.Server) *client.Result {
	ctx := context.Background()
	c := auth.ProviderClient("test")
	authURL, flow, err := c.Begin(ctx, client.BeginOptions{})
	if err != nil {
		b.Fatal(err)
	}
	hc := op.Client()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.Get(authURL)
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		b.Fatal(err)
	}
	res, err := c.Callback(ctx, flow, loc.Query())
	if err != nil {
		b.Fatal(err)
	}
	return res
}
