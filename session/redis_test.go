package session_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/internal/redistest"
	"github.com/loginkit/loginkit/session"
	"github.com/loginkit/loginkit/session/storetest"
)

var (
	keyOld = []byte("old-key-old-key-old-key-old-key!")
	keyNew = []byte("new-key-new-key-new-key-new-key!")
)

func redisStore(t *testing.T, rc redis.Scripter, prefix string, keys ...[]byte) *session.RedisStore {
	t.Helper()
	s, err := session.NewRedisStore(session.RedisConfig{Client: rc, Keys: keys, Prefix: prefix, Timeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func rtUser() client.User {
	return client.User{Provider: "example", Subject: "subject-248289761001", Email: "jane.doe@example.com",
		Name: "Jane Doe", SessionID: "provider-sid-08a5019c", Raw: []byte(`{"sub":"subject-248289761001"}`)}
}

func rtTokens() client.Tokens {
	return client.Tokens{AccessToken: "access-token-c0ffee-" + strings.Repeat("a", 800), RefreshToken: "refresh-token-deadbeef-" + strings.Repeat("r", 100),
		IDToken: "id-token-feed-" + strings.Repeat("i", 600), TokenType: "Bearer", Expiry: time.Now().Add(time.Hour).Truncate(time.Second)}
}

// login saves a new session through store and returns it with its cookie.
func login(t testing.TB, store session.Store) (*session.Session, string) {
	t.Helper()
	s := session.New(rtUser(), rtTokens(), time.Now(), time.Hour)
	rec := httptest.NewRecorder()
	if err := store.Save(rec, httptest.NewRequest(http.MethodGet, "/", nil), s); err != nil {
		t.Fatalf("Save: %v", err)
	}
	var parts []string
	for _, c := range rec.Result().Cookies() {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return s, strings.Join(parts, "; ")
}

func withCookie(cookie string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Cookie", cookie)
	return r
}

// TestRedisAtRest: what Redis holds is sealed (no token, identity or
// session ID in the clear, raw or base64) and expires by itself.
func TestRedisAtRest(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	rc := srv.Client(t)
	store := redisStore(t, rc, "lk:", keyNew)
	s, _ := login(t, store)
	u, tok := rtUser(), rtTokens()
	secrets := []string{tok.AccessToken[:24], tok.RefreshToken[:24], tok.IDToken[:16], u.Email, u.Subject, u.SessionID, u.Name, s.ID}

	ctx := t.Context()
	keys, err := rc.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 3 { // the session, its user index, its sid index
		t.Fatalf("keys = %q, want the session and two indexes", keys)
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, "lk:") {
			t.Errorf("key %q lacks the prefix", k)
		}
		var values []string
		switch typ := rc.Type(ctx, k).Val(); typ {
		case "hash":
			for f, v := range rc.HGetAll(ctx, k).Val() {
				values = append(values, f, v)
			}
			if ttl := rc.PTTL(ctx, k).Val(); ttl <= 0 || ttl > time.Hour {
				t.Errorf("session TTL %v, want at most the session's life", ttl)
			}
		case "set":
			values = rc.SMembers(ctx, k).Val()
			if ttl := rc.PTTL(ctx, k).Val(); ttl < 59*time.Minute || ttl > time.Hour {
				t.Errorf("index TTL %v, want the session's life", ttl)
			}
		default:
			t.Errorf("key %q has type %s", k, typ)
		}
		for _, v := range append(values, k) {
			for _, text := range []string{v, b64(v)} {
				for _, sec := range secrets {
					if strings.Contains(text, sec) {
						t.Errorf("Redis key %q holds %.12q… in the clear", k, sec)
					}
				}
			}
		}
	}
}

func b64(s string) string {
	b, _ := base64.RawURLEncoding.DecodeString(s)
	return string(b)
}

// TestRedisKeyRotation: instances share sessions through Redis; a new key
// put first still opens what the old key sealed, and a store without the
// sealing key refuses it.
func TestRedisKeyRotation(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	a := redisStore(t, srv.Client(t), "lk:", keyOld)
	b := redisStore(t, srv.Client(t), "lk:", keyNew, keyOld) // another instance, mid-rotation
	s, cookie := login(t, a)
	got, err := b.Load(withCookie(cookie))
	if err != nil {
		t.Fatalf("another instance cannot load the session: %v", err)
	}
	if tok, err := got.Tokens(); err != nil || tok.AccessToken != rtTokens().AccessToken {
		t.Fatalf("tokens on the other instance: %v %v", tok, err)
	}
	got.SetTokens(client.Tokens{AccessToken: "rotated-access", Expiry: time.Now().Add(time.Hour)})
	if err := b.Update(t.Context(), got); err != nil {
		t.Fatal(err)
	}
	// Resealed under the new key: the old-key-only instance can still read
	// the cookie's ID (sealed with the old key) but not the record.
	if _, err := a.Load(withCookie(cookie)); !errors.Is(err, session.ErrNoSession) {
		t.Fatalf("old-key store read a record sealed with the new key: %v", err)
	}
	c := redisStore(t, srv.Client(t), "lk:", keyNew, keyOld)
	if got, err := c.Get(t.Context(), s.ID); err != nil || got.User.Subject != rtUser().Subject {
		t.Fatalf("Get with the rotated keys: %v", err)
	}
	stranger := redisStore(t, srv.Client(t), "lk:", []byte("another-app-another-app-another!!"))
	if _, err := stranger.Load(withCookie(cookie)); !errors.Is(err, session.ErrNoSession) {
		t.Fatalf("a store with other keys accepted the cookie: %v", err)
	}
}

// TestRedisUnavailable: with Redis stopped or hung, every operation fails
// fast with ErrUnavailable (never ErrNoSession, which would sign the user
// out), Delete keeps the cookie, and all works again, with the session
// intact, once Redis is back.
func TestRedisUnavailable(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	store := redisStore(t, srv.Client(t), "lk:", keyNew)
	s, cookie := login(t, store)

	requireUnavailable := func(what string) {
		t.Helper()
		start := time.Now()
		_, err := store.Load(withCookie(cookie))
		if !errors.Is(err, session.ErrUnavailable) || errors.Is(err, session.ErrNoSession) {
			t.Fatalf("%s: Load error %v, want ErrUnavailable only", what, err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s: Load took %v", what, d)
		}
		rec := httptest.NewRecorder()
		if err := store.Delete(rec, withCookie(cookie)); !errors.Is(err, session.ErrUnavailable) {
			t.Fatalf("%s: Delete error %v, want ErrUnavailable", what, err)
		}
		if len(rec.Result().Cookies()) != 0 {
			t.Fatalf("%s: Delete cleared the cookie though the session was not deleted", what)
		}
		if err := store.Save(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil),
			session.New(rtUser(), rtTokens(), time.Now(), time.Hour)); !errors.Is(err, session.ErrUnavailable) {
			t.Fatalf("%s: Save error %v", what, err)
		}
		if _, _, err := store.Lock(t.Context(), "x", time.Second); !errors.Is(err, session.ErrUnavailable) {
			t.Fatalf("%s: Lock error %v", what, err)
		}
		if _, err := store.DeleteUser(t.Context(), "example", "x"); !errors.Is(err, session.ErrUnavailable) {
			t.Fatalf("%s: DeleteUser error %v", what, err)
		}
		if err := store.Ping(t.Context()); !errors.Is(err, session.ErrUnavailable) {
			t.Fatalf("%s: Ping error %v", what, err)
		}
	}
	requireBack := func(what string) {
		t.Helper()
		got, err := store.Load(withCookie(cookie))
		if err != nil || got.ID != s.ID {
			t.Fatalf("%s: Load: %v", what, err)
		}
	}

	srv.Stop()
	requireUnavailable("Redis stopped")
	srv.Start()
	requireBack("Redis restarted")

	srv.Pause()
	requireUnavailable("Redis hung")
	srv.Resume()
	requireBack("Redis resumed")

	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := store.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestNewRedisClient(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"memcached://x", "redis://[::1", ""} {
		if _, err := session.NewRedisClient(bad); err == nil {
			t.Errorf("NewRedisClient(%q) accepted", bad)
		}
	}
	c, err := session.NewRedisClient("redis://127.0.0.1:6390/3")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if o := c.Options(); o.DB != 3 || o.Addr != "127.0.0.1:6390" || o.ReadTimeout > 2*time.Second {
		t.Fatalf("options: %+v", o)
	}
	if _, err := session.NewRedisStore(session.RedisConfig{Keys: [][]byte{keyNew}}); err == nil {
		t.Fatal("NewRedisStore without a client accepted")
	}
	if _, err := session.NewRedisStore(session.RedisConfig{Client: c, Keys: [][]byte{[]byte("short")}}); err == nil {
		t.Fatal("NewRedisStore with a short key accepted")
	}
}

// TestRedisLoadWritesOncePerStep: a Load writes the session's last use only
// when it moved by IdleStep or more; the Loads in between are pure reads
// (plain HMGETs, no script), which neither rewrite the last use nor push
// the record's TTL back.
func TestRedisLoadWritesOncePerStep(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	rc := srv.Client(t)
	now := time.Now().Truncate(time.Millisecond)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
	store, err := session.NewRedisStore(session.RedisConfig{Client: rc, Keys: [][]byte{keyNew}, Prefix: "lk:",
		IdleTimeout: time.Hour, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if got := store.IdleStep(); got != 36*time.Second {
		t.Fatalf("IdleStep = %v, want 1%% of an hour", got)
	}
	s, cookie := login(t, store)
	keys, err := rc.Keys(t.Context(), "lk:s:*").Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("session keys %q, %v", keys, err)
	}
	key := keys[0]
	ctx := t.Context()
	lastUse := func() int64 {
		t.Helper()
		a, err := rc.HGet(ctx, key, "a").Int64()
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	load := func(what string) {
		t.Helper()
		if got, err := store.Load(withCookie(cookie)); err != nil || got.ID != s.ID {
			t.Fatalf("%s: Load: %v", what, err)
		}
	}
	// Shorten the TTL, so that a write (which sets it to about an hour)
	// shows; the record itself lives by the app's clock.
	if err := rc.PExpire(ctx, key, 10*time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	scripts := func() int { // scripts run so far (cmdstat_evalsha:calls=N,…)
		t.Helper()
		info, err := rc.Info(ctx, "commandstats").Result()
		if err != nil {
			t.Fatal(err)
		}
		_, stat, ok := strings.Cut(info, "cmdstat_evalsha:calls=")
		if !ok {
			return 0
		}
		n, err := strconv.Atoi(stat[:strings.IndexByte(stat, ',')])
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	recorded, ran := lastUse(), scripts()
	if recorded != now.UnixMilli() {
		t.Fatalf("last use %d after login, want %d", recorded, now.UnixMilli())
	}
	start := now
	for _, d := range []time.Duration{time.Millisecond, 10 * time.Second, 36*time.Second - time.Millisecond} {
		advance(start.Add(d).Sub(clock()))
		load("within the step")
		if a := lastUse(); a != recorded {
			t.Fatalf("a Load %v after the recorded use rewrote it (%d → %d)", now.UnixMilli()-recorded, recorded, a)
		}
		if ttl := rc.PTTL(ctx, key).Val(); ttl > 10*time.Minute {
			t.Fatalf("a Load within the step reset the TTL to %v", ttl)
		}
	}
	if n := scripts(); n != ran {
		t.Fatalf("the Loads within the step ran %d scripts, want plain reads", n-ran)
	}
	advance(time.Millisecond) // a full step after the recorded use
	load("a step after the recorded use")
	if a := lastUse(); a != now.UnixMilli() {
		t.Fatalf("a Load a step after the recorded use did not record it: last use %d, want %d", a, now.UnixMilli())
	}
	if ttl := rc.PTTL(ctx, key).Val(); ttl <= 10*time.Minute || ttl > time.Hour {
		t.Fatalf("TTL after the recorded use %v, want the idle timeout", ttl)
	}
}

// scriptsOnly is a client that offers scripts only: the store then reads
// with a script per Load, by the same rules.
type scriptsOnly struct{ redis.Scripter }

func TestRedisStoreConformanceScriptsOnly(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	rc := scriptsOnly{srv.Client(t)}
	storetest.Run(t, func(t *testing.T, cfg storetest.Config) session.Store {
		s, err := session.NewRedisStore(session.RedisConfig{Client: rc, Keys: cfg.Keys, Now: cfg.Now,
			IdleTimeout: cfg.IdleTimeout, Prefix: randomPrefix()})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
