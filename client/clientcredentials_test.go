package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/oidctest"
)

// TestClientCredentialsOneRequestForMany: 100 goroutines asking at once share
// one token request and one token.
func TestClientCredentialsOneRequestForMany(t *testing.T) {
	t.Parallel()
	op := newGrantsOP(t)
	src := op.client(t, svcID, svcSecret, "").ClientCredentials(client.ClientCredentialsOptions{Scopes: []string{"api:read"}})
	start := make(chan struct{})
	var wg sync.WaitGroup
	tokens := make([]string, 100)
	errs := make([]error, 100)
	for i := range tokens {
		wg.Go(func() {
			<-start
			tok, err := src.Token(context.Background())
			if err == nil {
				tokens[i] = tok.AccessToken
			}
			errs[i] = err
		})
	}
	close(start)
	wg.Wait()
	for i := range tokens {
		if errs[i] != nil || tokens[i] == "" || tokens[i] != tokens[0] {
			t.Fatalf("caller %d: %v, same token %t", i, errs[i], tokens[i] == tokens[0])
		}
	}
	if n := op.GrantCount("client_credentials"); n != 1 {
		t.Fatalf("token requests = %d, want 1", n)
	}
}

func TestClientCredentialsRenewal(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		ttl         time.Duration
		renewBefore time.Duration
		after       time.Duration
		wantFetches int
	}{
		{"fresh token cached", time.Hour, 0, 58 * time.Minute, 1},
		{"renewed a minute before expiry", time.Hour, 0, 59*time.Minute + time.Second, 2},
		{"short token renewed at half life", time.Minute, 0, 31 * time.Second, 2},
		{"short token cached before half life", time.Minute, 0, 29 * time.Second, 1},
		{"custom lead", time.Hour, 10 * time.Minute, 50*time.Minute + time.Second, 2},
		{"expired token replaced", time.Hour, 0, 2 * time.Hour, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			op := newGrantsOP(t, func(c *oidctest.Config) { c.AccessTokenTTL = tc.ttl })
			src := op.client(t, svcID, svcSecret, "").ClientCredentials(client.ClientCredentialsOptions{RenewBefore: tc.renewBefore})
			first, err := src.Token(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if want := op.clk.Now().Add(tc.ttl); !first.Expiry.Equal(want) {
				t.Fatalf("expiry %v, want %v", first.Expiry, want)
			}
			op.clk.Advance(tc.after)
			second, err := src.Token(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if n := op.GrantCount("client_credentials"); n != tc.wantFetches {
				t.Fatalf("token requests = %d, want %d", n, tc.wantFetches)
			}
			if renewed := second.AccessToken != first.AccessToken; renewed != (tc.wantFetches == 2) {
				t.Fatalf("renewed = %t", renewed)
			}
		})
	}
}

func TestClientCredentialsErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		id, sec  string
		scopes   []string
		response string // token endpoint body (status 200) when set
		wantErr  error
		wantCode string
	}{
		{name: "public client", id: tvID, wantErr: client.ErrInvalidConfig},
		{name: "wrong secret", id: svcID, sec: "nope", wantCode: "invalid_client"},
		{name: "grant not allowed", id: legacyID, sec: legacySecret, wantCode: "unauthorized_client"},
		{name: "openid needs a user", id: svcID, sec: svcSecret, scopes: []string{"openid"}, wantCode: "invalid_scope"},
		{name: "error with status 200", id: svcID, sec: svcSecret, response: `{"error":"invalid_scope"}`, wantCode: "invalid_scope"},
		{name: "no access token", id: svcID, sec: svcSecret, response: `{"token_type":"Bearer"}`, wantErr: client.ErrProviderResponse},
		{name: "not a bearer token", id: svcID, sec: svcSecret, response: `{"access_token":"a","token_type":"mac"}`, wantErr: client.ErrProviderResponse},
		{name: "negative expires_in", id: svcID, sec: svcSecret, response: `{"access_token":"a","expires_in":-5}`, wantErr: client.ErrProviderResponse},
		{name: "not JSON", id: svcID, sec: svcSecret, response: `<html>`, wantErr: client.ErrProviderResponse},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			op := newGrantsOP(t)
			if tc.response != "" {
				op.SetHooks(oidctest.Hooks{Intercept: fixedResponse(oidctest.EndpointToken, 200, tc.response)})
			}
			src := op.client(t, tc.id, tc.sec, "").ClientCredentials(client.ClientCredentialsOptions{Scopes: tc.scopes})
			_, err := src.Token(context.Background())
			var pe *client.ProviderError
			switch {
			case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
				t.Fatalf("got %v, want %v", err, tc.wantErr)
			case tc.wantCode != "" && (!errors.As(err, &pe) || pe.Code != tc.wantCode):
				t.Fatalf("got %v, want provider error %s", err, tc.wantCode)
			case err != nil && strings.Contains(err.Error(), svcSecret):
				t.Fatalf("error carries the secret: %v", err)
			}
		})
	}
}

