package oidctest

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// issued holds the tokens of one successful token response.
type issued struct {
	access  string
	refresh string
	scope   string
	grant   *grant
}

// serveToken is the token endpoint (RFC 6749 §3.2): authorization_code
// (§4.1.3 with PKCE, RFC 7636 §4.6) and refresh_token (§6) grants.
func (p *Provider) serveToken(w http.ResponseWriter, r *http.Request) {
	form, c, ok := p.clientRequest(w, r)
	if !ok {
		return
	}
	resp, oerr := p.runGrant(c, form)
	if oerr != nil {
		writeError(w, oerr)
		return
	}
	if h := p.currentHooks(); h.TokenResponse != nil {
		h.TokenResponse(resp)
	}
	writeJSON(w, http.StatusOK, resp)
}

// clientRequest parses a POST form and authenticates its client, or writes
// the error and returns false. Token, revocation and introspection share it.
func (p *Provider) clientRequest(w http.ResponseWriter, r *http.Request) (url.Values, Client, bool) {
	if !allowMethods(w, r, http.MethodPost) {
		return nil, Client{}, false
	}
	form, err := postForm(w, r)
	if err == nil {
		err = singleValued(form)
	}
	if err != nil {
		writeError(w, newError(codeInvalidRequest, err.Error()))
		return nil, Client{}, false
	}
	c, oerr := p.authenticateClient(r, form)
	if oerr != nil {
		writeError(w, oerr)
		return nil, Client{}, false
	}
	return form, c, true
}

// runGrant dispatches on grant_type. The client must be allowed the grant
// (Client.GrantTypes), else unauthorized_client (RFC 6749 §5.2).
func (p *Provider) runGrant(c Client, form url.Values) (map[string]any, *oauthError) {
	gt := form.Get("grant_type")
	switch {
	case gt == "":
		return nil, newError(codeInvalidRequest, "grant_type is missing")
	case !slices.Contains(knownGrants, gt) || gt == grantImplicit || (gt == grantPassword && !p.cfg.InsecurePasswordGrant):
		return nil, newError(codeUnsupportedGrantType, "unsupported grant_type")
	case !c.allows(gt):
		return nil, newError(codeUnauthorizedClient, "the client may not use this grant_type")
	}
	if oerr := p.checkResource(form.Get("resource")); oerr != nil {
		return nil, oerr
	}
	switch gt {
	case grantAuthorizationCode:
		return p.exchangeCode(c, form)
	case grantRefreshToken:
		return p.refresh(c, form)
	case grantClientCredentials:
		return p.clientCredentials(c, form)
	case GrantDeviceCode:
		return p.deviceToken(c, form)
	}
	return p.passwordGrant(c, form)
}

// exchangeCode redeems an authorization code (RFC 6749 §4.1.3).
func (p *Provider) exchangeCode(c Client, form url.Values) (map[string]any, *oauthError) {
	code, verifier := form.Get("code"), form.Get("code_verifier")
	if code == "" {
		return nil, newError(codeInvalidRequest, "code is missing")
	}
	if verifier == "" {
		return nil, newError(codeInvalidRequest, "code_verifier is missing (PKCE)")
	}
	now := p.cfg.Now()
	p.mu.Lock()
	g, oerr := p.redeemCode(c.ID, code, form.Get("redirect_uri"), verifier, now)
	var t issued
	if oerr == nil {
		t = p.issue(g, g.scope, "", now)
	}
	p.mu.Unlock()
	if oerr == nil {
		t.access, oerr = p.accessFor(t.access, form.Get("resource"))
	}
	if oerr != nil {
		return nil, oerr
	}
	return p.tokenResponse(c, t, g.nonce, now)
}

// redeemCode consumes a code. Any attempt by its client uses the code up; a
// second one revokes every token issued from it (RFC 6749 §4.1.2).
func (p *Provider) redeemCode(clientID, code, redirectURI, verifier string, now time.Time) (*grant, *oauthError) {
	ac, ok := p.store.codes[code]
	switch {
	case !ok || ac.grant.clientID != clientID:
		return nil, newError(codeInvalidGrant, "unknown authorization code")
	case ac.used:
		ac.grant.revoked = true
		return nil, newError(codeInvalidGrant, "authorization code was already used; tokens issued from it are revoked")
	}
	ac.used, ac.keepUntil = true, now.Add(p.cfg.RefreshTokenTTL)
	switch {
	case !now.Before(ac.exp):
		return nil, newError(codeInvalidGrant, "authorization code expired")
	case redirectURI != ac.redirectURI:
		return nil, newError(codeInvalidGrant, "redirect_uri does not match the authorization request")
	case !verifyPKCE(verifier, ac.challenge):
		return nil, newError(codeInvalidGrant, "code_verifier does not match code_challenge")
	}
	return ac.grant, nil
}

