package providers_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/providers"
)

// TestOAuth2Presets signs in through middleware with each plain OAuth 2.0
// preset pointed at a fake serving its authorization and token endpoints
// and its profile API, with documents shaped like its documentation.
func TestOAuth2Presets(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		serve func(f *fake) (client.Provider, error)
		auth  client.AuthMethod
		want  client.User
		scope string
	}{
		{
			name: "discord",
			serve: func(f *fake) (client.Provider, error) {
				f.oauth2("/oauth2/authorize", "/api/oauth2/token")
				f.api("GET /api/v10/users/@me", "profile", f.fixture("user.json"))
				return providers.Discord(providers.DiscordConfig{ClientID: "test-client", ClientSecret: "test-secret",
					AuthURL: f.URL + "/oauth2/authorize", TokenURL: f.URL + "/api/oauth2/token", APIURL: f.URL + "/api/v10"})
			},
			auth: client.AuthBasic, scope: "identify email",
			want: client.User{Provider: "discord", Subject: "80351110224678912", Email: "nelly@discord.com", EmailVerified: true, Name: "Nelly",
				Picture: "https://cdn.discordapp.com/avatars/80351110224678912/8342729096ea3675442027381ff50dfe.png"},
		},
		{
			name: "spotify",
			serve: func(f *fake) (client.Provider, error) {
				f.oauth2("/authorize", "/api/token")
				f.api("GET /v1/me", "profile", f.fixture("me.json"))
				// A public client: PKCE and client_id, no secret.
				return providers.Spotify(providers.SpotifyConfig{ClientID: "test-client",
					AuthURL: f.URL + "/authorize", TokenURL: f.URL + "/api/token", APIURL: f.URL + "/v1"})
			},
			auth: client.AuthNone, scope: "user-read-email user-read-private",
			want: client.User{Provider: "spotify", Subject: "wizzler", Email: "email@example.com", EmailVerified: false, Name: "JM Wizzler",
				Picture: "https://i.scdn.co/image/ab6775700000ee8555c25988a6ac314394d3fbf5"},
		},
		{
			name: "x",
			serve: func(f *fake) (client.Provider, error) {
				f.oauth2("/i/oauth2/authorize", "/2/oauth2/token")
				me := f.fixture("me.json")
				f.mux.HandleFunc("GET /2/users/me", func(w http.ResponseWriter, r *http.Request) {
					if !f.bearer(w, r, "profile") {
						return
					}
					if r.URL.Query().Get("user.fields") != "profile_image_url" {
						http.Error(w, `{"title":"Invalid Request"}`, http.StatusBadRequest)
						return
					}
					w.Write(me)
				})
				return providers.X(providers.XConfig{ClientID: "test-client", ClientSecret: "test-secret",
					AuthURL: f.URL + "/i/oauth2/authorize", TokenURL: f.URL + "/2/oauth2/token", APIURL: f.URL + "/2"})
			},
			auth: client.AuthBasic, scope: "users.read tweet.read offline.access",
			want: client.User{Provider: "x", Subject: "2244994945", Name: "X Dev",
				Picture: "https://pbs.twimg.com/profile_images/1683325380441128960/yRsRRjGO_normal.jpg"},
		},
		{
			name: "linkedin",
			serve: func(f *fake) (client.Provider, error) {
				f.oauth2("/oauth/v2/authorization", "/oauth/v2/accessToken")
				f.api("GET /v2/userinfo", "profile", f.fixture("userinfo.json"))
				// LinkedIn's ID token carries no nonce; the preset does not rely on it.
				f.configure(func(c *fakeConfig) {
					c.tokenExtra = map[string]any{"id_token": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiI3ODJiYnRhUSJ9.c2ln"}
				})
				return providers.LinkedIn(providers.LinkedInConfig{ClientID: "test-client", ClientSecret: "test-secret",
					AuthURL: f.URL + "/oauth/v2/authorization", TokenURL: f.URL + "/oauth/v2/accessToken", UserInfoURL: f.URL + "/v2/userinfo"})
			},
			auth: client.AuthPost, scope: "openid profile email",
			want: client.User{Provider: "linkedin", Subject: "782bbtaQ", Email: "doe@email.com", EmailVerified: true, Name: "John Doe",
				Picture: "https://media.licdn-ei.com/dms/image/C5F03AQHqK8v7tB1HCQ/profile-displayphoto-shrink_100_100/0/"},
		},
		{
			name: "oauth2",
			serve: func(f *fake) (client.Provider, error) {
				f.oauth2("/authorize", "/token")
				f.api("GET /api/me", "profile", f.fixture("profile.json"))
				return providers.OAuth2(providers.OAuth2Config{Name: "example", DisplayName: "Example", ClientID: "test-client", ClientSecret: "test-secret",
					AuthMethod: client.AuthPost, Scopes: []string{"profile"},
					AuthURL: f.URL + "/authorize", TokenURL: f.URL + "/token", ProfileURL: f.URL + "/api/me?fields=all",
					Claims: client.ClaimMap{Subject: "user.uid", Email: "user.contact.mail", EmailVerified: "user.contact.confirmed",
						Name: "user.display", Picture: "user.avatars.0.href"}})
			},
			auth: client.AuthPost, scope: "profile",
			want: client.User{Provider: "example", Subject: "90210", Email: "jane@example.net", EmailVerified: true, Name: "Jane Doe",
				Picture: "https://cdn.example.net/a/jdoe-large.png"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, tc.name)
			f.configure(func(c *fakeConfig) { c.auth = tc.auth })
			p, err := tc.serve(f)
			if err != nil {
				t.Fatal(err)
			}
			a := startApp(t, f, p, false)
			wantUser(t, a.mustSignIn(), tc.want)
			if f.count("profile") != 1 {
				t.Errorf("profile calls = %d, want 1", f.count("profile"))
			}
			q := f.lastAuthorize()
			if q.Get("scope") != tc.scope || q.Has("nonce") {
				t.Errorf("authorization request %v, want scope %q and no nonce", q, tc.scope)
			}
		})
	}
}

