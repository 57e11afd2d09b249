package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// noRedirectPlaceholder lets NewWithoutRedirect reuse New's validation; it
// is cleared before the Client is returned and never sent anywhere.
const noRedirectPlaceholder = "http://no-redirect.invalid/"

// NewWithoutRedirect is New for clients that never send a browser back to a
// fixed redirect URI: services using client credentials (RFC 6749 §4.4),
// devices using the device authorization grant (RFC 8628), native apps whose
// loopback redirect URI gets its port at each login (RFC 8252 §7.3,
// LoopbackLogin), and the legacy password grant. p.RedirectURL must be
// empty; Begin refuses to run on such a client.
func NewWithoutRedirect(p Provider) (*Client, error) {
	if p.RedirectURL != "" {
		return nil, fmt.Errorf("%w: %s: RedirectURL is set; use New", ErrInvalidConfig, p.Name)
	}
	p.RedirectURL = noRedirectPlaceholder
	c, err := New(p)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.p.RedirectURL = ""
	if c.meta != nil { // plain OAuth2: rebuild the oauth2 config without it
		c.setMetadata(c.meta)
	}
	return c, nil
}

// maxExpiresIn bounds expires_in and interval values: ten years.
const maxExpiresIn = 10 * 365 * 24 * 3600

// seconds is a JSON count of seconds that some providers send as a string
// ("3600") or with a fraction; null means zero. Negative, huge and non-numeric
// values are refused.
type seconds int64

func (s *seconds) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*s = 0
		return nil
	}
	if len(b) > 1 && b[0] == '"' {
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		b = []byte(strings.TrimSpace(str))
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > maxExpiresIn {
		return fmt.Errorf("not a count of seconds: %.20q", b)
	}
	*s = seconds(f)
	return nil
}

func (s seconds) duration() time.Duration { return time.Duration(s) * time.Second }

// tokenJSON is a token endpoint response (RFC 6749 §5.1, OpenID Connect Core
// §3.1.3.3), or an error (§5.2), which a few providers send with status 200.
type tokenJSON struct {
	AccessToken      string  `json:"access_token"`
	TokenType        string  `json:"token_type"`
	RefreshToken     string  `json:"refresh_token"`
	IDToken          string  `json:"id_token"`
	ExpiresIn        seconds `json:"expires_in"`
	Scope            string  `json:"scope"`
	Error            string  `json:"error"`
	ErrorDescription string  `json:"error_description"`
	ErrorURI         string  `json:"error_uri"`
}

// parseTokenResponse reads a 2xx token endpoint body into Tokens, computing
// the expiry on the client's clock. Only Bearer tokens are accepted (RFC 6750);
// a missing token_type is taken as Bearer. The body is never echoed.
func parseTokenResponse(endpoint string, body []byte, now time.Time) (*Tokens, error) {
	var r tokenJSON
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrProviderResponse, endpoint, redactJSONError(err))
	}
	if r.Error != "" {
		return nil, &ProviderError{Endpoint: endpoint, Status: 200, Code: clean(r.Error), Description: clean(r.ErrorDescription), URI: clean(r.ErrorURI)}
	}
	if r.AccessToken == "" {
		return nil, fmt.Errorf("%w: %s: no access_token", ErrProviderResponse, endpoint)
	}
	if r.TokenType != "" && !strings.EqualFold(r.TokenType, "bearer") {
		return nil, fmt.Errorf("%w: %s: token_type %q is not Bearer", ErrProviderResponse, endpoint, clean(r.TokenType))
	}
	t := &Tokens{AccessToken: r.AccessToken, TokenType: "Bearer", RefreshToken: r.RefreshToken, IDToken: r.IDToken, Scopes: strings.Fields(r.Scope)}
	if r.ExpiresIn > 0 {
		t.Expiry = now.Add(r.ExpiresIn.duration())
	}
	return t, nil
}

// redactJSONError keeps a JSON error's kind without the offending value,
// which could be a token.
func redactJSONError(err error) string {
	switch e := err.(type) {
	case *json.SyntaxError:
		return fmt.Sprintf("invalid JSON at offset %d", e.Offset)
	case *json.UnmarshalTypeError:
		return fmt.Sprintf("field %q has the wrong type", clean(e.Field))
	}
	return "invalid JSON"
}

// tokenRequest posts a grant to the token endpoint (RFC 6749 §3.2) and parses
// the answer.
func (c *Client) tokenRequest(ctx context.Context, m *Metadata, form url.Values) (*Tokens, error) {
	body, err := c.postForm(ctx, "token", m.TokenURL, form)
	if err != nil {
		return nil, err
	}
	return parseTokenResponse("token", body, c.p.Now())
}
