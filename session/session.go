// Package session keeps a signed-in user and their tokens between requests,
// and the pending logins between the redirect to a provider and its callback.
//
// A Store loads, saves and deletes a Session for a request. CookieStore keeps
// everything in the browser, encrypted and authenticated (AES-256-GCM under
// rotatable keys), split over several cookies when the tokens are large; the
// tokens are decrypted only when a handler asks for them.
//
//	store, err := session.NewCookieStore(session.CookieConfig{Keys: [][]byte{key}, Secure: true})
//	s, err := store.Load(r)            // session.ErrNoSession when signed out
//	tokens, err := s.Tokens()          // decrypted on first use
//
// MemoryStore (one process) and RedisStore (any number of instances) keep
// sessions on the server, sealed with the same keys, and put only an opaque
// session ID in the cookie; as ServerStores they also lock a session for a
// refresh and end sessions by user or by provider session (back-channel
// logout). A store that cannot be reached answers ErrUnavailable, never
// ErrNoSession. Package storetest is the suite every store passes.
package session

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/internal/randx"
)

// Errors a Store returns; match with errors.Is.
var (
	ErrNoSession = errors.New("loginkit/session: no session")
	ErrTooLarge  = errors.New("loginkit/session: session is too large for its cookies")
)

// Store keeps sessions. Implementations must be safe for concurrent use.
type Store interface {
	// Load returns the request's session, or ErrNoSession. An expired,
	// forged or undecryptable session is ErrNoSession too.
	Load(r *http.Request) (*Session, error)
	// Save writes s. For cookie stores it sets cookies on w, so it must run
	// before the response's header is written.
	Save(w http.ResponseWriter, r *http.Request, s *Session) error
	// Delete ends the request's session.
	Delete(w http.ResponseWriter, r *http.Request) error
}

// Session is one signed-in user, as one request sees it (not safe for
// concurrent use). User is decoded on Load; the tokens and the raw profile
// are decoded on first use.
type Session struct {
	ID      string      // random, new at every login (no fixation)
	User    client.User // identity; User.Raw is kept with the tokens
	Created time.Time
	Expires time.Time // absolute end, however active the user is

	secrets *secrets      // decoded tokens and raw profile, once asked for
	src     secretsSource // the store that can decode them, set by Load
	req     *http.Request // the request they came with
	decoded bool          // secrets holds the truth (decoded, or set)
	dirty   bool          // secrets changed since Load
}

// secretsSource decodes a session's secrets on demand; stores implement it.
type secretsSource interface {
	loadSecrets(r *http.Request, s *Session) (*secrets, error)
}

type secrets struct {
	Tokens  client.Tokens
	Profile json.RawMessage
}

// New starts a session for u with fresh ID, holding t, valid for lifetime.
func New(u client.User, t client.Tokens, now time.Time, lifetime time.Duration) *Session {
	s := &Session{ID: randx.Token(32), User: u, Created: now, Expires: now.Add(lifetime)}
	s.secrets = &secrets{Tokens: t, Profile: u.Raw}
	s.User.Raw = nil
	s.decoded, s.dirty = true, true
	return s
}

// Tokens returns the session's tokens, decrypting them on first use.
func (s *Session) Tokens() (client.Tokens, error) {
	sec, err := s.load()
	if err != nil {
		return client.Tokens{}, err
	}
	return sec.Tokens, nil
}

// SetTokens replaces the tokens, e.g. after a refresh; Save persists them.
func (s *Session) SetTokens(t client.Tokens) error {
	sec, err := s.load()
	if err != nil {
		return err
	}
	sec.Tokens = t
	s.dirty = true
	return nil
}

// Profile returns the provider's raw profile or claims kept at login.
func (s *Session) Profile() (json.RawMessage, error) {
	sec, err := s.load()
	if err != nil {
		return nil, err
	}
	return sec.Profile, nil
}

func (s *Session) load() (*secrets, error) {
	if !s.decoded {
		s.decoded = true
		if s.src != nil {
			sec, err := s.src.loadSecrets(s.req, s)
			if err != nil {
				s.decoded = false
				return nil, err
			}
			s.secrets = sec
		}
	}
	if s.secrets == nil {
		s.secrets = &secrets{}
	}
	return s.secrets, nil
}

// Valid reports whether the session is within its lifetime at now.
func (s *Session) Valid(now time.Time) bool {
	return s.ID != "" && now.Before(s.Expires)
}
