package e2e_test

// examples/webapp, built and run as a process, against panva's oidc-provider,
// driven by a scripted browser (net/http with a cookie jar, redirects followed
// by hand).

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/loginkit/loginkit/e2e/internal/realop"
)

const (
	// Access tokens of the refresh tests live accessTTL; the app refreshes
	// them refreshAhead before they expire.
	accessTTL    = 3 * time.Second
	refreshAhead = time.Second
	// expiryRounding: the app keeps token expiry in whole seconds
	// (session/codec.go stores Unix seconds), so it may refresh up to a
	// second earlier than refreshAhead asks; that errs on the safe side.
	expiryRounding = time.Second
	// expirySlack: how long past an expiry (by the test's clock, which
	// started before the app's and the OP's) the test waits before relying on it.
	expirySlack = 300 * time.Millisecond
)

var (
	// shortTokens: access tokens that live accessTTL, and an OP that refuses
	// them once expired (oidc-provider accepts them for 15 more seconds by
	// default; one second covers its whole-second rounding).
	shortTokens     = realop.Options{AccessTTL: accessTTL, Env: []string{"OP_CLOCK_TOLERANCE=1"}}
	refreshAheadEnv = "LOGINKIT_REFRESH_AHEAD=" + refreshAhead.String()
)

// realOPApp starts the real OP with the app's redirect and post-logout URIs
// registered, then the app configured for it.
func realOPApp(t *testing.T, opt realop.Options, env ...string) (*realop.OP, *webapp) {
	t.Helper()
	webappBinary(t) // build (or skip) before starting anything
	addr, release := reserveAddr(t)
	base := "http://" + addr
	opt.RedirectURIs = []string{base + "/callback/oidc"}
	opt.PostLogoutURIs = []string{base + "/logout/callback"}
	op := realop.Start(t, opt) // binds a port of its own: not ours, still held
	release()
	app := startWebapp(t, addr, oidcEnv(op.Issuer, env...)...)
	app.noLeak(realop.ConfidentialClientSecret)
	return op, app
}

// page is one HTTP response as the scripted browser saw it.
type page struct {
	status   int
	location *url.URL // resolved against the request URL; nil without one
	header   http.Header
	body     string
}

func (p page) String() string {
	s := http.StatusText(p.status)
	if p.location != nil {
		s += " → " + p.location.Scheme + "://" + p.location.Host + p.location.Path
	}
	return s
}

// fetch makes one request as a browser would (Accept: text/html…, unless
// hdr says otherwise), following no redirect.
func fetch(t *testing.T, hc *http.Client, method, target string, hdr http.Header, form url.Values) page {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8")
	for k, v := range hdr {
		req.Header[k] = v
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatalf("reading %s: %v", target, err)
	}
	p := page{status: resp.StatusCode, header: resp.Header, body: string(raw)}
	if loc, err := resp.Location(); err == nil {
		p.location = loc
	}
	return p
}

var jsonAccept = http.Header{"Accept": {"application/json"}}

func get(t *testing.T, hc *http.Client, target string) page {
	t.Helper()
	return fetch(t, hc, http.MethodGet, target, nil, nil)
}

func getJSON(t *testing.T, hc *http.Client, target string, into any) page {
	t.Helper()
	p := fetch(t, hc, http.MethodGet, target, jsonAccept, nil)
	if into != nil && p.status == http.StatusOK {
		if ct := p.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Fatalf("GET %s: Content-Type %q, want JSON", target, ct)
		}
		if err := json.Unmarshal([]byte(p.body), into); err != nil {
			t.Fatalf("GET %s: %v in %q", target, err, p.body)
		}
	}
	return p
}

// redirectTo checks that p redirects to want (scheme, host and path) and
// returns the full target.
func redirectTo(t *testing.T, p page, status int, want string) *url.URL {
	t.Helper()
	if p.status != status || p.location == nil {
		t.Fatalf("got %d %v, want a %d redirect to %s; body: %.300s", p.status, p.location, status, want, p.body)
	}
	if got := p.location.Scheme + "://" + p.location.Host + p.location.Path; got != want {
		t.Fatalf("redirected to %s, want %s", got, want)
	}
	return p.location
}

