package providers

import (
	"github.com/loginkit/loginkit/client"
)

// XConfig configures Sign in with X, formerly Twitter (OAuth 2.0 with
// PKCE). In the X developer console turn on OAuth 2.0 for the app, type
// "Web App" (a confidential client), with the callback URI
// BASE_URL/callback/x.
type XConfig struct {
	// ClientSecret may be empty for a public client ("Native App").
	ClientID, ClientSecret string
	Scopes                 []string // added to users.read tweet.read offline.access
	// AuthURL, TokenURL, RevocationURL and APIURL default to
	// https://x.com/i/oauth2/authorize, https://api.x.com/2/oauth2/token,
	// https://api.x.com/2/oauth2/revoke and https://api.x.com/2.
	AuthURL, TokenURL, RevocationURL, APIURL string
}

// X returns the X preset. Confidential clients authenticate with HTTP Basic
// at the token endpoint; offline.access makes X issue a refresh token
// (access tokens last two hours). The profile is
// GET /2/users/me?user.fields=profile_image_url: data.id (the subject),
// data.name, data.username; X gives no email address here.
//
// See https://docs.x.com/fundamentals/authentication/oauth-2-0/authorization-code
// and https://docs.x.com/x-api/users/user-lookup-me.
func X(c XConfig) (client.Provider, error) {
	const name = "x"
	if err := required(name, field{"ClientID", c.ClientID}); err != nil {
		return client.Provider{}, err
	}
	if err := setEndpoints(name,
		endpoint{&c.AuthURL, "AuthURL", "https://x.com/i/oauth2/authorize"},
		endpoint{&c.TokenURL, "TokenURL", "https://api.x.com/2/oauth2/token"},
		endpoint{&c.RevocationURL, "RevocationURL", "https://api.x.com/2/oauth2/revoke"},
		endpoint{&c.APIURL, "APIURL", "https://api.x.com/2"},
	); err != nil {
		return client.Provider{}, err
	}
	me := c.APIURL + "/users/me?user.fields=profile_image_url"
	return client.Provider{
		Name: name, DisplayName: "X", AuthURL: c.AuthURL, TokenURL: c.TokenURL, RevocationURL: c.RevocationURL,
		ClientID: c.ClientID, ClientSecret: c.ClientSecret, // AuthBasic with a secret
		Scopes:      withScopes([]string{"users.read", "tweet.read", "offline.access"}, c.Scopes),
		UserInfoURL: me,
		Profile:     profileAt("users/me", me, xClaims),
	}, nil
}

var xClaims = client.ClaimMap{Subject: "data.id", Name: "data.name", Picture: "data.profile_image_url"}
