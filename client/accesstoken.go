package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// AccessToken is a verified access token's claims, from an RFC 9068 JWT or
// from an RFC 7662 introspection response. It never holds the token itself.
// Verify may hand several callers values that share the slices and Raw:
// treat them as read-only.
type AccessToken struct {
	Issuer   string
	Subject  string // required in a JWT; an introspected client-credentials token may have none
	Audience []string
	ClientID string   // client_id: the client the token was issued to
	Scopes   []string // scope, split at spaces (RFC 9068 §2.2.3, RFC 7662 §2.2)
	JWTID    string   // jti
	Expiry   time.Time
	IssuedAt time.Time // zero when the token has no iat
	// NotBefore is zero when the token has no nbf.
	NotBefore time.Time
	// Introspected is true when the provider vouched for the token by
	// introspection, false for a JWT verified here.
	Introspected bool
	// Raw is the JWT's payload or the introspection response, as sent, for
	// claims beyond these (roles, groups, …).
	Raw json.RawMessage
}

// HasScope reports whether the token grants scope.
func (t *AccessToken) HasScope(scope string) bool { return slices.Contains(t.Scopes, scope) }

// AccessTokenFormat says how an AccessTokenVerifier checks a token.
type AccessTokenFormat int

const (
	// AccessTokenAuto verifies a JWT (a compact JWS) locally as an RFC 9068
	// access token and introspects any other token (RFC 7662) when the
	// provider has an introspection endpoint. A JWT that fails is refused,
	// never introspected.
	AccessTokenAuto AccessTokenFormat = iota
	// AccessTokenJWT accepts RFC 9068 JWTs only; the provider is asked for
	// nothing but its discovery document and keys.
	AccessTokenJWT
	// AccessTokenIntrospect introspects every token, JWTs included, so that
	// a revoked token is refused within CacheTTL.
	AccessTokenIntrospect
)

// Defaults and limits of access-token verification.
const (
	DefaultIntrospectionCacheTTL  = time.Minute
	DefaultNegativeCacheTTL       = 5 * time.Second
	DefaultIntrospectionCacheSize = 10_000
	// MaxAccessTokenBytes bounds the tokens Verify looks at; longer ones
	// are refused as malformed before any work.
	MaxAccessTokenBytes = 16 << 10
)

// AccessTokenConfig configures an AccessTokenVerifier for one resource
// server (an API).
type AccessTokenConfig struct {
	// Audience is this resource server's identifier, which its tokens carry
	// in aud (RFC 9068 §4; the resource indicator of RFC 8707). Required: a
	// resource server that does not pin its audience accepts the tokens the
	// provider issued for every other API.
	Audience string
	// Format is how tokens are checked; default AccessTokenAuto.
	Format AccessTokenFormat
	// InsecureTypes are JWT typ values accepted beside "at+jwt" (RFC 9068
	// §2.1), such as "JWT" for providers that predate it. Only the audience
	// then tells an ID token from an access token, so Audience must differ
	// from the client's ID.
	InsecureTypes []string
	// IntrospectionURL replaces the introspection_endpoint of discovery.
	IntrospectionURL string
	// InsecureUntypedIntrospection accepts an introspected token whose
	// answer has neither token_type nor aud. By default such a token is
	// refused: nothing then says it is an access token for this API, and
	// some providers describe refresh tokens exactly so (panva's
	// oidc-provider). Set it only for a provider whose access tokens are
	// introspected that way and whose refresh tokens never reach the API.
	InsecureUntypedIntrospection bool
	// CacheTTL is the longest an active introspection result is reused
	// (never past the token's exp); default DefaultIntrospectionCacheTTL. A
	// revoked token is accepted for at most this long.
	CacheTTL time.Duration
	// NegativeCacheTTL is how long a refusal by introspection is reused;
	// default DefaultNegativeCacheTTL, negative for never. Outages are never
	// cached.
	NegativeCacheTTL time.Duration
	// CacheSize bounds the introspection cache, least recently used first
	// out; default DefaultIntrospectionCacheSize.
	CacheSize int
}

