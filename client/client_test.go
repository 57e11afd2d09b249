package client_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/oidctest"
)

const redirect = "http://app.test/callback/t"

// memTransport serves requests with a handler in memory: fast enough for
// fuzzing, and no port to leak.
type memTransport struct{ h http.Handler }

func (m memTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	m.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

func newOP(t testing.TB, hooks oidctest.Hooks) (*oidctest.Provider, *client.Client) {
	t.Helper()
	op, err := oidctest.New(oidctest.Config{
		Issuer:      "http://op.test",
		Users:       []oidctest.User{{Subject: "ada", Email: "ada@example.com", EmailVerified: true, Name: "Ada"}},
		Clients:     []oidctest.Client{{ID: "app", Secret: "s3cret", RedirectURIs: []string{redirect}}},
		AutoApprove: "ada",
	})
	if err != nil {
		t.Fatal(err)
	}
	op.SetHooks(hooks)
	c, err := client.New(client.Provider{Name: "t", Issuer: op.Issuer(), ClientID: "app", ClientSecret: "s3cret",
		RedirectURL: redirect, HTTPClient: &http.Client{Transport: memTransport{op}}})
	if err != nil {
		t.Fatal(err)
	}
	return op, c
}

// authorize runs the authorization request against the provider in memory
// and returns the callback's parameters.
func authorize(t testing.TB, op http.Handler, authURL string) url.Values {
	t.Helper()
	rec := httptest.NewRecorder()
	op.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, authURL, nil))
	loc, err := url.Parse(rec.Header().Get("Location"))
	if err != nil || rec.Code != http.StatusFound {
		t.Fatalf("authorize: %d %q", rec.Code, rec.Body.String())
	}
	return loc.Query()
}

func TestBeginAuthorizationRequest(t *testing.T) {
	t.Parallel()
	_, c := newOP(t, oidctest.Hooks{})
	u1, f1, err := c.Begin(context.Background(), client.BeginOptions{ReturnTo: "/x", Prompt: "login",
		Params: map[string]string{"state": "attacker", "redirect_uri": "https://evil", "ui_locales": "fr"}})
	if err != nil {
		t.Fatal(err)
	}
	_, f2, _ := c.Begin(context.Background(), client.BeginOptions{})
	au, _ := url.Parse(u1)
	q := au.Query()
	sum := sha256.Sum256([]byte(f1.Verifier))
	checks := []struct {
		name string
		ok   bool
	}{
		{"state is the flow's, 256 bits", q.Get("state") == f1.State && len(f1.State) >= 43},
		{"states differ", f1.State != f2.State && f1.Nonce != f2.Nonce && f1.Verifier != f2.Verifier},
		{"nonce", q.Get("nonce") == f1.Nonce && len(f1.Nonce) >= 43},
		{"S256 challenge", q.Get("code_challenge_method") == "S256" && q.Get("code_challenge") == base64.RawURLEncoding.EncodeToString(sum[:])},
		{"exact redirect", q.Get("redirect_uri") == redirect && f1.RedirectURL == redirect},
		{"scopes", q.Get("scope") == "openid email profile"},
		{"prompt and extras", q.Get("prompt") == "login" && q.Get("ui_locales") == "fr"},
		{"reserved not overridable", len(q["state"]) == 1 && len(q["redirect_uri"]) == 1},
		{"verifier never sent", !strings.Contains(u1, f1.Verifier)},
		{"return_to kept, not sent", f1.ReturnTo == "/x" && q.Get("return_to") == ""},
	}
	for _, ch := range checks {
		if !ch.ok {
			t.Errorf("%s: %s", ch.name, u1)
		}
	}
}

