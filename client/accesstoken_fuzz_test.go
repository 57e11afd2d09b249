package client_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/oidctest"
)

// FuzzVerifyAccessToken feeds the verifier any token, against an in-memory
// provider that issued one good JWT for the API. It must not panic, and
// whatever it accepts must carry the good token's claims (base64url allows
// a few spellings of the same bytes, so the text may differ).
func FuzzVerifyAccessToken(f *testing.F) {
	g := newGrantsOP(f, func(c *oidctest.Config) {
		c.Resources = []oidctest.Resource{{Indicator: apiAud}}
		c.Clients = append(c.Clients, oidctest.Client{ID: rsID, Secret: rsSec, GrantTypes: []string{"client_credentials"}})
	})
	svc := g.client(f, svcID, svcSecret, "")
	tok, err := svc.ClientCredentials(client.ClientCredentialsOptions{Params: url.Values{"resource": {apiAud}}}).Token(context.Background())
	if err != nil {
		f.Fatal(err)
	}
	good := tok.AccessToken
	v, err := client.NewAccessTokenVerifier(g.client(f, rsID, rsSec, ""), client.AccessTokenConfig{Audience: apiAud, NegativeCacheTTL: -1})
	if err != nil {
		f.Fatal(err)
	}
	want, err := v.Verify(context.Background(), good)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{good, good[:len(good)-2], "x" + good, good + ".x", "opaque", "a.b.c", "eyJhbGciOiJub25lIn0.e30."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := v.Verify(context.Background(), raw)
		if err != nil {
			noToken(t, err, raw)
			return
		}
		if got.JWTID != want.JWTID || got.Subject != want.Subject || got.Issuer != want.Issuer {
			t.Fatalf("accepted %q with claims %+v", raw, got)
		}
	})
}
