package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// BackChannelLogoutEvent is the member of a logout token's events claim
// that makes it one (OpenID Connect Back-Channel Logout 1.0 §2.4).
const BackChannelLogoutEvent = "http://schemas.openid.net/event/backchannel-logout"

// LogoutTokenMaxAge is how old, by its iat, a logout token may be; a
// receiver remembers jti values this long (plus the leeway) to refuse
// replays.
const LogoutTokenMaxAge = 5 * time.Minute

// ErrInvalidLogoutToken wraps every reason a logout token is refused.
var ErrInvalidLogoutToken = errors.New("loginkit: logout token is invalid")

// LogoutToken is a verified logout token (Back-Channel Logout 1.0 §2.4): it
// names the provider session (SessionID, the sid claim), the user
// (Subject), or both, whose sessions must end.
type LogoutToken struct {
	Issuer    string
	Subject   string
	SessionID string
	ID        string // jti: unique per token, for replay detection
	Audience  []string
	IssuedAt  time.Time
	Expiry    time.Time // zero when the token has no exp
}

// logoutClaims are the claims read beyond go-oidc's.
type logoutClaims struct {
	SID    string                     `json:"sid"`
	JTI    string                     `json:"jti"`
	Events map[string]json.RawMessage `json:"events"`
	Nonce  *json.RawMessage           `json:"nonce"` // present at all is an error
}

// VerifyLogoutToken validates a logout token posted to the back-channel
// logout endpoint (Back-Channel Logout 1.0 §2.6): the signature against the
// provider's keys with an allow-listed algorithm (go-oidc), then iss, aud,
// iat (and exp when present), the events claim, sid or sub, no nonce, and a
// jti. Checking that the jti was not seen before is the caller's part.
func (c *Client) VerifyLogoutToken(ctx context.Context, raw string) (*LogoutToken, error) {
	m, idt, err := c.verifySignature(ctx, raw, ErrInvalidLogoutToken)
	if err != nil {
		return nil, err
	}
	var lc logoutClaims
	var payload json.RawMessage
	if err := idt.Claims(&lc); err != nil {
		return nil, fmt.Errorf("%w: claims: %v", ErrInvalidLogoutToken, err)
	}
	if err := idt.Claims(&payload); err != nil {
		return nil, fmt.Errorf("%w: claims: %v", ErrInvalidLogoutToken, err)
	}
	lt := &LogoutToken{Issuer: idt.Issuer, Subject: idt.Subject, SessionID: lc.SID, ID: lc.JTI,
		Audience: idt.Audience, IssuedAt: idt.IssuedAt, Expiry: idt.Expiry}
	now := c.p.Now()
	for _, err := range []error{
		c.checkIssuer(m, &IDToken{Issuer: lt.Issuer, Raw: payload}),
		c.checkLogoutAudience(lt),
		checkLogoutIssuedAt(lt, now, c.p.Leeway),
		checkLogoutExpiry(lt, now, c.p.Leeway),
		checkLogoutEvents(lc.Events),
		checkLogoutSubject(lt),
		checkLogoutNonce(lc.Nonce),
		checkLogoutID(lt),
	} {
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidLogoutToken, err)
		}
	}
	return lt, nil
}

// checkLogoutAudience: aud must hold the client ID (§2.6 step 3, as for ID
// tokens; logout tokens have no azp).
func (c *Client) checkLogoutAudience(t *LogoutToken) error {
	if !slices.Contains(t.Audience, c.p.ClientID) {
		return fmt.Errorf("%w: aud %q lacks this client", ErrInvalidAudience, t.Audience)
	}
	return nil
}

// checkLogoutIssuedAt: iat is required, not in the future beyond leeway,
// and not older than LogoutTokenMaxAge, which bounds how long a jti must be
// remembered.
func checkLogoutIssuedAt(t *LogoutToken, now time.Time, leeway time.Duration) error {
	switch {
	case t.IssuedAt.IsZero() || t.IssuedAt.After(now.Add(leeway)):
		return fmt.Errorf("%w: iat %s", ErrIssuedInFuture, t.IssuedAt.Format(time.RFC3339))
	case t.IssuedAt.Before(now.Add(-LogoutTokenMaxAge - leeway)):
		return fmt.Errorf("%w: iat %s is more than %v ago", ErrTokenExpired, t.IssuedAt.Format(time.RFC3339), LogoutTokenMaxAge)
	}
	return nil
}

// checkLogoutExpiry: exp, when present, must not have passed (§2.4).
func checkLogoutExpiry(t *LogoutToken, now time.Time, leeway time.Duration) error {
	if !t.Expiry.IsZero() && !now.Before(t.Expiry.Add(leeway)) {
		return fmt.Errorf("%w: exp %s", ErrTokenExpired, t.Expiry.Format(time.RFC3339))
	}
	return nil
}

// checkLogoutEvents: events must be an object with the back-channel logout
// member, itself a JSON object (§2.4, §2.6 step 5).
func checkLogoutEvents(events map[string]json.RawMessage) error {
	v, ok := events[BackChannelLogoutEvent]
	var obj map[string]json.RawMessage
	if !ok || json.Unmarshal(v, &obj) != nil || obj == nil {
		return errors.New("events claim lacks " + BackChannelLogoutEvent)
	}
	return nil
}

// checkLogoutSubject: a sid, a sub or both (§2.6 step 4).
func checkLogoutSubject(t *LogoutToken) error {
	if t.SessionID == "" && t.Subject == "" {
		return errors.New("neither sid nor sub")
	}
	return nil
}

// checkLogoutNonce: a nonce is forbidden, so that an ID token can never
// pass for a logout token (§2.4, §2.6 step 6).
func checkLogoutNonce(nonce *json.RawMessage) error {
	if nonce != nil {
		return errors.New("nonce present")
	}
	return nil
}

// checkLogoutID: jti is required (§2.4), for replay detection.
func checkLogoutID(t *LogoutToken) error {
	if t.ID == "" {
		return errors.New("no jti")
	}
	return nil
}
