package providers

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"regexp"

	"github.com/loginkit/loginkit/client"
)

// DefaultFacebookVersion is the Graph API version the Facebook preset calls
// unless FacebookConfig.Version says otherwise. Meta supports each version
// for about two years; move with it.
const DefaultFacebookVersion = "v23.0"

// FacebookConfig configures Facebook Login (plain OAuth 2.0 and the Graph
// API). Create an app at developers.facebook.com with the Facebook Login
// product; add BASE_URL/callback/facebook to "Valid OAuth Redirect URIs" and
// turn on "Require App Secret".
type FacebookConfig struct {
	ClientID, ClientSecret string   // the app ID and app secret
	Version                string   // Graph API version; default DefaultFacebookVersion
	Scopes                 []string // added to email public_profile
	// AuthURL, TokenURL and GraphURL default to the versioned
	// https://www.facebook.com/{v}/dialog/oauth,
	// https://graph.facebook.com/{v}/oauth/access_token and
	// https://graph.facebook.com/{v}.
	AuthURL, TokenURL, GraphURL string
}

// Facebook returns the Facebook preset. The profile is
// GET {GraphURL}/me?fields=id,name,email,picture with the access token in
// the Authorization header and appsecret_proof, the hex HMAC-SHA256 of the
// access token keyed with the app secret, which an app with "Require App
// Secret" demands on every Graph call. email is absent when the person has
// none or declined the permission; Facebook does not say whether it is
// verified, so EmailVerified is false. The subject is the app-scoped user
// ID.
//
// See https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow
// (dialog/oauth, oauth/access_token) and
// https://developers.facebook.com/docs/graph-api/securing-requests
// (appsecret_proof).
func Facebook(c FacebookConfig) (client.Provider, error) {
	const name = "facebook"
	if err := required(name, field{"ClientID", c.ClientID}, field{"ClientSecret", c.ClientSecret}); err != nil {
		return client.Provider{}, err
	}
	v := or(c.Version, DefaultFacebookVersion)
	if !graphVersion.MatchString(v) {
		return client.Provider{}, configError(name, "Version %q: want a Graph API version such as %s", v, DefaultFacebookVersion)
	}
	if err := setEndpoints(name,
		endpoint{&c.AuthURL, "AuthURL", "https://www.facebook.com/" + v + "/dialog/oauth"},
		endpoint{&c.TokenURL, "TokenURL", "https://graph.facebook.com/" + v + "/oauth/access_token"},
		endpoint{&c.GraphURL, "GraphURL", "https://graph.facebook.com/" + v},
	); err != nil {
		return client.Provider{}, err
	}
	return client.Provider{
		Name: name, DisplayName: "Facebook", AuthURL: c.AuthURL, TokenURL: c.TokenURL,
		ClientID: c.ClientID, ClientSecret: c.ClientSecret, AuthMethod: client.AuthPost,
		Scopes:  withScopes([]string{"email", "public_profile"}, c.Scopes),
		Profile: facebookProfile(c.GraphURL, c.ClientSecret),
	}, nil
}

// AppSecretProof is the appsecret_proof parameter for a Graph API call made
// with accessToken: hex(HMAC-SHA256(key = app secret, message = token)).
// Add it to every Graph call an app makes with the user's token.
func AppSecretProof(accessToken, appSecret string) string {
	m := hmac.New(sha256.New, []byte(appSecret))
	m.Write([]byte(accessToken))
	return hex.EncodeToString(m.Sum(nil))
}

var graphVersion = regexp.MustCompile(`^v[0-9]+\.[0-9]+$`)

var facebookClaims = client.ClaimMap{Subject: "id", Email: "email", Name: "name", Picture: "picture.data.url"}

func facebookProfile(graph, appSecret string) client.ProfileFunc {
	return func(ctx context.Context, hc *http.Client, t *client.Tokens) (*client.User, error) {
		q := url.Values{"fields": {"id,name,email,picture"}, "appsecret_proof": {AppSecretProof(t.AccessToken, appSecret)}}
		raw, err := apiGet(ctx, hc, "graph", graph+"/me?"+q.Encode(), nil)
		if err != nil {
			return nil, err
		}
		return mapProfile(raw, facebookClaims)
	}
}
