package client

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// Sentinel errors. Match them with errors.Is; every error returned by this
// package wraps one of them or is a *ProviderError or *CallbackError.
var (
	ErrInvalidCallback  = errors.New("loginkit: the callback's parameters are not acceptable")
	ErrStateMismatch    = errors.New("loginkit: state does not match the pending login")
	ErrFlowExpired      = errors.New("loginkit: the login took too long; start again")
	ErrFlowMissing      = errors.New("loginkit: no pending login for this browser")
	ErrMissingCode      = errors.New("loginkit: callback carries no authorization code")
	ErrInvalidIssuer    = errors.New("loginkit: issuer does not match the provider")
	ErrNonceMismatch    = errors.New("loginkit: ID token nonce does not match")
	ErrInvalidIDToken   = errors.New("loginkit: ID token is invalid")
	ErrMissingIDToken   = errors.New("loginkit: token response carries no ID token")
	ErrAccessTokenHash  = errors.New("loginkit: at_hash does not match the access token")
	ErrInvalidAudience  = errors.New("loginkit: ID token audience or azp is wrong")
	ErrIssuedInFuture   = errors.New("loginkit: ID token iat is missing or in the future")
	ErrTokenExpired     = errors.New("loginkit: ID token has expired")
	ErrSubjectMismatch  = errors.New("loginkit: subject differs from the signed-in user")
	ErrInvalidGrant     = errors.New("loginkit: grant is invalid, expired or revoked")
	ErrNoRefreshToken   = errors.New("loginkit: no refresh token to refresh with")
	ErrUnsupported      = errors.New("loginkit: the provider does not support this")
	ErrDiscovery        = errors.New("loginkit: provider discovery failed")
	ErrProfile          = errors.New("loginkit: fetching the user's profile failed")
	ErrInvalidConfig    = errors.New("loginkit: invalid provider configuration")
	ErrProviderResponse = errors.New("loginkit: provider sent a malformed response")
	ErrClaimRejected    = errors.New("loginkit: the ID token's claims are not accepted by this application")
	ErrKeysUnavailable  = errors.New("loginkit: the provider's signing keys could not be fetched")
)

// Sentinel errors of access-token verification (AccessTokenVerifier). Every
// refusal of a token wraps ErrInvalidAccessToken and one named reason;
// ErrIntrospection, ErrKeysUnavailable and ErrDiscovery mean the token could
// not be checked at all (an outage, not a bad token).
var (
	ErrInvalidAccessToken     = errors.New("loginkit: access token is not valid")
	ErrMalformedAccessToken   = errors.New("loginkit: access token is malformed or lacks a required claim")
	ErrAccessTokenType        = errors.New("loginkit: token is not an access token (JWT typ is not at+jwt)")
	ErrAccessTokenSignature   = errors.New("loginkit: access token signature or algorithm is not accepted")
	ErrAccessTokenAudience    = errors.New("loginkit: access token is meant for another audience")
	ErrAccessTokenExpired     = errors.New("loginkit: access token has expired")
	ErrAccessTokenNotYetValid = errors.New("loginkit: access token nbf or iat is in the future")
	ErrAccessTokenInactive    = errors.New("loginkit: introspection says the access token is not active")
	ErrSenderConstrained      = errors.New("loginkit: access token is bound to a key (cnf) and cannot be used as a bearer token")
	ErrIntrospection          = errors.New("loginkit: token introspection failed")
)

// ProviderError is an error response from a provider endpoint, mirroring
// RFC 6749 §5.2 (token endpoint) and RFC 6750 §3 (resource servers).
type ProviderError struct {
	Endpoint    string // "token", "userinfo", "revocation", …
	Status      int    // HTTP status code
	Code        string // "invalid_grant", "invalid_client", …
	Description string // error_description, trimmed and sanitised
	URI         string // error_uri
}

func (e *ProviderError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "loginkit: %s endpoint", e.Endpoint)
	if e.Code != "" {
		b.WriteString(": " + e.Code)
	}
	if e.Description != "" {
		b.WriteString(": " + e.Description)
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.Status)
	}
	return b.String()
}

// Is lets errors.Is(err, ErrInvalidGrant) match an invalid_grant response.
func (e *ProviderError) Is(target error) bool {
	return target == ErrInvalidGrant && e.Code == "invalid_grant"
}

// CallbackError is the error a provider sent back to the redirect URI
// (RFC 6749 §4.1.2.1), such as access_denied.
type CallbackError struct {
	Code        string
	Description string
	URI         string
}

func (e *CallbackError) Error() string {
	if e.Description == "" {
		return "loginkit: provider returned " + e.Code
	}
	return "loginkit: provider returned " + e.Code + ": " + e.Description
}

// clean makes provider-controlled text safe to put in an error string: at most
// 200 printable characters.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return -1
	}, s)
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
