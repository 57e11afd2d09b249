package oidctest

import (
	"crypto"
	"crypto/hmac"
	_ "crypto/sha256" // registers SHA-256 for crypto.Hash
	_ "crypto/sha512" // registers SHA-384 and SHA-512
	"encoding/base64"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// signIDToken serialises claims as a compact JWS (RFC 7515 §7.1) signed as
// the hooks ask: normally with cur, the current key of kr.
func signIDToken(claims map[string]any, kr *keyring, cur signingKey, h Hooks, clientSecret string) (string, error) {
	key, err := idTokenSigningKey(kr, cur, h, clientSecret)
	if err != nil {
		return "", err
	}
	opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), cur.kid)
	signer, err := jose.NewSigner(key, opts)
	if err != nil {
		return "", err
	}
	return jwt.Signed(signer).Claims(claims).Serialize()
}

// idTokenSigningKey picks the algorithm and key for an ID token.
func idTokenSigningKey(kr *keyring, cur signingKey, h Hooks, clientSecret string) (jose.SigningKey, error) {
	alg := jose.SignatureAlgorithm(h.SignAlg)
	switch {
	case alg == "none":
		return jose.SigningKey{Algorithm: alg, Key: unsecuredSigner{}}, nil
	case strings.HasPrefix(h.SignAlg, "HS"):
		return jose.SigningKey{Algorithm: alg, Key: hmacSigner{key: []byte(clientSecret)}}, nil
	case alg != "":
		return jose.SigningKey{Algorithm: alg, Key: cur.priv}, nil
	case h.BadSignature:
		bad, err := kr.badSigner()
		return jose.SigningKey{Algorithm: cur.alg, Key: bad}, err
	}
	return jose.SigningKey{Algorithm: cur.alg, Key: cur.priv}, nil
}

// idTokenAlg is the JWS algorithm an ID token will carry under the hooks.
func idTokenAlg(cur jose.SignatureAlgorithm, h Hooks) string {
	if h.SignAlg != "" {
		return h.SignAlg
	}
	return string(cur)
}

// hmacSigner is a go-jose OpaqueSigner for HS256/384/512 that, unlike go-jose's
// own, accepts keys shorter than the hash (client secrets are often short):
// it lets a test prove that a client refuses HMAC-signed ID tokens.
type hmacSigner struct{ key []byte }

func (hmacSigner) Public() *jose.JSONWebKey { return nil }

func (hmacSigner) Algs() []jose.SignatureAlgorithm {
	return []jose.SignatureAlgorithm{jose.HS256, jose.HS384, jose.HS512}
}

func (s hmacSigner) SignPayload(payload []byte, alg jose.SignatureAlgorithm) ([]byte, error) {
	h := hashFor(string(alg))
	if h == 0 || alg == "none" {
		return nil, jose.ErrUnsupportedAlgorithm
	}
	mac := hmac.New(h.New, s.key)
	mac.Write(payload)
	return mac.Sum(nil), nil
}

// unsecuredSigner is a go-jose OpaqueSigner producing the empty signature of
// an unsecured JWS with alg "none" (RFC 7518 §3.6).
type unsecuredSigner struct{}

func (unsecuredSigner) Public() *jose.JSONWebKey { return nil }

func (unsecuredSigner) Algs() []jose.SignatureAlgorithm { return []jose.SignatureAlgorithm{"none"} }

func (unsecuredSigner) SignPayload([]byte, jose.SignatureAlgorithm) ([]byte, error) {
	return []byte{}, nil
}

// hashFor returns the hash a JWS algorithm uses, by its size suffix.
func hashFor(alg string) crypto.Hash {
	switch {
	case strings.HasSuffix(alg, "384"):
		return crypto.SHA384
	case strings.HasSuffix(alg, "512"):
		return crypto.SHA512
	case strings.HasSuffix(alg, "256"), alg == "none":
		return crypto.SHA256
	}
	return 0
}

// halfHash computes at_hash (OIDC Core §3.1.3.6): the base64url encoding of
// the left-most half of the hash of the ASCII token, with the hash of the ID
// token's alg.
func halfHash(token, alg string) string {
	h := hashFor(alg)
	if h == 0 {
		h = crypto.SHA256
	}
	sum := h.New()
	sum.Write([]byte(token))
	b := sum.Sum(nil)
	return base64.RawURLEncoding.EncodeToString(b[:len(b)/2])
}
