package oidctest

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Grant types (RFC 6749 §4, RFC 8628 §3.4, RFC 7591 §2).
const (
	grantAuthorizationCode = "authorization_code"
	grantRefreshToken      = "refresh_token"
	grantClientCredentials = "client_credentials"
	grantPassword          = "password"
	grantImplicit          = "implicit"
	// GrantDeviceCode is the grant_type of the device authorization grant
	// (RFC 8628 §3.4), for Client.GrantTypes.
	GrantDeviceCode = "urn:ietf:params:oauth:grant-type:device_code"
)

// knownGrants lists every grant type in the order discovery advertises them.
var knownGrants = []string{
	grantAuthorizationCode, grantImplicit, grantRefreshToken, grantClientCredentials, GrantDeviceCode, grantPassword,
}

const (
	defaultDeviceCodeTTL   = 10 * time.Minute
	defaultDeviceInterval  = 5 * time.Second
	codeUnauthorizedClient = "unauthorized_client"
)

// grantTypes returns the client's grant types with the default filled in.
func (c Client) grantTypes() []string {
	if len(c.GrantTypes) == 0 {
		return []string{grantAuthorizationCode, grantRefreshToken}
	}
	return c.GrantTypes
}

// allows reports whether the client may use grant type gt.
func (c Client) allows(gt string) bool { return slices.Contains(c.grantTypes(), gt) }

func (c Client) validateGrantTypes() error {
	for _, gt := range c.GrantTypes {
		if !slices.Contains(knownGrants, gt) {
			return fmt.Errorf("unknown grant type %q", gt)
		}
	}
	if c.allows(grantClientCredentials) && c.Secret == "" {
		return errors.New("client_credentials needs a confidential client (a Secret)")
	}
	return nil
}

// grantsSupported lists the grant types some registered client may use, for
// discovery; password and implicit only when the configuration enables them.
func (p *Provider) grantsSupported() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, gt := range knownGrants {
		if (gt == grantPassword && !p.cfg.InsecurePasswordGrant) || (gt == grantImplicit && !p.cfg.InsecureImplicitAndHybrid) {
			continue
		}
		for _, c := range p.clients {
			if c.allows(gt) {
				out = append(out, gt)
				break
			}
		}
	}
	return out
}

// clientCredentials is the client credentials grant (RFC 6749 §4.4): an
// access token for the client itself, with no refresh token (§4.4.3), no ID
// token and no user; scope openid is refused since there is no user.
func (p *Provider) clientCredentials(c Client, form url.Values) (map[string]any, *oauthError) {
	scope := normalizeScope(form.Get("scope"))
	if slices.Contains(strings.Fields(scope), "openid") {
		return nil, newError(codeInvalidScope, "openid needs a user; client_credentials has none")
	}
	now := p.cfg.Now()
	g := &grant{clientID: c.ID, scope: scope, authTime: now}
	at := &token{grant: g, scope: scope, iat: now, exp: now.Add(p.cfg.AccessTokenTTL)}
	p.mu.Lock()
	access := p.store.addAccess(at, p.cfg.TokenPadding, now)
	p.mu.Unlock()
	access, oerr := p.accessFor(access, form.Get("resource"))
	if oerr != nil {
		return nil, oerr
	}
	resp := map[string]any{
		"access_token": access,
		"token_type":   "Bearer",
		"expires_in":   int64(p.cfg.AccessTokenTTL / time.Second),
	}
	if scope != "" {
		resp["scope"] = scope
	}
	return resp, nil
}

// passwordGrant is the resource owner password credentials grant (RFC 6749
// §4.3), enabled by Config.InsecurePasswordGrant. username is a subject or
// an email address.
func (p *Provider) passwordGrant(c Client, form url.Values) (map[string]any, *oauthError) {
	username, password := form.Get("username"), form.Get("password")
	if username == "" || password == "" {
		return nil, newError(codeInvalidRequest, "username and password are required")
	}
	u, ok := p.userByLogin(username)
	if !ok || u.Password == "" || !equalSecrets(u.Password, password) {
		return nil, newError(codeInvalidGrant, "wrong username or password")
	}
	now := p.cfg.Now()
	scope := normalizeScope(form.Get("scope"))
	g := &grant{clientID: c.ID, subject: u.Subject, scope: scope, sid: randomToken(0)[:22], authTime: now}
	p.mu.Lock()
	t := p.issue(g, scope, "", now)
	p.mu.Unlock()
	var oerr *oauthError
	if t.access, oerr = p.accessFor(t.access, form.Get("resource")); oerr != nil {
		return nil, oerr
	}
	return p.userTokenResponse(c, t, "", now)
}

// userByLogin finds a user by subject or email.
func (p *Provider) userByLogin(login string) (User, bool) {
	if u, ok := p.user(login); ok {
		return u, true
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, sub := range p.order {
		if u := p.users[sub]; u.Email != "" && strings.EqualFold(u.Email, login) {
			return u.clone(), true
		}
	}
	return User{}, false
}

// userTokenResponse is tokenResponse without an ID token when the grant's
// scope lacks openid (a plain OAuth 2.0 request), and without a refresh
// token when the client may not use one.
func (p *Provider) userTokenResponse(c Client, t issued, nonce string, now time.Time) (map[string]any, *oauthError) {
	resp, oerr := p.tokenResponse(c, t, nonce, now)
	if oerr != nil {
		return nil, oerr
	}
	if !slices.Contains(strings.Fields(t.grant.scope), "openid") {
		delete(resp, "id_token")
	}
	if !c.allows(grantRefreshToken) {
		delete(resp, "refresh_token")
	}
	return resp, nil
}
