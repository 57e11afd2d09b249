package client

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/oauth2"
)

// Refresh exchanges t's refresh token for new tokens (RFC 6749 §6). A refresh
// token the provider rotates is replaced; one it does not resend is kept. A
// new ID token is verified and must name wantSubject (OpenID Connect Core
// §12.2); without one the old ID token is kept for logout's id_token_hint.
// errors.Is(err, ErrInvalidGrant) tells that the session cannot go on.
func (c *Client) Refresh(ctx context.Context, t *Tokens, wantSubject string) (*Tokens, error) {
	if t.RefreshToken == "" {
		return nil, ErrNoRefreshToken
	}
	if _, err := c.metadata(ctx); err != nil {
		return nil, err
	}
	nt, err := c.refresh(ctx, t.RefreshToken)
	if err != nil {
		return nil, err
	}
	if nt.IDToken == "" {
		nt.IDToken = t.IDToken
	} else if c.p.IsOIDC() {
		idt, err := c.VerifyIDToken(ctx, nt.IDToken, "", nt.AccessToken)
		if err != nil {
			return nil, err
		}
		if wantSubject != "" && idt.UserSubject != wantSubject {
			return nil, ErrSubjectMismatch
		}
	}
	if nt.Scopes == nil {
		nt.Scopes = t.Scopes
	}
	return nt, nil
}

func (c *Client) refresh(ctx context.Context, refreshToken string) (*Tokens, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	cfg, err := c.oauthConfig(ctx)
	if err != nil {
		return nil, err
	}
	// An expired token makes the source refresh at once; it returns the old
	// refresh token when the response has none.
	src := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: refreshToken, Expiry: time.Unix(1, 0)})
	ot, err := src.Token()
	if err != nil {
		return nil, providerError("token", err)
	}
	return c.fromOAuth2(ot)
}

// Revoke asks the provider to revoke a token (RFC 7009 §2.1); hint is
// "refresh_token" or "access_token". Providers without a revocation endpoint
// get ErrUnsupported, which callers may ignore.
func (c *Client) Revoke(ctx context.Context, token, hint string) error {
	m, err := c.metadata(ctx)
	if err != nil {
		return err
	}
	if m.RevocationURL == "" {
		return fmt.Errorf("%w: no revocation endpoint", ErrUnsupported)
	}
	if token == "" {
		return nil
	}
	form := map[string][]string{"token": {token}}
	if hint != "" {
		form["token_type_hint"] = []string{hint}
	}
	_, err = c.postForm(ctx, "revocation", m.RevocationURL, form)
	return err
}
