package session_test

import (
	"errors"
	"testing"
	"time"

	"github.com/loginkit/loginkit/session"
)

// TestMemoryStoreBounded: a full store makes room by dropping the least
// recently used sessions, never the ones in use.
func TestMemoryStoreBounded(t *testing.T) {
	t.Parallel()
	now := time.Now()
	clk := func() time.Time { return now }
	store, err := session.NewMemoryStore(session.MemoryConfig{MaxSessions: 10, Now: clk})
	if err != nil {
		t.Fatal(err)
	}
	_, first := login(t, store)
	for range 30 {
		now = now.Add(time.Second)
		if _, err := store.Load(withCookie(first)); err != nil { // kept in use
			t.Fatalf("the session in use was evicted: %v", err)
		}
		login(t, store)
		if n := store.Len(); n > 10 {
			t.Fatalf("Len = %d, more than MaxSessions", n)
		}
	}
	_, last := login(t, store)
	if _, err := store.Load(withCookie(last)); err != nil {
		t.Fatalf("the newest session: %v", err)
	}
}

func TestMemoryStoreDefaults(t *testing.T) {
	t.Parallel()
	store, err := session.NewMemoryStore(session.MemoryConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if store.IdleTimeout() != session.DefaultIdleTimeout {
		t.Fatalf("IdleTimeout = %v", store.IdleTimeout())
	}
	_, cookie := login(t, store)
	if _, err := store.Load(withCookie(cookie)); err != nil {
		t.Fatal(err)
	}
	other, _ := session.NewMemoryStore(session.MemoryConfig{})
	if _, err := other.Load(withCookie(cookie)); !errors.Is(err, session.ErrNoSession) {
		t.Fatalf("another process's random key opened the cookie: %v", err)
	}
	if _, err := session.NewMemoryStore(session.MemoryConfig{Keys: [][]byte{[]byte("short")}}); err == nil {
		t.Fatal("a short key accepted")
	}
}
