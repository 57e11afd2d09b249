package client

import (
	"context"
	"fmt"
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
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(f.Verifier)}
	if c.p.IsOIDC() {
		f.Nonce = randx.Token(32)
		opts = append(opts, oauth2.SetAuthURLParam("nonce", f.Nonce))
	}
	opts = append(opts, c.extraParams(o)...)
	c.mu.Lock()
	u := c.oauth.AuthCodeURL(f.State, opts...)
	c.mu.Unlock()
	return u, f, nil
}

func (c *Client) extraParams(o BeginOptions) []oauth2.AuthCodeOption {
	var opts []oauth2.AuthCodeOption
	set := func(k, v string) {
		if v != "" && !reserved[k] {
			opts = append(opts, oauth2.SetAuthURLParam(k, v))
		}
	}
	for k, vs := range c.p.AuthParams {
		if len(vs) > 0 {
			set(k, vs[0])
		}
	}
	if c.p.ResponseMode == "form_post" {
		set("response_mode", "form_post")
	}
	set("prompt", o.Prompt)
	set("login_hint", o.LoginHint)
	for k, v := range o.Params {
		set(k, v)
	}
	return opts
}
