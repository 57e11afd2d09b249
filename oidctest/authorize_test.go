package oidctest_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/loginkit/loginkit/oidctest"
)

// TestAuthorizeRejectsWithoutRedirect covers errors that must show a page and
// never redirect (RFC 6749 §4.1.2.1).
func TestAuthorizeRejectsWithoutRedirect(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pk := newPKCE()
	tests := []struct {
		name   string
		mutate func(url.Values)
	}{
		{"missing client_id", func(q url.Values) { q.Del("client_id") }},
		{"unknown client_id", func(q url.Values) { q.Set("client_id", "nope") }},
		{"missing redirect_uri", func(q url.Values) { q.Del("redirect_uri") }},
		{"unregistered redirect_uri", func(q url.Values) { q.Set("redirect_uri", "http://evil.test/cb") }},
		{"redirect_uri prefix match", func(q url.Values) { q.Set("redirect_uri", redirectURI+"/more") }},
		{"redirect_uri with extra query", func(q url.Values) { q.Set("redirect_uri", redirectURI+"?x=1") }},
		{"repeated client_id", func(q url.Values) { q.Add("client_id", appID) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q := authParams(appID, pk)
			tt.mutate(q)
			resp := e.get("/authorize", q)
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
				t.Fatalf("status %d, Location %q; want 400 page", resp.StatusCode, resp.Header.Get("Location"))
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Fatalf("Content-Type %q", ct)
			}
		})
	}
}

// TestAuthorizeErrorRedirects covers errors sent back to the client with
// state and iss (RFC 6749 §4.1.2.1, RFC 9207).
func TestAuthorizeErrorRedirects(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pk := newPKCE()
	tests := []struct {
		name   string
		mutate func(url.Values)
		code   string
	}{
		{"no code_challenge", func(q url.Values) { q.Del("code_challenge") }, "invalid_request"},
		{"no code_challenge_method", func(q url.Values) { q.Del("code_challenge_method") }, "invalid_request"},
		{"plain PKCE", func(q url.Values) { q.Set("code_challenge_method", "plain") }, "invalid_request"},
		{"short challenge", func(q url.Values) { q.Set("code_challenge", "abc") }, "invalid_request"},
		{"no openid scope", func(q url.Values) { q.Set("scope", "email") }, "invalid_scope"},
		{"no response_type", func(q url.Values) { q.Del("response_type") }, "invalid_request"},
		{"implicit", func(q url.Values) { q.Set("response_type", "id_token token") }, "unsupported_response_type"},
		{"bad response_mode", func(q url.Values) { q.Set("response_mode", "fragment") }, "invalid_request"},
		{"repeated scope", func(q url.Values) { q.Add("scope", "openid") }, "invalid_request"},
		{"request object", func(q url.Values) { q.Set("request", "eyJ...") }, "request_not_supported"},
		{"request_uri", func(q url.Values) { q.Set("request_uri", "urn:x") }, "request_uri_not_supported"},
		{"prompt none with login", func(q url.Values) { q.Set("prompt", "none login") }, "invalid_request"},
		{"prompt none unknown hint", func(q url.Values) { q.Set("prompt", "none"); q.Set("login_hint", "mallory") }, "login_required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q := authParams(appID, pk)
			tt.mutate(q)
			cb := e.callback(e.get("/authorize", q))
			if cb.Get("error") != tt.code || cb.Get("error_description") == "" {
				t.Fatalf("error = %q (%q), want %q", cb.Get("error"), cb.Get("error_description"), tt.code)
			}
			if cb.Get("state") != testState || cb.Get("iss") != e.srv.Issuer() || cb.Has("code") {
				t.Fatalf("callback %v: want state, iss and no code", cb)
			}
		})
	}
}

