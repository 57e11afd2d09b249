package providers_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/providers"
)

// TestConfigRefused: every preset refuses an incomplete or malformed
// configuration with client.ErrInvalidConfig, before any network call.
func TestConfigRefused(t *testing.T) {
	t.Parallel()
	for name, build := range map[string]func() (client.Provider, error){
		"google without secret": func() (client.Provider, error) { return providers.Google(providers.GoogleConfig{ClientID: "id"}) },
		"google with relative issuer": func() (client.Provider, error) {
			return providers.Google(providers.GoogleConfig{ClientID: "id", ClientSecret: "s", Issuer: "accounts.google.com"})
		},
		"entra without client": func() (client.Provider, error) { return providers.Entra(providers.EntraConfig{ClientSecret: "s"}) },
		"entra with a domain tenant": func() (client.Provider, error) {
			return providers.Entra(providers.EntraConfig{ClientID: "id", ClientSecret: "s", Tenant: "contoso.onmicrosoft.com"})
		},
		"entra with a malformed allowed tenant": func() (client.Provider, error) {
			return providers.Entra(providers.EntraConfig{ClientID: "id", ClientSecret: "s", AllowedTenants: []string{"contoso"}})
		},
		"facebook with a bad version": func() (client.Provider, error) {
			return providers.Facebook(providers.FacebookConfig{ClientID: "id", ClientSecret: "s", Version: "23.0/../x"})
		},
		"facebook without secret": func() (client.Provider, error) { return providers.Facebook(providers.FacebookConfig{ClientID: "id"}) },
		"github without secret":   func() (client.Provider, error) { return providers.GitHub(providers.GitHubConfig{ClientID: "id"}) },
		"github with bad base": func() (client.Provider, error) {
			return providers.GitHub(providers.GitHubConfig{ClientID: "id", ClientSecret: "s", BaseURL: "ftp://x"})
		},
		"gitlab without client":   func() (client.Provider, error) { return providers.GitLab(providers.GitLabConfig{}) },
		"discord without secret":  func() (client.Provider, error) { return providers.Discord(providers.DiscordConfig{ClientID: "id"}) },
		"slack without secret":    func() (client.Provider, error) { return providers.Slack(providers.SlackConfig{ClientID: "id"}) },
		"spotify without client":  func() (client.Provider, error) { return providers.Spotify(providers.SpotifyConfig{}) },
		"linkedin without secret": func() (client.Provider, error) { return providers.LinkedIn(providers.LinkedInConfig{ClientID: "id"}) },
		"x without client":        func() (client.Provider, error) { return providers.X(providers.XConfig{}) },
		"twitch without secret":   func() (client.Provider, error) { return providers.Twitch(providers.TwitchConfig{ClientID: "id"}) },
		"okta without domain":     func() (client.Provider, error) { return providers.Okta(providers.OktaConfig{ClientID: "id"}) },
		"okta with a path": func() (client.Provider, error) {
			return providers.Okta(providers.OktaConfig{ClientID: "id", Domain: "x.okta.com/oauth2"})
		},
		"auth0 without domain": func() (client.Provider, error) { return providers.Auth0(providers.Auth0Config{ClientID: "id"}) },
		"keycloak without realm": func() (client.Provider, error) {
			return providers.Keycloak(providers.KeycloakConfig{ClientID: "id", BaseURL: "https://id.example.com"})
		},
		"keycloak without base": func() (client.Provider, error) {
			return providers.Keycloak(providers.KeycloakConfig{ClientID: "id", Realm: "r"})
		},
		"oidc without issuer": func() (client.Provider, error) { return providers.OIDC(providers.OIDCConfig{ClientID: "id"}) },
		"oauth2 without name": func() (client.Provider, error) { return providers.OAuth2(providers.OAuth2Config{ClientID: "id"}) },
		"oauth2 without subject claim": func() (client.Provider, error) {
			return providers.OAuth2(providers.OAuth2Config{Name: "n", ClientID: "id", AuthURL: "https://a", TokenURL: "https://t", ProfileURL: "https://p"})
		},
		"oauth2 without profile URL": func() (client.Provider, error) {
			return providers.OAuth2(providers.OAuth2Config{Name: "n", ClientID: "id", AuthURL: "https://a", TokenURL: "https://t", Claims: client.ClaimMap{Subject: "id"}})
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := build(); !errors.Is(err, client.ErrInvalidConfig) {
				t.Errorf("err = %v, want ErrInvalidConfig", err)
			}
		})
	}
}

