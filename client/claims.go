package client

import (
	"encoding/json"
	"fmt"
	"net/url"
)

// ClaimsFunc vets a verified ID token's claims for one provider, after every
// check of OpenID Connect Core §3.1.3.7 has passed, at sign-in and at each
// refresh: Google's hd for a Workspace domain, Entra ID's tid against a list
// of tenants. It returns the subject the user is keyed on when that is not
// sub (Entra ID keys users on tid and oid), or "" to keep sub. Its error is
// wrapped with ErrClaimRejected.
type ClaimsFunc func(claims map[string]any) (subject string, err error)

// NameFunc reads a display name that a provider sends beside the code in the
// callback (Sign in with Apple's user form field, on the first sign-in only).
// The callback's parameters are not signed, so the name can fill User.Name
// when the ID token and the profile have none, and nothing else.
type NameFunc func(params url.Values) string

// checkClaims runs the provider's ClaimsFunc on t and records the subject it
// names.
func (c *Client) checkClaims(t *IDToken) error {
	t.UserSubject = t.Subject
	if c.p.CheckClaims == nil {
		return nil
	}
	var claims map[string]any
	if err := json.Unmarshal(t.Raw, &claims); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidIDToken, err)
	}
	sub, err := c.p.CheckClaims(claims)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrClaimRejected, err)
	}
	if sub != "" {
		t.UserSubject = sub
	}
	return nil
}

// nameFromCallback fills u.Name from the callback's parameters when nothing
// signed named the user.
func (c *Client) nameFromCallback(u *User, params url.Values) {
	if c.p.NameFromCallback == nil || u.Name != "" {
		return
	}
	u.Name = clean(c.p.NameFromCallback(params))
}
