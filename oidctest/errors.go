package oidctest

import (
	"encoding/json"
	"net/http"
)

// Error codes of RFC 6749 §4.1.2.1 and §5.2, OIDC Core §3.1.2.6 and RFC 6750 §3.1.
const (
	codeInvalidRequest          = "invalid_request"
	codeInvalidClient           = "invalid_client"
	codeInvalidGrant            = "invalid_grant"
	codeUnsupportedGrantType    = "unsupported_grant_type"
	codeUnsupportedResponseType = "unsupported_response_type"
	codeInvalidScope            = "invalid_scope"
	codeAccessDenied            = "access_denied"
	codeLoginRequired           = "login_required"
	codeServerError             = "server_error"
	codeInvalidToken            = "invalid_token"
	codeRequestNotSupported     = "request_not_supported"
	codeRequestURINotSupported  = "request_uri_not_supported"
)

// oauthError is an error response of RFC 6749 §5.2 (or, at /authorize, one
// sent back to the client per §4.1.2.1).
type oauthError struct {
	status int
	code   string
	desc   string
}

func (e *oauthError) Error() string { return e.code + ": " + e.desc }

func newError(code, desc string) *oauthError {
	status := http.StatusBadRequest
	switch code {
	case codeInvalidClient:
		status = http.StatusUnauthorized
	case codeServerError:
		status = http.StatusInternalServerError
	}
	return &oauthError{status: status, code: code, desc: desc}
}

// writeJSON writes v as a JSON response that no cache may store (RFC 6749 §5.1).
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client may be gone; nothing to do
}

// writeError writes e as RFC 6749 §5.2 JSON. invalid_client gets 401 with a
// WWW-Authenticate challenge for HTTP Basic (RFC 6749 §5.2, RFC 7617).
func writeError(w http.ResponseWriter, e *oauthError) {
	if e.code == codeInvalidClient {
		w.Header().Set("WWW-Authenticate", `Basic realm="oidctest", charset="UTF-8"`)
	}
	writeJSON(w, e.status, map[string]string{"error": e.code, "error_description": e.desc})
}