// TestDefaults: with only credentials, each preset describes the real
// provider: its name, its documented issuer or endpoints, its scopes and
// client authentication.
func TestDefaults(t *testing.T) {
	t.Parallel()
	must := func(p client.Provider, err error) client.Provider {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		p                  client.Provider
		name, issuer, auth string
		scopes             []string
		method             client.AuthMethod
	}{
		{must(providers.Google(providers.GoogleConfig{ClientID: "i", ClientSecret: "s"})), "google", "https://accounts.google.com", "", []string{"openid", "email", "profile"}, ""},
		{must(providers.Entra(providers.EntraConfig{ClientID: "i", ClientSecret: "s"})), "entra", "https://login.microsoftonline.com/common/v2.0", "", []string{"openid", "email", "profile"}, ""},
		{must(providers.Entra(providers.EntraConfig{ClientID: "i", ClientSecret: "s", Tenant: "72F988BF-86F1-41AF-91AB-2D7CD011DB47"})), "entra",
			"https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0", "", []string{"openid", "email", "profile"}, ""},
		{must(providers.Facebook(providers.FacebookConfig{ClientID: "i", ClientSecret: "s"})), "facebook", "", "https://www.facebook.com/v23.0/dialog/oauth", []string{"email", "public_profile"}, client.AuthPost},
		{must(providers.GitHub(providers.GitHubConfig{ClientID: "i", ClientSecret: "s", Scopes: []string{"repo", "user:email"}})), "github", "",
			"https://github.com/login/oauth/authorize", []string{"read:user", "user:email", "repo"}, client.AuthPost},
		{must(providers.GitLab(providers.GitLabConfig{ClientID: "i"})), "gitlab", "https://gitlab.com", "", []string{"openid", "email", "profile"}, ""},
		{must(providers.Discord(providers.DiscordConfig{ClientID: "i", ClientSecret: "s"})), "discord", "", "https://discord.com/oauth2/authorize", []string{"identify", "email"}, ""},
		{must(providers.Slack(providers.SlackConfig{ClientID: "i", ClientSecret: "s"})), "slack", "https://slack.com", "", []string{"openid", "email", "profile"}, ""},
		{must(providers.Spotify(providers.SpotifyConfig{ClientID: "i"})), "spotify", "", "https://accounts.spotify.com/authorize", []string{"user-read-email", "user-read-private"}, ""},
		{must(providers.LinkedIn(providers.LinkedInConfig{ClientID: "i", ClientSecret: "s"})), "linkedin", "", "https://www.linkedin.com/oauth/v2/authorization", []string{"openid", "profile", "email"}, client.AuthPost},
		{must(providers.X(providers.XConfig{ClientID: "i", ClientSecret: "s"})), "x", "", "https://x.com/i/oauth2/authorize", []string{"users.read", "tweet.read", "offline.access"}, ""},
		{must(providers.Twitch(providers.TwitchConfig{ClientID: "i", ClientSecret: "s"})), "twitch", "https://id.twitch.tv/oauth2", "", []string{"openid", "user:read:email"}, client.AuthPost},
		{must(providers.Okta(providers.OktaConfig{ClientID: "i", Domain: "dev-123.okta.com"})), "okta", "https://dev-123.okta.com", "", []string{"openid", "email", "profile"}, ""},
		{must(providers.Auth0(providers.Auth0Config{ClientID: "i", Domain: "example.eu.auth0.com"})), "auth0", "https://example.eu.auth0.com/", "", []string{"openid", "email", "profile"}, ""},
		{must(providers.Keycloak(providers.KeycloakConfig{ClientID: "i", BaseURL: "https://id.example.com/", Realm: "staff"})), "keycloak", "https://id.example.com/realms/staff", "", []string{"openid", "email", "profile"}, ""},
		{must(providers.OIDC(providers.OIDCConfig{ClientID: "i", Issuer: "https://login.example.com/"})), "oidc", "https://login.example.com/", "", nil, ""},
	} {
		p := tc.p
		if p.Name != tc.name || p.Issuer != tc.issuer || p.AuthURL != tc.auth || !slices.Equal(p.Scopes, tc.scopes) || p.AuthMethod != tc.method {
			t.Errorf("%s: name %q issuer %q auth %q scopes %q method %q", tc.name, p.Name, p.Issuer, p.AuthURL, p.Scopes, p.AuthMethod)
		}
		if p.DisplayName == "" {
			t.Errorf("%s: no display name", tc.name)
		}
	}
}
