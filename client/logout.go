package client

import (
	"context"
	"net/url"
)

// EndSessionURL builds the RP-initiated logout redirect (OpenID Connect
// RP-Initiated Logout 1.0 §2). It returns "" when the provider has no
// end_session_endpoint. The ID token travels as id_token_hint, which the
// specification requires; it is the one token that may appear in a URL, and
// only in this redirect to its own issuer.
func (c *Client) EndSessionURL(ctx context.Context, idTokenHint, postLogoutRedirect, state string) string {
	m, err := c.metadata(ctx)
	if err != nil || m.EndSessionURL == "" {
		return ""
	}
	u, err := url.Parse(m.EndSessionURL)
	if err != nil {
		return ""
	}
	q := u.Query()
	q.Set("client_id", c.p.ClientID)
	if idTokenHint != "" {
		q.Set("id_token_hint", idTokenHint)
	}
	if postLogoutRedirect != "" {
		q.Set("post_logout_redirect_uri", postLogoutRedirect)
	}
	if state != "" {
		q.Set("state", state)
	}
	u.RawQuery = q.Encode()
	return u.String()
}
