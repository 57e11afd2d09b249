package providers_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/providers"
)

// githubFake serves a GitHub Enterprise Server layout: sign-in under
// /login/oauth, the REST API under /api/v3, which refuses requests without
// a User-Agent as GitHub does.
type githubFake struct {
	*fake
	user      atomic.Value // func(map[string]any): edits the /user document
	emails    atomic.Value // fixture name
	emailsErr atomic.Int32 // status for /user/emails; 0: serve the fixture
	userAgent atomic.Value // last User-Agent seen
}

func newGitHubFake(t *testing.T) *githubFake {
	f := &githubFake{fake: newFake(t, "github")}
	f.user.Store(func(map[string]any) {})
	f.emails.Store("emails.json")
	f.configure(func(c *fakeConfig) { c.auth, c.tokenForm = client.AuthPost, true })
	f.oauth2("/login/oauth/authorize", "/login/oauth/access_token")
	f.mux.HandleFunc("GET /api/v3/user", func(w http.ResponseWriter, r *http.Request) {
		if !f.api(w, r, "user") {
			return
		}
		doc := f.fixtureJSON("user.json")
		f.user.Load().(func(map[string]any))(doc)
		json.NewEncoder(w).Encode(doc)
	})
	f.mux.HandleFunc("GET /api/v3/user/emails", func(w http.ResponseWriter, r *http.Request) {
		if !f.api(w, r, "emails") {
			return
		}
		if s := f.emailsErr.Load(); s != 0 {
			w.WriteHeader(int(s))
			w.Write([]byte(`{"message":"Resource not accessible by integration","documentation_url":"https://docs.github.com/rest/users/emails"}`))
			return
		}
		w.Write(f.fixture(f.emails.Load().(string)))
	})
	return f
}

func (f *githubFake) api(w http.ResponseWriter, r *http.Request, route string) bool {
	if !f.bearer(w, r, route) {
		return false
	}
	f.userAgent.Store(r.Header.Get("User-Agent"))
	if r.Header.Get("User-Agent") == "" || r.Header.Get("Accept") != "application/vnd.github+json" {
		http.Error(w, "Request forbidden by administrative rules. Please make sure your request has a User-Agent header", http.StatusForbidden)
		return false
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	return true
}

func (f *githubFake) preset(t *testing.T, c providers.GitHubConfig) client.Provider {
	t.Helper()
	c.ClientID, c.ClientSecret, c.BaseURL = "test-client", "test-secret", f.URL
	p, err := providers.GitHub(c)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestGitHubHiddenEmail: the profile hides the address; the primary
// verified one comes from /user/emails.
func TestGitHubHiddenEmail(t *testing.T) {
	t.Parallel()
	f := newGitHubFake(t)
	a := startApp(t, f.fake, f.preset(t, providers.GitHubConfig{}), false)
	wantUser(t, a.mustSignIn(), client.User{Provider: "github", Subject: "583231", Email: "octocat@github.com",
		EmailVerified: true, Name: "The Octocat", Picture: "https://avatars.githubusercontent.com/u/583231?v=4"})
	if f.count("emails") != 1 {
		t.Errorf("/user/emails calls = %d, want 1", f.count("emails"))
	}
	if ua := f.userAgent.Load(); ua != "loginkit" {
		t.Errorf("User-Agent %q", ua)
	}
	if q := f.lastAuthorize(); q.Get("scope") != "read:user user:email" {
		t.Errorf("scope %q", q.Get("scope"))
	}
}

func TestGitHubEmails(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		public      any    // the profile's email
		emails      string // fixture
		emailsErr   int32
		wantEmail   string
		wantVerfied bool
		wantErr     error
	}{
		{"public address, verified primary", "octo@public.example", "emails.json", 0, "octocat@github.com", true, nil},
		{"primary not verified, public kept unverified", "octocat@github.com", "emails_unverified.json", 0, "octocat@github.com", false, nil},
		{"primary not verified, hidden", nil, "emails_unverified.json", 0, "", false, nil},
		{"no access to emails, public kept unverified", "octo@public.example", "", http.StatusForbidden, "octo@public.example", false, nil},
		{"no access to emails, hidden", nil, "", http.StatusNotFound, "", false, nil},
		{"emails endpoint fails", nil, "", http.StatusInternalServerError, "", false, client.ErrProfile},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newGitHubFake(t)
			f.user.Store(func(d map[string]any) { d["email"] = tc.public })
			if tc.emails != "" {
				f.emails.Store(tc.emails)
			}
			f.emailsErr.Store(tc.emailsErr)
			_, res, err := directSignIn(t, f.fake, f.preset(t, providers.GitHubConfig{}))
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Errorf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.User.Email != tc.wantEmail || res.User.EmailVerified != tc.wantVerfied {
				t.Errorf("email %q verified %t, want %q %t", res.User.Email, res.User.EmailVerified, tc.wantEmail, tc.wantVerfied)
			}
		})
	}
}

