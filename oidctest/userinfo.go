package oidctest

import (
	"cmp"
	"net/http"
	"strings"
)

// serveUserInfo is the UserInfo endpoint (OIDC Core §5.3). The access token
// comes in an Authorization: Bearer header (RFC 6750 §2.1) or, for POST, in
// a form body (RFC 6750 §2.2); errors follow RFC 6750 §3.
func (p *Provider) serveUserInfo(w http.ResponseWriter, r *http.Request) {
	if !allowMethods(w, r, http.MethodGet, http.MethodPost) {
		return
	}
	v, errCode := bearerToken(w, r)
	if v == "" {
		bearerChallenge(w, errCode, "an access token is required")
		return
	}
	now := p.cfg.Now()
	p.mu.Lock()
	t, ok := p.store.activeAccess(v, now)
	p.mu.Unlock()
	if !ok {
		bearerChallenge(w, codeInvalidToken, "the access token is unknown, expired or revoked")
		return
	}
	if t.grant.subject == "" {
		bearerChallenge(w, codeInvalidToken, "the access token belongs to a client, not a user")
		return
	}
	u, ok := p.user(t.grant.subject)
	if !ok {
		u = User{Subject: t.grant.subject}
	}
	claims := profileClaims(u)
	claims["sub"] = u.Subject
	writeJSON(w, http.StatusOK, claims)
}

// bearerToken returns the access token of r. errCode explains an empty
// token: "" when none was sent, invalid_request when it was malformed.
func bearerToken(w http.ResponseWriter, r *http.Request) (token, errCode string) {
	auth := r.Header.Get("Authorization")
	if auth != "" {
		scheme, v, ok := strings.Cut(auth, " ")
		v = strings.TrimSpace(v)
		if !ok || !strings.EqualFold(scheme, "Bearer") || v == "" {
			return "", codeInvalidRequest
		}
		return v, ""
	}
	if r.Method == http.MethodPost && isForm(r) {
		form, err := postForm(w, r)
		if err != nil || len(form["access_token"]) > 1 {
			return "", codeInvalidRequest
		}
		return form.Get("access_token"), ""
	}
	return "", ""
}

// bearerChallenge answers with a WWW-Authenticate: Bearer challenge (RFC 6750
// §3): 401, or 400 for invalid_request.
func bearerChallenge(w http.ResponseWriter, errCode, desc string) {
	challenge := `Bearer realm="oidctest"`
	status := http.StatusUnauthorized
	if errCode != "" {
		challenge += `, error="` + errCode + `", error_description="` + desc + `"`
	}
	if errCode == codeInvalidRequest {
		status = http.StatusBadRequest
	}
	w.Header().Set("WWW-Authenticate", challenge)
	writeJSON(w, status, map[string]string{"error": cmp.Or(errCode, codeInvalidToken), "error_description": desc})
}
