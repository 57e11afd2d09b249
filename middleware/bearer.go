package middleware

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/loginkit/loginkit/client"
)

// Bearer-token protection for APIs (RFC 6750), beside the browser sessions
// of Auth: an API needs no cookie, key or route, only a verifier.
//
// Threat model. The token comes from the Authorization header alone (§2.1):
// never from the query string, which ends up in logs and Referer headers
// (§2.3 is refused with invalid_request), nor from a form body. Only
// client.AccessTokenVerifier decides whether a token is good; this file maps
// its answer to the statuses of §3 and never writes the token, the error's
// text or the claims anywhere: responses carry a fixed error code, logs the
// error (which by construction holds no token). A provider outage is a 503,
// so that clients retry rather than throw their tokens away. Per-request
// work is bounded by the verifier: a token longer than
// client.MaxAccessTokenBytes is refused before any parsing.

type bearerKey struct{}

// BearerFrom returns the verified access token that Bearer put in ctx.
func BearerFrom(ctx context.Context) (*client.AccessToken, bool) {
	t, ok := ctx.Value(bearerKey{}).(*client.AccessToken)
	return t, ok
}

// BearerConfig configures Bearer.
type BearerConfig struct {
	// Verifier checks the tokens. Required; share one among the routes of
	// an API, since it holds the introspection cache.
	Verifier *client.AccessTokenVerifier
	// Realm is the realm of the WWW-Authenticate challenge (RFC 6750 §3);
	// default "api". Printable ASCII without quotes or backslashes.
	Realm string
	// Scopes must all be granted by the token, else 403 insufficient_scope
	// (RFC 6750 §3.1). Scope tokens as of RFC 6749 §3.3.
	Scopes []string
	// ErrorHandler writes error responses once the WWW-Authenticate header
	// is set; default a JSON body {"error": code} with the status only.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, e *Error)
	// Logger gets a line per refused token (Debug) and per outage (Error),
	// never a token; default slog.Default().
	Logger *slog.Logger
}

// Bearer returns middleware that lets through requests carrying a valid
// access token in an Authorization: Bearer header, with its claims in the
// request context (BearerFrom). Others get RFC 6750 §3 answers: 401 and a
// challenge without error code when there is no token, 400 invalid_request
// for a malformed request, 401 invalid_token for a refused token, 403
// insufficient_scope when a scope is missing, and 503 when the token could
// not be checked (the provider or its keys are unreachable).
func Bearer(cfg BearerConfig) (func(http.Handler) http.Handler, error) {
	if cfg.Verifier == nil {
		return nil, errors.New("loginkit/middleware: BearerConfig.Verifier is required")
	}
	if cfg.Realm == "" {
		cfg.Realm = "api"
	}
	if !isQuotable(cfg.Realm) {
		return nil, fmt.Errorf("loginkit/middleware: BearerConfig.Realm %q cannot be quoted in a challenge", cfg.Realm)
	}
	for _, s := range cfg.Scopes {
		if !isScopeToken(s) {
			return nil, fmt.Errorf("loginkit/middleware: BearerConfig.Scopes: %q is not a scope token", s)
		}
	}
	if cfg.ErrorHandler == nil {
		cfg.ErrorHandler = bearerErrorJSON
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	b := &bearer{cfg: cfg, scope: strings.Join(cfg.Scopes, " ")}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { b.serve(w, r, next) })
	}, nil
}

type bearer struct {
	cfg   BearerConfig
	scope string // cfg.Scopes joined, for the challenge
}

// The error codes of RFC 6750 §3.1, and ours for the other answers.
const (
	codeInvalidRequest    = "invalid_request"
	codeInvalidToken      = "invalid_token"
	codeInsufficientScope = "insufficient_scope"
	codeUnauthorized      = "unauthorized" // no token: §3.1 says no error code in the challenge
	codeUnavailable       = "temporarily_unavailable"
	codeServerError       = "server_error"
)

var (
	errNoBearer         = errors.New("loginkit/middleware: no bearer token")
	errBadAuthorization = errors.New("loginkit/middleware: malformed Authorization header")
	errQueryToken       = errors.New("loginkit/middleware: access token in the query string (RFC 6750 §2.3 is not accepted)")
	errScope            = errors.New("loginkit/middleware: the access token lacks a required scope")
)

