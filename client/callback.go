package client

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// Result is a completed login: the verified user and the provider's tokens.
type Result struct {
	User   User
	Tokens Tokens
}

// Callback completes a login from the redirect's parameters (the query of a
// GET, the form of a form_post). The flow is the one kept for this browser at
// Begin; the caller must have removed it from storage already so it is used
// once. The checks run in the order RFC 9700 §4 and RFC 9207 advise: state,
// iss, error, then the code exchange with the PKCE verifier, the ID token and
// the profile.
func (c *Client) Callback(ctx context.Context, f *Flow, params url.Values) (*Result, error) {
	m, err := c.metadata(ctx)
	if err != nil {
		return nil, err
	}
	if err := c.checkFlow(f, params); err != nil {
		return nil, err
	}
	if err := checkIssParam(m, c.p.IsOIDC(), params); err != nil {
		return nil, err
	}
	if code := params.Get("error"); code != "" {
		return nil, &CallbackError{Code: clean(code), Description: clean(params.Get("error_description")), URI: clean(params.Get("error_uri"))}
	}
	code := params.Get("code")
	if code == "" {
		return nil, ErrMissingCode
	}
	t, err := c.exchange(ctx, code, f.Verifier)
	if err != nil {
		return nil, err
	}
	u, err := c.identify(ctx, m, t, f.Nonce)
	if err != nil {
		return nil, err
	}
	c.nameFromCallback(u, params)
	return &Result{User: *u, Tokens: *t}, nil
}

func (c *Client) checkFlow(f *Flow, params url.Values) error {
	switch {
	case f == nil:
		return ErrFlowMissing
	case f.Provider != c.p.Name:
		return fmt.Errorf("%w: flow belongs to provider %q", ErrStateMismatch, f.Provider)
	case subtle.ConstantTimeCompare([]byte(f.State), []byte(params.Get("state"))) != 1:
		return ErrStateMismatch
	case f.Expired(c.p.Now()):
		return ErrFlowExpired
	}
	return nil
}

// checkIssParam implements RFC 9207 §2.4: when the provider advertises the iss
// parameter it must be present and equal; when present anyway it must match.
func checkIssParam(m *Metadata, oidc bool, params url.Values) error {
	iss, present := params["iss"]
	if !present {
		if m.IssParameterSupported {
			return fmt.Errorf("%w: %w: callback lacks the iss parameter", ErrInvalidCallback, ErrInvalidIssuer)
		}
		return nil
	}
	if oidc && (len(iss) != 1 || iss[0] != m.Issuer) {
		return fmt.Errorf("%w: %w: callback iss is %q", ErrInvalidCallback, ErrInvalidIssuer, clean(strings.Join(iss, ",")))
	}
	return nil
}

// exchange trades the code for tokens (RFC 6749 §4.1.3) with the PKCE
// verifier (RFC 7636 §4.5).
func (c *Client) exchange(ctx context.Context, code, verifier string) (*Tokens, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	cfg, err := c.oauthConfig(ctx)
	if err != nil {
		return nil, err
	}
	ot, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, providerError("token", err)
	}
	return c.fromOAuth2(ot)
}

// providerError turns golang.org/x/oauth2's errors into ours without copying
// the response body, which RetrieveError.Error() would print.
func providerError(endpoint string, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		pe := &ProviderError{Endpoint: endpoint, Code: clean(re.ErrorCode), Description: clean(re.ErrorDescription), URI: clean(re.ErrorURI)}
		if re.Response != nil {
			pe.Status = re.Response.StatusCode
		}
		return pe
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("loginkit: %s endpoint: timed out: %w", endpoint, context.DeadlineExceeded)
	}
	return fmt.Errorf("loginkit: %s endpoint: %w", endpoint, redactURLError(err))
}

// redactURLError drops the URL's query from *url.Error (a token endpoint URL
// carries none, but a misconfigured one might).
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		u, perr := url.Parse(ue.URL)
		if perr == nil {
			u.RawQuery = ""
			return &url.Error{Op: ue.Op, URL: u.String(), Err: ue.Err}
		}
	}
	return err
}

// fromOAuth2 converts a token response, computing the expiry on the client's
// clock (golang.org/x/oauth2 uses time.Now).
func (c *Client) fromOAuth2(ot *oauth2.Token) (*Tokens, error) {
	if ot.AccessToken == "" {
		return nil, fmt.Errorf("%w: no access_token", ErrProviderResponse)
	}
	t := &Tokens{AccessToken: ot.AccessToken, TokenType: ot.Type(), RefreshToken: ot.RefreshToken, Expiry: ot.Expiry}
	if ot.ExpiresIn > 0 {
		t.Expiry = c.p.Now().Add(time.Duration(ot.ExpiresIn) * time.Second)
	}
	if id, ok := ot.Extra("id_token").(string); ok {
		t.IDToken = id
	}
	if s, ok := ot.Extra("scope").(string); ok && s != "" {
		t.Scopes = strings.Fields(s)
	}
	return t, nil
}
