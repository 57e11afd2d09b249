package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/loginkit/loginkit/client"
)

// startAPI runs the example with no configuration (the demo provider) on
// a free port; it stops with the test.
func startAPI(t *testing.T) *api {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	started, done := make(chan *api, 1), make(chan error, 1)
	env := map[string]string{"LOGINKIT_API_ADDR": "127.0.0.1:0"}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	go func() { done <- run(ctx, func(k string) string { return env[k] }, log, func(a *api) { started <- a }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	select {
	case a := <-started:
		return a
	case err := <-done:
		t.Fatalf("run: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("the API did not start")
	}
	return nil
}

// demoToken gets a token for the API from the demo provider, as a calling
// service does.
func demoToken(t *testing.T, a *api, scopes ...string) string {
	t.Helper()
	c, err := client.NewWithoutRedirect(client.Provider{Name: "demo", Issuer: a.issuer, ClientID: demoClientID, ClientSecret: demoClientSecret})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.ClientCredentials(client.ClientCredentialsOptions{Scopes: scopes,
		Params: url.Values{"resource": {a.audience}}}).Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return tok.AccessToken
}

func call(t *testing.T, method, u, token, body string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func TestAPIWithDemoProvider(t *testing.T) {
	a := startAPI(t)
	if !strings.Contains(a.banner(), "curl") {
		t.Errorf("banner %q", a.banner())
	}
	readOnly := demoToken(t, a, "orders:read")
	readWrite := demoToken(t, a, "orders:read", "orders:write")
	cases := []struct {
		name, method, token, body string
		status                    int
		want                      string
	}{
		{"no token", "GET", "", "", 401, `{"error":"unauthorized"}`},
		{"forged token", "GET", readOnly[:len(readOnly)-4] + "AAAA", "", 401, `{"error":"invalid_token"}`},
		{"read", "GET", readOnly, "", 200, `"item":"tea"`},
		{"write without the scope", "POST", readOnly, `{"item":"coffee"}`, 403, `{"error":"insufficient_scope"}`},
		{"write", "POST", readWrite, `{"item":"coffee"}`, 201, `"owner":"demo-service"`},
		{"read what was written", "GET", readOnly, "", 200, `"item":"coffee"`},
	}
	for _, tc := range cases {
		status, body, h := call(t, tc.method, a.baseURL+"/orders", tc.token, tc.body)
		if status != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %s, want %d %s", tc.name, status, body, tc.status, tc.want)
		}
		if status == 401 && !strings.HasPrefix(h.Get("WWW-Authenticate"), `Bearer realm="orders"`) {
			t.Errorf("%s: challenge %q", tc.name, h.Get("WWW-Authenticate"))
		}
	}
	if status, _, _ := call(t, "GET", a.baseURL+"/healthz", "", ""); status != 200 {
		t.Errorf("healthz: %d", status)
	}
}

func TestAPIConfig(t *testing.T) {
	_, err := newAPI("http://127.0.0.1:1", func(k string) string {
		return map[string]string{"LOGINKIT_API_ISSUER": "https://id.example.com"}[k]
	}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil {
		t.Fatal("an issuer without an audience was accepted")
	}
}
