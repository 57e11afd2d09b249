package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/internal/bounded"
)

const registerHelp = `
Usage: loginkit register ISSUER --name NAME --redirect-uri URL [flags]

Register an application with the provider (dynamic client registration, RFC
7591) and print its client ID and secret, then read the registration back with
its registration access token (RFC 7592) to check it. The secret and the
registration access token are printed: store them now, the provider will not
show the secret again. An initial access token, when the provider wants one,
comes from --initial-access-token or $LOGINKIT_INITIAL_ACCESS_TOKEN.

  loginkit register https://id.example.com --name "My app" \
      --website https://app.example --redirect-uri https://app.example/callback/id

For a command-line app: --native --auth-method none --redirect-uri http://127.0.0.1/callback
For a service:          --grant-type client_credentials (no redirect URI)`

func (a *app) register(ctx context.Context, args []string) int {
	f := newFlags("register", registerHelp)
	var redirects, grants, postLogout stringList
	name := f.String("name", "", "the application's name, shown to users (required)")
	website := f.String("website", "", "the application's home page (client_uri)")
	f.Var(&redirects, "redirect-uri", "a callback URL (repeatable)")
	f.Var(&postLogout, "post-logout-redirect-uri", "a URL to return to after logout (repeatable)")
	f.Var(&grants, "grant-type", "a grant type, e.g. authorization_code, refresh_token, client_credentials (repeatable; default authorization_code)")
	authMethod := f.String("auth-method", "", "token_endpoint_auth_method: client_secret_basic (default), client_secret_post or none")
	native := f.Bool("native", false, "register a native application (application_type native)")
	scope := f.String("scope", "", "space-separated scopes the application may ask for")
	initial := f.String("initial-access-token", "", "initial access token; default $"+envInitialAccessToken)
	registrationURL := f.String("registration-url", "", "registration endpoint, if discovery does not give it")
	timeout := f.Duration("timeout", 10*time.Second, "timeout of each request")
	asJSON := f.Bool("json", false, "print the provider's answer as JSON")
	pos, code, ok := a.parse(f, args, 1)
	if !ok {
		return code
	}
	if strings.TrimSpace(*name) == "" {
		return a.usageError(f, "--name is required")
	}
	md := client.ClientMetadata{
		ClientName: *name, ClientURI: *website, RedirectURIs: redirects, PostLogoutRedirectURIs: postLogout,
		GrantTypes: grants, TokenEndpointAuthMethod: client.AuthMethod(*authMethod), Scope: *scope,
	}
	if *native {
		md.ApplicationType = "native"
	}
	token := *initial
	if token == "" {
		token = a.getenv(envInitialAccessToken)
	}
	r, err := client.NewRegistrar(client.RegistrarConfig{Issuer: pos[0], RegistrationURL: *registrationURL, InitialAccessToken: token,
		HTTPClient: bounded.Client(a.httpClient, *timeout, 0), Timeout: *timeout})
	if err != nil {
		return a.fail("register", err)
	}
	reg, err := r.Register(ctx, md)
	if err != nil {
		return a.fail("register", err)
	}
	if *asJSON {
		printJSON(a.stdout, reg.Raw)
	} else {
		printRegistration(a.stdout, reg)
	}
	return a.readBack(ctx, r, reg)
}

// readBack reads the registration back and says whether it matches.
func (a *app) readBack(ctx context.Context, r *client.Registrar, reg *client.Registration) int {
	if reg.RegistrationClientURI == "" || reg.RegistrationAccessToken == "" {
		fmt.Fprintln(a.stderr, "The provider gave no registration_client_uri: the registration cannot be read back.")
		return exitOK
	}
	back, err := r.Read(ctx, reg)
	if err != nil {
		fmt.Fprintln(a.stderr, "Registered, but reading the registration back failed:")
		return a.fail("register", err)
	}
	if back.ClientName != reg.ClientName || strings.Join(back.RedirectURIs, " ") != strings.Join(reg.RedirectURIs, " ") {
		fmt.Fprintf(a.stderr, "Read back: the provider now reports name %q and redirect URIs %q.\n", back.ClientName, back.RedirectURIs)
		return exitOK
	}
	fmt.Fprintln(a.stderr, "Read back with the registration access token: it matches.")
	return exitOK
}

func printRegistration(w io.Writer, reg *client.Registration) {
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "%-26s %s\n", k, v)
		}
	}
	row("client_id", reg.ClientID)
	row("client_secret", reg.ClientSecret)
	if reg.ClientSecretExpiresAt > 0 {
		row("client_secret_expires_at", time.Unix(reg.ClientSecretExpiresAt, 0).UTC().Format(time.RFC3339))
	}
	row("client_name", reg.ClientName)
	row("client_uri", reg.ClientURI)
	row("redirect_uris", strings.Join(reg.RedirectURIs, " "))
	row("grant_types", strings.Join(reg.GrantTypes, " "))
	row("token_endpoint_auth_method", string(reg.TokenEndpointAuthMethod))
	row("registration_client_uri", reg.RegistrationClientURI)
	row("registration_access_token", reg.RegistrationAccessToken)
	if reg.ClientSecret != "" || reg.RegistrationAccessToken != "" {
		fmt.Fprintln(w, "\nKeep the secret and the registration access token safe; the provider will not show the secret again.")
	}
}
