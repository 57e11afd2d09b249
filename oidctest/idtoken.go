package oidctest

import (
	"maps"
	"time"
)

// idToken builds and signs an ID token (OIDC Core §2) for g, bound to
// accessToken by at_hash (§3.1.3.6). nonce is empty on refresh (§12.2).
func (p *Provider) idToken(c Client, g *grant, accessToken, nonce string, now time.Time) (string, error) {
	return p.idTokenWithHashes(c, g, nonce, now, map[string]string{"at_hash": accessToken})
}

// idTokenWithHashes builds and signs an ID token whose hash claims (at_hash,
// c_hash: OIDC Core §3.3.2.11) bind the given values; empty ones are left out.
func (p *Provider) idTokenWithHashes(c Client, g *grant, nonce string, now time.Time, hashes map[string]string) (string, error) {
	h := p.currentHooks()
	p.mu.Lock()
	kr, cur := p.keys, p.keys.current
	p.mu.Unlock()
	u, ok := p.user(g.subject)
	if !ok {
		u = User{Subject: g.subject}
	}
	claims := profileClaims(u)
	maps.Copy(claims, map[string]any{
		"iss":       p.issuer,
		"sub":       g.subject,
		"aud":       c.ID,
		"azp":       c.ID,
		"exp":       now.Add(p.cfg.IDTokenTTL).Unix(),
		"iat":       now.Unix(),
		"auth_time": g.authTime.Unix(),
		"sid":       g.sid,
	})
	for claim, v := range hashes {
		if v != "" {
			claims[claim] = halfHash(v, idTokenAlg(cur.alg, h))
		}
	}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	if h.IDTokenClaims != nil {
		h.IDTokenClaims(claims)
	}
	return signIDToken(claims, kr, cur, h, c.Secret)
}

// profileClaims returns the standard claims of u (OIDC Core §5.1) that are
// set, overridden by u.Extra.
func profileClaims(u User) map[string]any {
	m := make(map[string]any)
	for k, v := range map[string]string{
		"name": u.Name, "given_name": u.GivenName, "family_name": u.FamilyName,
		"picture": u.Picture, "email": u.Email,
	} {
		if v != "" {
			m[k] = v
		}
	}
	if u.Email != "" {
		m["email_verified"] = u.EmailVerified
	}
	maps.Copy(m, u.Extra)
	return m
}
