// Package client is loginkit's flow manager for one OAuth 2.0 / OpenID Connect
// provider: discovery, the authorization request with state, nonce and PKCE,
// the callback checks, the code exchange, ID-token verification, userinfo,
// refresh, revocation and logout URLs. It knows nothing of cookies, routes or
// session stores; package middleware wires it to HTTP.
//
//	c, err := client.New(client.Provider{
//		Name: "example", Issuer: "https://id.example.com",
//		ClientID: id, ClientSecret: secret,
//		RedirectURL: "https://app.example.com/callback/example",
//	})
//	authURL, flow, err := c.Begin(ctx, client.BeginOptions{})
//	// … keep flow for this browser, redirect to authURL; at the callback:
//	res, err := c.Callback(ctx, flow, r.URL.Query())
//	// res.User is verified; res.Tokens are the provider's tokens.
package client

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/loginkit/loginkit/internal/bounded"
)

// Client is a live manager for one Provider. It caches the discovery document
// and the provider's keys; it is safe for concurrent use.
type Client struct {
	p          Provider
	hc         *http.Client
	noRedirect *http.Client // hc, answering a redirect with the redirect itself

	mu       sync.Mutex // guards the fields below during discovery
	meta     *Metadata
	verifier *oidc.IDTokenVerifier
	oauth    *oauth2.Config
	authBase *authBase
}

// New validates p and returns its Client. It makes no network call:
// discovery happens on first use, or eagerly with Discover.
func New(p Provider) (*Client, error) {
	if err := p.validate(); err != nil {
		return nil, err
	}
	if err := checkAlgs(p.IDTokenAlgs); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalidConfig, p.Name, err)
	}
	q := p.withDefaults()
	c := &Client{p: q, hc: bounded.Client(q.HTTPClient, q.Timeout, q.MaxResponseBytes)}
	// A request carrying a token goes nowhere but where it was sent.
	nr := *c.hc
	nr.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.noRedirect = &nr
	if !q.IsOIDC() {
		c.setMetadata(&Metadata{
			AuthURL: q.AuthURL, TokenURL: q.TokenURL, UserInfoURL: q.UserInfoURL,
			RevocationURL: q.RevocationURL,
		})
	}
	return c, nil
}

// Provider returns the provider description the client runs with, defaults
// filled in.
func (c *Client) Provider() Provider { return c.p }

// Name is the provider's registry name.
func (c *Client) Name() string { return c.p.Name }

// HTTPClient returns the bounded client used for every call to the provider.
// Its time limit is kept by its Transport, which gives each call a context
// deadline, so its Timeout field is 0: read the limit with Timeout.
func (c *Client) HTTPClient() *http.Client { return c.hc }

// Timeout is the time limit of each call to the provider: Provider.Timeout
// (default 10 s), or the Provider.HTTPClient's own Timeout when shorter.
func (c *Client) Timeout() time.Duration { return bounded.Timeout(c.hc) }

// withTimeout bounds one provider call with what runs around it (the
// Provider's ClientSecretFunc, Profile) and hands golang.org/x/oauth2 our
// bounded HTTP client, which it only accepts through the context. The HTTP
// requests alone are bounded by c.hc's Transport.
func (c *Client) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(ctx, c.Timeout())
	ctx = context.WithValue(ctx, oauth2.HTTPClient, c.hc)
	return ctx, cancel
}

func (c *Client) setMetadata(m *Metadata) {
	authStyle := oauth2.AuthStyleInHeader
	if c.p.AuthMethod != AuthBasic {
		authStyle = oauth2.AuthStyleInParams
	}
	c.meta = m
	c.authBase = c.newAuthBase(m.AuthURL)
	c.oauth = &oauth2.Config{
		ClientID:     c.p.ClientID,
		ClientSecret: c.p.ClientSecret,
		RedirectURL:  c.p.RedirectURL,
		Scopes:       c.p.Scopes,
		Endpoint:     oauth2.Endpoint{AuthURL: m.AuthURL, TokenURL: m.TokenURL, AuthStyle: authStyle},
	}
}
