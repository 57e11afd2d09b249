package session

// NearStats is what a RedisStore's near cache has done, for the tests.
type NearStats struct {
	Hits, Invalidations, Resets uint64
	Live                        bool
	Len                         int
}

// NearCacheStats reports s's near cache; ok is false when it has none.
func NearCacheStats(s *RedisStore) (st NearStats, ok bool) {
	c := s.rb.nc
	if c == nil {
		return NearStats{}, false
	}
	c.mu.RLock()
	st.Live, st.Len = c.live, len(c.entries)
	c.mu.RUnlock()
	st.Hits, st.Invalidations, st.Resets = c.hits.Load(), c.invalidations.Load(), c.resets.Load()
	return st, true
}

// SetNearHooks sets the near cache's test hooks: afterRead runs between a
// miss's read from Redis and its insert, beforeSubscribe before each
// (re)subscription. Either may be nil.
func SetNearHooks(s *RedisStore, afterRead func(key string), beforeSubscribe func()) {
	s.rb.nc.hooks.Store(&nearHooks{afterRead: afterRead, beforeSubscribe: beforeSubscribe})
}
