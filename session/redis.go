package session

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// RedisConfig configures a RedisStore.
type RedisConfig struct {
	// Client is the Redis connection; NewRedisClient makes one with suitable
	// timeouts. One Redis server (or a Sentinel-managed primary): the
	// scripts touch a session and its indexes together, which Redis Cluster
	// allows only within one hash slot (a Prefix such as "{loginkit}:").
	// A client that also runs plain commands (*redis.Client,
	// *redis.ClusterClient, *redis.Ring do) serves most Loads with one
	// HMGET; a bare redis.Scripter gets a script per Load.
	Client redis.Scripter
	// Keys seal the session ID cookie and the records at rest: 32 bytes or
	// more each; the first seals, all open, so a key rotates by being put
	// first. Every instance sharing the store needs the same keys.
	Keys [][]byte
	CookieOptions
	// Prefix starts every key the store writes; default "loginkit:".
	Prefix string
	// IdleTimeout ends a session unused this long; default 24 hours. The
	// absolute end is the session's Expires. A Load writes to Redis only
	// when the session's last recorded use is IdleStep (1% of IdleTimeout,
	// at most a minute) or more before now; other Loads are pure reads. A
	// session therefore ends between IdleTimeout−IdleStep and IdleTimeout
	// after its last use (with the default, between 23h59m and 24h).
	IdleTimeout time.Duration
	// Timeout bounds each call to Redis; default 2 seconds. A call that
	// fails or times out is ErrUnavailable.
	Timeout time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// NearCache keeps recently loaded sessions in this process, coherent
	// through Redis pub/sub; off by default. See NearCacheConfig.
	NearCache NearCacheConfig
}

// RedisStore keeps sessions in Redis so that any number of app instances
// share them. The browser's cookie holds only the session's random 256-bit
// ID, sealed; Redis holds, under a hash of that ID, the identity and the
// tokens sealed with Keys (AES-256-GCM), so neither a stolen cookie jar nor
// a copy of Redis alone yields a usable token. Sessions expire after
// IdleTimeout unused and at their absolute end; indexes by user and by the
// provider's session ID serve back-channel logout. Lock (SET NX PX, released
// by a token-checked script) lets instances refresh a session once.
//
// With the near cache on (RedisConfig.NearCache), Load serves a session
// read from Redis within NearCacheConfig.MaxAge from this process's memory,
// applying the expiry rules by the store's clock as for a read from Redis;
// Get, Update and the other ServerStore methods always go to Redis.
type RedisStore struct {
	*serverStore
	rb *redisBackend
}

var _ ServerStore = (*RedisStore)(nil)

// NewRedisStore validates cfg and returns the store. It makes no network
// call; Ping checks the connection.
func NewRedisStore(cfg RedisConfig) (*RedisStore, error) {
	if cfg.Client == nil {
		return nil, errors.New("loginkit/session: RedisConfig.Client is nil")
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "loginkit:"
	}
	rb := &redisBackend{c: cfg.Client, prefix: cfg.Prefix, channel: cfg.Prefix + "inval"}
	st, err := newServerStore(rb, serverConfig{keys: cfg.Keys, opts: cfg.CookieOptions, idle: cfg.IdleTimeout,
		timeout: cfg.Timeout, now: cfg.Now})
	if err != nil {
		return nil, err
	}
	rb.step = idleStep(st.idle)
	rb.proc, _ = cfg.Client.(redisProcessor)
	if sub, ok := cfg.Client.(redisSubscriber); ok && cfg.NearCache.Enabled && rb.proc != nil {
		rb.nc = newNearCache(cfg.NearCache)
		rb.sub = &subscriber{nc: rb.nc, sub: sub, channel: rb.channel, prefix: rb.prefix, timeout: st.timeout}
		st.cache = rb
		rb.sub.start()
	}
	return &RedisStore{serverStore: st, rb: rb}, nil
}

// Close stops the near cache's subscriber, if any, and empties the cache;
// the store keeps working, reading every session from Redis. It does not
// close the client.
func (s *RedisStore) Close() error {
	if s.rb.sub != nil {
		s.rb.sub.stop()
	}
	return nil
}

// IdleStep is the precision of the idle timeout: 1% of IdleTimeout, at most
// a minute. A Load records the session's use (a write) only when the last
// recorded use is IdleStep or more before now, so a session ends between
// IdleTimeout−IdleStep and IdleTimeout after its last use.
func (s *RedisStore) IdleStep() time.Duration { return s.rb.step }

func idleStep(idle time.Duration) time.Duration { return min(idle/100, time.Minute) }

// Ping checks that Redis answers, e.g. at startup.
func (s *RedisStore) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	return unavailable(s.rb.c.Eval(ctx, "return 1", nil).Err())
}

// NewRedisClient connects to a redis:// or rediss:// URL
// ("redis://host:port/db") with timeouts fit for a session store: a call
// fails within about a second when Redis is down rather than holding the
// request, and the client reconnects by itself when Redis is back.
func NewRedisClient(url string) (*redis.Client, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("loginkit/session: Redis URL: %w", err)
	}
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout = time.Second, time.Second, time.Second
	opt.PoolTimeout = 2 * time.Second
	opt.MaxRetries, opt.DialerRetries = 1, 1
	opt.ContextTimeoutEnabled = true
	opt.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	return redis.NewClient(opt), nil
}