// TestXRefresh: offline.access yields a refresh token, which X rotates.
func TestXRefresh(t *testing.T) {
	t.Parallel()
	f := newFake(t, "x")
	f.configure(func(c *fakeConfig) { c.refresh, c.expiresIn = true, 7200 })
	f.oauth2("/i/oauth2/authorize", "/2/oauth2/token")
	f.api("GET /2/users/me", "profile", f.fixture("me.json"))
	p, _ := providers.X(providers.XConfig{ClientID: "test-client", ClientSecret: "test-secret",
		AuthURL: f.URL + "/i/oauth2/authorize", TokenURL: f.URL + "/2/oauth2/token", APIURL: f.URL + "/2"})
	c, res, err := directSignIn(t, f, p)
	if err != nil {
		t.Fatal(err)
	}
	nt, err := c.Refresh(t.Context(), &res.Tokens, res.User.Subject)
	if err != nil || nt.RefreshToken == res.Tokens.RefreshToken {
		t.Fatalf("Refresh = %v, %v", nt, err)
	}
}

// TestProfileErrors: a profile API that refuses the token or answers
// nonsense fails the sign-in at the profile, without a session.
func TestProfileErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		doc  string
		code int
	}{
		{"401", `{"message":"401: Unauthorized","code":0}`, http.StatusUnauthorized},
		{"not JSON", `<html>`, http.StatusOK},
		{"no id", `{"username":"nelly"}`, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, "discord")
			f.oauth2("/oauth2/authorize", "/api/oauth2/token")
			f.mux.HandleFunc("GET /api/v10/users/@me", func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.code)
				w.Write([]byte(tc.doc))
			})
			p, _ := providers.Discord(providers.DiscordConfig{ClientID: "test-client", ClientSecret: "test-secret",
				AuthURL: f.URL + "/oauth2/authorize", TokenURL: f.URL + "/api/oauth2/token", APIURL: f.URL + "/api/v10"})
			a := startApp(t, f, p, false)
			if e := a.refused(); !errors.Is(e, client.ErrProfile) {
				t.Errorf("error = %v, want ErrProfile", e.Err)
			}
		})
	}
}

func TestSpotifyRedirect(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		redirect string
		ok       bool
	}{
		{"http://127.0.0.1:8080/callback/spotify", true},
		{"http://[::1]:8080/callback/spotify", true},
		{"https://app.example.com/callback/spotify", true},
		{"http://localhost:8080/callback/spotify", false},
		{"https://localhost/callback/spotify", false},
		{"http://app.example.com/callback/spotify", false},
		{"/callback/spotify", false},
	} {
		err := providers.SpotifyRedirectOK(tc.redirect)
		if (err == nil) != tc.ok {
			t.Errorf("SpotifyRedirectOK(%q) = %v, want ok %t", tc.redirect, err, tc.ok)
		}
		_, err = providers.Spotify(providers.SpotifyConfig{ClientID: "id", RedirectURL: tc.redirect})
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, client.ErrInvalidConfig)) {
			t.Errorf("Spotify with %q = %v", tc.redirect, err)
		}
	}
}
