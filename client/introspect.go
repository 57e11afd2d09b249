package client

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// introCall is one introspection request in flight, shared by every caller
// presenting the same token.
type introCall struct {
	done chan struct{}
	tok  *AccessToken
	err  error
}

// introspection is an introspection response (RFC 7662 §2.2).
type introspection struct {
	Active    bool            `json:"active"`
	Scope     string          `json:"scope"`
	ClientID  string          `json:"client_id"`
	Subject   string          `json:"sub"`
	Audience  audience        `json:"aud"`
	Issuer    string          `json:"iss"`
	Expiry    numericDate     `json:"exp"`
	IssuedAt  numericDate     `json:"iat"`
	NotBefore numericDate     `json:"nbf"`
	JTI       string          `json:"jti"`
	TokenType string          `json:"token_type"`
	Cnf       json.RawMessage `json:"cnf"`
}

// audience is aud: one string or an array of them (RFC 7519 §4.1.3).
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*a = many
	return nil
}

// introspectIfAvailable introspects a token that is not a JWT, or refuses
// it when the provider has no introspection endpoint to ask.
func (v *AccessTokenVerifier) introspectIfAvailable(ctx context.Context, raw string) (*AccessToken, error) {
	if v.cfg.IntrospectionURL == "" {
		m, err := v.c.metadata(ctx)
		if err != nil {
			return nil, err
		}
		if m.IntrospectionURL == "" {
			return nil, reject(ErrMalformedAccessToken, "not a JWT, and %s has no introspection endpoint", v.c.p.Name)
		}
	}
	return v.introspect(ctx, raw)
}

// introspect answers from the cache, or joins the request in flight for the
// same token, or starts one. The request outlives a caller whose ctx ends
// (bounded by the client's timeout), for the others waiting on it.
func (v *AccessTokenVerifier) introspect(ctx context.Context, raw string) (*AccessToken, error) {
	key := sha256.Sum256([]byte(raw))
	v.mu.Lock()
	if tok, err, ok := v.cache.get(key, v.c.p.Now()); ok {
		v.mu.Unlock()
		return shared(tok, err)
	}
	call := v.calls[key]
	if call == nil {
		call = &introCall{done: make(chan struct{})}
		v.calls[key] = call
		go v.fetch(context.WithoutCancel(ctx), key, raw, call)
	}
	v.mu.Unlock()
	select {
	case <-call.done:
		return shared(call.tok, call.err)
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", ErrIntrospection, ctx.Err())
	}
}

// shared hands a caller its own copy of a result others share.
func shared(tok *AccessToken, err error) (*AccessToken, error) {
	if err != nil {
		return nil, err
	}
	t := *tok
	return &t, nil
}

// fetch runs one introspection, caches its outcome and wakes the waiters.
func (v *AccessTokenVerifier) fetch(ctx context.Context, key [32]byte, raw string, call *introCall) {
	call.tok, call.err = v.ask(ctx, raw)
	now := v.c.p.Now()
	v.mu.Lock()
	if until, ok := v.cacheUntil(call.tok, call.err, now); ok {
		v.cache.put(key, call.tok, call.err, until)
	}
	delete(v.calls, key)
	v.mu.Unlock()
	close(call.done)
}

// cacheUntil is how long a result may be reused: an active token for
// CacheTTL but never past its exp, a refusal for NegativeCacheTTL, an outage
// not at all.
func (v *AccessTokenVerifier) cacheUntil(tok *AccessToken, err error, now time.Time) (time.Time, bool) {
	switch {
	case err != nil && errors.Is(err, ErrInvalidAccessToken):
		return now.Add(v.cfg.NegativeCacheTTL), v.cfg.NegativeCacheTTL > 0
	case err != nil:
		return time.Time{}, false
	}
	until := now.Add(v.cfg.CacheTTL)
	if !tok.Expiry.IsZero() && tok.Expiry.Before(until) {
		until = tok.Expiry
	}
	return until, until.After(now)
}

// ask sends one introspection request (RFC 7662 §2.1), authenticated as the
// client authenticates at the token endpoint, and checks the answer.
func (v *AccessTokenVerifier) ask(ctx context.Context, raw string) (*AccessToken, error) {
	m, err := v.c.metadata(ctx)
	if err != nil {
		return nil, err
	}
	endpoint := v.cfg.IntrospectionURL
	if endpoint == "" {
		endpoint = m.IntrospectionURL
	}
	if endpoint == "" {
		return nil, fmt.Errorf("%w: %s has no introspection endpoint", ErrUnsupported, v.c.p.Name)
	}
	form := url.Values{"token": {raw}, "token_type_hint": {"access_token"}}
	body, err := v.c.postForm(ctx, "introspection", endpoint, form)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrIntrospection, err)
	}
	var r introspection
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("%w: %w: %v", ErrIntrospection, ErrProviderResponse, err)
	}
	return v.checkIntrospection(m, &r, body)
}

// checkIntrospection accepts an active token whose claims, when present,
// match: iss, aud, exp, nbf, token_type and no cnf.
func (v *AccessTokenVerifier) checkIntrospection(m *Metadata, r *introspection, body []byte) (*AccessToken, error) {
	if !r.Active {
		return nil, reject(ErrAccessTokenInactive, "active is false")
	}
	t := &AccessToken{Issuer: r.Issuer, Subject: r.Subject, Audience: r.Audience, ClientID: r.ClientID,
		Scopes: strings.Fields(r.Scope), JWTID: r.JTI, Expiry: r.Expiry.time(), IssuedAt: r.IssuedAt.time(),
		NotBefore: r.NotBefore.time(), Introspected: true, Raw: body}
	now := v.c.p.Now()
	checks := []error{checkIntrospectedType(r.TokenType), v.checkIntrospectedKind(r.TokenType, t),
		checkNotBound(r.Cnf), checkATNotBefore(t, now, v.c.p.Leeway)}
	if t.Issuer != "" {
		checks = append(checks, v.checkIssuer(m, t))
	}
	if len(t.Audience) > 0 {
		checks = append(checks, v.checkAudience(t))
	}
	if !t.Expiry.IsZero() {
		checks = append(checks, checkATExpiry(t, now))
	}
	for _, err := range checks {
		if err != nil {
			return nil, err
		}
	}
	return t, nil
}

// checkIntrospectedKind asks for one sign, token_type or aud, that the
// provider answered about an access token (RFC 7662 §2.2 makes both
// optional); without either, a refresh token would pass for one.
func (v *AccessTokenVerifier) checkIntrospectedKind(tokenType string, t *AccessToken) error {
	if tokenType != "" || len(t.Audience) > 0 || v.cfg.InsecureUntypedIntrospection {
		return nil
	}
	return reject(ErrAccessTokenType, "introspection gave neither token_type nor aud")
}

// checkIntrospectedType refuses what the provider says is not a bearer
// access token (a refresh token, a DPoP-bound token); token_type is
// optional (RFC 7662 §2.2).
func checkIntrospectedType(tt string) error {
	if tt == "" || strings.EqualFold(tt, "bearer") || strings.EqualFold(tt, "access_token") {
		return nil
	}
	return reject(ErrAccessTokenType, "token_type %q", clean(tt))
}
