package client_test

import (
	"context"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/oidctest"
)

// Clients of the grants provider.
const (
	svcID, svcSecret       = "svc", "svc-secret"
	tvID                   = "tv"
	legacyID, legacySecret = "legacy", "legacy-secret"
	cliID                  = "cli"
	loopbackRedirect       = "http://127.0.0.1/callback"
)

// fakeClock is shared by the provider and the client, so that expiries and
// polling intervals pass without real waiting.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Unix(1_800_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Sleep is a DeviceOptions.Sleep that advances the clock instead of waiting.
func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.Advance(d)
	return nil
}

// grantsOP is an in-memory provider with a client for every grant.
type grantsOP struct {
	*oidctest.Provider
	clk *fakeClock
}

func newGrantsOP(t testing.TB, mutate ...func(*oidctest.Config)) *grantsOP {
	t.Helper()
	clk := newFakeClock()
	cfg := oidctest.Config{
		Issuer: "http://op.test",
		Users:  []oidctest.User{{Subject: "ada", Email: "ada@example.com", EmailVerified: true, Name: "Ada", Password: "correct horse"}},
		Clients: []oidctest.Client{
			{ID: svcID, Secret: svcSecret, GrantTypes: []string{"client_credentials"}},
			{ID: tvID, GrantTypes: []string{oidctest.GrantDeviceCode, "refresh_token"}},
			{ID: legacyID, Secret: legacySecret, RedirectURIs: []string{redirect},
				GrantTypes: []string{"password", "refresh_token", "implicit", "authorization_code"}},
			{ID: cliID, RedirectURIs: []string{loopbackRedirect}},
		},
		AutoApprove:               "ada",
		Now:                       clk.Now,
		InsecurePasswordGrant:     true,
		InsecureImplicitAndHybrid: true,
		Registration:              true,
	}
	for _, m := range mutate {
		m(&cfg)
	}
	op, err := oidctest.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &grantsOP{Provider: op, clk: clk}
}

// client returns a Client for one of the provider's clients, talking to it in
// memory. redirectURL "" builds it with NewWithoutRedirect.
func (g *grantsOP) client(t testing.TB, id, secret, redirectURL string, mutate ...func(*client.Provider)) *client.Client {
	t.Helper()
	p := client.Provider{Name: "t", Issuer: g.Issuer(), ClientID: id, ClientSecret: secret, RedirectURL: redirectURL,
		HTTPClient: &http.Client{Transport: memTransport{g}}, Now: g.clk.Now}
	for _, m := range mutate {
		m(&p)
	}
	var c *client.Client
	var err error
	if redirectURL == "" {
		c, err = client.NewWithoutRedirect(p)
	} else {
		c, err = client.New(p)
	}
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)

// formPost runs an authorization request whose answer is a form_post page
// and returns the posted fields.
func formPost(t testing.TB, op http.Handler, authURL string) url.Values {
	t.Helper()
	rec := httptest.NewRecorder()
	op.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, authURL, nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("authorize: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	form := url.Values{}
	for _, m := range hiddenInput.FindAllStringSubmatch(rec.Body.String(), -1) {
		form.Add(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	if len(form) == 0 {
		t.Fatalf("no form_post fields in %s", rec.Body.String())
	}
	return form
}
