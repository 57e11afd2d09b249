package client

import (
	"container/list"
	"time"
)

// tokenCache holds introspection results by the SHA-256 of the token, never
// the token: a dump of the cache gives nothing to replay. It keeps at most
// max entries, dropping the least recently used. Its owner's lock guards it.
type tokenCache struct {
	max int
	m   map[[32]byte]*list.Element
	lru *list.List // of *cacheEntry, most recently used first
}

type cacheEntry struct {
	key   [32]byte
	tok   *AccessToken // nil for a refusal
	err   error
	until time.Time
}

func newTokenCache(max int) *tokenCache {
	return &tokenCache{max: max, m: make(map[[32]byte]*list.Element), lru: list.New()}
}

// get returns the result cached for key, if any still fresh at now.
func (c *tokenCache) get(key [32]byte, now time.Time) (*AccessToken, error, bool) {
	el, ok := c.m[key]
	if !ok {
		return nil, nil, false
	}
	e := el.Value.(*cacheEntry)
	if !now.Before(e.until) {
		c.lru.Remove(el)
		delete(c.m, key)
		return nil, nil, false
	}
	c.lru.MoveToFront(el)
	return e.tok, e.err, true
}

// put caches a result until the given time, evicting the least recently
// used entry when full.
func (c *tokenCache) put(key [32]byte, tok *AccessToken, err error, until time.Time) {
	if el, ok := c.m[key]; ok {
		c.lru.Remove(el)
		delete(c.m, key)
	}
	for c.lru.Len() >= c.max {
		last := c.lru.Back()
		c.lru.Remove(last)
		delete(c.m, last.Value.(*cacheEntry).key)
	}
	c.m[key] = c.lru.PushFront(&cacheEntry{key: key, tok: tok, err: err, until: until})
}

// len is the number of entries, fresh or not.
func (c *tokenCache) len() int { return c.lru.Len() }