// AccessTokenVerifier checks the access tokens presented to a resource
// server (RFC 6750): RFC 9068 JWTs against the provider's keys, other
// tokens by introspection (RFC 7662) with a cache keyed by the token's
// SHA-256. It is safe for concurrent use; build one per API and share it.
type AccessTokenVerifier struct {
	c   *Client
	cfg AccessTokenConfig

	mu    sync.Mutex // guards the fields below
	cache *tokenCache
	calls map[[32]byte]*introCall
}

// NewAccessTokenVerifier returns a verifier for tokens issued by c's
// provider to the resource server cfg.Audience. c authenticates at the
// introspection endpoint as it does at the token endpoint; a resource
// server builds c with NewWithoutRedirect. No network call is made.
func NewAccessTokenVerifier(c *Client, cfg AccessTokenConfig) (*AccessTokenVerifier, error) {
	switch {
	case c == nil:
		return nil, fmt.Errorf("%w: NewAccessTokenVerifier needs a Client", ErrInvalidConfig)
	case cfg.Audience == "":
		return nil, fmt.Errorf("%w: %s: AccessTokenConfig.Audience is required", ErrInvalidConfig, c.p.Name)
	case len(cfg.InsecureTypes) > 0 && cfg.Audience == c.p.ClientID:
		return nil, fmt.Errorf("%w: %s: with InsecureTypes, Audience must not be the client ID (ID tokens carry it)", ErrInvalidConfig, c.p.Name)
	case cfg.Format < AccessTokenAuto || cfg.Format > AccessTokenIntrospect:
		return nil, fmt.Errorf("%w: %s: unknown AccessTokenFormat %d", ErrInvalidConfig, c.p.Name, cfg.Format)
	case cfg.CacheTTL < 0 || cfg.CacheSize < 0:
		return nil, fmt.Errorf("%w: %s: negative CacheTTL or CacheSize", ErrInvalidConfig, c.p.Name)
	}
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = DefaultIntrospectionCacheTTL
	}
	if cfg.NegativeCacheTTL == 0 {
		cfg.NegativeCacheTTL = DefaultNegativeCacheTTL
	}
	if cfg.CacheSize == 0 {
		cfg.CacheSize = DefaultIntrospectionCacheSize
	}
	return &AccessTokenVerifier{c: c, cfg: cfg, cache: newTokenCache(cfg.CacheSize), calls: map[[32]byte]*introCall{}}, nil
}

// Audience is the resource server's identifier the verifier requires.
func (v *AccessTokenVerifier) Audience() string { return v.cfg.Audience }

// Verify checks raw, an access token from an Authorization: Bearer header,
// and returns its claims. A refused token gives an error wrapping
// ErrInvalidAccessToken and the reason (ErrAccessTokenExpired, …); a token
// that could not be checked gives ErrIntrospection, ErrKeysUnavailable or
// ErrDiscovery (an outage: answer 503, not 401). No error holds the token.
func (v *AccessTokenVerifier) Verify(ctx context.Context, raw string) (*AccessToken, error) {
	if err := checkTokenSyntax(raw); err != nil {
		return nil, err
	}
	jwtLike := strings.Count(raw, ".") == 2
	switch {
	case v.cfg.Format == AccessTokenIntrospect:
		return v.introspect(ctx, raw)
	case jwtLike:
		return v.verifyJWT(ctx, raw)
	case v.cfg.Format == AccessTokenJWT:
		return nil, reject(ErrMalformedAccessToken, "not a JWT")
	}
	return v.introspectIfAvailable(ctx, raw)
}

// reject builds a refusal: ErrInvalidAccessToken and the named reason.
func reject(reason error, format string, args ...any) error {
	return fmt.Errorf("%w: %w: "+format, append([]any{ErrInvalidAccessToken, reason}, args...)...)
}

