package session

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// NearCacheConfig configures RedisStore's near cache: the sessions this
// process loaded recently, kept in its memory so that most requests do not
// go to Redis. It is kept coherent by Redis itself: every script that
// writes or deletes a session publishes the session's key on the channel
// Prefix+"inval" in the same script, and each store with the cache on
// listens there and drops what it is told. A session ended or changed on
// any instance therefore stops being served from any other instance's cache
// within the delivery time of one pub/sub message.
type NearCacheConfig struct {
	// Enabled turns the cache on. It needs a client that can subscribe
	// (*redis.Client, *redis.ClusterClient, *redis.Ring); with one that
	// offers scripts only it stays off. Call RedisStore.Close when done.
	Enabled bool
	// Size bounds the sessions kept; default 10 000. Each costs about its
	// sealed record (≈ 1 KB, plus the tokens: ≈ 5 KB with 3 KB of tokens).
	Size int
	// MaxAge is how long a session read from Redis is served from the cache
	// at most, by the store's clock: a backstop; default 5 seconds.
	MaxAge time.Duration
}

const (
	defaultNearSize   = 10000
	defaultNearMaxAge = 5 * time.Second
	// nearHeartbeat: after this long without a word from Redis the
	// subscriber sends a PING, and after as long again without an answer
	// it counts the connection as lost (a hung Redis, a dead network).
	nearHeartbeat = 500 * time.Millisecond
	nearRetryMin  = 20 * time.Millisecond
	nearRetryMax  = time.Second
)

// nearCache is the cache proper. It serves nothing unless live: subscribed
// to the invalidation channel with no message lost since the cache was
// last cleared. gen moves on every invalidation and every clear; a Load
// that missed reads gen before it asks Redis and caches the answer only if
// gen has not moved since, so an answer that an invalidation may have
// overtaken is never cached.
type nearCache struct {
	size   int
	maxAge int64 // ms

	gen     atomic.Uint64 // written under mu
	mu      sync.RWMutex
	live    bool
	entries map[string]nearEntry

	hits, invalidations, resets atomic.Uint64
	hooks                       atomic.Pointer[nearHooks]
}

// nearHooks let tests step into the cache's races.
type nearHooks struct {
	afterRead       func(key string) // between a miss's read from Redis and its insert
	beforeSubscribe func()           // before each (re)subscription
}

// nearEntry is a session as read from Redis: its sealed record, its
// absolute end and last recorded use (ms), and when it was read (ms, the
// store's clock).
type nearEntry struct {
	identity, secrets string
	end, used, at     int64
}

func newNearCache(cfg NearCacheConfig) *nearCache {
	if cfg.Size <= 0 {
		cfg.Size = defaultNearSize
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = defaultNearMaxAge
	}
	return &nearCache{size: cfg.Size, maxAge: msd(cfg.MaxAge), entries: make(map[string]nearEntry)}
}

// lookup returns the cached record under key when the cache is live and the
// entry young enough, and the session neither ended nor idle nor due to
// have its use recorded at now: the rules of a plain read from Redis.
func (c *nearCache) lookup(key string, nowMs, idleMs, stepMs int64) (record, bool) {
	c.mu.RLock()
	e, ok := c.entries[key]
	ok = ok && c.live
	c.mu.RUnlock()
	if !ok || nowMs < e.at || nowMs-e.at >= c.maxAge ||
		nowMs >= e.end || nowMs-e.used >= idleMs || nowMs-e.used >= stepMs {
		return record{}, false
	}
	c.hits.Add(1)
	return record{identity: e.identity, secrets: e.secrets}, true
}

// insert caches e under key unless the cache is not live or gen moved from
// g (an invalidation or a clear came after the read began).
func (c *nearCache) insert(key string, e nearEntry, g uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live || c.gen.Load() != g {
		return
	}
	if _, ok := c.entries[key]; !ok && len(c.entries) >= c.size {
		for k := range c.entries { // full: evict one, any one
			delete(c.entries, k)
			break
		}
	}
	c.entries[key] = e
}

