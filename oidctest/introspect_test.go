package oidctest_test

import (
	"net/http"
	"net/url"
	"testing"
)

func TestRevocation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name           string
		token          func(tokenResponse) string
		basic          []string
		refreshWorks   bool
		userinfoStatus int
	}{
		{"refresh token revokes its family", func(t tokenResponse) string { return t.RefreshToken }, []string{appID, appSecret}, false, 401},
		{"access token only", func(t tokenResponse) string { return t.AccessToken }, []string{appID, appSecret}, true, 401},
		{"unknown token is fine", func(tokenResponse) string { return "nope" }, []string{appID, appSecret}, true, 200},
		{"another client's token is ignored", func(t tokenResponse) string { return t.RefreshToken }, []string{otherID, otherSecret}, true, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tok := e.login()
			resp := e.post("/revoke", url.Values{"token": {tt.token(tok)}}, tt.basic...)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("revoke status %d", resp.StatusCode)
			}
			if got := e.userinfo(tok.AccessToken).StatusCode; got != tt.userinfoStatus {
				t.Errorf("userinfo after revoke: %d, want %d", got, tt.userinfoStatus)
			}
			if resp, r := e.refresh(tok.RefreshToken); (resp.StatusCode == http.StatusOK) != tt.refreshWorks {
				t.Errorf("refresh after revoke: %d %q", resp.StatusCode, r.Error)
			}
		})
	}
	t.Run("client authentication required", func(t *testing.T) {
		t.Parallel()
		resp := e.post("/revoke", url.Values{"token": {"x"}}, appID, "wrong")
		wantError(t, resp, decode[tokenResponse](t, resp), 401, "invalid_client")
	})
	t.Run("token required", func(t *testing.T) {
		t.Parallel()
		resp := e.post("/revoke", url.Values{}, appID, appSecret)
		wantError(t, resp, decode[tokenResponse](t, resp), 400, "invalid_request")
	})
}

func TestIntrospection(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	first := e.login()
	_, second := e.refresh(first.RefreshToken)
	tests := []struct {
		name      string
		token     string
		active    bool
		tokenType string
	}{
		{"access token", second.AccessToken, true, "Bearer"},
		{"refresh token", second.RefreshToken, true, "refresh_token"},
		{"rotated refresh token", first.RefreshToken, false, ""},
		{"unknown", "nope", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// Any authenticated client may introspect, as a resource server would.
			got := decode[map[string]any](t, e.post("/introspect", url.Values{"token": {tt.token}}, otherID, otherSecret))
			if got["active"] != tt.active {
				t.Fatalf("active = %v, want %v", got["active"], tt.active)
			}
			if !tt.active {
				if len(got) != 1 {
					t.Fatalf("inactive response has extra fields: %v", got)
				}
				return
			}
			if got["sub"] != "alice" || got["client_id"] != appID || got["scope"] != defaultScope ||
				got["token_type"] != tt.tokenType || got["exp"] == nil {
				t.Fatalf("response = %v", got)
			}
		})
	}
	t.Run("expired", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		tok := e.login()
		e.srv.ExpireAccessTokens()
		got := decode[map[string]any](t, e.post("/introspect", url.Values{"token": {tok.AccessToken}}, appID, appSecret))
		if got["active"] != false {
			t.Fatalf("expired token introspected as %v", got)
		}
	})
	t.Run("client authentication required", func(t *testing.T) {
		t.Parallel()
		resp := e.post("/introspect", url.Values{"token": {second.AccessToken}})
		wantError(t, resp, decode[tokenResponse](t, resp), 401, "invalid_client")
	})
}
