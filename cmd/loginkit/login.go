package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/loginkit/loginkit/client"
)

const loginHelp = `
Usage: loginkit login ISSUER --client-id ID [flags]

Sign in as a person would, then print the verified ID token's claims and the
userinfo response. Tokens are printed only with --show-tokens.

By default the browser opens on the provider's page and comes back to a
one-time server on 127.0.0.1 with a random port (RFC 8252); register
http://127.0.0.1/callback (any port) as the client's redirect URI. Without a
browser, the URL is printed. With --device, the device authorization grant
(RFC 8628) shows a code to enter on another device.

Use a public client (no secret) for a CLI; a secret, if any, comes from
--client-secret or $LOGINKIT_CLIENT_SECRET.`

type loginFlags struct {
	providerFlags
	device, noBrowser, showTokens, asJSON bool
	redirectURI, prompt                   string
	port                                  int
	wait                                  time.Duration
}

func (a *app) login(ctx context.Context, args []string) int {
	f := newFlags("login", loginHelp)
	var lf loginFlags
	lf.add(f, "openid email profile")
	f.BoolVar(&lf.device, "device", false, "use the device authorization grant instead of a browser redirect")
	f.BoolVar(&lf.noBrowser, "no-browser", false, "print the URL instead of opening a browser")
	f.BoolVar(&lf.showTokens, "show-tokens", false, "print the access, refresh and ID tokens (they are secrets)")
	f.BoolVar(&lf.asJSON, "json", false, "print the result as JSON")
	f.StringVar(&lf.redirectURI, "redirect-uri", "", "loopback redirect URI registered for the client (default http://127.0.0.1/callback; the port is chosen at each login)")
	f.StringVar(&lf.prompt, "prompt", "", `OpenID Connect prompt, e.g. "login" or "consent"`)
	f.IntVar(&lf.port, "port", 0, "loopback port; 0 picks a free one")
	f.DurationVar(&lf.wait, "wait", client.FlowLifetime, "how long to wait for the sign-in")
	pos, code, ok := a.parse(f, args, 1)
	if !ok {
		return code
	}
	if lf.clientID == "" {
		return a.usageError(f, "--client-id is required")
	}
	c, err := a.newClient(pos[0], &lf)
	if err != nil {
		return a.fail("login", err)
	}
	ctx, cancel := context.WithTimeout(ctx, lf.wait)
	defer cancel()
	var res *client.Result
	if lf.device {
		res, err = a.deviceLogin(ctx, c, &lf)
	} else {
		res, err = c.LoopbackLogin(ctx, client.LoopbackOptions{
			BeginOptions: client.BeginOptions{Prompt: lf.prompt},
			OpenBrowser:  a.opener(lf.noBrowser), Out: a.stderr, Port: lf.port,
		})
	}
	if err != nil {
		return a.fail("login", err)
	}
	return a.printLogin(ctx, c, res, &lf)
}

// newClient builds the client for a login: the redirect URI, when given,
// must be a loopback one (LoopbackLogin checks it).
func (a *app) newClient(issuer string, lf *loginFlags) (*client.Client, error) {
	p := a.provider(issuer, &lf.providerFlags)
	if lf.redirectURI == "" || lf.device {
		return client.NewWithoutRedirect(p)
	}
	p.RedirectURL = lf.redirectURI
	return client.New(p)
}

// opener is the browser to open, or none.
func (a *app) opener(noBrowser bool) func(context.Context, string) error {
	if noBrowser || a.openBrowser == nil {
		return func(context.Context, string) error { return client.ErrNoBrowser }
	}
	return a.openBrowser
}

// deviceLogin shows the code and waits for its approval.
func (a *app) deviceLogin(ctx context.Context, c *client.Client, lf *loginFlags) (*client.Result, error) {
	da, err := c.DeviceAuthorize(ctx, client.DeviceOptions{Sleep: a.sleep})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(a.stderr, "To sign in, visit\n\n    %s\n\nand enter the code\n\n    %s\n\n", da.VerificationURI, da.UserCode)
	if da.VerificationURIComplete != "" {
		if a.opener(lf.noBrowser)(ctx, da.VerificationURIComplete) == nil {
			fmt.Fprintf(a.stderr, "(A browser has been opened at %s.)\n", da.VerificationURIComplete)
		} else {
			fmt.Fprintf(a.stderr, "Or open %s\n", da.VerificationURIComplete)
		}
	}
	fmt.Fprintf(a.stderr, "Waiting for the code to be approved (it expires at %s; Ctrl-C to cancel)…\n", da.Expiry.Local().Format("15:04:05"))
	return c.DeviceWait(ctx, da)
}