func TestCallbackSuccess(t *testing.T) {
	t.Parallel()
	op, c := newOP(t, oidctest.Hooks{})
	authURL, f, err := c.Begin(context.Background(), client.BeginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Callback(context.Background(), f, authorize(t, op, authURL))
	if err != nil {
		t.Fatal(err)
	}
	u := res.User
	if u.Subject != "ada" || u.Email != "ada@example.com" || !u.EmailVerified || u.Name != "Ada" || u.Provider != "t" || u.SessionID == "" || !json.Valid(u.Raw) {
		t.Fatalf("user %+v", u)
	}
	if res.Tokens.AccessToken == "" || res.Tokens.RefreshToken == "" || res.Tokens.IDToken == "" || res.Tokens.Expiry.IsZero() {
		t.Fatalf("tokens %v", res.Tokens)
	}
	nt, err := c.Refresh(context.Background(), &res.Tokens, "ada")
	if err != nil || nt.RefreshToken == res.Tokens.RefreshToken || nt.AccessToken == res.Tokens.AccessToken {
		t.Fatalf("refresh: %v, rotated %t", err, nt != nil && nt.RefreshToken != res.Tokens.RefreshToken)
	}
	if _, err := c.Refresh(context.Background(), &res.Tokens, "ada"); !errors.Is(err, client.ErrInvalidGrant) {
		t.Fatalf("reusing a rotated refresh token: %v, want ErrInvalidGrant", err)
	}
	var pe *client.ProviderError
	if _, err := c.Refresh(context.Background(), nt, "ada"); !errors.As(err, &pe) || pe.Code != "invalid_grant" || pe.Status != 400 {
		t.Fatalf("after reuse detection the family is revoked: %v", err)
	}
}

func TestUserInfoSubjectMismatch(t *testing.T) {
	t.Parallel()
	op, c := newOP(t, oidctest.Hooks{})
	authURL, f, _ := c.Begin(context.Background(), client.BeginOptions{})
	res, err := c.Callback(context.Background(), f, authorize(t, op, authURL))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.UserInfo(context.Background(), &res.Tokens, "someone-else"); !errors.Is(err, client.ErrSubjectMismatch) {
		t.Fatalf("got %v, want ErrSubjectMismatch", err)
	}
	bad := res.Tokens
	bad.AccessToken = "forged"
	var pe *client.ProviderError
	_, err = c.UserInfo(context.Background(), &bad, "ada")
	if !errors.As(err, &pe) || pe.Status != 401 || pe.Code != "invalid_token" {
		t.Fatalf("forged access token: %v", err)
	}
	if strings.Contains(err.Error(), "forged") {
		t.Fatalf("error carries the token: %v", err)
	}
}

func TestDiscoveryIssuerMismatch(t *testing.T) {
	t.Parallel()
	op, _ := newOP(t, oidctest.Hooks{})
	c, err := client.New(client.Provider{Name: "t", Issuer: "http://other.test", ClientID: "app", RedirectURL: redirect,
		HTTPClient: &http.Client{Transport: rewriteHost{memTransport{op}, "op.test"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Discover(context.Background()); !errors.Is(err, client.ErrInvalidIssuer) || !errors.Is(err, client.ErrDiscovery) {
		t.Fatalf("got %v, want ErrDiscovery and ErrInvalidIssuer", err)
	}
}

type rewriteHost struct {
	rt   http.RoundTripper
	host string
}

func (r rewriteHost) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.URL.Host, req.Host = r.host, r.host
	return r.rt.RoundTrip(req)
}

func TestDiscoveryRefusals(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		doc  map[string]any
	}{
		{"no S256", map[string]any{"code_challenge_methods_supported": []string{"plain"}}},
		{"only none and HMAC", map[string]any{"id_token_signing_alg_values_supported": []string{"none", "HS256"}}},
		{"no token endpoint", map[string]any{"token_endpoint": ""}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc := map[string]any{"issuer": "http://op.test", "authorization_endpoint": "http://op.test/a",
				"token_endpoint": "http://op.test/t", "jwks_uri": "http://op.test/k"}
			for k, v := range tc.doc {
				doc[k] = v
			}
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { json.NewEncoder(w).Encode(doc) })
			c, _ := client.New(client.Provider{Name: "t", Issuer: "http://op.test", ClientID: "app", RedirectURL: redirect,
				HTTPClient: &http.Client{Transport: memTransport{h}}})
			if _, err := c.Discover(context.Background()); !errors.Is(err, client.ErrDiscovery) {
				t.Fatalf("got %v, want ErrDiscovery", err)
			}
		})
	}
}

func TestConfigRefusals(t *testing.T) {
	t.Parallel()
	base := client.Provider{Name: "t", Issuer: "http://op.test", ClientID: "app", RedirectURL: redirect}
	cases := map[string]func(*client.Provider){
		"no name":           func(p *client.Provider) { p.Name = "" },
		"no client id":      func(p *client.Provider) { p.ClientID = "" },
		"no redirect":       func(p *client.Provider) { p.RedirectURL = "" },
		"alg none":          func(p *client.Provider) { p.IDTokenAlgs = []string{"none"} },
		"alg HS256":         func(p *client.Provider) { p.IDTokenAlgs = []string{"RS256", "HS256"} },
		"oauth2 no token":   func(p *client.Provider) { p.Issuer, p.AuthURL = "", "http://x/a" },
		"oauth2 no profile": func(p *client.Provider) { p.Issuer, p.AuthURL, p.TokenURL = "", "http://x/a", "http://x/t" },
		"bad response mode": func(p *client.Provider) { p.ResponseMode = "fragment" },
	}
	for name, mutate := range cases {
		p := base
		mutate(&p)
		if _, err := client.New(p); !errors.Is(err, client.ErrInvalidConfig) {
			t.Errorf("%s: got %v, want ErrInvalidConfig", name, err)
		}
	}
}

// TestTokensRedacted: no fmt verb and no slog handler prints a token.
func TestTokensRedacted(t *testing.T) {
	t.Parallel()
	tok := client.Tokens{AccessToken: "AT-secret-1", RefreshToken: "RT-secret-2", IDToken: "ID-secret-3", TokenType: "Bearer"}
	var out []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		out = append(out, fmt.Sprintf(verb, tok), fmt.Sprintf(verb, &tok))
	}
	out = append(out, fmt.Sprint(struct{ T client.Tokens }{tok}), fmt.Sprintf("%+v", struct{ T *client.Tokens }{&tok}))
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "tokens", tok)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "tokens", tok)
	out = append(out, buf.String())
	for _, s := range out {
		for _, secret := range []string{"AT-secret-1", "RT-secret-2", "ID-secret-3", "41542d"} {
			if strings.Contains(s, secret) {
				t.Fatalf("token in %q", s)
			}
		}
	}
	if !strings.Contains(out[0], "access:true") {
		t.Fatalf("redacted form should say which tokens are set: %q", out[0])
	}
}

