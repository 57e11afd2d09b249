package oidctest_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/loginkit/loginkit/oidctest"
)

func TestNewValidatesConfig(t *testing.T) {
	t.Parallel()
	good := oidctest.Client{ID: "c", RedirectURIs: []string{redirectURI}}
	tests := []struct {
		name string
		cfg  oidctest.Config
		ok   bool
	}{
		{"minimal", oidctest.Config{Issuer: "http://op.test"}, true},
		{"issuer with path", oidctest.Config{Issuer: "https://op.test/tenant/"}, true},
		{"ES256", oidctest.Config{Issuer: "http://op.test", Alg: "ES256"}, true},
		{"no issuer", oidctest.Config{}, false},
		{"relative issuer", oidctest.Config{Issuer: "/op"}, false},
		{"issuer with query", oidctest.Config{Issuer: "http://op.test?x=1"}, false},
		{"issuer with fragment", oidctest.Config{Issuer: "http://op.test#x"}, false},
		{"ftp issuer", oidctest.Config{Issuer: "ftp://op.test"}, false},
		{"bad alg", oidctest.Config{Issuer: "http://op.test", Alg: "HS256"}, false},
		{"negative ttl", oidctest.Config{Issuer: "http://op.test", CodeTTL: -1}, false},
		{"huge padding", oidctest.Config{Issuer: "http://op.test", TokenPadding: 1 << 21}, false},
		{"user without subject", oidctest.Config{Issuer: "http://op.test", Users: []oidctest.User{{Email: "x@y"}}}, false},
		{"duplicate user", oidctest.Config{Issuer: "http://op.test", Users: []oidctest.User{{Subject: "a"}, {Subject: "a"}}}, false},
		{"auto approve unknown", oidctest.Config{Issuer: "http://op.test", AutoApprove: "nobody"}, false},
		{"auto approve known", oidctest.Config{Issuer: "http://op.test", AutoApprove: "a", Users: []oidctest.User{{Subject: "a"}}}, true},
		{"client without id", oidctest.Config{Issuer: "http://op.test", Clients: []oidctest.Client{{RedirectURIs: []string{redirectURI}}}}, false},
		{"client without redirect", oidctest.Config{Issuer: "http://op.test", Clients: []oidctest.Client{{ID: "c"}}}, false},
		{"relative redirect", oidctest.Config{Issuer: "http://op.test", Clients: []oidctest.Client{{ID: "c", RedirectURIs: []string{"/cb"}}}}, false},
		{"redirect with fragment", oidctest.Config{Issuer: "http://op.test", Clients: []oidctest.Client{{ID: "c", RedirectURIs: []string{redirectURI + "#f"}}}}, false},
		{"duplicate client", oidctest.Config{Issuer: "http://op.test", Clients: []oidctest.Client{good, good}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := oidctest.New(tt.cfg)
			if (err == nil) != tt.ok {
				t.Fatalf("New error = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestDiscovery(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resp := e.get("/.well-known/openid-configuration", nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	doc := decode[map[string]any](t, resp)
	iss := e.srv.Issuer()
	if iss != e.srv.URL {
		t.Errorf("Issuer() = %q, want server URL %q", iss, e.srv.URL)
	}
	wantStrings := map[string]string{
		"issuer":                 iss,
		"authorization_endpoint": iss + "/authorize",
		"token_endpoint":         iss + "/token",
		"userinfo_endpoint":      iss + "/userinfo",
		"jwks_uri":               iss + "/jwks",
		"revocation_endpoint":    iss + "/revoke",
		"introspection_endpoint": iss + "/introspect",
		"end_session_endpoint":   iss + "/end_session",
	}
	for k, want := range wantStrings {
		if doc[k] != want {
			t.Errorf("%s = %v, want %q", k, doc[k], want)
		}
	}
	wantLists := map[string][]string{
		"response_types_supported":              {"code"},
		"response_modes_supported":              {"query", "form_post"},
		"grant_types_supported":                 {"authorization_code", "refresh_token"},
		"subject_types_supported":               {"public"},
		"id_token_signing_alg_values_supported": {"RS256"},
		"token_endpoint_auth_methods_supported": {"client_secret_basic", "client_secret_post", "none"},
		"code_challenge_methods_supported":      {"S256"},
	}
	for k, want := range wantLists {
		if got := strings.Join(toStrings(doc[k]), " "); got != strings.Join(want, " ") {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	for _, k := range []string{"scopes_supported", "claims_supported"} {
		if len(toStrings(doc[k])) == 0 {
			t.Errorf("%s is empty", k)
		}
	}
	if doc["authorization_response_iss_parameter_supported"] != true {
		t.Errorf("authorization_response_iss_parameter_supported = %v", doc["authorization_response_iss_parameter_supported"])
	}
	e.verifier(appID) // go-oidc accepts the document (issuer matches)
}

func toStrings(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, s := range list {
		str, _ := s.(string)
		out = append(out, str)
	}
	return out
}

func TestJWKS(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"RS256", "ES256"} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(c *oidctest.Config) { c.Alg = alg })
			set := decode[jose.JSONWebKeySet](t, e.get("/jwks", nil))
			if len(set.Keys) != 1 {
				t.Fatalf("%d keys, want 1", len(set.Keys))
			}
			k := set.Keys[0]
			if k.KeyID == "" || k.Use != "sig" || k.Algorithm != alg || !k.IsPublic() || !k.Valid() {
				t.Fatalf("key = kid %q use %q alg %q public %v", k.KeyID, k.Use, k.Algorithm, k.IsPublic())
			}
			doc := decode[map[string]any](t, e.get("/.well-known/openid-configuration", nil))
			if got := toStrings(doc["id_token_signing_alg_values_supported"]); !slices.Equal(got, []string{alg}) {
				t.Fatalf("id_token_signing_alg_values_supported = %v", got)
			}
			tok := e.login()
			if _, err := e.verify(appID, tok.IDToken); err != nil {
				t.Fatalf("verify %s ID token: %v", alg, err)
			}
		})
	}
}

// TestMountedUnderPrefix serves New's handler under a path of another server,
// with and without http.StripPrefix, and runs a login through it.
func TestMountedUnderPrefix(t *testing.T) {
	t.Parallel()
	for _, strip := range []bool{false, true} {
		t.Run(map[bool]string{false: "full path", true: "StripPrefix"}[strip], func(t *testing.T) {
			t.Parallel()
			mux := http.NewServeMux()
			ts := httptest.NewServer(mux)
			t.Cleanup(ts.Close)
			clk := newClock()
			cfg := testConfig(clk)
			cfg.Issuer = ts.URL + "/demo-op"
			op, err := oidctest.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			var h http.Handler = op
			if strip {
				h = http.StripPrefix("/demo-op", op)
			}
			mux.Handle("/demo-op/", h)
			resp, err := ts.Client().Get(op.Issuer() + "/.well-known/openid-configuration")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var doc map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
				t.Fatal(err)
			}
			if doc["issuer"] != ts.URL+"/demo-op" || doc["token_endpoint"] != ts.URL+"/demo-op/token" {
				t.Fatalf("issuer %v, token endpoint %v", doc["issuer"], doc["token_endpoint"])
			}
			if op.Count(oidctest.EndpointDiscovery) != 1 {
				t.Fatalf("Count(discovery) = %d", op.Count(oidctest.EndpointDiscovery))
			}
			resp2, err := ts.Client().Get(ts.URL + "/demo-op/nope")
			if err != nil {
				t.Fatal(err)
			}
			resp2.Body.Close()
			if resp2.StatusCode != http.StatusNotFound {
				t.Fatalf("unknown path: status %d, want 404", resp2.StatusCode)
			}
		})
	}
}

func TestNewServerIssuerPath(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *oidctest.Config) { c.Issuer = "/demo-op" })
	if want := e.srv.URL + "/demo-op"; e.srv.Issuer() != want {
		t.Fatalf("Issuer() = %q, want %q", e.srv.Issuer(), want)
	}
	tok := e.login()
	if _, err := e.verify(appID, tok.IDToken); err != nil {
		t.Fatal(err)
	}
}

func TestCounts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.login()
	e.refresh(tok.RefreshToken)
	e.userinfo(tok.AccessToken)
	checks := []struct {
		name string
		got  int
		want int
	}{
		{"authorize", e.srv.Count(oidctest.EndpointAuthorize), 1},
		{"token", e.srv.Count(oidctest.EndpointToken), 2},
		{"userinfo", e.srv.Count(oidctest.EndpointUserInfo), 1},
		{"jwks", e.srv.Count(oidctest.EndpointJWKS), 0},
		{"authorization_code", e.srv.GrantCount("authorization_code"), 1},
		{"refresh_token", e.srv.GrantCount("refresh_token"), 1},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("count %s = %d, want %d", c.name, c.got, c.want)
		}
	}
	e.srv.ResetCounts()
	if e.srv.Count(oidctest.EndpointToken) != 0 || e.srv.GrantCount("refresh_token") != 0 {
		t.Fatal("ResetCounts did not reset")
	}
}
