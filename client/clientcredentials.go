package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// DefaultRenewBefore is how long before expiry a client credentials token is
// renewed, unless that is more than half its lifetime.
const DefaultRenewBefore = time.Minute

// ClientCredentialsOptions configure a client credentials token source.
type ClientCredentialsOptions struct {
	// Scopes requested; Provider.Scopes (meant for logins) are not used.
	Scopes []string
	// Params are extra token request parameters, such as "resource"
	// (RFC 8707) or "audience". They cannot replace grant_type or scope.
	Params url.Values
	// RenewBefore is how long before its expiry a token is replaced; default
	// DefaultRenewBefore, and never more than half the token's lifetime.
	RenewBefore time.Duration
}

// ClientCredentialsSource hands out the client's own access token from the
// client credentials grant (RFC 6749 §4.4), for service-to-service calls.
// It caches the token, renews it before it expires, and makes one token
// request however many goroutines ask at once. It is safe for concurrent use.
type ClientCredentialsSource struct {
	c *Client
	o ClientCredentialsOptions

	mu      sync.Mutex // guards the fields below
	tok     *Tokens
	renewAt time.Time // zero: the token has no known expiry and is kept
	call    *tokenCall
}

// tokenCall is one token request in flight, shared by every caller waiting.
type tokenCall struct {
	done chan struct{}
	tok  *Tokens
	err  error
}

// ClientCredentials returns a token source for the client's own tokens. The
// client must be confidential: a secret proves who asks (RFC 6749 §4.4).
// Build it with NewWithoutRedirect, since no browser is involved.
func (c *Client) ClientCredentials(o ClientCredentialsOptions) *ClientCredentialsSource {
	if o.RenewBefore <= 0 {
		o.RenewBefore = DefaultRenewBefore
	}
	return &ClientCredentialsSource{c: c, o: o}
}

// Token returns a valid access token, fetching one when none is cached or
// the cached one is due for renewal. A caller whose ctx ends stops waiting;
// the request it started goes on (bounded by the client's timeout) for the
// others.
func (s *ClientCredentialsSource) Token(ctx context.Context) (*Tokens, error) {
	s.mu.Lock()
	if s.tok != nil && (s.renewAt.IsZero() || s.c.p.Now().Before(s.renewAt)) {
		t := *s.tok
		s.mu.Unlock()
		return &t, nil
	}
	call := s.call
	if call == nil {
		call = &tokenCall{done: make(chan struct{})}
		s.call = call
		go s.fetch(context.WithoutCancel(ctx), call)
	}
	s.mu.Unlock()
	select {
	case <-call.done:
		if call.err != nil {
			return nil, call.err
		}
		t := *call.tok
		return &t, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// fetch runs one token request and publishes its outcome to call's waiters.
func (s *ClientCredentialsSource) fetch(ctx context.Context, call *tokenCall) {
	call.tok, call.err = s.request(ctx)
	s.mu.Lock()
	if call.err == nil {
		s.tok, s.renewAt = call.tok, renewTime(call.tok, s.c.p.Now(), s.o.RenewBefore)
	}
	s.call = nil
	s.mu.Unlock()
	close(call.done)
}

func (s *ClientCredentialsSource) request(ctx context.Context) (*Tokens, error) {
	if s.c.p.AuthMethod == AuthNone {
		return nil, fmt.Errorf("%w: %s: client credentials need a ClientSecret", ErrInvalidConfig, s.c.p.Name)
	}
	m, err := s.c.metadata(ctx)
	if err != nil {
		return nil, err
	}
	form := url.Values{}
	for k, v := range s.o.Params {
		form[k] = v
	}
	form.Set("grant_type", "client_credentials")
	form.Del("scope")
	if len(s.o.Scopes) > 0 {
		form.Set("scope", strings.Join(s.o.Scopes, " "))
	}
	return s.c.tokenRequest(ctx, m, form)
}

// renewTime is when a token fetched at now should be replaced: lead before
// its expiry, lead being at most half its lifetime; zero for no expiry.
func renewTime(t *Tokens, now time.Time, lead time.Duration) time.Time {
	if t.Expiry.IsZero() {
		return time.Time{}
	}
	return t.Expiry.Add(-min(lead, t.Expiry.Sub(now)/2))
}

// Invalidate drops the cached token if accessToken is still the cached one,
// so that the next Token fetches a new one (after a resource server said
// 401: the token was revoked or the provider forgot it).
func (s *ClientCredentialsSource) Invalidate(accessToken string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok != nil && s.tok.AccessToken == accessToken {
		s.tok = nil
	}
}

// HTTPClient returns a copy of base (nil: a client with a 30 s timeout) that
// sends the source's access token on every request (RFC 6750 §2.1). A 401
// answer invalidates the token for the next request; redirects to another
// origin are not followed, so the token never leaves for another host.
func (s *ClientCredentialsSource) HTTPClient(base *http.Client) *http.Client {
	hc := &http.Client{Timeout: 30 * time.Second}
	if base != nil {
		*hc = *base
	}
	rt := hc.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	hc.Transport = &sourceTransport{src: s, base: rt}
	next := hc.CheckRedirect
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if o := via[0].URL; req.URL.Scheme != o.Scheme || req.URL.Host != o.Host {
			return http.ErrUseLastResponse
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return http.ErrUseLastResponse
		}
		return nil
	}
	return hc
}

type sourceTransport struct {
	src  *ClientCredentialsSource
	base http.RoundTripper
}

func (t *sourceTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	tok, err := t.src.Token(r.Context())
	if err != nil {
		if r.Body != nil {
			r.Body.Close() // RoundTrip must close the body, even on error
		}
		return nil, err
	}
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := t.base.RoundTrip(r)
	if err == nil && resp.StatusCode == http.StatusUnauthorized {
		t.src.Invalidate(tok.AccessToken)
	}
	return resp, err
}
