package session

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/loginkit/loginkit/internal/randx"
)

// ErrUnavailable means the session store could not be reached or did not
// answer in time: nothing is known about the session, which is not ended.
// middleware answers 503 for it, never a sign-in redirect.
var ErrUnavailable = errors.New("loginkit/session: the session store is unavailable")

// Locker takes short-lived locks shared by every process that uses the
// store. middleware uses it so that one refresh token is refreshed once
// across instances.
type Locker interface {
	// Lock tries to take the lock called name for ttl, without waiting: ok
	// is false while another holder has it. The lock lapses after ttl if it
	// is never released (its holder died). release frees it only while this
	// taker still holds it, so a late release never frees someone else's.
	Lock(ctx context.Context, name string, ttl time.Duration) (release func(context.Context) error, ok bool, err error)
}

// ServerStore is a Store that keeps sessions on the server, shared by every
// process that uses it; the browser holds only an opaque session ID.
// MemoryStore and RedisStore implement it; middleware uses it for refreshes
// across instances and for back-channel and front-channel logout.
type ServerStore interface {
	Store
	Locker
	// Get reads the session with this ID, as Load does for a request.
	Get(ctx context.Context, id string) (*Session, error)
	// Update writes s if its session still exists, else it returns
	// ErrNoSession: a session ended elsewhere (a logout) is never revived.
	Update(ctx context.Context, s *Session) error
	// DeleteID ends the session with this ID; the ID never works again.
	DeleteID(ctx context.Context, id string) error
	// DeleteUser ends every session of a provider's user and returns how
	// many there were.
	DeleteUser(ctx context.Context, provider, subject string) (int, error)
	// DeleteProviderSession ends every session signed in through the
	// provider's session sid (the ID token's sid claim).
	DeleteProviderSession(ctx context.Context, provider, sid string) (int, error)
	// FirstUse records a one-time value (a logout token's jti) for ttl and
	// reports whether this was its first use.
	FirstUse(ctx context.Context, key string, ttl time.Duration) (bool, error)
}

// record is a session as a backend keeps it: identity and secrets sealed
// separately (so Require opens only the identity), the absolute end, and
// the indexes the session is listed in.
type record struct {
	identity, secrets string
	expires           time.Time
	indexes           []string
}

// backend is where a serverStore keeps records: Redis or memory. Every
// method applies the same rules, which the conformance suite checks.
type backend interface {
	// get returns the record under key, unless it is past its absolute end
	// or idle for idle at now, and marks it used at now (sliding expiry;
	// a backend may leave uses closer than a documented step to the last
	// recorded one unrecorded). A missing record is ErrNoSession.
	get(ctx context.Context, key string, now time.Time, idle time.Duration) (record, error)
	// put writes rec under key and lists it in rec.indexes. With create it
	// writes only a new key, without it only an existing one; ok reports
	// whether it wrote.
	put(ctx context.Context, key string, rec record, create bool, now time.Time, idle time.Duration) (ok bool, err error)
	// del removes the record under key and its index entries.
	del(ctx context.Context, key string) error
	// delIndex removes every record listed in index, and the index.
	delIndex(ctx context.Context, index string) (int, error)
	lock(ctx context.Context, key, token string, ttl time.Duration) (bool, error)
	unlock(ctx context.Context, key, token string) error
	once(ctx context.Context, key string, ttl time.Duration) (bool, error)
}

// serverStore is the part of MemoryStore and RedisStore above the backend:
// the cookie, sealing, and expiry rules.
type serverStore struct {
	be      backend
	sealer  *Sealer // records at rest
	idSeal  *Sealer // the session ID in the cookie
	opts    CookieOptions
	name    string
	nameAD  []byte
	idle    time.Duration
	timeout time.Duration
	local   bool // the backend is this process's memory: no call to time out
	now     func() time.Time
	cache   nearCacher // nil: none; Load reads through it, nothing else does
}

// nearCacher is a backend with a near cache (RedisStore's).
type nearCacher interface {
	// cached returns the cached record under key if it may be served at
	// now, by the rules of get; it does no I/O.
	cached(key string, now time.Time, idle time.Duration) (record, bool)
	// getCaching is get, caching what it read when that is safe.
	getCaching(ctx context.Context, key string, now time.Time, idle time.Duration) (record, error)
}

// serverConfig is what MemoryConfig and RedisConfig share.
type serverConfig struct {
	keys    [][]byte
	opts    CookieOptions
	idle    time.Duration
	timeout time.Duration
	now     func() time.Time
}

// Defaults of the server stores.
const (
	DefaultIdleTimeout = 24 * time.Hour
	defaultTimeout     = 2 * time.Second
)

