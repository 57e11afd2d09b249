package oidctest

import "net/http"

// Endpoint names one of the provider's endpoints, for Count and Hooks.Intercept.
type Endpoint string

// The provider's endpoints. Each is served at the issuer URL followed by the
// path in its comment.
const (
	EndpointDiscovery     Endpoint = "discovery"     // /.well-known/openid-configuration (OIDC Discovery 1.0 §4)
	EndpointJWKS          Endpoint = "jwks"          // /jwks (RFC 7517 §5)
	EndpointAuthorize     Endpoint = "authorize"     // /authorize (RFC 6749 §3.1, OIDC Core §3.1.2)
	EndpointToken         Endpoint = "token"         // /token (RFC 6749 §3.2)
	EndpointUserInfo      Endpoint = "userinfo"      // /userinfo (OIDC Core §5.3)
	EndpointRevocation    Endpoint = "revocation"    // /revoke (RFC 7009)
	EndpointEndSession    Endpoint = "end_session"   // /end_session (OIDC RP-Initiated Logout 1.0)
	EndpointIntrospection Endpoint = "introspection" // /introspect (RFC 7662)
	// EndpointDeviceAuthorization is /device_authorization (RFC 8628 §3.1).
	EndpointDeviceAuthorization Endpoint = "device_authorization"
	// EndpointDevice is the device verification page /device (RFC 8628 §3.3).
	EndpointDevice Endpoint = "device"
	// EndpointRegistration is /register and each registration_client_uri
	// /register/{client_id} (RFC 7591 §3, RFC 7592 §2); Config.Registration
	// enables it.
	EndpointRegistration Endpoint = "registration"
)

// Hooks let a test make the provider misbehave. The zero value changes
// nothing. Hook functions run without the provider's lock held, so they may
// call the Provider's methods (RotateKeys, SetHooks, …).
type Hooks struct {
	// Intercept runs first on every request to a known endpoint (after it is
	// counted); it returns true if it handled the request, for example by
	// hanging until r.Context() is done, writing a 500, or writing a 20 MB
	// body. For the token endpoint the request body is still readable.
	Intercept func(e Endpoint, w http.ResponseWriter, r *http.Request) bool
	// IDTokenClaims may modify the ID token claims just before signing (wrong
	// iss, aud, nonce or azp, exp in the past, iat dropped, …). Time claims
	// are int64 Unix seconds and aud is a string.
	IDTokenClaims func(claims map[string]any)
	// TokenResponse may modify the token endpoint's JSON response just before
	// it is written (RFC 6749 §5.1).
	TokenResponse func(resp map[string]any)
	// AccessTokenClaims may modify the claims of an RFC 9068 JWT access
	// token (see Resource) just before signing, as IDTokenClaims does.
	AccessTokenClaims func(claims map[string]any)
	// AccessTokenType replaces the typ header "at+jwt" of JWT access tokens
	// (say "JWT", to look like an ID token).
	AccessTokenType string
	// BadSignature signs ID tokens (and JWT access tokens) with a key that
	// is not in the JWKS but carries the kid of the current key.
	BadSignature bool
	// SignAlg overrides the JWS algorithm of ID tokens (and JWT access
	// tokens), to test that clients
	// refuse them: "HS256", "HS384" or "HS512" sign with the client secret as
	// the HMAC key (RFC 7518 §3.2, whatever its length), "none" produces an
	// unsecured JWT (RFC 7519 §6), and any other value (for example "RS384"
	// or "PS256") signs with the current key if go-jose allows that pairing.
	SignAlg string
}
