package oidctest

import (
	"fmt"
	"net/url"
	"slices"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Resource is a resource server (an API) the provider issues access tokens
// for: a token request naming it in the resource parameter (RFC 8707 §2)
// gets an access token whose audience is Indicator.
type Resource struct {
	// Indicator is the resource indicator: an absolute URI without a
	// fragment, such as "https://api.example.com". It becomes the aud of the
	// access token and of its introspection response.
	Indicator string
	// Opaque issues opaque access tokens for this resource (checked by
	// introspection); by default they are RFC 9068 JWTs: typ "at+jwt",
	// signed with the provider's current key, with iss, sub (the user, or
	// the client for client credentials), aud, client_id, iat, exp, jti and
	// scope.
	Opaque bool
}

// codeInvalidTarget is RFC 8707 §2's error for an unknown resource.
const codeInvalidTarget = "invalid_target"

// accessTokenType is the JWT typ of RFC 9068 §2.1.
const accessTokenType = "at+jwt"

func validateResources(rs []Resource) error {
	for i, r := range rs {
		u, err := url.Parse(r.Indicator)
		if err != nil || !u.IsAbs() || u.Fragment != "" {
			return fmt.Errorf("oidctest: Resources[%d]: indicator %q must be an absolute URI without fragment", i, r.Indicator)
		}
	}
	return nil
}

// checkResource refuses a resource parameter naming no configured Resource.
func (p *Provider) checkResource(indicator string) *oauthError {
	if _, ok := p.resource(indicator); indicator != "" && !ok {
		return newError(codeInvalidTarget, "unknown resource")
	}
	return nil
}

func (p *Provider) resource(indicator string) (Resource, bool) {
	i := slices.IndexFunc(p.cfg.Resources, func(r Resource) bool { return r.Indicator == indicator })
	if i < 0 {
		return Resource{}, false
	}
	return p.cfg.Resources[i], true
}

// accessFor binds the access token v, just issued, to the resource the
// token request named, if any, and returns the value to hand out: v itself,
// or an RFC 9068 JWT that replaces v in the store (so that introspection,
// userinfo and revocation know it). The JWT is signed without the lock, so
// that hooks may call the Provider.
func (p *Provider) accessFor(v, indicator string) (string, *oauthError) {
	r, ok := p.resource(indicator)
	if !ok {
		return v, nil
	}
	p.mu.Lock()
	t, found := p.store.access[v]
	if found {
		t.resource = r.Indicator
	}
	kr, cur, h := p.keys, p.keys.current, p.hooks
	var claims map[string]any
	if found && !r.Opaque {
		claims = p.accessClaims(t, r.Indicator)
	}
	p.mu.Unlock()
	if claims == nil {
		return v, nil
	}
	c, _ := p.client(t.grant.clientID)
	signed, err := signAccessToken(claims, kr, cur, h, c.Secret)
	if err != nil {
		return "", newError(codeServerError, "could not sign the access token")
	}
	p.mu.Lock()
	if t, ok := p.store.access[v]; ok {
		delete(p.store.access, v)
		p.store.access[signed] = t
	}
	p.mu.Unlock()
	return signed, nil
}

// accessClaims are the claims of an RFC 9068 access token (§2.2) for t.
func (p *Provider) accessClaims(t *token, aud string) map[string]any {
	sub := t.grant.subject
	if sub == "" {
		sub = t.grant.clientID // client credentials (§2.2)
	}
	claims := map[string]any{
		"iss":       p.issuer,
		"sub":       sub,
		"aud":       aud,
		"client_id": t.grant.clientID,
		"iat":       t.iat.Unix(),
		"exp":       t.exp.Unix(),
		"jti":       randomToken(0)[:22],
	}
	if t.scope != "" {
		claims["scope"] = t.scope
	}
	if t.grant.subject != "" {
		claims["auth_time"] = t.grant.authTime.Unix()
	}
	return claims
}

// signAccessToken signs claims as a compact JWS with typ at+jwt, or what
// the hooks ask (AccessTokenClaims, AccessTokenType, SignAlg, BadSignature).
func signAccessToken(claims map[string]any, kr *keyring, cur signingKey, h Hooks, clientSecret string) (string, error) {
	if h.AccessTokenClaims != nil {
		h.AccessTokenClaims(claims)
	}
	key, err := idTokenSigningKey(kr, cur, h, clientSecret)
	if err != nil {
		return "", err
	}
	typ := jose.ContentType(accessTokenType)
	if h.AccessTokenType != "" {
		typ = jose.ContentType(h.AccessTokenType)
	}
	opts := (&jose.SignerOptions{}).WithType(typ).WithHeader(jose.HeaderKey("kid"), cur.kid)
	signer, err := jose.NewSigner(key, opts)
	if err != nil {
		return "", err
	}
	return jwt.Signed(signer).Claims(claims).Serialize()
}

// accessAudience is aud in an introspection response: the token's resource,
// else its client (RFC 7662 §2.2).
func accessAudience(t *token) string {
	if t.resource != "" {
		return t.resource
	}
	return t.grant.clientID
}
