package client_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/internal/bounded"
	"github.com/loginkit/loginkit/oidctest"
)

func (e *rsEnv) introspections() int { return e.op.Count(oidctest.EndpointIntrospection) }

func TestIntrospectOpaqueToken(t *testing.T) {
	t.Parallel()
	e := newRS(t, client.AccessTokenConfig{Audience: opaqueAud})
	raw := e.token(t, opaqueAud)
	tok, err := e.v.Verify(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	if !tok.Introspected || tok.ClientID != svcID || tok.Issuer != e.op.Issuer() || !tok.HasScope("api:write") ||
		tok.Audience[0] != opaqueAud || tok.Expiry.IsZero() || len(tok.Raw) == 0 {
		t.Fatalf("claims %+v", tok)
	}
	// AccessTokenIntrospect asks about JWTs too.
	e2 := newRS(t, client.AccessTokenConfig{Format: client.AccessTokenIntrospect})
	if tok, err := e2.v.Verify(context.Background(), e2.token(t, apiAud)); err != nil || !tok.Introspected {
		t.Fatalf("introspected JWT: %+v, %v", tok, err)
	}
}

func TestIntrospectRefusals(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		token  func(e *rsEnv, t *testing.T) string
		reason error
	}{
		{"unknown token", func(*rsEnv, *testing.T) string { return "not-a-token-the-provider-issued" }, client.ErrAccessTokenInactive},
		{"revoked", func(e *rsEnv, t *testing.T) string {
			raw := e.token(t, opaqueAud)
			revoke(t, e, raw)
			return raw
		}, client.ErrAccessTokenInactive},
		{"expired", func(e *rsEnv, t *testing.T) string {
			raw := e.token(t, opaqueAud)
			e.op.ExpireAccessTokens()
			return raw
		}, client.ErrAccessTokenInactive},
		{"another API's opaque token", func(e *rsEnv, t *testing.T) string { return e.token(t, "") }, client.ErrAccessTokenAudience},
		{"a refresh token", func(e *rsEnv, t *testing.T) string { _, rt := e.idAndRefreshToken(t); return rt }, client.ErrAccessTokenType},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newRS(t, client.AccessTokenConfig{Audience: opaqueAud})
			raw := tc.token(e, t)
			tok, err := e.v.Verify(context.Background(), raw)
			wantRefused(t, tok, err, tc.reason, raw)
			if n := e.introspections(); n != 1 {
				t.Fatalf("%d introspections, want 1", n)
			}
		})
	}
}

// revoke revokes raw as the client it was issued to (RFC 7009).
func revoke(t *testing.T, e *rsEnv, raw string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.op.Issuer()+"/revoke", strings.NewReader("token="+raw))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(svcID, svcSecret)
	resp, err := e.op.Client().Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke: %v %v", resp, err)
	}
	resp.Body.Close()
}

// interceptIntrospection makes the introspection endpoint run f instead.
func interceptIntrospection(f func(w http.ResponseWriter, r *http.Request)) oidctest.Hooks {
	return oidctest.Hooks{Intercept: func(e oidctest.Endpoint, w http.ResponseWriter, r *http.Request) bool {
		if e != oidctest.EndpointIntrospection {
			return false
		}
		f(w, r)
		return true
	}}
}

type hangStopKey struct{}

// hangStop is closed when the test that set the hanging handler ends: a
// handler that waits for the client to go away must not outlive its test,
// whether or not the server noticed the client leave.
func hangStop(r *http.Request) <-chan struct{} {
	c, _ := r.Context().Value(hangStopKey{}).(<-chan struct{})
	return c
}