// loginOutput is --json's shape.
type loginOutput struct {
	Subject        string          `json:"subject"`
	IDTokenClaims  json.RawMessage `json:"id_token_claims,omitempty"`
	UserInfo       json.RawMessage `json:"userinfo,omitempty"`
	Tokens         *tokenOutput    `json:"tokens,omitempty"`
	TokensRedacted string          `json:"tokens_redacted,omitempty"`
}

type tokenOutput struct {
	AccessToken  string    `json:"access_token"`
	TokenType    string    `json:"token_type"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	IDToken      string    `json:"id_token,omitempty"`
	Expiry       time.Time `json:"expiry,omitzero"`
	Scopes       []string  `json:"scopes,omitempty"`
}

func newTokenOutput(t *client.Tokens) *tokenOutput {
	return &tokenOutput{AccessToken: t.AccessToken, TokenType: t.TokenType, RefreshToken: t.RefreshToken,
		IDToken: t.IDToken, Expiry: t.Expiry, Scopes: t.Scopes}
}

// printLogin prints the verified claims, the userinfo and, if asked, the tokens.
func (a *app) printLogin(ctx context.Context, c *client.Client, res *client.Result, lf *loginFlags) int {
	out := loginOutput{Subject: res.User.Subject}
	if res.Tokens.IDToken != "" {
		// Verified at the login already (with its nonce); verified again here
		// to read its claims.
		idt, err := c.VerifyIDToken(ctx, res.Tokens.IDToken, "", res.Tokens.AccessToken)
		if err != nil {
			return a.fail("login", err)
		}
		out.IDTokenClaims = idt.Raw
	}
	ui, err := c.UserInfo(ctx, &res.Tokens, res.User.Subject)
	switch {
	case err == nil:
		out.UserInfo = ui.Raw
	case !errors.Is(err, client.ErrUnsupported):
		return a.fail("login", fmt.Errorf("userinfo: %w", err))
	}
	if lf.showTokens {
		out.Tokens = newTokenOutput(&res.Tokens)
	} else {
		out.TokensRedacted = res.Tokens.String()
	}
	if lf.asJSON {
		writeJSON(a.stdout, out)
		return exitOK
	}
	printLoginText(a.stdout, &res.User, &out, &res.Tokens, c.Provider().Now())
	return exitOK
}

func printLoginText(w io.Writer, u *client.User, out *loginOutput, t *client.Tokens, now time.Time) {
	who := u.Subject
	if u.Email != "" {
		who += " <" + u.Email + ">"
	}
	fmt.Fprintf(w, "Signed in: %s\n", who)
	if out.IDTokenClaims != nil {
		fmt.Fprintln(w, "\nID token claims (signature and claims verified):")
		printJSON(w, out.IDTokenClaims)
	}
	if out.UserInfo != nil {
		fmt.Fprintln(w, "\nUserinfo (subject checked against the ID token):")
		printJSON(w, out.UserInfo)
	} else {
		fmt.Fprintln(w, "\nUserinfo: the provider has no userinfo endpoint.")
	}
	fmt.Fprintln(w)
	printTokens(w, t, out.Tokens != nil, now)
}

// printTokens describes the tokens, and prints them only when show is set.
func printTokens(w io.Writer, t *client.Tokens, show bool, now time.Time) {
	exp := "no expiry given"
	if !t.Expiry.IsZero() {
		exp = fmt.Sprintf("expires %s (in %s)", t.Expiry.Format(time.RFC3339), t.Expiry.Sub(now).Round(time.Second))
	}
	fmt.Fprintf(w, "Tokens: access %t, refresh %t, ID %t; %s token %s", t.AccessToken != "", t.RefreshToken != "", t.IDToken != "", t.TokenType, exp)
	if len(t.Scopes) > 0 {
		fmt.Fprintf(w, "; scope %q", strings.Join(t.Scopes, " "))
	}
	fmt.Fprintln(w, ".")
	if !show {
		fmt.Fprintln(w, "Add --show-tokens to print them.")
		return
	}
	for _, kv := range [][2]string{{"access_token", t.AccessToken}, {"refresh_token", t.RefreshToken}, {"id_token", t.IDToken}} {
		if kv[1] != "" {
			fmt.Fprintf(w, "%s: %s\n", kv[0], kv[1])
		}
	}
}
