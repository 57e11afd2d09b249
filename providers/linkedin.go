package providers

import (
	"github.com/loginkit/loginkit/client"
)

// LinkedInConfig configures Sign In with LinkedIn using OpenID Connect. Add
// the "Sign In with LinkedIn using OpenID Connect" product to the app in the
// LinkedIn developer portal and the authorized redirect URL
// BASE_URL/callback/linkedin.
type LinkedInConfig struct {
	ClientID, ClientSecret string
	Scopes                 []string // added to openid profile email
	// AuthURL, TokenURL and UserInfoURL default to
	// https://www.linkedin.com/oauth/v2/authorization,
	// https://www.linkedin.com/oauth/v2/accessToken and
	// https://api.linkedin.com/v2/userinfo.
	AuthURL, TokenURL, UserInfoURL string
}

// LinkedIn returns the LinkedIn preset. The client authenticates with
// client_secret_post. LinkedIn's ID tokens do not echo the nonce of the
// authorization request, so a relying party that verifies them as OpenID
// Connect Core §3.1.3.7 requires fails every sign-in; this preset therefore
// takes the identity from LinkedIn's OpenID Connect userinfo endpoint,
// fetched with the access token straight from the token endpoint (state and
// PKCE protect the code), and ignores the ID token. sub, name, picture,
// email and email_verified are the standard claims.
//
// See https://learn.microsoft.com/linkedin/consumer/integrations/self-serve/sign-in-with-linkedin-v2
// and, on the missing nonce, https://github.com/authlib/authlib/issues/763 and
// https://github.com/python-social-auth/social-core/pull/833.
func LinkedIn(c LinkedInConfig) (client.Provider, error) {
	const name = "linkedin"
	if err := required(name, field{"ClientID", c.ClientID}, field{"ClientSecret", c.ClientSecret}); err != nil {
		return client.Provider{}, err
	}
	if err := setEndpoints(name,
		endpoint{&c.AuthURL, "AuthURL", "https://www.linkedin.com/oauth/v2/authorization"},
		endpoint{&c.TokenURL, "TokenURL", "https://www.linkedin.com/oauth/v2/accessToken"},
		endpoint{&c.UserInfoURL, "UserInfoURL", "https://api.linkedin.com/v2/userinfo"},
	); err != nil {
		return client.Provider{}, err
	}
	return client.Provider{
		Name: name, DisplayName: "LinkedIn", AuthURL: c.AuthURL, TokenURL: c.TokenURL, UserInfoURL: c.UserInfoURL,
		ClientID: c.ClientID, ClientSecret: c.ClientSecret, AuthMethod: client.AuthPost,
		Scopes: withScopes([]string{"openid", "profile", "email"}, c.Scopes),
		Claims: client.StandardClaims,
	}, nil
}
