package oidctest_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/loginkit/loginkit/oidctest"
)

// FuzzServeHTTP sends arbitrary requests to every endpoint: the provider
// must never panic and must answer with a sensible status.
func FuzzServeHTTP(f *testing.F) {
	clk := newClock()
	cfg := testConfig(clk)
	cfg.Issuer = "http://op.test/op"
	p, err := oidctest.New(cfg)
	if err != nil {
		f.Fatal(err)
	}
	pk := newPKCE()
	q := authParams(appID, pk).Encode()
	seeds := []struct{ method, path, query, body, auth string }{
		{"GET", "/op/authorize", q, "", ""},
		{"POST", "/authorize", "", q + "&oidctest_subject=bob", ""},
		{"POST", "/op/authorize", "", q + "&oidctest_action=deny&response_mode=form_post", ""},
		{"GET", "/op/authorize", "client_id=app&redirect_uri=%zz", "", ""},
		{"POST", "/op/token", "", "grant_type=authorization_code&code=x&code_verifier=" + pk.verifier + "&redirect_uri=" + redirectURI, "Basic YXBwOmFwcC1zZWNyZXQ="},
		{"POST", "/op/token", "", "grant_type=refresh_token&refresh_token=x&client_id=spa", ""},
		{"POST", "/op/token", "", "grant_type=refresh_token&refresh_token=x", "Basic %%%"},
		{"POST", "/op/revoke", "", "token=x&client_id=spa", ""},
		{"POST", "/op/introspect", "", "token=x", "Basic YXBwOmFwcC1zZWNyZXQ="},
		{"GET", "/op/userinfo", "", "", "Bearer x"},
		{"POST", "/op/userinfo", "", "access_token=x&access_token=y", ""},
		{"GET", "/op/end_session", "id_token_hint=a.b.c&post_logout_redirect_uri=" + logoutURI, "", ""},
		{"GET", "/op/end_session", "id_token_hint=eyJhbGciOiJSUzI1NiJ9.e30.", "", ""},
		{"DELETE", "/op/jwks", "", "", ""},
		{"GET", "/op/.well-known/openid-configuration", "", "", ""},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.query, s.body, s.auth)
	}
	f.Fuzz(func(t *testing.T, method, path, query, body, auth string) {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		req := httptest.NewRequest(http.MethodGet, "http://op.test/", strings.NewReader(body))
		req.Method = method
		req.URL.Path, req.URL.RawQuery = path, query
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", auth)
		rec := httptest.NewRecorder()
		p.ServeHTTP(rec, req)
		if rec.Code < 200 || rec.Code > 599 {
			t.Fatalf("status %d", rec.Code)
		}
	})
}
