package session_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/loginkit/loginkit/session"
)

// FuzzServerStoreCookie: any session cookie a browser sends a server-side
// store is ErrNoSession unless it is the one the store set.
func FuzzServerStoreCookie(f *testing.F) {
	store, err := session.NewMemoryStore(session.MemoryConfig{})
	if err != nil {
		f.Fatal(err)
	}
	_, cookie := login(f, store)
	valid := cookie[len("lk="):]
	f.Add(valid)
	f.Add(valid[:40])
	f.Add("")
	f.Add("lk=lk")
	f.Fuzz(func(t *testing.T, v string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Cookie", "lk="+v)
		s, err := store.Load(r)
		switch {
		case err == nil && v != valid:
			t.Fatalf("a forged cookie %q loaded session %s", v, s.ID)
		case err != nil && !errors.Is(err, session.ErrNoSession):
			t.Fatalf("error %v, want ErrNoSession", err)
		}
	})
}
