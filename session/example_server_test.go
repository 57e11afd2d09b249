package session_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/session"
)

func ExampleMemoryStore() {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	store, err := session.NewMemoryStore(session.MemoryConfig{IdleTimeout: time.Hour, Now: func() time.Time { return now }})
	if err != nil {
		panic(err)
	}
	user := client.User{Provider: "example", Subject: "248289761001", SessionID: "op-session-1"}
	s := session.New(user, client.Tokens{AccessToken: "at-secret"}, now, 24*time.Hour)
	w := httptest.NewRecorder()
	if err := store.Save(w, httptest.NewRequest("GET", "/", nil), s); err != nil {
		panic(err)
	}
	cookie := w.Result().Cookies()[0]
	fmt.Println("the cookie holds the tokens:", bytes.Contains([]byte(cookie.Value), []byte("at-secret")))

	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(cookie)
	got, _ := store.Load(r)
	fmt.Println("signed in:", got.User.Subject)

	// The provider says its session op-session-1 ended (back-channel logout).
	n, _ := store.DeleteProviderSession(context.Background(), "example", "op-session-1")
	_, err = store.Load(r)
	fmt.Println("ended:", n, errors.Is(err, session.ErrNoSession))
	// Output:
	// the cookie holds the tokens: false
	// signed in: 248289761001
	// ended: 1 true
}

func ExampleRedisStore() {
	rc, err := session.NewRedisClient("redis://127.0.0.1:6379/0")
	if err != nil {
		panic(err)
	}
	defer rc.Close()
	key := bytes.Repeat([]byte{7}, 32) // in production: 32 random bytes, the same on every instance
	store, err := session.NewRedisStore(session.RedisConfig{Client: rc, Keys: [][]byte{key}, IdleTimeout: 8 * time.Hour,
		CookieOptions: session.CookieOptions{Secure: true}})
	if err != nil {
		panic(err)
	}
	// Pass it as middleware.Config.Store on every instance.
	_ = store
}
