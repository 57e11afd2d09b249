package providers

import (
	"encoding/json"
	"net/url"
	"strings"
	"time"

	"github.com/loginkit/loginkit/client"
)

// AppleConfig configures Sign in with Apple (OpenID Connect). In the Apple
// Developer account create a Services ID (the ClientID) with Sign in with
// Apple enabled, its domain, and the return URL BASE_URL/callback/apple,
// which must be https; and a key for Sign in with Apple (KeyID and the .p8
// file).
type AppleConfig struct {
	ClientID   string // the Services ID, e.g. com.example.web
	TeamID     string
	KeyID      string
	PrivateKey []byte        // contents of AuthKey_<KeyID>.p8
	Lifetime   time.Duration // of each client secret; default 1 hour
	// Scopes default to "name email", the two Apple defines; "name" makes
	// Apple send the user's name once, in the callback's user field.
	Scopes []string
	Issuer string           // default https://appleid.apple.com
	Now    func() time.Time // for the client secret; default time.Now
}

// Apple returns the Sign in with Apple preset.
//
// Apple answers with response_mode=form_post (required when name or email is
// requested): the callback is a cross-site POST, so middleware keeps the
// pending login in a SameSite=None; Secure cookie, and the app must be
// served over https. The client secret is an ES256 JWT that AppleSecret
// signs and renews (client_secret_post). The ID token carries sub, email,
// email_verified (a string "true") and is_private_email; there is no
// userinfo endpoint, and the name arrives only on the first authorization,
// unsigned, in the user form field, so it fills User.Name and nothing else.
//
// See https://developer.apple.com/documentation/sign_in_with_apple/request_an_authorization_to_the_sign_in_with_apple_server
// (scope, response_mode, the user object) and
// https://developer.apple.com/documentation/sign_in_with_apple/authenticating-users-with-sign-in-with-apple
// (ID token claims).
func Apple(c AppleConfig) (client.Provider, error) {
	const name = "apple"
	iss, err := baseURL(name, "Issuer", c.Issuer, "https://appleid.apple.com")
	if err != nil {
		return client.Provider{}, err
	}
	secret, err := NewAppleSecret(AppleSecretConfig{
		TeamID: c.TeamID, KeyID: c.KeyID, ClientID: c.ClientID, PrivateKey: c.PrivateKey,
		Audience: iss, Lifetime: c.Lifetime, Now: c.Now,
	})
	if err != nil {
		return client.Provider{}, err
	}
	scopes := c.Scopes
	if scopes == nil {
		scopes = []string{"name", "email"}
	}
	return client.Provider{
		Name: name, DisplayName: "Apple", Issuer: iss,
		ClientID: c.ClientID, ClientSecretFunc: secret.Secret, AuthMethod: client.AuthPost,
		Scopes: scopes, ResponseMode: "form_post",
		IDTokenAlgs:      []string{"RS256"},
		NameFromCallback: appleName,
	}, nil
}

// appleName reads {"name":{"firstName":…,"lastName":…},"email":…} from the
// user form field Apple posts on the first authorization.
func appleName(params url.Values) string {
	var u struct {
		Name struct {
			FirstName string `json:"firstName"`
			LastName  string `json:"lastName"`
		} `json:"name"`
	}
	raw := params.Get("user")
	if raw == "" || len(raw) > 4096 || json.Unmarshal([]byte(raw), &u) != nil {
		return ""
	}
	return strings.TrimSpace(u.Name.FirstName + " " + u.Name.LastName)
}
