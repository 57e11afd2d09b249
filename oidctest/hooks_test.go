package oidctest_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/loginkit/loginkit/oidctest"
)

func TestInterceptHook(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var seen []string
	e.srv.SetHooks(oidctest.Hooks{Intercept: func(ep oidctest.Endpoint, w http.ResponseWriter, r *http.Request) bool {
		if ep != oidctest.EndpointToken {
			return false
		}
		body, _ := io.ReadAll(r.Body) // the body is still readable after counting
		seen = append(seen, string(body))
		http.Error(w, "boom", http.StatusInternalServerError)
		return true
	}})
	pk := newPKCE()
	resp, _ := http.PostForm(e.srv.Issuer()+"/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("intercepted status %d", resp.StatusCode)
	}
	if len(seen) != 1 || !strings.Contains(seen[0], "grant_type=refresh_token") {
		t.Fatalf("hook saw %q", seen)
	}
	if e.srv.Count(oidctest.EndpointToken) != 1 || e.srv.GrantCount("refresh_token") != 1 {
		t.Fatalf("counts %d %d", e.srv.Count(oidctest.EndpointToken), e.srv.GrantCount("refresh_token"))
	}
	e.code(appID, pk) // other endpoints pass through
	e.srv.SetHooks(oidctest.Hooks{})
	if r := e.login(); r.AccessToken == "" {
		t.Fatal("no token after clearing hooks")
	}
}

func TestInterceptHang(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.srv.SetHooks(oidctest.Hooks{Intercept: func(_ oidctest.Endpoint, _ http.ResponseWriter, r *http.Request) bool {
		<-r.Context().Done()
		return true
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.srv.Issuer()+"/jwks", nil)
	if _, err := e.srv.Client().Do(req); err == nil {
		t.Fatal("request to a hanging endpoint succeeded")
	}
}

func TestIDTokenClaimsHook(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(map[string]any)
	}{
		{"wrong issuer", func(c map[string]any) { c["iss"] = "https://evil.test" }},
		{"wrong audience", func(c map[string]any) { c["aud"] = "someone-else" }},
		{"expired", func(c map[string]any) { c["exp"] = c["iat"].(int64) - 1 }},
		{"no exp", func(c map[string]any) { delete(c, "exp") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.srv.SetHooks(oidctest.Hooks{IDTokenClaims: tt.mutate})
			if _, err := e.verify(appID, e.login().IDToken); err == nil {
				t.Fatal("go-oidc accepted the tampered ID token")
			}
		})
	}
	t.Run("nonce", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.srv.SetHooks(oidctest.Hooks{IDTokenClaims: func(c map[string]any) { c["nonce"] = "other" }})
		id, err := e.verify(appID, e.login().IDToken)
		if err != nil || id.Nonce != "other" {
			t.Fatalf("nonce %v, err %v", id, err)
		}
	})
}

func TestBadSignatureHook(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.srv.SetHooks(oidctest.Hooks{BadSignature: true})
	raw := e.login().IDToken
	if _, err := e.verify(appID, raw); err == nil || !strings.Contains(err.Error(), "signature") {
		t.Fatalf("go-oidc error = %v, want a signature failure", err)
	}
	set := decode[jose.JSONWebKeySet](t, e.get("/jwks", nil))
	if kid := headerOf(t, raw)["kid"]; kid != set.Keys[0].KeyID {
		t.Fatalf("kid %v, want the current kid %q", kid, set.Keys[0].KeyID)
	}
	e.srv.SetHooks(oidctest.Hooks{})
	if _, err := e.verify(appID, e.login().IDToken); err != nil {
		t.Fatalf("after clearing the hook: %v", err)
	}
}

func TestSignAlgHook(t *testing.T) {
	t.Parallel()
	t.Run("none", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.srv.SetHooks(oidctest.Hooks{SignAlg: "none"})
		raw := e.login().IDToken
		if !strings.HasSuffix(raw, ".") || headerOf(t, raw)["alg"] != "none" {
			t.Fatalf("not an unsecured JWT: %s", raw)
		}
		if _, err := e.verify(appID, raw); err == nil {
			t.Fatal("go-oidc accepted alg none")
		}
	})
	t.Run("HS256 with the client secret", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.srv.SetHooks(oidctest.Hooks{SignAlg: "HS256"})
		tok := e.login()
		if _, err := e.verify(appID, tok.IDToken); err == nil {
			t.Fatal("go-oidc accepted HS256")
		}
		parts := strings.Split(tok.IDToken, ".")
		mac := hmac.New(sha256.New, []byte(appSecret))
		mac.Write([]byte(parts[0] + "." + parts[1]))
		if want := base64.RawURLEncoding.EncodeToString(mac.Sum(nil)); parts[2] != want {
			t.Fatal("HS256 signature is not an HMAC with the client secret")
		}
		payload := payloadOf(t, tok.IDToken)
		mac2 := sha256.Sum256([]byte(tok.AccessToken))
		if payload["at_hash"] != base64.RawURLEncoding.EncodeToString(mac2[:16]) {
			t.Fatalf("at_hash = %v", payload["at_hash"])
		}
	})
	t.Run("RS384", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.srv.SetHooks(oidctest.Hooks{SignAlg: "RS384"})
		raw := e.login().IDToken
		if headerOf(t, raw)["alg"] != "RS384" {
			t.Fatalf("header %v", headerOf(t, raw))
		}
		if _, err := e.verify(appID, raw); err == nil {
			t.Fatal("go-oidc accepted an alg the provider does not advertise")
		}
	})
	t.Run("unusable alg is a server_error", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.srv.SetHooks(oidctest.Hooks{SignAlg: "ES512"})
		pk := newPKCE()
		resp, tok := e.exchange(e.code(appID, pk), pk.verifier)
		wantError(t, resp, tok, 500, "server_error")
	})
}

func TestTokenResponseHook(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.srv.SetHooks(oidctest.Hooks{TokenResponse: func(resp map[string]any) {
		delete(resp, "refresh_token")
		resp["token_type"] = "mac"
	}})
	tok := e.login()
	if tok.RefreshToken != "" || tok.TokenType != "mac" {
		t.Fatalf("hook not applied: %+v", tok)
	}
}

func decodeSegment(t *testing.T, raw string, i int) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(raw, ".")[i])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func headerOf(t *testing.T, raw string) map[string]any  { return decodeSegment(t, raw, 0) }
func payloadOf(t *testing.T, raw string) map[string]any { return decodeSegment(t, raw, 1) }
