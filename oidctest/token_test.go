package oidctest_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/loginkit/loginkit/oidctest"
)

type idClaims struct {
	Email         string   `json:"email"`
	EmailVerified bool     `json:"email_verified"`
	Name          string   `json:"name"`
	GivenName     string   `json:"given_name"`
	FamilyName    string   `json:"family_name"`
	Picture       string   `json:"picture"`
	Groups        []string `json:"groups"`
	SID           string   `json:"sid"`
	AuthTime      int64    `json:"auth_time"`
	AZP           string   `json:"azp"`
	ATHash        string   `json:"at_hash"`
	Nonce         *string  `json:"nonce"`
}

// TestCodeFlow runs the whole flow with each client authentication method and
// verifies the results with go-oidc, a standard relying party library.
func TestCodeFlow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		clientID string
		auth     func(form url.Values) []string // returns Basic credentials, if any
	}{
		{"client_secret_basic", appID, func(url.Values) []string { return []string{appID, appSecret} }},
		{"client_secret_post", appID, func(f url.Values) []string {
			f.Set("client_id", appID)
			f.Set("client_secret", appSecret)
			return nil
		}},
		{"basic with client_id in body", appID, func(f url.Values) []string {
			f.Set("client_id", appID)
			return []string{appID, appSecret}
		}},
		{"none (public client)", spaID, func(f url.Values) []string { f.Set("client_id", spaID); return nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			pk := newPKCE()
			form := url.Values{
				"grant_type": {"authorization_code"}, "code": {e.code(tt.clientID, pk)},
				"redirect_uri": {redirectURI}, "code_verifier": {pk.verifier},
			}
			resp := e.post("/token", form, tt.auth(form)...)
			tok := decode[tokenResponse](t, resp)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %+v", resp.StatusCode, tok)
			}
			checkTokenResponse(t, resp, tok)
			checkIDToken(t, e, tt.clientID, tok)
		})
	}
}

func checkTokenResponse(t *testing.T, resp *http.Response, tok tokenResponse) {
	t.Helper()
	if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("headers: Cache-Control %q, Content-Type %q", resp.Header.Get("Cache-Control"), resp.Header.Get("Content-Type"))
	}
	if tok.TokenType != "Bearer" || tok.ExpiresIn != 3600 || tok.Scope != defaultScope {
		t.Errorf("token_type %q, expires_in %d, scope %q", tok.TokenType, tok.ExpiresIn, tok.Scope)
	}
	if len(tok.AccessToken) < 43 || len(tok.RefreshToken) < 43 || tok.AccessToken == tok.RefreshToken {
		t.Errorf("access token %d chars, refresh token %d chars", len(tok.AccessToken), len(tok.RefreshToken))
	}
}

func checkIDToken(t *testing.T, e *env, clientID string, tok tokenResponse) {
	t.Helper()
	id, err := e.verify(clientID, tok.IDToken)
	if err != nil {
		t.Fatalf("go-oidc rejects the ID token: %v", err)
	}
	if err := id.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Errorf("at_hash: %v", err)
	}
	var c idClaims
	if err := id.Claims(&c); err != nil {
		t.Fatal(err)
	}
	now := e.clk.Now()
	switch {
	case id.Issuer != e.srv.Issuer() || id.Subject != "alice" || id.Nonce != testNonce:
		t.Errorf("iss %q sub %q nonce %q", id.Issuer, id.Subject, id.Nonce)
	case len(id.Audience) != 1 || id.Audience[0] != clientID || c.AZP != clientID:
		t.Errorf("aud %v azp %q", id.Audience, c.AZP)
	case !id.IssuedAt.Equal(now) || !id.Expiry.Equal(now.Add(time.Hour)) || c.AuthTime != now.Unix():
		t.Errorf("iat %v exp %v auth_time %d, now %v", id.IssuedAt, id.Expiry, c.AuthTime, now)
	case c.Email != "alice@example.com" || !c.EmailVerified || c.Name != "Alice Liddell" ||
		c.GivenName != "Alice" || c.FamilyName != "Liddell" || c.Picture != "https://example.com/alice.png":
		t.Errorf("profile claims %+v", c)
	case len(c.Groups) != 1 || c.Groups[0] != "admins" || c.SID == "":
		t.Errorf("groups %v sid %q", c.Groups, c.SID)
	}
}