func TestAuthorizeSuccess(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pk := newPKCE()
	t.Run("query", func(t *testing.T) {
		t.Parallel()
		cb := e.callback(e.get("/authorize", authParams(appID, pk)))
		if len(cb.Get("code")) < 43 || cb.Get("state") != testState || cb.Get("iss") != e.srv.Issuer() {
			t.Fatalf("callback = %v", cb)
		}
	})
	t.Run("POST", func(t *testing.T) {
		t.Parallel()
		cb := e.callback(e.post("/authorize", authParams(appID, pk)))
		if cb.Get("code") == "" {
			t.Fatalf("callback = %v", cb)
		}
	})
	t.Run("prompt none", func(t *testing.T) {
		t.Parallel()
		q := authParams(appID, pk)
		q.Set("prompt", "none")
		q.Set("login_hint", "alice@example.com")
		if cb := e.callback(e.get("/authorize", q)); cb.Get("code") == "" {
			t.Fatalf("callback = %v", cb)
		}
	})
	t.Run("no state", func(t *testing.T) {
		t.Parallel()
		q := authParams(appID, pk)
		q.Del("state")
		if cb := e.callback(e.get("/authorize", q)); cb.Has("state") || cb.Get("code") == "" {
			t.Fatalf("callback = %v", cb)
		}
	})
}

func TestAuthorizeKeepsRedirectQuery(t *testing.T) {
	t.Parallel()
	const uri = "http://127.0.0.1:9/callback?tenant=a%20b"
	e := newEnv(t, func(c *oidctest.Config) { c.Clients[0].RedirectURIs = []string{uri} })
	q := authParams(appID, newPKCE())
	q.Set("redirect_uri", uri)
	resp := e.get("/authorize", q)
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("tenant") != "a b" || loc.Query().Get("code") == "" {
		t.Fatalf("Location = %q", resp.Header.Get("Location"))
	}
}

func TestAuthorizeFormPost(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	q := authParams(appID, newPKCE())
	q.Set("response_mode", "form_post")
	q.Set("state", `"><script>alert(1)</script>`)
	resp := e.get("/authorize", q)
	body, _ := io.ReadAll(resp.Body)
	page := string(body)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{`method="post"`, `action="` + redirectURI + `"`, `name="code"`, `name="iss"`, `name="state"`, "document.forms[0].submit()"} {
		if !strings.Contains(page, want) {
			t.Errorf("form_post page lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, "<script>alert(1)") {
		t.Fatalf("state not escaped:\n%s", page)
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("Cache-Control = %q", resp.Header.Get("Cache-Control"))
	}
}

func TestChooserPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *oidctest.Config) {
		c.AutoApprove = ""
		c.Users = append(c.Users, oidctest.User{Subject: "eve", Name: "<b>Eve</b>", Email: "eve@example.com"})
	})
	pk := newPKCE()
	resp := e.get("/authorize", authParams(appID, pk))
	body, _ := io.ReadAll(resp.Body)
	page := string(body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for _, want := range []string{
		"loginkit demo provider — choose an account", "Alice Liddell", "alice@example.com", "bob@example.com",
		"&lt;b&gt;Eve&lt;/b&gt;", `name="code_challenge" value="` + pk.challenge + `"`, `value="deny"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("chooser lacks %q", want)
		}
	}
	if strings.Contains(page, "<b>Eve</b>") {
		t.Error("user name not escaped")
	}

	t.Run("prompt none", func(t *testing.T) {
		t.Parallel()
		q := authParams(appID, pk)
		q.Set("prompt", "none")
		if cb := e.callback(e.get("/authorize", q)); cb.Get("error") != "login_required" {
			t.Fatalf("callback = %v", cb)
		}
	})
	t.Run("choose bob", func(t *testing.T) {
		t.Parallel()
		pk := newPKCE()
		form := authParams(appID, pk)
		form.Set("oidctest_subject", "bob")
		cb := e.callback(e.post("/authorize", form))
		_, tok := e.exchange(cb.Get("code"), pk.verifier)
		id, err := e.verify(appID, tok.IDToken)
		if err != nil || id.Subject != "bob" {
			t.Fatalf("subject %v, err %v", id, err)
		}
	})
	t.Run("choose by GET is ignored", func(t *testing.T) {
		t.Parallel()
		q := authParams(appID, pk)
		q.Set("oidctest_subject", "bob")
		if resp := e.get("/authorize", q); resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d, want the chooser", resp.StatusCode)
		}
	})
	t.Run("deny", func(t *testing.T) {
		t.Parallel()
		form := authParams(appID, pk)
		form.Set("oidctest_action", "deny")
		if cb := e.callback(e.post("/authorize", form)); cb.Get("error") != "access_denied" || cb.Get("state") != testState {
			t.Fatalf("callback = %v", cb)
		}
	})
}
