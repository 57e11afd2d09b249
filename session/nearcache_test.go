package session_test

import (
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/internal/redistest"
	"github.com/loginkit/loginkit/session"
	"github.com/loginkit/loginkit/session/storetest"
)

// nearStore is a RedisStore with the near cache on, closed when t ends.
func nearStore(t *testing.T, rc redis.Scripter, prefix string, cfg session.RedisConfig) *session.RedisStore {
	t.Helper()
	cfg.Client, cfg.Prefix = rc, prefix
	if cfg.Keys == nil {
		cfg.Keys = [][]byte{keyNew}
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 500 * time.Millisecond
	}
	cfg.NearCache.Enabled = true
	s, err := session.NewRedisStore(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, ok := session.NearCacheStats(s); !ok {
		t.Fatal("no near cache")
	}
	return s
}

// twoStores are two instances of a RedisStore with the near cache on, on
// one fresh Redis, both subscribed.
func twoStores(t *testing.T) (a, b *session.RedisStore) {
	t.Helper()
	srv := redistest.Start(t)
	a = nearStore(t, srv.Client(t), "lk:", session.RedisConfig{})
	b = nearStore(t, srv.Client(t), "lk:", session.RedisConfig{})
	waitLive(t, a)
	waitLive(t, b)
	return a, b
}

func stats(s *session.RedisStore) session.NearStats {
	st, _ := session.NearCacheStats(s)
	return st
}

// waitFor polls cond until it holds, failing after 2 s (3 s with slow, for
// a heartbeat to lapse).
func waitFor(t *testing.T, what string, cond func() bool, slow ...bool) {
	t.Helper()
	d := 2 * time.Second
	if len(slow) > 0 && slow[0] {
		d = 3 * time.Second
	}
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", d, what)
		}
		time.Sleep(time.Millisecond)
	}
}

func waitLive(t *testing.T, s *session.RedisStore) {
	t.Helper()
	waitFor(t, "the near cache subscribed", func() bool { return stats(s).Live })
}

// requireHit loads the session until a Load is served from the cache (the
// first caches it, unless the publication of a write just made, even this
// store's own, is still on its way: then a later one does).
func requireHit(t *testing.T, s *session.RedisStore, cookie string) *session.Session {
	t.Helper()
	var got *session.Session
	waitFor(t, "a Load served from the near cache", func() bool {
		before := stats(s).Hits
		var err error
		if got, err = s.Load(withCookie(cookie)); err != nil {
			t.Fatalf("Load: %v", err)
		}
		return stats(s).Hits == before+1
	})
	return got
}

// waitInvalidations waits until s has received n invalidations more than
// before.
func waitInvalidations(t *testing.T, s *session.RedisStore, before uint64, n uint64) {
	t.Helper()
	waitFor(t, "the invalidation reached the other instance", func() bool { return stats(s).Invalidations >= before+n })
}

func requireNoSession(t *testing.T, s *session.RedisStore, cookie, what string) {
	t.Helper()
	if _, err := s.Load(withCookie(cookie)); !errors.Is(err, session.ErrNoSession) {
		t.Fatalf("%s: Load error %v, want ErrNoSession", what, err)
	}
}

// TestNearCacheDeleteElsewhere: a session cached on B and deleted through A
// is gone on B once the invalidation arrived.
func TestNearCacheDeleteElsewhere(t *testing.T) {
	t.Parallel()
	a, b := twoStores(t)
	s, cookie := login(t, a)
	requireHit(t, b, cookie)
	before := stats(b).Invalidations
	if err := a.DeleteID(t.Context(), s.ID); err != nil {
		t.Fatal(err)
	}
	waitInvalidations(t, b, before, 1)
	requireNoSession(t, b, cookie, "deleted on A")
	requireNoSession(t, a, cookie, "deleted on A, on A")
}

