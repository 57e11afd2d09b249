package providers

import (
	"net/url"

	"github.com/loginkit/loginkit/client"
)

// OktaConfig configures Okta (OpenID Connect). Create an OIDC "Web
// Application" integration with the sign-in redirect URI
// BASE_URL/callback/okta.
type OktaConfig struct {
	ClientID, ClientSecret string
	// Domain is the Okta org, e.g. dev-123456.okta.com or a custom domain.
	Domain string
	// AuthorizationServer is a custom authorization server's ID, e.g.
	// "default"; empty uses the org authorization server.
	AuthorizationServer string
	Scopes              []string // added to openid email profile
}

// Okta returns the Okta preset: the issuer is https://{Domain} for the org
// authorization server or https://{Domain}/oauth2/{AuthorizationServer}.
//
// See https://developer.okta.com/docs/concepts/auth-servers/ and
// https://developer.okta.com/docs/guides/sign-into-web-app-redirect/.
func Okta(c OktaConfig) (client.Provider, error) {
	const name = "okta"
	if err := required(name, field{"ClientID", c.ClientID}); err != nil {
		return client.Provider{}, err
	}
	iss, err := domainURL(name, "Domain", c.Domain)
	if err != nil {
		return client.Provider{}, err
	}
	if c.AuthorizationServer != "" {
		iss += "/oauth2/" + url.PathEscape(c.AuthorizationServer)
	}
	return oidcPreset(name, "Okta", iss, c.ClientID, c.ClientSecret, c.Scopes), nil
}