func TestProviderErrorBodyNotEchoed(t *testing.T) {
	t.Parallel()
	_, c := newOP(t, oidctest.Hooks{TokenResponse: func(r map[string]any) {}})
	bad := &client.Tokens{RefreshToken: "RT-not-known-anywhere"}
	_, err := c.Refresh(context.Background(), bad, "")
	var pe *client.ProviderError
	if !errors.As(err, &pe) || !errors.Is(err, client.ErrInvalidGrant) || strings.Contains(err.Error(), "RT-not-known") {
		t.Fatalf("got %v", err)
	}
}

func TestClaimMap(t *testing.T) {
	t.Parallel()
	cm := client.ClaimMap{Subject: "id", Email: "email", Name: "login", Picture: "avatar_url"}
	u, err := cm.Map(json.RawMessage(`{"id": 12345678901, "login": "octo", "email": null, "avatar_url": "https://a/x.png"}`))
	if err != nil || u.Subject != "12345678901" || u.Name != "octo" || u.Email != "" || u.Picture != "https://a/x.png" {
		t.Fatalf("%+v %v", u, err)
	}
	for _, raw := range []string{`{}`, `{"id": null}`, `[]`, `{"id": {"x":1}}`, `nope`} {
		if _, err := cm.Map(json.RawMessage(raw)); !errors.Is(err, client.ErrProviderResponse) {
			t.Errorf("%s: got %v, want ErrProviderResponse", raw, err)
		}
	}
}

func TestEndSessionURL(t *testing.T) {
	t.Parallel()
	_, c := newOP(t, oidctest.Hooks{})
	u, err := url.Parse(c.EndSessionURL(context.Background(), "IDT", "http://app.test/", "st"))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Path != "/end_session" || q.Get("id_token_hint") != "IDT" || q.Get("post_logout_redirect_uri") != "http://app.test/" || q.Get("state") != "st" || q.Get("client_id") != "app" {
		t.Fatalf("end session URL %s", u)
	}
}
