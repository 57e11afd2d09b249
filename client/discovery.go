package client

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
)

// Metadata is the part of a provider's discovery document loginkit uses
// (OpenID Connect Discovery 1.0 §3, RFC 8414 §2).
type Metadata struct {
	Issuer                string   `json:"issuer"`
	AuthURL               string   `json:"authorization_endpoint"`
	TokenURL              string   `json:"token_endpoint"`
	UserInfoURL           string   `json:"userinfo_endpoint"`
	JWKSURL               string   `json:"jwks_uri"`
	RevocationURL         string   `json:"revocation_endpoint"`
	IntrospectionURL      string   `json:"introspection_endpoint"`
	EndSessionURL         string   `json:"end_session_endpoint"`
	DeviceAuthURL         string   `json:"device_authorization_endpoint"`
	RegistrationURL       string   `json:"registration_endpoint"`
	IDTokenAlgs           []string `json:"id_token_signing_alg_values_supported"`
	CodeChallengeMethods  []string `json:"code_challenge_methods_supported"`
	ResponseModes         []string `json:"response_modes_supported"`
	IssParameterSupported bool     `json:"authorization_response_iss_parameter_supported"`
}

// Discover fetches and caches the provider's metadata and prepares its key
// set. It refuses a document whose issuer differs from the configured one
// (OpenID Connect Discovery §4.3). Later calls return the cached value; a
// failed fetch is not cached.
func (c *Client) Discover(ctx context.Context) (*Metadata, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.meta != nil {
		return c.meta, nil
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	octx := oidc.ClientContext(ctx, c.hc)
	if c.p.DiscoveryIssuer != "" {
		// go-oidc then skips its equality check; the check after the
		// fetch requires exactly DiscoveryIssuer instead.
		octx = oidc.InsecureIssuerURLContext(octx, c.p.DiscoveryIssuer)
	}
	op, err := oidc.NewProvider(octx, c.p.Issuer)
	if err != nil {
		var mismatch *oidc.IssuerMismatchError
		if errors.As(err, &mismatch) {
			return nil, fmt.Errorf("%w: %w: discovery says %q", ErrDiscovery, ErrInvalidIssuer, mismatch.Discovered)
		}
		return nil, fmt.Errorf("%w: %s: %v", ErrDiscovery, c.p.Name, err)
	}
	m := &Metadata{}
	if err := op.Claims(m); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrDiscovery, c.p.Name, err)
	}
	if c.p.DiscoveryIssuer != "" && m.Issuer != c.p.DiscoveryIssuer {
		return nil, fmt.Errorf("%w: %w: discovery says %q", ErrDiscovery, ErrInvalidIssuer, clean(m.Issuer))
	}
	c.applyOverrides(m)
	if m.JWKSURL == "" || m.TokenURL == "" || m.AuthURL == "" {
		return nil, fmt.Errorf("%w: %s: metadata lacks an endpoint", ErrDiscovery, c.p.Name)
	}
	if len(m.CodeChallengeMethods) > 0 && !slices.Contains(m.CodeChallengeMethods, "S256") {
		return nil, fmt.Errorf("%w: %s: provider does not support PKCE S256", ErrDiscovery, c.p.Name)
	}
	algs := c.allowedAlgs(m.IDTokenAlgs)
	if len(algs) == 0 {
		return nil, fmt.Errorf("%w: %s: no acceptable ID token algorithm in %v", ErrDiscovery, c.p.Name, m.IDTokenAlgs)
	}
	keys := keySet{remote: oidc.NewRemoteKeySet(oidc.ClientContext(context.Background(), c.hc), m.JWKSURL)}
	c.verifier = oidc.NewVerifier(m.Issuer, keys, &oidc.Config{
		SupportedSigningAlgs: algs,
		// The named checks in idtoken.go cover these with typed errors.
		SkipClientIDCheck: true, SkipIssuerCheck: true, SkipExpiryCheck: true,
	})
	c.setMetadata(m)
	return m, nil
}

// metadata returns the cached metadata, discovering it when needed.
func (c *Client) metadata(ctx context.Context) (*Metadata, error) {
	c.mu.Lock()
	m := c.meta
	c.mu.Unlock()
	if m != nil {
		return m, nil
	}
	return c.Discover(ctx)
}

func (c *Client) applyOverrides(m *Metadata) {
	for _, o := range []struct {
		dst *string
		v   string
	}{
		{&m.AuthURL, c.p.AuthURL}, {&m.TokenURL, c.p.TokenURL}, {&m.UserInfoURL, c.p.UserInfoURL},
		{&m.RevocationURL, c.p.RevocationURL}, {&m.EndSessionURL, c.p.EndSessionURL}, {&m.JWKSURL, c.p.JWKSURL},
	} {
		if o.v != "" {
			*o.dst = o.v
		}
	}
}

// allowedAlgs is the configured list, or what discovery lists minus "none"
// and HMAC, or RS256 (the one OpenID Connect makes mandatory).
func (c *Client) allowedAlgs(advertised []string) []string {
	if len(c.p.IDTokenAlgs) > 0 {
		return c.p.IDTokenAlgs
	}
	var out []string
	for _, a := range advertised {
		if checkAlgs([]string{a}) == nil {
			out = append(out, a)
		}
	}
	if len(advertised) == 0 {
		out = []string{"RS256"}
	}
	return out
}

// checkAlgs refuses "none" and the HMAC algorithms: an ID token signed with
// the client secret proves nothing a forger with the secret could not make.
func checkAlgs(algs []string) error {
	for _, a := range algs {
		if strings.EqualFold(a, "none") || strings.HasPrefix(strings.ToUpper(a), "HS") {
			return fmt.Errorf("ID token algorithm %q is refused", a)
		}
	}
	return nil
}