// checkTokenSyntax accepts the b64token of RFC 6750 §2.1, at most
// MaxAccessTokenBytes long, so that nothing else reaches a parser or the
// provider.
func checkTokenSyntax(raw string) error {
	if raw == "" || len(raw) > MaxAccessTokenBytes {
		return reject(ErrMalformedAccessToken, "%d bytes", len(raw))
	}
	body := strings.TrimRight(raw, "=")
	if body == "" {
		return reject(ErrMalformedAccessToken, "not a b64token")
	}
	for i := 0; i < len(body); i++ {
		switch ch := body[i]; {
		case 'a' <= ch && ch <= 'z', 'A' <= ch && ch <= 'Z', '0' <= ch && ch <= '9':
		case ch == '-', ch == '.', ch == '_', ch == '~', ch == '+', ch == '/':
		default:
			return reject(ErrMalformedAccessToken, "not a b64token")
		}
	}
	return nil
}

// jwsAlgs lets go-jose read any header, so that the type is checked first;
// go-oidc's allow-list (the client's ID-token algorithms: never "none" nor
// HMAC by default) then decides which algorithm is accepted. Never written.
var jwsAlgs = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA, jose.HS256, jose.HS384, jose.HS512, "none",
}

// atClaims are the claims of RFC 9068 §2.2 read beyond go-oidc's.
type atClaims struct {
	ClientID  string          `json:"client_id"`
	Scope     string          `json:"scope"`
	JTI       string          `json:"jti"`
	NotBefore numericDate     `json:"nbf"`
	Cnf       json.RawMessage `json:"cnf"`
}

// verifyJWT validates an RFC 9068 access token (§4): typ, then the
// signature through go-oidc, then one named check per claim.
func (v *AccessTokenVerifier) verifyJWT(ctx context.Context, raw string) (*AccessToken, error) {
	if err := v.checkType(raw); err != nil {
		return nil, err
	}
	m, idt, err := v.c.verifySignature(ctx, raw, ErrAccessTokenSignature)
	if err != nil {
		return nil, signatureError(err)
	}
	t := &AccessToken{Issuer: idt.Issuer, Subject: idt.Subject, Audience: idt.Audience,
		Expiry: idt.Expiry, IssuedAt: idt.IssuedAt}
	var cl atClaims
	if err := idt.Claims(&t.Raw); err != nil {
		return nil, reject(ErrMalformedAccessToken, "claims: %v", err)
	}
	if err := json.Unmarshal(t.Raw, &cl); err != nil {
		return nil, reject(ErrMalformedAccessToken, "claims: %v", err)
	}
	t.ClientID, t.Scopes, t.JWTID, t.NotBefore = cl.ClientID, strings.Fields(cl.Scope), cl.JTI, cl.NotBefore.time()
	now := v.c.p.Now()
	for _, err := range []error{
		v.checkIssuer(m, t),
		v.checkAudience(t),
		checkATExpiry(t, now),
		checkATNotBefore(t, now, v.c.p.Leeway),
		checkATIssuedAt(t, now, v.c.p.Leeway),
		checkATSubject(t),
		checkNotBound(cl.Cnf),
	} {
		if err != nil {
			return nil, err
		}
	}
	return t, nil
}

// signatureError turns verifySignature's failure into a refusal, unless
// the token could not be checked at all (discovery or the keys failed).
func signatureError(err error) error {
	if errors.Is(err, ErrKeysUnavailable) || !errors.Is(err, ErrAccessTokenSignature) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrInvalidAccessToken, err)
}

// checkType: the JWT's typ must be at+jwt (RFC 9068 §2.1, §4 step 1), which
// also tells an access token from an ID token signed by the same keys.
func (v *AccessTokenVerifier) checkType(raw string) error {
	jws, err := jose.ParseSignedCompact(raw, jwsAlgs)
	if err != nil {
		return reject(ErrMalformedAccessToken, "%v", err)
	}
	if len(jws.Signatures) != 1 {
		return reject(ErrMalformedAccessToken, "%d signatures", len(jws.Signatures))
	}
	typ, _ := jws.Signatures[0].Protected.ExtraHeaders[jose.HeaderType].(string)
	ok := func(want string) bool { return strings.EqualFold(typ, want) }
	if ok("at+jwt") || ok("application/at+jwt") || slices.ContainsFunc(v.cfg.InsecureTypes, ok) {
		return nil
	}
	return reject(ErrAccessTokenType, "typ is %q", clean(typ))
}

