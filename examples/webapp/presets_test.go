package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// p8File writes a Sign in with Apple key as the developer portal hands it
// out and returns its path.
func p8File(t *testing.T) string {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	path := filepath.Join(t.TempDir(), "AuthKey_KEY1234567.p8")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestPresetConfig: every preset with its settings becomes a provider, in
// button order, with the generic oidc one last.
func TestPresetConfig(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"LOGINKIT_BASE_URL":                 "https://app.example.com",
		"LOGINKIT_GOOGLE_CLIENT_ID":         "g-id",
		"LOGINKIT_GOOGLE_CLIENT_SECRET":     "g-secret",
		"LOGINKIT_GOOGLE_HOSTED_DOMAIN":     "example.com",
		"LOGINKIT_GOOGLE_OFFLINE":           "true",
		"LOGINKIT_ENTRA_CLIENT_ID":          "e-id",
		"LOGINKIT_ENTRA_CLIENT_SECRET":      "e-secret",
		"LOGINKIT_ENTRA_TENANT":             "organizations",
		"LOGINKIT_ENTRA_ALLOWED_TENANTS":    "72f988bf-86f1-41af-91ab-2d7cd011db47, 3f2a4b5c-1111-4222-8333-944455566677",
		"LOGINKIT_APPLE_CLIENT_ID":          "com.example.web",
		"LOGINKIT_APPLE_TEAM_ID":            "ABCDE12345",
		"LOGINKIT_APPLE_KEY_ID":             "KEY1234567",
		"LOGINKIT_APPLE_PRIVATE_KEY_FILE":   p8File(t),
		"LOGINKIT_GITHUB_CLIENT_ID":         "gh-id",
		"LOGINKIT_GITHUB_CLIENT_SECRET":     "gh-secret",
		"LOGINKIT_GITHUB_BASE_URL":          "https://github.example.com",
		"LOGINKIT_SPOTIFY_CLIENT_ID":        "sp-id",
		"LOGINKIT_SPOTIFY_CLIENT_SECRET":    "sp-secret",
		"LOGINKIT_OKTA_CLIENT_ID":           "o-id",
		"LOGINKIT_OKTA_CLIENT_SECRET":       "o-secret",
		"LOGINKIT_OKTA_DOMAIN":              "dev-123.okta.com",
		"LOGINKIT_AUTH0_CLIENT_ID":          "a-id",
		"LOGINKIT_AUTH0_CLIENT_SECRET":      "a-secret",
		"LOGINKIT_AUTH0_DOMAIN":             "example.eu.auth0.com",
		"LOGINKIT_KEYCLOAK_CLIENT_ID":       "k-id",
		"LOGINKIT_KEYCLOAK_CLIENT_SECRET":   "k-secret",
		"LOGINKIT_KEYCLOAK_BASE_URL":        "https://id.example.com",
		"LOGINKIT_KEYCLOAK_REALM":           "staff",
		"LOGINKIT_KEYCLOAK_SCOPES":          "roles groups",
		"LOGINKIT_FACEBOOK_CLIENT_SECRET":   "no client ID: not enabled",
		"LOGINKIT_OIDC_ISSUER":              "https://login.example.org",
		"LOGINKIT_OIDC_CLIENT_ID":           "oidc-id",
		"LOGINKIT_OIDC_CLIENT_SECRET":       "oidc-secret",
		"LOGINKIT_SESSION_KEY":              strings.Repeat("ab", 32),
		"LOGINKIT_UNRELATED_CLIENT_ID":      "ignored",
		"LOGINKIT_DISCORD_CLIENT_SECRET_XX": "ignored",
	}
	cfg, err := loadConfig(func(k string) string { return env[k] }, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	byName := map[string]int{}
	for i, p := range cfg.Providers {
		names = append(names, p.Name)
		byName[p.Name] = i
		if !strings.HasPrefix(p.DisplayName, "Sign in with ") {
			t.Errorf("%s: button %q", p.Name, p.DisplayName)
		}
	}
	want := []string{"google", "entra", "apple", "github", "spotify", "okta", "auth0", "keycloak", "oidc"}
	if !slices.Equal(names, want) {
		t.Fatalf("providers %v, want %v", names, want)
	}
	g := cfg.Providers[byName["google"]]
	if g.ClientID != "g-id" || g.AuthParams.Get("hd") != "example.com" || g.AuthParams.Get("access_type") != "offline" {
		t.Errorf("google %+v", g)
	}
	if e := cfg.Providers[byName["entra"]]; e.Issuer != "https://login.microsoftonline.com/organizations/v2.0" || e.CheckClaims == nil {
		t.Errorf("entra issuer %q", e.Issuer)
	}
	if a := cfg.Providers[byName["apple"]]; a.ClientSecretFunc == nil || a.ResponseMode != "form_post" {
		t.Errorf("apple %+v", a)
	}
	if g := cfg.Providers[byName["github"]]; g.AuthURL != "https://github.example.com/login/oauth/authorize" {
		t.Errorf("github auth URL %q", g.AuthURL)
	}
	if s := cfg.Providers[byName["spotify"]]; s.RedirectURL != "https://app.example.com/callback/spotify" {
		t.Errorf("spotify redirect %q", s.RedirectURL)
	}
	if o := cfg.Providers[byName["okta"]]; o.Issuer != "https://dev-123.okta.com" {
		t.Errorf("okta issuer %q", o.Issuer)
	}
	if a := cfg.Providers[byName["auth0"]]; a.Issuer != "https://example.eu.auth0.com/" {
		t.Errorf("auth0 issuer %q", a.Issuer)
	}
	if k := cfg.Providers[byName["keycloak"]]; k.Issuer != "https://id.example.com/realms/staff" || !slices.Contains(k.Scopes, "groups") {
		t.Errorf("keycloak %q %q", k.Issuer, k.Scopes)
	}
}

// TestPresetConfigRefused: a preset with a client ID but not the rest of
// its settings stops the app with a message naming what is missing.
func TestPresetConfigRefused(t *testing.T) {
	t.Parallel()
	key := p8File(t)
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"secret missing", map[string]string{"LOGINKIT_GITHUB_CLIENT_ID": "id"}, "LOGINKIT_GITHUB_CLIENT_SECRET"},
		{"keycloak realm missing", map[string]string{"LOGINKIT_KEYCLOAK_CLIENT_ID": "id", "LOGINKIT_KEYCLOAK_CLIENT_SECRET": "s",
			"LOGINKIT_KEYCLOAK_BASE_URL": "https://id.example.com"}, "LOGINKIT_KEYCLOAK_REALM"},
		{"okta domain missing", map[string]string{"LOGINKIT_OKTA_CLIENT_ID": "id", "LOGINKIT_OKTA_CLIENT_SECRET": "s"}, "LOGINKIT_OKTA_DOMAIN"},
		{"apple key settings missing", map[string]string{"LOGINKIT_BASE_URL": "https://app.example.com", "LOGINKIT_APPLE_CLIENT_ID": "id"},
			"LOGINKIT_APPLE_TEAM_ID, LOGINKIT_APPLE_KEY_ID, LOGINKIT_APPLE_PRIVATE_KEY_FILE"},
		{"apple over http", map[string]string{"LOGINKIT_APPLE_CLIENT_ID": "id", "LOGINKIT_APPLE_TEAM_ID": "T", "LOGINKIT_APPLE_KEY_ID": "K",
			"LOGINKIT_APPLE_PRIVATE_KEY_FILE": key}, "https"},
		{"apple key file unreadable", map[string]string{"LOGINKIT_BASE_URL": "https://app.example.com", "LOGINKIT_APPLE_CLIENT_ID": "id",
			"LOGINKIT_APPLE_TEAM_ID": "T", "LOGINKIT_APPLE_KEY_ID": "K", "LOGINKIT_APPLE_PRIVATE_KEY_FILE": key + ".missing"}, ".p8"},
		{"entra tenant malformed", map[string]string{"LOGINKIT_ENTRA_CLIENT_ID": "id", "LOGINKIT_ENTRA_CLIENT_SECRET": "s",
			"LOGINKIT_ENTRA_TENANT": "contoso.com"}, "LOGINKIT_ENTRA_"},
		{"spotify on localhost", map[string]string{"LOGINKIT_BASE_URL": "http://localhost:8080", "LOGINKIT_SPOTIFY_CLIENT_ID": "id",
			"LOGINKIT_SPOTIFY_CLIENT_SECRET": "s"}, "127.0.0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := loadConfig(func(k string) string { return tc.env[k] }, quietLog())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("loadConfig = %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
}

// TestPresetButtons: each enabled preset gets a sign-in button next to the
// generic provider's; nothing is fetched from the providers at startup.
func TestPresetButtons(t *testing.T) {
	t.Parallel()
	base := startApp(t, map[string]string{
		"LOGINKIT_GITHUB_CLIENT_ID": "gh-id", "LOGINKIT_GITHUB_CLIENT_SECRET": "gh-secret",
		"LOGINKIT_DISCORD_CLIENT_ID": "d-id", "LOGINKIT_DISCORD_CLIENT_SECRET": "d-secret",
		"LOGINKIT_OIDC_ISSUER": "https://login.example.org", "LOGINKIT_OIDC_CLIENT_ID": "oidc-id",
	})
	_, body := newClient(t).do("GET", base+"/", nil, nil)
	for _, id := range []string{`id="signin-github"`, `id="signin-discord"`, `id="signin-oidc"`, "Sign in with GitHub"} {
		if !strings.Contains(body, id) {
			t.Errorf("home page lacks %s", id)
		}
	}
	if strings.Contains(body, `id="signin-demo"`) {
		t.Error("the demo provider is offered although providers are configured")
	}
}
