package oidctest

import (
	"net/url"
	"strings"
	"sync"
)

// Provider is an in-process OpenID Provider. It is an http.Handler serving
// the endpoints listed with Endpoint under its issuer URL. All its methods
// are safe for concurrent use, including while it serves requests.
type Provider struct {
	cfg        Config // defaults filled in; Users and Clients live in the maps below
	issuer     string // without trailing slash
	issuerPath string // path part of issuer, without trailing slash

	mu      sync.Mutex
	users   map[string]User
	order   []string // subjects in the order users were added, for the chooser page
	clients map[string]Client
	keys    *keyring
	hooks   Hooks
	store   *store
	counts  map[Endpoint]int
	grants  map[string]int
}

// New validates cfg and returns a Provider for cfg.Issuer, with a freshly
// generated signing key for cfg.Alg.
func New(cfg Config) (*Provider, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	keys, err := newKeyring(cfg.Alg)
	if err != nil {
		return nil, err
	}
	p := &Provider{
		cfg:     cfg,
		users:   make(map[string]User),
		clients: make(map[string]Client),
		keys:    keys,
		store:   newStore(),
		counts:  make(map[Endpoint]int),
		grants:  make(map[string]int),
	}
	p.setIssuer(cfg.Issuer)
	for _, u := range cfg.Users {
		p.AddUser(u)
	}
	for _, c := range cfg.Clients {
		p.AddClient(c)
	}
	p.cfg.Users, p.cfg.Clients = nil, nil
	return p, nil
}

// setIssuer records the issuer, without a trailing slash, and its path.
func (p *Provider) setIssuer(issuer string) {
	p.issuer = strings.TrimSuffix(issuer, "/")
	u, _ := url.Parse(p.issuer) // validated by New
	p.issuerPath = strings.TrimSuffix(u.Path, "/")
}

// Issuer returns the issuer identifier (OIDC Discovery 1.0 §3), without a
// trailing slash.
func (p *Provider) Issuer() string { return p.issuer }

// SetHooks replaces the hooks; it is safe while the provider is serving.
func (p *Provider) SetHooks(h Hooks) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hooks = h
}

func (p *Provider) currentHooks() Hooks {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hooks
}

// AddUser adds u, or replaces the user with the same Subject. A user without
// a Subject is ignored.
func (p *Provider) AddUser(u User) {
	if u.validate() != nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.users[u.Subject]; !ok {
		p.order = append(p.order, u.Subject)
	}
	p.users[u.Subject] = u.clone()
}

// AddClient registers c, or replaces the client with the same ID. A client
// without an ID or a valid redirect URI is ignored.
func (p *Provider) AddClient(c Client) {
	if c.validate() != nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clients[c.ID] = c.clone()
}

func (p *Provider) user(subject string) (User, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	u, ok := p.users[subject]
	return u.clone(), ok
}

func (p *Provider) client(id string) (Client, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.clients[id]
	return c, ok // never mutated in place: AddClient stores a clone
}

// Count returns how many requests endpoint e received since New or the last
// ResetCounts, including requests that Hooks.Intercept handled.
func (p *Provider) Count(e Endpoint) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts[e]
}

// GrantCount returns how many token endpoint requests carried grant_type
// grantType ("authorization_code", "refresh_token", or any other value sent),
// including requests that Hooks.Intercept handled or that failed.
func (p *Provider) GrantCount(grantType string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.grants[grantType]
}

// ResetCounts sets every Count and GrantCount back to zero.
func (p *Provider) ResetCounts() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.counts)
	clear(p.grants)
}

// ExpireAccessTokens makes every access token issued so far expired, so that
// a client must refresh. Tokens issued afterwards are unaffected.
func (p *Provider) ExpireAccessTokens() {
	now := p.cfg.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.store.expireAccess(now)
}

// RevokeRefreshTokens revokes every refresh token issued to subject; using
// one then fails with invalid_grant (RFC 6749 §5.2). Access tokens stay valid.
func (p *Provider) RevokeRefreshTokens(subject string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.store.revokeRefreshOf(subject)
}
