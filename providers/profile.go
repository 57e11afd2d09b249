package providers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/internal/bounded"
)

// maxProfileBytes bounds a profile document read here. The client that
// client.ProfileFunc hands over already caps every body at the provider's
// MaxResponseBytes; this guards the read itself.
const maxProfileBytes = 4 << 20

// apiGet fetches one JSON document from a provider API with hc, which sends
// the access token. A non-200 answer becomes a *client.ProviderError that
// carries the status, never the body (which may echo the token).
func apiGet(ctx context.Context, hc *http.Client, endpoint, target string, hdr http.Header) (json.RawMessage, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", endpoint, err)
	}
	req.Header.Set("Accept", "application/json")
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", endpoint, redactQuery(err))
	}
	defer resp.Body.Close()
	body, err := bounded.ReadAll(resp.Body, maxProfileBytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", endpoint, err)
	}
	if resp.StatusCode != http.StatusOK {
		pe := &client.ProviderError{Endpoint: endpoint, Status: resp.StatusCode}
		if resp.StatusCode == http.StatusUnauthorized {
			pe.Code = "invalid_token"
		}
		return nil, pe
	}
	if !json.Valid(body) {
		return nil, fmt.Errorf("%w: %s: body is not JSON", client.ErrProviderResponse, endpoint)
	}
	return body, nil
}

// redactQuery drops the query from a *url.Error's URL: Facebook's carries
// appsecret_proof, which is bound to the access token.
func redactQuery(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			u.RawQuery = ""
			return &url.Error{Op: ue.Op, URL: u.String(), Err: ue.Err}
		}
	}
	return err
}

// decode parses a JSON document keeping numbers exact (GitHub's and
// Discord's numeric IDs must not pass through float64).
func decode(raw json.RawMessage) (any, error) {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: profile: %v", client.ErrProviderResponse, err)
	}
	return doc, nil
}

// lookup follows a dotted path through objects and arrays: "data.id",
// "picture.data.url", "images.0.url". A missing step yields nil.
func lookup(doc any, path string) any {
	if path == "" {
		return nil
	}
	for _, step := range strings.Split(path, ".") {
		switch x := doc.(type) {
		case map[string]any:
			doc = x[step]
		case []any:
			i, err := strconv.Atoi(step)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			doc = x[i]
		default:
			return nil
		}
	}
	return doc
}

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	}
	return ""
}

func boolean(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return x == "true"
	}
	return false
}

// mapProfile reads a profile document into a User with a claim map whose
// entries may be dotted paths. An empty EmailVerified path means the
// provider never says, and the address counts as unverified.
func mapProfile(raw json.RawMessage, cm client.ClaimMap) (*client.User, error) {
	doc, err := decode(raw)
	if err != nil {
		return nil, err
	}
	u := &client.User{
		Subject: str(lookup(doc, cm.Subject)), Email: str(lookup(doc, cm.Email)),
		EmailVerified: boolean(lookup(doc, cm.EmailVerified)), Name: str(lookup(doc, cm.Name)),
		Picture: str(lookup(doc, cm.Picture)), Raw: raw,
	}
	if u.Subject == "" {
		return nil, fmt.Errorf("%w: profile has no %q", client.ErrProviderResponse, cm.Subject)
	}
	return u, nil
}

// claimString reads a string claim from an ID token's claims.
func claimString(claims map[string]any, name string) string {
	s, _ := claims[name].(string)
	return s
}
