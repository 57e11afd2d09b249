package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// AuthMethod is how the client authenticates at the token endpoint
// (OpenID Connect Core §9).
type AuthMethod string

// Client authentication methods.
const (
	AuthBasic AuthMethod = "client_secret_basic"
	AuthPost  AuthMethod = "client_secret_post"
	AuthNone  AuthMethod = "none" // public clients; PKCE carries the proof
)

// ClaimMap names the profile fields that hold each User field, for plain
// OAuth2 providers whose profile API is not OpenID Connect userinfo.
type ClaimMap struct {
	Subject, Email, EmailVerified, Name, Picture string
}

// StandardClaims is the OpenID Connect Core §5.1 mapping.
var StandardClaims = ClaimMap{Subject: "sub", Email: "email", EmailVerified: "email_verified", Name: "name", Picture: "picture"}

// ProfileFunc fetches the user's profile for providers whose profile is not
// plain userinfo. hc is bounded and sends the access token; the returned User
// needs only the fields the provider knows.
type ProfileFunc func(ctx context.Context, hc *http.Client, t *Tokens) (*User, error)

// IssuerFunc validates an ID token's iss claim against its other claims, for
// providers with one discovery document for many issuers (Entra ID's
// {tenantid} template). It replaces the equality check, so it must be strict.
type IssuerFunc func(iss string, claims map[string]any) error

// Provider describes one identity provider. It is a plain value: presets in
// package providers fill it, and New turns it into a live Client.
type Provider struct {
	Name        string // registry key and route segment: "google", "demo"
	DisplayName string // shown on sign-in buttons

	// Issuer enables OpenID Connect discovery (OpenID Connect Discovery 1.0).
	// Leave it empty for plain OAuth2 and set the endpoints instead.
	Issuer string

	// Endpoints; with an Issuer these override what discovery found.
	AuthURL, TokenURL, UserInfoURL, RevocationURL, EndSessionURL, JWKSURL string

	ClientID     string
	ClientSecret string
	// ClientSecretFunc replaces ClientSecret for providers whose secret is a
	// signed assertion renewed over time (Sign in with Apple).
	ClientSecretFunc SecretFunc
	AuthMethod       AuthMethod // default AuthBasic with a secret, AuthNone without
	RedirectURL      string     // exact redirect URI registered with the provider
	Scopes           []string   // default "openid email profile" with an Issuer
	AuthParams       url.Values // extra authorization request parameters
	ResponseMode     string     // "" (query) or "form_post"

	// Profile overrides how the user's profile is fetched; by default the
	// userinfo endpoint, mapped with Claims.
	Profile ProfileFunc
	Claims  ClaimMap // default StandardClaims
	// By default an OpenID Connect login asks userinfo for the profile only
	// when the verified ID token lacks it: the email and email_verified
	// when the scopes include "email", the name with "profile" (OpenID
	// Connect Core §5.4 lets providers put them in either). Otherwise the
	// User comes from the ID token, User.Raw is its payload, and a login
	// costs one request to the provider. A custom Claims map always uses
	// userinfo.
	//
	// ProfileFromIDToken never asks userinfo: the ID token is all, whatever
	// it holds. AlwaysUserInfo always asks it, e.g. for claims that only
	// userinfo carries in User.Raw. Neither with Profile; not both.
	ProfileFromIDToken, AlwaysUserInfo bool

	// IDTokenAlgs limits the ID token signature algorithms; default: what
	// discovery lists, minus "none" and HMAC, else RS256.
	IDTokenAlgs []string
	// ValidateIssuer replaces the iss equality check (multi-tenant issuers).
	ValidateIssuer IssuerFunc
	// DiscoveryIssuer is the issuer the discovery document declares when it
	// differs from Issuer, the URL it is fetched from: Entra ID's
	// ".../{tenantid}/v2.0" served under ".../common/v2.0". Discovery then
	// requires exactly this value. It needs ValidateIssuer, since no token
	// carries the template as its iss.
	DiscoveryIssuer string
	// CheckClaims vets each verified ID token's provider-specific claims and
	// may name the subject users are keyed on (see ClaimsFunc).
	CheckClaims ClaimsFunc
	// NameFromCallback reads an unsigned display name from the callback's
	// parameters (see NameFunc).
	NameFromCallback NameFunc

	HTTPClient       *http.Client     // base client; a copy is bounded
	Timeout          time.Duration    // per call; default 10 s
	MaxResponseBytes int64            // per response; default 1 MiB
	Now              func() time.Time // clock; default time.Now
	Leeway           time.Duration    // clock skew allowed for iat; default 1 min
}

