package e2e_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/loginkit/loginkit/e2e/internal/realop"
)

// The relying party's redirect URI: registered with the provider, never fetched.
const redirectURI = "http://127.0.0.1:1/callback"

func randomString(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// browser is a cookie-keeping client that does not follow redirects.
func browser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{
		Jar:           jar,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func testContext(t *testing.T) context.Context {
	return oidc.ClientContext(t.Context(), &http.Client{Timeout: 10 * time.Second})
}

// callback checks an authorization response and returns its code.
func callback(t *testing.T, cb *url.URL, issuer, state string) string {
	t.Helper()
	if got := cb.Scheme + "://" + cb.Host + cb.Path; got != redirectURI {
		t.Fatalf("redirected to %s, want %s", got, redirectURI)
	}
	q := cb.Query()
	if e := q.Get("error"); e != "" {
		t.Fatalf("authorization error %s: %s", e, q.Get("error_description"))
	}
	if q.Get("state") != state {
		t.Fatalf("state = %q, want %q", q.Get("state"), state)
	}
	if q.Get("iss") != issuer {
		t.Fatalf("iss = %q, want %q (RFC 9207)", q.Get("iss"), issuer)
	}
	code := q.Get("code")
	if code == "" {
		t.Fatalf("no code in %s", cb)
	}
	return code
}

func requireOAuthError(t *testing.T, err error, code string) {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want an OAuth error %s", err, code)
	}
	if re.ErrorCode != code {
		t.Fatalf("error = %q (%s), want %q", re.ErrorCode, re.ErrorDescription, code)
	}
}

func refresh(ctx context.Context, cfg *oauth2.Config, rt string) (*oauth2.Token, error) {
	// A token with only a refresh token is invalid, so the source refreshes at once.
	return cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: rt}).Token()
}

func TestRealOPCodeFlowPKCERefreshRotation(t *testing.T) {
	op := realop.Start(t, realop.Options{RedirectURIs: []string{redirectURI}})
	ctx := testContext(t)

	provider, err := oidc.NewProvider(ctx, op.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	var disc struct {
		IssParameterSupported bool   `json:"authorization_response_iss_parameter_supported"`
		EndSession            string `json:"end_session_endpoint"`
		Revocation            string `json:"revocation_endpoint"`
		DeviceAuthorization   string `json:"device_authorization_endpoint"`
		Registration          string `json:"registration_endpoint"`
	}
	if err := provider.Claims(&disc); err != nil {
		t.Fatal(err)
	}
	if !disc.IssParameterSupported {
		t.Error("authorization_response_iss_parameter_supported is not true")
	}
	for name, v := range map[string]string{
		"end_session_endpoint":          disc.EndSession,
		"revocation_endpoint":           disc.Revocation,
		"device_authorization_endpoint": disc.DeviceAuthorization,
		"registration_endpoint":         disc.Registration,
	} {
		if !strings.HasPrefix(v, op.Issuer+"/") {
			t.Errorf("%s = %q, want an endpoint under %s", name, v, op.Issuer)
		}
	}

	cfg := &oauth2.Config{
		ClientID:     realop.ConfidentialClientID,
		ClientSecret: realop.ConfidentialClientSecret,
		Endpoint:     provider.Endpoint(),
		RedirectURL:  redirectURI,
		Scopes:       []string{oidc.ScopeOpenID, "profile", "email"},
	}
	cfg.Endpoint.AuthStyle = oauth2.AuthStyleInHeader // client_secret_basic

	verifier := oauth2.GenerateVerifier()
	state, nonce := randomString(t), randomString(t)
	authURL := cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce))

	cb := op.Authorize(t, browser(t), authURL, "alice")
	code := callback(t, cb, op.Issuer, state)

	tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("code exchange: %v", err)
	}
	rawIDToken, _ := tok.Extra("id_token").(string)
	if rawIDToken == "" {
		t.Fatal("no id_token in the token response")
	}
	idToken, err := provider.Verifier(&oidc.Config{ClientID: cfg.ClientID}).Verify(ctx, rawIDToken)
	if err != nil {
		t.Fatalf("verifying the ID token: %v", err)
	}
	if idToken.Nonce != nonce {
		t.Errorf("nonce = %q, want %q", idToken.Nonce, nonce)
	}
	if idToken.Subject != "alice" {
		t.Errorf("sub = %q, want alice", idToken.Subject)
	}
	if err := idToken.VerifyAccessToken(tok.AccessToken); err != nil && idToken.AccessTokenHash != "" {
		t.Errorf("at_hash: %v", err)
	}
	var claims struct {
		Email         string `json:"email"`
		EmailVerified bool   `json:"email_verified"`
		Name          string `json:"name"`
		GivenName     string `json:"given_name"`
		FamilyName    string `json:"family_name"`
		Picture       string `json:"picture"`
	}
	if err := idToken.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if claims.Email != "alice@example.com" || !claims.EmailVerified || claims.Name != "Alice Example" ||
		claims.GivenName != "Alice" || claims.FamilyName != "Example" || claims.Picture == "" {
		t.Errorf("ID token claims = %+v", claims)
	}

	ui, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	if ui.Subject != "alice" || ui.Email != "alice@example.com" {
		t.Errorf("userinfo = sub %q email %q", ui.Subject, ui.Email)
	}

	rt1 := tok.RefreshToken
	if rt1 == "" {
		t.Fatal("no refresh token without offline_access")
	}
	tok2, err := refresh(ctx, cfg, rt1)
	if err != nil {
		t.Fatalf("first refresh: %v", err)
	}
	rt2 := tok2.RefreshToken
	if rt2 == "" || rt2 == rt1 {
		t.Fatalf("first refresh did not rotate the refresh token")
	}
	if tok2.AccessToken == "" || tok2.AccessToken == tok.AccessToken {
		t.Fatal("first refresh gave no new access token")
	}
	tok3, err := refresh(ctx, cfg, rt2)
	if err != nil {
		t.Fatalf("second refresh: %v", err)
	}
	rt3 := tok3.RefreshToken
	if rt3 == "" || rt3 == rt2 || rt3 == rt1 {
		t.Fatalf("second refresh did not rotate the refresh token")
	}

	// A rotated-out refresh token is refused...
	_, err = refresh(ctx, cfg, rt1)
	requireOAuthError(t, err, "invalid_grant")
	// ...and its reuse revokes the whole grant, the newest refresh token included.
	_, err = refresh(ctx, cfg, rt3)
	requireOAuthError(t, err, "invalid_grant")

	if n := op.GrantCount(t, "authorization_code"); n != 1 {
		t.Errorf("authorization_code grants = %d, want 1", n)
	}
	if n := op.GrantCount(t, "refresh_token"); n != 2 {
		t.Errorf("refresh_token grants = %d, want 2", n)
	}
	if n := op.GrantErrorCount(t, "refresh_token"); n != 2 {
		t.Errorf("failed refresh_token grants = %d, want 2", n)
	}
	op.ResetCounts(t)
	if n := op.GrantCount(t, "refresh_token"); n != 0 {
		t.Errorf("refresh_token grants after reset = %d, want 0", n)
	}
}

