package client

import (
	"context"
	"fmt"

	"golang.org/x/oauth2"
)

// SecretFunc returns the client secret for one call to the token or
// revocation endpoint, for providers whose secret is a short-lived signed
// assertion rather than a fixed string (Sign in with Apple's ES256 JWT). It
// is called for every code exchange, refresh and revocation, possibly from
// several goroutines at once: cache the secret inside and renew it before it
// expires.
type SecretFunc func(ctx context.Context) (string, error)

// clientSecret is the secret for the next token-endpoint call: the
// provider's SecretFunc when it has one, else its fixed ClientSecret.
func (c *Client) clientSecret(ctx context.Context) (string, error) {
	if c.p.ClientSecretFunc == nil {
		return c.p.ClientSecret, nil
	}
	s, err := c.p.ClientSecretFunc(ctx)
	if err != nil {
		return "", fmt.Errorf("%w: %s: client secret: %w", ErrInvalidConfig, c.p.Name, err)
	}
	return s, nil
}

// oauthConfig returns the golang.org/x/oauth2 configuration for one call,
// with the current client secret.
func (c *Client) oauthConfig(ctx context.Context) (*oauth2.Config, error) {
	c.mu.Lock()
	cfg := *c.oauth
	c.mu.Unlock()
	if c.p.ClientSecretFunc == nil {
		return &cfg, nil
	}
	s, err := c.clientSecret(ctx)
	if err != nil {
		return nil, err
	}
	cfg.ClientSecret = s
	return &cfg, nil
}
