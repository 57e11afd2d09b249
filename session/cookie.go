package session

import (
	"errors"
	"fmt"
	"net/http"
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
	// (about 30 KB of tokens).
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
	tokName string
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
	return &CookieStore{cfg: cfg, sealer: sealer, idName: cfg.name(""), tokName: cfg.name("_t")}, nil
}

// Lifetime is the absolute session lifetime the store enforces.
func (c *CookieStore) Lifetime() time.Duration { return c.cfg.Lifetime }

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 8192); return &b }}

// Load decodes the identity cookie. The tokens stay sealed until asked for.
func (c *CookieStore) Load(r *http.Request) (*Session, error) {
	v, ok := cookieValue(r, c.idName)
	if !ok {
		return nil, ErrNoSession
	}
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	plain, err := c.sealer.Open(*bp, v, []byte(c.idName))
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
func (c *CookieStore) loadSecrets(r *http.Request, s *Session) (*secrets, error) {
	var b strings.Builder
	for i := 0; i < c.cfg.MaxCookies; i++ {
		v, ok := cookieValue(r, c.tokName+strconv.Itoa(i))
		if !ok {
			break
		}
		b.WriteString(v)
	}
	if b.Len() == 0 {
		return &secrets{}, nil
	}
	plain, err := c.sealer.Open(nil, b.String(), []byte("secrets:"+s.ID))
	if err != nil {
		return nil, fmt.Errorf("%w: tokens: %w", ErrNoSession, err)
	}
	return decodeSecrets(string(plain))
}

// Save seals s into cookies on w. It writes nothing when s does not fit in
// MaxCookies cookies, so a too-large session never half-replaces a good one.
func (c *CookieStore) Save(w http.ResponseWriter, r *http.Request, s *Session) error {
	maxAge := int(s.Expires.Sub(c.cfg.Now()) / time.Second)
	if maxAge <= 0 {
		return errors.New("loginkit/session: saving an expired session")
	}
	id := c.sealer.Seal(encodeIdentity(nil, s), []byte(c.idName))
	var chunks []string
	if s.dirty {
		sec, err := s.load()
		if err != nil {
			return err
		}
		text := c.sealer.Seal(encodeSecrets(nil, sec), []byte("secrets:"+s.ID))
		if chunks = split(text, chunkSize); len(chunks) > c.cfg.MaxCookies {
			return fmt.Errorf("%w: %d bytes need %d cookies, more than %d", ErrTooLarge, len(text), len(chunks), c.cfg.MaxCookies)
		}
	}
	http.SetCookie(w, c.cfg.cookie(c.idName, id, maxAge))
	if !s.dirty {
		return nil
	}
	for i, ch := range chunks {
		http.SetCookie(w, c.cfg.cookie(c.tokName+strconv.Itoa(i), ch, maxAge))
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
