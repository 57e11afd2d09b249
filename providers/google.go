package providers

import (
	"errors"
	"fmt"
	"strings"

	"github.com/loginkit/loginkit/client"
)

// ErrHostedDomain is a Google ID token whose hd claim is not the configured
// Workspace domain (it arrives wrapped in client.ErrClaimRejected).
var ErrHostedDomain = errors.New("loginkit/providers: Google account is not in the required Workspace domain")

// GoogleConfig configures Sign in with Google (OpenID Connect).
// Register a "Web application" OAuth client in the Google Cloud console
// (APIs & Services → Credentials) with the redirect URI
// BASE_URL/callback/google.
type GoogleConfig struct {
	ClientID, ClientSecret string
	// HostedDomain restricts sign-in to one Google Workspace domain
	// ("example.com"), or "*" to any Workspace account. It is sent as hd
	// (which only tunes Google's account chooser) and required in the ID
	// token's hd claim, which is what actually enforces it.
	HostedDomain string
	// Offline asks for a refresh token at every sign-in
	// (access_type=offline, prompt=consent).
	Offline bool
	Scopes  []string // added to openid email profile
	Issuer  string   // default https://accounts.google.com
}

// Google returns the Google preset. Google's discovery document, ID token
// and userinfo are standard; its quirks are the legacy issuer without scheme
// and the hd claim.
//
// See https://developers.google.com/identity/openid-connect/openid-connect
// (authentication parameters access_type, hd, prompt; "Validating an ID
// token": "Verify that the value of the iss claim ... equals
// https://accounts.google.com or accounts.google.com"; "Be sure to validate
// that the returned ID token has an hd claim value that matches what you
// expect") and https://developers.google.com/identity/openid-connect/reference.
func Google(c GoogleConfig) (client.Provider, error) {
	const name = "google"
	if err := required(name, field{"ClientID", c.ClientID}, field{"ClientSecret", c.ClientSecret}); err != nil {
		return client.Provider{}, err
	}
	iss, err := baseURL(name, "Issuer", c.Issuer, "https://accounts.google.com")
	if err != nil {
		return client.Provider{}, err
	}
	p := client.Provider{
		Name: name, DisplayName: "Google", Issuer: iss,
		ClientID: c.ClientID, ClientSecret: c.ClientSecret,
		Scopes:         withScopes([]string{"openid", "email", "profile"}, c.Scopes),
		AuthParams:     values("hd", c.HostedDomain),
		ValidateIssuer: googleIssuer(iss),
	}
	if c.Offline {
		p.AuthParams.Set("access_type", "offline")
		p.AuthParams.Set("prompt", "consent")
	}
	if c.HostedDomain != "" {
		p.CheckClaims = googleHostedDomain(c.HostedDomain)
	}
	return p, nil
}

// googleIssuer accepts the configured issuer and its legacy form without the
// scheme, which Google still puts in some ID tokens.
func googleIssuer(iss string) client.IssuerFunc {
	legacy := strings.TrimPrefix(strings.TrimPrefix(iss, "https://"), "http://")
	return func(got string, _ map[string]any) error {
		if got != iss && got != legacy {
			return fmt.Errorf("ID token iss is %q", got)
		}
		return nil
	}
}

// googleHostedDomain requires the hd claim: equal to domain (compared
// without regard to case, as domain names are), or present for "*".
func googleHostedDomain(domain string) client.ClaimsFunc {
	return func(claims map[string]any) (string, error) {
		hd := claimString(claims, "hd")
		switch {
		case hd == "":
			return "", fmt.Errorf("%w: the ID token has no hd claim (a consumer account)", ErrHostedDomain)
		case domain != "*" && !strings.EqualFold(hd, domain):
			return "", fmt.Errorf("%w: hd is %q", ErrHostedDomain, hd)
		}
		return "", nil
	}
}
