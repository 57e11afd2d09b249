package providers_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/providers"
)

const (
	appleClient = "com.example.web"
	appleTeam   = "ABCDE12345"
	appleKeyID  = "KEY1234567"
)

// appleKey is a Sign in with Apple key as the developer portal hands it
// out: a P-256 key in a PKCS #8 PEM .p8 file.
func appleKey(t *testing.T) (*ecdsa.PrivateKey, []byte) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return k, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// verifyAppleSecret is what Apple's token endpoint does with client_secret:
// an ES256 JWT from the team's key, for this client and audience, at most
// six months long.
func verifyAppleSecret(pub *ecdsa.PublicKey, audience string, now time.Time) func(string) error {
	return func(secret string) error {
		tok, err := jwt.ParseSigned(secret, []jose.SignatureAlgorithm{jose.ES256})
		if err != nil {
			return err
		}
		if len(tok.Headers) != 1 || tok.Headers[0].KeyID != appleKeyID {
			return errors.New("wrong kid")
		}
		var c jwt.Claims
		if err := tok.Claims(pub, &c); err != nil {
			return err
		}
		if err := c.ValidateWithLeeway(jwt.Expected{Issuer: appleTeam, Subject: appleClient,
			AnyAudience: jwt.Audience{audience}, Time: now}, time.Minute); err != nil {
			return err
		}
		if c.Expiry.Time().Sub(c.IssuedAt.Time()) > providers.AppleMaxSecretLifetime {
			return errors.New("secret lives too long")
		}
		return nil
	}
}

func appleFake(t *testing.T, pub *ecdsa.PublicKey) *fake {
	f := newFake(t, "apple")
	f.oidc("/.well-known/openid-configuration", "")
	user := string(f.fixture("user.json"))
	f.configure(func(c *fakeConfig) {
		c.clientID, c.clientSecret, c.auth = appleClient, "", client.AuthPost
		c.checkSecret = verifyAppleSecret(pub, f.URL, time.Now())
		c.formPost, c.formExtra = true, url.Values{"user": {strings.TrimSpace(user)}}
	})
	return f
}

func applePreset(t *testing.T, f *fake, p8 []byte) client.Provider {
	t.Helper()
	p, err := providers.Apple(providers.AppleConfig{ClientID: appleClient, TeamID: appleTeam, KeyID: appleKeyID,
		PrivateKey: p8, Issuer: f.URL})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestAppleSignIn: form_post to an https app, the flow cookie that can come
// back on a cross-site POST, a client secret the fake verifies with the
// team's public key, and the name from the user field.
func TestAppleSignIn(t *testing.T) {
	t.Parallel()
	key, p8 := appleKey(t)
	f := appleFake(t, &key.PublicKey)
	a := startApp(t, f, applePreset(t, f, p8), true)
	login, cb := a.signIn()
	if cb.status != http.StatusSeeOther {
		t.Fatalf("callback: status %d; error: %s", cb.status, a.errText())
	}
	var flowCookie *http.Cookie
	for _, c := range login.cookies {
		if strings.Contains(c.Name, "_f_") {
			flowCookie = c
		}
	}
	if flowCookie == nil || flowCookie.SameSite != http.SameSiteNoneMode || !flowCookie.Secure {
		t.Errorf("flow cookie %+v: want SameSite=None; Secure", flowCookie)
	}
	wantUser(t, a.me(), client.User{Provider: "apple", Subject: "001234.5f8a2b9c7d6e4f3a2b1c0d9e8f7a6b5c.1234",
		Email: "x7k2m9p4qr@privaterelay.appleid.com", EmailVerified: true, Name: "Ada Lovelace"})
	q := f.lastAuthorize()
	if q.Get("response_mode") != "form_post" || q.Get("scope") != "name email" || q.Get("nonce") == "" {
		t.Errorf("authorization request %v", q)
	}
}

// TestAppleSecretRefused: a secret signed by another key fails at Apple's
// token endpoint as invalid_client.
func TestAppleSecretRefused(t *testing.T) {
	t.Parallel()
	registered, _ := appleKey(t)
	_, other := appleKey(t)
	f := appleFake(t, &registered.PublicKey)
	a := startApp(t, f, applePreset(t, f, other), true)
	var pe *client.ProviderError
	if e := a.refused(); !errors.As(e, &pe) || pe.Code != "invalid_client" {
		t.Errorf("error = %v, want invalid_client", e.Err)
	}
}

// TestAppleUserField: the unsigned user field names the user and nothing
// more; without it (every later sign-in) the name is empty.
func TestAppleUserField(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, user, wantName string
	}{
		{"first sign-in", `{"name":{"firstName":"Ada","lastName":"Lovelace"},"email":"x7k2m9p4qr@privaterelay.appleid.com"}`, "Ada Lovelace"},
		{"later sign-in", "", ""},
		{"cannot change the email", `{"name":{"firstName":"Eve"},"email":"eve@evil.example"}`, "Eve"},
		{"malformed", `{"name":`, ""},
		{"control characters dropped", `{"name":{"firstName":"Ada\u0000\u001b[31m"}}`, "Ada[31m"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			key, p8 := appleKey(t)
			f := appleFake(t, &key.PublicKey)
			f.configure(func(c *fakeConfig) { c.formExtra = url.Values{"user": {tc.user}} })
			_, res, err := directSignIn(t, f, applePreset(t, f, p8))
			if err != nil {
				t.Fatal(err)
			}
			if res.User.Name != tc.wantName || res.User.Email != "x7k2m9p4qr@privaterelay.appleid.com" {
				t.Errorf("name %q email %q", res.User.Name, res.User.Email)
			}
			if !strings.Contains(string(res.User.Raw), `"is_private_email"`) {
				t.Errorf("raw claims %s", res.User.Raw)
			}
		})
	}
}

