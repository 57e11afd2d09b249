package oidctest

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"net/url"
)

// authenticateClient authenticates the client of a token, revocation or
// introspection request by client_secret_basic or client_secret_post
// (RFC 6749 §2.3.1), or identifies a public client using "none" (OIDC
// Core §9, RFC 6749 §3.2.1).
func (p *Provider) authenticateClient(r *http.Request, form url.Values) (Client, *oauthError) {
	id, secret, err := clientCredentials(r, form)
	if err != nil {
		return Client{}, err
	}
	c, ok := p.client(id)
	if !ok {
		return Client{}, newError(codeInvalidClient, "unknown client")
	}
	if err := checkSecret(c, secret); err != nil {
		return Client{}, err
	}
	return c, nil
}

// clientCredentials extracts the client ID and secret from the Authorization
// header (form-urlencoded inside HTTP Basic, RFC 6749 §2.3.1) or the body.
// Using both methods at once is an error (RFC 6749 §2.3).
func clientCredentials(r *http.Request, form url.Values) (id, secret string, err *oauthError) {
	if r.Header.Get("Authorization") == "" {
		id = form.Get("client_id")
		if id == "" {
			return "", "", newError(codeInvalidClient, "client authentication is required")
		}
		return id, form.Get("client_secret"), nil
	}
	user, pass, ok := r.BasicAuth()
	if !ok {
		return "", "", newError(codeInvalidClient, "unsupported Authorization scheme; use Basic")
	}
	if form.Has("client_secret") {
		return "", "", newError(codeInvalidRequest, "more than one client authentication method")
	}
	id, err1 := url.QueryUnescape(user)
	secret, err2 := url.QueryUnescape(pass)
	if err1 != nil || err2 != nil || id == "" {
		return "", "", newError(codeInvalidClient, "malformed Basic credentials")
	}
	if formID := form.Get("client_id"); formID != "" && formID != id {
		return "", "", newError(codeInvalidRequest, "client_id does not match the Authorization header")
	}
	return id, secret, nil
}

// checkSecret compares secrets in constant time. A public client must not
// present a secret; a confidential one must present the right one.
func checkSecret(c Client, secret string) *oauthError {
	switch {
	case c.Secret == "" && secret != "":
		return newError(codeInvalidClient, "public client must not present a secret")
	case c.Secret == "":
		return nil
	case secret == "":
		return newError(codeInvalidClient, "client authentication is required")
	case !equalSecrets(c.Secret, secret):
		return newError(codeInvalidClient, "client authentication failed")
	}
	return nil
}

// equalSecrets compares hashes so that neither content nor length leaks.
func equalSecrets(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}
