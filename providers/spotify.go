package providers

import (
	"net/url"

	"github.com/loginkit/loginkit/client"
)

// SpotifyConfig configures Sign in with Spotify (OAuth 2.0 with PKCE).
// Register the redirect URI BASE_URL/callback/spotify in the Spotify
// developer dashboard. Spotify accepts http only for loopback IP literals:
// serve the app at http://127.0.0.1:PORT (or [::1]), never localhost.
type SpotifyConfig struct {
	// ClientSecret may be empty: Spotify's PKCE flow works for public
	// clients, which send only client_id.
	ClientID, ClientSecret string
	// RedirectURL, when set, is checked against Spotify's rules and used
	// instead of the one middleware builds from its BaseURL.
	RedirectURL string
	Scopes      []string // added to user-read-email user-read-private
	// AuthURL, TokenURL and APIURL default to
	// https://accounts.spotify.com/authorize,
	// https://accounts.spotify.com/api/token and https://api.spotify.com/v1.
	AuthURL, TokenURL, APIURL string
}

// Spotify returns the Spotify preset. The profile is GET /v1/me: id (the
// subject), display_name, email and images; Spotify warns that the address
// is unverified, so EmailVerified is false.
//
// See https://developer.spotify.com/documentation/web-api/tutorials/code-pkce-flow,
// https://developer.spotify.com/documentation/web-api/concepts/redirect_uri
// ("localhost is not allowed as redirect URI") and
// https://developer.spotify.com/documentation/web-api/reference/get-current-users-profile.
func Spotify(c SpotifyConfig) (client.Provider, error) {
	const name = "spotify"
	if err := required(name, field{"ClientID", c.ClientID}); err != nil {
		return client.Provider{}, err
	}
	if c.RedirectURL != "" {
		if err := SpotifyRedirectOK(c.RedirectURL); err != nil {
			return client.Provider{}, err
		}
	}
	if err := setEndpoints(name,
		endpoint{&c.AuthURL, "AuthURL", "https://accounts.spotify.com/authorize"},
		endpoint{&c.TokenURL, "TokenURL", "https://accounts.spotify.com/api/token"},
		endpoint{&c.APIURL, "APIURL", "https://api.spotify.com/v1"},
	); err != nil {
		return client.Provider{}, err
	}
	return client.Provider{
		Name: name, DisplayName: "Spotify", AuthURL: c.AuthURL, TokenURL: c.TokenURL,
		ClientID: c.ClientID, ClientSecret: c.ClientSecret, RedirectURL: c.RedirectURL,
		Scopes:      withScopes([]string{"user-read-email", "user-read-private"}, c.Scopes),
		UserInfoURL: c.APIURL + "/me",
		Profile:     profileAt("me", c.APIURL+"/me", spotifyClaims),
	}, nil
}

var spotifyClaims = client.ClaimMap{Subject: "id", Email: "email", Name: "display_name", Picture: "images.0.url"}

// SpotifyRedirectOK applies Spotify's redirect URI rules: https, or http to
// a loopback IP literal (127.0.0.1 or [::1]); never "localhost".
func SpotifyRedirectOK(redirect string) error {
	u, err := url.Parse(redirect)
	if err != nil || !u.IsAbs() {
		return configError("spotify", "redirect URI %q is not absolute", redirect)
	}
	switch {
	case u.Hostname() == "localhost":
		return configError("spotify", "redirect URI %q: Spotify refuses localhost; use http://127.0.0.1:PORT", redirect)
	case u.Scheme == "http" && u.Hostname() != "127.0.0.1" && u.Hostname() != "::1":
		return configError("spotify", "redirect URI %q: Spotify needs https except on 127.0.0.1 or [::1]", redirect)
	}
	return nil
}
