package middleware_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/middleware"
	"github.com/loginkit/loginkit/oidctest"
)

const (
	apiAud    = "https://api.test"
	opaqueAud = "https://opaque.test"
	otherAud  = "https://other.test"
)

// apiEnv is an API behind Bearer and the provider issuing its tokens.
type apiEnv struct {
	op    *oidctest.Server
	clock *clock
	v     *client.AccessTokenVerifier
	logs  *syncBuffer
}

func newAPIEnv(t *testing.T, audience, secret string) *apiEnv {
	t.Helper()
	clk := &clock{}
	op, err := oidctest.NewServer(oidctest.Config{
		Clients: []oidctest.Client{
			{ID: "svc", Secret: "svc-secret", GrantTypes: []string{"client_credentials"}},
			{ID: "rs", Secret: "rs-secret", GrantTypes: []string{"client_credentials"}},
		},
		Resources: []oidctest.Resource{{Indicator: apiAud}, {Indicator: otherAud}, {Indicator: opaqueAud, Opaque: true}},
		Now:       clk.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(op.Close)
	c, err := client.NewWithoutRedirect(client.Provider{Name: "op", Issuer: op.Issuer(), ClientID: "rs", ClientSecret: secret,
		HTTPClient: op.Client(), Now: clk.Now, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	v, err := client.NewAccessTokenVerifier(c, client.AccessTokenConfig{Audience: audience})
	if err != nil {
		t.Fatal(err)
	}
	return &apiEnv{op: op, clock: clk, v: v, logs: &syncBuffer{}}
}

// token is a client credentials token for resource with scopes.
func (e *apiEnv) token(t *testing.T, resource string, scopes ...string) string {
	t.Helper()
	c, err := client.NewWithoutRedirect(client.Provider{Name: "svc", Issuer: e.op.Issuer(), ClientID: "svc",
		ClientSecret: "svc-secret", HTTPClient: e.op.Client(), Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.ClientCredentials(client.ClientCredentialsOptions{Scopes: scopes,
		Params: url.Values{"resource": {resource}}}).Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return tok.AccessToken
}

// handler is the API behind Bearer requiring scopes: it answers with the
// token's subject.
func (e *apiEnv) handler(t *testing.T, scopes ...string) http.Handler {
	t.Helper()
	mw, err := middleware.Bearer(middleware.BearerConfig{Verifier: e.v, Scopes: scopes,
		Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	return mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := middleware.BearerFrom(r.Context())
		if !ok {
			http.Error(w, "no token in the context", http.StatusInternalServerError)
			return
		}
		w.Write([]byte("hello " + tok.ClientID))
	}))
}

func serveAPI(h http.Handler, target string, authorization ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for _, a := range authorization {
		r.Header.Add("Authorization", a)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestBearerAnswers(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, apiAud, "rs-secret")
	good := e.token(t, apiAud, "api:read")
	h := e.handler(t, "api:read")
	const realm = `Bearer realm="api"`
	cases := []struct {
		name      string
		target    string
		auth      []string
		status    int
		challenge string
		code      string
	}{
		{"valid JWT", "/", []string{"Bearer " + good}, 200, "", ""},
		{"scheme in lower case, two spaces", "/", []string{"bearer  " + good}, 200, "", ""},
		{"no Authorization", "/", nil, 401, realm, "unauthorized"},
		{"another scheme", "/", []string{"Basic c3ZjOnN2Yy1zZWNyZXQ="}, 401, realm, "unauthorized"},
		{"Bearer without token", "/", []string{"Bearer"}, 400, realm + `, error="invalid_request"`, "invalid_request"},
		{"Bearer and spaces", "/", []string{"Bearer   "}, 400, realm + `, error="invalid_request"`, "invalid_request"},
		{"two tokens", "/", []string{"Bearer " + good + " " + good}, 400, realm + `, error="invalid_request"`, "invalid_request"},
		{"two Authorization headers", "/", []string{"Bearer " + good, "Bearer " + good}, 400, realm + `, error="invalid_request"`, "invalid_request"},
		{"token in the query string", "/?access_token=" + good, nil, 400, realm + `, error="invalid_request"`, "invalid_request"},
		{"garbage token", "/", []string{"Bearer abc.def.ghi"}, 401, realm + `, error="invalid_token"`, "invalid_token"},
		{"tampered JWT", "/", []string{"Bearer " + tamper(good)}, 401, realm + `, error="invalid_token"`, "invalid_token"},
		{"unknown opaque token", "/", []string{"Bearer opaque-nobody-issued"}, 401, realm + `, error="invalid_token"`, "invalid_token"},
		{"another API's token", "/", []string{"Bearer " + e.token(t, otherAud, "api:read")}, 401, realm + `, error="invalid_token"`, "invalid_token"},
		{"scope missing", "/", []string{"Bearer " + e.token(t, apiAud, "api:write")}, 403,
			realm + `, error="insufficient_scope", scope="api:read"`, "insufficient_scope"},
	}
	t.Run("cases", func(t *testing.T) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				w := serveAPI(h, tc.target, tc.auth...)
				if w.Code != tc.status || w.Header().Get("WWW-Authenticate") != tc.challenge {
					t.Fatalf("got %d %q, want %d %q", w.Code, w.Header().Get("WWW-Authenticate"), tc.status, tc.challenge)
				}
				if tc.status == 200 {
					if w.Body.String() != "hello svc" {
						t.Fatalf("body %q", w.Body.String())
					}
					return
				}
				wantErrorBody(t, w, tc.code)
			})
		}
	})
	if strings.Contains(e.logs.String(), good[:40]) {
		t.Fatal("a token was logged")
	}
	if !strings.Contains(e.logs.String(), "status=401") {
		t.Fatalf("refusals were not logged: %s", e.logs.String())
	}
}

// tamper flips a bit in the middle of the signature.
func tamper(jwt string) string {
	i := strings.LastIndexByte(jwt, '.')
	sig := []byte(jwt[i+1:])
	sig[len(sig)/2] ^= 1
	return jwt[:i+1] + string(sig)
}

// wantErrorBody: JSON {"error": code} and nothing else.
func wantErrorBody(t *testing.T, w *httptest.ResponseRecorder, code string) {
	t.Helper()
	var body map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || len(body) != 1 || body["error"] != code {
		t.Fatalf("body %q, want {\"error\":%q}", w.Body.String(), code)
	}
	if w.Header().Get("Content-Type") != "application/json" || w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("headers %v", w.Header())
	}
}

func TestBearerExpiredToken(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, apiAud, "rs-secret")
	h := e.handler(t)
	raw := e.token(t, apiAud)
	if w := serveAPI(h, "/", "Bearer "+raw); w.Code != 200 {
		t.Fatalf("fresh token: %d", w.Code)
	}
	e.clock.Advance(time.Hour + time.Second)
	w := serveAPI(h, "/", "Bearer "+raw)
	if w.Code != 401 || w.Header().Get("WWW-Authenticate") != `Bearer realm="api", error="invalid_token"` {
		t.Fatalf("expired token: %d %q", w.Code, w.Header().Get("WWW-Authenticate"))
	}
}