// invalidate drops key.
func (c *nearCache) invalidate(key string) {
	c.mu.Lock()
	delete(c.entries, key)
	c.gen.Add(1)
	c.mu.Unlock()
}

// purge clears the cache, live or not.
func (c *nearCache) purge() {
	c.mu.Lock()
	clear(c.entries)
	c.gen.Add(1)
	c.mu.Unlock()
}

// reset clears the cache; it serves again only when live.
func (c *nearCache) reset(live bool) {
	c.mu.Lock()
	clear(c.entries)
	c.gen.Add(1)
	c.live = live
	c.mu.Unlock()
	c.resets.Add(1)
}

// redisSubscriber is what the cache needs of the client besides scripts.
type redisSubscriber interface {
	Subscribe(ctx context.Context, channels ...string) *redis.PubSub
}

// subscriber keeps the cache coherent: one goroutine per store, listening
// on the invalidation channel.
type subscriber struct {
	nc      *nearCache
	sub     redisSubscriber
	channel string
	prefix  string
	timeout time.Duration

	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
	mu     sync.Mutex
	ps     *redis.PubSub // the current subscription, closed by stop
}

func (s *subscriber) start() {
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel, s.done = cancel, make(chan struct{})
	go s.run(ctx)
}

// stop ends the goroutine and clears the cache for good.
func (s *subscriber) stop() {
	s.once.Do(func() {
		s.cancel()
		s.mu.Lock()
		if s.ps != nil {
			s.ps.Close()
		}
		s.mu.Unlock()
		<-s.done
		s.nc.reset(false)
	})
}

func (s *subscriber) run(ctx context.Context) {
	defer close(s.done)
	wait := nearRetryMin
	for ctx.Err() == nil {
		if h := s.nc.hooks.Load(); h != nil && h.beforeSubscribe != nil {
			h.beforeSubscribe()
		}
		subscribed, err := s.listen(ctx)
		s.nc.reset(false) // messages may have been lost: serve nothing until subscribed again
		if errors.Is(err, redis.ErrClosed) && ctx.Err() == nil {
			return // the client was closed: the cache stays off
		}
		if subscribed {
			wait = nearRetryMin
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait = min(2*wait, nearRetryMax)
	}
}

// listen subscribes and applies what comes until the connection fails or is
// silent too long; it reports whether the subscription was confirmed, and
// why it ended.
func (s *subscriber) listen(ctx context.Context) (subscribed bool, err error) {
	sctx, cancel := context.WithTimeout(ctx, s.timeout)
	ps := s.sub.Subscribe(sctx, s.channel) // errors show in Receive
	cancel()
	s.mu.Lock()
	if ctx.Err() != nil {
		s.mu.Unlock()
		ps.Close()
		return false, ctx.Err()
	}
	s.ps = ps
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.ps = nil
		s.mu.Unlock()
		ps.Close()
	}()
	pinged := false
	for {
		var msg any
		msg, err = ps.ReceiveTimeout(ctx, nearHeartbeat)
		if err != nil {
			var ne net.Error
			if !pinged && errors.As(err, &ne) && ne.Timeout() {
				pctx, cancel := context.WithTimeout(ctx, s.timeout)
				err = ps.Ping(pctx)
				cancel()
				if err == nil {
					pinged = true
					continue
				}
			}
			return subscribed, err
		}
		pinged = false
		switch m := msg.(type) {
		case *redis.Message:
			if key, ok := strings.CutPrefix(m.Payload, s.prefix); ok {
				s.nc.invalidate(key)
			}
			s.nc.invalidations.Add(1)
		case *redis.Subscription:
			if m.Kind != "subscribe" || m.Channel != s.channel {
				return subscribed, errors.New("unexpected " + m.Kind)
			}
			// Confirmed: Redis delivers every later message. What came
			// before is unknown, so start empty.
			s.nc.reset(true)
			subscribed = true
		}
	}
}