func newServerStore(be backend, c serverConfig) (*serverStore, error) {
	sealer, err := NewSealer(c.keys, "server session")
	if err != nil {
		return nil, err
	}
	idSeal, err := NewSealer(c.keys, "server session id")
	if err != nil {
		return nil, err
	}
	if c.idle <= 0 {
		c.idle = DefaultIdleTimeout
	}
	if c.timeout <= 0 {
		c.timeout = defaultTimeout
	}
	if c.now == nil {
		c.now = time.Now
	}
	name := c.opts.name("")
	_, local := be.(*memBackend)
	return &serverStore{be: be, sealer: sealer, idSeal: idSeal, opts: c.opts, name: name, nameAD: []byte(name),
		idle: c.idle, timeout: c.timeout, local: local, now: c.now}, nil
}

// IdleTimeout is how long a session lives unused; each use restarts it.
func (st *serverStore) IdleTimeout() time.Duration { return st.idle }

// storeKey names a session in the backend: a hash of its ID, so that
// whoever reads the backend cannot present its keys as cookies.
func storeKey(id string) string {
	var b [2 + 43]byte // "s:" and 32 bytes in base64url: one allocation per request
	return string(appendHash(append(b[:0], "s:"...), id))
}

func hashName(parts ...string) string { return string(appendHash(nil, parts...)) }

// appendHash appends base64url(SHA-256(part₀ 0 part₁ 0 …)) to dst, hashing
// from the stack when the parts are short (a session ID is 43 bytes).
func appendHash(dst []byte, parts ...string) []byte {
	var stack [128]byte
	in := stack[:0]
	for _, p := range parts {
		in = append(append(in, p...), 0)
	}
	sum := sha256.Sum256(in)
	return base64.RawURLEncoding.AppendEncode(dst, sum[:])
}

func userIndex(provider, subject string) string { return "u:" + hashName(provider, subject) }
func sidIndex(provider, sid string) string      { return "p:" + hashName(provider, sid) }

func indexesOf(s *Session) []string {
	idx := []string{userIndex(s.User.Provider, s.User.Subject)}
	if s.User.SessionID != "" {
		idx = append(idx, sidIndex(s.User.Provider, s.User.SessionID))
	}
	return idx
}

// maxIDCookie bounds the cookie value opened: a sealed ID is 95 characters.
const maxIDCookie = 256

// cookieID opens the session ID the request's cookie carries.
func (st *serverStore) cookieID(r *http.Request) (string, error) {
	v, ok := cookieValue(r, st.name)
	if !ok || v == "" {
		return "", ErrNoSession
	}
	if len(v) > maxIDCookie {
		return "", fmt.Errorf("%w: %w", ErrNoSession, ErrDecrypt)
	}
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	id, err := st.idSeal.Open(*bp, v, st.nameAD)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrNoSession, err)
	}
	return string(id), nil
}

// Load reads the session whose ID the request's cookie carries, and
// restarts its idle timeout. The tokens stay sealed until asked for.
func (st *serverStore) Load(r *http.Request) (*Session, error) {
	id, err := st.cookieID(r)
	if err != nil {
		return nil, err
	}
	s, err := st.get(r.Context(), id, true)
	if s != nil {
		s.req = r
	}
	return s, err
}

// Get implements ServerStore. It always reads the backend, never a near
// cache: middleware's refresh relies on it for the store's truth.
func (st *serverStore) Get(ctx context.Context, id string) (*Session, error) {
	return st.get(ctx, id, false)
}

// get reads the session with this ID; Load's reads (viaCache) go through
// the near cache, if any.
func (st *serverStore) get(ctx context.Context, id string, viaCache bool) (*Session, error) {
	key := storeKey(id)
	now := st.now()
	rec, err := st.fetch(ctx, key, now, viaCache && st.cache != nil)
	if err != nil {
		return nil, err
	}
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	plain, err := st.sealer.Open(*bp, rec.identity, []byte("identity "+key))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoSession, err)
	}
	s := &Session{}
	if err := decodeIdentity(string(plain), s); err != nil || s.ID != id {
		return nil, fmt.Errorf("%w: %w", ErrNoSession, errCodec)
	}
	if !s.Valid(now) {
		return nil, ErrNoSession
	}
	s.src = &storedSecrets{st: st, key: key, text: rec.secrets}
	return s, nil
}

// fetch reads the record under key from the near cache (when viaCache) or
// the backend.
func (st *serverStore) fetch(ctx context.Context, key string, now time.Time, viaCache bool) (record, error) {
	if viaCache {
		if rec, ok := st.cache.cached(key, now, st.idle); ok {
			return rec, nil
		}
	}
	if !st.local { // a timer per request is most of what a memory Load costs
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, st.timeout)
		defer cancel()
	}
	if viaCache {
		return st.cache.getCaching(ctx, key, now, st.idle)
	}
	return st.be.get(ctx, key, now, st.idle)
}

// storedSecrets are a loaded session's sealed tokens, opened on first use.
type storedSecrets struct {
	st   *serverStore
	key  string
	text string
}

