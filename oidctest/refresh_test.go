package oidctest_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/loginkit/loginkit/oidctest"
)

func TestRefreshRotation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	first := e.login()
	resp, second := e.refresh(first.RefreshToken)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("refresh: %d %+v", resp.StatusCode, second)
	}
	checkTokenResponse(t, resp, second)
	if second.AccessToken == first.AccessToken || second.RefreshToken == first.RefreshToken {
		t.Fatal("refresh did not issue new tokens")
	}
	id, err := e.verify(appID, second.IDToken)
	if err != nil {
		t.Fatalf("refreshed ID token: %v", err)
	}
	var c idClaims
	_ = id.Claims(&c)
	if c.Nonce != nil || id.Subject != "alice" || id.VerifyAccessToken(second.AccessToken) != nil {
		t.Fatalf("refreshed ID token: nonce %v, sub %q", c.Nonce, id.Subject)
	}
	firstID, _ := e.verify(appID, first.IDToken)
	var fc idClaims
	_ = firstID.Claims(&fc)
	if fc.SID != c.SID || fc.AuthTime != c.AuthTime {
		t.Fatalf("sid/auth_time changed on refresh: %q→%q, %d→%d", fc.SID, c.SID, fc.AuthTime, c.AuthTime)
	}
	if resp := e.userinfo(first.AccessToken); resp.StatusCode != http.StatusOK {
		t.Fatalf("old access token stays valid until expiry, got %d", resp.StatusCode)
	}
}

// TestRefreshReuseRevokesFamily follows RFC 9700 §4.14.2: presenting a
// rotated refresh token again revokes the whole family.
func TestRefreshReuseRevokesFamily(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	first := e.login()
	_, second := e.refresh(first.RefreshToken)
	resp, tok := e.refresh(first.RefreshToken)
	wantError(t, resp, tok, 400, "invalid_grant")
	resp, tok = e.refresh(second.RefreshToken)
	wantError(t, resp, tok, 400, "invalid_grant")
	if resp := e.userinfo(second.AccessToken); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("family access token: userinfo %d, want 401", resp.StatusCode)
	}
	other := e.login() // another family is untouched
	if resp, tok := e.refresh(other.RefreshToken); resp.StatusCode != http.StatusOK {
		t.Fatalf("other family: %+v", tok)
	}
}

func TestRefreshWithoutRotation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *oidctest.Config) { c.DisableRefreshRotation = true })
	first := e.login()
	for i := range 3 {
		resp, tok := e.refresh(first.RefreshToken)
		if resp.StatusCode != http.StatusOK || tok.RefreshToken != first.RefreshToken {
			t.Fatalf("refresh %d: %d %q, refresh token changed: %v", i, resp.StatusCode, tok.Error, tok.RefreshToken != first.RefreshToken)
		}
	}
}

func TestRefreshErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name  string
		setup func(rt string) (string, []string) // returns token and extra form pairs
		basic []string
		err   string
	}{
		{"unknown token", func(string) (string, []string) { return "nope", nil }, []string{appID, appSecret}, "invalid_grant"},
		{"another client's token", func(rt string) (string, []string) { return rt, nil }, []string{otherID, otherSecret}, "invalid_grant"},
		{"wider scope", func(rt string) (string, []string) { return rt, []string{"scope", "openid admin"} }, []string{appID, appSecret}, "invalid_scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rt, extra := tt.setup(e.login().RefreshToken)
			form := map[string][]string{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
			for i := 0; i+1 < len(extra); i += 2 {
				form[extra[i]] = []string{extra[i+1]}
			}
			resp := e.post("/token", form, tt.basic...)
			wantError(t, resp, decode[tokenResponse](t, resp), 400, tt.err)
		})
	}
}

func TestRefreshNarrowsScope(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	first := e.login()
	resp, tok := e.refresh(first.RefreshToken, "scope", "openid  email")
	if resp.StatusCode != http.StatusOK || tok.Scope != "openid email" {
		t.Fatalf("narrowed refresh: %d %q %q", resp.StatusCode, tok.Scope, tok.Error)
	}
	_, again := e.refresh(tok.RefreshToken)
	if again.Scope != defaultScope {
		t.Fatalf("refresh token lost its original scope: %q", again.Scope)
	}
}

func TestExpireAccessTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.login()
	e.srv.ExpireAccessTokens()
	if resp := e.userinfo(tok.AccessToken); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("expired access token: %d", resp.StatusCode)
	}
	resp, fresh := e.refresh(tok.RefreshToken)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("refresh: %+v", fresh)
	}
	if resp := e.userinfo(fresh.AccessToken); resp.StatusCode != http.StatusOK {
		t.Fatalf("new access token: %d", resp.StatusCode)
	}
}

func TestRevokeRefreshTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.login()
	e.srv.RevokeRefreshTokens("bob")
	if resp, r := e.refresh(tok.RefreshToken); resp.StatusCode != http.StatusOK {
		t.Fatalf("other subject's revocation affected alice: %+v", r)
	} else {
		tok = r
	}
	e.srv.RevokeRefreshTokens("alice")
	resp, r := e.refresh(tok.RefreshToken)
	wantError(t, resp, r, 400, "invalid_grant")
	if resp := e.userinfo(tok.AccessToken); resp.StatusCode != http.StatusOK {
		t.Fatalf("access token should survive: %d", resp.StatusCode)
	}
}

// TestConcurrentRefresh races two refreshes of one token: exactly one wins,
// and the loser's reuse revokes the family, as a strict provider does.
func TestConcurrentRefresh(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.login()
	var wg sync.WaitGroup
	statuses := make([]int, 2)
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}.Encode()
	for i := range statuses {
		wg.Go(func() { // no t.Fatal off the test goroutine
			req, _ := http.NewRequest(http.MethodPost, e.srv.Issuer()+"/token", strings.NewReader(form))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(appID, appSecret)
			if resp, err := e.srv.Client().Do(req); err == nil {
				statuses[i] = resp.StatusCode
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	if statuses[0]+statuses[1] != http.StatusOK+http.StatusBadRequest {
		t.Fatalf("statuses %v, want one 200 and one 400", statuses)
	}
	if e.srv.GrantCount("refresh_token") != 2 {
		t.Fatalf("GrantCount = %d", e.srv.GrantCount("refresh_token"))
	}
}
