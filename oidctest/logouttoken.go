package oidctest

import (
	"errors"
	"slices"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// backChannelLogoutEvent is the events member of a logout token
// (OpenID Connect Back-Channel Logout 1.0 §2.4).
const backChannelLogoutEvent = "http://schemas.openid.net/event/backchannel-logout"

var errLogoutAudience = errors.New("oidctest: LogoutToken needs an aud: several clients are registered, set it in mutate")

// LogoutToken returns a logout token (Back-Channel Logout 1.0 §2.4) for the
// user sub and the provider session sid (either may be empty), signed with
// the current key and typed logout+jwt: iss, aud (the only registered
// client), iat, exp (two minutes on), a fresh jti, the back-channel logout
// event, sub and sid. mutate, when not nil, may change any claim before
// signing (drop iat, add a nonce, …); time claims are int64 Unix seconds.
// A test posts the token to the relying party's back-channel logout URI.
func (p *Provider) LogoutToken(sub, sid string, mutate func(claims map[string]any)) (string, error) {
	now := p.cfg.Now()
	p.mu.Lock()
	cur := p.keys.current
	var ids []string
	for id := range p.clients {
		ids = append(ids, id)
	}
	p.mu.Unlock()
	slices.Sort(ids)
	claims := map[string]any{
		"iss":    p.issuer,
		"iat":    now.Unix(),
		"exp":    now.Unix() + 120,
		"jti":    randomToken(0)[:22],
		"events": map[string]any{backChannelLogoutEvent: map[string]any{}},
	}
	if len(ids) == 1 {
		claims["aud"] = ids[0]
	}
	if sub != "" {
		claims["sub"] = sub
	}
	if sid != "" {
		claims["sid"] = sid
	}
	if mutate != nil {
		mutate(claims)
	}
	if _, ok := claims["aud"]; !ok {
		return "", errLogoutAudience
	}
	opts := (&jose.SignerOptions{}).WithType("logout+jwt").WithHeader(jose.HeaderKey("kid"), cur.kid)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: cur.alg, Key: cur.priv}, opts)
	if err != nil {
		return "", err
	}
	return jwt.Signed(signer).Claims(claims).Serialize()
}
