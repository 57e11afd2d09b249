package oidctest_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/loginkit/loginkit/oidctest"
)

func TestUserInfo(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *oidctest.Config) {
		c.Users[1].Extra = map[string]any{"email_verified": "true", "locale": "fr"}
	})
	tok := e.login()

	resp := e.userinfo(tok.AccessToken)
	got := decode[map[string]any](t, resp)
	want := map[string]any{
		"sub": "alice", "email": "alice@example.com", "email_verified": true, "name": "Alice Liddell",
		"given_name": "Alice", "family_name": "Liddell", "picture": "https://example.com/alice.png",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if groups, _ := got["groups"].([]any); len(groups) != 1 {
		t.Errorf("groups = %v", got["groups"])
	}

	t.Run("extra overrides profile claims", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, func(c *oidctest.Config) {
			c.Users[0].Extra = map[string]any{"email_verified": "true", "sub": "ignored"}
		})
		got := decode[map[string]any](t, e.userinfo(e.login().AccessToken))
		if got["email_verified"] != "true" || got["sub"] != "alice" {
			t.Fatalf("email_verified %v, sub %v", got["email_verified"], got["sub"])
		}
	})

	t.Run("POST form body", func(t *testing.T) {
		t.Parallel()
		resp := e.post("/userinfo", url.Values{"access_token": {tok.AccessToken}})
		if got := decode[map[string]any](t, resp); resp.StatusCode != http.StatusOK || got["sub"] != "alice" {
			t.Fatalf("status %d, %v", resp.StatusCode, got)
		}
	})
}

func TestUserInfoErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.login()
	tests := []struct {
		name      string
		header    string
		status    int
		challenge string
	}{
		{"no token", "", 401, `Bearer realm="oidctest"`},
		{"unknown token", "Bearer nope", 401, `error="invalid_token"`},
		{"refresh token as access token", "Bearer " + tok.RefreshToken, 401, `error="invalid_token"`},
		{"basic scheme", "Basic YTpi", 400, `error="invalid_request"`},
		{"empty bearer", "Bearer ", 400, `error="invalid_request"`},
		{"lower-case scheme", "bearer " + tok.AccessToken, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequest(http.MethodGet, e.srv.Issuer()+"/userinfo", nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			resp, err := e.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.status || !strings.Contains(resp.Header.Get("WWW-Authenticate"), tt.challenge) {
				t.Fatalf("status %d, WWW-Authenticate %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
	t.Run("expired by the clock", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		tok := e.login()
		e.clk.Advance(time.Hour)
		resp := e.userinfo(tok.AccessToken)
		if resp.StatusCode != 401 || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
			t.Fatalf("status %d, WWW-Authenticate %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
	})
}