// checkIssuer: iss is exactly the provider's issuer (RFC 9068 §4 step 3), or
// passes the provider's ValidateIssuer.
func (v *AccessTokenVerifier) checkIssuer(m *Metadata, t *AccessToken) error {
	if v.c.p.ValidateIssuer != nil {
		if err := v.c.checkIssuer(m, &IDToken{Issuer: t.Issuer, Raw: t.Raw}); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidAccessToken, err)
		}
		return nil
	}
	if t.Issuer != m.Issuer {
		return reject(ErrInvalidIssuer, "iss is %q", clean(t.Issuer))
	}
	return nil
}

// checkAudience: aud holds this resource server (RFC 9068 §4 step 4).
func (v *AccessTokenVerifier) checkAudience(t *AccessToken) error {
	if !slices.Contains(t.Audience, v.cfg.Audience) {
		return reject(ErrAccessTokenAudience, "aud %q", cleanAll(t.Audience))
	}
	return nil
}

// checkATExpiry: exp is required and in the future (RFC 9068 §4 step 5).
func checkATExpiry(t *AccessToken, now time.Time) error {
	if t.Expiry.IsZero() || !now.Before(t.Expiry) {
		return reject(ErrAccessTokenExpired, "exp %s", t.Expiry.Format(time.RFC3339))
	}
	return nil
}

// checkATNotBefore: a token is not used before its nbf, give or take leeway.
func checkATNotBefore(t *AccessToken, now time.Time, leeway time.Duration) error {
	if !t.NotBefore.IsZero() && t.NotBefore.After(now.Add(leeway)) {
		return reject(ErrAccessTokenNotYetValid, "nbf %s", t.NotBefore.Format(time.RFC3339))
	}
	return nil
}

// checkATIssuedAt: a token issued in the future (beyond leeway) is refused.
func checkATIssuedAt(t *AccessToken, now time.Time, leeway time.Duration) error {
	if !t.IssuedAt.IsZero() && t.IssuedAt.After(now.Add(leeway)) {
		return reject(ErrAccessTokenNotYetValid, "iat %s", t.IssuedAt.Format(time.RFC3339))
	}
	return nil
}

// checkATSubject: RFC 9068 §2.2 requires sub (the client for client
// credentials tokens).
func checkATSubject(t *AccessToken) error {
	if t.Subject == "" {
		return reject(ErrMalformedAccessToken, "no sub")
	}
	return nil
}

// checkNotBound refuses a sender-constrained token (cnf: DPoP, RFC 9449
// §6; mutual TLS, RFC 8705 §3): accepted as a plain bearer token, a stolen
// one would work without the key it is bound to.
func checkNotBound(cnf json.RawMessage) error {
	if len(cnf) > 0 && string(cnf) != "null" {
		return reject(ErrSenderConstrained, "cnf present")
	}
	return nil
}

// cleanAll is clean over a list of provider-controlled strings.
func cleanAll(v []string) []string {
	out := make([]string, 0, min(len(v), 10))
	for _, s := range v[:min(len(v), 10)] {
		out = append(out, clean(s))
	}
	return out
}

// numericDate is a JSON NumericDate (RFC 7519 §2): seconds since the
// epoch, possibly with a fraction; null or absent is zero.
type numericDate float64

func (d *numericDate) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = 0
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	if math.IsNaN(f) || f < 0 || f > 1e11 { // 1e11 s is the year 5138
		return fmt.Errorf("not a NumericDate: %.20q", b)
	}
	*d = numericDate(f)
	return nil
}

func (d numericDate) time() time.Time {
	if d == 0 {
		return time.Time{}
	}
	sec, frac := math.Modf(float64(d))
	return time.Unix(int64(sec), int64(frac*1e9))
}
