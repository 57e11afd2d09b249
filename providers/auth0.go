package providers

import (
	"github.com/loginkit/loginkit/client"
)

// Auth0Config configures Auth0 (OpenID Connect). Create a "Regular Web
// Application" with the allowed callback URL BASE_URL/callback/auth0.
type Auth0Config struct {
	ClientID, ClientSecret string
	Domain                 string // the tenant, e.g. example.eu.auth0.com, or a custom domain
	// Audience asks for an access token for one of your APIs.
	Audience string
	Scopes   []string // added to openid email profile
}

// Auth0 returns the Auth0 preset. Auth0's issuer ends with a slash,
// "https://{Domain}/", and is compared as such.
//
// See https://auth0.com/docs/get-started/applications/configure-applications-with-oidc-discovery
// and https://auth0.com/docs/secure/tokens/id-tokens/validate-id-tokens.
func Auth0(c Auth0Config) (client.Provider, error) {
	const name = "auth0"
	if err := required(name, field{"ClientID", c.ClientID}); err != nil {
		return client.Provider{}, err
	}
	origin, err := domainURL(name, "Domain", c.Domain)
	if err != nil {
		return client.Provider{}, err
	}
	p := oidcPreset(name, "Auth0", origin+"/", c.ClientID, c.ClientSecret, c.Scopes)
	p.AuthParams = values("audience", c.Audience)
	return p, nil
}