// signIn plays a person who opens startPath signed out: the app sends the
// browser to the OP, the person signs in as login and consents, and the app
// lands them back on startPath. It returns the final page, and the moment
// just before the browser returned to the app's callback (the tokens were
// issued after it).
func signIn(t *testing.T, op *realop.OP, app *webapp, hc *http.Client, startPath, login string) (page, time.Time) {
	t.Helper()
	target := app.URL + startPath
	if startPath == "/" {
		home := get(t, hc, target)
		if home.status != http.StatusOK || !strings.Contains(home.body, `id="signin-oidc" href="/login/oidc"`) {
			t.Fatalf("signed-out home page: %d, no sign-in button for oidc: %.500s", home.status, home.body)
		}
		target = app.URL + "/login/oidc"
	} else {
		// A protected page sends a signed-out browser to the login route.
		p := get(t, hc, target)
		loc := redirectTo(t, p, http.StatusFound, app.URL+"/login/oidc")
		if rt := loc.Query().Get("return_to"); rt != startPath {
			t.Fatalf("return_to = %q, want %q", rt, startPath)
		}
		target = loc.String()
	}
	authURL := redirectTo(t, get(t, hc, target), http.StatusFound, op.Issuer+"/auth")
	q := authURL.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("state") == "" || q.Get("nonce") == "" ||
		q.Get("redirect_uri") != app.URL+"/callback/oidc" {
		t.Fatalf("authorization request lacks PKCE S256, state, nonce or the redirect URI: %v", q)
	}
	cb := op.Authorize(t, hc, authURL.String(), login)
	if got := cb.Scheme + "://" + cb.Host + cb.Path; got != app.URL+"/callback/oidc" {
		t.Fatalf("the OP sent the browser to %s, want the app's callback", got)
	}
	app.noLeak(cb.Query().Get("code"), cb.Query().Get("state"))
	beforeCallback := time.Now()
	landing := redirectTo(t, get(t, hc, cb.String()), http.StatusSeeOther, app.URL+startPath)
	final := get(t, hc, landing.String())
	if final.status != http.StatusOK {
		t.Fatalf("after sign-in, %s answered %d: %.500s", landing, final.status, final.body)
	}
	return final, beforeCallback
}

// me is GET /me's answer.
type me struct {
	Sub           string `json:"sub"`
	Provider      string `json:"provider"`
	Email         string `json:"email"`
	EmailVerified bool   `json:"email_verified"`
	Name          string `json:"name"`
}

// userinfo is the OP's userinfo response as /profile passes it through.
type userinfo struct {
	Sub        string `json:"sub"`
	Email      string `json:"email"`
	Name       string `json:"name"`
	GivenName  string `json:"given_name"`
	FamilyName string `json:"family_name"`
}

func requireMe(t *testing.T, hc *http.Client, app *webapp, wantSub string) {
	t.Helper()
	var m me
	p := getJSON(t, hc, app.URL+"/me", &m)
	if p.status != http.StatusOK {
		t.Fatalf("GET /me: %d %.300s", p.status, p.body)
	}
	want := me{Sub: wantSub, Provider: "oidc", Email: wantSub + "@example.com", EmailVerified: true,
		Name: strings.ToUpper(wantSub[:1]) + wantSub[1:] + " Example"}
	if m != want {
		t.Fatalf("GET /me = %+v, want %+v", m, want)
	}
}

func requireProfile(t *testing.T, hc *http.Client, app *webapp, wantSub string) {
	t.Helper()
	var u userinfo
	p := getJSON(t, hc, app.URL+"/profile", &u)
	if p.status != http.StatusOK {
		t.Fatalf("GET /profile: %d %.300s", p.status, p.body)
	}
	if u.Sub != wantSub || u.Email != wantSub+"@example.com" || u.FamilyName != "Example" {
		t.Fatalf("GET /profile = %+v, want the OP's userinfo for %s", u, wantSub)
	}
}

func requireSignedOut(t *testing.T, hc *http.Client, app *webapp) {
	t.Helper()
	p := getJSON(t, hc, app.URL+"/me", nil)
	if p.status != http.StatusUnauthorized {
		t.Fatalf("GET /me (JSON) signed out: %d %.300s, want 401", p.status, p.body)
	}
	var e struct{ Message string }
	if err := json.Unmarshal([]byte(p.body), &e); err != nil || e.Message == "" {
		t.Fatalf("GET /me 401 body %q is not the JSON error (%v)", p.body, err)
	}
}

// snapshotJar copies the cookies the jar would send to u into a new jar: the
// same browser state, frozen (a second tab that missed later Set-Cookies).
func snapshotJar(t *testing.T, hc *http.Client, u string) *http.Client {
	t.Helper()
	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	jar.SetCookies(parsed, hc.Jar.Cookies(parsed))
	c := *hc
	c.Jar = jar
	return &c
}

// noLeakCookies registers every cookie value the browser holds for the app.
func noLeakCookies(t *testing.T, hc *http.Client, app *webapp) {
	t.Helper()
	u, err := url.Parse(app.URL)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range hc.Jar.Cookies(u) {
		app.noLeak(c.Value)
	}
}