// fixedResponse is an Intercept hook answering endpoint e with a fixed body.
func fixedResponse(e oidctest.Endpoint, status int, body string) func(oidctest.Endpoint, http.ResponseWriter, *http.Request) bool {
	return func(got oidctest.Endpoint, w http.ResponseWriter, r *http.Request) bool {
		if got != e {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write([]byte(body))
		return true
	}
}

func TestClientCredentialsExpiresInString(t *testing.T) {
	t.Parallel()
	op := newGrantsOP(t)
	op.SetHooks(oidctest.Hooks{Intercept: fixedResponse(oidctest.EndpointToken, 200, `{"access_token":"a","token_type":"bearer","expires_in":"120","scope":"x y"}`)})
	tok, err := op.client(t, svcID, svcSecret, "").ClientCredentials(client.ClientCredentialsOptions{}).Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !tok.Expiry.Equal(op.clk.Now().Add(2*time.Minute)) || tok.TokenType != "Bearer" || strings.Join(tok.Scopes, ",") != "x,y" {
		t.Fatalf("%v %v", tok, tok.Scopes)
	}
}

// TestClientCredentialsCallerCancels: a caller that gives up does not cancel
// the request the others wait for.
func TestClientCredentialsCallerCancels(t *testing.T) {
	t.Parallel()
	op := newGrantsOP(t)
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	op.SetHooks(oidctest.Hooks{Intercept: func(e oidctest.Endpoint, w http.ResponseWriter, r *http.Request) bool {
		if e == oidctest.EndpointToken {
			entered <- struct{}{}
			<-release
		}
		return false
	}})
	src := op.client(t, svcID, svcSecret, "").ClientCredentials(client.ClientCredentialsOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() {
		_, err := src.Token(ctx)
		first <- err
	}()
	<-entered
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller: %v", err)
	}
	second := make(chan error, 1)
	go func() {
		_, err := src.Token(context.Background())
		second <- err
	}()
	close(release)
	if err := <-second; err != nil {
		t.Fatalf("second caller: %v", err)
	}
	if n := op.GrantCount("client_credentials"); n != 1 {
		t.Fatalf("token requests = %d, want 1", n)
	}
}

func TestClientCredentialsHTTPClient(t *testing.T) {
	t.Parallel()
	op := newGrantsOP(t)
	src := op.client(t, svcID, svcSecret, "").ClientCredentials(client.ClientCredentialsOptions{})
	var mu sync.Mutex
	var seen []string
	reject := true
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, "other:"+r.Header.Get("Authorization"))
		mu.Unlock()
	}))
	defer other.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, r.Header.Get("Authorization"))
		switch {
		case r.URL.Path == "/away":
			http.Redirect(w, r, other.URL+"/steal", http.StatusFound)
		case reject:
			reject = false
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	defer api.Close()
	hc := src.HTTPClient(api.Client())
	for _, path := range []string{"/a", "/b", "/away"} {
		resp, err := hc.Get(api.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 3 || !strings.HasPrefix(seen[0], "Bearer ") || seen[0] == seen[1] || seen[1] != seen[2] {
		t.Fatalf("Authorization headers %q: want a token, a new one after the 401, then the same", seen)
	}
	if n := op.GrantCount("client_credentials"); n != 2 {
		t.Fatalf("token requests = %d, want 2 (one after the 401)", n)
	}
}

func TestNewWithoutRedirect(t *testing.T) {
	t.Parallel()
	op := newGrantsOP(t)
	c := op.client(t, svcID, svcSecret, "")
	if _, _, err := c.Begin(context.Background(), client.BeginOptions{}); !errors.Is(err, client.ErrInvalidConfig) {
		t.Fatalf("Begin without a redirect: %v, want ErrInvalidConfig", err)
	}
	_, err := client.NewWithoutRedirect(client.Provider{Name: "t", Issuer: op.Issuer(), ClientID: svcID, RedirectURL: redirect})
	if !errors.Is(err, client.ErrInvalidConfig) {
		t.Fatalf("RedirectURL set: %v, want ErrInvalidConfig", err)
	}
	if _, err := client.NewWithoutRedirect(client.Provider{Name: "t", Issuer: op.Issuer()}); !errors.Is(err, client.ErrInvalidConfig) {
		t.Fatalf("no client ID: %v, want ErrInvalidConfig", err)
	}
}
