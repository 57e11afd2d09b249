package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestDiscoverOIDCTest(t *testing.T) {
	t.Parallel()
	srv := newProvider(t)
	ta := newTestApp()
	if code := ta.run(t, "discover", srv.Issuer()); code != exitOK {
		t.Fatalf("exit %d: %s %s", code, ta.out, ta.errOut)
	}
	out := ta.out.String()
	for _, want := range []string{
		"PKCE methods                               S256",
		"device authorization (RFC 8628)            yes",
		"dynamic registration (RFC 7591)            yes",
		"client credentials                         yes",
		"iss in responses (RFC 9207)                yes",
		"note     the issuer uses http on this machine",
		"0 problem(s), 0 warning(s)",
		"Keys (1)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	js := newTestApp()
	if code := js.run(t, "discover", srv.Issuer(), "--json"); code != exitOK {
		t.Fatalf("json exit %d", code)
	}
	var r report
	if err := json.Unmarshal([]byte(js.out.String()), &r); err != nil || r.Issuer != srv.Issuer() || len(r.Keys) != 1 || len(r.Metadata) == 0 {
		t.Fatalf("json report %v: %s", err, js.out)
	}
}

// fakeOP serves a discovery document and a key set, each changed by the test.
func fakeOP(t *testing.T, doc func(iss string) map[string]any, jwks string) string {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			json.NewEncoder(w).Encode(doc(srv.URL))
		case "/jwks":
			w.Write([]byte(jwks))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func goodDoc(iss string) map[string]any {
	return map[string]any{
		"issuer": iss, "authorization_endpoint": iss + "/authorize", "token_endpoint": iss + "/token",
		"userinfo_endpoint": iss + "/userinfo", "jwks_uri": iss + "/jwks",
		"response_types_supported": []string{"code"}, "id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported": []string{"S256"}, "authorization_response_iss_parameter_supported": true,
		"scopes_supported": []string{"openid"},
	}
}

const goodJWKS = `{"keys":[{"kty":"RSA","kid":"k1","alg":"RS256","use":"sig","n":"AQAB","e":"AQAB"}]}`

func TestDiscoverFindings(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		mutate func(doc map[string]any, iss string)
		jwks   string
		code   int
		want   string
	}{
		{"good", func(map[string]any, string) {}, goodJWKS, exitOK, "0 problem(s), 0 warning(s)"},
		{"issuer mismatch", func(d map[string]any, iss string) { d["issuer"] = "https://other.example" }, goodJWKS, exitFail, "PROBLEM  issuer mismatch"},
		{"trailing slash", func(d map[string]any, iss string) { d["issuer"] = iss + "/" }, goodJWKS, exitFail, "differs from"},
		{"no S256", func(d map[string]any, _ string) { d["code_challenge_methods_supported"] = []string{"plain"} }, goodJWKS, exitFail, "no PKCE S256"},
		{"PKCE not advertised", func(d map[string]any, _ string) { delete(d, "code_challenge_methods_supported") }, goodJWKS, exitOK, "PKCE support is unknown"},
		{"no iss parameter", func(d map[string]any, _ string) { delete(d, "authorization_response_iss_parameter_supported") }, goodJWKS, exitOK, "WARNING  no iss parameter"},
		{"implicit offered", func(d map[string]any, _ string) { d["response_types_supported"] = []string{"code", "id_token token"} }, goodJWKS, exitOK, `response type "id_token token" puts access tokens in the browser`},
		{"password offered", func(d map[string]any, _ string) {
			d["grant_types_supported"] = []string{"authorization_code", "password"}
		}, goodJWKS, exitOK, "the password grant is offered"},
		{"unsigned tokens", func(d map[string]any, _ string) {
			d["id_token_signing_alg_values_supported"] = []string{"RS256", "none"}
		}, goodJWKS, exitFail, `unsigned ("none")`},
		{"HMAC only", func(d map[string]any, _ string) { d["id_token_signing_alg_values_supported"] = []string{"HS256"} }, goodJWKS, exitFail, "no ID token signature algorithm loginkit accepts"},
		{"no token endpoint", func(d map[string]any, _ string) { delete(d, "token_endpoint") }, goodJWKS, exitFail, "token_endpoint is missing"},
		{"http endpoint", func(d map[string]any, _ string) { d["token_endpoint"] = "http://id.example.com/token" }, goodJWKS, exitFail, "token uses http"},
		{"private key published", func(map[string]any, string) {}, `{"keys":[{"kty":"RSA","kid":"k1","n":"AQAB","e":"AQAB","d":"secret"}]}`, exitFail, "publishes private or symmetric key material"},
		{"empty key set", func(map[string]any, string) {}, `{"keys":[]}`, exitFail, "the key set is empty"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			iss := fakeOP(t, func(iss string) map[string]any {
				d := goodDoc(iss)
				tc.mutate(d, iss)
				return d
			}, tc.jwks)
			ta := newTestApp()
			code := ta.run(t, "discover", iss)
			if code != tc.code || !strings.Contains(ta.out.String(), tc.want) {
				t.Fatalf("exit %d, want %d; report lacks %q:\n%s%s", code, tc.code, tc.want, ta.out, ta.errOut)
			}
		})
	}
}

// TestCheckIssuerScheme: http is a problem off this machine only.
func TestCheckIssuerScheme(t *testing.T) {
	t.Parallel()
	cases := map[string]severity{
		"http://id.example.com":  problem,
		"http://127.0.0.1:8080":  note,
		"http://localhost:8080":  note,
		"https://id.example.com": "",
	}
	for iss, want := range cases {
		got := severity("")
		for _, f := range checkIssuer(iss, &document{Issuer: iss}) {
			got = f.Severity
		}
		if got != want {
			t.Errorf("%s: %q, want %q", iss, got, want)
		}
	}
}

func TestDiscoverFetchErrors(t *testing.T) {
	t.Parallel()
	notJSON := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>")) }))
	defer notJSON.Close()
	cases := map[string]string{
		"http://127.0.0.1:1": "Check the issuer URL",
		notJSON.URL:          "invalid JSON",
		"ftp://x":            "not an http(s) URL",
	}
	for iss, want := range cases {
		ta := newTestApp()
		if code := ta.run(t, "discover", iss, "--timeout", "2s"); code != exitFail || !strings.Contains(ta.errOut.String(), want) {
			t.Errorf("%s: exit %d, stderr %q lacks %q", iss, code, ta.errOut, want)
		}
	}
}
