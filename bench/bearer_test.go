package bench

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/oidctest"
)

// Bearer-token validation for APIs, with the keys cached. A JWT access
// token (RFC 9068) three ways: loginkit's AccessTokenVerifier (typ, then the
// signature through go-oidc, then iss, aud, exp, nbf, iat, sub, cnf);
// go-oidc's verifier as APIs commonly use it for access tokens
// (SkipClientIDCheck, then a manual aud check); and the floor, the raw
// signature check. An opaque token two ways: loginkit's introspection with
// its cache, and an introspection request per API request (RFC 7662), as a
// hand-written resource server without a cache makes.

// The APIs: one takes JWT access tokens, the other opaque ones.
const (
	benchAPI       = "https://api.bench.test"
	benchOpaqueAPI = "https://opaque.bench.test"
)

// bearerFixture is a provider issuing tokens for benchAPI, a good JWT and
// opaque token, and the verifiers.
type bearerFixture struct {
	op             *oidctest.Server
	jwt, opaque    string
	ours           *client.AccessTokenVerifier // for benchAPI
	oursOpaque     *client.AccessTokenVerifier // for benchOpaqueAPI
	goOIDC         *oidc.IDTokenVerifier
	raw            *idFixture // its verifyRaw over jwt
	introspectURL  string
	introspections func() int
}

