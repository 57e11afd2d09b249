package bench

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/middleware"
	"github.com/loginkit/loginkit/session"
)

// Refresh under contention: a user's access token has expired and 100
// requests of theirs arrive at once, each calling the provider's API (its
// userinfo endpoint) as the user. The provider rotates refresh tokens and
// detects reuse (RFC 9700 §4.14.2), as the providers do.
//
// loginkit's handlers take an *http.Client from auth.Client; with the Redis
// store the requests are split over two app instances sharing it. The usual
// way builds an oauth2.TokenSource per request from the tokens in the
// session. refreshes/op counts token requests with grant_type=refresh_token
// per 100 callers; failed/op the callers whose API call did not succeed.

const callers = 100

// refreshRig is a provider, a signed-in user's expired session, and the
// apps that serve the user's requests.
type refreshRig struct {
	op    *benchOP
	c     *client.Client // signs the user in
	auths []*middleware.Auth
	store session.Store // the apps', shared
	info  string        // the provider API every caller calls
}

func newRefreshRig(tb testing.TB, store func() (session.Store, error), instances int) *refreshRig {
	tb.Helper()
	op := newOP(tb, "RS256", "http://app.test/callback/op")
	p := client.Provider{Name: "op", Issuer: op.Issuer(), ClientID: "app", ClientSecret: "app-secret",
		RedirectURL: "http://app.test/callback/op"}
	c, err := client.New(p)
	if err != nil {
		tb.Fatal(err)
	}
	rig := &refreshRig{op: op, c: c, info: op.Issuer() + "/userinfo"}
	if rig.store, err = store(); err != nil {
		tb.Fatal(err)
	}
	for range instances {
		a, err := middleware.New(middleware.Config{BaseURL: "http://app.test", Keys: [][]byte{Key}, Store: rig.store,
			Providers: []client.Provider{p}})
		if err != nil {
			tb.Fatal(err)
		}
		rig.auths = append(rig.auths, a)
	}
	return rig
}

// expiredSession signs the user in afresh and returns the Cookie header of
// a session whose access token has expired, and its tokens.
func (rig *refreshRig) expiredSession() (string, client.Tokens, error) {
	ctx := context.Background()
	authURL, flow, err := rig.c.Begin(ctx, client.BeginOptions{})
	if err != nil {
		return "", client.Tokens{}, err
	}
	resp, err := browser(rig.op).Get(authURL)
	if err != nil {
		return "", client.Tokens{}, err
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		return "", client.Tokens{}, err
	}
	res, err := rig.c.Callback(ctx, flow, back.Query())
	if err != nil {
		return "", client.Tokens{}, err
	}
	res.Tokens.Expiry = time.Now().Add(-time.Minute)
	rec := httptest.NewRecorder()
	s := session.New(res.User, res.Tokens, time.Now(), time.Hour)
	if err := rig.store.Save(rec, httptest.NewRequest(http.MethodGet, "/", nil), s); err != nil {
		return "", client.Tokens{}, err
	}
	return CookieHeader(rec.Header()), res.Tokens, nil
}

// callAPI makes one API call with hc and reports whether it succeeded.
func callAPI(hc *http.Client, target string) bool {
	resp, err := hc.Get(target)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode == http.StatusOK
}

// loginkitCaller is a handler of app a: Require, then an API call through
// auth.Client.
func (rig *refreshRig) loginkitCaller(a *middleware.Auth, ok *atomic.Int64) http.Handler {
	return a.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hc, err := a.Client(w, r)
		if err == nil && callAPI(hc, rig.info) {
			ok.Add(1)
		}
	}))
}

// tokenSourceCaller is the usual handler: the tokens from the session, an
// oauth2.TokenSource built from them for this request, an API call.
func (rig *refreshRig) tokenSourceCaller(ok *atomic.Int64) http.Handler {
	cfg := &oauth2.Config{ClientID: "app", ClientSecret: "app-secret",
		Endpoint: oauth2.Endpoint{TokenURL: rig.op.Issuer() + "/token", AuthStyle: oauth2.AuthStyleInHeader}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := rig.store.Load(r)
		if err != nil {
			return
		}
		t, err := s.Tokens()
		if err != nil {
			return
		}
		ts := cfg.TokenSource(r.Context(), &oauth2.Token{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken,
			TokenType: t.TokenType, Expiry: t.Expiry})
		if callAPI(oauth2.NewClient(r.Context(), ts), rig.info) {
			ok.Add(1)
		}
	})
}

