package providers_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/providers"
)

func googleFake(t *testing.T) *fake {
	f := newFake(t, "google")
	f.oidc("/.well-known/openid-configuration", "userinfo.json")
	return f
}

func TestGoogleSignIn(t *testing.T) {
	t.Parallel()
	f := googleFake(t)
	f.configure(func(c *fakeConfig) { c.refresh = true })
	p, err := providers.Google(providers.GoogleConfig{ClientID: "test-client", ClientSecret: "test-secret",
		HostedDomain: "example.com", Offline: true, Issuer: f.URL})
	if err != nil {
		t.Fatal(err)
	}
	a := startApp(t, f, p, false)
	wantUser(t, a.mustSignIn(), client.User{Provider: "google", Subject: "110169484474386276334",
		Email: "ada@example.com", EmailVerified: true, Name: "Ada Lovelace",
		Picture: "https://lh3.googleusercontent.com/a/ACg8ocK-ada=s96-c"})
	q := f.lastAuthorize()
	for k, want := range map[string]string{"hd": "example.com", "access_type": "offline", "prompt": "consent", "scope": "openid email profile"} {
		if got := q.Get(k); got != want {
			t.Errorf("authorization request %s = %q, want %q", k, got, want)
		}
	}
	// Google's ID token carries the email and the name: nothing to ask userinfo.
	if n := f.count("userinfo"); n != 0 {
		t.Errorf("userinfo calls = %d, want 0", n)
	}
}

// TestGoogleHostedDomain: hd is enforced from the signed ID token, whatever
// the authorization request asked for.
func TestGoogleHostedDomain(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, domain string
		hd           any // the ID token's hd claim; nil: absent (a consumer account)
		ok           bool
	}{
		{"same domain", "example.com", "example.com", true},
		{"domain case differs", "Example.COM", "example.com", true},
		{"wrong hd refused", "example.com", "evil.example", false},
		{"consumer account refused", "example.com", nil, false},
		{"hd not a string refused", "example.com", true, false},
		{"star admits any Workspace", "*", "other.example", true},
		{"star refuses consumer", "*", nil, false},
		{"no restriction admits consumer", "", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := googleFake(t)
			f.configure(func(c *fakeConfig) {
				delete(c.idToken, "hd")
				if tc.hd != nil {
					c.idToken["hd"] = tc.hd
				}
			})
			p, err := providers.Google(providers.GoogleConfig{ClientID: "test-client", ClientSecret: "test-secret", HostedDomain: tc.domain, Issuer: f.URL})
			if err != nil {
				t.Fatal(err)
			}
			a := startApp(t, f, p, false)
			if tc.ok {
				if u := a.mustSignIn(); u.Subject != "110169484474386276334" {
					t.Errorf("subject %q", u.Subject)
				}
				return
			}
			e := a.refused()
			if !errors.Is(e, providers.ErrHostedDomain) || !errors.Is(e, client.ErrClaimRejected) {
				t.Errorf("error = %v, want ErrHostedDomain within ErrClaimRejected", e.Err)
			}
			if f.count("userinfo") != 0 {
				t.Error("userinfo was called for a refused token")
			}
		})
	}
}

// TestGoogleIssuer: Google's legacy issuer without the scheme is accepted;
// anything else is not.
func TestGoogleIssuer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		iss  func(base string) string
		ok   bool
	}{
		{"https issuer", func(b string) string { return b }, true},
		{"legacy issuer without scheme", func(b string) string { return strings.TrimPrefix(b, "http://") }, true},
		{"other issuer refused", func(string) string { return "https://accounts.google.com.evil.example" }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := googleFake(t)
			f.configure(func(c *fakeConfig) { c.idToken["iss"] = tc.iss(f.URL) })
			p, _ := providers.Google(providers.GoogleConfig{ClientID: "test-client", ClientSecret: "test-secret", Issuer: f.URL})
			a := startApp(t, f, p, false)
			if tc.ok {
				a.mustSignIn()
				return
			}
			if e := a.refused(); !errors.Is(e, client.ErrInvalidIssuer) {
				t.Errorf("error = %v, want ErrInvalidIssuer", e.Err)
			}
		})
	}
}
