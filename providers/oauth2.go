package providers

import (
	"context"
	"net/http"

	"github.com/loginkit/loginkit/client"
)

// OAuth2Config configures any plain OAuth 2.0 provider whose user profile
// is a JSON document at one URL.
type OAuth2Config struct {
	Name        string // registry name and route segment; required
	DisplayName string // default Name
	ClientID    string
	// ClientSecret may be empty for a public client (PKCE alone).
	ClientSecret string
	AuthMethod   client.AuthMethod // default client_secret_basic with a secret
	Scopes       []string
	AuthURL      string // required
	TokenURL     string // required
	// ProfileURL is fetched with the access token after sign-in; required.
	ProfileURL    string
	RevocationURL string // RFC 7009, optional
	// Claims maps profile fields to User fields; entries may be dotted
	// paths into nested objects and arrays ("data.id", "images.0.url").
	// Subject is required and must name an immutable ID. Leave
	// EmailVerified empty when the provider does not verify addresses.
	Claims client.ClaimMap
}

// OAuth2 returns a preset for a plain OAuth 2.0 provider (RFC 6749 with
// PKCE, RFC 7636): authorization code, token, then the profile document
// mapped through Claims.
func OAuth2(c OAuth2Config) (client.Provider, error) {
	name := c.Name
	if err := required("oauth2", field{"Name", name}); err != nil {
		return client.Provider{}, err
	}
	if err := required(name, field{"ClientID", c.ClientID}, field{"Claims.Subject", c.Claims.Subject}); err != nil {
		return client.Provider{}, err
	}
	var err error
	for _, u := range []struct {
		dst  *string
		name string
	}{{&c.AuthURL, "AuthURL"}, {&c.TokenURL, "TokenURL"}, {&c.ProfileURL, "ProfileURL"}} {
		if *u.dst, err = endpointURL(name, u.name, *u.dst); err != nil {
			return client.Provider{}, err
		}
	}
	if c.RevocationURL != "" {
		if _, err := endpointURL(name, "RevocationURL", c.RevocationURL); err != nil {
			return client.Provider{}, err
		}
	}
	return client.Provider{
		Name: name, DisplayName: or(c.DisplayName, name), AuthURL: c.AuthURL, TokenURL: c.TokenURL,
		RevocationURL: c.RevocationURL, UserInfoURL: c.ProfileURL,
		ClientID: c.ClientID, ClientSecret: c.ClientSecret, AuthMethod: c.AuthMethod, Scopes: c.Scopes,
		Claims: c.Claims, Profile: profileAt("profile", c.ProfileURL, c.Claims),
	}, nil
}

// profileAt fetches one profile document and maps it with a dotted claim map.
func profileAt(endpoint, url string, cm client.ClaimMap) client.ProfileFunc {
	return func(ctx context.Context, hc *http.Client, _ *client.Tokens) (*client.User, error) {
		raw, err := apiGet(ctx, hc, endpoint, url, nil)
		if err != nil {
			return nil, err
		}
		return mapProfile(raw, cm)
	}
}
