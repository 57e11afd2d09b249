package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/middleware"
	"github.com/loginkit/loginkit/oidctest"
)

// A full login round trip, in-process: the app's login route, the browser
// at the provider's authorization endpoint (oidctest, over loopback HTTP,
// signing the user in without a page), and the app's callback route, which
// exchanges the code, verifies the ID token and saves the session. The
// provider runs in the same process, so its work (signing each ID token)
// is in every row alike.
//
// "<rp>-req/login" counts what the relying party itself asked of the
// provider per login, once discovery and keys are cached: the browser's
// visit to the authorization endpoint is not among them. By default loginkit
// asks userinfo only for what the verified ID token lacks; oidctest's ID
// tokens carry the email and the name, so it asks for the token alone, as
// the plain hand-written relying party does. With
// client.Provider.AlwaysUserInfo it also fetches userinfo, as the
// "+userinfo" hand-written one does.

// loginRP is a relying party under test: its routes and their URLs.
type loginRP struct {
	name     string
	h        http.Handler
	loginURL string // on the app's origin
	session  string // the session cookie's name, set by a finished login
	count    *counter
}

// loginRPs builds loginkit and the hand-written relying parties against one
// provider, and warms each (discovery, keys) with one login.
func loginRPs(tb testing.TB, alg string) (*benchOP, []*loginRP) {
	tb.Helper()
	op := newOP(tb, alg, "http://app.test/callback/op", "http://rp.test/callback")
	ctx := context.Background()

	ours := func(name string, p client.Provider) *loginRP {
		hc, cnt := countingClient()
		p.Name, p.Issuer, p.ClientID, p.ClientSecret, p.HTTPClient = "op", op.Issuer(), "app", "app-secret", hc
		auth, err := middleware.New(middleware.Config{BaseURL: "http://app.test", Keys: [][]byte{Key}, Providers: []client.Provider{p}})
		if err != nil {
			tb.Fatal(err)
		}
		if err := auth.Discover(ctx); err != nil {
			tb.Fatal(err)
		}
		return &loginRP{name: name, h: auth.Handler(), loginURL: "http://app.test/login/op?return_to=/", session: "lk", count: cnt}
	}
	hand := func(name string, userinfo bool) *loginRP {
		hc, cnt := countingClient()
		p, err := oidc.NewProvider(oidc.ClientContext(ctx, hc), op.Issuer())
		if err != nil {
			tb.Fatal(err)
		}
		rp := &handRP{
			cfg: oauth2.Config{ClientID: "app", ClientSecret: "app-secret", Endpoint: p.Endpoint(),
				RedirectURL: "http://rp.test/callback", Scopes: []string{oidc.ScopeOpenID, "email", "profile"}},
			op: p, verifier: p.Verifier(&oidc.Config{ClientID: "app"}), hc: hc, store: GorillaStore(), userinfo: userinfo,
		}
		return &loginRP{name: name, h: rp, loginURL: "http://rp.test/login", session: "session", count: cnt}
	}
	rps := []*loginRP{
		ours("loginkit", client.Provider{}),
		ours("loginkit-userinfo", client.Provider{AlwaysUserInfo: true}),
		hand("oauth2+go-oidc", false),
		hand("oauth2+go-oidc+userinfo", true),
	}
	br := browser(op)
	for _, rp := range rps {
		if err := login(rp, br); err != nil { // fetches the keys
			tb.Fatalf("%s: %v", rp.name, err)
		}
	}
	return op, rps
}

// login runs one login through rp, as a browser does.
func login(rp *loginRP, br *http.Client) error {
	w := serveURL(rp.h, rp.loginURL, "")
	if w.Code != http.StatusFound {
		return fmt.Errorf("login: status %d", w.Code)
	}
	flow := CookieHeader(w.Header())
	resp, err := br.Get(w.Header().Get("Location"))
	if err != nil {
		return err
	}
	resp.Body.Close()
	back := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || back == "" {
		return fmt.Errorf("authorize: status %d", resp.StatusCode)
	}
	w = serveURL(rp.h, back, flow)
	if w.Code != http.StatusSeeOther {
		return fmt.Errorf("callback: status %d: %s", w.Code, strings.TrimSpace(w.Body.String()))
	}
	if !strings.Contains(CookieHeader(w.Header()), rp.session+"=") {
		return fmt.Errorf("callback: no %s cookie", rp.session)
	}
	return nil
}