// A newcomer's first run: sign in through the OP's login and consent forms,
// see who they are, and call the provider's API as themselves.
func TestWebappSignInRealOP(t *testing.T) {
	t.Parallel()
	op, app := realOPApp(t, realop.Options{})

	t.Run("home", func(t *testing.T) {
		hc := browser(t)
		home, _ := signIn(t, op, app, hc, "/", "alice")
		for _, want := range []string{`<h1 id="greeting">Hello, Alice Example</h1>`, `id="signout"`, `id="profile" href="/profile"`} {
			if !strings.Contains(home.body, want) {
				t.Errorf("signed-in home page lacks %s:\n%s", want, home.body)
			}
		}
		requireMe(t, hc, app, "alice")
		requireProfile(t, hc, app, "alice")
		noLeakCookies(t, hc, app)
		if n := op.GrantCount(t, "authorization_code"); n != 1 {
			t.Errorf("authorization_code grants = %d, want 1", n)
		}
	})

	t.Run("return_to", func(t *testing.T) {
		// A bookmark to /profile: sign in first, then land on it.
		hc := browser(t)
		p, _ := signIn(t, op, app, hc, "/profile", "bob")
		var u userinfo
		if err := json.Unmarshal([]byte(p.body), &u); err != nil || u.Sub != "bob" {
			t.Fatalf("landed on /profile with %q (%v), want bob's userinfo", p.body, err)
		}
		requireMe(t, hc, app, "bob")
		noLeakCookies(t, hc, app)
	})

	t.Run("signed_out", func(t *testing.T) {
		hc := browser(t)
		requireSignedOut(t, hc, app)
		if p := getJSON(t, hc, app.URL+"/profile", nil); p.status != http.StatusUnauthorized {
			t.Errorf("GET /profile (JSON) signed out: %d, want 401", p.status)
		}
	})

	t.Run("cancel", func(t *testing.T) {
		// "[ Cancel ]" on the OP's login page: the app shows its error page.
		hc := browser(t)
		authURL := redirectTo(t, get(t, hc, app.URL+"/login/oidc"), http.StatusFound, op.Issuer+"/auth")
		cb := op.AuthorizeCancel(t, hc, authURL.String())
		p := get(t, hc, cb.String())
		if p.status != http.StatusForbidden || !strings.Contains(p.body, "Sign-in was cancelled.") {
			t.Fatalf("cancelled sign-in: %d %.500s, want 403 and the app's error page", p.status, p.body)
		}
		if strings.Contains(p.body, "access_denied") {
			t.Errorf("the error page shows the provider's raw error code: %s", p.body)
		}
		requireSignedOut(t, hc, app)
	})
}

// sleepUntil waits for the moment, or fails when the test's context ends.
func sleepUntil(t *testing.T, when time.Time) {
	t.Helper()
	select {
	case <-time.After(time.Until(when)):
	case <-t.Context().Done():
		t.Fatal("test ended while waiting")
	}
}

// pollProfile calls /profile every 150ms, checking each answer, until the OP
// has served want refresh_token grants, and returns when the call that
// refreshed started and ended.
func pollProfile(t *testing.T, op *realop.OP, hc *http.Client, app *webapp, sub string, want int, deadline time.Time) (started, ended time.Time) {
	t.Helper()
	for {
		started = time.Now()
		requireProfile(t, hc, app, sub)
		ended = time.Now()
		switch n := op.GrantCount(t, "refresh_token"); {
		case n == want:
			return started, ended
		case n > want:
			t.Fatalf("refresh_token grants = %d, want %d: more refreshes than needed", n, want)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no refresh_token grant #%d by %v", want, deadline.Format(time.StampMilli))
		}
		sleepUntil(t, time.Now().Add(150*time.Millisecond))
	}
}