// TestOAuth2Library checks interoperability with golang.org/x/oauth2.
func TestOAuth2Library(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	conf := oauth2.Config{
		ClientID: appID, ClientSecret: appSecret, RedirectURL: redirectURI, Scopes: []string{"openid", "email"},
		Endpoint: oauth2.Endpoint{AuthURL: e.srv.Issuer() + "/authorize", TokenURL: e.srv.Issuer() + "/token"},
	}
	verifier := oauth2.GenerateVerifier()
	resp, err := e.noRedirect().Get(conf.AuthCodeURL(testState, oauth2.S256ChallengeOption(verifier), oidc.Nonce(testNonce)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cb := e.callback(resp)
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, e.srv.Client())
	tok, err := conf.Exchange(ctx, cb.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if raw, _ := tok.Extra("id_token").(string); raw == "" || tok.RefreshToken == "" {
		t.Fatalf("token = %+v", tok)
	}
}

func TestTokenErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name   string
		form   func(code, verifier string) url.Values
		basic  []string
		status int
		err    string
	}{
		{"wrong secret", codeForm, []string{appID, "wrong"}, 401, "invalid_client"},
		{"unknown client", codeForm, []string{"nope", appSecret}, 401, "invalid_client"},
		{"no client authentication", codeForm, nil, 401, "invalid_client"},
		{"confidential client without secret", with(codeForm, "client_id", appID), nil, 401, "invalid_client"},
		{"public client with secret", with(with(codeForm, "client_id", spaID), "client_secret", "x"), nil, 401, "invalid_client"},
		{"two auth methods", with(codeForm, "client_secret", appSecret), []string{appID, appSecret}, 400, "invalid_request"},
		{"client_id differs from Basic", with(codeForm, "client_id", otherID), []string{appID, appSecret}, 400, "invalid_request"},
		{"code of another client", codeForm, []string{otherID, otherSecret}, 400, "invalid_grant"},
		{"PKCE mismatch", with(codeForm, "code_verifier", newPKCE().verifier), []string{appID, appSecret}, 400, "invalid_grant"},
		{"malformed verifier", with(codeForm, "code_verifier", "short"), []string{appID, appSecret}, 400, "invalid_grant"},
		{"missing verifier", without(codeForm, "code_verifier"), []string{appID, appSecret}, 400, "invalid_request"},
		{"wrong redirect_uri", with(codeForm, "redirect_uri", redirectURI+"x"), []string{appID, appSecret}, 400, "invalid_grant"},
		{"missing redirect_uri", without(codeForm, "redirect_uri"), []string{appID, appSecret}, 400, "invalid_grant"},
		{"unknown code", with(codeForm, "code", "nope"), []string{appID, appSecret}, 400, "invalid_grant"},
		{"missing code", without(codeForm, "code"), []string{appID, appSecret}, 400, "invalid_request"},
		{"missing grant_type", without(codeForm, "grant_type"), []string{appID, appSecret}, 400, "invalid_request"},
		{"unsupported grant_type", with(codeForm, "grant_type", "password"), []string{appID, appSecret}, 400, "unsupported_grant_type"},
		{"missing refresh_token", with(codeForm, "grant_type", "refresh_token"), []string{appID, appSecret}, 400, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pk := newPKCE()
			resp := e.post("/token", tt.form(e.code(appID, pk), pk.verifier), tt.basic...)
			wantError(t, resp, decode[tokenResponse](t, resp), tt.status, tt.err)
			if tt.status == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") {
				t.Errorf("WWW-Authenticate = %q", resp.Header.Get("WWW-Authenticate"))
			}
			if resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control = %q", resp.Header.Get("Cache-Control"))
			}
		})
	}
}

func codeForm(code, verifier string) url.Values {
	return url.Values{
		"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {redirectURI}, "code_verifier": {verifier},
	}
}

