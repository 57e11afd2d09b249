package oidctest

import (
	"net/http"
	"slices"
	"strings"
)

// serveDiscovery serves the provider metadata of OpenID Connect Discovery 1.0
// §3 (and RFC 8414 for the OAuth fields, RFC 9207 for iss in responses).
func (p *Provider) serveDiscovery(w http.ResponseWriter, r *http.Request) {
	if !allowMethods(w, r, http.MethodGet, http.MethodHead) {
		return
	}
	p.mu.Lock()
	alg := string(p.keys.alg)
	p.mu.Unlock()
	authMethods := []string{"client_secret_basic", "client_secret_post", "none"}
	doc := map[string]any{
		"issuer":                                         p.issuer,
		"authorization_endpoint":                         p.url(pathAuthorize),
		"token_endpoint":                                 p.url(pathToken),
		"userinfo_endpoint":                              p.url(pathUserInfo),
		"jwks_uri":                                       p.url(pathJWKS),
		"revocation_endpoint":                            p.url(pathRevocation),
		"introspection_endpoint":                         p.url(pathIntrospection),
		"end_session_endpoint":                           p.url(pathEndSession),
		"device_authorization_endpoint":                  p.url(pathDeviceAuthz),
		"response_types_supported":                       p.responseTypesSupported(),
		"response_modes_supported":                       []string{"query", "form_post"},
		"grant_types_supported":                          p.grantsSupported(),
		"subject_types_supported":                        []string{"public"},
		"id_token_signing_alg_values_supported":          []string{alg},
		"scopes_supported":                               scopesSupported(),
		"token_endpoint_auth_methods_supported":          authMethods,
		"revocation_endpoint_auth_methods_supported":     authMethods,
		"introspection_endpoint_auth_methods_supported":  authMethods,
		"code_challenge_methods_supported":               []string{"S256"},
		"claims_supported":                               claimsSupported(),
		"authorization_response_iss_parameter_supported": true,
		"request_parameter_supported":                    false,
		"request_uri_parameter_supported":                false,
		"claims_parameter_supported":                     false,
	}
	if p.cfg.Registration {
		doc["registration_endpoint"] = p.url(pathRegister)
	}
	writeJSON(w, http.StatusOK, doc)
}

// scopesSupported are the scopes advertised in discovery; other requested
// scopes are granted as sent.
func scopesSupported() []string {
	return []string{"openid", "profile", "email", "offline_access"}
}

func claimsSupported() []string {
	return []string{
		"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "sid", "azp",
		"email", "email_verified", "name", "given_name", "family_name", "picture",
	}
}

// serveJWKS serves the public signing keys as a JWK Set (RFC 7517 §5).
func (p *Provider) serveJWKS(w http.ResponseWriter, r *http.Request) {
	if !allowMethods(w, r, http.MethodGet, http.MethodHead) {
		return
	}
	p.mu.Lock()
	set := p.keys.jwks()
	p.mu.Unlock()
	writeJSON(w, http.StatusOK, set)
}

// allowMethods answers 405 with an Allow header unless r uses one of methods.
func allowMethods(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	if slices.Contains(methods, r.Method) {
		return true
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	writeError(w, &oauthError{status: http.StatusMethodNotAllowed, code: codeInvalidRequest, desc: "method not allowed"})
	return false
}