// TestAppleSecretRenewal: one secret serves until a fifth of its life is
// left; then a new one is signed. Every secret has Apple's claims.
func TestAppleSecretRenewal(t *testing.T) {
	t.Parallel()
	key, p8 := appleKey(t)
	var mu sync.Mutex
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	s, err := providers.NewAppleSecret(providers.AppleSecretConfig{TeamID: appleTeam, KeyID: appleKeyID,
		ClientID: appleClient, PrivateKey: p8, Lifetime: 10 * time.Hour, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	first, err := s.Secret(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := verifyAppleSecret(&key.PublicKey, "https://appleid.apple.com", clock())(first); err != nil {
		t.Fatalf("secret does not verify: %v", err)
	}
	advance(7 * time.Hour)
	if again, _ := s.Secret(t.Context()); again != first {
		t.Error("secret renewed with 3 of 10 hours left")
	}
	advance(time.Hour + time.Second)
	renewed, _ := s.Secret(t.Context())
	if renewed == first {
		t.Error("secret not renewed with under 2 of 10 hours left")
	}
	if err := verifyAppleSecret(&key.PublicKey, "https://appleid.apple.com", clock())(renewed); err != nil {
		t.Errorf("renewed secret does not verify: %v", err)
	}
}

func TestAppleConfig(t *testing.T) {
	t.Parallel()
	_, p8 := appleKey(t)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 1024)
	rsaDER, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p384DER, _ := x509.MarshalPKCS8PrivateKey(p384)
	pemOf := func(der []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}) }
	for _, tc := range []struct {
		name string
		cfg  providers.AppleConfig
	}{
		{"no team", providers.AppleConfig{ClientID: appleClient, KeyID: appleKeyID, PrivateKey: p8}},
		{"no key ID", providers.AppleConfig{ClientID: appleClient, TeamID: appleTeam, PrivateKey: p8}},
		{"no client", providers.AppleConfig{TeamID: appleTeam, KeyID: appleKeyID, PrivateKey: p8}},
		{"not PEM", providers.AppleConfig{ClientID: appleClient, TeamID: appleTeam, KeyID: appleKeyID, PrivateKey: []byte("MIGTAgEA")}},
		{"RSA key", providers.AppleConfig{ClientID: appleClient, TeamID: appleTeam, KeyID: appleKeyID, PrivateKey: pemOf(rsaDER)}},
		{"P-384 key", providers.AppleConfig{ClientID: appleClient, TeamID: appleTeam, KeyID: appleKeyID, PrivateKey: pemOf(p384DER)}},
		{"lifetime over six months", providers.AppleConfig{ClientID: appleClient, TeamID: appleTeam, KeyID: appleKeyID, PrivateKey: p8,
			Lifetime: providers.AppleMaxSecretLifetime + time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := providers.Apple(tc.cfg); !errors.Is(err, client.ErrInvalidConfig) {
				t.Errorf("Apple(%s) = %v, want ErrInvalidConfig", tc.name, err)
			}
		})
	}
	if _, err := providers.Apple(providers.AppleConfig{ClientID: appleClient, TeamID: appleTeam, KeyID: appleKeyID, PrivateKey: p8}); err != nil {
		t.Errorf("valid config: %v", err)
	}
}
