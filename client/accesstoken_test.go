package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/oidctest"
)

// The resource servers of the access-token tests.
const (
	apiAud      = "https://api.test"
	otherAud    = "https://other.test"
	opaqueAud   = "https://opaque.test"
	rsID, rsSec = "rs", "rs-secret" // the resource server's own client, for introspection
)

// rsEnv is a provider on a loopback port (so that timeouts are real
// network timeouts) issuing access tokens, and a verifier for apiAud.
type rsEnv struct {
	op  *oidctest.Server
	clk *fakeClock
	v   *client.AccessTokenVerifier
}

func newRS(t testing.TB, cfg client.AccessTokenConfig, mutate ...func(*client.Provider)) *rsEnv {
	t.Helper()
	clk := newFakeClock()
	op, err := oidctest.NewServer(oidctest.Config{
		Users: []oidctest.User{{Subject: "ada", Email: "ada@example.com"}},
		Clients: []oidctest.Client{
			{ID: svcID, Secret: svcSecret, GrantTypes: []string{"client_credentials"}},
			{ID: rsID, Secret: rsSec, GrantTypes: []string{"client_credentials"}},
			{ID: legacyID, Secret: legacySecret, RedirectURIs: []string{redirect}, GrantTypes: []string{"authorization_code", "refresh_token"}},
		},
		Resources:   []oidctest.Resource{{Indicator: apiAud}, {Indicator: otherAud}, {Indicator: opaqueAud, Opaque: true}},
		AutoApprove: "ada",
		Now:         clk.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(op.Close)
	p := client.Provider{Name: "op", Issuer: op.Issuer(), ClientID: rsID, ClientSecret: rsSec,
		HTTPClient: op.Client(), Now: clk.Now}
	for _, m := range mutate {
		m(&p)
	}
	c, err := client.NewWithoutRedirect(p)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Audience == "" {
		cfg.Audience = apiAud
	}
	v, err := client.NewAccessTokenVerifier(c, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &rsEnv{op: op, clk: clk, v: v}
}

// token gets an access token for resource ("" for none) with the client
// credentials grant, as a calling service would.
func (e *rsEnv) token(t testing.TB, resource string) string {
	t.Helper()
	c, err := client.NewWithoutRedirect(client.Provider{Name: "svc", Issuer: e.op.Issuer(), ClientID: svcID,
		ClientSecret: svcSecret, HTTPClient: e.op.Client(), Now: e.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	o := client.ClientCredentialsOptions{Scopes: []string{"api:read", "api:write"}}
	if resource != "" {
		o.Params = url.Values{"resource": {resource}}
	}
	tok, err := c.ClientCredentials(o).Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return tok.AccessToken
}

// idAndRefreshToken signs ada in at the legacy client and returns its ID
// and refresh tokens.
func (e *rsEnv) idAndRefreshToken(t testing.TB) (string, string) {
	t.Helper()
	c, err := client.New(client.Provider{Name: "web", Issuer: e.op.Issuer(), ClientID: legacyID, ClientSecret: legacySecret,
		RedirectURL: redirect, HTTPClient: e.op.Client(), Now: e.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	authURL, f, err := c.Begin(context.Background(), client.BeginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Callback(context.Background(), f, authorize(t, e.op, authURL))
	if err != nil {
		t.Fatal(err)
	}
	return res.Tokens.IDToken, res.Tokens.RefreshToken
}

// wantRefused checks a refusal: the exact reason, ErrInvalidAccessToken, and
// no token in the error's text.
func wantRefused(t *testing.T, tok *client.AccessToken, err, reason error, raw string) {
	t.Helper()
	if tok != nil || !errors.Is(err, reason) || !errors.Is(err, client.ErrInvalidAccessToken) {
		t.Fatalf("got %v, %v; want a refusal for %v", tok, err, reason)
	}
	noToken(t, err, raw)
}

func noToken(t *testing.T, err error, raw string) {
	t.Helper()
	if len(raw) >= 32 && strings.Contains(err.Error(), raw) {
		t.Fatalf("the error holds the token: %v", err)
	}
}

func TestVerifyJWTAccessToken(t *testing.T) {
	t.Parallel()
	e := newRS(t, client.AccessTokenConfig{})
	raw := e.token(t, apiAud)
	tok, err := e.v.Verify(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Issuer != e.op.Issuer() || tok.Subject != svcID || tok.ClientID != svcID || tok.JWTID == "" ||
		!tok.HasScope("api:read") || !tok.HasScope("api:write") || tok.HasScope("admin") ||
		tok.Introspected || tok.Expiry.IsZero() || len(tok.Raw) == 0 {
		t.Fatalf("claims %+v", tok)
	}
	if n := e.op.Count(oidctest.EndpointIntrospection); n != 0 {
		t.Fatalf("a JWT was introspected %d times", n)
	}
}

func TestVerifyJWTAccessTokenRefusals(t *testing.T) {
	t.Parallel()
	claims := func(f func(c map[string]any)) oidctest.Hooks { return oidctest.Hooks{AccessTokenClaims: f} }
	future := time.Unix(1_800_000_000, 0).Add(10 * time.Minute).Unix()
	cases := []struct {
		name     string
		hooks    oidctest.Hooks
		resource string
		advance  time.Duration
		reason   error
	}{
		{"typ JWT", oidctest.Hooks{AccessTokenType: "JWT"}, apiAud, 0, client.ErrAccessTokenType},
		{"typ at+jwt+x", oidctest.Hooks{AccessTokenType: "at+jwt+x"}, apiAud, 0, client.ErrAccessTokenType},
		{"wrong iss", claims(func(c map[string]any) { c["iss"] = "http://evil.test" }), apiAud, 0, client.ErrInvalidIssuer},
		{"token for another API", oidctest.Hooks{}, otherAud, 0, client.ErrAccessTokenAudience},
		{"aud among others lacking ours", claims(func(c map[string]any) { c["aud"] = []string{otherAud, "x"} }), apiAud, 0, client.ErrAccessTokenAudience},
		{"expired", oidctest.Hooks{}, apiAud, time.Hour + time.Second, client.ErrAccessTokenExpired},
		{"exp exactly now", oidctest.Hooks{}, apiAud, time.Hour, client.ErrAccessTokenExpired},
		{"no exp", claims(func(c map[string]any) { delete(c, "exp") }), apiAud, 0, client.ErrAccessTokenExpired},
		{"nbf in the future", claims(func(c map[string]any) { c["nbf"] = future }), apiAud, 0, client.ErrAccessTokenNotYetValid},
		{"iat in the future", claims(func(c map[string]any) { c["iat"] = future }), apiAud, 0, client.ErrAccessTokenNotYetValid},
		{"no sub", claims(func(c map[string]any) { delete(c, "sub") }), apiAud, 0, client.ErrMalformedAccessToken},
		{"scope not a string", claims(func(c map[string]any) { c["scope"] = 42 }), apiAud, 0, client.ErrMalformedAccessToken},
		{"nbf not a number (go-oidc refuses it)", claims(func(c map[string]any) { c["nbf"] = "soon" }), apiAud, 0, client.ErrAccessTokenSignature},
		{"DPoP-bound (cnf)", claims(func(c map[string]any) { c["cnf"] = map[string]any{"jkt": "abc"} }), apiAud, 0, client.ErrSenderConstrained},
		{"bad signature", oidctest.Hooks{BadSignature: true}, apiAud, 0, client.ErrAccessTokenSignature},
		{"alg none", oidctest.Hooks{SignAlg: "none"}, apiAud, 0, client.ErrAccessTokenSignature},
		{"alg HS256 with the client secret", oidctest.Hooks{SignAlg: "HS256"}, apiAud, 0, client.ErrAccessTokenSignature},
		{"alg RS384 off the allow-list", oidctest.Hooks{SignAlg: "RS384"}, apiAud, 0, client.ErrAccessTokenSignature},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newRS(t, client.AccessTokenConfig{})
			e.op.SetHooks(tc.hooks)
			raw := e.token(t, tc.resource)
			e.clk.Advance(tc.advance)
			tok, err := e.v.Verify(context.Background(), raw)
			wantRefused(t, tok, err, tc.reason, raw)
		})
	}
}

func TestVerifyAccessTokenMalformed(t *testing.T) {
	t.Parallel()
	e := newRS(t, client.AccessTokenConfig{Format: client.AccessTokenJWT})
	cases := map[string]string{
		"empty":                "",
		"space inside":         "abc def",
		"quote":                `abc"def`,
		"non-ASCII":            "abc\u00e9",
		"only padding":         "==",
		"too long":             strings.Repeat("a", client.MaxAccessTokenBytes+1),
		"header not JSON":      "bm90IGpzb24.eyJzdWIiOiJ4In0.c2ln",
		"empty parts":          "..",
		"opaque in JWT mode":   "opaque-token-value",
		"not base64 JSON":      "eyJ.eyJ.",
		"header lacks alg":     "eyJ0eXAiOiJhdCtqd3QifQ.eyJzdWIiOiJ4In0.c2ln",
		"alg unknown to jose":  "eyJhbGciOiJYWDk5IiwidHlwIjoiYXQrand0In0.eyJzdWIiOiJ4In0.c2ln",
		"signature not base64": "eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJ4In0.!!",
	}
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) {
			tok, err := e.v.Verify(context.Background(), raw)
			wantRefused(t, tok, err, client.ErrMalformedAccessToken, raw)
		})
	}
	if n := e.op.Count(oidctest.EndpointIntrospection); n != 0 {
		t.Fatalf("JWT mode introspected %d times", n)
	}
}

// An ID token is signed by the same keys: typ tells it apart.
func TestVerifyAccessTokenRefusesIDToken(t *testing.T) {
	t.Parallel()
	e := newRS(t, client.AccessTokenConfig{Audience: legacyID, Format: client.AccessTokenJWT})
	idToken, _ := e.idAndRefreshToken(t)
	tok, err := e.v.Verify(context.Background(), idToken)
	wantRefused(t, tok, err, client.ErrAccessTokenType, idToken)
}

// InsecureTypes accepts typ JWT, and still refuses an ID token by its
// audience, which may then not be the client ID.
func TestVerifyAccessTokenInsecureTypes(t *testing.T) {
	t.Parallel()
	e := newRS(t, client.AccessTokenConfig{InsecureTypes: []string{"JWT"}})
	e.op.SetHooks(oidctest.Hooks{AccessTokenType: "JWT"})
	if _, err := e.v.Verify(context.Background(), e.token(t, apiAud)); err != nil {
		t.Fatal(err)
	}
	idToken, _ := e.idAndRefreshToken(t)
	tok, err := e.v.Verify(context.Background(), idToken)
	wantRefused(t, tok, err, client.ErrAccessTokenAudience, idToken)
}

// After a key rotation the unknown kid makes the verifier fetch the keys
// again, once; a token signed by the retired key is refused.
func TestVerifyAccessTokenKeyRotation(t *testing.T) {
	t.Parallel()
	e := newRS(t, client.AccessTokenConfig{})
	old := e.token(t, apiAud)
	if _, err := e.v.Verify(context.Background(), old); err != nil {
		t.Fatal(err)
	}
	if err := e.op.RotateKeys(false); err != nil {
		t.Fatal(err)
	}
	before := e.op.Count(oidctest.EndpointJWKS)
	fresh := e.token(t, apiAud)
	for range 3 {
		if _, err := e.v.Verify(context.Background(), fresh); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.op.Count(oidctest.EndpointJWKS) - before; n != 1 {
		t.Fatalf("JWKS fetched %d times after the rotation, want 1", n)
	}
	tok, err := e.v.Verify(context.Background(), old)
	wantRefused(t, tok, err, client.ErrAccessTokenSignature, old)
}

// When the keys or the discovery document cannot be fetched, the token is
// not refused: the error says the check could not run.
func TestVerifyAccessTokenOutages(t *testing.T) {
	t.Parallel()
	down := func(at oidctest.Endpoint) oidctest.Hooks {
		return oidctest.Hooks{Intercept: func(e oidctest.Endpoint, w http.ResponseWriter, r *http.Request) bool {
			if e != at {
				return false
			}
			w.WriteHeader(http.StatusInternalServerError)
			return true
		}}
	}
	hang := oidctest.Hooks{Intercept: func(e oidctest.Endpoint, w http.ResponseWriter, r *http.Request) bool {
		if e != oidctest.EndpointJWKS {
			return false
		}
		select {
		case <-r.Context().Done():
		case <-hangStop(r): // the test is over: let the server close
		}
		return true
	}}
	cases := []struct {
		name   string
		hooks  oidctest.Hooks
		reason error
	}{
		{"JWKS answers 500", down(oidctest.EndpointJWKS), client.ErrKeysUnavailable},
		{"JWKS hangs", hang, context.DeadlineExceeded},
		{"discovery answers 500", down(oidctest.EndpointDiscovery), client.ErrDiscovery},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newRS(t, client.AccessTokenConfig{}, func(p *client.Provider) { p.Timeout = 200 * time.Millisecond })
			raw := e.token(t, apiAud)
			stop := make(chan struct{})
			t.Cleanup(func() { close(stop) }) // runs before newRS's cleanups close the provider
			e.op.SetHooks(oidctest.Hooks{Intercept: func(ep oidctest.Endpoint, w http.ResponseWriter, r *http.Request) bool {
				return tc.hooks.Intercept(ep, w, r.WithContext(context.WithValue(r.Context(), hangStopKey{}, (<-chan struct{})(stop))))
			}})
			tok, err := e.v.Verify(context.Background(), raw)
			if tok != nil || !errors.Is(err, tc.reason) || errors.Is(err, client.ErrInvalidAccessToken) {
				t.Fatalf("got %v, %v; want %v and no refusal", tok, err, tc.reason)
			}
			noToken(t, err, raw)
		})
	}
}

func TestNewAccessTokenVerifierConfig(t *testing.T) {
	t.Parallel()
	c, err := client.NewWithoutRedirect(client.Provider{Name: "op", Issuer: "http://op.test", ClientID: rsID, ClientSecret: rsSec})
	if err != nil {
		t.Fatal(err)
	}
	for name, cfg := range map[string]client.AccessTokenConfig{
		"no audience":                  {},
		"insecure types, aud = client": {Audience: rsID, InsecureTypes: []string{"JWT"}},
		"unknown format":               {Audience: apiAud, Format: 7},
		"negative TTL":                 {Audience: apiAud, CacheTTL: -time.Second},
	} {
		if _, err := client.NewAccessTokenVerifier(c, cfg); !errors.Is(err, client.ErrInvalidConfig) {
			t.Errorf("%s: %v, want ErrInvalidConfig", name, err)
		}
	}
	if _, err := client.NewAccessTokenVerifier(nil, client.AccessTokenConfig{Audience: apiAud}); !errors.Is(err, client.ErrInvalidConfig) {
		t.Errorf("nil client: %v", err)
	}
}
