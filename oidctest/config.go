package oidctest

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"time"
)

// User is an account the provider can sign in. Its fields become the standard
// claims of OpenID Connect Core 1.0 §5.1 in ID tokens and userinfo responses.
type User struct {
	// Subject is the sub claim: a stable, unique identifier. Required.
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	GivenName     string
	FamilyName    string
	Picture       string
	// Password is the user's password for the resource owner password
	// grant, which only Config.InsecurePasswordGrant enables. Empty means the
	// user cannot sign in that way.
	Password string
	// Extra claims are merged into the ID token and the userinfo response.
	// They override the profile claims above (so a test can send, say,
	// "email_verified": "true" as a string) but never the protocol claims
	// (iss, sub, aud, exp, iat, auth_time, nonce, at_hash, sid, azp); use
	// Hooks.IDTokenClaims to tamper with those.
	Extra map[string]any
}

// Client is a registered relying party (RFC 6749 §2).
type Client struct {
	// ID is the client_id. Required.
	ID string
	// Secret is the client secret. Empty means a public client, which
	// authenticates with token_endpoint_auth_method "none" (RFC 6749 §2.1).
	Secret string
	// RedirectURIs are the registered redirect URIs; the authorization
	// request must use one of them exactly (RFC 6749 §3.1.2, OIDC Core §3.1.2.1).
	RedirectURIs []string
	// PostLogoutRedirectURIs are the URIs the end_session endpoint may
	// redirect to (OpenID Connect RP-Initiated Logout 1.0 §3).
	PostLogoutRedirectURIs []string
	// GrantTypes are the grant types the client may use (RFC 7591 §2):
	// "authorization_code", "refresh_token", "client_credentials" (clients
	// with a Secret only), GrantDeviceCode, "password" (with
	// Config.InsecurePasswordGrant) and "implicit" (with
	// Config.InsecureImplicitAndHybrid). Empty means authorization_code and
	// refresh_token. RedirectURIs are required only with authorization_code
	// or implicit.
	GrantTypes []string
}

// Config configures a Provider. The zero value of each optional field
// selects the documented default.
type Config struct {
	// Issuer is the issuer identifier: an absolute http or https URL without
	// query or fragment, possibly with a path. Required by New; NewServer
	// sets it to the server URL followed by the path of Issuer, if any.
	Issuer string
	// Users are the accounts that can sign in.
	Users []User
	// Clients are the registered clients.
	Clients []Client
	// AutoApprove is the subject of a user who is signed in at once, with no
	// page. When empty, /authorize renders a page listing Users with a
	// button each, plus a Deny button. With prompt=none only the AutoApprove
	// user signs in, and only if login_hint, when sent, is their subject or
	// email; otherwise the answer is error=login_required (OIDC Core §3.1.2.6).
	AutoApprove string
	// Alg is the ID token signing algorithm: "RS256" (the default) or "ES256".
	Alg string
	// AccessTokenTTL is the access token lifetime; default 1h.
	AccessTokenTTL time.Duration
	// IDTokenTTL is the ID token lifetime; default 1h.
	IDTokenTTL time.Duration
	// RefreshTokenTTL is the refresh token lifetime; default 30 days.
	RefreshTokenTTL time.Duration
	// CodeTTL is the authorization code lifetime; default 1m.
	CodeTTL time.Duration
	// Now is the clock; default time.Now. Every expiry uses it.
	Now func() time.Time
	// TokenPadding, when greater than the natural length, pads access and
	// refresh tokens with random characters to this length (at most 1 MiB).
	TokenPadding int
	// DisableRefreshRotation keeps a refresh token valid after use; the
	// token endpoint then returns the same refresh token again. By default
	// each refresh token is single use (RFC 9700 §4.14.2).
	DisableRefreshRotation bool

	// DeviceCodeTTL is the lifetime of a device code (RFC 8628 §3.2); default 10m.
	DeviceCodeTTL time.Duration
	// DeviceInterval is the polling interval the device authorization
	// response asks for (RFC 8628 §3.2), in whole seconds; default 5s. A
	// client polling sooner gets slow_down and 5 s more (§3.5).
	DeviceInterval time.Duration
	// InsecurePasswordGrant enables the resource owner password credentials
	// grant (RFC 6749 §4.3) for clients whose GrantTypes list "password".
	// RFC 9700 §2.4 says it MUST NOT be used; it is here so that loginkit's
	// legacy support can be tested.
	InsecurePasswordGrant bool
	// InsecureImplicitAndHybrid enables the response types "id_token",
	// "id_token token", "code id_token" and "code id_token token" (OIDC
	// Core §3.2, §3.3), with response_mode=form_post only, for clients whose
	// GrantTypes list "implicit" (for the token-bearing ones) or
	// "authorization_code" (for "code id_token"). RFC 9700 §2.1.2 advises
	// against issuing access tokens in authorization responses.
	InsecureImplicitAndHybrid bool
	// Registration enables dynamic client registration (RFC 7591) at
	// /register and reading registrations back (RFC 7592 §2.1).
	Registration bool
	// InitialAccessToken, when set, is the bearer token registration
	// requests must carry (RFC 7591 §3); otherwise registration is open.
	InitialAccessToken string
	// Resources are the APIs a token request may name in its resource
	// parameter (RFC 8707); their access tokens are RFC 9068 JWTs unless
	// Resource.Opaque. Requests without resource get opaque tokens as
	// before; an unknown resource gets invalid_target.
	Resources []Resource
}

