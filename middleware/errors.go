package middleware

import (
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/internal/bounded"
	"github.com/loginkit/loginkit/session"
)

// ErrSessionEnded is returned by Client and Tokens when the provider refused
// the refresh token (invalid_grant): the session is deleted and the user
// must sign in again.
var ErrSessionEnded = errors.New("loginkit/middleware: session ended by the provider")

// Error is what an ErrorHandler receives: a status, a message that is safe to
// show anyone, and the underlying error, which is for logs only.
type Error struct {
	Status  int
	Message string
	Err     error
}

func (e *Error) Error() string { return e.Message }
func (e *Error) Unwrap() error { return e.Err }

// classify maps a login error to a status and a public message. The checks
// follow DESIGN.md: the browser's fault is 4xx, the provider's 502/504.
func classify(err error) *Error {
	var ce *client.CallbackError
	var pe *client.ProviderError
	switch {
	case errors.Is(err, session.ErrUnavailable):
		return &Error{http.StatusServiceUnavailable, "Sign-in is unavailable for a moment. Please try again shortly.", err}
	case errors.As(err, &ce) && ce.Code == "access_denied":
		return &Error{http.StatusForbidden, "Sign-in was cancelled.", err}
	case errors.As(err, &ce):
		return &Error{http.StatusBadRequest, "The provider could not sign you in.", err}
	case errors.Is(err, client.ErrClaimRejected):
		return &Error{http.StatusForbidden, "This account is not allowed to sign in here.", err}
	case errors.Is(err, client.ErrFlowMissing), errors.Is(err, client.ErrStateMismatch):
		return &Error{http.StatusBadRequest, "This sign-in link is not valid in this browser. Please sign in again.", err}
	case errors.Is(err, client.ErrFlowExpired):
		return &Error{http.StatusBadRequest, "The sign-in took too long. Please sign in again.", err}
	case errors.Is(err, client.ErrMissingCode), errors.Is(err, client.ErrInvalidCallback):
		return &Error{http.StatusBadRequest, "The sign-in response is incomplete.", err}
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{http.StatusGatewayTimeout, "The identity provider did not answer in time.", err}
	case errors.Is(err, session.ErrTooLarge):
		return &Error{http.StatusInternalServerError, "The session is too large to keep.", err}
	case errors.Is(err, ErrSessionEnded), errors.Is(err, session.ErrNoSession):
		return &Error{http.StatusUnauthorized, "Please sign in.", err}
	case errors.As(err, &pe), errors.Is(err, bounded.ErrTooLarge), isVerification(err):
		return &Error{http.StatusBadGateway, "The identity provider's response could not be accepted.", err}
	}
	return &Error{http.StatusBadGateway, "Sign-in failed.", err}
}

func isVerification(err error) bool {
	for _, s := range []error{client.ErrInvalidIssuer, client.ErrInvalidIDToken, client.ErrNonceMismatch,
		client.ErrAccessTokenHash, client.ErrInvalidAudience, client.ErrIssuedInFuture, client.ErrTokenExpired,
		client.ErrSubjectMismatch, client.ErrMissingIDToken, client.ErrProviderResponse, client.ErrProfile, client.ErrDiscovery} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

var errorPage = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Status}} · Sign-in</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem}a{color:#0b5fff}</style></head>
<body><h1>{{.Message}}</h1><p>Error {{.Status}}.</p><p><a href="/">Back to the start page</a></p></body></html>
`))

// DefaultErrorHandler writes a short page (JSON for API clients) with the
// status and the public message only.
func DefaultErrorHandler(w http.ResponseWriter, r *http.Request, e *Error) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if wantsJSON(r) {
		h.Set("Content-Type", "application/json")
		w.WriteHeader(e.Status)
		json.NewEncoder(w).Encode(map[string]any{"error": http.StatusText(e.Status), "message": e.Message})
		return
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(e.Status)
	errorPage.Execute(w, e)
}

// fail logs err (token-free by construction) and hands a public Error to the
// configured handler.
func (a *Auth) fail(w http.ResponseWriter, r *http.Request, what string, err error) {
	e := classify(err)
	if e.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "5")
	}
	a.log.LogAttrs(r.Context(), levelFor(e.Status), "loginkit: "+what+" failed",
		attrStatus(e.Status), attrErr(err), attrPath(r))
	a.cfg.ErrorHandler(w, r, e)
}

func isUnsupported(err error) bool { return errors.Is(err, client.ErrUnsupported) }
