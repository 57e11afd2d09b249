package oidctest

import (
	"crypto/rand"
	"encoding/base64"
	"time"
)

const (
	// maxEntries bounds each map of codes and tokens; beyond it expired
	// entries are dropped, then arbitrary ones.
	maxEntries = 100_000
	// sweepEvery is how many insertions pass between sweeps of expired entries.
	sweepEvery = 256
	// tokenBytes is the entropy of codes and tokens (RFC 6749 §10.10).
	tokenBytes = 32
)

// grant is one authorization: a user's login at a client. Every token issued
// from one authorization code shares it, so that reuse of the code (RFC 6749
// §4.1.2) or of a rotated refresh token (RFC 9700 §4.14.2) revokes them all.
type grant struct {
	clientID string
	subject  string
	scope    string
	nonce    string
	sid      string
	authTime time.Time
	revoked  bool
}

// authCode is an issued authorization code.
type authCode struct {
	grant       *grant
	redirectURI string
	challenge   string // PKCE S256 code_challenge (RFC 7636 §4.2)
	exp         time.Time
	used        bool
	keepUntil   time.Time // a used code is kept this long to detect reuse
}

// token is an issued access or refresh token.
type token struct {
	grant   *grant
	scope   string
	iat     time.Time
	exp     time.Time
	rotated bool // refresh tokens: exchanged already (single use)
	revoked bool
	// resource is the resource indicator an access token was issued for
	// (RFC 8707), or "".
	resource string
}

// active reports whether t may still be used at now.
func (t *token) active(now time.Time) bool {
	return !t.revoked && !t.grant.revoked && now.Before(t.exp)
}

// store holds codes and tokens. The provider's lock guards it.
type store struct {
	codes   map[string]*authCode
	access  map[string]*token
	refresh map[string]*token
	devices map[string]*deviceAuth   // by device_code (RFC 8628)
	users   map[string]string        // user_code → device_code
	regs    map[string]*registration // by client_id (RFC 7591, RFC 7592)
	inserts int
}

func newStore() *store {
	return &store{
		codes:   make(map[string]*authCode),
		access:  make(map[string]*token),
		refresh: make(map[string]*token),
		devices: make(map[string]*deviceAuth),
		users:   make(map[string]string),
		regs:    make(map[string]*registration),
	}
}

// addCode stores c under a fresh code value and returns it.
func (s *store) addCode(c *authCode, now time.Time) string {
	s.maybeSweep(now)
	v := randomToken(0)
	s.codes[v] = c
	return v
}

// addAccess stores t under a fresh access token value and returns it.
func (s *store) addAccess(t *token, padding int, now time.Time) string {
	s.maybeSweep(now)
	v := randomToken(padding)
	s.access[v] = t
	return v
}

// addRefresh stores t under a fresh refresh token value and returns it.
func (s *store) addRefresh(t *token, padding int, now time.Time) string {
	s.maybeSweep(now)
	v := randomToken(padding)
	s.refresh[v] = t
	return v
}

// activeAccess returns the access token v if it is usable at now.
func (s *store) activeAccess(v string, now time.Time) (*token, bool) {
	t, ok := s.access[v]
	if !ok || !t.active(now) {
		return nil, false
	}
	return t, true
}

// maybeSweep drops expired entries now and then, and keeps maps bounded.
func (s *store) maybeSweep(now time.Time) {
	s.inserts++
	full := len(s.codes) >= maxEntries || len(s.access) >= maxEntries || len(s.refresh) >= maxEntries ||
		len(s.devices) >= maxEntries
	if s.inserts%sweepEvery != 0 && !full {
		return
	}
	s.sweep(now)
	evict(s.codes)
	evict(s.access)
	evict(s.refresh)
	s.evictDevices()
}

// sweep deletes every code and token that can no longer matter.
func (s *store) sweep(now time.Time) {
	for k, c := range s.codes {
		if now.After(c.exp) && now.After(c.keepUntil) {
			delete(s.codes, k)
		}
	}
	s.sweepDevices(now)
	for _, m := range []map[string]*token{s.access, s.refresh} {
		for k, t := range m {
			if !now.Before(t.exp) {
				delete(m, k)
			}
		}
	}
}

// evict removes arbitrary entries until m has room for one more.
func evict[V any](m map[string]V) {
	for k := range m {
		if len(m) < maxEntries {
			return
		}
		delete(m, k)
	}
}

// expireAccess makes every access token expired at now.
func (s *store) expireAccess(now time.Time) {
	past := now.Add(-time.Second)
	for _, t := range s.access {
		if t.exp.After(past) {
			t.exp = past
		}
	}
}

// revokeRefreshOf revokes every refresh token issued to subject.
func (s *store) revokeRefreshOf(subject string) {
	for _, t := range s.refresh {
		if t.grant.subject == subject {
			t.revoked = true
		}
	}
}

// randomToken returns 32 random bytes in base64url (43 characters), padded
// with random base64url characters to length padTo if that is longer.
func randomToken(padTo int) string {
	n := max(tokenBytes, base64.RawURLEncoding.DecodedLen(padTo)+1)
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand documents it)
	s := base64.RawURLEncoding.EncodeToString(b)
	return s[:max(padTo, base64.RawURLEncoding.EncodedLen(tokenBytes))]
}