func (b *bearer) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	raw, err := bearerToken(r)
	if err != nil {
		b.refuse(w, r, err)
		return
	}
	t, err := b.cfg.Verifier.Verify(r.Context(), raw)
	if err != nil {
		b.refuse(w, r, err)
		return
	}
	for _, s := range b.cfg.Scopes {
		if !t.HasScope(s) {
			b.refuse(w, r, errScope)
			return
		}
	}
	next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), bearerKey{}, t)))
}

// bearerToken reads the token of an Authorization: Bearer header (RFC 6750
// §2.1: "Bearer" 1*SP b64token; the scheme is case-insensitive, RFC 9110
// §11.1). The token's syntax is the verifier's to check.
func bearerToken(r *http.Request) (string, error) {
	values := r.Header.Values("Authorization")
	switch {
	case len(values) > 1:
		return "", errBadAuthorization
	case len(values) == 0 && r.URL.Query().Has("access_token"):
		return "", errQueryToken
	case len(values) == 0:
		return "", errNoBearer
	}
	return parseBearer(values[0])
}

// parseBearer splits one Authorization value; another scheme is no bearer
// token at all.
func parseBearer(v string) (string, error) {
	scheme, rest, _ := strings.Cut(v, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", errNoBearer
	}
	token := strings.TrimLeft(rest, " ")
	if token == "" || strings.ContainsAny(token, " \t,") {
		return "", errBadAuthorization
	}
	return token, nil
}

// refuse maps err to a status and an RFC 6750 §3 challenge and hands a
// public Error to the ErrorHandler.
func (b *bearer) refuse(w http.ResponseWriter, r *http.Request, err error) {
	status, code := bearerStatus(err)
	challenge := `Bearer realm="` + b.cfg.Realm + `"`
	switch code {
	case codeInvalidRequest, codeInvalidToken:
		challenge += `, error="` + code + `"`
	case codeInsufficientScope:
		challenge += `, error="` + code + `", scope="` + b.scope + `"`
	}
	h := w.Header()
	if status == http.StatusServiceUnavailable {
		h.Set("Retry-After", "5")
	}
	if status < 500 {
		h.Set("WWW-Authenticate", challenge)
	}
	level := slog.LevelDebug
	if status >= 500 {
		level = slog.LevelError
	}
	b.cfg.Logger.LogAttrs(r.Context(), level, "loginkit: bearer token refused",
		attrStatus(status), attrErr(err), attrPath(r))
	b.cfg.ErrorHandler(w, r, &Error{Status: status, Message: code, Err: err})
}

// bearerStatus classifies a refusal: the client's fault is 4xx, an outage
// 503, a configuration mistake 500.
func bearerStatus(err error) (int, string) {
	switch {
	case errors.Is(err, errNoBearer):
		return http.StatusUnauthorized, codeUnauthorized
	case errors.Is(err, errBadAuthorization), errors.Is(err, errQueryToken):
		return http.StatusBadRequest, codeInvalidRequest
	case errors.Is(err, errScope):
		return http.StatusForbidden, codeInsufficientScope
	case errors.Is(err, client.ErrInvalidAccessToken):
		return http.StatusUnauthorized, codeInvalidToken
	case errors.Is(err, client.ErrUnsupported), errors.Is(err, client.ErrInvalidConfig), isInvalidClient(err):
		return http.StatusInternalServerError, codeServerError
	}
	return http.StatusServiceUnavailable, codeUnavailable
}

// isInvalidClient: the provider refused the resource server's own
// credentials at the introspection endpoint, a configuration mistake.
func isInvalidClient(err error) bool {
	var pe *client.ProviderError
	return errors.As(err, &pe) && pe.Code == "invalid_client"
}

// bearerErrorJSON is the default ErrorHandler of Bearer: {"error": code},
// nothing else.
func bearerErrorJSON(w http.ResponseWriter, _ *http.Request, e *Error) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(e.Status)
	json.NewEncoder(w).Encode(map[string]string{"error": e.Message})
}

// isQuotable: printable ASCII without '"' or '\', safe inside a
// quoted-string (RFC 9110 §5.6.4) without escaping.
func isQuotable(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// isScopeToken: 1*NQCHAR (RFC 6749 §3.3), which also quotes safely.
func isScopeToken(s string) bool {
	return s != "" && !strings.Contains(s, " ") && isQuotable(s)
}
