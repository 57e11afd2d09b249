package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/providers"
)

// preset is one provider the app can offer: its environment prefix
// (LOGINKIT_<NAME>_…), the settings it needs beyond CLIENT_ID, and how to
// build it from them.
type preset struct {
	name     string   // as in LOGINKIT_<NAME>_CLIENT_ID, lower case
	required []string // settings that must be set with CLIENT_ID
	build    func(s settings) (client.Provider, error)
}

// settings reads LOGINKIT_<NAME>_<KEY> for one preset.
type settings struct {
	prefix  string
	getenv  func(string) string
	baseURL string
}

func (s settings) get(key string) string { return strings.TrimSpace(s.getenv(s.prefix + key)) }

// list reads a setting of space- or comma-separated words.
func (s settings) list(key string) []string {
	return strings.FieldsFunc(s.get(key), func(r rune) bool { return r == ',' || r == ' ' })
}

func (s settings) flag(key string) bool {
	switch strings.ToLower(s.get(key)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// presets is every preset the app knows, in the order of its buttons.
var presets = []preset{
	{"google", []string{"CLIENT_SECRET"}, func(s settings) (client.Provider, error) {
		return providers.Google(providers.GoogleConfig{ClientID: s.get("CLIENT_ID"), ClientSecret: s.get("CLIENT_SECRET"),
			HostedDomain: s.get("HOSTED_DOMAIN"), Offline: s.flag("OFFLINE"), Scopes: s.list("SCOPES")})
	}},
	{"entra", []string{"CLIENT_SECRET"}, func(s settings) (client.Provider, error) {
		return providers.Entra(providers.EntraConfig{ClientID: s.get("CLIENT_ID"), ClientSecret: s.get("CLIENT_SECRET"),
			Tenant: s.get("TENANT"), AllowedTenants: s.list("ALLOWED_TENANTS"), Scopes: s.list("SCOPES")})
	}},
	{"apple", []string{"TEAM_ID", "KEY_ID", "PRIVATE_KEY_FILE"}, func(s settings) (client.Provider, error) {
		if !strings.HasPrefix(s.baseURL, "https://") {
			return client.Provider{}, fmt.Errorf("Sign in with Apple needs an https LOGINKIT_BASE_URL (Apple returns only to https, with a cross-site POST)")
		}
		key, err := os.ReadFile(s.get("PRIVATE_KEY_FILE"))
		if err != nil {
			return client.Provider{}, fmt.Errorf("reading the .p8 key: %w", err)
		}
		return providers.Apple(providers.AppleConfig{ClientID: s.get("CLIENT_ID"), TeamID: s.get("TEAM_ID"),
			KeyID: s.get("KEY_ID"), PrivateKey: key, Scopes: s.list("SCOPES")})
	}},
	{"github", []string{"CLIENT_SECRET"}, func(s settings) (client.Provider, error) {
		return providers.GitHub(providers.GitHubConfig{ClientID: s.get("CLIENT_ID"), ClientSecret: s.get("CLIENT_SECRET"),
			BaseURL: s.get("BASE_URL"), Scopes: s.list("SCOPES")})
	}},
	{"gitlab", []string{"CLIENT_SECRET"}, func(s settings) (client.Provider, error) {
		return providers.GitLab(providers.GitLabConfig{ClientID: s.get("CLIENT_ID"), ClientSecret: s.get("CLIENT_SECRET"),
			BaseURL: s.get("BASE_URL"), Scopes: s.list("SCOPES")})
	}},
	{"facebook", []string{"CLIENT_SECRET"}, func(s settings) (client.Provider, error) {
		return providers.Facebook(providers.FacebookConfig{ClientID: s.get("CLIENT_ID"), ClientSecret: s.get("CLIENT_SECRET"),
			Version: s.get("VERSION"), Scopes: s.list("SCOPES")})
	}},
	{"discord", []string{"CLIENT_SECRET"}, func(s settings) (client.Provider, error) {
		return providers.Discord(providers.DiscordConfig{ClientID: s.get("CLIENT_ID"), ClientSecret: s.get("CLIENT_SECRET"), Scopes: s.list("SCOPES")})
	}},
	{"slack", []string{"CLIENT_SECRET"}, func(s settings) (client.Provider, error) {
		return providers.Slack(providers.SlackConfig{ClientID: s.get("CLIENT_ID"), ClientSecret: s.get("CLIENT_SECRET"),
			Team: s.get("TEAM"), Scopes: s.list("SCOPES")})
	}},
	{"spotify", []string{"CLIENT_SECRET"}, func(s settings) (client.Provider, error) {
		c := providers.SpotifyConfig{ClientID: s.get("CLIENT_ID"), ClientSecret: s.get("CLIENT_SECRET"), Scopes: s.list("SCOPES")}
		if s.baseURL != "" {
			c.RedirectURL = s.baseURL + "/callback/spotify" // checked: Spotify refuses localhost
		}
		return providers.Spotify(c)
	}},
	{"linkedin", []string{"CLIENT_SECRET"}, func(s settings) (client.Provider, error) {
		return providers.LinkedIn(providers.LinkedInConfig{ClientID: s.get("CLIENT_ID"), ClientSecret: s.get("CLIENT_SECRET"), Scopes: s.list("SCOPES")})
	}},
	{"x", []string{"CLIENT_SECRET"}, func(s settings) (client.Provider, error) {
		return providers.X(providers.XConfig{ClientID: s.get("CLIENT_ID"), ClientSecret: s.get("CLIENT_SECRET"), Scopes: s.list("SCOPES")})
	}},
	{"twitch", []string{"CLIENT_SECRET"}, func(s settings) (client.Provider, error) {
		return providers.Twitch(providers.TwitchConfig{ClientID: s.get("CLIENT_ID"), ClientSecret: s.get("CLIENT_SECRET"), Scopes: s.list("SCOPES")})
	}},
	{"okta", []string{"CLIENT_SECRET", "DOMAIN"}, func(s settings) (client.Provider, error) {
		return providers.Okta(providers.OktaConfig{ClientID: s.get("CLIENT_ID"), ClientSecret: s.get("CLIENT_SECRET"),
			Domain: s.get("DOMAIN"), AuthorizationServer: s.get("AUTH_SERVER"), Scopes: s.list("SCOPES")})
	}},
	{"auth0", []string{"CLIENT_SECRET", "DOMAIN"}, func(s settings) (client.Provider, error) {
		return providers.Auth0(providers.Auth0Config{ClientID: s.get("CLIENT_ID"), ClientSecret: s.get("CLIENT_SECRET"),
			Domain: s.get("DOMAIN"), Audience: s.get("AUDIENCE"), Scopes: s.list("SCOPES")})
	}},
	{"keycloak", []string{"CLIENT_SECRET", "BASE_URL", "REALM"}, func(s settings) (client.Provider, error) {
		return providers.Keycloak(providers.KeycloakConfig{ClientID: s.get("CLIENT_ID"), ClientSecret: s.get("CLIENT_SECRET"),
			BaseURL: s.get("BASE_URL"), Realm: s.get("REALM"), Scopes: s.list("SCOPES")})
	}},
}

// presetProviders enables every preset whose LOGINKIT_<NAME>_CLIENT_ID is
// set. A preset with CLIENT_ID but not the rest of its settings is an error
// naming what is missing, never silently skipped.
func presetProviders(getenv func(string) string, baseURL string) ([]client.Provider, error) {
	var out []client.Provider
	for _, ps := range presets {
		s := settings{prefix: "LOGINKIT_" + strings.ToUpper(ps.name) + "_", getenv: getenv, baseURL: baseURL}
		if s.get("CLIENT_ID") == "" {
			continue
		}
		var missing []string
		for _, k := range ps.required {
			if s.get(k) == "" {
				missing = append(missing, s.prefix+k)
			}
		}
		if len(missing) > 0 {
			return nil, fmt.Errorf("%sCLIENT_ID is set but %s is not", s.prefix, strings.Join(missing, ", "))
		}
		p, err := ps.build(s)
		if err != nil {
			return nil, fmt.Errorf("%s…: %w", s.prefix, err)
		}
		p.DisplayName = "Sign in with " + p.DisplayName
		out = append(out, p)
	}
	return out, nil
}
