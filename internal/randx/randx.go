// Package randx makes the unguessable values of a login: state, nonce,
// session IDs.
package randx

import (
	"crypto/rand"
	"encoding/base64"
)

// Token returns n random bytes from crypto/rand, base64url-encoded without
// padding. 32 bytes give the 256 bits DESIGN.md asks of state and session IDs.
// crypto/rand.Read never fails on supported platforms (Go 1.24+).
func Token(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
