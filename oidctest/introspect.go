package oidctest

import (
	"net/http"
	"time"
)

// serveRevocation is the revocation endpoint (RFC 7009 §2). Revoking a
// refresh token revokes its whole family, access tokens included (§2.1).
// Unknown tokens, and tokens of other clients, are ignored with 200 (§2.2).
func (p *Provider) serveRevocation(w http.ResponseWriter, r *http.Request) {
	form, c, ok := p.clientRequest(w, r)
	if !ok {
		return
	}
	v := form.Get("token")
	if v == "" {
		writeError(w, newError(codeInvalidRequest, "token is missing"))
		return
	}
	p.mu.Lock()
	p.store.revoke(c.ID, v)
	p.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

// revoke revokes the token v if clientID owns it.
func (s *store) revoke(clientID, v string) {
	if t, ok := s.refresh[v]; ok && t.grant.clientID == clientID {
		t.grant.revoked = true
		return
	}
	if t, ok := s.access[v]; ok && t.grant.clientID == clientID {
		t.revoked = true
	}
}

// serveIntrospection is the introspection endpoint (RFC 7662 §2). Any
// authenticated client may introspect any token, as a resource server would.
func (p *Provider) serveIntrospection(w http.ResponseWriter, r *http.Request) {
	form, _, ok := p.clientRequest(w, r)
	if !ok {
		return
	}
	v := form.Get("token")
	if v == "" {
		writeError(w, newError(codeInvalidRequest, "token is missing"))
		return
	}
	now := p.cfg.Now()
	p.mu.Lock()
	resp := p.introspect(v, now)
	p.mu.Unlock()
	writeJSON(w, http.StatusOK, resp)
}

// introspect describes token v (RFC 7662 §2.2); token_type is "Bearer" for
// access tokens and "refresh_token" for refresh tokens.
func (p *Provider) introspect(v string, now time.Time) map[string]any {
	if t, ok := p.store.activeAccess(v, now); ok {
		return p.activeResponse(t, "Bearer")
	}
	if t, ok := p.store.refresh[v]; ok && t.active(now) && !t.rotated {
		return p.activeResponse(t, "refresh_token")
	}
	return map[string]any{"active": false}
}

func (p *Provider) activeResponse(t *token, tokenType string) map[string]any {
	return map[string]any{
		"active":     true,
		"sub":        t.grant.subject,
		"client_id":  t.grant.clientID,
		"aud":        accessAudience(t),
		"iss":        p.issuer,
		"exp":        t.exp.Unix(),
		"iat":        t.iat.Unix(),
		"scope":      t.scope,
		"token_type": tokenType,
		"sid":        t.grant.sid,
	}
}