// When the provider cannot answer, the token is neither accepted nor
// refused, and the outcome is not cached.
func TestIntrospectOutages(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		handler func(w http.ResponseWriter, r *http.Request)
		reason  error
	}{
		{"hangs", func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body) // the server notices a closed connection only once the body is read
			select {
			case <-r.Context().Done():
			case <-hangStop(r): // the test is over: let the server close
			}
		}, context.DeadlineExceeded},
		{"20 MB answer", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"active":true,"pad":"`))
			w.Write([]byte(strings.Repeat("a", 20<<20)))
		}, bounded.ErrTooLarge},
		{"500", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }, client.ErrIntrospection},
		{"not JSON", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>")) }, client.ErrProviderResponse},
		{"active as a string", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"active":"true"}`)) }, client.ErrProviderResponse},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			timeout := 5 * time.Second
			if tc.reason == context.DeadlineExceeded {
				timeout = 200 * time.Millisecond
			}
			e := newRS(t, client.AccessTokenConfig{Audience: opaqueAud}, func(p *client.Provider) { p.Timeout = timeout })
			raw := e.token(t, opaqueAud)
			stop := make(chan struct{})
			t.Cleanup(func() { close(stop) }) // runs before newRS's cleanups close the provider
			e.op.SetHooks(interceptIntrospection(func(w http.ResponseWriter, r *http.Request) {
				tc.handler(w, r.WithContext(context.WithValue(r.Context(), hangStopKey{}, (<-chan struct{})(stop))))
			}))
			tok, err := e.v.Verify(context.Background(), raw)
			if tok != nil || !errors.Is(err, client.ErrIntrospection) || !errors.Is(err, tc.reason) || errors.Is(err, client.ErrInvalidAccessToken) {
				t.Fatalf("got %v, %v; want ErrIntrospection and %v", tok, err, tc.reason)
			}
			noToken(t, err, raw)
			e.op.SetHooks(oidctest.Hooks{})
			if _, err := e.v.Verify(context.Background(), raw); err != nil {
				t.Fatalf("after the outage: %v", err)
			}
		})
	}
}

// The resource server's own credentials are refused: a configuration
// mistake, not the caller's.
func TestIntrospectWrongCredentials(t *testing.T) {
	t.Parallel()
	e := newRS(t, client.AccessTokenConfig{Audience: opaqueAud}, func(p *client.Provider) { p.ClientSecret = "wrong" })
	_, err := e.v.Verify(context.Background(), e.token(t, opaqueAud))
	var pe *client.ProviderError
	if !errors.As(err, &pe) || pe.Code != "invalid_client" || errors.Is(err, client.ErrInvalidAccessToken) {
		t.Fatalf("err = %v", err)
	}
}

func TestIntrospectCache(t *testing.T) {
	t.Parallel()
	e := newRS(t, client.AccessTokenConfig{Audience: opaqueAud, CacheTTL: 30 * time.Second, NegativeCacheTTL: 5 * time.Second})
	ctx := context.Background()
	raw := e.token(t, opaqueAud)
	for range 3 {
		if _, err := e.v.Verify(ctx, raw); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.introspections(); n != 1 {
		t.Fatalf("%d introspections for 3 calls within CacheTTL, want 1", n)
	}
	// A revoked token is still accepted from the cache until CacheTTL ends…
	revoke(t, e, raw)
	e.clk.Advance(29 * time.Second)
	if _, err := e.v.Verify(ctx, raw); err != nil {
		t.Fatal(err)
	}
	// … then asked about again, and refused.
	e.clk.Advance(time.Second)
	tok, err := e.v.Verify(ctx, raw)
	wantRefused(t, tok, err, client.ErrAccessTokenInactive, raw)
	if n := e.introspections(); n != 2 {
		t.Fatalf("%d introspections, want 2", n)
	}
	// Refusals are cached for NegativeCacheTTL.
	e.clk.Advance(4 * time.Second)
	if _, err := e.v.Verify(ctx, raw); !errors.Is(err, client.ErrAccessTokenInactive) {
		t.Fatal(err)
	}
	if n := e.introspections(); n != 2 {
		t.Fatalf("a refusal was not cached: %d introspections", n)
	}
	e.clk.Advance(time.Second)
	e.v.Verify(ctx, raw)
	if n := e.introspections(); n != 3 {
		t.Fatalf("a refusal was cached past NegativeCacheTTL: %d introspections", n)
	}
}

// A token is never served from the cache past its own exp, however long
// CacheTTL.
func TestIntrospectCacheBoundedByExpiry(t *testing.T) {
	t.Parallel()
	e := newRS(t, client.AccessTokenConfig{Audience: opaqueAud, CacheTTL: 24 * time.Hour})
	raw := e.token(t, opaqueAud) // lives 1 h
	if _, err := e.v.Verify(context.Background(), raw); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(time.Hour)
	tok, err := e.v.Verify(context.Background(), raw)
	wantRefused(t, tok, err, client.ErrAccessTokenInactive, raw)
	if n := e.introspections(); n != 2 {
		t.Fatalf("%d introspections, want 2", n)
	}
}

// Concurrent callers presenting one token share one introspection request.
func TestIntrospectConcurrentCallersShareOneRequest(t *testing.T) {
	t.Parallel()
	e := newRS(t, client.AccessTokenConfig{Audience: opaqueAud})
	raw := e.token(t, opaqueAud)
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	e.op.SetHooks(oidctest.Hooks{Intercept: func(ep oidctest.Endpoint, w http.ResponseWriter, r *http.Request) bool {
		if ep == oidctest.EndpointIntrospection {
			once.Do(func() { close(entered) })
			<-release
		}
		return false
	}})
	const n = 50
	var started, done sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		started.Add(1)
		done.Go(func() {
			started.Done()
			_, err := e.v.Verify(context.Background(), raw)
			errs <- err
		})
	}
	started.Wait()
	<-entered
	close(release)
	done.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := e.introspections(); got != 1 {
		t.Fatalf("%d introspections for %d concurrent callers, want 1", got, n)
	}
}

// A caller whose context ends stops waiting; the others still get the
// answer.
func TestIntrospectCallerCancels(t *testing.T) {
	t.Parallel()
	e := newRS(t, client.AccessTokenConfig{Audience: opaqueAud})
	if _, err := e.v.Verify(context.Background(), e.token(t, opaqueAud)); err != nil { // discovery done
		t.Fatal(err)
	}
	raw := e.token(t, opaqueAud)
	release := make(chan struct{})
	e.op.SetHooks(oidctest.Hooks{Intercept: func(ep oidctest.Endpoint, w http.ResponseWriter, r *http.Request) bool {
		if ep == oidctest.EndpointIntrospection {
			<-release
		}
		return false
	}})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.v.Verify(ctx, raw); !errors.Is(err, context.Canceled) || !errors.Is(err, client.ErrIntrospection) {
		t.Fatalf("cancelled caller: %v", err)
	}
	close(release)
	if _, err := e.v.Verify(context.Background(), raw); err != nil {
		t.Fatal(err)
	}
	if got := e.introspections(); got != 2 {
		t.Fatalf("%d introspections, want 2 (one for the warm-up, one shared)", got)
	}
}

// The cache holds at most CacheSize tokens.
func TestIntrospectCacheSize(t *testing.T) {
	t.Parallel()
	e := newRS(t, client.AccessTokenConfig{Audience: opaqueAud, CacheSize: 2})
	ctx := context.Background()
	a, b, c := e.token(t, opaqueAud), e.token(t, opaqueAud), e.token(t, opaqueAud)
	for _, raw := range []string{a, b, a, c, a} { // c evicts b, the least recently used
		if _, err := e.v.Verify(ctx, raw); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.introspections(); got != 3 {
		t.Fatalf("%d introspections, want 3", got)
	}
	e.v.Verify(ctx, b)
	if got := e.introspections(); got != 4 {
		t.Fatalf("b was not evicted: %d introspections", got)
	}
}

// AccessTokenAuto refuses an opaque token outright when the provider has
// no introspection endpoint.
func TestVerifyOpaqueWithoutIntrospectionEndpoint(t *testing.T) {
	t.Parallel()
	e := newRS(t, client.AccessTokenConfig{})
	e.op.SetHooks(oidctest.Hooks{Intercept: func(ep oidctest.Endpoint, w http.ResponseWriter, r *http.Request) bool {
		if ep != oidctest.EndpointDiscovery {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"issuer":"` + e.op.Issuer() + `","authorization_endpoint":"` + e.op.Issuer() + `/authorize",` +
			`"token_endpoint":"` + e.op.Issuer() + `/token","jwks_uri":"` + e.op.Issuer() + `/jwks"}`))
		return true
	}})
	tok, err := e.v.Verify(context.Background(), "opaque-value")
	wantRefused(t, tok, err, client.ErrMalformedAccessToken, "opaque-value")
}

