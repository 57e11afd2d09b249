package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/loginkit/loginkit/internal/bounded"
)

// postForm sends an authenticated form to a provider endpoint (the client
// authentication of OpenID Connect Core §9) and returns the JSON body of a 2xx
// answer. Error bodies are parsed as RFC 6749 §5.2 errors, never echoed.
func (c *Client) postForm(ctx context.Context, endpoint, target string, form url.Values) (json.RawMessage, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	secret, err := c.clientSecret(ctx)
	if err != nil {
		return nil, err
	}
	form = c.authParams(form, secret)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("loginkit: %s endpoint: %v", endpoint, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if c.p.AuthMethod == AuthBasic {
		req.SetBasicAuth(url.QueryEscape(c.p.ClientID), url.QueryEscape(secret))
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("loginkit: %s endpoint: %w", endpoint, redactURLError(err))
	}
	defer resp.Body.Close()
	body, err := bounded.ReadAll(resp.Body, c.maxBytes())
	if err != nil {
		return nil, fmt.Errorf("loginkit: %s endpoint: %w", endpoint, err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, parseErrorBody(endpoint, resp.StatusCode, body)
	}
	return body, nil
}

func (c *Client) authParams(form url.Values, secret string) url.Values {
	out := url.Values{}
	for k, v := range form {
		out[k] = v
	}
	switch c.p.AuthMethod {
	case AuthPost:
		out.Set("client_id", c.p.ClientID)
		out.Set("client_secret", secret)
	case AuthNone:
		out.Set("client_id", c.p.ClientID)
	}
	return out
}

func parseErrorBody(endpoint string, status int, body []byte) error {
	var e struct {
		Code        string `json:"error"`
		Description string `json:"error_description"`
		URI         string `json:"error_uri"`
	}
	_ = json.Unmarshal(body, &e) // a non-JSON body leaves the fields empty
	return &ProviderError{Endpoint: endpoint, Status: status, Code: clean(e.Code), Description: clean(e.Description), URI: clean(e.URI)}
}