// IsOIDC reports whether the provider speaks OpenID Connect.
func (p *Provider) IsOIDC() bool { return p.Issuer != "" }

func (p *Provider) validate() error {
	switch {
	case p.Name == "":
		return fmt.Errorf("%w: Name is empty", ErrInvalidConfig)
	case p.ClientID == "":
		return fmt.Errorf("%w: %s: ClientID is empty", ErrInvalidConfig, p.Name)
	case p.RedirectURL == "":
		return fmt.Errorf("%w: %s: RedirectURL is empty", ErrInvalidConfig, p.Name)
	case !p.IsOIDC() && (p.AuthURL == "" || p.TokenURL == ""):
		return fmt.Errorf("%w: %s: plain OAuth2 needs AuthURL and TokenURL", ErrInvalidConfig, p.Name)
	case !p.IsOIDC() && p.UserInfoURL == "" && p.Profile == nil:
		return fmt.Errorf("%w: %s: plain OAuth2 needs UserInfoURL or Profile", ErrInvalidConfig, p.Name)
	case p.ClientSecret != "" && p.ClientSecretFunc != nil:
		return fmt.Errorf("%w: %s: set ClientSecret or ClientSecretFunc, not both", ErrInvalidConfig, p.Name)
	case p.ProfileFromIDToken && (!p.IsOIDC() || p.Profile != nil):
		return fmt.Errorf("%w: %s: ProfileFromIDToken needs an Issuer and no Profile", ErrInvalidConfig, p.Name)
	case p.AlwaysUserInfo && (!p.IsOIDC() || p.Profile != nil || p.ProfileFromIDToken):
		return fmt.Errorf("%w: %s: AlwaysUserInfo needs an Issuer, and neither Profile nor ProfileFromIDToken", ErrInvalidConfig, p.Name)
	case p.DiscoveryIssuer != "" && p.ValidateIssuer == nil:
		return fmt.Errorf("%w: %s: DiscoveryIssuer needs ValidateIssuer", ErrInvalidConfig, p.Name)
	case p.ResponseMode != "" && p.ResponseMode != "query" && p.ResponseMode != "form_post":
		return fmt.Errorf("%w: %s: ResponseMode %q", ErrInvalidConfig, p.Name, p.ResponseMode)
	}
	if _, err := url.Parse(p.RedirectURL); err != nil {
		return fmt.Errorf("%w: %s: RedirectURL: %v", ErrInvalidConfig, p.Name, err)
	}
	return nil
}

func (p *Provider) withDefaults() Provider {
	q := *p
	if q.AuthMethod == "" {
		q.AuthMethod = AuthBasic
		if q.ClientSecret == "" && q.ClientSecretFunc == nil {
			q.AuthMethod = AuthNone
		}
	}
	if q.Scopes == nil && q.IsOIDC() {
		q.Scopes = []string{"openid", "email", "profile"}
	}
	if q.Claims == (ClaimMap{}) {
		q.Claims = StandardClaims
	}
	if q.Now == nil {
		q.Now = time.Now
	}
	if q.Leeway == 0 {
		q.Leeway = time.Minute
	}
	if q.DisplayName == "" {
		q.DisplayName = q.Name
	}
	return q
}
