package providers

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Limits of Sign in with Apple client secrets.
const (
	// AppleMaxSecretLifetime is the longest life Apple accepts: "not greater
	// than 15777000 (6 months in seconds) from the Current UNIX Time".
	AppleMaxSecretLifetime = 15777000 * time.Second
	// DefaultAppleSecretLifetime is what AppleSecret signs for by default.
	DefaultAppleSecretLifetime = time.Hour
)

// AppleSecretConfig names the key that signs Sign in with Apple client
// secrets. All of it comes from the Apple Developer account: Certificates,
// Identifiers & Profiles → Keys (a key with "Sign in with Apple" enabled).
type AppleSecretConfig struct {
	TeamID     string // 10-character Team ID: the JWT's iss
	KeyID      string // 10-character Key ID: the JWT header's kid
	ClientID   string // the Services ID: the JWT's sub
	PrivateKey []byte // the downloaded AuthKey_<KeyID>.p8 (PKCS #8 PEM, P-256)
	// Audience is the JWT's aud; default https://appleid.apple.com.
	Audience string
	// Lifetime of each secret; default 1 hour, at most 6 months.
	Lifetime time.Duration
	Now      func() time.Time // default time.Now
}

// AppleSecret makes the client secret Sign in with Apple wants at its token
// and revocation endpoints: a JWT signed with ES256 by the developer's key,
// {"iss": team, "sub": client, "aud": "https://appleid.apple.com", "iat",
// "exp"}, with the key ID in the header. It keeps the current secret and
// signs a new one when less than a fifth of its life is left. It is safe for
// concurrent use; Secret is a client.SecretFunc.
//
// See https://developer.apple.com/documentation/sign_in_with_apple/generate_and_validate_tokens
// ("Creating the client secret").
type AppleSecret struct {
	cfg    AppleSecretConfig
	signer jose.Signer

	mu      sync.Mutex
	current string
	expires time.Time
}

// NewAppleSecret parses the .p8 key and checks the configuration.
func NewAppleSecret(c AppleSecretConfig) (*AppleSecret, error) {
	const name = "apple"
	if err := required(name, field{"TeamID", c.TeamID}, field{"KeyID", c.KeyID}, field{"ClientID", c.ClientID}); err != nil {
		return nil, err
	}
	if c.Lifetime == 0 {
		c.Lifetime = DefaultAppleSecretLifetime
	}
	if c.Lifetime < time.Minute || c.Lifetime > AppleMaxSecretLifetime {
		return nil, configError(name, "secret Lifetime %s: want 1 minute to 6 months", c.Lifetime)
	}
	c.Audience = or(c.Audience, "https://appleid.apple.com")
	if c.Now == nil {
		c.Now = time.Now
	}
	key, err := parseAppleKey(c.PrivateKey)
	if err != nil {
		return nil, configError(name, "PrivateKey: %v", err)
	}
	opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), c.KeyID)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, opts)
	if err != nil {
		return nil, configError(name, "PrivateKey: %v", err)
	}
	return &AppleSecret{cfg: c, signer: signer}, nil
}

// parseAppleKey reads the PKCS #8 PEM of a .p8 file and requires a P-256
// ECDSA key, the only kind ES256 signs with.
func parseAppleKey(p8 []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(p8)
	if block == nil {
		return nil, errors.New("not PEM (want the contents of the .p8 file)")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("not a PKCS #8 key: %v", err)
	}
	ec, ok := k.(*ecdsa.PrivateKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, errors.New("not a P-256 ECDSA key")
	}
	return ec, nil
}

// Secret returns a valid client secret, signing a new one when the current
// one is within a fifth of its lifetime of expiring.
func (s *AppleSecret) Secret(context.Context) (string, error) {
	now := s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current != "" && now.Before(s.expires.Add(-s.cfg.Lifetime/5)) {
		return s.current, nil
	}
	exp := now.Add(s.cfg.Lifetime)
	tok, err := jwt.Signed(s.signer).Claims(jwt.Claims{
		Issuer: s.cfg.TeamID, Subject: s.cfg.ClientID, Audience: jwt.Audience{s.cfg.Audience},
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(exp),
	}).Serialize()
	if err != nil {
		return "", fmt.Errorf("signing the Apple client secret: %w", err)
	}
	s.current, s.expires = tok, exp
	return tok, nil
}
