package oidctest_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/loginkit/loginkit/oidctest"
)

func TestEndSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	hint := e.login().IDToken

	forged := newEnv(t) // a different provider: same shape, other keys and issuer
	forgedHint := forged.login().IDToken

	bad := newEnv(t)
	bad.srv.SetHooks(oidctest.Hooks{BadSignature: true})
	badHint := bad.login().IDToken

	tests := []struct {
		name     string
		params   url.Values
		status   int
		redirect string // expected Location, if status is 302
	}{
		{"hint, uri and state", url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {logoutURI}, "state": {"s1"}}, 302, logoutURI + "?state=s1"},
		{"hint and matching client_id", url.Values{"id_token_hint": {hint}, "client_id": {appID}, "post_logout_redirect_uri": {logoutURI}}, 302, logoutURI},
		{"client_id only", url.Values{"client_id": {appID}, "post_logout_redirect_uri": {logoutURI}, "state": {"s2"}}, 302, logoutURI + "?state=s2"},
		{"no parameters", url.Values{}, 200, ""},
		{"hint only", url.Values{"id_token_hint": {hint}}, 200, ""},
		{"unregistered uri", url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {"http://evil.test/"}}, 400, ""},
		{"uri registered for another client", url.Values{"client_id": {otherID}, "post_logout_redirect_uri": {logoutURI}}, 400, ""},
		{"uri without client", url.Values{"post_logout_redirect_uri": {logoutURI}}, 400, ""},
		{"client_id not in hint aud", url.Values{"id_token_hint": {hint}, "client_id": {otherID}}, 400, ""},
		{"hint from another provider", url.Values{"id_token_hint": {forgedHint}, "post_logout_redirect_uri": {logoutURI}}, 400, ""},
		{"hint with bad signature", url.Values{"id_token_hint": {badHint}}, 400, ""},
		{"garbage hint", url.Values{"id_token_hint": {"a.b.c"}}, 400, ""},
		{"repeated state", url.Values{"state": {"a", "b"}}, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, method := range []string{http.MethodGet, http.MethodPost} {
				var resp *http.Response
				if method == http.MethodGet {
					resp = e.get("/end_session", tt.params)
				} else {
					resp = e.post("/end_session", tt.params)
				}
				if resp.StatusCode != tt.status || resp.Header.Get("Location") != tt.redirect {
					t.Fatalf("%s: status %d, Location %q; want %d %q", method, resp.StatusCode, resp.Header.Get("Location"), tt.status, tt.redirect)
				}
			}
		})
	}

	t.Run("expired hint is accepted", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		hint := e.login().IDToken
		e.clk.Advance(48 * time.Hour)
		resp := e.get("/end_session", url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {logoutURI}})
		if resp.StatusCode != http.StatusFound {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
	t.Run("hint signed with a rotated-out key is refused", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		hint := e.login().IDToken
		if err := e.srv.RotateKeys(false); err != nil {
			t.Fatal(err)
		}
		if resp := e.get("/end_session", url.Values{"id_token_hint": {hint}}); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
	t.Run("hint with a wrong issuer is refused", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.srv.SetHooks(oidctest.Hooks{IDTokenClaims: func(c map[string]any) { c["iss"] = "https://evil.test" }})
		hint := e.login().IDToken // signed with the provider's own key
		e.srv.SetHooks(oidctest.Hooks{})
		resp := e.get("/end_session", url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {logoutURI}})
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
	t.Run("signed out page", func(t *testing.T) {
		t.Parallel()
		body, _ := io.ReadAll(e.get("/end_session", nil).Body)
		if !strings.Contains(string(body), "Signed out") {
			t.Fatalf("page:\n%s", body)
		}
	})
}
