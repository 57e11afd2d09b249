package providers

import (
	"net/url"

	"github.com/loginkit/loginkit/client"
)

// KeycloakConfig configures a Keycloak realm (OpenID Connect). Create an
// OpenID Connect client with client authentication on and the valid
// redirect URI BASE_URL/callback/keycloak.
type KeycloakConfig struct {
	ClientID, ClientSecret string
	// BaseURL is the server, e.g. https://id.example.com (Keycloak 17 and
	// later; include /auth for older servers).
	BaseURL string
	Realm   string
	Scopes  []string // added to openid email profile
}

// Keycloak returns the Keycloak preset: the issuer is
// {BaseURL}/realms/{Realm}.
//
// See https://www.keycloak.org/securing-apps/oidc-layers (endpoints).
func Keycloak(c KeycloakConfig) (client.Provider, error) {
	const name = "keycloak"
	if err := required(name, field{"ClientID", c.ClientID}, field{"Realm", c.Realm}); err != nil {
		return client.Provider{}, err
	}
	base, err := baseURL(name, "BaseURL", c.BaseURL, "")
	if err != nil {
		return client.Provider{}, err
	}
	return oidcPreset(name, "Keycloak", base+"/realms/"+url.PathEscape(c.Realm), c.ClientID, c.ClientSecret, c.Scopes), nil
}
