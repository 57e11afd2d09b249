package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/loginkit/loginkit/client"
)

// TestPresetHookConfig: the fields presets use are checked at New.
func TestPresetHookConfig(t *testing.T) {
	t.Parallel()
	secret := func(context.Context) (string, error) { return "s", nil }
	base := client.Provider{Name: "p", ClientID: "id", RedirectURL: redirect, Issuer: "https://id.example.com"}
	for _, tc := range []struct {
		name string
		edit func(*client.Provider)
		ok   bool
	}{
		{"secret and secret func", func(p *client.Provider) { p.ClientSecret, p.ClientSecretFunc = "s", secret }, false},
		{"discovery issuer without issuer check", func(p *client.Provider) { p.DiscoveryIssuer = "https://id.example.com/{tenantid}" }, false},
		{"discovery issuer with issuer check", func(p *client.Provider) {
			p.DiscoveryIssuer = "https://id.example.com/{tenantid}"
			p.ValidateIssuer = func(string, map[string]any) error { return nil }
		}, true},
		{"secret func alone", func(p *client.Provider) { p.ClientSecretFunc = secret }, true},
	} {
		p := base
		tc.edit(&p)
		c, err := client.New(p)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, client.ErrInvalidConfig)) {
			t.Errorf("%s: New = %v", tc.name, err)
		}
		if tc.name == "secret func alone" && c.Provider().AuthMethod != client.AuthBasic {
			t.Errorf("a secret func defaults to %q, want client_secret_basic", c.Provider().AuthMethod)
		}
	}
}

// TestClientSecretFunc: every authenticated call asks the func for the
// current secret; its failure stops the call before anything is sent.
func TestClientSecretFunc(t *testing.T) {
	t.Parallel()
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		got = append(got, r.PostForm.Get("client_secret"))
	}))
	defer srv.Close()
	n := 0
	c, err := client.New(client.Provider{
		Name: "p", ClientID: "id", RedirectURL: redirect, AuthMethod: client.AuthPost,
		AuthURL: srv.URL + "/authorize", TokenURL: srv.URL + "/token", RevocationURL: srv.URL + "/revoke", UserInfoURL: srv.URL + "/me",
		ClientSecretFunc: func(context.Context) (string, error) {
			n++
			if n == 3 {
				return "", errors.New("key unavailable")
			}
			return "jwt-" + url.QueryEscape(string(rune('0'+n))), nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	for range 2 {
		if err := c.Revoke(ctx, "tok", "refresh_token"); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Revoke(ctx, "tok", ""); !errors.Is(err, client.ErrInvalidConfig) {
		t.Errorf("Revoke with a failing secret func = %v, want ErrInvalidConfig", err)
	}
	if len(got) != 2 || got[0] != "jwt-1" || got[1] != "jwt-2" {
		t.Errorf("secrets sent %q", got)
	}
}
