package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/loginkit/loginkit/internal/bounded"
)

// identify turns a token response into a verified User: the ID token for
// OpenID Connect providers, then the profile (userinfo, or the provider's own
// API), whose subject must match (OpenID Connect Core §5.3.2). The ID token
// is all when it already holds the profile (see idTokenSuffices), with
// ProfileFromIDToken, and without a userinfo endpoint.
func (c *Client) identify(ctx context.Context, m *Metadata, t *Tokens, nonce string) (*User, error) {
	var u *User
	var idt *IDToken
	if c.p.IsOIDC() {
		if t.IDToken == "" {
			return nil, ErrMissingIDToken
		}
		var err error
		if idt, err = c.VerifyIDToken(ctx, t.IDToken, nonce, t.AccessToken); err != nil {
			return nil, err
		}
		u = idt.user()
	}
	if c.p.Profile == nil && (m.UserInfoURL == "" || c.p.ProfileFromIDToken || c.idTokenSuffices(idt)) {
		if u == nil {
			return nil, fmt.Errorf("%w: no way to fetch a profile", ErrProfile)
		}
		u.Provider = c.p.Name
		return u, nil
	}
	p, err := c.profile(ctx, m, t)
	if err != nil {
		return nil, err
	}
	if idt != nil && p.Subject != idt.Subject {
		return nil, ErrSubjectMismatch
	}
	if u != nil {
		p.Subject, p.SessionID = u.Subject, u.SessionID
		p.merge(u)
	}
	p.Provider = c.p.Name
	return p, nil
}

// idTokenSuffices reports whether the verified ID token already holds what
// userinfo would give loginkit for the requested scopes (OpenID Connect Core
// §5.4): the email and its email_verified with "email", the name with
// "profile". The login then asks the provider one thing, the token, and the
// profile is the signed one. Never with AlwaysUserInfo or a claim map other
// than StandardClaims, whose claims may live in userinfo only.
func (c *Client) idTokenSuffices(idt *IDToken) bool {
	if idt == nil || c.p.AlwaysUserInfo || c.p.Claims != StandardClaims {
		return false
	}
	for _, s := range c.p.Scopes {
		switch s {
		case "email":
			if idt.claims.Email == "" || idt.claims.EmailVerified == nil {
				return false
			}
		case "profile":
			if idt.claims.Name == "" {
				return false
			}
		}
	}
	return true
}

func (t *IDToken) user() *User {
	return &User{
		Subject: t.UserSubject, Email: t.claims.Email, EmailVerified: asBool(t.claims.EmailVerified),
		Name: t.claims.Name, Picture: t.claims.Picture, SessionID: t.SID, Raw: t.Raw,
	}
}

// merge fills the fields the profile lacks from the ID token's.
func (u *User) merge(from *User) {
	if u.Email == "" {
		u.Email, u.EmailVerified = from.Email, from.EmailVerified
	}
	if u.Name == "" {
		u.Name = from.Name
	}
	if u.Picture == "" {
		u.Picture = from.Picture
	}
}

func (c *Client) profile(ctx context.Context, m *Metadata, t *Tokens) (*User, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	if c.p.Profile != nil {
		u, err := c.p.Profile(ctx, c.bearerClient(t), t)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrProfile, err)
		}
		return u, nil
	}
	return c.UserInfo(ctx, t, "")
}

// UserInfo fetches the userinfo endpoint (OpenID Connect Core §5.3) with the
// access token and maps it with the provider's claim map. When wantSubject is
// set the response's subject must equal it.
func (c *Client) UserInfo(ctx context.Context, t *Tokens, wantSubject string) (*User, error) {
	m, err := c.metadata(ctx)
	if err != nil {
		return nil, err
	}
	if m.UserInfoURL == "" {
		return nil, fmt.Errorf("%w: no userinfo endpoint", ErrUnsupported)
	}
	raw, err := c.GetJSON(ctx, t, "userinfo", m.UserInfoURL)
	if err != nil {
		return nil, err
	}
	u, err := c.p.Claims.Map(raw)
	if err != nil {
		return nil, err
	}
	if wantSubject != "" && u.Subject != wantSubject {
		return nil, ErrSubjectMismatch
	}
	u.Provider = c.p.Name
	return u, nil
}

// GetJSON fetches a provider API document with the access token, bounded in
// time and size. Errors never carry the token or the body.
func (c *Client) GetJSON(ctx context.Context, t *Tokens, endpoint, url string) (json.RawMessage, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil) // bounded by c.hc's Transport
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrProfile, endpoint, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+t.AccessToken) // RFC 6750 §2.1
	resp, err := c.noRedirect.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrProfile, endpoint, redactURLError(err))
	}
	defer resp.Body.Close()
	body, err := bounded.ReadAll(resp.Body, c.maxBytes())
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrProfile, endpoint, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, bearerError(endpoint, resp)
	}
	if !json.Valid(body) {
		return nil, fmt.Errorf("%w: %s: body is not JSON", ErrProviderResponse, endpoint)
	}
	return body, nil
}

// bearerError reads RFC 6750 §3's WWW-Authenticate error, never the body.
func bearerError(endpoint string, resp *http.Response) error {
	pe := &ProviderError{Endpoint: endpoint, Status: resp.StatusCode}
	h := resp.Header.Get("WWW-Authenticate")
	if i := strings.Index(h, `error="`); i >= 0 {
		rest := h[i+7:]
		if j := strings.IndexByte(rest, '"'); j >= 0 {
			pe.Code = clean(rest[:j])
		}
	}
	if resp.StatusCode == http.StatusUnauthorized && pe.Code == "" {
		pe.Code = "invalid_token"
	}
	return pe
}

func (c *Client) maxBytes() int64 {
	if c.p.MaxResponseBytes > 0 {
		return c.p.MaxResponseBytes
	}
	return bounded.DefaultMaxBytes
}

// Map reads a profile document into a User with this claim map. Numeric
// subjects (GitHub's id) become decimal strings.
func (cm ClaimMap) Map(raw json.RawMessage) (*User, error) {
	var doc map[string]any
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: profile: %v", ErrProviderResponse, err)
	}
	u := &User{
		Subject: asString(doc[cm.Subject]), Email: asString(doc[cm.Email]),
		EmailVerified: asBool(doc[cm.EmailVerified]), Name: asString(doc[cm.Name]),
		Picture: asString(doc[cm.Picture]), Raw: raw,
	}
	if u.Subject == "" {
		return nil, fmt.Errorf("%w: profile has no %q", ErrProviderResponse, cm.Subject)
	}
	return u, nil
}

func asString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return ""
}

func asBool(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return x == "true"
	}
	return false
}

// bearerClient is the bounded client sending t's access token (RFC 6750 §2.1).
func (c *Client) bearerClient(t *Tokens) *http.Client {
	hc := *c.hc
	hc.Transport = &bearerTransport{base: c.hc.Transport, token: t.AccessToken}
	// The transport adds the token to every hop, so no hop may lead elsewhere.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &hc
}

type bearerTransport struct {
	base  http.RoundTripper
	token string
}

func (b *bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.base.RoundTrip(r)
}
