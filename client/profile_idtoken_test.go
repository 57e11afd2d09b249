package client_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/oidctest"
)

// TestProfileFromIDToken: the User comes from the ID token, and the login
// asks the provider for nothing but the token.
func TestProfileFromIDToken(t *testing.T) {
	t.Parallel()
	op, _ := newOP(t, oidctest.Hooks{})
	c, err := client.New(client.Provider{Name: "t", Issuer: op.Issuer(), ClientID: "app", ClientSecret: "s3cret",
		RedirectURL: redirect, HTTPClient: &http.Client{Transport: memTransport{op}}, ProfileFromIDToken: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	authURL, flow, err := c.Begin(ctx, client.BeginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	params := authorize(t, op, authURL)
	op.ResetCounts()
	res, err := c.Callback(ctx, flow, params)
	if err != nil {
		t.Fatal(err)
	}
	u := res.User
	if u.Subject != "ada" || u.Email != "ada@example.com" || !u.EmailVerified || u.Name != "Ada" || u.Provider != "t" || len(u.Raw) == 0 {
		t.Errorf("user %+v", u)
	}
	for e, want := range map[oidctest.Endpoint]int{oidctest.EndpointToken: 1, oidctest.EndpointUserInfo: 0} {
		if got := op.Count(e); got != want {
			t.Errorf("%s: %d requests, want %d", e, got, want)
		}
	}
}

func TestProfileFromIDTokenConfig(t *testing.T) {
	t.Parallel()
	profile := func(context.Context, *http.Client, *client.Tokens) (*client.User, error) { return &client.User{}, nil }
	for name, p := range map[string]client.Provider{
		"plain OAuth2": {Name: "t", ClientID: "app", RedirectURL: redirect, AuthURL: "https://op.test/a",
			TokenURL: "https://op.test/t", UserInfoURL: "https://op.test/u", ProfileFromIDToken: true},
		"with Profile": {Name: "t", Issuer: "https://op.test", ClientID: "app", RedirectURL: redirect,
			Profile: profile, ProfileFromIDToken: true},
	} {
		if _, err := client.New(p); !errors.Is(err, client.ErrInvalidConfig) {
			t.Errorf("%s: err %v, want ErrInvalidConfig", name, err)
		}
	}
}
