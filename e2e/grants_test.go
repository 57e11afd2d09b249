package e2e_test

// loginkit's grants beyond the web login, end to end against the real
// oidc-provider: client credentials, the device authorization grant and
// dynamic client registration, through package client.

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/e2e/internal/realop"
)

// grantsRedirect is a redirect URI registered for clients in these tests;
// never fetched.
const grantsRedirect = "http://127.0.0.1:1/grants/callback"

// grantsJar is a cookie-keeping client for realop's scripted browser.
func grantsJar(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 10 * time.Second}
}

func grantsClient(t *testing.T, p client.Provider) *client.Client {
	t.Helper()
	c, err := client.NewWithoutRedirect(p)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestGrantsClientCredentialsRealOP: 100 callers, one token request; the
// token works at the provider (introspection says active); it is renewed
// before it expires.
func TestGrantsClientCredentialsRealOP(t *testing.T) {
	op := realop.Start(t, realop.Options{AccessTTL: 4 * time.Second})
	ctx := t.Context()
	c := grantsClient(t, client.Provider{Name: "real", Issuer: op.Issuer,
		ClientID: realop.ServiceClientID, ClientSecret: realop.ServiceClientSecret})
	src := c.ClientCredentials(client.ClientCredentialsOptions{Scopes: []string{"api:read"}})

	var wg sync.WaitGroup
	tokens := make([]string, 100)
	for i := range tokens {
		wg.Go(func() {
			if tok, err := src.Token(ctx); err == nil {
				tokens[i] = tok.AccessToken
			} else {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for i := range tokens {
		if tokens[i] == "" || tokens[i] != tokens[0] {
			t.Fatalf("caller %d got a different token", i)
		}
	}
	if n := op.GrantCount(t, "client_credentials"); n != 1 {
		t.Fatalf("client_credentials grants = %d, want 1", n)
	}

	// An API that asks the provider whether the bearer token is active.
	m, err := c.Discover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bearer := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		active, err := grantsIntrospect(r.Context(), m.IntrospectionURL, bearer)
		if err != nil || !active {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Write([]byte("ok"))
	}))
	defer api.Close()
	hc := src.HTTPClient(nil)
	resp, err := hc.Get(api.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("API call: HTTP %d, want 200 (token active)", resp.StatusCode)
	}

	// Renewed at half its 4 s life, before it expires.
	first, err := src.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	before := op.GrantCount(t, "client_credentials")
	time.Sleep(time.Until(first.Expiry.Add(-2*time.Second + 200*time.Millisecond)))
	second, err := src.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if second.AccessToken == first.AccessToken || time.Now().After(first.Expiry) {
		t.Fatal("the token was not renewed before its expiry")
	}
	if n := op.GrantCount(t, "client_credentials"); n != before+1 {
		t.Fatalf("client_credentials grants = %d, want %d", n, before+1)
	}
}

// grantsIntrospect asks the provider about a token (RFC 7662) as the
// service client, which may introspect its own tokens.
func grantsIntrospect(ctx context.Context, endpoint, token string) (bool, error) {
	form := url.Values{"token": {token}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(realop.ServiceClientID, realop.ServiceClientSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	var out struct {
		Active bool `json:"active"`
	}
	err = json.NewDecoder(resp.Body).Decode(&out)
	return out.Active, err
}

// TestGrantsDeviceRealOP: the device shows a code, the user approves it in
// a browser, the device gets verified tokens, which refresh.
func TestGrantsDeviceRealOP(t *testing.T) {
	op := realop.Start(t, realop.Options{})
	ctx := t.Context()
	c := grantsClient(t, client.Provider{Name: "real", Issuer: op.Issuer, ClientID: realop.DeviceClientID})

	da, err := c.DeviceAuthorize(ctx, client.DeviceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if da.UserCode == "" || !strings.HasPrefix(da.VerificationURI, op.Issuer+"/") || da.VerificationURIComplete == "" || da.Interval <= 0 {
		t.Fatalf("device authorization %v", da)
	}
	op.ApproveDevice(t, grantsJar(t), da.VerificationURIComplete, "carol")
	waitCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	res, err := c.DeviceWait(waitCtx, da) // really waits the provider's interval
	if err != nil {
		t.Fatal(err)
	}
	if res.User.Subject != "carol" || res.User.Email != "carol@example.com" || res.Tokens.IDToken == "" || res.Tokens.RefreshToken == "" {
		t.Fatalf("device login: %+v %v", res.User, res.Tokens)
	}
	nt, err := c.Refresh(ctx, &res.Tokens, "carol")
	if err != nil || nt.AccessToken == res.Tokens.AccessToken {
		t.Fatalf("refresh: %v", err)
	}

	// Nobody approves this one: the context ends the wait.
	da2, err := c.DeviceAuthorize(ctx, client.DeviceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	short, cancel2 := context.WithTimeout(ctx, time.Second)
	defer cancel2()
	if _, err := c.DeviceWait(short, da2); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("unapproved wait: %v, want context.DeadlineExceeded", err)
	}
	if n := op.GrantCount(t, "urn:ietf:params:oauth:grant-type:device_code"); n != 1 {
		t.Fatalf("device_code grants = %d, want 1", n)
	}
}

// TestGrantsRegistrationRealOP registers a web app and a service, reads the
// registration back, and uses both.
func TestGrantsRegistrationRealOP(t *testing.T) {
	op := realop.Start(t, realop.Options{})
	ctx := t.Context()
	r, err := client.NewRegistrar(client.RegistrarConfig{Issuer: op.Issuer})
	if err != nil {
		t.Fatal(err)
	}
	md := client.ClientMetadata{ClientName: "Erin's app", ClientURI: "https://erin.example", RedirectURIs: []string{grantsRedirect}}
	reg, err := r.Register(ctx, md)
	if err != nil {
		t.Fatal(err)
	}
	if reg.ClientID == "" || reg.ClientSecret == "" || reg.RegistrationAccessToken == "" || reg.ClientName != md.ClientName || reg.ClientURI != md.ClientURI {
		t.Fatalf("registration %v %+v", reg, reg.ClientMetadata)
	}
	back, err := r.Read(ctx, reg)
	if err != nil {
		t.Fatal(err)
	}
	if back.ClientID != reg.ClientID || back.ClientName != md.ClientName || len(back.RedirectURIs) != 1 || back.RedirectURIs[0] != grantsRedirect {
		t.Fatalf("read back %+v", back.ClientMetadata)
	}
	wrong := *reg
	wrong.RegistrationAccessToken = "not-the-token"
	var pe *client.ProviderError
	if _, err := r.Read(ctx, &wrong); !errors.As(err, &pe) || pe.Status != http.StatusUnauthorized {
		t.Fatalf("read with a wrong token: %v", err)
	}

	// Sign in with the new client.
	c, err := client.New(client.Provider{Name: "registered", Issuer: op.Issuer, ClientID: reg.ClientID,
		ClientSecret: reg.ClientSecret, RedirectURL: grantsRedirect})
	if err != nil {
		t.Fatal(err)
	}
	authURL, flow, err := c.Begin(ctx, client.BeginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	back2 := op.Authorize(t, grantsJar(t), authURL, "erin")
	res, err := c.Callback(ctx, flow, back2.Query())
	if err != nil || res.User.Subject != "erin" {
		t.Fatalf("sign-in with the registered client: %v", err)
	}

	// A registered service gets client credentials tokens.
	svc, err := r.Register(ctx, client.ClientMetadata{ClientName: "Erin's service", GrantTypes: []string{"client_credentials"}})
	if err != nil {
		t.Fatal(err)
	}
	sc := grantsClient(t, client.Provider{Name: "svc", Issuer: op.Issuer, ClientID: svc.ClientID, ClientSecret: svc.ClientSecret})
	if tok, err := sc.ClientCredentials(client.ClientCredentialsOptions{}).Token(ctx); err != nil || tok.AccessToken == "" {
		t.Fatalf("registered service token: %v", err)
	}

	// The provider's refusal is typed.
	_, err = r.Register(ctx, client.ClientMetadata{ClientName: "no redirect"})
	if !errors.As(err, &pe) || (pe.Code != "invalid_redirect_uri" && pe.Code != "invalid_client_metadata") {
		t.Fatalf("registration without redirect URIs: %v", err)
	}
}
