package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/loginkit/loginkit/client"
)

const tokenHelp = `
Usage: loginkit token ISSUER --client-id ID [flags]

Get an access token for a service with the client credentials grant (RFC
6749 §4.4): no user, the client's own identity. The client secret comes from
--client-secret or $LOGINKIT_CLIENT_SECRET. The token is described, and
printed only with --show-tokens; a JWT access token's claims are shown
(decoded, not verified: they are for the API to check).

  loginkit token https://id.example.com --client-id billing --scopes "invoices:read"`

func (a *app) token(ctx context.Context, args []string) int {
	f := newFlags("token", tokenHelp)
	var pf providerFlags
	pf.add(f, "")
	var params stringList
	f.Var(&params, "param", "extra token request parameter NAME=VALUE, e.g. resource=https://api.example (repeatable)")
	showTokens := f.Bool("show-tokens", false, "print the access token (it is a secret)")
	asJSON := f.Bool("json", false, "print the result as JSON")
	pos, code, ok := a.parse(f, args, 1)
	if !ok {
		return code
	}
	p := a.provider(pos[0], &pf)
	switch {
	case p.ClientID == "":
		return a.usageError(f, "--client-id is required")
	case p.ClientSecret == "":
		return a.usageError(f, "a client secret is required: --client-secret or $"+envClientSecret)
	}
	extra := url.Values{}
	for _, kv := range params {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return a.usageError(f, fmt.Sprintf("--param %q is not NAME=VALUE", kv))
		}
		extra.Add(k, v)
	}
	c, err := client.NewWithoutRedirect(p)
	if err != nil {
		return a.fail("token", err)
	}
	tok, err := c.ClientCredentials(client.ClientCredentialsOptions{Scopes: p.Scopes, Params: extra}).Token(ctx)
	if err != nil {
		return a.fail("token", err)
	}
	claims := jwtClaims(tok.AccessToken)
	if *asJSON {
		out := struct {
			Tokens         *tokenOutput    `json:"tokens,omitempty"`
			TokensRedacted string          `json:"tokens_redacted,omitempty"`
			Claims         json.RawMessage `json:"access_token_claims_unverified,omitempty"`
		}{Claims: claims}
		if *showTokens {
			out.Tokens = newTokenOutput(tok)
		} else {
			out.TokensRedacted = tok.String()
		}
		writeJSON(a.stdout, out)
		return exitOK
	}
	printTokens(a.stdout, tok, *showTokens, c.Provider().Now())
	if claims != nil {
		fmt.Fprintln(a.stdout, "\nAccess token claims (a JWT; decoded, not verified):")
		printJSON(a.stdout, claims)
	}
	return exitOK
}

// jwtClaims decodes the payload of a token that is a JWT, or returns nil.
func jwtClaims(token string) json.RawMessage {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || !json.Valid(b) || len(b) == 0 || b[0] != '{' {
		return nil
	}
	return b
}