// TestNearCacheUpdateElsewhere: tokens updated through A are what B serves
// once the invalidation arrived.
func TestNearCacheUpdateElsewhere(t *testing.T) {
	t.Parallel()
	a, b := twoStores(t)
	s, cookie := login(t, a)
	requireHit(t, b, cookie)
	got, err := a.Get(t.Context(), s.ID)
	if err != nil {
		t.Fatal(err)
	}
	got.SetTokens(client.Tokens{AccessToken: "updated-on-a", Expiry: time.Now().Add(time.Hour)})
	before := stats(b).Invalidations
	if err := a.Update(t.Context(), got); err != nil {
		t.Fatal(err)
	}
	waitInvalidations(t, b, before, 1)
	for range 2 { // read from Redis, then from the cache
		onB, err := b.Load(withCookie(cookie))
		if err != nil {
			t.Fatal(err)
		}
		if tok, err := onB.Tokens(); err != nil || tok.AccessToken != "updated-on-a" {
			t.Fatalf("B serves tokens %.20q, %v; want A's update", tok.AccessToken, err)
		}
	}
	// A's own cache is dropped at once by its write, without waiting for
	// pub/sub.
	if onA, err := a.Load(withCookie(cookie)); err != nil {
		t.Fatal(err)
	} else if tok, _ := onA.Tokens(); tok.AccessToken != "updated-on-a" {
		t.Fatal("A does not read its own write")
	}
}

// TestNearCacheDeleteByIndex: DeleteProviderSession and DeleteUser on A
// end the sessions B has cached, and only those.
func TestNearCacheDeleteByIndex(t *testing.T) {
	t.Parallel()
	a, b := twoStores(t)
	loginAs := func(subject, sid string) string {
		u := rtUser()
		u.Subject, u.SessionID = subject, sid
		s := session.New(u, rtTokens(), time.Now(), time.Hour)
		rec := httptestRecorder()
		if err := a.Save(rec, withCookie(""), s); err != nil {
			t.Fatal(err)
		}
		c := rec.Result().Cookies()[0]
		return c.Name + "=" + c.Value
	}
	ada1, ada2, bob := loginAs("ada", "sid-1"), loginAs("ada", "sid-2"), loginAs("bob", "sid-b")
	for _, c := range []string{ada1, ada2, bob} {
		requireHit(t, b, c)
	}
	before := stats(b).Invalidations
	if n, err := a.DeleteProviderSession(t.Context(), "example", "sid-1"); err != nil || n != 1 {
		t.Fatalf("DeleteProviderSession = %d, %v", n, err)
	}
	waitInvalidations(t, b, before, 1)
	requireNoSession(t, b, ada1, "sid-1 ended on A")
	requireHit(t, b, ada2)
	before = stats(b).Invalidations
	if n, err := a.DeleteUser(t.Context(), "example", "ada"); err != nil || n != 1 {
		t.Fatalf("DeleteUser = %d, %v", n, err)
	}
	waitInvalidations(t, b, before, 1)
	requireNoSession(t, b, ada2, "ada ended on A")
	requireHit(t, b, bob)
}

// TestNearCacheSubscriptionLost: when the subscription breaks the cache is
// cleared and serves nothing until subscribed again.
func TestNearCacheSubscriptionLost(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	rc := srv.Client(t)
	b := nearStore(t, srv.Client(t), "lk:", session.RedisConfig{})
	waitLive(t, b)
	_, cookie := login(t, b)
	requireHit(t, b, cookie)

	var subscribes atomic.Int32
	hold := make(chan struct{})
	session.SetNearHooks(b, nil, func() {
		subscribes.Add(1)
		<-hold
	})
	if err := rc.Do(t.Context(), "CLIENT", "KILL", "TYPE", "pubsub").Err(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the subscriber noticed", func() bool { return subscribes.Load() == 1 })
	if st := stats(b); st.Live || st.Len != 0 {
		t.Fatalf("after the subscription broke: %+v, want empty and not live", st)
	}
	hits := stats(b).Hits
	for range 3 {
		if _, err := b.Load(withCookie(cookie)); err != nil {
			t.Fatal(err)
		}
	}
	if st := stats(b); st.Hits != hits || st.Len != 0 {
		t.Fatalf("served or cached while unsubscribed: %+v", st)
	}
	// Deleted behind the cache's back (no invalidation): seen at once.
	keys, err := rc.Keys(t.Context(), "lk:s:*").Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("keys %q %v", keys, err)
	}
	_, cookie2 := login(t, b)
	close(hold)
	waitLive(t, b)
	requireHit(t, b, cookie2)
	if err := rc.Del(t.Context(), keys[0]).Err(); err != nil {
		t.Fatal(err)
	}
	requireNoSession(t, b, cookie, "deleted while the cache was off, not cached since")
}

