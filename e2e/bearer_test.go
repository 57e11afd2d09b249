package e2e_test

// Bearer-token protection for APIs, end to end against the real
// oidc-provider: its RFC 9068 JWT access tokens (any resource indicator is
// an API taking JWTs, see op/server.mjs) and its opaque tokens checked by
// introspection, through client.AccessTokenVerifier and middleware.Bearer.

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/e2e/internal/realop"
	"github.com/loginkit/loginkit/middleware"
)

const (
	bearerAPI   = "https://api.e2e.test"
	bearerOther = "https://other.e2e.test"
)

func TestBearerRealOP(t *testing.T) {
	op := realop.Start(t, realop.Options{})
	ctx := t.Context()

	// The calling service: its tokens, from the client credentials grant.
	svc := grantsClient(t, client.Provider{Name: "real", Issuer: op.Issuer,
		ClientID: realop.ServiceClientID, ClientSecret: realop.ServiceClientSecret})
	token := func(resource string) string {
		t.Helper()
		o := client.ClientCredentialsOptions{Scopes: []string{"api:read"}}
		if resource != "" {
			o.Params = url.Values{"resource": {resource}}
		}
		tok, err := svc.ClientCredentials(o).Token(ctx)
		if err != nil {
			t.Fatalf("client credentials for %q: %v", resource, err)
		}
		return tok.AccessToken
	}
	jwt, other, opaque := token(bearerAPI), token(bearerOther), token("")
	if strings.Count(jwt, ".") != 2 || strings.Count(opaque, ".") == 2 {
		t.Fatalf("want a JWT for the resource and an opaque token without: %d and %d dots",
			strings.Count(jwt, "."), strings.Count(opaque, "."))
	}

	// The API: its clock runs ahead when the test says so.
	var ahead atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
	rs := grantsClient(t, client.Provider{Name: "real", Issuer: op.Issuer, Now: now,
		ClientID: realop.ServiceClientID, ClientSecret: realop.ServiceClientSecret})
	v, err := client.NewAccessTokenVerifier(rs, client.AccessTokenConfig{Audience: bearerAPI})
	if err != nil {
		t.Fatal(err)
	}
	mw, err := middleware.Bearer(middleware.BearerConfig{Verifier: v, Scopes: []string{"api:read"}})
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, _ := middleware.BearerFrom(r.Context())
		w.Write([]byte(tok.ClientID))
	})))
	defer api.Close()
	call := func(token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, api.URL, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, resp.Header.Get("WWW-Authenticate")
	}

	for _, tc := range []struct {
		name      string
		token     string
		status    int
		challenge string
	}{
		{"JWT access token", jwt, 200, ""},
		{"opaque token, introspected", opaque, 200, ""},
		{"tampered JWT", tamperJWT(jwt), 401, `Bearer realm="api", error="invalid_token"`},
		{"JWT for another API", other, 401, `Bearer realm="api", error="invalid_token"`},
		{"opaque token nobody issued", "x" + opaque[1:], 401, `Bearer realm="api", error="invalid_token"`},
	} {
		if status, challenge := call(tc.token); status != tc.status || challenge != tc.challenge {
			t.Errorf("%s: %d %q, want %d %q", tc.name, status, challenge, tc.status, tc.challenge)
		}
	}

	// Two hours later (on the API's clock) the JWT has expired.
	ahead.Store(int64(2 * time.Hour))
	if status, challenge := call(jwt); status != 401 || challenge != `Bearer realm="api", error="invalid_token"` {
		t.Errorf("expired JWT: %d %q", status, challenge)
	}
}

// tamperJWT flips a bit in the middle of the signature.
func tamperJWT(jwt string) string {
	i := strings.LastIndexByte(jwt, '.')
	sig := []byte(jwt[i+1:])
	sig[len(sig)/2] ^= 1
	return jwt[:i+1] + string(sig)
}

// TestBearerRefreshTokenRealOP: the real provider introspects a refresh
// token as active, with neither token_type nor aud; presented to an API as a
// bearer token it is refused, while the same client's opaque access token
// (token_type Bearer) is accepted.
func TestBearerRefreshTokenRealOP(t *testing.T) {
	op := realop.Start(t, realop.Options{RedirectURIs: []string{redirectURI}})
	ctx := t.Context()
	c, err := client.New(client.Provider{Name: "real", Issuer: op.Issuer, RedirectURL: redirectURI,
		ClientID: realop.ConfidentialClientID, ClientSecret: realop.ConfidentialClientSecret})
	if err != nil {
		t.Fatal(err)
	}
	authURL, flow, err := c.Begin(ctx, client.BeginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cb := op.Authorize(t, browser(t), authURL, "alice")
	res, err := c.Callback(ctx, flow, cb.Query())
	if err != nil {
		t.Fatal(err)
	}
	if res.Tokens.RefreshToken == "" || strings.Count(res.Tokens.AccessToken, ".") == 2 {
		t.Fatalf("want an opaque access token and a refresh token")
	}

	// The API introspects as the same client, so the provider describes its
	// tokens; tokens issued without a resource indicator carry no aud.
	v, err := client.NewAccessTokenVerifier(c, client.AccessTokenConfig{Audience: bearerAPI, Format: client.AccessTokenIntrospect})
	if err != nil {
		t.Fatal(err)
	}
	if tok, err := v.Verify(ctx, res.Tokens.AccessToken); err != nil || tok.Subject != "alice" {
		t.Fatalf("opaque access token: %v, %v", tok, err)
	}
	tok, err := v.Verify(ctx, res.Tokens.RefreshToken)
	if tok != nil || !errors.Is(err, client.ErrAccessTokenType) || !errors.Is(err, client.ErrInvalidAccessToken) {
		t.Fatalf("refresh token as a bearer token: %v, %v; want ErrAccessTokenType", tok, err)
	}
	if strings.Contains(err.Error(), res.Tokens.RefreshToken) {
		t.Fatal("the error holds the token")
	}
}