// TestIntrospectUntyped: an answer with neither token_type nor aud (how
// panva's oidc-provider describes a refresh token) is refused, unless the
// verifier is told to accept it.
func TestIntrospectUntyped(t *testing.T) {
	t.Parallel()
	for _, insecure := range []bool{false, true} {
		t.Run(fmt.Sprintf("insecure=%v", insecure), func(t *testing.T) {
			t.Parallel()
			e := newRS(t, client.AccessTokenConfig{Audience: opaqueAud, InsecureUntypedIntrospection: insecure})
			raw := e.token(t, opaqueAud)
			e.op.SetHooks(interceptIntrospection(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(`{"active":true,"sub":"ada","client_id":"svc","scope":"api:read","exp":` +
					strconv.FormatInt(e.clk.Now().Add(time.Hour).Unix(), 10) + `}`))
			}))
			tok, err := e.v.Verify(context.Background(), raw)
			if insecure {
				if err != nil || tok.Subject != "ada" {
					t.Fatalf("got %v, %v; want ada accepted", tok, err)
				}
				return
			}
			if tok != nil || !errors.Is(err, client.ErrAccessTokenType) || !errors.Is(err, client.ErrInvalidAccessToken) {
				t.Fatalf("got %v, %v; want ErrAccessTokenType", tok, err)
			}
			noToken(t, err, raw)
		})
	}
}