// TestNearCacheGenerationRace: a Load that missed, read Redis, and then saw
// an invalidation for the session arrive before it could cache the answer
// does not cache it.
func TestNearCacheGenerationRace(t *testing.T) {
	t.Parallel()
	a, b := twoStores(t)
	s, cookie := login(t, a)
	var once sync.Once
	session.SetNearHooks(b, func(string) {
		once.Do(func() { // B read the old tokens; A updates them now
			got, err := a.Get(t.Context(), s.ID)
			if err != nil {
				t.Error(err)
				return
			}
			got.SetTokens(client.Tokens{AccessToken: "raced", Expiry: time.Now().Add(time.Hour)})
			before := stats(b).Invalidations
			if err := a.Update(t.Context(), got); err != nil {
				t.Error(err)
				return
			}
			waitInvalidations(t, b, before, 1)
		})
	}, nil)
	old, err := b.Load(withCookie(cookie))
	if err != nil {
		t.Fatal(err)
	}
	if tok, _ := old.Tokens(); tok.AccessToken != rtTokens().AccessToken {
		t.Fatal("the raced Load read something else than the old tokens")
	}
	if st := stats(b); st.Len != 0 {
		t.Fatalf("the overtaken answer was cached: %+v", st)
	}
	got, err := b.Load(withCookie(cookie))
	if err != nil {
		t.Fatal(err)
	}
	if tok, _ := got.Tokens(); tok.AccessToken != "raced" {
		t.Fatalf("B serves %.20q after the invalidation, want the update", tok.AccessToken)
	}
}

// TestNearCacheBounded: the cache holds at most Size sessions.
func TestNearCacheBounded(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	b := nearStore(t, srv.Client(t), "lk:", session.RedisConfig{NearCache: session.NearCacheConfig{Size: 3}})
	waitLive(t, b)
	var cookies []string
	for range 6 {
		_, c := login(t, b)
		cookies = append(cookies, c)
	}
	for _, c := range cookies {
		requireHit(t, b, c)
		if n := stats(b).Len; n > 3 {
			t.Fatalf("%d sessions cached, want at most 3", n)
		}
	}
}

// TestNearCacheMaxAge: a change the cache was never told of (a raw DEL,
// no publication) is served at most MaxAge, by the store's clock.
func TestNearCacheMaxAge(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	rc := srv.Client(t)
	now := time.Now().Truncate(time.Millisecond)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
	b := nearStore(t, rc, "lk:", session.RedisConfig{Now: clock, NearCache: session.NearCacheConfig{MaxAge: 5 * time.Second}})
	waitLive(t, b)
	_, cookie := login(t, b)
	requireHit(t, b, cookie)
	keys, err := rc.Keys(t.Context(), "lk:s:*").Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("keys %q %v", keys, err)
	}
	if err := rc.Del(t.Context(), keys[0]).Err(); err != nil {
		t.Fatal(err)
	}
	advance(5*time.Second - time.Millisecond)
	hits := stats(b).Hits
	if _, err := b.Load(withCookie(cookie)); err != nil || stats(b).Hits != hits+1 {
		t.Fatalf("within MaxAge: %v, hits %d → %d; want served from the cache", err, hits, stats(b).Hits)
	}
	advance(time.Millisecond)
	requireNoSession(t, b, cookie, "MaxAge after the read")
}

