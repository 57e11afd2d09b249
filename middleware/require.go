package middleware

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/session"
)

type ctxKey struct{}

// UserFrom returns the signed-in user that Require or Optional put in ctx.
func UserFrom(ctx context.Context) (*client.User, bool) {
	s, ok := ctx.Value(ctxKey{}).(*session.Session)
	if !ok {
		return nil, false
	}
	return &s.User, true
}

// SessionFrom returns the session that Require or Optional put in ctx.
func SessionFrom(ctx context.Context) (*session.Session, bool) {
	s, ok := ctx.Value(ctxKey{}).(*session.Session)
	return s, ok
}

// Require lets only signed-in users through to next, with the session in the
// request context. Others are redirected to sign in (browsers, with
// return_to) or get a 401 JSON answer (API clients: Accept asks for JSON).
// Only the identity is decoded; tokens wait until a handler asks.
func (a *Auth) Require(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := a.store.Load(r)
		if err != nil {
			a.unauthenticated(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, s)))
	})
}

// Optional puts the session in the request context when there is one and
// calls next either way.
func (a *Auth) Optional(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s, err := a.store.Load(r); err == nil {
			r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, s))
		}
		next.ServeHTTP(w, r)
	})
}

func (a *Auth) unauthenticated(w http.ResponseWriter, r *http.Request, err error) {
	if !errors.Is(err, session.ErrNoSession) {
		// The store failed (not "signed out"): say so rather than loop the
		// browser through a login it does not need.
		a.fail(w, r, "session load", err)
		return
	}
	if wantsJSON(r) || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="loginkit"`)
		a.cfg.ErrorHandler(w, r, &Error{Status: http.StatusUnauthorized, Message: "Please sign in.", Err: err})
		return
	}
	http.Redirect(w, r, a.loginURL(r.URL.RequestURI()), http.StatusFound)
}

// loginURL is where Require sends a browser: the only provider's login route,
// or the login page when there are several.
func (a *Auth) loginURL(returnTo string) string {
	q := url.Values{"return_to": {SafeReturnTo(returnTo, a.cfg.Paths.AfterLogin)}}.Encode()
	if len(a.order) == 1 {
		return a.cfg.Paths.Login + a.order[0] + "?" + q
	}
	return a.cfg.Paths.LoginPage + "?" + q
}

// wantsJSON tells API clients from browsers by what they accept.
func wantsJSON(r *http.Request) bool {
	acc := r.Header.Get("Accept")
	return strings.Contains(acc, "application/json") && !strings.Contains(acc, "text/html")
}
