package session

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// CookieConfig configures a CookieStore.
type CookieConfig struct {
	// Keys encrypt and authenticate the cookies, 32 bytes or more each. The
	// first seals; all open, so a key rotates by being put first.
	Keys [][]byte
	CookieOptions
	// Lifetime is a session's absolute life; default 7 days.
	Lifetime time.Duration
	// MaxCookies bounds the cookies one session may use; default 8
	// (about 22 KB of tokens and profile).
	MaxCookies int
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// CookieStore keeps sessions in the browser: an identity cookie read on every
// request, and the tokens in one or more further cookies ("lk_t0", "lk_t1",
// …) that are decrypted only when a handler asks for them. Every cookie is
// AES-256-GCM sealed and at most MaxCookieBytes long.
type CookieStore struct {
	cfg     CookieConfig
	sealer  *Sealer
	idName  string
	idAD    []byte // idName, as the identity cookie's additional data
	tokName string
	namesOK bool // net/http accepts idName and tokName
}

// NewCookieStore validates cfg and returns the store.
func NewCookieStore(cfg CookieConfig) (*CookieStore, error) {
	sealer, err := NewSealer(cfg.Keys, "session")
	if err != nil {
		return nil, err
	}
	if cfg.Lifetime <= 0 {
		cfg.Lifetime = 7 * 24 * time.Hour
	}
	if cfg.MaxCookies <= 0 {
		cfg.MaxCookies = 8
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	id := cfg.name("")
	tok := cfg.name("_t")
	return &CookieStore{cfg: cfg, sealer: sealer, idName: id, idAD: []byte(id), tokName: tok,
		namesOK: validName(id) && validName(tok+"0")}, nil
}

// Lifetime is the absolute session lifetime the store enforces.
func (c *CookieStore) Lifetime() time.Duration { return c.cfg.Lifetime }

// bufPool holds scratch buffers for opening cookies; a buffer grown for
// large tokens goes back to the pool if it is at most maxPooled bytes.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 8192); return &b }}

const maxPooled = 64 << 10

// Load decodes the identity cookie. The tokens stay sealed until asked for.
func (c *CookieStore) Load(r *http.Request) (*Session, error) {
	v, ok := cookieValue(r, c.idName)
	if !ok {
		return nil, ErrNoSession
	}
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	plain, err := c.sealer.Open(*bp, v, c.idAD)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoSession, err)
	}
	s := &Session{src: c, req: r}
	if err := decodeIdentity(string(plain), s); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoSession, err)
	}
	if !s.Valid(c.cfg.Now()) {
		return nil, ErrNoSession
	}
	return s, nil
}

// loadSecrets joins and opens the token cookies, bound to the session ID.
// One pooled buffer holds, in turn, the plaintext, the joined cookie values
// and the additional data, so only the decoded strings are allocated.
func (c *CookieStore) loadSecrets(r *http.Request, s *Session) (*secrets, error) {
	var vals [8]string
	chunks := vals[:]
	if c.cfg.MaxCookies > len(vals) {
		chunks = make([]string, c.cfg.MaxCookies)
	}
	chunks = cookieChunks(r, c.tokName, chunks[:c.cfg.MaxCookies])
	total := 0
	for _, v := range chunks {
		total += len(v)
	}
	if total == 0 {
		// Save always writes at least one token cookie: none means the
		// browser dropped them (or someone did), not that there are no tokens.
		return nil, fmt.Errorf("%w: token cookies missing", ErrNoSession)
	}
	bp := bufPool.Get().(*[]byte)
	n := base64.RawURLEncoding.DecodedLen(total)
	buf := slices.Grow((*bp)[:0], n+total+len(secretsAD)+len(s.ID))[:n]
	for _, v := range chunks {
		buf = append(buf, v...)
	}
	buf = append(append(buf, secretsAD...), s.ID...)
	plain, err := c.sealer.open(buf[:n], buf[n:n+total], buf[n+total:])
	var sec *secrets
	if err == nil {
		sec, err = decodeSecrets(plain)
	}
	clear(buf[:n]) // the tokens' plaintext
	if cap(buf) <= maxPooled {
		*bp = buf[:0]
	}
	bufPool.Put(bp)
	if err != nil {
		return nil, fmt.Errorf("%w: tokens: %w", ErrNoSession, err)
	}
	return sec, nil
}

// secretsAD prefixes the session ID in the token cookies' additional data,
// binding them to their identity cookie.
const secretsAD = "secrets:"

// Save seals s into cookies on w. It writes nothing when s does not fit in
// MaxCookies cookies, so a too-large session never half-replaces a good one.
func (c *CookieStore) Save(w http.ResponseWriter, r *http.Request, s *Session) error {
	maxAge := int(s.Expires.Sub(c.cfg.Now()) / time.Second)
	if maxAge <= 0 {
		return errors.New("loginkit/session: saving an expired session")
	}
	if !c.namesOK {
		return fmt.Errorf("loginkit/session: invalid cookie name %q", c.idName)
	}
	id := c.sealer.Seal(encodeIdentity(nil, s), c.idAD)
	idLine := c.cfg.sealedLine(c.idName, id, maxAge) // built once to check its size
	if len(idLine) > MaxCookieBytes {
		return fmt.Errorf("%w: identity cookie is %d bytes, more than %d", ErrTooLarge, len(idLine), MaxCookieBytes)
	}
	// The tokens are written when they changed, and when this store's
	// cookies do not hold them yet (a session built by New, by hand, or
	// loaded from another store).
	writeSecrets := s.dirty || s.src != c
	var chunks []string
	if writeSecrets {
		sec, err := s.load()
		if err != nil {
			return err
		}
		ad := append(append(make([]byte, 0, len(secretsAD)+len(s.ID)), secretsAD...), s.ID...)
		text := c.sealer.Seal(encodeSecrets(nil, sec), ad)
		if chunks = split(text, chunkSize); len(chunks) > c.cfg.MaxCookies {
			return fmt.Errorf("%w: %d bytes need %d cookies, more than %d", ErrTooLarge, len(text), len(chunks), c.cfg.MaxCookies)
		}
	}
	w.Header().Add("Set-Cookie", idLine)
	if !writeSecrets {
		return nil
	}
	for i, ch := range chunks {
		w.Header().Add("Set-Cookie", c.cfg.sealedLine(c.tokName+strconv.Itoa(i), ch, maxAge))
	}
	c.deleteChunks(w, r, len(chunks))
	s.dirty = false
	return nil
}

// Delete expires the identity cookie and every token cookie the browser sent.
func (c *CookieStore) Delete(w http.ResponseWriter, r *http.Request) error {
	http.SetCookie(w, c.cfg.cookie(c.idName, "", -1))
	c.deleteChunks(w, r, 0)
	return nil
}

// deleteChunks expires token cookies numbered from keep up.
func (c *CookieStore) deleteChunks(w http.ResponseWriter, r *http.Request, keep int) {
	for _, name := range cookieNames(r, c.tokName) {
		n, err := strconv.Atoi(strings.TrimPrefix(name, c.tokName))
		if err == nil && n >= keep {
			http.SetCookie(w, c.cfg.cookie(name, "", -1))
		}
	}
}

func split(s string, n int) []string {
	var out []string
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	return append(out, s)
}
