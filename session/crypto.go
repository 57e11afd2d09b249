package session

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// MinKeyLen is the shortest session key accepted: 256 bits.
const MinKeyLen = 32

// ErrDecrypt means a value was not made by any configured key, was altered,
// or belongs to another cookie.
var ErrDecrypt = errors.New("loginkit/session: value fails authentication")

// Sealer encrypts and authenticates values with AES-256-GCM under a list of
// keys: the first seals, any opens, so keys rotate by prepending a new one and
// dropping the oldest later. Each key is stretched with HKDF (RFC 5869) per
// purpose, so the same secret never keys two kinds of value.
type Sealer struct {
	aeads []cipher.AEAD
}

// NewSealer derives one AEAD per key for purpose ("session", "flow", …).
func NewSealer(keys [][]byte, purpose string) (*Sealer, error) {
	if len(keys) == 0 {
		return nil, errors.New("loginkit/session: no keys")
	}
	s := &Sealer{}
	for i, k := range keys {
		if len(k) < MinKeyLen {
			return nil, fmt.Errorf("loginkit/session: key %d is %d bytes; need %d or more", i, len(k), MinKeyLen)
		}
		dk, err := hkdf.Key(sha256.New, k, nil, "loginkit v1 "+purpose, 32)
		if err != nil {
			return nil, err
		}
		block, err := aes.NewCipher(dk)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		s.aeads = append(s.aeads, aead)
	}
	return s, nil
}

// Seal encrypts plaintext bound to ad (the cookie's name, the session ID) and
// returns base64url text: nonce ‖ ciphertext ‖ tag.
func (s *Sealer) Seal(plaintext, ad []byte) string {
	a := s.aeads[0]
	ns := a.NonceSize()
	bp := bufPool.Get().(*[]byte)
	buf := slices.Grow((*bp)[:0], ns+len(plaintext)+a.Overhead())[:ns]
	rand.Read(buf)
	buf = a.Seal(buf, buf, plaintext, ad)
	// The text is the one allocation.
	n := base64.RawURLEncoding.EncodedLen(len(buf))
	var sb strings.Builder
	sb.Grow(n)
	writeB64URL(&sb, buf, n)
	if cap(buf) <= maxPooled {
		*bp = buf[:0]
	}
	bufPool.Put(bp)
	return sb.String()
}

// Open reverses Seal. scratch is reused when it holds 2×len(text) bytes, so
// a caller with a pooled buffer opens without allocating; the plaintext
// aliases scratch. It tries each key in order.
func (s *Sealer) Open(scratch []byte, text string, ad []byte) ([]byte, error) {
	n := base64.RawURLEncoding.DecodedLen(len(text))
	if cap(scratch) < n+len(text) {
		scratch = make([]byte, n+len(text))
	}
	scratch = scratch[:n+len(text)]
	src := scratch[n:]
	copy(src, text)
	return s.open(scratch[:n], src, ad)
}

// open decodes the base64url text src into dst, which must not overlap it
// and must hold DecodedLen(len(src)) bytes, then opens it in place.
func (s *Sealer) open(dst, src, ad []byte) ([]byte, error) {
	n, err := decodeB64URL(dst, src)
	if err != nil {
		return nil, ErrDecrypt
	}
	raw := dst[:n]
	for i, a := range s.aeads {
		ns := a.NonceSize()
		if len(raw) < ns+a.Overhead() {
			return nil, ErrDecrypt
		}
		dst := raw[ns:ns] // in place: a failed Open wipes it, so only for the last key
		if i < len(s.aeads)-1 {
			dst = nil
		}
		if out, err := a.Open(dst, raw[:ns], raw[ns:], ad); err == nil {
			return out, nil
		}
	}
	return nil, ErrDecrypt
}
