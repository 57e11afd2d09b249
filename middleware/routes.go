package middleware

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/session"
)

// Register adds the login, callback and logout routes to mux: the logout
// callback, front-channel logout and, with a session.ServerStore,
// back-channel logout.
func (a *Auth) Register(mux *http.ServeMux) {
	p := a.cfg.Paths
	mux.HandleFunc("GET "+p.Login+"{provider}", a.login)
	mux.HandleFunc("GET "+p.Callback+"{provider}", a.callback)
	mux.HandleFunc("POST "+p.Callback+"{provider}", a.callback)
	mux.HandleFunc("POST "+p.Logout, a.logout)
	mux.HandleFunc("GET "+p.LogoutCallback, a.logoutCallback)
	mux.HandleFunc("GET "+p.FrontChannelLogout+"{provider}", a.frontChannelLogout)
	if a.server != nil {
		mux.HandleFunc("POST "+p.BackChannelLogout+"{provider}", a.backChannelLogout)
	}
}

// Handler serves the routes of Register, for routers other than ServeMux:
// mount it so that it sees the full path.
func (a *Auth) Handler() http.Handler {
	mux := http.NewServeMux()
	a.Register(mux)
	return mux
}

// login starts a sign-in: GET /login/{provider}?return_to=/path.
func (a *Auth) login(w http.ResponseWriter, r *http.Request) {
	c := a.clients[r.PathValue("provider")]
	if c == nil {
		a.cfg.ErrorHandler(w, r, &Error{Status: http.StatusNotFound, Message: "Unknown sign-in provider."})
		return
	}
	q := r.URL.Query()
	authURL, flow, err := c.Begin(r.Context(), client.BeginOptions{
		ReturnTo: SafeReturnTo(q.Get("return_to"), a.cfg.Paths.AfterLogin),
		Prompt:   allowedPrompt(q.Get("prompt")),
	})
	if err != nil {
		a.fail(w, r, "login", err)
		return
	}
	if err := a.flows.SaveFlow(w, r, flow, c.Provider().ResponseMode == "form_post"); err != nil {
		a.fail(w, r, "login", err)
		return
	}
	// The browser follows Location; http.Redirect would also write the URL,
	// HTML-escaped, into a body nobody reads.
	h := w.Header()
	h["Cache-Control"] = []string{"no-store"}
	h["Location"] = []string{authURL}
	w.WriteHeader(http.StatusFound)
}

// allowedPrompt passes through the prompt values of OpenID Connect Core §3.1.2.1.
func allowedPrompt(p string) string {
	switch p {
	case "login", "consent", "select_account", "none":
		return p
	}
	return ""
}

// maxCallbackBody bounds a form_post callback.
const maxCallbackBody = 64 << 10

// callback completes a sign-in: GET or POST /callback/{provider}.
func (a *Auth) callback(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	c := a.clients[r.PathValue("provider")]
	if c == nil {
		a.cfg.ErrorHandler(w, r, &Error{Status: http.StatusNotFound, Message: "Unknown sign-in provider."})
		return
	}
	params := r.URL.Query()
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, maxCallbackBody)
		if err := r.ParseForm(); err != nil {
			a.cfg.ErrorHandler(w, r, &Error{Status: http.StatusBadRequest, Message: "The sign-in response is malformed.", Err: err})
			return
		}
		params = r.PostForm
	}
	flow, err := a.flows.TakeFlow(w, r, params.Get("state"))
	if err != nil {
		a.fail(w, r, "callback", err)
		return
	}
	res, err := c.Callback(r.Context(), flow, params)
	if err != nil {
		a.fail(w, r, "callback", err)
		return
	}
	// A new session with a new ID replaces whatever the browser had:
	// nothing an attacker planted before the login survives it.
	_ = a.store.Delete(w, r)
	s := session.New(res.User, res.Tokens, a.cfg.Now(), a.cfg.SessionLifetime)
	if err := a.store.Save(w, r, s); err != nil {
		a.fail(w, r, "callback", err)
		return
	}
	a.log.LogAttrs(r.Context(), -4, "loginkit: signed in", attrProvider(c.Name()))
	http.Redirect(w, r, flow.ReturnTo, http.StatusSeeOther)
}

// logout ends the session: POST /logout. It deletes the session (with a
// server-side store its ID never works again), revokes the refresh token
// where the provider allows (RFC 7009) and, when the provider has an
// end_session_endpoint, sends the browser there with state (OpenID Connect
// RP-Initiated Logout 1.0), to come back to the logout callback. When the
// store cannot be reached nothing is ended and the answer is 503, so the
// user does not believe they signed out.
func (a *Auth) logout(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if !a.sameOrigin(r) {
		a.cfg.ErrorHandler(w, r, &Error{Status: http.StatusForbidden, Message: "Sign-out must come from this site."})
		return
	}
	s, err := a.store.Load(r)
	if err != nil && !errors.Is(err, session.ErrNoSession) {
		a.fail(w, r, "logout", err)
		return
	}
	if err := a.store.Delete(w, r); err != nil {
		a.fail(w, r, "logout", err)
		return
	}
	target := a.cfg.Paths.AfterLogout
	if s != nil {
		target = a.endProviderSession(w, r, s, target)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// sameOrigin refuses cross-site state-changing requests (logout CSRF): the
// Origin header, or Sec-Fetch-Site, must say the request came from this site.
func (a *Auth) sameOrigin(r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		return strings.EqualFold(o, a.base.Scheme+"://"+a.base.Host)
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site":
		return false
	}
	return true
}

func (a *Auth) absolute(path string) string { return a.base.String() + path }

// SafeReturnTo returns p when it is a same-origin relative path ("/x?y"),
// else fallback. It refuses scheme-relative ("//evil"), backslash
// ("/\evil"), absolute and control-character paths: the open redirects
// RFC 9700 §4.11 warns of.
func SafeReturnTo(p, fallback string) string {
	if p == "" || len(p) > 2048 || p[0] != '/' || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\x00\r\n\t") {
		return fallback
	}
	for i := 0; i < len(p); i++ {
		if p[i] < 0x20 || p[i] == 0x7f {
			return fallback
		}
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") {
		return fallback
	}
	return p
}