// The access token expires while the user is idle; the next call to the
// provider's API refreshes it first and succeeds.
func TestWebappRefreshAfterExpiry(t *testing.T) {
	t.Parallel()
	op, app := realOPApp(t, shortTokens, refreshAheadEnv)
	hc := browser(t)
	_, issued := signIn(t, op, app, hc, "/", "alice")
	signedIn := time.Now()

	asked := time.Now()
	requireProfile(t, hc, app, "alice")
	// Not yet due: a refresh is legitimate from issued+1s on (3s life, 1s
	// ahead, 1s rounding); half a second of margin for the request itself.
	if asked.Before(issued.Add(accessTTL - refreshAhead - expiryRounding - time.Second/2)) {
		if n := op.GrantCount(t, "refresh_token"); n != 0 {
			t.Fatalf("refresh_token grants = %d right after sign-in, want 0: a fresh token was refreshed", n)
		}
	}

	// Idle past the access token's expiry.
	sleepUntil(t, signedIn.Add(accessTTL+expirySlack))
	refreshing := time.Now()
	requireProfile(t, hc, app, "alice")
	if n := op.GrantCount(t, "refresh_token"); n != 1 {
		t.Errorf("refresh_token grants = %d after expiry, want 1", n)
	}
	if n := op.GrantErrorCount(t, "refresh_token"); n != 0 {
		t.Errorf("failed refresh_token grants = %d, want 0", n)
	}
	// The refreshed tokens were saved: the next call needs no refresh (when
	// it comes before the new token, too, could be due).
	asked = time.Now()
	requireProfile(t, hc, app, "alice")
	requireMe(t, hc, app, "alice")
	if asked.Before(refreshing.Add(accessTTL - refreshAhead - expiryRounding - time.Second/2)) {
		if n := op.GrantCount(t, "refresh_token"); n != 1 {
			t.Errorf("refresh_token grants = %d after another call, want still 1: the refreshed tokens were not kept", n)
		}
	}
	noLeakCookies(t, hc, app)
}

// Two refreshes in a row with oidc-provider's refresh token rotation (where
// reusing a rotated-out refresh token revokes the whole grant): each starts
// within LOGINKIT_REFRESH_AHEAD of expiry, none earlier, and a request still
// carrying the pre-rotation cookie does not spend the old refresh token.
func TestWebappRefreshRotation(t *testing.T) {
	t.Parallel()
	op, app := realOPApp(t, shortTokens, refreshAheadEnv)
	hc := browser(t)
	_, issued := signIn(t, op, app, hc, "/", "alice")
	beforeRotation := snapshotJar(t, hc, app.URL)

	// pollProfile returns right after the request that refreshed. Had that
	// request ended before early, the app would have refreshed a token that
	// was not yet due (issued is no later than the token's issue).
	firstStarted, firstEnded := pollProfile(t, op, hc, app, "alice", 1, issued.Add(accessTTL+5*time.Second))
	if early := issued.Add(accessTTL - refreshAhead - expiryRounding); firstEnded.Before(early) {
		t.Errorf("first refresh done %v after sign-in, want no earlier than %v (token life %v, refresh ahead %v, expiry kept in whole seconds)",
			firstEnded.Sub(issued), early.Sub(issued), accessTTL, refreshAhead)
	}

	// A second tab still holding the pre-rotation cookie.
	requireProfile(t, beforeRotation, app, "alice")
	if n := op.GrantErrorCount(t, "refresh_token"); n != 0 {
		t.Fatalf("failed refresh_token grants = %d: the old refresh token was reused", n)
	}
	if n := op.GrantCount(t, "refresh_token"); n != 1 {
		t.Fatalf("refresh_token grants = %d after the stale request, want still 1", n)
	}

	_, secondEnded := pollProfile(t, op, hc, app, "alice", 2, firstEnded.Add(accessTTL+5*time.Second))
	if early := firstStarted.Add(accessTTL - refreshAhead - expiryRounding); secondEnded.Before(early) {
		t.Errorf("second refresh done %v after the first started, want no earlier than %v", secondEnded.Sub(firstStarted), early.Sub(firstStarted))
	}
	requireProfile(t, hc, app, "alice")
	requireMe(t, hc, app, "alice")
	if n := op.GrantCount(t, "refresh_token"); n != 2 {
		t.Errorf("refresh_token grants = %d, want 2", n)
	}
	if n := op.GrantErrorCount(t, "refresh_token"); n != 0 {
		t.Errorf("failed refresh_token grants = %d, want 0 (a rotated-out token was reused, revoking the grant)", n)
	}
	noLeakCookies(t, hc, app)
}

