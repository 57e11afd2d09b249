package oidctest_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/loginkit/loginkit/oidctest"
)

const (
	redirectURI  = "http://127.0.0.1:9/callback" // never contacted
	logoutURI    = "http://127.0.0.1:9/signed-out"
	appID        = "app"
	appSecret    = "app-secret"
	spaID        = "spa" // public client
	otherID      = "other"
	otherSecret  = "other-secret"
	testNonce    = "n-0S6_WzA2Mj"
	testState    = "st-af0ifjsldkj"
	defaultScope = "openid email profile"
)

// clock is an injectable clock for Config.Now and oidc.Config.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Unix(1_800_000_000, 0)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func testConfig(clk *clock) oidctest.Config {
	return oidctest.Config{
		Users: []oidctest.User{
			{
				Subject: "alice", Email: "alice@example.com", EmailVerified: true, Name: "Alice Liddell",
				GivenName: "Alice", FamilyName: "Liddell", Picture: "https://example.com/alice.png",
				Extra: map[string]any{"groups": []any{"admins"}},
			},
			{Subject: "bob", Email: "bob@example.com", Name: "Bob"},
		},
		Clients: []oidctest.Client{
			{ID: appID, Secret: appSecret, RedirectURIs: []string{redirectURI}, PostLogoutRedirectURIs: []string{logoutURI}},
			{ID: spaID, RedirectURIs: []string{redirectURI}},
			{ID: otherID, Secret: otherSecret, RedirectURIs: []string{redirectURI}},
		},
		AutoApprove: "alice",
		Now:         clk.Now,
	}
}

// env is one provider under test with its clock.
type env struct {
	t   *testing.T
	srv *oidctest.Server
	clk *clock
}

func newEnv(t *testing.T, mutate ...func(*oidctest.Config)) *env {
	t.Helper()
	clk := newClock()
	cfg := testConfig(clk)
	for _, m := range mutate {
		m(&cfg)
	}
	srv, err := oidctest.NewServer(cfg)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, clk: clk}
}

// noRedirect is the server's client, stopping at redirects.
func (e *env) noRedirect() *http.Client {
	c := e.srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

type pkce struct{ verifier, challenge string }

func newPKCE() pkce {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	v := base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(v))
	return pkce{verifier: v, challenge: base64.RawURLEncoding.EncodeToString(sum[:])}
}

// authParams returns a valid authorization request for clientID.
func authParams(clientID string, pk pkce) url.Values {
	return url.Values{
		"client_id": {clientID}, "redirect_uri": {redirectURI}, "response_type": {"code"},
		"scope": {defaultScope}, "state": {testState}, "nonce": {testNonce},
		"code_challenge": {pk.challenge}, "code_challenge_method": {"S256"},
	}
}

// get sends a GET to the issuer-relative path with query q, not following redirects.
func (e *env) get(path string, q url.Values) *http.Response {
	e.t.Helper()
	resp, err := e.noRedirect().Get(e.srv.Issuer() + path + "?" + q.Encode())
	if err != nil {
		e.t.Fatalf("GET %s: %v", path, err)
	}
	e.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// post sends a form to the issuer-relative path, not following redirects.
// If basic is non-empty it is sent as HTTP Basic credentials {id, secret}.
func (e *env) post(path string, form url.Values, basic ...string) *http.Response {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.Issuer()+path, strings.NewReader(form.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if len(basic) == 2 {
		req.SetBasicAuth(url.QueryEscape(basic[0]), url.QueryEscape(basic[1]))
	}
	resp, err := e.noRedirect().Do(req)
	if err != nil {
		e.t.Fatalf("POST %s: %v", path, err)
	}
	e.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// callback returns the parameters of a 302 authorization response.
func (e *env) callback(resp *http.Response) url.Values {
	e.t.Helper()
	if resp.StatusCode != http.StatusFound {
		body, _ := io.ReadAll(resp.Body)
		e.t.Fatalf("authorize status = %d, want 302; body %s", resp.StatusCode, body)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		e.t.Fatal(err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != redirectURI {
		e.t.Fatalf("redirected to %q, want %q", got, redirectURI)
	}
	return loc.Query()
}

// code runs an authorization request for clientID and returns the code.
func (e *env) code(clientID string, pk pkce) string {
	e.t.Helper()
	q := e.callback(e.get("/authorize", authParams(clientID, pk)))
	if q.Get("code") == "" {
		e.t.Fatalf("no code in callback: %v", q)
	}
	return q.Get("code")
}

type tokenResponse struct {
	AccessToken      string `json:"access_token"`
	TokenType        string `json:"token_type"`
	ExpiresIn        int    `json:"expires_in"`
	RefreshToken     string `json:"refresh_token"`
	IDToken          string `json:"id_token"`
	Scope            string `json:"scope"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

func decode[T any](t *testing.T, resp *http.Response) T {
	t.Helper()
	var v T
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatalf("decoding %d response: %v", resp.StatusCode, err)
	}
	return v
}

// exchange redeems code for the confidential app client.
func (e *env) exchange(code, verifier string) (*http.Response, tokenResponse) {
	e.t.Helper()
	resp := e.post("/token", url.Values{
		"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {redirectURI}, "code_verifier": {verifier},
	}, appID, appSecret)
	return resp, decode[tokenResponse](e.t, resp)
}

// login runs the whole code flow for the app client and returns the tokens.
func (e *env) login() tokenResponse {
	e.t.Helper()
	pk := newPKCE()
	resp, tok := e.exchange(e.code(appID, pk), pk.verifier)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("token status = %d: %+v", resp.StatusCode, tok)
	}
	return tok
}

// refresh uses a refresh token for the app client.
func (e *env) refresh(rt string, extra ...string) (*http.Response, tokenResponse) {
	e.t.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
	for i := 0; i+1 < len(extra); i += 2 {
		form.Set(extra[i], extra[i+1])
	}
	resp := e.post("/token", form, appID, appSecret)
	return resp, decode[tokenResponse](e.t, resp)
}

// verifier is a go-oidc ID token verifier for clientID, using the env clock.
func (e *env) verifier(clientID string) *oidc.IDTokenVerifier {
	e.t.Helper()
	ctx := oidc.ClientContext(context.Background(), e.srv.Client())
	p, err := oidc.NewProvider(ctx, e.srv.Issuer())
	if err != nil {
		e.t.Fatalf("oidc.NewProvider: %v", err)
	}
	return p.Verifier(&oidc.Config{ClientID: clientID, Now: e.clk.Now})
}

// verify checks an ID token with go-oidc.
func (e *env) verify(clientID, raw string) (*oidc.IDToken, error) {
	ctx := oidc.ClientContext(context.Background(), e.srv.Client())
	return e.verifier(clientID).Verify(ctx, raw)
}

// userinfo calls the userinfo endpoint with a Bearer token.
func (e *env) userinfo(accessToken string) *http.Response {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.srv.Issuer()+"/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// wantError checks an RFC 6749 §5.2 error response.
func wantError(t *testing.T, resp *http.Response, tok tokenResponse, status int, code string) {
	t.Helper()
	if resp.StatusCode != status || tok.Error != code {
		t.Fatalf("got %d %q (%s), want %d %q", resp.StatusCode, tok.Error, tok.ErrorDescription, status, code)
	}
}