// Public client, session reuse, short access tokens, cancel, and RP-initiated
// logout with back-channel logout to a relying party on 127.0.0.1.
func TestRealOPPublicClientSessionLogout(t *testing.T) {
	var (
		mu           sync.Mutex
		logoutTokens []string
	)
	rp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/backchannel" {
			if err := r.ParseForm(); err == nil {
				mu.Lock()
				logoutTokens = append(logoutTokens, r.PostForm.Get("logout_token"))
				mu.Unlock()
			}
			w.WriteHeader(http.StatusOK)
			return
		}
		http.NotFound(w, r)
	}))
	defer rp.Close()

	const postLogout = "http://127.0.0.1:1/logged-out"
	op := realop.Start(t, realop.Options{
		RedirectURIs:   []string{redirectURI},
		PostLogoutURIs: []string{postLogout},
		AccessTTL:      2 * time.Second,
		Env:            []string{"OP_BACKCHANNEL_LOGOUT_URI=" + rp.URL + "/backchannel"},
	})
	ctx := testContext(t)
	provider, err := oidc.NewProvider(ctx, op.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	hc := browser(t)

	login := func(clientID, secret, user string) (*oauth2.Config, *oauth2.Token) {
		t.Helper()
		cfg := &oauth2.Config{
			ClientID: clientID, ClientSecret: secret, Endpoint: provider.Endpoint(),
			RedirectURL: redirectURI, Scopes: []string{oidc.ScopeOpenID, "email"},
		}
		cfg.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
		if secret == "" {
			// A public client must not send an Authorization header: oidc-provider
			// reads "Basic client_id:" as client_secret_basic with an empty secret.
			cfg.Endpoint.AuthStyle = oauth2.AuthStyleInParams
		}
		verifier, state := oauth2.GenerateVerifier(), randomString(t)
		cb := op.Authorize(t, hc, cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)), user)
		tok, err := cfg.Exchange(ctx, callback(t, cb, op.Issuer, state), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatalf("%s: code exchange: %v", clientID, err)
		}
		return cfg, tok
	}

	pubCfg, pubTok := login(realop.PublicClientID, "", "bob")
	if pubTok.RefreshToken == "" {
		t.Fatal("public client got no refresh token")
	}
	if ttl := time.Until(pubTok.Expiry); ttl > 3*time.Second {
		t.Errorf("access token lives %v, want about 2s", ttl)
	}
	// Same browser: the session is reused, the login value is not even asked for.
	confCfg, confTok := login(realop.ConfidentialClientID, realop.ConfidentialClientSecret, "not-asked")
	idt, err := provider.Verifier(&oidc.Config{ClientID: confCfg.ClientID}).Verify(ctx, confTok.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	if idt.Subject != "bob" {
		t.Errorf("reused session: sub = %q, want bob", idt.Subject)
	}

	// Cancel in a fresh browser: access_denied at the redirect URI.
	cancelURL := op.AuthorizeCancel(t, browser(t), pubCfg.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	if got := cancelURL.Query().Get("error"); got != "access_denied" {
		t.Errorf("cancel: error = %q, want access_denied", got)
	}

	// RP-initiated logout.
	var disc struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := provider.Claims(&disc); err != nil {
		t.Fatal(err)
	}
	q := url.Values{
		"id_token_hint":            {confTok.Extra("id_token").(string)},
		"post_logout_redirect_uri": {postLogout},
		"state":                    {"bye"},
	}
	out := op.EndSession(t, hc, disc.EndSession+"?"+q.Encode())
	if got := out.Scheme + "://" + out.Host + out.Path; got != postLogout || out.Query().Get("state") != "bye" {
		t.Errorf("logout went to %s, want %s?state=bye", out, postLogout)
	}
	mu.Lock()
	got := append([]string(nil), logoutTokens...)
	mu.Unlock()
	if len(got) != 1 || got[0] == "" {
		t.Errorf("back-channel logout tokens received = %d, want 1", len(got))
	}
	// Logout revoked the grants, refresh tokens included.
	_, err = refresh(ctx, pubCfg, pubTok.RefreshToken)
	requireOAuthError(t, err, "invalid_grant")
}

func TestRealOPClientCredentialsAndDevice(t *testing.T) {
	op := realop.Start(t, realop.Options{})
	ctx := testContext(t)
	provider, err := oidc.NewProvider(ctx, op.Issuer)
	if err != nil {
		t.Fatal(err)
	}

	// client_credentials, by hand (golang.org/x/oauth2/clientcredentials would do).
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, provider.Endpoint().TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(realop.ServiceClientID, realop.ServiceClientSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var cc struct {
		AccessToken string `json:"access_token"`
		Scope       string `json:"scope"`
	}
	err = json.NewDecoder(resp.Body).Decode(&cc)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || cc.AccessToken == "" || cc.Scope != "api:read" {
		t.Fatalf("client_credentials: HTTP %d, %+v, %v", resp.StatusCode, cc, err)
	}

	// Device authorization grant.
	var disc struct {
		DeviceAuthorization string `json:"device_authorization_endpoint"`
	}
	if err := provider.Claims(&disc); err != nil {
		t.Fatal(err)
	}
	dev := &oauth2.Config{
		ClientID: realop.DeviceClientID,
		Endpoint: provider.Endpoint(),
		Scopes:   []string{oidc.ScopeOpenID, "profile"},
	}
	dev.Endpoint.DeviceAuthURL = disc.DeviceAuthorization
	dev.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	da, err := dev.DeviceAuth(ctx)
	if err != nil {
		t.Fatalf("device authorization: %v", err)
	}
	op.ApproveDevice(t, browser(t), da.VerificationURIComplete, "carol")
	waitCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	devTok, err := dev.DeviceAccessToken(waitCtx, da)
	if err != nil {
		t.Fatalf("device access token: %v", err)
	}
	idt, err := provider.Verifier(&oidc.Config{ClientID: dev.ClientID}).Verify(ctx, devTok.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	if idt.Subject != "carol" {
		t.Errorf("device flow sub = %q, want carol", idt.Subject)
	}

	if n := op.GrantCount(t, "client_credentials"); n != 1 {
		t.Errorf("client_credentials grants = %d, want 1", n)
	}
	if n := op.GrantCount(t, "urn:ietf:params:oauth:grant-type:device_code"); n != 1 {
		t.Errorf("device_code grants = %d, want 1", n)
	}
}
