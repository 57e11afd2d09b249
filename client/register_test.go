package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/oidctest"
)

func (g *grantsOP) registrar(t testing.TB, initialToken string) *client.Registrar {
	t.Helper()
	r, err := client.NewRegistrar(client.RegistrarConfig{Issuer: g.Issuer(), InitialAccessToken: initialToken,
		HTTPClient: &http.Client{Transport: memTransport{g}}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestRegisterReadAndSignIn registers an app, reads the registration back
// and signs in with the new client.
func TestRegisterReadAndSignIn(t *testing.T) {
	t.Parallel()
	op := newGrantsOP(t)
	md := client.ClientMetadata{ClientName: "Ada's app", ClientURI: "https://app.example", RedirectURIs: []string{redirect}}
	reg, err := op.registrar(t, "").Register(context.Background(), md)
	if err != nil {
		t.Fatal(err)
	}
	if reg.ClientID == "" || reg.ClientSecret == "" || reg.RegistrationAccessToken == "" || reg.ClientName != md.ClientName ||
		reg.ClientURI != md.ClientURI || !strings.HasPrefix(reg.RegistrationClientURI, op.Issuer()) {
		t.Fatalf("registration %+v %s", reg.ClientMetadata, reg.Raw)
	}
	for _, s := range []string{fmt.Sprint(reg), fmt.Sprintf("%+v", reg), fmt.Sprintf("%#v", *reg)} {
		if strings.Contains(s, reg.ClientSecret) || strings.Contains(s, reg.RegistrationAccessToken) {
			t.Fatalf("secret printed: %s", s)
		}
	}
	back, err := op.registrar(t, "").Read(context.Background(), reg)
	if err != nil {
		t.Fatal(err)
	}
	if back.ClientID != reg.ClientID || back.ClientName != md.ClientName || back.RedirectURIs[0] != redirect {
		t.Fatalf("read back %+v", back.ClientMetadata)
	}
	c := op.client(t, reg.ClientID, reg.ClientSecret, redirect)
	authURL, flow, err := c.Begin(context.Background(), client.BeginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Callback(context.Background(), flow, authorize(t, op, authURL))
	if err != nil || res.User.Subject != "ada" {
		t.Fatalf("sign-in with the registered client: %v", err)
	}
}

func TestRegisterErrors(t *testing.T) {
	t.Parallel()
	good := client.ClientMetadata{ClientName: "x", RedirectURIs: []string{redirect}}
	cases := []struct {
		name     string
		md       client.ClientMetadata
		initial  string // the provider's initial access token
		sent     string // the one the registrar sends
		hook     func(oidctest.Endpoint, http.ResponseWriter, *http.Request) bool
		wantErr  error
		wantCode string
	}{
		{name: "fragment in redirect", md: client.ClientMetadata{RedirectURIs: []string{redirect + "#x"}}, wantErr: client.ErrInvalidConfig},
		{name: "relative redirect", md: client.ClientMetadata{RedirectURIs: []string{"/cb"}}, wantErr: client.ErrInvalidConfig},
		{name: "website not http", md: client.ClientMetadata{ClientURI: "javascript:x", RedirectURIs: []string{redirect}}, wantErr: client.ErrInvalidConfig},
		{name: "code grant without redirect", md: client.ClientMetadata{ClientName: "x"}, wantCode: "invalid_redirect_uri"},
		{name: "unknown auth method", md: client.ClientMetadata{RedirectURIs: []string{redirect}, TokenEndpointAuthMethod: "private_key_jwt"}, wantCode: "invalid_client_metadata"},
		{name: "initial access token missing", md: good, initial: "let-me-in", wantCode: "invalid_token"},
		{name: "initial access token wrong", md: good, initial: "let-me-in", sent: "guess", wantCode: "invalid_token"},
		{name: "initial access token right", md: good, initial: "let-me-in", sent: "let-me-in"},
		{name: "no client_id in answer", md: good, hook: fixedResponse(oidctest.EndpointRegistration, 201, `{"client_secret":"s"}`), wantErr: client.ErrProviderResponse},
		{name: "management URI elsewhere", md: good, wantErr: client.ErrProviderResponse,
			hook: fixedResponse(oidctest.EndpointRegistration, 201, `{"client_id":"c","registration_client_uri":"https://evil.test/c","registration_access_token":"t"}`)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			op := newGrantsOP(t, func(c *oidctest.Config) { c.InitialAccessToken = tc.initial })
			if tc.hook != nil {
				op.SetHooks(oidctest.Hooks{Intercept: tc.hook})
			}
			reg, err := op.registrar(t, tc.sent).Register(context.Background(), tc.md)
			var pe *client.ProviderError
			switch {
			case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
				t.Fatalf("got %v, want %v", err, tc.wantErr)
			case tc.wantCode != "" && (!errors.As(err, &pe) || pe.Code != tc.wantCode):
				t.Fatalf("got %v, want %s", err, tc.wantCode)
			case tc.wantErr == nil && tc.wantCode == "" && (err != nil || reg.ClientID == ""):
				t.Fatalf("got %v", err)
			}
		})
	}
}

func TestRegistrationReadErrors(t *testing.T) {
	t.Parallel()
	op := newGrantsOP(t)
	r := op.registrar(t, "")
	reg, err := r.Register(context.Background(), client.ClientMetadata{GrantTypes: []string{"client_credentials"}})
	if err != nil {
		t.Fatal(err)
	}
	wrong := *reg
	wrong.RegistrationAccessToken = "guess"
	var pe *client.ProviderError
	if _, err := r.Read(context.Background(), &wrong); !errors.As(err, &pe) || pe.Code != "invalid_token" || pe.Status != 401 {
		t.Fatalf("wrong registration token: %v", err)
	}
	none := *reg
	none.RegistrationClientURI = ""
	if _, err := r.Read(context.Background(), &none); !errors.Is(err, client.ErrUnsupported) {
		t.Fatalf("no management URI: %v, want ErrUnsupported", err)
	}
	// A service registered this way gets tokens at once.
	tok, err := op.client(t, reg.ClientID, reg.ClientSecret, "").ClientCredentials(client.ClientCredentialsOptions{}).Token(context.Background())
	if err != nil || tok.AccessToken == "" {
		t.Fatalf("client credentials with the registered client: %v", err)
	}
	off := newGrantsOP(t, func(c *oidctest.Config) { c.Registration = false })
	if _, err := off.registrar(t, "").Register(context.Background(), client.ClientMetadata{}); !errors.Is(err, client.ErrUnsupported) {
		t.Fatalf("registration disabled: %v, want ErrUnsupported", err)
	}
	if _, err := client.NewRegistrar(client.RegistrarConfig{}); !errors.Is(err, client.ErrInvalidConfig) {
		t.Fatalf("empty config: %v", err)
	}
}