// redisBackend keeps records as hashes: i (sealed identity), t (sealed
// tokens), e (absolute end, Unix ms), a (last recorded use, Unix ms), x (the
// index keys). The app's clock, not Redis's, decides expiry, so instances
// agree; Redis TTLs only reclaim the memory.
//
// Every script that writes or deletes a session publishes its key on
// channel, atomically with the change, for the near caches of every
// instance (whether or not this one has a cache).
type redisBackend struct {
	c       redis.Scripter
	proc    redisProcessor // nil: the client runs scripts only
	prefix  string
	channel string        // invalidations: prefix+"inval"
	step    time.Duration // RedisStore.IdleStep
	nc      *nearCache    // nil: no near cache
	sub     *subscriber
}

// forget drops key from this process's near cache after a write or delete
// of it here, so that this instance reads its own writes at once; other
// instances hear of it through pub/sub.
func (b *redisBackend) forget(key string) {
	if b.nc != nil {
		b.nc.invalidate(key)
	}
}

// redisProcessor is what a Load's plain read needs of the client besides
// scripts.
type redisProcessor interface {
	Process(ctx context.Context, cmd redis.Cmder) error
}

// unavailable wraps every Redis failure as ErrUnavailable.
func unavailable(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}

func ms(t time.Time) int64                  { return t.UnixMilli() }
func msd(d time.Duration) int64             { return max(d.Milliseconds(), 1) }
func (b *redisBackend) k(key string) string { return b.prefix + key }

// getScript returns a live session's sealed identity and tokens, and marks
// it used when its last recorded use is step or more before now; an
// expired one is deleted, with its index entries. ARGV: now, idle, step
// (ms), and the invalidation channel. A Load runs it only when the plain
// read finds a write due (the session expired, or a use to record): it
// decides again, atomically. Either write publishes the key.
var getScript = redis.NewScript(`
local v = redis.call('HMGET', KEYS[1], 'i', 't', 'e', 'a', 'x')
if not v[1] then return false end
local now, idle, step = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local e, a = tonumber(v[3]), tonumber(v[4])
if not e or not a or now >= e or now - a >= idle then
  redis.call('DEL', KEYS[1])
  if v[5] then for ix in string.gmatch(v[5], '%S+') do redis.call('SREM', ix, KEYS[1]) end end
  redis.call('PUBLISH', ARGV[4], KEYS[1])
  return false
end
if now - a >= step then
  redis.call('HSET', KEYS[1], 'a', ARGV[1])
  redis.call('PEXPIRE', KEYS[1], math.max(1, math.min(e - now, idle)))
  redis.call('PUBLISH', ARGV[4], KEYS[1])
end
return {v[1], v[2]}`)

// get reads the record with one HMGET and decides expiry here, by the
// rules of getScript; only when a write is due, an expired record to
// delete or a use to record, does it run getScript, which decides again
// atomically. Between recorded uses a Load writes nothing.
func (b *redisBackend) get(ctx context.Context, key string, now time.Time, idle time.Duration) (record, error) {
	return b.read(ctx, key, now, idle, false)
}

// cached implements nearCacher: the near cache's answer, without I/O.
func (b *redisBackend) cached(key string, now time.Time, idle time.Duration) (record, bool) {
	return b.nc.lookup(key, ms(now), msd(idle), msd(b.step))
}

// getCaching implements nearCacher: get, caching a pure read's answer
// unless an invalidation or a clear came since the read began.
func (b *redisBackend) getCaching(ctx context.Context, key string, now time.Time, idle time.Duration) (record, error) {
	return b.read(ctx, key, now, idle, true)
}

func (b *redisBackend) read(ctx context.Context, key string, now time.Time, idle time.Duration, cache bool) (record, error) {
	nowMs, idleMs, stepMs := ms(now), msd(idle), msd(b.step)
	if b.proc != nil {
		var g uint64
		if cache {
			g = b.nc.gen.Load() // before the read: see nearCache
		}
		cmd := redis.NewStringSliceCmd(ctx, "hmget", b.k(key), "i", "t", "e", "a")
		if err := b.proc.Process(ctx, cmd); err != nil {
			return record{}, unavailable(err)
		}
		v := cmd.Val() // a missing field is ""
		if len(v) != 4 {
			return record{}, unavailable(fmt.Errorf("HMGET answered %d values", len(v)))
		}
		if v[0] == "" {
			return record{}, ErrNoSession
		}
		e, err1 := strconv.ParseInt(v[2], 10, 64)
		a, err2 := strconv.ParseInt(v[3], 10, 64)
		if err1 == nil && err2 == nil && nowMs < e && nowMs-a < idleMs && nowMs-a < stepMs {
			if cache {
				if h := b.nc.hooks.Load(); h != nil && h.afterRead != nil {
					h.afterRead(key)
				}
				b.nc.insert(key, nearEntry{identity: v[0], secrets: v[1], end: e, used: a, at: nowMs}, g)
			}
			return record{identity: v[0], secrets: v[1]}, nil
		}
	}
	v, err := getScript.Run(ctx, b.c, []string{b.k(key)}, nowMs, idleMs, stepMs, b.channel).StringSlice()
	b.forget(key)
	if errors.Is(err, redis.Nil) {
		return record{}, ErrNoSession
	}
	if err != nil {
		return record{}, unavailable(err)
	}
	if len(v) != 2 {
		return record{}, ErrNoSession
	}
	return record{identity: v[0], secrets: v[1]}, nil
}