// Sign-out through the OP's end-session endpoint (RP-Initiated Logout).
func TestWebappLogoutRealOP(t *testing.T) {
	t.Parallel()
	op, app := realOPApp(t, realop.Options{})
	hc := browser(t)
	signIn(t, op, app, hc, "/", "alice")
	requireProfile(t, hc, app, "alice")
	noLeakCookies(t, hc, app)
	beforeLogout := snapshotJar(t, hc, app.URL)

	// Logout CSRF: a POST from another site is refused, and changes nothing.
	evil := fetch(t, hc, http.MethodPost, app.URL+"/logout", http.Header{"Origin": {"http://evil.example"}}, url.Values{})
	if evil.status != http.StatusForbidden {
		t.Fatalf("cross-site POST /logout: %v, want 403", evil)
	}
	requireMe(t, hc, app, "alice")

	out := fetch(t, hc, http.MethodPost, app.URL+"/logout", http.Header{"Origin": {app.URL}}, url.Values{})
	endSession := redirectTo(t, out, http.StatusSeeOther, op.Issuer+"/session/end")
	q := endSession.Query()
	hint := q.Get("id_token_hint")
	app.noLeak(hint)
	if !jwtPattern.MatchString(hint) {
		t.Errorf("id_token_hint is not an ID token: %.20q", hint)
	}
	if got := q.Get("post_logout_redirect_uri"); got != app.URL+"/logout/callback" {
		t.Errorf("post_logout_redirect_uri = %q, want %q", got, app.URL+"/logout/callback")
	}
	state := q.Get("state")
	if len(state) < 43 {
		t.Errorf("end-session request state = %q, want 256 random bits", state)
	}
	// The app's session is gone before the browser even reaches the OP.
	requireSignedOut(t, hc, app)

	back := op.EndSession(t, hc, endSession.String())
	if got := back.Scheme + "://" + back.Host + back.Path; got != app.URL+"/logout/callback" || back.Query().Get("state") != state {
		t.Fatalf("the OP sent the browser to %s after sign-out, want %s/logout/callback with the state", back, app.URL)
	}
	// The app checks the state, then lands the browser on its home page.
	landing := redirectTo(t, get(t, hc, back.String()), http.StatusSeeOther, app.URL+"/")
	home := get(t, hc, landing.String())
	if home.status != http.StatusOK || !strings.Contains(home.body, `id="signin-oidc"`) || strings.Contains(home.body, `id="greeting"`) {
		t.Fatalf("home page after sign-out: %d %.500s, want the sign-in button", home.status, home.body)
	}
	requireSignedOut(t, hc, app)

	// The provider's session ended too: signing in again asks who you are.
	signIn(t, op, app, hc, "/", "bob")
	requireMe(t, hc, app, "bob")

	// The cookie store is stateless, so a copy of the old cookie still names
	// alice; but her tokens were revoked, so the provider's API refuses them.
	if p := getJSON(t, beforeLogout, app.URL+"/profile", nil); p.status != http.StatusUnauthorized {
		t.Errorf("GET /profile with the pre-logout cookie: %d %.200s, want 401 (tokens revoked at sign-out)", p.status, p.body)
	}
}

// BUG (middleware/refresh.go, refresher.refresh): a request that still carries
// the pre-rotation session cookie, arriving within rotationMemory (2 min) of
// the refresh but after the access token that refresh produced has expired,
// is handed that remembered, expired access token: the provider refuses it
// and the app answers 401 "please sign in again" although the session's
// refresh token chain is intact. (The same cookie's next request works,
// because the first one saved the remembered refresh token.) A browser keeps
// the old cookie when the response that carried the rotated one never reached
// it: an aborted request, a navigation away, a dropped connection.
func TestWebappPreRotationCookieAfterRefreshedTokenExpired(t *testing.T) {
	t.Parallel()
	op, app := realOPApp(t, shortTokens, refreshAheadEnv)
	hc := browser(t)
	signIn(t, op, app, hc, "/", "alice")
	signedIn := time.Now()
	lostSetCookie := snapshotJar(t, hc, app.URL)

	sleepUntil(t, signedIn.Add(accessTTL+expirySlack))
	requireProfile(t, hc, app, "alice") // refresh #1, rotation; the snapshot never sees it
	refreshed := time.Now()
	if n := op.GrantCount(t, "refresh_token"); n != 1 {
		t.Fatalf("refresh_token grants = %d, want 1", n)
	}

	// Past the expiry of refresh #1's access token (plus the OP's one-second
	// tolerance), still well within the app's two-minute rotation memory.
	sleepUntil(t, refreshed.Add(accessTTL+time.Second+expirySlack))
	var u userinfo
	p := getJSON(t, lostSetCookie, app.URL+"/profile", &u)
	if p.status != http.StatusOK || u.Sub != "alice" {
		t.Errorf("GET /profile with the pre-rotation cookie: %d %.200s, want 200 with alice's profile: "+
			"the refresher's remembered result (middleware/refresh.go) is returned without checking that its "+
			"access token is still fresh", p.status, p.body)
	}
	if n := op.GrantErrorCount(t, "refresh_token"); n != 0 {
		t.Errorf("failed refresh_token grants = %d, want 0 (a rotated-out refresh token was spent)", n)
	}
	requireProfile(t, hc, app, "alice")
}
