package client

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/loginkit/loginkit/internal/randx"
)

// FlowLifetime is how long a pending login stays valid.
const FlowLifetime = 10 * time.Minute

// Flow is a pending login: the secrets the callback is checked against. It
// must be kept for the browser that started the login (never sent to the
// provider or trusted from the callback's parameters) and used once.
type Flow struct {
	Provider    string    `json:"p"`
	State       string    `json:"s"`
	Nonce       string    `json:"n,omitempty"`
	Verifier    string    `json:"v"`
	RedirectURL string    `json:"r"`
	ReturnTo    string    `json:"t,omitempty"`
	Created     time.Time `json:"c"`
}

// Expired reports whether the flow is older than FlowLifetime at now.
func (f *Flow) Expired(now time.Time) bool {
	return now.Sub(f.Created) > FlowLifetime || now.Before(f.Created.Add(-time.Minute))
}

// BeginOptions are per-login tweaks of the authorization request.
type BeginOptions struct {
	ReturnTo  string // kept in the Flow for the caller; not sent to the provider
	Prompt    string // OpenID Connect prompt: "login", "consent", "select_account", "none"
	LoginHint string
	// Params are extra authorization parameters for this request only. They
	// cannot replace state, nonce, PKCE, client_id or redirect_uri.
	Params map[string]string
}

// reserved are the parameters whose values loginkit owns.
var reserved = map[string]bool{
	"state": true, "nonce": true, "code_challenge": true, "code_challenge_method": true,
	"client_id": true, "redirect_uri": true, "response_type": true,
}

// Begin starts a login: it returns the provider's authorization URL and the
// Flow to keep for this browser. State and nonce carry 256 random bits; PKCE
// uses S256 on every request (RFC 7636 §4.2, RFC 9700 §2.1.1).
func (c *Client) Begin(ctx context.Context, o BeginOptions) (string, *Flow, error) {
	if c.p.RedirectURL == "" { // NewWithoutRedirect
		return "", nil, fmt.Errorf("%w: %s: no RedirectURL to send the browser back to", ErrInvalidConfig, c.p.Name)
	}
	if _, err := c.metadata(ctx); err != nil {
		return "", nil, err
	}
	f := &Flow{
		Provider: c.p.Name, State: randx.Token(32), Verifier: oauth2.GenerateVerifier(),
		RedirectURL: c.p.RedirectURL, ReturnTo: o.ReturnTo, Created: c.p.Now(),
	}
	if c.p.IsOIDC() {
		f.Nonce = randx.Token(32)
	}
	c.mu.Lock()
	base := c.authBase
	c.mu.Unlock()
	return base.build(f, c.requestParams(o)), f, nil
}

// authBase is the part of every authorization URL fixed by the provider's
// configuration: the endpoint with response_type, client_id, redirect_uri,
// scope, response_mode and Provider.AuthParams already encoded, so that a
// login encodes only what is new in it. The URLs it builds carry the same
// parameters as oauth2.Config.AuthCodeURL's (TestAuthURLMatchesOAuth2).
type authBase struct {
	prefix string     // AuthURL, '?' or '&', and the fixed parameters encoded
	fixed  url.Values // the same parameters, for a request that overrides one
	url    string     // AuthURL
}

func (c *Client) newAuthBase(authURL string) *authBase {
	v := url.Values{"response_type": {"code"}, "client_id": {c.p.ClientID}}
	if c.p.RedirectURL != "" {
		v.Set("redirect_uri", c.p.RedirectURL)
	}
	if len(c.p.Scopes) > 0 {
		v.Set("scope", strings.Join(c.p.Scopes, " "))
	}
	for k, vs := range c.p.AuthParams {
		if len(vs) > 0 && vs[0] != "" && !reserved[k] {
			v.Set(k, vs[0])
		}
	}
	if c.p.ResponseMode == "form_post" {
		v.Set("response_mode", "form_post")
	}
	sep := "?"
	if strings.Contains(authURL, "?") {
		sep = "&"
	}
	return &authBase{prefix: authURL + sep + v.Encode(), fixed: v, url: authURL}
}

// requestParams are this login's own parameters besides state, nonce and
// PKCE, sorted by name. Reserved names are dropped.
func (c *Client) requestParams(o BeginOptions) [][2]string {
	var ps [][2]string
	set := func(k, v string) {
		if v == "" || reserved[k] {
			return
		}
		for i := range ps {
			if ps[i][0] == k {
				ps[i][1] = v
				return
			}
		}
		ps = append(ps, [2]string{k, v})
	}
	set("prompt", o.Prompt)
	set("login_hint", o.LoginHint)
	for k, v := range o.Params {
		set(k, v)
	}
	slices.SortFunc(ps, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	return ps
}

// build returns the authorization URL for f. State, nonce and the PKCE
// challenge are base64url, which needs no escaping.
func (b *authBase) build(f *Flow, ps [][2]string) string {
	challenge := oauth2.S256ChallengeFromVerifier(f.Verifier)
	for _, p := range ps {
		if _, ok := b.fixed[p[0]]; ok { // overrides a fixed parameter: encode all
			v := maps.Clone(b.fixed)
			for _, p := range ps {
				v.Set(p[0], p[1])
			}
			v.Set("state", f.State)
			v.Set("code_challenge", challenge)
			v.Set("code_challenge_method", "S256")
			if f.Nonce != "" {
				v.Set("nonce", f.Nonce)
			}
			return b.url + b.prefix[len(b.url):len(b.url)+1] + v.Encode()
		}
	}
	n := len(b.prefix) + len(f.State) + len(f.Nonce) + len(challenge) + 80
	for _, p := range ps {
		n += len(p[0]) + 3*len(p[1]) + 2
	}
	var sb strings.Builder
	sb.Grow(n)
	sb.WriteString(b.prefix)
	sb.WriteString("&code_challenge=")
	sb.WriteString(challenge)
	sb.WriteString("&code_challenge_method=S256")
	if f.Nonce != "" {
		sb.WriteString("&nonce=")
		sb.WriteString(f.Nonce)
	}
	for _, p := range ps {
		sb.WriteByte('&')
		sb.WriteString(url.QueryEscape(p[0]))
		sb.WriteByte('=')
		sb.WriteString(url.QueryEscape(p[1]))
	}
	sb.WriteString("&state=")
	sb.WriteString(f.State)
	return sb.String()
}
