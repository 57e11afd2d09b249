package middleware

import (
	"net/http"
	"strings"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/internal/randx"
	"github.com/loginkit/loginkit/session"
)

// logoutFlowPrefix marks the Provider of a pending logout kept in the flow
// store, so that a pending logout can never complete a login (checkFlow
// compares providers) nor a pending login a logout.
const logoutFlowPrefix = "logout:"

// endProviderSession revokes the session's refresh token and returns the
// provider's end-session URL with a fresh state, kept for this browser as a
// pending logout; or fallback when the provider has no end_session_endpoint.
func (a *Auth) endProviderSession(w http.ResponseWriter, r *http.Request, s *session.Session, fallback string) string {
	c := a.clients[s.User.Provider]
	t, err := s.Tokens()
	if c == nil || err != nil {
		return fallback
	}
	if t.RefreshToken != "" {
		if err := c.Revoke(r.Context(), t.RefreshToken, "refresh_token"); err != nil && !isUnsupported(err) {
			a.log.LogAttrs(r.Context(), levelFor(502), "loginkit: revocation failed", attrErr(err), attrProvider(c.Name()))
		}
	}
	callback := a.absolute(a.cfg.Paths.LogoutCallback)
	state := randx.Token(32)
	u := c.EndSessionURL(r.Context(), t.IDToken, callback, state)
	if u == "" {
		return fallback
	}
	f := &client.Flow{Provider: logoutFlowPrefix + c.Name(), State: state, RedirectURL: callback,
		ReturnTo: a.cfg.Paths.AfterLogout, Created: a.cfg.Now()}
	if err := a.flows.SaveFlow(w, r, f, false); err != nil {
		// The provider's session still ends; only the landing will fail.
		a.log.LogAttrs(r.Context(), levelFor(500), "loginkit: keeping the logout state failed", attrErr(err))
	}
	return u
}

// logoutCallback is the post_logout_redirect_uri: GET /logout/callback
// ?state=…. The state must be the one this browser's logout sent (RP-Initiated
// Logout 1.0 §3), used once; then the browser goes on to AfterLogout.
// Anything else gets an error page, not a redirect.
func (a *Auth) logoutCallback(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	f, err := a.flows.TakeFlow(w, r, r.URL.Query().Get("state"))
	if err == nil && (!strings.HasPrefix(f.Provider, logoutFlowPrefix) || f.Verifier != "" ||
		f.RedirectURL != a.absolute(a.cfg.Paths.LogoutCallback)) {
		err = client.ErrStateMismatch
	}
	if err != nil {
		e := &Error{Status: http.StatusBadRequest, Message: "This sign-out link is not valid in this browser.", Err: err}
		a.log.LogAttrs(r.Context(), levelFor(e.Status), "loginkit: logout callback failed", attrErr(err), attrPath(r))
		a.cfg.ErrorHandler(w, r, e)
		return
	}
	http.Redirect(w, r, SafeReturnTo(f.ReturnTo, a.cfg.Paths.AfterLogout), http.StatusSeeOther)
}
