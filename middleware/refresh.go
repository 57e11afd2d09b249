package middleware

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/session"
)

// rotationMemory is how long a refresh's result is remembered by the old
// refresh token, so that requests still carrying the old session cookie reuse
// it instead of spending the old, rotated-away token (which a provider with
// reuse detection would punish by revoking everything).
const rotationMemory = 2 * time.Minute

// refresher makes one refresh per refresh token however many requests need it
// at once, and remembers each result for rotationMemory.
type refresher struct {
	a      *Auth
	mu     sync.Mutex
	calls  map[string]*refreshCall
	recent map[string]recentTokens
}

type refreshCall struct {
	done   chan struct{}
	tokens *client.Tokens
	err    error
}

type recentTokens struct {
	t     client.Tokens
	until time.Time
}

func newRefresher(a *Auth) *refresher {
	return &refresher{a: a, calls: map[string]*refreshCall{}, recent: map[string]recentTokens{}}
}

func tokenKey(refreshToken string) string {
	h := sha256.Sum256([]byte(refreshToken))
	return string(h[:16])
}

// refresh returns tokens that replace t, refreshing at most once per refresh
// token. Waiters stop at their own context's end; the refresh itself runs to
// its own timeout so that one impatient request cannot fail the others.
// sessionID names the session; with a server-side store the refresh runs
// once across instances too (see refreshShared).
func (f *refresher) refresh(ctx context.Context, c *client.Client, t client.Tokens, sub, sessionID string) (*client.Tokens, error) {
	key := tokenKey(t.RefreshToken)
	now := f.a.cfg.Now()
	f.mu.Lock()
	// Follow the chain of remembered rotations: a stale cookie may be several
	// refreshes behind, and a remembered access token may itself be due.
	for hops := 0; hops < 8; hops++ {
		r, ok := f.recent[key]
		if !ok || !now.Before(r.until) {
			break
		}
		if !r.t.ExpiresWithin(now, f.a.cfg.RefreshAhead) {
			f.mu.Unlock()
			nt := r.t
			return &nt, nil
		}
		t, key = r.t, tokenKey(r.t.RefreshToken)
	}
	call, running := f.calls[key]
	if !running {
		call = &refreshCall{done: make(chan struct{})}
		f.calls[key] = call
		go f.run(context.WithoutCancel(ctx), c, t, sub, sessionID, key, call)
	}
	f.mu.Unlock()
	select {
	case <-call.done:
		return call.tokens, call.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (f *refresher) run(ctx context.Context, c *client.Client, t client.Tokens, sub, sessionID, key string, call *refreshCall) {
	if f.a.server != nil {
		call.tokens, call.err = f.a.refreshShared(ctx, c, t, sub, sessionID)
	} else {
		call.tokens, call.err = c.Refresh(ctx, &t, sub)
	}
	now := f.a.cfg.Now()
	f.mu.Lock()
	delete(f.calls, key)
	if call.err == nil {
		for k, r := range f.recent {
			if !now.Before(r.until) {
				delete(f.recent, k)
			}
		}
		f.recent[key] = recentTokens{t: *call.tokens, until: now.Add(rotationMemory)}
	}
	f.mu.Unlock()
	close(call.done)
}

// Tokens returns the signed-in user's tokens, refreshed first when the access
// token expires within RefreshAhead. A refresh is saved back to the session
// (for the cookie store, as cookies on w: call Tokens before writing the
// response). When the provider answers invalid_grant the session is deleted
// and the error is ErrSessionEnded. With a session.ServerStore the refresh
// happens once across every instance sharing the store.
func (a *Auth) Tokens(w http.ResponseWriter, r *http.Request) (client.Tokens, error) {
	s, ok := SessionFrom(r.Context())
	if !ok {
		var err error
		if s, err = a.store.Load(r); err != nil {
			return client.Tokens{}, err
		}
	}
	t, err := s.Tokens()
	if err != nil {
		return client.Tokens{}, err
	}
	if !t.ExpiresWithin(a.cfg.Now(), a.cfg.RefreshAhead) {
		return t, nil
	}
	return a.refreshSession(w, r, s, t)
}

func (a *Auth) refreshSession(w http.ResponseWriter, r *http.Request, s *session.Session, t client.Tokens) (client.Tokens, error) {
	c := a.clients[s.User.Provider]
	if c == nil {
		return client.Tokens{}, fmt.Errorf("%w: provider %q is no longer configured", ErrSessionEnded, s.User.Provider)
	}
	if t.RefreshToken == "" {
		if t.ExpiresWithin(a.cfg.Now(), 0) {
			return client.Tokens{}, fmt.Errorf("%w: access token expired and no refresh token", ErrSessionEnded)
		}
		return t, nil
	}
	nt, err := a.refresher.refresh(r.Context(), c, t, s.User.Subject, s.ID)
	if errors.Is(err, client.ErrInvalidGrant) || errors.Is(err, ErrSessionEnded) {
		a.log.LogAttrs(r.Context(), levelFor(401), "loginkit: refresh refused; session ended", attrErr(err), attrProvider(c.Name()))
		_ = a.store.Delete(w, r)
		if !errors.Is(err, ErrSessionEnded) {
			err = fmt.Errorf("%w: %w", ErrSessionEnded, err)
		}
		return client.Tokens{}, err
	}
	if err != nil {
		a.log.LogAttrs(r.Context(), levelFor(502), "loginkit: refresh failed", attrErr(err), attrProvider(c.Name()))
		return client.Tokens{}, err
	}
	if err := s.SetTokens(*nt); err != nil {
		return client.Tokens{}, err
	}
	if a.server != nil {
		return *nt, nil // refreshShared saved them, once
	}
	if err := a.store.Save(w, r, s); err != nil {
		a.log.LogAttrs(r.Context(), levelFor(500), "loginkit: saving refreshed tokens failed", attrErr(err))
	}
	return *nt, nil
}

// Client returns an *http.Client that calls the provider's APIs as the
// signed-in user: each request carries a fresh access token (see Tokens), and
// redirects are followed only within the same host, so the token never
// travels elsewhere. Responses are bounded like every provider call.
func (a *Auth) Client(w http.ResponseWriter, r *http.Request) (*http.Client, error) {
	s, ok := SessionFrom(r.Context())
	if !ok {
		var err error
		if s, err = a.store.Load(r); err != nil {
			return nil, err
		}
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, s))
	}
	c := a.clients[s.User.Provider]
	if c == nil {
		return nil, fmt.Errorf("%w: provider %q is no longer configured", ErrSessionEnded, s.User.Provider)
	}
	base := c.HTTPClient()
	return &http.Client{
		// One limit over the whole call: the token refresh it may need and
		// the API request (each also bounded on its own by base.Transport).
		Timeout:       c.Timeout(),
		Transport:     &userTransport{a: a, w: w, r: r, base: base.Transport},
		CheckRedirect: sameHostRedirects,
	}, nil
}

func sameHostRedirects(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("loginkit: too many redirects")
	}
	if req.URL.Host != via[0].URL.Host || req.URL.Scheme != via[0].URL.Scheme {
		return http.ErrUseLastResponse
	}
	return nil
}

type userTransport struct {
	a    *Auth
	w    http.ResponseWriter
	r    *http.Request
	base http.RoundTripper
	mu   sync.Mutex // one Tokens call at a time per client
}

func (t *userTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.mu.Lock()
	tok, err := t.a.Tokens(t.w, t.r)
	t.mu.Unlock()
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	return t.base.RoundTrip(req)
}
