package providers

import (
	"github.com/loginkit/loginkit/client"
)

// TwitchConfig configures Sign in with Twitch (OpenID Connect). Register
// the app in the Twitch developer console with the OAuth redirect URL
// BASE_URL/callback/twitch and a confidential client type.
type TwitchConfig struct {
	ClientID, ClientSecret string
	Scopes                 []string // added to openid user:read:email
	Issuer                 string   // default https://id.twitch.tv/oauth2
}

// twitchClaims asks for the optional claims Twitch only includes on request
// (OpenID Connect Core §5.5, the claims parameter).
const twitchClaims = `{"id_token":{"email":null,"email_verified":null,"picture":null,"preferred_username":null},` +
	`"userinfo":{"email":null,"email_verified":null,"picture":null,"preferred_username":null}}`

// Twitch returns the Twitch preset: the claims parameter requests email,
// email_verified, picture and preferred_username (Twitch's display name,
// mapped to User.Name); the secret travels in the token request's body.
//
// See https://dev.twitch.tv/docs/authentication/getting-tokens-oidc/.
func Twitch(c TwitchConfig) (client.Provider, error) {
	const name = "twitch"
	if err := required(name, field{"ClientID", c.ClientID}, field{"ClientSecret", c.ClientSecret}); err != nil {
		return client.Provider{}, err
	}
	iss, err := baseURL(name, "Issuer", c.Issuer, "https://id.twitch.tv/oauth2")
	if err != nil {
		return client.Provider{}, err
	}
	return client.Provider{
		Name: name, DisplayName: "Twitch", Issuer: iss,
		ClientID: c.ClientID, ClientSecret: c.ClientSecret, AuthMethod: client.AuthPost,
		Scopes:     withScopes([]string{"openid", "user:read:email"}, c.Scopes),
		AuthParams: values("claims", twitchClaims),
		Claims: client.ClaimMap{Subject: "sub", Email: "email", EmailVerified: "email_verified",
			Name: "preferred_username", Picture: "picture"},
	}, nil
}