func (ss *storedSecrets) loadSecrets(_ *http.Request, _ *Session) (*secrets, error) {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	plain, err := ss.st.sealer.Open(*bp, ss.text, []byte("secrets "+ss.key))
	if err != nil {
		return nil, fmt.Errorf("%w: tokens: %w", ErrNoSession, err)
	}
	sec, err := decodeSecrets(plain)
	clear(plain) // the tokens' plaintext, in the pooled buffer
	if err != nil {
		return nil, fmt.Errorf("%w: tokens: %w", ErrNoSession, err)
	}
	return sec, nil
}

// Save writes s. A new session (from New, or from another store) is created
// and its sealed ID set as the cookie; a loaded one is updated in place,
// and only while it still exists (ErrNoSession once it was deleted).
func (st *serverStore) Save(w http.ResponseWriter, r *http.Request, s *Session) error {
	created, err := st.put(r.Context(), s, false)
	if err != nil || !created {
		return err
	}
	maxAge := int(s.Expires.Sub(st.now()) / time.Second)
	http.SetCookie(w, st.opts.cookie(st.name, st.idSeal.Seal([]byte(s.ID), st.nameAD), max(maxAge, 1)))
	return nil
}

// Update implements ServerStore.
func (st *serverStore) Update(ctx context.Context, s *Session) error {
	_, err := st.put(ctx, s, true)
	return err
}

// put creates or updates s's record; created reports which it did. A
// session this store loaded is only ever updated; another is created,
// unless updateOnly.
func (st *serverStore) put(ctx context.Context, s *Session, updateOnly bool) (created bool, err error) {
	now := st.now()
	if !s.Valid(now) {
		return false, errors.New("loginkit/session: saving an expired session")
	}
	key := storeKey(s.ID)
	ss, mine := s.src.(*storedSecrets)
	mine = mine && ss.st == st && ss.key == key
	rec, err := st.seal(s, key, mine)
	if err != nil {
		return false, err
	}
	create := !mine && !updateOnly
	ctx, cancel := context.WithTimeout(ctx, st.timeout)
	defer cancel()
	ok, err := st.be.put(ctx, key, rec, create, now, st.idle)
	switch {
	case err != nil:
		return false, err
	case !ok && create:
		return false, errors.New("loginkit/session: session ID already in use")
	case !ok:
		return false, fmt.Errorf("%w: it ended while in use", ErrNoSession)
	}
	s.src, s.dirty = &storedSecrets{st: st, key: key, text: rec.secrets}, false
	return create, nil
}

// seal makes s's record: the identity sealed afresh, the secrets too unless
// they are this store's and unchanged. Each is bound to the session's key.
func (st *serverStore) seal(s *Session, key string, mine bool) (record, error) {
	rec := record{
		identity: st.sealer.Seal(encodeIdentity(nil, s), []byte("identity "+key)),
		expires:  s.Expires, indexes: indexesOf(s),
	}
	if mine && !s.dirty {
		rec.secrets = s.src.(*storedSecrets).text
		return rec, nil
	}
	sec, err := s.load()
	if err != nil {
		return record{}, err
	}
	rec.secrets = st.sealer.Seal(encodeSecrets(nil, sec), []byte("secrets "+key))
	return rec, nil
}

// Delete ends the request's session for good and expires its cookie. When
// the store cannot be reached the cookie is kept and the error returned, so
// that the user can try again rather than believe they signed out.
func (st *serverStore) Delete(w http.ResponseWriter, r *http.Request) error {
	if id, err := st.cookieID(r); err == nil {
		if err := st.DeleteID(r.Context(), id); err != nil {
			return err
		}
	}
	http.SetCookie(w, st.opts.cookie(st.name, "", -1))
	return nil
}

// DeleteID implements ServerStore.
func (st *serverStore) DeleteID(ctx context.Context, id string) error {
	ctx, cancel := context.WithTimeout(ctx, st.timeout)
	defer cancel()
	return st.be.del(ctx, storeKey(id))
}

// DeleteUser implements ServerStore.
func (st *serverStore) DeleteUser(ctx context.Context, provider, subject string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, st.timeout)
	defer cancel()
	return st.be.delIndex(ctx, userIndex(provider, subject))
}

// DeleteProviderSession implements ServerStore.
func (st *serverStore) DeleteProviderSession(ctx context.Context, provider, sid string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, st.timeout)
	defer cancel()
	return st.be.delIndex(ctx, sidIndex(provider, sid))
}

// Lock implements Locker.
func (st *serverStore) Lock(ctx context.Context, name string, ttl time.Duration) (func(context.Context) error, bool, error) {
	key, token := "l:"+hashName(name), randx.Token(16)
	cctx, cancel := context.WithTimeout(ctx, st.timeout)
	defer cancel()
	ok, err := st.be.lock(cctx, key, token, ttl)
	if err != nil || !ok {
		return nil, false, err
	}
	return func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, st.timeout)
		defer cancel()
		return st.be.unlock(ctx, key, token)
	}, true, nil
}

// FirstUse implements ServerStore.
func (st *serverStore) FirstUse(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, st.timeout)
	defer cancel()
	return st.be.once(ctx, "o:"+hashName(key), ttl)
}