// putScript: KEYS[1] the session, KEYS[2…] its indexes. ARGV: create (1/0),
// identity, tokens, end, now, the session's TTL, the indexes' TTL, the
// index list, the invalidation channel.
var putScript = redis.NewScript(`
local exists = redis.call('EXISTS', KEYS[1]) == 1
if (ARGV[1] == '1') == exists then return 0 end
if exists then
  local old = redis.call('HGET', KEYS[1], 'x')
  if old then for ix in string.gmatch(old, '%S+') do redis.call('SREM', ix, KEYS[1]) end end
end
redis.call('HSET', KEYS[1], 'i', ARGV[2], 't', ARGV[3], 'e', ARGV[4], 'a', ARGV[5], 'x', ARGV[8])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
local ttl = tonumber(ARGV[7])
for n = 2, #KEYS do
  redis.call('SADD', KEYS[n], KEYS[1])
  if redis.call('PTTL', KEYS[n]) < ttl then redis.call('PEXPIRE', KEYS[n], ttl) end
end
redis.call('PUBLISH', ARGV[9], KEYS[1])
return 1`)

func (b *redisBackend) put(ctx context.Context, key string, rec record, create bool, now time.Time, idle time.Duration) (bool, error) {
	keys := make([]string, 0, 1+len(rec.indexes))
	keys = append(keys, b.k(key))
	for _, ix := range rec.indexes {
		keys = append(keys, b.k(ix))
	}
	life := rec.expires.Sub(now)
	c := "0"
	if create {
		c = "1"
	}
	n, err := putScript.Run(ctx, b.c, keys, c, rec.identity, rec.secrets, ms(rec.expires), ms(now),
		msd(min(life, idle)), msd(life), strings.Join(keys[1:], " "), b.channel).Int()
	b.forget(key)
	if err != nil {
		return false, unavailable(err)
	}
	return n == 1, nil
}

// delScript: ARGV[1] the invalidation channel.
var delScript = redis.NewScript(`
local x = redis.call('HGET', KEYS[1], 'x')
local n = redis.call('DEL', KEYS[1])
if x then for ix in string.gmatch(x, '%S+') do redis.call('SREM', ix, KEYS[1]) end end
if n > 0 then redis.call('PUBLISH', ARGV[1], KEYS[1]) end
return n`)

func (b *redisBackend) del(ctx context.Context, key string) error {
	err := delScript.Run(ctx, b.c, []string{b.k(key)}, b.channel).Err()
	b.forget(key)
	return unavailable(err)
}

// delIndexScript deletes every session an index lists, unlisting each from
// its other indexes and publishing its key, then the index; it returns the
// keys of the sessions it deleted. ARGV[1] the invalidation channel.
var delIndexScript = redis.NewScript(`
local gone = {}
for _, s in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local x = redis.call('HGET', s, 'x')
  if redis.call('DEL', s) == 1 then
    gone[#gone + 1] = s
    redis.call('PUBLISH', ARGV[1], s)
  end
  if x then for ix in string.gmatch(x, '%S+') do
    if ix ~= KEYS[1] then redis.call('SREM', ix, s) end
  end end
end
redis.call('DEL', KEYS[1])
return gone`)

func (b *redisBackend) delIndex(ctx context.Context, index string) (int, error) {
	gone, err := delIndexScript.Run(ctx, b.c, []string{b.k(index)}, b.channel).StringSlice()
	if b.nc != nil {
		if err != nil { // it may have deleted some: which, unknown
			b.nc.purge()
		}
		for _, k := range gone {
			if key, ok := strings.CutPrefix(k, b.prefix); ok {
				b.nc.invalidate(key)
			}
		}
	}
	return len(gone), unavailable(err)
}

var lockScript = redis.NewScript(`return redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) and 1 or 0`)

func (b *redisBackend) lock(ctx context.Context, key, token string, ttl time.Duration) (bool, error) {
	n, err := lockScript.Run(ctx, b.c, []string{b.k(key)}, token, msd(ttl)).Int()
	return n == 1, unavailable(err)
}

// unlockScript deletes the lock only while it still holds this taker's token.
var unlockScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

func (b *redisBackend) unlock(ctx context.Context, key, token string) error {
	return unavailable(unlockScript.Run(ctx, b.c, []string{b.k(key)}, token).Err())
}

func (b *redisBackend) once(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	n, err := lockScript.Run(ctx, b.c, []string{b.k(key)}, strconv.Itoa(1), msd(ttl)).Int()
	return n == 1, unavailable(err)
}