const (
	defaultAccessTokenTTL  = time.Hour
	defaultIDTokenTTL      = time.Hour
	defaultRefreshTokenTTL = 30 * 24 * time.Hour
	defaultCodeTTL         = time.Minute
	maxTokenPadding        = 1 << 20
)

var (
	errNoIssuer   = errors.New("oidctest: Config.Issuer is required")
	errBadIssuer  = errors.New("oidctest: Config.Issuer must be an absolute http(s) URL without query or fragment")
	errBadAlg     = errors.New(`oidctest: Config.Alg must be "RS256" or "ES256"`)
	errNegative   = errors.New("oidctest: durations and TokenPadding must not be negative")
	errBigPadding = errors.New("oidctest: Config.TokenPadding is larger than 1 MiB")
)

// withDefaults returns a copy of c with defaults filled in.
func (c Config) withDefaults() Config {
	if c.Alg == "" {
		c.Alg = "RS256"
	}
	c.AccessTokenTTL = durationOr(c.AccessTokenTTL, defaultAccessTokenTTL)
	c.IDTokenTTL = durationOr(c.IDTokenTTL, defaultIDTokenTTL)
	c.RefreshTokenTTL = durationOr(c.RefreshTokenTTL, defaultRefreshTokenTTL)
	c.CodeTTL = durationOr(c.CodeTTL, defaultCodeTTL)
	c.DeviceCodeTTL = durationOr(c.DeviceCodeTTL, defaultDeviceCodeTTL)
	c.DeviceInterval = durationOr(c.DeviceInterval, defaultDeviceInterval)
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

func durationOr(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// validate checks a configuration that has its defaults filled in.
func (c Config) validate() error {
	if err := validateIssuer(c.Issuer); err != nil {
		return err
	}
	if c.Alg != "RS256" && c.Alg != "ES256" {
		return errBadAlg
	}
	if c.AccessTokenTTL < 0 || c.IDTokenTTL < 0 || c.RefreshTokenTTL < 0 || c.CodeTTL < 0 || c.TokenPadding < 0 ||
		c.DeviceCodeTTL < 0 || c.DeviceInterval < 0 {
		return errNegative
	}
	if c.TokenPadding > maxTokenPadding {
		return errBigPadding
	}
	if err := validateUsers(c.Users, c.AutoApprove); err != nil {
		return err
	}
	if err := validateResources(c.Resources); err != nil {
		return err
	}
	return validateClients(c.Clients)
}

func validateIssuer(issuer string) error {
	if issuer == "" {
		return errNoIssuer
	}
	u, err := url.Parse(issuer)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.RawQuery != "" || u.Fragment != "" || u.ForceQuery || u.User != nil {
		return errBadIssuer
	}
	return nil
}

func validateUsers(users []User, autoApprove string) error {
	seen := make(map[string]bool, len(users))
	for i, u := range users {
		if err := u.validate(); err != nil {
			return fmt.Errorf("oidctest: Users[%d]: %w", i, err)
		}
		if seen[u.Subject] {
			return fmt.Errorf("oidctest: Users[%d]: duplicate subject %q", i, u.Subject)
		}
		seen[u.Subject] = true
	}
	if autoApprove != "" && !seen[autoApprove] {
		return fmt.Errorf("oidctest: AutoApprove %q names no user in Users", autoApprove)
	}
	return nil
}

func validateClients(clients []Client) error {
	seen := make(map[string]bool, len(clients))
	for i, c := range clients {
		if err := c.validate(); err != nil {
			return fmt.Errorf("oidctest: Clients[%d]: %w", i, err)
		}
		if seen[c.ID] {
			return fmt.Errorf("oidctest: Clients[%d]: duplicate client ID %q", i, c.ID)
		}
		seen[c.ID] = true
	}
	return nil
}

func (u User) validate() error {
	if u.Subject == "" {
		return errors.New("empty Subject")
	}
	return nil
}

func (c Client) validate() error {
	if c.ID == "" {
		return errors.New("empty ID")
	}
	if len(c.RedirectURIs) == 0 && (c.allows(grantAuthorizationCode) || c.allows(grantImplicit)) {
		return errors.New("no RedirectURIs")
	}
	if err := c.validateGrantTypes(); err != nil {
		return err
	}
	for _, uri := range slices.Concat(c.RedirectURIs, c.PostLogoutRedirectURIs) {
		if err := validateRedirectURI(uri); err != nil {
			return err
		}
	}
	return nil
}

// validateRedirectURI enforces RFC 6749 §3.1.2: absolute, no fragment.
func validateRedirectURI(uri string) error {
	u, err := url.Parse(uri)
	if err != nil || !u.IsAbs() || u.Fragment != "" {
		return fmt.Errorf("redirect URI %q must be absolute and without fragment", uri)
	}
	return nil
}

// clone returns a deep copy so that callers cannot mutate provider state.
func (u User) clone() User {
	u.Extra = maps.Clone(u.Extra)
	return u
}

func (c Client) clone() Client {
	c.RedirectURIs = slices.Clone(c.RedirectURIs)
	c.PostLogoutRedirectURIs = slices.Clone(c.PostLogoutRedirectURIs)
	c.GrantTypes = slices.Clone(c.GrantTypes)
	return c
}
