package oidctest

import (
	"net/http"
	"strings"
)

// Paths of the endpoints relative to the issuer.
const (
	pathDiscovery     = "/.well-known/openid-configuration"
	pathJWKS          = "/jwks"
	pathAuthorize     = "/authorize"
	pathToken         = "/token"
	pathUserInfo      = "/userinfo"
	pathRevocation    = "/revoke"
	pathEndSession    = "/end_session"
	pathIntrospection = "/introspect"
	pathDeviceAuthz   = "/device_authorization"
	pathDevice        = "/device"
	pathRegister      = "/register"
)

// endpointFor maps a path relative to the issuer to its endpoint.
func endpointFor(rel string) (Endpoint, bool) {
	switch rel {
	case pathDiscovery:
		return EndpointDiscovery, true
	case pathJWKS:
		return EndpointJWKS, true
	case pathAuthorize:
		return EndpointAuthorize, true
	case pathToken:
		return EndpointToken, true
	case pathUserInfo:
		return EndpointUserInfo, true
	case pathRevocation:
		return EndpointRevocation, true
	case pathEndSession:
		return EndpointEndSession, true
	case pathIntrospection:
		return EndpointIntrospection, true
	case pathDeviceAuthz:
		return EndpointDeviceAuthorization, true
	case pathDevice:
		return EndpointDevice, true
	case pathRegister:
		return EndpointRegistration, true
	}
	if id, ok := strings.CutPrefix(rel, pathRegister+"/"); ok && id != "" && !strings.Contains(id, "/") {
		return EndpointRegistration, true // registration_client_uri (RFC 7592 §2)
	}
	return "", false
}

// route finds the endpoint for a request path, which may be relative to the
// issuer (mounted with http.StripPrefix) or include the issuer's path.
func (p *Provider) route(path string) (Endpoint, bool) {
	if e, ok := endpointFor(path); ok {
		return e, true
	}
	if p.issuerPath != "" && strings.HasPrefix(path, p.issuerPath+"/") {
		return endpointFor(path[len(p.issuerPath):])
	}
	return "", false
}

// url returns the absolute URL of the endpoint at rel.
func (p *Provider) url(rel string) string { return p.issuer + rel }

// ServeHTTP serves the provider's endpoints; other paths get 404.
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e, ok := p.route(r.URL.Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	p.countRequest(e, r)
	if h := p.currentHooks(); h.Intercept != nil && h.Intercept(e, w, r) {
		return
	}
	p.handler(e)(w, r)
}

// countRequest counts a request for Count and, at the token endpoint, for
// GrantCount; the body stays readable.
func (p *Provider) countRequest(e Endpoint, r *http.Request) {
	grantType, isGrant := "", false
	if e == EndpointToken {
		grantType, isGrant = peekGrantType(r)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts[e]++
	if isGrant {
		p.grants[grantType]++
	}
}

func (p *Provider) handler(e Endpoint) http.HandlerFunc {
	switch e {
	case EndpointDiscovery:
		return p.serveDiscovery
	case EndpointJWKS:
		return p.serveJWKS
	case EndpointAuthorize:
		return p.serveAuthorize
	case EndpointToken:
		return p.serveToken
	case EndpointUserInfo:
		return p.serveUserInfo
	case EndpointRevocation:
		return p.serveRevocation
	case EndpointIntrospection:
		return p.serveIntrospection
	case EndpointDeviceAuthorization:
		return p.serveDeviceAuthorization
	case EndpointDevice:
		return p.serveDevice
	case EndpointRegistration:
		return p.serveRegistration
	}
	return p.serveEndSession
}