func newBearerFixture(tb testing.TB, alg string) *bearerFixture {
	tb.Helper()
	ctx := context.Background()
	op, err := oidctest.NewServer(oidctest.Config{
		Alg: alg,
		Clients: []oidctest.Client{
			{ID: "svc", Secret: "svc-secret", GrantTypes: []string{"client_credentials"}},
			{ID: "api", Secret: "api-secret", GrantTypes: []string{"client_credentials"}},
		},
		Resources: []oidctest.Resource{{Indicator: benchAPI}, {Indicator: benchOpaqueAPI, Opaque: true}},
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(op.Close)
	f := &bearerFixture{op: op, introspectURL: op.Issuer() + "/introspect",
		introspections: func() int { return op.Count(oidctest.EndpointIntrospection) }}
	f.jwt = ccToken(tb, op, benchAPI)
	f.opaque = ccToken(tb, op, benchOpaqueAPI)
	rs, err := client.NewWithoutRedirect(client.Provider{Name: "op", Issuer: op.Issuer(), ClientID: "api",
		ClientSecret: "api-secret", HTTPClient: op.Client()})
	if err != nil {
		tb.Fatal(err)
	}
	if f.ours, err = client.NewAccessTokenVerifier(rs, client.AccessTokenConfig{Audience: benchAPI}); err != nil {
		tb.Fatal(err)
	}
	if f.oursOpaque, err = client.NewAccessTokenVerifier(rs, client.AccessTokenConfig{Audience: benchOpaqueAPI}); err != nil {
		tb.Fatal(err)
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, op.Client()), op.Issuer())
	if err != nil {
		tb.Fatal(err)
	}
	f.goOIDC = p.Verifier(&oidc.Config{SkipClientIDCheck: true, SupportedSigningAlgs: []string{alg}})
	key, err := signingKey(op.Client(), op.Issuer()+"/jwks")
	if err != nil {
		tb.Fatal(err)
	}
	f.raw = &idFixture{raw: f.jwt, key: key}
	return f
}

// ccToken is a client credentials token of svc for resource.
func ccToken(tb testing.TB, op *oidctest.Server, resource string) string {
	tb.Helper()
	c, err := client.NewWithoutRedirect(client.Provider{Name: "svc", Issuer: op.Issuer(), ClientID: "svc",
		ClientSecret: "svc-secret", HTTPClient: op.Client()})
	if err != nil {
		tb.Fatal(err)
	}
	o := client.ClientCredentialsOptions{Scopes: []string{"orders:read"}, Params: url.Values{"resource": {resource}}}
	tok, err := c.ClientCredentials(o).Token(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return tok.AccessToken
}

func (f *bearerFixture) verifyOurs() error {
	_, err := f.ours.Verify(context.Background(), f.jwt)
	return err
}

// verifyGoOIDC is go-oidc used for access tokens: signature, iss, exp, then
// the audience check it leaves to the caller.
func (f *bearerFixture) verifyGoOIDC() error {
	t, err := f.goOIDC.Verify(context.Background(), f.jwt)
	if err != nil {
		return err
	}
	if !slices.Contains(t.Audience, benchAPI) {
		return errors.New("wrong audience")
	}
	return nil
}

func (f *bearerFixture) verifyRaw() error {
	f.raw.raw = f.jwt
	return f.raw.verifyRaw()
}

// introspectOurs checks the opaque token with loginkit: from the cache
// after the first call.
func (f *bearerFixture) introspectOurs() error {
	_, err := f.oursOpaque.Verify(context.Background(), f.opaque)
	return err
}

// introspectEach is one introspection request per API request: POST the
// token with the API's credentials, decode, check active.
func (f *bearerFixture) introspectEach(hc *http.Client) func() error {
	return func() error {
		req, err := http.NewRequest(http.MethodPost, f.introspectURL, strings.NewReader(url.Values{"token": {f.opaque}}.Encode()))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("api", "api-secret")
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var r struct {
			Active bool `json:"active"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
			return err
		}
		if !r.Active {
			return errors.New("inactive")
		}
		return nil
	}
}

func BenchmarkBearer(b *testing.B) {
	for _, alg := range []string{"RS256", "ES256"} {
		f := newBearerFixture(b, alg)
		for _, v := range []struct {
			name   string
			verify func() error
		}{{"loginkit", f.verifyOurs}, {"go-oidc+aud", f.verifyGoOIDC}, {"raw", f.verifyRaw}} {
			b.Run("JWT-"+alg+"/"+v.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := v.verify(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		if alg != "RS256" {
			continue
		}
		for _, v := range []struct {
			name   string
			verify func() error
		}{{"loginkit-cached", f.introspectOurs}, {"per-request", f.introspectEach(f.op.Client())}} {
			b.Run("introspection/"+v.name, func(b *testing.B) {
				b.ReportAllocs()
				before := f.introspections()
				for b.Loop() {
					if err := v.verify(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(f.introspections()-before)/float64(b.N), "introspections/op")
			})
		}
	}
}

// TestBearerFixtures checks that every verifier accepts the fixture's
// tokens and refuses them forged: a flipped signature bit in the JWT, an
// opaque token the provider never issued.
func TestBearerFixtures(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"RS256", "ES256"} {
		f := newBearerFixture(t, alg)
		for name, verify := range map[string]func() error{"loginkit": f.verifyOurs, "go-oidc+aud": f.verifyGoOIDC, "raw": f.verifyRaw} {
			if err := verify(); err != nil {
				t.Errorf("%s %s: %v", alg, name, err)
			}
			good := f.jwt
			i := strings.LastIndexByte(good, '.')
			sig := []byte(good[i+1:])
			sig[len(sig)/2] ^= 1
			f.jwt = good[:i+1] + string(sig)
			if err := verify(); err == nil {
				t.Errorf("%s %s: a forged signature verifies", alg, name)
			}
			f.jwt = good
		}
		for name, verify := range map[string]func() error{"loginkit-cached": f.introspectOurs, "per-request": f.introspectEach(f.op.Client())} {
			if err := verify(); err != nil {
				t.Errorf("%s %s: %v", alg, name, err)
			}
			good := f.opaque
			f.opaque = "forged-" + good
			if err := verify(); err == nil {
				t.Errorf("%s %s: an opaque token nobody issued is accepted", alg, name)
			}
			f.opaque = good
		}
		// loginkit asked the provider once for the good opaque token (then
		// its cache answered) and once for the forged one.
		before := f.introspections()
		for range 10 {
			if err := f.introspectOurs(); err != nil {
				t.Fatal(err)
			}
		}
		if n := f.introspections() - before; n != 0 {
			t.Errorf("%s: %d introspections for 10 cached checks", alg, n)
		}
	}
}