// TestNearCacheRulesOnHits: a hit applies the idle step and the absolute
// end by the store's clock, as a read from Redis does.
func TestNearCacheRulesOnHits(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	rc := srv.Client(t)
	start := time.Now().Truncate(time.Millisecond)
	now := start
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
	b := nearStore(t, rc, "lk:", session.RedisConfig{Now: clock, IdleTimeout: time.Hour,
		NearCache: session.NearCacheConfig{MaxAge: 24 * time.Hour}})
	waitLive(t, b)
	s := session.New(rtUser(), rtTokens(), start, 2*time.Minute)
	rec := httptestRecorder()
	if err := b.Save(rec, withCookie(""), s); err != nil {
		t.Fatal(err)
	}
	c := rec.Result().Cookies()[0]
	cookie := c.Name + "=" + c.Value
	requireHit(t, b, cookie)
	keys, _ := rc.Keys(t.Context(), "lk:s:*").Result()
	lastUse := func() int64 { a, _ := rc.HGet(t.Context(), keys[0], "a").Int64(); return a }

	advance(b.IdleStep() - time.Millisecond)
	requireHit(t, b, cookie)
	advance(time.Millisecond) // a step since the recorded use: the hit yields to the write
	before := stats(b).Invalidations
	hits := stats(b).Hits
	if _, err := b.Load(withCookie(cookie)); err != nil || stats(b).Hits != hits {
		t.Fatalf("a step after the recorded use: %v, served from the cache", err)
	}
	if lastUse() != clock().UnixMilli() {
		t.Fatal("the use a step later was not recorded")
	}
	waitInvalidations(t, b, before, 1) // the write published
	requireHit(t, b, cookie)
	advance(start.Add(2 * time.Minute).Sub(clock())) // the absolute end, within the step
	requireNoSession(t, b, cookie, "at the absolute end")
}

// TestNearCacheOutage: with Redis stopped or hung, the cache is cleared as
// soon as the subscriber notices (at once for a closed connection, within
// two heartbeats for a hung Redis) and Loads are ErrUnavailable, as without
// it; once Redis is back the cache serves again.
func TestNearCacheOutage(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	store := nearStore(t, srv.Client(t), "lk:", session.RedisConfig{})
	waitLive(t, store)
	s, cookie := login(t, store)
	requireHit(t, store, cookie)
	down := func(what string, slow bool) {
		t.Helper()
		waitFor(t, what+": the cache cleared", func() bool { st := stats(store); return !st.Live && st.Len == 0 }, slow)
		_, err := store.Load(withCookie(cookie))
		if !errors.Is(err, session.ErrUnavailable) || errors.Is(err, session.ErrNoSession) {
			t.Fatalf("%s: Load error %v, want ErrUnavailable only", what, err)
		}
	}
	back := func(what string) {
		t.Helper()
		waitLive(t, store)
		if got := requireHit(t, store, cookie); got.ID != s.ID {
			t.Fatalf("%s: another session", what)
		}
	}
	srv.Stop()
	down("Redis stopped", false)
	srv.Start()
	back("Redis restarted")
	srv.Pause()
	down("Redis hung", true)
	srv.Resume()
	back("Redis resumed")
}

func TestNearCacheOffWithScriptsOnly(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	s, err := session.NewRedisStore(session.RedisConfig{Client: scriptsOnly{srv.Client(t)}, Keys: [][]byte{keyNew},
		NearCache: session.NearCacheConfig{Enabled: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, ok := session.NearCacheStats(s); ok {
		t.Fatal("a scripts-only client got a near cache")
	}
}

// The conformance suite with the cache on: with the default MaxAge (the
// suite's clock jumps past it) and with a MaxAge of a day, so that hits
// meet every expiry rule.
func TestRedisStoreConformanceNearCache(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	rc := srv.Client(t)
	for _, maxAge := range []time.Duration{0, 24 * time.Hour} {
		t.Run(strings.TrimSuffix("MaxAge"+maxAge.String(), "0s"), func(t *testing.T) {
			t.Parallel()
			storetest.Run(t, func(t *testing.T, cfg storetest.Config) session.Store {
				s, err := session.NewRedisStore(session.RedisConfig{Client: rc, Keys: cfg.Keys, Now: cfg.Now,
					IdleTimeout: cfg.IdleTimeout, Prefix: randomPrefix(),
					NearCache: session.NearCacheConfig{Enabled: true, MaxAge: maxAge}})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				waitLive(t, s)
				return s
			})
		})
	}
}

func httptestRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }
