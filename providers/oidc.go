package providers

import (
	"net/url"

	"github.com/loginkit/loginkit/client"
)

// OIDCConfig configures any OpenID Connect provider found by discovery.
type OIDCConfig struct {
	Name        string // registry name and route segment; default "oidc"
	DisplayName string // default the issuer's host
	Issuer      string // required
	ClientID    string
	// ClientSecret may be empty for a public client (PKCE alone).
	ClientSecret string
	AuthMethod   client.AuthMethod // default client_secret_basic with a secret
	Scopes       []string          // default openid email profile
	// Claims maps userinfo fields to User fields; default the standard
	// claims (OpenID Connect Core §5.1).
	Claims client.ClaimMap
	// Endpoint overrides for what discovery finds.
	AuthURL, TokenURL, UserInfoURL, RevocationURL, EndSessionURL, JWKSURL string
}

// OIDC returns a preset for any OpenID Connect provider: discovery,
// verified ID tokens and userinfo, per OpenID Connect Core 1.0 and
// Discovery 1.0.
func OIDC(c OIDCConfig) (client.Provider, error) {
	name := or(c.Name, "oidc")
	if err := required(name, field{"ClientID", c.ClientID}); err != nil {
		return client.Provider{}, err
	}
	iss, err := baseURL(name, "Issuer", c.Issuer, "")
	if err != nil {
		return client.Provider{}, err
	}
	if c.Issuer != "" && c.Issuer[len(c.Issuer)-1] == '/' {
		iss = c.Issuer // an issuer is compared as a string: keep its slash
	}
	return client.Provider{
		Name: name, DisplayName: or(c.DisplayName, hostOf(iss)), Issuer: iss,
		ClientID: c.ClientID, ClientSecret: c.ClientSecret, AuthMethod: c.AuthMethod,
		Scopes: c.Scopes, Claims: c.Claims,
		AuthURL: c.AuthURL, TokenURL: c.TokenURL, UserInfoURL: c.UserInfoURL,
		RevocationURL: c.RevocationURL, EndSessionURL: c.EndSessionURL, JWKSURL: c.JWKSURL,
	}, nil
}

// oidcPreset is the common shape of the presets that are plain OpenID
// Connect with a known issuer.
func oidcPreset(name, display, issuer, clientID, clientSecret string, scopes []string) client.Provider {
	return client.Provider{
		Name: name, DisplayName: display, Issuer: issuer,
		ClientID: clientID, ClientSecret: clientSecret,
		Scopes: withScopes([]string{"openid", "email", "profile"}, scopes),
	}
}

// hostOf is an issuer's host, the generic preset's default display name.
func hostOf(issuer string) string {
	u, err := url.Parse(issuer)
	if err != nil {
		return issuer
	}
	return u.Host
}
