package providers_test

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/providers"
)

// TestOIDCPresets signs in through middleware with each OpenID Connect
// preset pointed at a fake serving that provider's discovery document,
// signed ID tokens and userinfo shaped like its documentation.
func TestOIDCPresets(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		preset, wellKnown string
		make              func(f *fake) (client.Provider, error)
		auth              client.AuthMethod
		want              client.User
		check             func(t *testing.T, f *fake, q url.Values)
	}{
		{
			preset: "gitlab", wellKnown: "/gitlab/.well-known/openid-configuration",
			make: func(f *fake) (client.Provider, error) {
				return providers.GitLab(providers.GitLabConfig{ClientID: "test-client", ClientSecret: "test-secret", BaseURL: f.URL + "/gitlab"})
			},
			auth: client.AuthBasic,
			want: client.User{Provider: "gitlab", Subject: "1234567", Email: "ada@example.com", EmailVerified: true, Name: "Ada Lovelace",
				Picture: "https://gitlab.example.com/uploads/-/system/user/avatar/1234567/avatar.png"},
		},
		{
			preset: "slack", wellKnown: "/.well-known/openid-configuration",
			make: func(f *fake) (client.Provider, error) {
				return providers.Slack(providers.SlackConfig{ClientID: "test-client", ClientSecret: "test-secret", Team: "T0R7GR", Issuer: f.URL})
			},
			auth: client.AuthBasic,
			want: client.User{Provider: "slack", Subject: "U0R7JM", Email: "krane@slack-corp.com", EmailVerified: true, Name: "krane",
				Picture: "https://secure.gravatar.com/avatar/bc2a5b2a8c4a0f8b9d0e1f2a3b4c5d6e.jpg?s=512"},
			check: func(t *testing.T, f *fake, q url.Values) {
				if q.Get("team") != "T0R7GR" {
					t.Errorf("team %q", q.Get("team"))
				}
			},
		},
		{
			preset: "twitch", wellKnown: "/oauth2/.well-known/openid-configuration",
			make: func(f *fake) (client.Provider, error) {
				return providers.Twitch(providers.TwitchConfig{ClientID: "test-client", ClientSecret: "test-secret", Issuer: f.URL + "/oauth2"})
			},
			auth: client.AuthPost,
			want: client.User{Provider: "twitch", Subject: "713936733", Email: "scotwht@justin.tv", EmailVerified: true, Name: "scotwht",
				Picture: "https://static-cdn.jtvnw.net/user-default-pictures-uv/13e5fa74-defa-11e9-809c-784f43822e80-profile_image-300x300.png"},
			check: func(t *testing.T, f *fake, q url.Values) {
				var claims map[string]map[string]any
				if err := json.Unmarshal([]byte(q.Get("claims")), &claims); err != nil {
					t.Fatalf("claims parameter %q: %v", q.Get("claims"), err)
				}
				for _, part := range []string{"id_token", "userinfo"} {
					for _, c := range []string{"email", "email_verified", "picture", "preferred_username"} {
						if _, ok := claims[part][c]; !ok {
							t.Errorf("claims parameter lacks %s.%s", part, c)
						}
					}
				}
				if q.Get("scope") != "openid user:read:email" {
					t.Errorf("scope %q", q.Get("scope"))
				}
			},
		},
		{
			preset: "okta", wellKnown: "/oauth2/default/.well-known/openid-configuration",
			make: func(f *fake) (client.Provider, error) {
				return providers.Okta(providers.OktaConfig{ClientID: "test-client", ClientSecret: "test-secret", Domain: f.URL, AuthorizationServer: "default"})
			},
			auth: client.AuthBasic,
			want: client.User{Provider: "okta", Subject: "00uid4BxXw6I6TV4m0g3", Email: "ada@example.com", EmailVerified: true, Name: "Ada Lovelace"},
		},
		{
			preset: "auth0", wellKnown: "/.well-known/openid-configuration",
			make: func(f *fake) (client.Provider, error) {
				return providers.Auth0(providers.Auth0Config{ClientID: "test-client", ClientSecret: "test-secret", Domain: f.URL, Audience: "https://api.example.com"})
			},
			auth: client.AuthBasic,
			want: client.User{Provider: "auth0", Subject: "google-oauth2|104726484474386276334", Email: "ada@example.com", EmailVerified: true,
				Name: "Ada Lovelace", Picture: "https://lh3.googleusercontent.com/a/ada"},
			check: func(t *testing.T, f *fake, q url.Values) {
				if q.Get("audience") != "https://api.example.com" {
					t.Errorf("audience %q", q.Get("audience"))
				}
			},
		},
		{
			preset: "keycloak", wellKnown: "/realms/demo/.well-known/openid-configuration",
			make: func(f *fake) (client.Provider, error) {
				return providers.Keycloak(providers.KeycloakConfig{ClientID: "test-client", ClientSecret: "test-secret", BaseURL: f.URL, Realm: "demo"})
			},
			auth: client.AuthBasic,
			want: client.User{Provider: "keycloak", Subject: "f3c2b1a0-9d8e-4f7a-8b6c-5d4e3f2a1b0c", Email: "ada@example.com", EmailVerified: true, Name: "Ada Lovelace"},
		},
		{
			preset: "oidc", wellKnown: "/id/.well-known/openid-configuration",
			make: func(f *fake) (client.Provider, error) {
				return providers.OIDC(providers.OIDCConfig{ClientID: "test-client", ClientSecret: "test-secret", Issuer: f.URL + "/id",
					Claims: client.ClaimMap{Subject: "sub", Email: "mail", EmailVerified: "mail_confirmed", Name: "login", Picture: "avatar"}})
			},
			auth: client.AuthBasic,
			// Userinfo's fields win; the ID token fills what it lacks.
			want: client.User{Provider: "oidc", Subject: "248289761001", Email: "jane@example.org", EmailVerified: true, Name: "jane",
				Picture: "https://example.org/jane.png"},
		},
	} {
		t.Run(tc.preset, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, tc.preset)
			f.oidc(tc.wellKnown, "userinfo.json")
			f.configure(func(c *fakeConfig) { c.auth = tc.auth })
			p, err := tc.make(f)
			if err != nil {
				t.Fatal(err)
			}
			a := startApp(t, f, p, false)
			wantUser(t, a.mustSignIn(), tc.want)
			q := f.lastAuthorize()
			if !strings.HasPrefix(q.Get("scope"), "openid") || q.Get("nonce") == "" {
				t.Errorf("authorization request %v", q)
			}
			if tc.check != nil {
				tc.check(t, f, q)
			}
		})
	}
}