func serveURL(h http.Handler, target, cookie string) *httptest.ResponseRecorder {
	u, _ := url.Parse(target)
	r := httptest.NewRequest(http.MethodGet, u.RequestURI(), nil)
	r.Host = u.Host
	if cookie != "" {
		r.Header.Set("Cookie", cookie)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// BenchmarkLogin runs, in each iteration, one login through every relying
// party in turn (starting with a different one each time), so that drift on
// a shared machine falls on all alike, and reports each one's time
// ("<rp>-ns/login") and its requests to the provider ("<rp>-req/login").
// RS256 is the common case, and there the provider's RSA signature is most
// of a login; ES256 shows more of the relying parties' own work.
func BenchmarkLogin(b *testing.B) {
	if os.Getenv("LOGINKIT_BENCH_SKIP_LOGIN") != "" {
		b.Skip("make bench runs it in a pass of its own, with a longer -benchtime")
	}
	for _, alg := range []string{"RS256", "ES256"} {
		b.Run(alg, func(b *testing.B) {
			op, rps := loginRPs(b, alg)
			br := browser(op)
			spent := make([]time.Duration, len(rps))
			start := make([]int64, len(rps))
			own := make([]time.Duration, len(rps)) // spent minus the provider's handler time
			for i, rp := range rps {
				start[i] = rp.count.n.Load()
			}
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				for k := range rps {
					i := (n + k) % len(rps)
					t0, busy := time.Now(), op.busy.Load()
					if err := login(rps[i], br); err != nil {
						b.Fatalf("%s: %v", rps[i].name, err)
					}
					d := time.Since(t0)
					spent[i] += d
					own[i] += d - time.Duration(op.busy.Load()-busy)
				}
				n++
			}
			for i, rp := range rps {
				b.ReportMetric(float64(spent[i].Nanoseconds())/float64(n), rp.name+"-ns/login")
				b.ReportMetric(float64(own[i].Nanoseconds())/float64(n), rp.name+"-own-ns/login")
				b.ReportMetric(float64(rp.count.n.Load()-start[i])/float64(n), rp.name+"-req/login")
			}
		})
	}
}

// TestLogin checks the login fixture: each relying party really signs the
// user in, and asks the provider what it is expected to per login once
// discovery and keys are cached (the token request, and userinfo where the
// relying party fetches the profile).
func TestLogin(t *testing.T) {
	t.Parallel()
	op, rps := loginRPs(t, "RS256")
	br := browser(op)
	want := map[string]map[oidctest.Endpoint]int{
		"loginkit":                {oidctest.EndpointToken: 1},
		"loginkit-userinfo":       {oidctest.EndpointToken: 1, oidctest.EndpointUserInfo: 1},
		"oauth2+go-oidc":          {oidctest.EndpointToken: 1},
		"oauth2+go-oidc+userinfo": {oidctest.EndpointToken: 1, oidctest.EndpointUserInfo: 1},
	}
	for _, rp := range rps { // one at a time: the provider's counters are shared
		op.ResetCounts()
		start := rp.count.n.Load()
		const n = 3
		for range n {
			if err := login(rp, br); err != nil {
				t.Fatalf("%s: %v", rp.name, err)
			}
		}
		total := 0
		for _, e := range []oidctest.Endpoint{oidctest.EndpointDiscovery, oidctest.EndpointJWKS, oidctest.EndpointToken,
			oidctest.EndpointUserInfo, oidctest.EndpointIntrospection, oidctest.EndpointRevocation} {
			got := op.Count(e)
			total += got
			if got != n*want[rp.name][e] {
				t.Errorf("%s: %d logins made %d %s requests, want %d", rp.name, n, got, e, n*want[rp.name][e])
			}
		}
		if got := rp.count.n.Load() - start; got != int64(total) {
			t.Errorf("%s: its client counted %d requests, the provider %d", rp.name, got, total)
		}
		if got := op.Count(oidctest.EndpointAuthorize); got != n {
			t.Errorf("%s: %d authorization requests for %d logins", rp.name, got, n)
		}
	}
}
