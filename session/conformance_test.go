package session_test

import (
	"crypto/rand"
	"encoding/hex"
	"testing"

	"github.com/loginkit/loginkit/internal/redistest"
	"github.com/loginkit/loginkit/session"
	"github.com/loginkit/loginkit/session/storetest"
)

// One suite, every store.

func TestCookieStoreConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, cfg storetest.Config) session.Store {
		s, err := session.NewCookieStore(session.CookieConfig{Keys: cfg.Keys, Now: cfg.Now})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestMemoryStoreConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, cfg storetest.Config) session.Store {
		s, err := session.NewMemoryStore(session.MemoryConfig{Keys: cfg.Keys, Now: cfg.Now, IdleTimeout: cfg.IdleTimeout})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestRedisStoreConformance(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	rc := srv.Client(t)
	storetest.Run(t, func(t *testing.T, cfg storetest.Config) session.Store {
		s, err := session.NewRedisStore(session.RedisConfig{Client: rc, Keys: cfg.Keys, Now: cfg.Now,
			IdleTimeout: cfg.IdleTimeout, Prefix: randomPrefix()})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// randomPrefix keeps the stores of parallel tests apart in one Redis.
func randomPrefix() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "lk-test-" + hex.EncodeToString(b) + ":"
}