// TestKeycloakIssParameter: Keycloak advertises RFC 9207, so a callback
// without iss, or with another issuer's, is refused.
func TestKeycloakIssParameter(t *testing.T) {
	t.Parallel()
	f := newFake(t, "keycloak")
	f.oidc("/realms/demo/.well-known/openid-configuration", "userinfo.json")
	f.configure(func(c *fakeConfig) { c.issParam = false })
	p, _ := providers.Keycloak(providers.KeycloakConfig{ClientID: "test-client", ClientSecret: "test-secret", BaseURL: f.URL, Realm: "demo"})
	a := startApp(t, f, p, false)
	if e := a.refused(); !errors.Is(e, client.ErrInvalidIssuer) {
		t.Errorf("error = %v, want ErrInvalidIssuer", e.Err)
	}
}

// TestSlackRaw: the raw profile keeps what User has no field for.
func TestSlackRaw(t *testing.T) {
	t.Parallel()
	f := newFake(t, "slack")
	f.oidc("/.well-known/openid-configuration", "userinfo.json")
	p, _ := providers.Slack(providers.SlackConfig{ClientID: "test-client", ClientSecret: "test-secret", Issuer: f.URL})
	_, res, err := directSignIn(t, f, p)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if json.Unmarshal(res.User.Raw, &raw) != nil || raw["https://slack.com/team_id"] != "T0R7GR" {
		t.Errorf("raw %s", res.User.Raw)
	}
}
