package oidctest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"sync"

	jose "github.com/go-jose/go-jose/v4"
)

// maxOldKeys bounds how many retired keys RotateKeys keeps in the JWKS.
const maxOldKeys = 8

// signingKey is one asymmetric key pair with its JWS algorithm and key ID.
type signingKey struct {
	kid  string
	alg  jose.SignatureAlgorithm
	priv crypto.Signer
}

// keyring holds the current signing key, retired keys still published in the
// JWKS, and an unpublished key for Hooks.BadSignature.
type keyring struct {
	alg     jose.SignatureAlgorithm
	current signingKey
	old     []signingKey
	badOnce sync.Once // generates bad on first use
	bad     crypto.Signer
	badErr  error
}

// newKeyring generates a first key for alg ("RS256" or "ES256").
func newKeyring(alg string) (*keyring, error) {
	kr := &keyring{alg: jose.SignatureAlgorithm(alg)}
	k, err := kr.generate()
	if err != nil {
		return nil, err
	}
	kr.current = k
	return kr, nil
}

// generate makes a key for the ring's algorithm with a fresh random kid.
func (kr *keyring) generate() (signingKey, error) {
	priv, err := generatePrivateKey(kr.alg)
	if err != nil {
		return signingKey{}, err
	}
	return signingKey{kid: randomKID(), alg: kr.alg, priv: priv}, nil
}

// generatePrivateKey makes an RSA 2048 key for RS256 or a P-256 key for ES256.
func generatePrivateKey(alg jose.SignatureAlgorithm) (crypto.Signer, error) {
	switch alg {
	case jose.RS256:
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, fmt.Errorf("oidctest: generating RSA key: %w", err)
		}
		return k, nil
	case jose.ES256:
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("oidctest: generating EC key: %w", err)
		}
		return k, nil
	}
	return nil, errBadAlg
}

func randomKID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // never fails (crypto/rand documents it)
	return base64.RawURLEncoding.EncodeToString(b)
}

// rotate replaces the current key; the old one stays published iff keepOld.
func (kr *keyring) rotate(next signingKey, keepOld bool) {
	if keepOld {
		kr.old = append([]signingKey{kr.current}, kr.old...)
		kr.old = kr.old[:min(len(kr.old), maxOldKeys)]
	} else {
		kr.old = nil
	}
	kr.current = next
}

// published returns the keys listed in the JWKS, current first.
func (kr *keyring) published() []signingKey {
	return append([]signingKey{kr.current}, kr.old...)
}

// badSigner returns the unpublished key, generating it on first use. It is
// safe to call without the provider's lock.
func (kr *keyring) badSigner() (crypto.Signer, error) {
	kr.badOnce.Do(func() { kr.bad, kr.badErr = generatePrivateKey(kr.alg) })
	return kr.bad, kr.badErr
}

// jwks returns the public key set (RFC 7517 §5) with kid, use and alg.
func (kr *keyring) jwks() jose.JSONWebKeySet {
	var set jose.JSONWebKeySet
	for _, k := range kr.published() {
		set.Keys = append(set.Keys, k.publicJWK())
	}
	return set
}

func (k signingKey) publicJWK() jose.JSONWebKey {
	return jose.JSONWebKey{Key: k.priv.Public(), KeyID: k.kid, Algorithm: string(k.alg), Use: "sig"}
}

// RotateKeys makes a new signing key with a new kid and signs ID tokens with
// it from now on. The previous key stays in the JWKS iff keepOld (up to 8
// retired keys are kept), which lets a test check both a graceful rollover
// and a client's refetch of the JWKS on an unknown kid.
func (p *Provider) RotateKeys(keepOld bool) error {
	p.mu.Lock()
	kr := p.keys
	p.mu.Unlock()
	next, err := kr.generate() // slow for RSA: outside the lock
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keys.rotate(next, keepOld)
	return nil
}
