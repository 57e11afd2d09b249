package oidctest

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The implicit and hybrid flows (OIDC Core §3.2, §3.3), enabled by
// Config.InsecureImplicitAndHybrid and answered with form_post only, so that
// tokens never travel in a URL fragment.

// legacyResponseTypes are the accepted response types other than "code",
// with their values sorted.
var legacyResponseTypes = map[string]bool{
	"id_token":            true,
	"id_token token":      true,
	"code id_token":       true,
	"code id_token token": true,
}

// sortedFields sorts the space-separated values of a response_type, whose
// order does not matter (RFC 6749 §3.1.1).
func sortedFields(s string) string {
	f := strings.Fields(s)
	slices.Sort(f)
	return strings.Join(slices.Compact(f), " ")
}

// checkLegacy checks that the client may use req's response type, and that a
// legacy one is enabled, posted back by form_post and bound to a nonce.
func (p *Provider) checkLegacy(req *authzRequest) *oauthError {
	rt := req.responseType
	switch {
	case rt == "code":
		if !req.client.allows(grantAuthorizationCode) {
			return newError(codeUnauthorizedClient, "the client may not use the authorization code flow")
		}
		return nil
	case !p.cfg.InsecureImplicitAndHybrid:
		return newError(codeUnsupportedResponseType, "only response_type=code is supported")
	case req.responseMode != "form_post":
		return newError(codeInvalidRequest, "implicit and hybrid responses need response_mode=form_post")
	case req.nonce == "":
		return newError(codeInvalidRequest, "nonce is required for implicit and hybrid requests")
	case strings.Contains(" "+rt+" ", " token ") && !req.client.allows(grantImplicit):
		return newError(codeUnauthorizedClient, "the client may not receive access tokens from the authorization endpoint")
	case !strings.Contains(" "+rt+" ", " token ") && !req.client.allows(grantAuthorizationCode):
		return newError(codeUnauthorizedClient, "the client may not use the hybrid flow")
	}
	return nil
}

// approveLegacy answers an implicit or hybrid request: a code, an access
// token and an ID token as the response type asks, the ID token carrying
// c_hash and at_hash for what travels with it (OIDC Core §3.3.2.11).
func (p *Provider) approveLegacy(w http.ResponseWriter, req *authzRequest, subject string) {
	now := p.cfg.Now()
	types := strings.Fields(req.responseType)
	g := &grant{
		clientID: req.client.ID, subject: subject, scope: req.scope,
		nonce: req.nonce, sid: randomToken(0)[:22], authTime: now,
	}
	params := url.Values{}
	var code, access string
	p.mu.Lock()
	if slices.Contains(types, "code") {
		c := &authCode{grant: g, redirectURI: req.redirectURI, challenge: req.challenge, exp: now.Add(p.cfg.CodeTTL)}
		code = p.store.addCode(c, now)
		params.Set("code", code)
	}
	if slices.Contains(types, "token") {
		at := &token{grant: g, scope: req.scope, iat: now, exp: now.Add(p.cfg.AccessTokenTTL)}
		access = p.store.addAccess(at, p.cfg.TokenPadding, now)
		params.Set("access_token", access)
		params.Set("token_type", "Bearer")
		params.Set("expires_in", formatSeconds(p.cfg.AccessTokenTTL))
		params.Set("scope", req.scope)
	}
	p.mu.Unlock()
	if slices.Contains(types, "id_token") {
		idt, err := p.idTokenWithHashes(req.client, g, req.nonce, now, map[string]string{"at_hash": access, "c_hash": code})
		if err != nil {
			p.respond(w, req, errorParams(newError(codeServerError, "could not sign the ID token")))
			return
		}
		params.Set("id_token", idt)
	}
	p.respond(w, req, params)
}

func formatSeconds(d time.Duration) string { return strconv.FormatInt(int64(d/time.Second), 10) }

// responseTypesSupported lists "code" and, when enabled, the legacy types.
func (p *Provider) responseTypesSupported() []string {
	out := []string{"code"}
	if p.cfg.InsecureImplicitAndHybrid {
		out = append(out, "id_token", "id_token token", "code id_token", "code id_token token")
	}
	return out
}
