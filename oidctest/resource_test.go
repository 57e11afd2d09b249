package oidctest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"

	"github.com/loginkit/loginkit/oidctest"
)

const (
	apiJWT    = "https://api.example.com"
	apiOpaque = "https://opaque.example.com"
)

func withResources(c *oidctest.Config) {
	withGrants(c)
	c.Resources = []oidctest.Resource{{Indicator: apiJWT}, {Indicator: apiOpaque, Opaque: true}}
}

// jwtHeaderAndClaims verifies an access token's signature against the JWKS
// with go-oidc (claims checks off) and returns its typ and claims.
func (e *env) jwtHeaderAndClaims(raw string) (string, map[string]any) {
	e.t.Helper()
	jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		e.t.Fatalf("not a JWS: %v", err)
	}
	typ, _ := jws.Signatures[0].Protected.ExtraHeaders[jose.HeaderType].(string)
	ctx := oidc.ClientContext(context.Background(), e.srv.Client())
	keys := oidc.NewRemoteKeySet(ctx, e.srv.Issuer()+"/jwks")
	payload, err := keys.VerifySignature(ctx, raw)
	if err != nil {
		e.t.Fatalf("signature: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		e.t.Fatal(err)
	}
	return typ, claims
}

func TestResourceJWTAccessTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withResources)
	cc := func(resource string) (*http.Response, tokenResponse) {
		form := url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}}
		if resource != "" {
			form.Set("resource", resource)
		}
		resp := e.post("/token", form, svcID, svcSecret)
		return resp, decode[tokenResponse](t, resp)
	}

	resp, tok := cc(apiJWT)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %+v", resp.StatusCode, tok)
	}
	typ, claims := e.jwtHeaderAndClaims(tok.AccessToken)
	if typ != "at+jwt" {
		t.Errorf("typ = %q, want at+jwt", typ)
	}
	for k, want := range map[string]any{"iss": e.srv.Issuer(), "sub": svcID, "aud": apiJWT, "client_id": svcID, "scope": "api:read"} {
		if claims[k] != want {
			t.Errorf("%s = %v, want %v", k, claims[k], want)
		}
	}
	if claims["jti"] == "" || claims["exp"] == nil || claims["iat"] == nil {
		t.Errorf("claims %v lack jti, exp or iat", claims)
	}
	intro := decode[map[string]any](t, e.post("/introspect", url.Values{"token": {tok.AccessToken}}, otherID, otherSecret))
	if intro["active"] != true || intro["aud"] != apiJWT {
		t.Errorf("introspection of the JWT: %v", intro)
	}

	_, opaque := cc(apiOpaque)
	if _, err := jose.ParseSignedCompact(opaque.AccessToken, []jose.SignatureAlgorithm{jose.RS256}); err == nil {
		t.Error("an Opaque resource got a JWT")
	}
	intro = decode[map[string]any](t, e.post("/introspect", url.Values{"token": {opaque.AccessToken}}, otherID, otherSecret))
	if intro["active"] != true || intro["aud"] != apiOpaque {
		t.Errorf("introspection of the opaque token: %v", intro)
	}

	_, plain := cc("")
	intro = decode[map[string]any](t, e.post("/introspect", url.Values{"token": {plain.AccessToken}}, otherID, otherSecret))
	if intro["active"] != true || intro["aud"] != svcID {
		t.Errorf("a token without resource: %v", intro)
	}

	resp, bad := cc("https://unknown.example.com")
	wantError(t, resp, bad, http.StatusBadRequest, "invalid_target")
}

func TestResourceJWTForAUserAndHooks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withResources)
	e.srv.SetHooks(oidctest.Hooks{AccessTokenType: "JWT", AccessTokenClaims: func(c map[string]any) { c["aud"] = "x" }})
	pk := newPKCE()
	resp := e.post("/token", url.Values{
		"grant_type": {"authorization_code"}, "code": {e.code(appID, pk)}, "resource": {apiJWT},
		"redirect_uri": {redirectURI}, "code_verifier": {pk.verifier},
	}, appID, appSecret)
	tok := decode[tokenResponse](t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %+v", resp.StatusCode, tok)
	}
	typ, claims := e.jwtHeaderAndClaims(tok.AccessToken)
	if typ != "JWT" || claims["aud"] != "x" || claims["sub"] != "alice" || claims["client_id"] != appID {
		t.Errorf("typ %q, claims %v", typ, claims)
	}
	// The ID token's at_hash binds the JWT handed out.
	idt, err := e.verify(appID, tok.IDToken)
	if err != nil {
		t.Fatal(err)
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Errorf("at_hash: %v", err)
	}
	if r := e.userinfo(tok.AccessToken); r.StatusCode != http.StatusOK {
		t.Errorf("userinfo with the JWT access token: %d", r.StatusCode)
	}
}

func TestResourceConfigValidation(t *testing.T) {
	t.Parallel()
	for _, ind := range []string{"", "api", "https://api.example.com#x"} {
		_, err := oidctest.New(oidctest.Config{Issuer: "http://op.test", Resources: []oidctest.Resource{{Indicator: ind}}})
		if err == nil {
			t.Errorf("indicator %q accepted", ind)
		}
	}
}
