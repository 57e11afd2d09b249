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

// TestUserInfoWhenNeeded: by default userinfo is asked only when the ID token
// lacks what the scopes promise; its subject must then match the ID token's.
func TestUserInfoWhenNeeded(t *testing.T) {
	t.Parallel()
	drop := func(claims ...string) func(map[string]any) {
		return func(c map[string]any) {
			for _, k := range claims {
				delete(c, k)
			}
		}
	}
	tests := []struct {
		name         string
		prov         func(*client.Provider)
		idClaims     func(map[string]any)
		userinfoSub  string // non-empty: userinfo answers with this subject
		wantUserInfo int
		wantName     string
		wantErr      error
	}{
		{name: "ID token holds the profile", wantUserInfo: 0, wantName: "Ada"},
		{name: "no name", idClaims: drop("name"), wantUserInfo: 1, wantName: "Ada"},
		{name: "no email", idClaims: drop("email"), wantUserInfo: 1, wantName: "Ada"},
		{name: "no email_verified", idClaims: drop("email_verified"), wantUserInfo: 1, wantName: "Ada"},
		{name: "no name, profile not asked", idClaims: drop("name"),
			prov: func(p *client.Provider) { p.Scopes = []string{"openid", "email"} }, wantUserInfo: 0},
		{name: "AlwaysUserInfo", prov: func(p *client.Provider) { p.AlwaysUserInfo = true }, wantUserInfo: 1, wantName: "Ada"},
		{name: "custom claim map", prov: func(p *client.Provider) {
			p.Claims = client.ClaimMap{Subject: "sub", Email: "email", EmailVerified: "email_verified", Name: "preferred_username"}
		}, wantUserInfo: 1, wantName: "Ada"}, // no preferred_username: the ID token's name fills in
		{name: "ProfileFromIDToken with no name", idClaims: drop("name"),
			prov: func(p *client.Provider) { p.ProfileFromIDToken = true }, wantUserInfo: 0},
		{name: "userinfo of another subject", idClaims: drop("name"), userinfoSub: "mallory",
			wantUserInfo: 1, wantErr: client.ErrSubjectMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			op, _ := newOP(t, oidctest.Hooks{})
			var hooks oidctest.Hooks
			hooks.IDTokenClaims = tt.idClaims
			if tt.userinfoSub != "" {
				hooks.Intercept = func(ep oidctest.Endpoint, w http.ResponseWriter, r *http.Request) bool {
					if ep != oidctest.EndpointUserInfo {
						return false
					}
					w.Header().Set("Content-Type", "application/json")
					w.Write([]byte(`{"sub":"` + tt.userinfoSub + `","name":"Mallory"}`))
					return true
				}
			}
			op.SetHooks(hooks)
			p := client.Provider{Name: "t", Issuer: op.Issuer(), ClientID: "app", ClientSecret: "s3cret",
				RedirectURL: redirect, HTTPClient: &http.Client{Transport: memTransport{op}}}
			if tt.prov != nil {
				tt.prov(&p)
			}
			c, err := client.New(p)
			if err != nil {
				t.Fatal(err)
			}
			authURL, flow, err := c.Begin(t.Context(), client.BeginOptions{})
			if err != nil {
				t.Fatal(err)
			}
			params := authorize(t, op, authURL)
			op.ResetCounts()
			res, err := c.Callback(t.Context(), flow, params)
			if got := op.Count(oidctest.EndpointUserInfo); got != tt.wantUserInfo {
				t.Errorf("userinfo requests = %d, want %d", got, tt.wantUserInfo)
			}
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Callback error = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if u := res.User; u.Subject != "ada" || u.Name != tt.wantName || len(u.Raw) == 0 {
				t.Errorf("user %+v, want subject ada, name %q", u, tt.wantName)
			}
		})
	}
}

func TestAlwaysUserInfoConfig(t *testing.T) {
	t.Parallel()
	for name, p := range map[string]client.Provider{
		"plain OAuth2": {Name: "t", ClientID: "app", RedirectURL: redirect, AuthURL: "https://op.test/a",
			TokenURL: "https://op.test/t", UserInfoURL: "https://op.test/u", AlwaysUserInfo: true},
		"with ProfileFromIDToken": {Name: "t", Issuer: "https://op.test", ClientID: "app", RedirectURL: redirect,
			ProfileFromIDToken: true, AlwaysUserInfo: true},
	} {
		if _, err := client.New(p); !errors.Is(err, client.ErrInvalidConfig) {
			t.Errorf("%s: err %v, want ErrInvalidConfig", name, err)
		}
	}
}