// storm sends callers concurrent requests with cookie, spread over hs.
func storm(hs []http.Handler, cookie string) {
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			r := httptest.NewRequest(http.MethodGet, "/api", nil)
			r.Header.Set("Cookie", cookie)
			hs[i%len(hs)].ServeHTTP(httptest.NewRecorder(), r)
		})
	}
	wg.Wait()
}

// refreshKinds are the rows: loginkit over each store, and the usual way.
func refreshKinds(tb testing.TB) []struct {
	name      string
	store     func() (session.Store, error)
	instances int
	ours      bool
} {
	cookie := func() (session.Store, error) {
		return session.NewCookieStore(session.CookieConfig{Keys: [][]byte{Key}})
	}
	type kind = struct {
		name      string
		store     func() (session.Store, error)
		instances int
		ours      bool
	}
	kinds := []kind{
		{"loginkit-cookie", cookie, 1, true},
		{"loginkit-memory", func() (session.Store, error) {
			return session.NewMemoryStore(session.MemoryConfig{Keys: [][]byte{Key}})
		}, 1, true},
	}
	if rc := redisFor(tb); rc != nil {
		kinds = append(kinds, kind{"loginkit-redis-2-instances", func() (session.Store, error) {
			return session.NewRedisStore(session.RedisConfig{Client: rc, Keys: [][]byte{Key}, Prefix: "lk-bench-" + randomText(8) + ":"})
		}, 2, true})
	}
	return append(kinds, kind{"oauth2-tokensource", cookie, 1, false})
}

// handlers are the apps' handlers for a kind; ok counts successful callers.
func (rig *refreshRig) handlers(ours bool, ok *atomic.Int64) []http.Handler {
	if !ours {
		return []http.Handler{rig.tokenSourceCaller(ok)}
	}
	var hs []http.Handler
	for _, a := range rig.auths {
		hs = append(hs, rig.loginkitCaller(a, ok))
	}
	return hs
}

func BenchmarkRefreshContention(b *testing.B) {
	for _, k := range refreshKinds(b) {
		b.Run(k.name, func(b *testing.B) {
			rig := newRefreshRig(b, k.store, k.instances)
			var ok atomic.Int64
			hs := rig.handlers(k.ours, &ok)
			refreshes := 0
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				cookie, _, err := rig.expiredSession()
				if err != nil {
					b.Fatal(err)
				}
				before := rig.op.GrantCount("refresh_token")
				b.StartTimer()
				storm(hs, cookie)
				b.StopTimer()
				refreshes += rig.op.GrantCount("refresh_token") - before
			}
			b.ReportMetric(float64(refreshes)/float64(b.N), "refreshes/op")
			b.ReportMetric(float64(int64(b.N*callers)-ok.Load())/float64(b.N), "failed/op")
		})
	}
}

// TestRefreshContention checks the counts the benchmark reports: loginkit
// refreshes once for 100 callers and every caller's API call succeeds; a
// TokenSource per request refreshes for every caller.
func TestRefreshContention(t *testing.T) {
	t.Parallel()
	for _, k := range refreshKinds(t) {
		t.Run(k.name, func(t *testing.T) {
			rig := newRefreshRig(t, k.store, k.instances)
			var ok atomic.Int64
			hs := rig.handlers(k.ours, &ok)
			cookie, _, err := rig.expiredSession()
			if err != nil {
				t.Fatal(err)
			}
			storm(hs, cookie)
			got, failed := rig.op.GrantCount("refresh_token"), callers-int(ok.Load())
			t.Logf("%d callers: %d refreshes, %d failed", callers, got, failed)
			switch {
			case k.ours && (got != 1 || failed != 0):
				t.Errorf("got %d refreshes and %d failed callers; want 1 and 0", got, failed)
			case !k.ours && got != callers:
				t.Errorf("got %d refreshes; want one per caller, %d", got, callers)
			}
		})
	}
}
