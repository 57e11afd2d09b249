package middleware

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/session"
)

// Refreshing once across instances. Each process already refreshes once per
// refresh token (refresher); with a session.ServerStore the one request
// that runs the refresh in each process also takes a lock on the session in
// the store. The holder reads the session again (another instance may have
// refreshed it meanwhile), refreshes only if the tokens are still due, saves
// them and releases the lock; the others poll the store until the new tokens
// appear. A holder that dies leaves a lock that lapses after
// refreshLockTTL, and a waiter then takes it. Threat: a provider with
// refresh token reuse detection (RFC 9700 §4.14.2) revokes the whole grant
// when a rotated-away token is presented, so two instances refreshing the
// same token would sign the user out.

// A waiting instance reads the store after refreshPollMin, then at twice
// the interval each time up to refreshPollMax: quick for a fast provider,
// gentle on the store for a slow one.
const (
	refreshPollMin = 5 * time.Millisecond
	refreshPollMax = 100 * time.Millisecond
)

// errRefreshWait: the refresh lock stayed taken and the tokens did not
// change for longer than a refresh can take.
var errRefreshWait = fmt.Errorf("loginkit/middleware: waiting for another instance's refresh: %w", context.DeadlineExceeded)

// refreshLockTTL bounds a refresh: the provider call's timeout and a margin.
func refreshLockTTL(c *client.Client) time.Duration {
	return c.Timeout() + 5*time.Second
}

// refreshShared refreshes the session id, whose tokens were stale when its
// request read them, once across every instance sharing the store.
func (a *Auth) refreshShared(ctx context.Context, c *client.Client, stale client.Tokens, sub, id string) (*client.Tokens, error) {
	ttl := refreshLockTTL(c)
	giveUp := time.Now().Add(2 * ttl)
	poll := refreshPollMin
	for {
		release, ok, err := a.server.Lock(ctx, "refresh:"+id, ttl)
		if err != nil {
			return nil, err
		}
		if ok {
			nt, err := a.refreshLocked(ctx, c, stale, sub, id)
			if rerr := release(context.WithoutCancel(ctx)); rerr != nil {
				// It lapses by itself; the others wait a little longer.
				a.log.LogAttrs(ctx, levelFor(500), "loginkit: releasing the refresh lock failed", attrErr(rerr))
			}
			return nt, err
		}
		if nt, done, err := a.refreshedElsewhere(ctx, stale, id); done {
			return nt, err
		}
		if time.Now().After(giveUp) {
			return nil, errRefreshWait
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(poll):
		}
		poll = min(2*poll, refreshPollMax)
	}
}

// refreshedElsewhere reads the session while another instance holds the
// lock: done once its tokens changed or are no longer due, or the session
// ended.
func (a *Auth) refreshedElsewhere(ctx context.Context, stale client.Tokens, id string) (*client.Tokens, bool, error) {
	cur, err := a.currentTokens(ctx, id)
	if err != nil {
		return nil, true, err
	}
	if a.refreshed(cur, stale) {
		return cur, true, nil
	}
	return nil, false, nil
}

// refreshed reports whether cur, read from the store, replaces stale: a
// refresh happened since, or the tokens are not due after all.
func (a *Auth) refreshed(cur *client.Tokens, stale client.Tokens) bool {
	return cur.AccessToken != stale.AccessToken || !cur.ExpiresWithin(a.cfg.Now(), a.cfg.RefreshAhead)
}

// currentTokens reads the session's tokens from the store; a session that
// is gone (logged out meanwhile) is ErrSessionEnded.
func (a *Auth) currentTokens(ctx context.Context, id string) (*client.Tokens, error) {
	s, err := a.server.Get(ctx, id)
	if err == nil {
		var t client.Tokens
		if t, err = s.Tokens(); err == nil {
			return &t, nil
		}
	}
	if errors.Is(err, session.ErrNoSession) {
		return nil, fmt.Errorf("%w: %w", ErrSessionEnded, err)
	}
	return nil, err
}

// refreshLocked runs under the session's refresh lock.
func (a *Auth) refreshLocked(ctx context.Context, c *client.Client, stale client.Tokens, sub, id string) (*client.Tokens, error) {
	s, err := a.server.Get(ctx, id)
	if errors.Is(err, session.ErrNoSession) {
		return nil, fmt.Errorf("%w: %w", ErrSessionEnded, err)
	}
	if err != nil {
		return nil, err
	}
	cur, err := s.Tokens()
	if err != nil {
		return nil, err
	}
	if a.refreshed(&cur, stale) {
		return &cur, nil // another instance was first
	}
	nt, err := c.Refresh(ctx, &cur, sub)
	if errors.Is(err, client.ErrInvalidGrant) {
		// Refused: perhaps another instance rotated the token while this
		// one's lock had lapsed. Read again before the session is ended.
		if again, gerr := a.currentTokens(ctx, id); gerr == nil && again.RefreshToken != cur.RefreshToken {
			return again, nil
		}
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	if err := s.SetTokens(*nt); err != nil {
		return nil, err
	}
	return nt, a.saveRefreshed(ctx, c, s, nt)
}

// saveRefreshed writes the new tokens back. A session that ended while its
// tokens were refreshed (a logout) stays ended, and the new refresh token is
// revoked; a store that fails leaves this request with the new tokens and
// the log with an error.
func (a *Auth) saveRefreshed(ctx context.Context, c *client.Client, s *session.Session, nt *client.Tokens) error {
	err := a.server.Update(ctx, s)
	switch {
	case errors.Is(err, session.ErrNoSession):
		if nt.RefreshToken != "" {
			_ = c.Revoke(ctx, nt.RefreshToken, "refresh_token")
		}
		return fmt.Errorf("%w: %w", ErrSessionEnded, err)
	case err != nil:
		a.log.LogAttrs(ctx, levelFor(500), "loginkit: saving refreshed tokens failed", attrErr(err))
	}
	return nil
}
