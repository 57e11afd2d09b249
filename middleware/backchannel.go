package middleware

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/session"
)

// Back-channel logout (OpenID Connect Back-Channel Logout 1.0): the provider
// POSTs a signed logout token to POST /logout/backchannel/{provider} when
// the user's session there ends, and every session it names ends here, on
// every instance, since they share the store. Served only with a
// session.ServerStore: a cookie store cannot end a session it does not hold.
//
// Threat model: anyone can reach the endpoint. Only a logout token signed by
// the provider, for this client, recent, of the logout event, and not seen
// before (jti, remembered in the shared store) ends anything; its checks are
// client.VerifyLogoutToken's. A replayed or forged token is refused with 400
// and changes nothing.

// maxLogoutBody bounds a back-channel logout request.
const maxLogoutBody = 64 << 10

func (a *Auth) backChannelLogout(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	c := a.clients[r.PathValue("provider")]
	if c == nil {
		backChannelError(w, "invalid_request", "unknown provider")
		return
	}
	lt, err := a.verifiedLogoutToken(w, r, c)
	if err != nil && !errors.Is(err, session.ErrUnavailable) {
		a.log.LogAttrs(r.Context(), slog.LevelWarn, "loginkit: back-channel logout refused", attrErr(err), attrProvider(c.Name()))
		backChannelError(w, "invalid_request", "the logout token is not valid, or was used before")
		return
	}
	n := 0
	if err == nil {
		n, err = a.endSessionsOf(r.Context(), c, lt)
	}
	if err != nil {
		a.log.LogAttrs(r.Context(), slog.LevelError, "loginkit: back-channel logout failed", attrErr(err), attrProvider(c.Name()))
		backChannelError(w, "temporarily_unavailable", "the sessions could not be ended")
		return
	}
	a.log.LogAttrs(r.Context(), slog.LevelInfo, "loginkit: back-channel logout", attrProvider(c.Name()),
		slog.Bool("by_sid", lt.SessionID != ""), slog.Int("sessions", n))
	w.WriteHeader(http.StatusOK)
}

// errReplayed: a logout token's jti was seen before.
var errReplayed = errors.New("loginkit/middleware: logout token replayed")

// verifiedLogoutToken reads the logout_token parameter (§2.5), verifies it
// and records its jti, refusing one seen before.
func (a *Auth) verifiedLogoutToken(w http.ResponseWriter, r *http.Request, c *client.Client) (*client.LogoutToken, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxLogoutBody)
	if err := r.ParseForm(); err != nil {
		return nil, err
	}
	lt, err := c.VerifyLogoutToken(r.Context(), r.PostForm.Get("logout_token"))
	if err != nil {
		return nil, err
	}
	// The jti is remembered as long as the token could be accepted.
	ttl := client.LogoutTokenMaxAge + 2*c.Provider().Leeway
	first, err := a.server.FirstUse(r.Context(), "logout-jti "+c.Name()+" "+lt.Issuer+" "+lt.ID, ttl)
	if err == nil && !first {
		err = errReplayed
	}
	return lt, err
}

// endSessionsOf ends the sessions the token names: those of its provider
// session when it has a sid, else all of its user's (§2.7).
func (a *Auth) endSessionsOf(ctx context.Context, c *client.Client, lt *client.LogoutToken) (int, error) {
	if lt.SessionID != "" {
		return a.server.DeleteProviderSession(ctx, c.Name(), lt.SessionID)
	}
	return a.server.DeleteUser(ctx, c.Name(), lt.Subject)
}

// backChannelError answers 400, the one failure status §2.8 allows, with
// a JSON error body.
func backChannelError(w http.ResponseWriter, code, description string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": description})
}
