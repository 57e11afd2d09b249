package middleware

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/session"
)

// Front-channel logout (OpenID Connect Front-Channel Logout 1.0): the
// provider's logout page loads GET /logout/frontchannel/{provider}?iss=…&sid=…
// in an iframe. With a session.ServerStore the sessions of that provider
// session (sid) end on every instance; whatever the store, the browser's own
// session for this provider ends when its cookie comes along. Browsers that
// block third-party cookies (and SameSite=Lax) keep cookies out of a
// cross-site iframe, which is why the sid index, not the cookie, carries
// this logout. The page may be framed only by the provider's origin.
//
// Threat model: a GET anyone can send. It can end only the sessions of a
// provider session ID (an unguessable value the provider issued), or the
// requesting browser's own session.
func (a *Auth) frontChannelLogout(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-cache, no-store")
	h.Set("Pragma", "no-cache")
	c := a.clients[r.PathValue("provider")]
	if c == nil || c.Provider().Issuer == "" {
		a.cfg.ErrorHandler(w, r, &Error{Status: http.StatusNotFound, Message: "Unknown sign-in provider."})
		return
	}
	// Framed by the provider, and by no one else (X-Frame-Options cannot say
	// that; an app wrapper may have set it to DENY).
	h.Del("X-Frame-Options")
	h.Set("Content-Security-Policy", "frame-ancestors "+origin(c.Provider().Issuer))
	sid, err := a.frontChannelSID(r, c)
	if err == nil {
		err = a.endFrontChannel(w, r, c, sid)
	}
	switch {
	case errors.Is(err, errFrontChannel):
		a.cfg.ErrorHandler(w, r, &Error{Status: http.StatusBadRequest, Message: "The sign-out request is not valid.", Err: err})
	case err != nil:
		a.fail(w, r, "front-channel logout", err)
	default:
		h.Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Signed out</title></head><body><p>Signed out.</p></body></html>`+"\n")
	}
}

var errFrontChannel = errors.New("loginkit/middleware: front-channel logout needs both iss, the provider's issuer, and sid")

// frontChannelSID returns the request's sid, "" when it has neither iss nor
// sid; when either is sent both must be, and iss must be the provider's (§2).
func (a *Auth) frontChannelSID(r *http.Request, c *client.Client) (string, error) {
	q := r.URL.Query()
	iss, sid := q.Get("iss"), q.Get("sid")
	if iss == "" && sid == "" {
		return "", nil
	}
	m, err := c.Discover(r.Context())
	if err != nil {
		return "", err
	}
	if iss != m.Issuer || sid == "" {
		return "", errFrontChannel
	}
	return sid, nil
}

// endFrontChannel ends the sessions of provider session sid on every
// instance (with a ServerStore), and the browser's own session for this
// provider when its cookie came along and, given a sid, names it.
func (a *Auth) endFrontChannel(w http.ResponseWriter, r *http.Request, c *client.Client, sid string) error {
	if sid != "" && a.server != nil {
		n, err := a.server.DeleteProviderSession(r.Context(), c.Name(), sid)
		if err != nil {
			return err
		}
		a.log.LogAttrs(r.Context(), slog.LevelInfo, "loginkit: front-channel logout", attrProvider(c.Name()), slog.Int("sessions", n))
	}
	s, err := a.store.Load(r)
	if err == nil && s.User.Provider == c.Name() && (sid == "" || s.User.SessionID == sid) {
		err = a.store.Delete(w, r)
	}
	if errors.Is(err, session.ErrNoSession) {
		return nil
	}
	return err
}

// origin is scheme://host of a URL, for frame-ancestors.
func origin(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "'none'"
	}
	return u.Scheme + "://" + u.Host
}
