package session

import (
	"cmp"
	"context"
	"crypto/rand"
	"slices"
	"sync"
	"time"
)

// MemoryConfig configures a MemoryStore.
type MemoryConfig struct {
	// Keys seal the session ID cookie and the records; default a random key,
	// which is enough since the sessions end with the process anyway.
	Keys [][]byte
	CookieOptions
	// IdleTimeout ends a session unused this long; default 24 hours. The
	// memory store records every use, so a session ends exactly
	// IdleTimeout after its last use (RedisStore records uses IdleStep
	// apart; a use in memory costs no write worth saving, and the least
	// recently used session goes first when the store is full).
	IdleTimeout time.Duration
	// MaxSessions bounds the store; default 100 000. When it is full the
	// expired sessions go first, then the least recently used.
	MaxSessions int
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// MemoryStore keeps sessions in this process's memory, bounded and
// expiring, with the cookie holding only a sealed, random session ID. It
// behaves as RedisStore does (sliding idle timeout, absolute lifetime,
// logout by user and by provider session, locks), for apps that run as one
// process; the sessions end when the process does.
type MemoryStore struct {
	*serverStore
}

var _ ServerStore = (*MemoryStore)(nil)

// NewMemoryStore validates cfg and returns the store.
func NewMemoryStore(cfg MemoryConfig) (*MemoryStore, error) {
	if len(cfg.Keys) == 0 {
		k := make([]byte, MinKeyLen)
		rand.Read(k)
		cfg.Keys = [][]byte{k}
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = 100_000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	be := &memBackend{max: cfg.MaxSessions, now: cfg.Now, recs: map[string]*memRecord{},
		idx: map[string]map[string]struct{}{}, marks: map[string]memMark{}}
	st, err := newServerStore(be, serverConfig{keys: cfg.Keys, opts: cfg.CookieOptions, idle: cfg.IdleTimeout, now: cfg.Now})
	if err != nil {
		return nil, err
	}
	return &MemoryStore{st}, nil
}

// Len is the number of sessions held, expired ones included until swept.
func (m *MemoryStore) Len() int {
	be := m.be.(*memBackend)
	be.mu.Lock()
	defer be.mu.Unlock()
	return len(be.recs)
}

type memBackend struct {
	mu    sync.Mutex
	max   int
	now   func() time.Time
	recs  map[string]*memRecord
	idx   map[string]map[string]struct{}
	marks map[string]memMark // locks and one-time values
}

type memRecord struct {
	record
	lastUse time.Time
}

type memMark struct {
	token string
	until time.Time
}

func (r *memRecord) live(now time.Time, idle time.Duration) bool {
	return now.Before(r.expires) && now.Sub(r.lastUse) < idle
}

// get records every use: in memory it costs no write worth saving.
func (m *memBackend) get(_ context.Context, key string, now time.Time, idle time.Duration) (record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.recs[key]
	if !ok {
		return record{}, ErrNoSession
	}
	if !r.live(now, idle) {
		m.remove(key)
		return record{}, ErrNoSession
	}
	if now.After(r.lastUse) {
		r.lastUse = now
	}
	return r.record, nil
}

func (m *memBackend) put(_ context.Context, key string, rec record, create bool, now time.Time, idle time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	old, exists := m.recs[key]
	if exists && !old.live(now, idle) {
		m.remove(key)
		exists = false
	}
	if exists == create {
		return false, nil
	}
	if exists {
		m.unindex(key, old.indexes)
	} else if len(m.recs) >= m.max {
		m.evict(now, idle)
	}
	m.recs[key] = &memRecord{record: rec, lastUse: now}
	for _, ix := range rec.indexes {
		if m.idx[ix] == nil {
			m.idx[ix] = map[string]struct{}{}
		}
		m.idx[ix][key] = struct{}{}
	}
	return true, nil
}

func (m *memBackend) del(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.remove(key)
	return nil
}

func (m *memBackend) delIndex(_ context.Context, index string) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for key := range m.idx[index] {
		if _, ok := m.recs[key]; ok {
			n++
		}
		m.remove(key)
	}
	delete(m.idx, index)
	return n, nil
}

// remove deletes a record and its index entries; the lock is held.
func (m *memBackend) remove(key string) {
	if r, ok := m.recs[key]; ok {
		m.unindex(key, r.indexes)
		delete(m.recs, key)
	}
}

func (m *memBackend) unindex(key string, indexes []string) {
	for _, ix := range indexes {
		delete(m.idx[ix], key)
		if len(m.idx[ix]) == 0 {
			delete(m.idx, ix)
		}
	}
}

// evict makes room for a tenth of the store: expired sessions first, then
// the least recently used. One sort per max/10 insertions keeps it cheap.
func (m *memBackend) evict(now time.Time, idle time.Duration) {
	for key, r := range m.recs {
		if !r.live(now, idle) {
			m.remove(key)
		}
	}
	if len(m.recs) < m.max*9/10 {
		return
	}
	keys := make([]string, 0, len(m.recs))
	for k := range m.recs {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return m.recs[a].lastUse.Compare(m.recs[b].lastUse) })
	for _, k := range keys[:len(keys)-m.max*9/10] {
		m.remove(k)
	}
}

func (m *memBackend) lock(_ context.Context, key, token string, ttl time.Duration) (bool, error) {
	return m.mark(key, token, ttl), nil
}

func (m *memBackend) unlock(_ context.Context, key, token string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if mk, ok := m.marks[key]; ok && mk.token == token {
		delete(m.marks, key)
	}
	return nil
}

func (m *memBackend) once(_ context.Context, key string, ttl time.Duration) (bool, error) {
	return m.mark(key, "", ttl), nil
}

// mark sets key until ttl from now unless it is set already.
func (m *memBackend) mark(key, token string, ttl time.Duration) bool {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if mk, ok := m.marks[key]; ok && now.Before(mk.until) {
		return false
	}
	if len(m.marks) >= m.max {
		m.pruneMarks(now)
	}
	m.marks[key] = memMark{token: token, until: now.Add(ttl)}
	return true
}

// pruneMarks drops lapsed marks and, if that frees too little, those
// closest to lapsing.
func (m *memBackend) pruneMarks(now time.Time) {
	for k, mk := range m.marks {
		if !now.Before(mk.until) {
			delete(m.marks, k)
		}
	}
	if len(m.marks) < m.max*9/10 {
		return
	}
	keys := make([]string, 0, len(m.marks))
	for k := range m.marks {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return cmp.Compare(m.marks[a].until.UnixNano(), m.marks[b].until.UnixNano()) })
	for _, k := range keys[:len(keys)-m.max*9/10] {
		delete(m.marks, k)
	}
}
