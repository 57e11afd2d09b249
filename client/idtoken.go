package client

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// IDToken is a verified ID token's claims (OpenID Connect Core §2).
type IDToken struct {
	Issuer   string
	Subject  string
	Audience []string
	Expiry   time.Time
	IssuedAt time.Time
	Nonce    string
	SID      string
	// UserSubject is the subject the User is keyed on: Subject, unless the
	// provider's CheckClaims named another (Entra ID's tid and oid).
	UserSubject string
	Raw         json.RawMessage // the payload as signed
	claims      idClaims
}

// idClaims are the claims loginkit reads beyond go-oidc's.
type idClaims struct {
	AZP           string `json:"azp"`
	SID           string `json:"sid"`
	Email         string `json:"email"`
	EmailVerified any    `json:"email_verified"` // bool, or "true" from some providers
	Name          string `json:"name"`
	Picture       string `json:"picture"`
}

// verifySignature checks a JWT from the provider with go-oidc: signature
// against the cached key set, algorithm on the allow-list. Claims are left to
// the named checks of each token kind; failures wrap kind, and also
// ErrKeysUnavailable when the keys could not be fetched (an outage, not a
// forgery).
func (c *Client) verifySignature(ctx context.Context, raw string, kind error) (*Metadata, *oidc.IDToken, error) {
	m, err := c.metadata(ctx)
	if err != nil {
		return nil, nil, err
	}
	if c.verifier == nil {
		return nil, nil, fmt.Errorf("%w: %s is not an OpenID Connect provider", ErrUnsupported, c.p.Name)
	}
	// A key fetch is bounded by c.hc's Transport: no timer of our own when
	// the keys are cached, as they nearly always are.
	var fetchErr error
	idt, err := c.verifier.Verify(withKeyFetchSlot(oidc.ClientContext(ctx, c.hc), &fetchErr), raw)
	if err != nil && fetchErr != nil {
		return nil, nil, fmt.Errorf("%w: %w: %w", kind, ErrKeysUnavailable, fetchErr)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", kind, err)
	}
	return m, idt, nil
}

// VerifyIDToken checks an ID token from the token endpoint: signature against
// the provider's keys with an allow-listed algorithm (go-oidc), then each
// claim OpenID Connect Core §3.1.3.7 asks for, one named check at a time.
// nonce is the Flow's; pass "" only for tokens from a refresh (§12.2), which
// carry none. accessToken, when set, is checked against at_hash.
func (c *Client) VerifyIDToken(ctx context.Context, raw, nonce, accessToken string) (*IDToken, error) {
	m, idt, err := c.verifySignature(ctx, raw, ErrInvalidIDToken)
	if err != nil {
		return nil, err
	}
	t := &IDToken{Issuer: idt.Issuer, Subject: idt.Subject, Audience: idt.Audience,
		Expiry: idt.Expiry, IssuedAt: idt.IssuedAt, Nonce: idt.Nonce}
	if err := idt.Claims(&t.claims); err != nil {
		return nil, fmt.Errorf("%w: claims: %v", ErrInvalidIDToken, err)
	}
	if err := idt.Claims(&t.Raw); err != nil {
		return nil, fmt.Errorf("%w: claims: %v", ErrInvalidIDToken, err)
	}
	t.SID = t.claims.SID
	now := c.p.Now()
	checks := []error{
		c.checkIssuer(m, t),
		checkSubject(t),
		c.checkAudience(t),
		checkExpiry(t, now),
		checkIssuedAt(t, now, c.p.Leeway),
		checkNonce(t, nonce),
		checkAtHash(idt, accessToken),
	}
	for _, err := range checks {
		if err != nil {
			return nil, err
		}
	}
	if err := c.checkClaims(t); err != nil {
		return nil, err
	}
	return t, nil
}

func (c *Client) checkIssuer(m *Metadata, t *IDToken) error {
	if c.p.ValidateIssuer != nil {
		var claims map[string]any
		if err := json.Unmarshal(t.Raw, &claims); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidIDToken, err)
		}
		if err := c.p.ValidateIssuer(t.Issuer, claims); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidIssuer, err)
		}
		return nil
	}
	if t.Issuer != m.Issuer {
		return fmt.Errorf("%w: ID token iss is %q", ErrInvalidIssuer, clean(t.Issuer))
	}
	return nil
}

func checkSubject(t *IDToken) error {
	if t.Subject == "" {
		return fmt.Errorf("%w: no sub", ErrInvalidIDToken)
	}
	return nil
}

// checkAudience: aud must hold the client ID; with several audiences azp must
// be present; when azp is present it must be the client ID (§3.1.3.7 3-5).
func (c *Client) checkAudience(t *IDToken) error {
	id := c.p.ClientID
	switch {
	case !slices.Contains(t.Audience, id):
		return fmt.Errorf("%w: aud %q lacks this client", ErrInvalidAudience, t.Audience)
	case len(t.Audience) > 1 && t.claims.AZP == "":
		return fmt.Errorf("%w: several audiences and no azp", ErrInvalidAudience)
	case t.claims.AZP != "" && t.claims.AZP != id:
		return fmt.Errorf("%w: azp is %q", ErrInvalidAudience, clean(t.claims.AZP))
	}
	return nil
}

func checkExpiry(t *IDToken, now time.Time) error {
	if t.Expiry.IsZero() || !now.Before(t.Expiry) {
		return fmt.Errorf("%w: exp %s", ErrTokenExpired, t.Expiry.Format(time.RFC3339))
	}
	return nil
}

func checkIssuedAt(t *IDToken, now time.Time, leeway time.Duration) error {
	if t.IssuedAt.IsZero() || t.IssuedAt.After(now.Add(leeway)) {
		return fmt.Errorf("%w: iat %s", ErrIssuedInFuture, t.IssuedAt.Format(time.RFC3339))
	}
	return nil
}

// checkNonce: a login's ID token must echo the Flow's nonce; a refreshed one
// (want == "") may carry none, or the original (§12.2).
func checkNonce(t *IDToken, want string) error {
	if want == "" {
		return nil
	}
	if subtle.ConstantTimeCompare([]byte(t.Nonce), []byte(want)) != 1 {
		return ErrNonceMismatch
	}
	return nil
}

// checkAtHash verifies at_hash when the token has one (§3.1.3.8); go-oidc
// computes it for the token's algorithm.
func checkAtHash(idt *oidc.IDToken, accessToken string) error {
	if idt.AccessTokenHash == "" || accessToken == "" {
		return nil
	}
	if err := idt.VerifyAccessToken(accessToken); err != nil {
		return ErrAccessTokenHash
	}
	return nil
}
