package bench

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"

	"github.com/loginkit/loginkit/client"
)

// ID-token verification with the keys cached, three ways: loginkit's
// VerifyIDToken (signature through go-oidc, then every claim check of OpenID
// Connect Core §3.1.3.7 and at_hash); go-oidc's own verifier with the
// checks a hand-written relying party adds (nonce, at_hash); and the floor,
// the raw signature check (crypto/rsa VerifyPKCS1v15 or crypto/ecdsa over
// SHA-256 of the signing input), which parses no claim at all.

// idFixture is a verified-once ID token from a real login and the three
// verifiers.
type idFixture struct {
	raw, nonce, access string
	ours               *client.Client
	goOIDC             *oidc.IDTokenVerifier
	key                crypto.PublicKey
}

func newIDFixture(tb testing.TB, alg string) *idFixture {
	tb.Helper()
	ctx := context.Background()
	op := newOP(tb, alg, "http://app.test/callback/op")
	c, err := client.New(client.Provider{Name: "op", Issuer: op.Issuer(), ClientID: "app", ClientSecret: "app-secret",
		RedirectURL: "http://app.test/callback/op", HTTPClient: op.Client()})
	if err != nil {
		tb.Fatal(err)
	}
	authURL, flow, err := c.Begin(ctx, client.BeginOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	resp, err := browser(op).Get(authURL)
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		tb.Fatal(err)
	}
	res, err := c.Callback(ctx, flow, back.Query())
	if err != nil {
		tb.Fatal(err)
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, op.Client()), op.Issuer())
	if err != nil {
		tb.Fatal(err)
	}
	f := &idFixture{raw: res.Tokens.IDToken, nonce: flow.Nonce, access: res.Tokens.AccessToken, ours: c,
		goOIDC: p.Verifier(&oidc.Config{ClientID: "app", SupportedSigningAlgs: []string{alg}})}
	if f.key, err = signingKey(op.Client(), op.Issuer()+"/jwks"); err != nil {
		tb.Fatal(err)
	}
	return f
}

// signingKey fetches the provider's only signing key.
func signingKey(hc *http.Client, jwksURL string) (crypto.PublicKey, error) {
	resp, err := hc.Get(jwksURL)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, err
	}
	if len(set.Keys) != 1 {
		return nil, fmt.Errorf("%d keys in the JWKS", len(set.Keys))
	}
	return set.Keys[0].Key, nil
}

func (f *idFixture) verifyOurs() error {
	_, err := f.ours.VerifyIDToken(context.Background(), f.raw, f.nonce, f.access)
	return err
}

func (f *idFixture) verifyGoOIDC() error {
	idt, err := f.goOIDC.Verify(context.Background(), f.raw)
	if err != nil {
		return err
	}
	if idt.Nonce != f.nonce {
		return errors.New("nonce mismatch")
	}
	if idt.AccessTokenHash != "" {
		return idt.VerifyAccessToken(f.access)
	}
	return nil
}

var errSignature = errors.New("bad signature")

// verifyRaw is the floor: the signature over header.payload, nothing else.
func (f *idFixture) verifyRaw() error {
	i := strings.LastIndexByte(f.raw, '.')
	if i < 0 {
		return errSignature
	}
	sig, err := base64.RawURLEncoding.DecodeString(f.raw[i+1:])
	if err != nil {
		return err
	}
	h := sha256.Sum256([]byte(f.raw[:i]))
	switch k := f.key.(type) {
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(k, crypto.SHA256, h[:], sig)
	case *ecdsa.PublicKey:
		if len(sig) != 64 {
			return errSignature
		}
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		if !ecdsa.Verify(k, h[:], r, s) {
			return errSignature
		}
		return nil
	}
	return fmt.Errorf("key of type %T", f.key)
}

func BenchmarkVerifyIDToken(b *testing.B) {
	for _, alg := range []string{"RS256", "ES256"} {
		f := newIDFixture(b, alg)
		for _, v := range []struct {
			name   string
			verify func() error
		}{{"loginkit", f.verifyOurs}, {"go-oidc", f.verifyGoOIDC}, {"raw", f.verifyRaw}} {
			b.Run(alg+"/"+v.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := v.verify(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// TestVerifyIDToken checks that the three verifiers accept the fixture's
// token and refuse it with one flipped signature bit.
func TestVerifyIDToken(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"RS256", "ES256"} {
		f := newIDFixture(t, alg)
		for name, verify := range map[string]func() error{"loginkit": f.verifyOurs, "go-oidc": f.verifyGoOIDC, "raw": f.verifyRaw} {
			if err := verify(); err != nil {
				t.Errorf("%s %s: %v", alg, name, err)
			}
			good := f.raw
			sig := []byte(good[strings.LastIndexByte(good, '.')+1:])
			sig[len(sig)/2] ^= 1
			f.raw = good[:strings.LastIndexByte(good, '.')+1] + string(sig)
			if err := verify(); err == nil {
				t.Errorf("%s %s: a forged signature verifies", alg, name)
			}
			f.raw = good
		}
	}
}