func with(f func(string, string) url.Values, k, v string) func(string, string) url.Values {
	return func(code, verifier string) url.Values {
		form := f(code, verifier)
		form.Set(k, v)
		return form
	}
}

func without(f func(string, string) url.Values, k string) func(string, string) url.Values {
	return func(code, verifier string) url.Values {
		form := f(code, verifier)
		form.Del(k)
		return form
	}
}

func TestTokenRequestFormat(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name        string
		method      string
		contentType string
		body        string
		status      int
	}{
		{"GET", http.MethodGet, "", "", http.StatusMethodNotAllowed},
		{"JSON body", http.MethodPost, "application/json", `{"grant_type":"refresh_token"}`, http.StatusBadRequest},
		{"repeated parameter", http.MethodPost, "application/x-www-form-urlencoded", "grant_type=a&grant_type=b", http.StatusBadRequest},
		{"body over 64 KiB", http.MethodPost, "application/x-www-form-urlencoded", "x=" + strings.Repeat("a", 70<<10), http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequest(tt.method, e.srv.Issuer()+"/token", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", tt.contentType)
			req.SetBasicAuth(appID, appSecret)
			resp, err := e.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			wantError(t, resp, decode[tokenResponse](t, resp), tt.status, "invalid_request")
		})
	}
}

func TestCodeExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pk := newPKCE()
	code := e.code(appID, pk)
	e.clk.Advance(time.Minute)
	resp, tok := e.exchange(code, pk.verifier)
	wantError(t, resp, tok, 400, "invalid_grant")
}

// TestCodeReuse checks that a second redemption fails and revokes the tokens
// of the first (RFC 6749 §4.1.2).
func TestCodeReuse(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pk := newPKCE()
	code := e.code(appID, pk)
	resp, first := e.exchange(code, pk.verifier)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("first exchange: %+v", first)
	}
	resp, tok := e.exchange(code, pk.verifier)
	wantError(t, resp, tok, 400, "invalid_grant")
	if resp := e.userinfo(first.AccessToken); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("access token from reused code: userinfo status %d, want 401", resp.StatusCode)
	}
	resp, tok = e.refresh(first.RefreshToken)
	wantError(t, resp, tok, 400, "invalid_grant")
}

func TestPKCEMismatchUsesCodeUp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pk := newPKCE()
	code := e.code(appID, pk)
	resp, tok := e.exchange(code, newPKCE().verifier)
	wantError(t, resp, tok, 400, "invalid_grant")
	resp, tok = e.exchange(code, pk.verifier)
	wantError(t, resp, tok, 400, "invalid_grant")
}

func TestTokenPadding(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *oidctest.Config) { c.TokenPadding = 3000 })
	tok := e.login()
	if len(tok.AccessToken) != 3000 || len(tok.RefreshToken) != 3000 {
		t.Fatalf("lengths %d and %d, want 3000", len(tok.AccessToken), len(tok.RefreshToken))
	}
	if resp := e.userinfo(tok.AccessToken); resp.StatusCode != http.StatusOK {
		t.Fatalf("userinfo with padded token: %d", resp.StatusCode)
	}
	if resp, r := e.refresh(tok.RefreshToken); resp.StatusCode != http.StatusOK || len(r.RefreshToken) != 3000 {
		t.Fatalf("refresh: %d %+v", resp.StatusCode, r.Error)
	}
}

func TestCustomTTLs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *oidctest.Config) {
		c.AccessTokenTTL = 5 * time.Minute
		c.IDTokenTTL = 2 * time.Minute
		c.RefreshTokenTTL = 10 * time.Minute
	})
	tok := e.login()
	id, err := e.verify(appID, tok.IDToken)
	if err != nil || tok.ExpiresIn != 300 || !id.Expiry.Equal(e.clk.Now().Add(2*time.Minute)) {
		t.Fatalf("expires_in %d, exp %v, err %v", tok.ExpiresIn, id, err)
	}
	e.clk.Advance(10 * time.Minute)
	resp, r := e.refresh(tok.RefreshToken)
	wantError(t, resp, r, 400, "invalid_grant")
}
