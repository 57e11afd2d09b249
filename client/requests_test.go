package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/oidctest"
)

// TestAuthURLMatchesOAuth2: Begin builds its URLs from a prefix encoded
// once; they must carry exactly the parameters oauth2.Config.AuthCodeURL
// gives for the same login, whatever overrides what.
func TestAuthURLMatchesOAuth2(t *testing.T) {
	t.Parallel()
	reserved := map[string]bool{"state": true, "nonce": true, "code_challenge": true, "code_challenge_method": true,
		"client_id": true, "redirect_uri": true, "response_type": true}
	cases := []struct {
		name    string
		authURL string
		p       client.Provider
		o       client.BeginOptions
	}{
		{name: "plain OIDC", p: client.Provider{Issuer: "http://op.test"}},
		{name: "options", p: client.Provider{Issuer: "http://op.test"},
			o: client.BeginOptions{Prompt: "login", LoginHint: "ada@example.com", Params: map[string]string{"ui_locales": "fr ca", "acr_values": "a&b=c"}}},
		{name: "reserved not overridable", p: client.Provider{Issuer: "http://op.test"},
			o: client.BeginOptions{Params: map[string]string{"state": "x", "nonce": "y", "redirect_uri": "https://evil", "client_id": "z", "response_type": "token"}}},
		{name: "provider params and form_post", p: client.Provider{Issuer: "http://op.test", ResponseMode: "form_post",
			AuthParams: url.Values{"access_type": {"offline"}, "prompt": {"consent"}, "empty": {""}, "state": {"no"}}}},
		{name: "request overrides a provider param", p: client.Provider{Issuer: "http://op.test",
			AuthParams: url.Values{"prompt": {"consent"}}}, o: client.BeginOptions{Prompt: "select_account"}},
		{name: "request overrides scope", p: client.Provider{Issuer: "http://op.test"},
			o: client.BeginOptions{Params: map[string]string{"scope": "openid"}}},
		{name: "provider overrides scope", p: client.Provider{Issuer: "http://op.test", AuthParams: url.Values{"scope": {"openid x"}}}},
		{name: "OAuth 2.0, endpoint with a query", authURL: "https://api.test/oauth/authorize?tenant=t1&x=%2F",
			p: client.Provider{Scopes: []string{"read", "write:all"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.p
			p.Name, p.ClientID, p.ClientSecret, p.RedirectURL = "t", "app id&", "s", "http://app.test/cb?a=1"
			authURL := tc.authURL
			if p.Issuer == "" {
				p.AuthURL, p.TokenURL, p.UserInfoURL = authURL, "https://api.test/oauth/token", "https://api.test/me"
			} else {
				op, _ := newOP(t, oidctest.Hooks{})
				p.Issuer, p.HTTPClient = op.Issuer(), &http.Client{Transport: memTransport{op}}
			}
			c, err := client.New(p)
			if err != nil {
				t.Fatal(err)
			}
			got, f, err := c.Begin(context.Background(), tc.o)
			if err != nil {
				t.Fatal(err)
			}
			if authURL == "" {
				authURL = c.Provider().Issuer + "/authorize"
			}
			q := c.Provider()
			cfg := oauth2.Config{ClientID: q.ClientID, RedirectURL: q.RedirectURL, Scopes: q.Scopes, Endpoint: oauth2.Endpoint{AuthURL: authURL}}
			opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(f.Verifier)}
			if f.Nonce != "" {
				opts = append(opts, oauth2.SetAuthURLParam("nonce", f.Nonce))
			}
			set := func(k, v string) {
				if v != "" && !reserved[k] {
					opts = append(opts, oauth2.SetAuthURLParam(k, v))
				}
			}
			for k, vs := range q.AuthParams {
				set(k, vs[0])
			}
			if q.ResponseMode == "form_post" {
				set("response_mode", "form_post")
			}
			set("prompt", tc.o.Prompt)
			set("login_hint", tc.o.LoginHint)
			for k, v := range tc.o.Params {
				set(k, v)
			}
			want := cfg.AuthCodeURL(f.State, opts...)
			gu, _ := url.Parse(got)
			wu, _ := url.Parse(want)
			if gq, wq := gu.Query(), wu.Query(); !reflect.DeepEqual(gq, wq) {
				t.Fatalf("parameters differ:\n got %v\nwant %v", gq, wq)
			}
			gu.RawQuery, wu.RawQuery = "", ""
			if gu.String() != wu.String() || !strings.HasPrefix(got, strings.SplitN(authURL, "?", 2)[0]+"?") {
				t.Fatalf("endpoint %q, want %q", got, want)
			}
		})
	}
}

// TestGetJSONNoRedirect: a provider API answering with a redirect gets the
// redirect back as an error; the access token is never sent on, not even
// to the same host.
func TestGetJSONNoRedirect(t *testing.T) {
	t.Parallel()
	var leaked atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Add(1)
		w.Write([]byte(`{"sub":"x"}`))
	}))
	defer elsewhere.Close()
	var api *httptest.Server
	api = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/me":
			if r.Header.Get("Authorization") != "Bearer AT-secret" {
				t.Errorf("Authorization %q", r.Header.Get("Authorization"))
			}
			http.Redirect(w, r, elsewhere.URL+"/me", http.StatusFound)
		case "/same-host":
			http.Redirect(w, r, "/landing", http.StatusFound)
		default:
			leaked.Add(1)
		}
	}))
	defer api.Close()
	c, err := client.New(client.Provider{Name: "p", ClientID: "x", RedirectURL: redirect,
		AuthURL: api.URL + "/a", TokenURL: api.URL + "/t", UserInfoURL: api.URL + "/me"})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/me", "/same-host"} {
		_, err := c.GetJSON(context.Background(), &client.Tokens{AccessToken: "AT-secret"}, "userinfo", api.URL+path)
		var pe *client.ProviderError
		if !errors.As(err, &pe) || pe.Status != http.StatusFound {
			t.Errorf("%s: err %v, want the 302 as a ProviderError", path, err)
		}
		if err != nil && strings.Contains(err.Error(), "AT-secret") {
			t.Errorf("%s: token in the error: %v", path, err)
		}
	}
	if n := leaked.Load(); n != 0 {
		t.Fatalf("%d requests followed a redirect", n)
	}
}

// TestClientTimeout: the limit of each provider call, readable now that the
// bounded client's Timeout field is 0.
func TestClientTimeout(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		p    client.Provider
		want time.Duration
	}{
		{client.Provider{}, 10 * time.Second},
		{client.Provider{Timeout: 3 * time.Second}, 3 * time.Second},
		{client.Provider{Timeout: 3 * time.Second, HTTPClient: &http.Client{Timeout: time.Second}}, time.Second},
	} {
		p := tc.p
		p.Name, p.ClientID, p.RedirectURL = "p", "x", redirect
		p.AuthURL, p.TokenURL, p.UserInfoURL = "http://p.test/a", "http://p.test/t", "http://p.test/u"
		c, err := client.New(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Timeout(); got != tc.want || c.HTTPClient().Timeout != 0 {
			t.Errorf("Timeout %v (field %v), want %v", got, c.HTTPClient().Timeout, tc.want)
		}
	}
}