// verifyPKCE checks BASE64URL(SHA256(verifier)) == challenge (RFC 7636 §4.6).
func verifyPKCE(verifier, challenge string) bool {
	if !pkceValue.MatchString(verifier) {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	got := base64.RawURLEncoding.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(got), []byte(challenge)) == 1
}

// refresh redeems a refresh token (RFC 6749 §6), rotating it unless
// Config.DisableRefreshRotation.
func (p *Provider) refresh(c Client, form url.Values) (map[string]any, *oauthError) {
	v := form.Get("refresh_token")
	if v == "" {
		return nil, newError(codeInvalidRequest, "refresh_token is missing")
	}
	now := p.cfg.Now()
	p.mu.Lock()
	rt, oerr := p.redeemRefresh(c.ID, v, now)
	var scope string
	if oerr == nil {
		scope, oerr = narrowScope(rt.scope, form.Get("scope"))
	}
	var t issued
	if oerr == nil {
		t = p.issue(rt.grant, scope, v, now)
	}
	p.mu.Unlock()
	if oerr == nil {
		t.access, oerr = p.accessFor(t.access, form.Get("resource"))
	}
	if oerr != nil {
		return nil, oerr
	}
	return p.tokenResponse(c, t, "", now)
}

// redeemRefresh checks a refresh token and marks it used. Presenting a
// rotated token again revokes its whole family (RFC 9700 §4.14.2).
func (p *Provider) redeemRefresh(clientID, v string, now time.Time) (*token, *oauthError) {
	t, ok := p.store.refresh[v]
	switch {
	case !ok || t.grant.clientID != clientID:
		return nil, newError(codeInvalidGrant, "unknown refresh token")
	case t.rotated:
		t.grant.revoked = true
		return nil, newError(codeInvalidGrant, "refresh token was already used; its token family is revoked")
	case t.revoked || t.grant.revoked:
		return nil, newError(codeInvalidGrant, "refresh token was revoked")
	case !now.Before(t.exp):
		return nil, newError(codeInvalidGrant, "refresh token expired")
	}
	t.rotated = !p.cfg.DisableRefreshRotation
	return t, nil
}

// narrowScope returns the scope of a refreshed access token: the original,
// or a subset of it (RFC 6749 §6).
func narrowScope(original, requested string) (string, *oauthError) {
	if requested == "" {
		return original, nil
	}
	have := strings.Fields(original)
	for _, s := range strings.Fields(requested) {
		if !slices.Contains(have, s) {
			return "", newError(codeInvalidScope, "scope exceeds the original grant")
		}
	}
	return normalizeScope(requested), nil
}

// issue stores a new access token and a refresh token for g; keepRefresh,
// when rotation is off, is returned again instead of a new one.
func (p *Provider) issue(g *grant, scope, keepRefresh string, now time.Time) issued {
	at := &token{grant: g, scope: scope, iat: now, exp: now.Add(p.cfg.AccessTokenTTL)}
	t := issued{grant: g, scope: scope, access: p.store.addAccess(at, p.cfg.TokenPadding, now)}
	if keepRefresh != "" && p.cfg.DisableRefreshRotation {
		t.refresh = keepRefresh
		return t
	}
	rt := &token{grant: g, scope: g.scope, iat: now, exp: now.Add(p.cfg.RefreshTokenTTL)}
	t.refresh = p.store.addRefresh(rt, p.cfg.TokenPadding, now)
	return t
}

// tokenResponse builds the successful response (RFC 6749 §5.1, OIDC Core
// §3.1.3.3) with a fresh ID token.
func (p *Provider) tokenResponse(c Client, t issued, nonce string, now time.Time) (map[string]any, *oauthError) {
	idToken, err := p.idToken(c, t.grant, t.access, nonce, now)
	if err != nil {
		return nil, newError(codeServerError, "could not sign the ID token")
	}
	return map[string]any{
		"access_token":  t.access,
		"token_type":    "Bearer",
		"expires_in":    int64(p.cfg.AccessTokenTTL / time.Second),
		"refresh_token": t.refresh,
		"id_token":      idToken,
		"scope":         t.scope,
	}, nil
}
