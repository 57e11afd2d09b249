package oidctest

import (
	"errors"
	"net/http"
	"net/url"
	"slices"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

var (
	errHintInvalid     = errors.New("id_token_hint was not issued by this provider")
	errHintClient      = errors.New("client_id is not an audience of id_token_hint")
	errLogoutNoClient  = errors.New("post_logout_redirect_uri needs client_id or id_token_hint")
	errLogoutNotListed = errors.New("post_logout_redirect_uri is not registered for this client")
)

// idTokenHint holds the claims of a verified id_token_hint.
type idTokenHint struct {
	jwt.Claims
	AuthorizedParty string `json:"azp"`
	SessionID       string `json:"sid"`
}

// serveEndSession is the end_session endpoint (OpenID Connect RP-Initiated
// Logout 1.0 §2–§3). It redirects only to a post_logout_redirect_uri
// registered for the client named by client_id or id_token_hint, with state;
// otherwise it shows a "signed out" page.
func (p *Provider) serveEndSession(w http.ResponseWriter, r *http.Request) {
	params, err := queryOrForm(w, r)
	if err == nil {
		err = singleValued(params)
	}
	var redirectURI string
	if err == nil {
		redirectURI, err = p.logoutRedirect(params)
	}
	if err != nil {
		renderMessage(w, http.StatusBadRequest, "Sign-out failed", err.Error())
		return
	}
	if redirectURI == "" {
		renderMessage(w, http.StatusOK, "Signed out", "You are signed out of the loginkit demo provider. You can close this window.")
		return
	}
	q := url.Values{}
	if state := params.Get("state"); state != "" {
		q.Set("state", state)
	}
	redirect(w, redirectURI, q)
}

// logoutRedirect validates the request and returns the URI to redirect to,
// or "" when none was asked for.
func (p *Provider) logoutRedirect(params url.Values) (string, error) {
	clientID := params.Get("client_id")
	if raw := params.Get("id_token_hint"); raw != "" {
		hint, err := p.verifyHint(raw)
		if err != nil {
			return "", err
		}
		if clientID, err = hintClient(hint, clientID); err != nil {
			return "", err
		}
	}
	uri := params.Get("post_logout_redirect_uri")
	if uri == "" {
		return "", nil
	}
	if clientID == "" {
		return "", errLogoutNoClient
	}
	c, ok := p.client(clientID)
	if !ok || !slices.Contains(c.PostLogoutRedirectURIs, uri) {
		return "", errLogoutNotListed
	}
	return uri, nil
}

// hintClient returns the client of the logout: clientID, which must be an
// audience of the hint, or else the hint's azp or first audience.
func hintClient(hint idTokenHint, clientID string) (string, error) {
	if clientID != "" {
		if !slices.Contains(hint.Audience, clientID) {
			return "", errHintClient
		}
		return clientID, nil
	}
	if hint.AuthorizedParty != "" {
		return hint.AuthorizedParty, nil
	}
	if len(hint.Audience) > 0 {
		return hint.Audience[0], nil
	}
	return "", nil
}

// verifyHint checks that raw was signed by one of the published keys and
// issued by this provider. Expired hints are accepted (Logout §2).
func (p *Provider) verifyHint(raw string) (idTokenHint, error) {
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
	if err != nil || len(tok.Headers) != 1 {
		return idTokenHint{}, errHintInvalid
	}
	pub, ok := p.publishedKey(tok.Headers[0].KeyID)
	var hint idTokenHint
	if !ok || tok.Claims(pub, &hint) != nil || hint.Issuer != p.issuer {
		return idTokenHint{}, errHintInvalid
	}
	return hint, nil
}

// publishedKey returns the public key with kid from the JWKS.
func (p *Provider) publishedKey(kid string) (any, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, k := range p.keys.published() {
		if k.kid == kid {
			return k.priv.Public(), true
		}
	}
	return nil, false
}
