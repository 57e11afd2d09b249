package session_test

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/session"
)

// browser carries the cookies of one response into the next request, as a
// browser would (a cookie with Max-Age<0 is dropped).
func browser(from *httptest.ResponseRecorder, to *http.Request) {
	for _, c := range from.Result().Cookies() {
		if c.MaxAge >= 0 {
			to.AddCookie(c)
		}
	}
}

func ExampleCookieStore() {
	key := bytes.Repeat([]byte{7}, 32) // in production: 32 random bytes from a secret store
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	store, err := session.NewCookieStore(session.CookieConfig{
		Keys: [][]byte{key}, CookieOptions: session.CookieOptions{Secure: true},
		Now: func() time.Time { return now },
	})
	if err != nil {
		panic(err)
	}

	// At the end of a login: save the user and their tokens.
	user := client.User{Provider: "example", Subject: "248289761001", Email: "jane@example.com"}
	tokens := client.Tokens{AccessToken: "at-secret", TokenType: "Bearer", Expiry: now.Add(time.Hour)}
	s := session.New(user, tokens, now, store.Lifetime())
	w := httptest.NewRecorder()
	if err := store.Save(w, httptest.NewRequest("GET", "/callback", nil), s); err != nil {
		panic(err)
	}
	for _, c := range w.Result().Cookies() {
		fmt.Println("set", c.Name, "HttpOnly:", c.HttpOnly, "Secure:", c.Secure)
	}

	// On a later request: the identity is decoded, the tokens only on demand.
	r := httptest.NewRequest("GET", "/inbox", nil)
	browser(w, r)
	s, err = store.Load(r)
	if err != nil {
		panic(err)
	}
	fmt.Println("user:", s.User.Email)
	t, err := s.Tokens()
	if err != nil {
		panic(err)
	}
	fmt.Println(t) // Tokens print redacted

	// Signed out: no cookies, no session.
	_, err = store.Load(httptest.NewRequest("GET", "/inbox", nil))
	fmt.Println(errors.Is(err, session.ErrNoSession))
	// Output:
	// set __Host-lk HttpOnly: true Secure: true
	// set __Host-lk_t0 HttpOnly: true Secure: true
	// user: jane@example.com
	// Tokens{access:true refresh:false id:false type:"Bearer" expiry:2026-03-01T13:00:00Z}
	// true
}

func ExampleCookieFlows() {
	key := bytes.Repeat([]byte{7}, 32)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	flows, err := session.NewCookieFlows([][]byte{key}, session.CookieOptions{Secure: true}, 0, func() time.Time { return now })
	if err != nil {
		panic(err)
	}

	// Begin: keep the pending login for this browser.
	f := &client.Flow{Provider: "example", State: "state-from-Begin", Verifier: "pkce-verifier", Created: now}
	w := httptest.NewRecorder()
	if err := flows.SaveFlow(w, httptest.NewRequest("GET", "/login", nil), f, false); err != nil {
		panic(err)
	}

	// Callback: take it back by the state the provider returned, once.
	r := httptest.NewRequest("GET", "/callback?state=state-from-Begin", nil)
	browser(w, r)
	got, err := flows.TakeFlow(httptest.NewRecorder(), r, r.URL.Query().Get("state"))
	if err != nil {
		panic(err)
	}
	fmt.Println("provider:", got.Provider)
	_, err = flows.TakeFlow(httptest.NewRecorder(), r, "state-from-Begin")
	fmt.Println("replayed:", errors.Is(err, client.ErrFlowMissing))
	// Output:
	// provider: example
	// replayed: true
}