// TestGitHubProfile: the subject is the numeric ID, the name falls back to
// the login, the raw /user document is kept, the User-Agent is the app's.
func TestGitHubProfile(t *testing.T) {
	t.Parallel()
	f := newGitHubFake(t)
	f.user.Store(func(d map[string]any) { d["name"] = nil; d["id"] = json.Number("98765432109") })
	_, res, err := directSignIn(t, f.fake, f.preset(t, providers.GitHubConfig{UserAgent: "example-app/1.0"}))
	if err != nil {
		t.Fatal(err)
	}
	if res.User.Subject != "98765432109" || res.User.Name != "octocat" {
		t.Errorf("subject %q name %q", res.User.Subject, res.User.Name)
	}
	var raw map[string]any
	if json.Unmarshal(res.User.Raw, &raw) != nil || raw["login"] != "octocat" {
		t.Errorf("raw %s", res.User.Raw)
	}
	if ua := f.userAgent.Load(); ua != "example-app/1.0" {
		t.Errorf("User-Agent %q", ua)
	}
}

// TestGitHubExpiringTokens: a GitHub App's user token expires in 8 hours;
// each refresh returns a new refresh token and the old one stops working.
func TestGitHubExpiringTokens(t *testing.T) {
	t.Parallel()
	f := newGitHubFake(t)
	f.configure(func(c *fakeConfig) {
		c.refresh, c.expiresIn = true, 28800
		c.tokenExtra = map[string]any{"refresh_token_expires_in": 15811200}
	})
	c, res, err := directSignIn(t, f.fake, f.preset(t, providers.GitHubConfig{}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Tokens.RefreshToken == "" || res.Tokens.Expiry.IsZero() {
		t.Fatalf("tokens %v", res.Tokens)
	}
	nt, err := c.Refresh(t.Context(), &res.Tokens, res.User.Subject)
	if err != nil {
		t.Fatal(err)
	}
	if nt.RefreshToken == "" || nt.RefreshToken == res.Tokens.RefreshToken || nt.AccessToken == res.Tokens.AccessToken {
		t.Errorf("refresh did not rotate: %v", nt)
	}
	if _, err := c.Refresh(t.Context(), &res.Tokens, res.User.Subject); !errors.Is(err, client.ErrInvalidGrant) {
		t.Errorf("reusing the old refresh token = %v, want ErrInvalidGrant", err)
	}
}

func TestGitHubEndpoints(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name           string
		cfg            providers.GitHubConfig
		auth, tokenURL string
	}{
		{"github.com", providers.GitHubConfig{}, "https://github.com/login/oauth/authorize", "https://github.com/login/oauth/access_token"},
		{"Enterprise Server", providers.GitHubConfig{BaseURL: "https://github.example.com/"},
			"https://github.example.com/login/oauth/authorize", "https://github.example.com/login/oauth/access_token"},
	} {
		tc.cfg.ClientID, tc.cfg.ClientSecret = "id", "secret"
		p, err := providers.GitHub(tc.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if p.AuthURL != tc.auth || p.TokenURL != tc.tokenURL || p.AuthMethod != client.AuthPost {
			t.Errorf("%s: %s %s %s", tc.name, p.AuthURL, p.TokenURL, p.AuthMethod)
		}
	}
}