func TestBearerOpaqueToken(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, opaqueAud, "rs-secret")
	h := e.handler(t, "api:read")
	raw := e.token(t, opaqueAud, "api:read")
	for range 2 {
		if w := serveAPI(h, "/", "Bearer "+raw); w.Code != 200 || w.Body.String() != "hello svc" {
			t.Fatalf("%d %q", w.Code, w.Body.String())
		}
	}
	if n := e.op.Count(oidctest.EndpointIntrospection); n != 1 {
		t.Fatalf("%d introspections for 2 requests, want 1", n)
	}
}

// A provider outage is 503 with Retry-After, never 401; a misconfigured
// resource server is 500.
func TestBearerOutage(t *testing.T) {
	t.Parallel()
	down := oidctest.Hooks{Intercept: func(ep oidctest.Endpoint, w http.ResponseWriter, r *http.Request) bool {
		if ep == oidctest.EndpointJWKS || ep == oidctest.EndpointIntrospection {
			w.WriteHeader(http.StatusBadGateway)
			return true
		}
		return false
	}}
	for _, aud := range []string{apiAud, opaqueAud} {
		e := newAPIEnv(t, aud, "rs-secret")
		h := e.handler(t)
		raw := e.token(t, aud)
		e.op.SetHooks(down)
		w := serveAPI(h, "/", "Bearer "+raw)
		if w.Code != 503 || w.Header().Get("Retry-After") == "" || w.Header().Get("WWW-Authenticate") != "" {
			t.Fatalf("%s: %d %v", aud, w.Code, w.Header())
		}
		wantErrorBody(t, w, "temporarily_unavailable")
		if !strings.Contains(e.logs.String(), "level=ERROR") || strings.Contains(e.logs.String(), raw[:20]) {
			t.Fatalf("%s: log %s", aud, e.logs.String())
		}
	}
	e := newAPIEnv(t, opaqueAud, "wrong-secret")
	w := serveAPI(e.handler(t), "/", "Bearer "+e.token(t, opaqueAud))
	if w.Code != 500 {
		t.Fatalf("wrong introspection credentials: %d", w.Code)
	}
	wantErrorBody(t, w, "server_error")
}

func TestBearerConfig(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, apiAud, "rs-secret")
	for name, cfg := range map[string]middleware.BearerConfig{
		"no verifier":      {},
		"quote in realm":   {Verifier: e.v, Realm: `a"b`},
		"newline in realm": {Verifier: e.v, Realm: "a\nb"},
		"space in scope":   {Verifier: e.v, Scopes: []string{"a b"}},
		"empty scope":      {Verifier: e.v, Scopes: []string{""}},
		"quote in scope":   {Verifier: e.v, Scopes: []string{`a"`}},
	} {
		if _, err := middleware.Bearer(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, ok := middleware.BearerFrom(context.Background()); ok {
		t.Error("BearerFrom found a token in an empty context")
	}
	// A custom ErrorHandler gets the status and the code, the challenge is set.
	mw, err := middleware.Bearer(middleware.BearerConfig{Verifier: e.v, Realm: "orders",
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, me *middleware.Error) {
			w.WriteHeader(me.Status)
			w.Write([]byte(me.Message))
		}})
	if err != nil {
		t.Fatal(err)
	}
	w := serveAPI(mw(http.NotFoundHandler()), "/")
	if w.Code != 401 || w.Body.String() != "unauthorized" || w.Header().Get("WWW-Authenticate") != `Bearer realm="orders"` {
		t.Fatalf("%d %q %v", w.Code, w.Body.String(), w.Header())
	}
}
