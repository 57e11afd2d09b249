package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/loginkit/loginkit/internal/bounded"
)

// ClientMetadata describes an application to register with a provider
// (RFC 7591 §2, OpenID Connect Dynamic Client Registration 1.0 §2).
type ClientMetadata struct {
	ClientName              string     `json:"client_name,omitempty"`
	ClientURI               string     `json:"client_uri,omitempty"` // the application's website
	LogoURI                 string     `json:"logo_uri,omitempty"`
	RedirectURIs            []string   `json:"redirect_uris,omitempty"`
	PostLogoutRedirectURIs  []string   `json:"post_logout_redirect_uris,omitempty"`
	GrantTypes              []string   `json:"grant_types,omitempty"`    // default authorization_code
	ResponseTypes           []string   `json:"response_types,omitempty"` // default code
	TokenEndpointAuthMethod AuthMethod `json:"token_endpoint_auth_method,omitempty"`
	ApplicationType         string     `json:"application_type,omitempty"` // "web" (default) or "native"
	Scope                   string     `json:"scope,omitempty"`
	Contacts                []string   `json:"contacts,omitempty"`
}

// Registration is a provider's answer to a registration (RFC 7591 §3.2.1)
// or to reading one back (RFC 7592 §3): the metadata it registered and the
// client's credentials. String, GoString, Format and LogValue redact the
// secret and the registration access token.
type Registration struct {
	ClientMetadata
	ClientID              string `json:"client_id"`
	ClientSecret          string `json:"client_secret,omitempty"`
	ClientIDIssuedAt      int64  `json:"client_id_issued_at,omitempty"`
	ClientSecretExpiresAt int64  `json:"client_secret_expires_at,omitempty"` // 0: never
	// RegistrationAccessToken and RegistrationClientURI read the
	// registration back (RFC 7592 §2.1).
	RegistrationAccessToken string `json:"registration_access_token,omitempty"`
	RegistrationClientURI   string `json:"registration_client_uri,omitempty"`
	// Raw is the provider's whole document, with fields loginkit does not model.
	Raw json.RawMessage `json:"-"`
}

// String names the client and says which secrets are set, never their values.
func (r Registration) String() string {
	return fmt.Sprintf("Registration{client_id:%q name:%q secret:%t registration_token:%t}",
		r.ClientID, r.ClientName, r.ClientSecret != "", r.RegistrationAccessToken != "")
}

// GoString redacts like String.
func (r Registration) GoString() string { return r.String() }

// Format makes every fmt verb print the redacted form.
func (r Registration) Format(f fmt.State, _ rune) { fmt.Fprint(f, r.String()) }

// LogValue implements slog.LogValuer with the same redaction.
func (r Registration) LogValue() slog.Value {
	return slog.GroupValue(slog.String("client_id", r.ClientID), slog.Bool("secret", r.ClientSecret != ""),
		slog.Bool("registration_token", r.RegistrationAccessToken != ""))
}

// RegistrarConfig configures a Registrar.
type RegistrarConfig struct {
	// Issuer finds the registration_endpoint by discovery; the document's
	// issuer must equal it.
	Issuer string
	// RegistrationURL is the registration endpoint; it overrides discovery.
	RegistrationURL string
	// InitialAccessToken authorizes registration at providers that require
	// one (RFC 7591 §3).
	InitialAccessToken string

	HTTPClient       *http.Client  // base client; a copy is bounded
	Timeout          time.Duration // per call; default 10 s
	MaxResponseBytes int64         // per response; default 1 MiB
}

// Registrar registers applications with one provider (RFC 7591) and reads
// registrations back (RFC 7592 §2.1). It is safe for concurrent use.
type Registrar struct {
	cfg RegistrarConfig
	hc  *http.Client
}

// NewRegistrar validates cfg. It makes no network call.
func NewRegistrar(cfg RegistrarConfig) (*Registrar, error) {
	if cfg.Issuer == "" && cfg.RegistrationURL == "" {
		return nil, fmt.Errorf("%w: registrar needs an Issuer or a RegistrationURL", ErrInvalidConfig)
	}
	if cfg.RegistrationURL != "" && !isHTTPURL(cfg.RegistrationURL) {
		return nil, fmt.Errorf("%w: RegistrationURL is not an http(s) URL", ErrInvalidConfig)
	}
	return &Registrar{cfg: cfg, hc: bounded.Client(cfg.HTTPClient, cfg.Timeout, cfg.MaxResponseBytes)}, nil
}

// Register registers an application (RFC 7591 §3.1) and returns its client
// ID and, for confidential clients, its secret. The redirect URIs must be
// absolute and without fragment (RFC 6749 §3.1.2). Errors the provider
// answers with (invalid_redirect_uri, invalid_client_metadata, §3.2.2) are
// *ProviderError.
func (r *Registrar) Register(ctx context.Context, md ClientMetadata) (*Registration, error) {
	for _, u := range slices.Concat(md.RedirectURIs, md.PostLogoutRedirectURIs) {
		if p, err := url.Parse(u); err != nil || !p.IsAbs() || p.Fragment != "" {
			return nil, fmt.Errorf("%w: redirect URI %q must be absolute and without fragment", ErrInvalidConfig, clean(u))
		}
	}
	if md.ClientURI != "" && !isHTTPURL(md.ClientURI) {
		return nil, fmt.Errorf("%w: ClientURI is not an http(s) URL", ErrInvalidConfig)
	}
	endpoint, err := r.endpoint(ctx)
	if err != nil {
		return nil, err
	}
	body, err := marshalMetadata(md)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	raw, err := r.do(ctx, http.MethodPost, endpoint, r.cfg.InitialAccessToken, body)
	if err != nil {
		return nil, err
	}
	return parseRegistration(raw, endpoint, "")
}

// Read fetches a registration back from its registration_client_uri with
// its registration access token (RFC 7592 §2.1). The answer must be about
// the same client ID.
func (r *Registrar) Read(ctx context.Context, reg *Registration) (*Registration, error) {
	if reg.RegistrationClientURI == "" || reg.RegistrationAccessToken == "" {
		return nil, fmt.Errorf("%w: the registration has no registration_client_uri or access token", ErrUnsupported)
	}
	raw, err := r.do(ctx, http.MethodGet, reg.RegistrationClientURI, reg.RegistrationAccessToken, nil)
	if err != nil {
		return nil, err
	}
	out, err := parseRegistration(raw, reg.RegistrationClientURI, reg.ClientID)
	if err != nil {
		return nil, err
	}
	if out.RegistrationAccessToken == "" { // RFC 7592 §3 lets the provider keep it
		out.RegistrationAccessToken = reg.RegistrationAccessToken
	}
	return out, nil
}

// marshalMetadata encodes md. Left out, response_types default to "code"
// (RFC 7591 §2), which contradicts grant types that use no authorization
// endpoint (a client_credentials service): those get an explicit [].
func marshalMetadata(md ClientMetadata) ([]byte, error) {
	b, err := json.Marshal(md)
	if err != nil || md.ResponseTypes != nil || len(md.GrantTypes) == 0 ||
		slices.Contains(md.GrantTypes, "authorization_code") || slices.Contains(md.GrantTypes, "implicit") {
		return b, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	m["response_types"] = []string{}
	return json.Marshal(m)
}

// endpoint is the configured registration URL or the discovered one.
func (r *Registrar) endpoint(ctx context.Context) (string, error) {
	if r.cfg.RegistrationURL != "" {
		return r.cfg.RegistrationURL, nil
	}
	m, _, err := FetchMetadata(ctx, r.hc, r.cfg.Issuer)
	if err != nil {
		return "", err
	}
	if m.Issuer != r.cfg.Issuer {
		return "", fmt.Errorf("%w: %w: discovery says %q", ErrDiscovery, ErrInvalidIssuer, clean(m.Issuer))
	}
	if m.RegistrationURL == "" || !isHTTPURL(m.RegistrationURL) {
		return "", fmt.Errorf("%w: no registration_endpoint", ErrUnsupported)
	}
	return m.RegistrationURL, nil
}

// do sends one JSON request with an optional bearer token and returns the
// 2xx body; errors are RFC 7591 §3.2.2 / RFC 6750 §3 errors, never the body.
func (r *Registrar) do(ctx context.Context, method, target, bearer string, body []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, bounded.Timeout(r.hc))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("loginkit: registration endpoint: %v", err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := r.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("loginkit: registration endpoint: %w", redactURLError(err))
	}
	defer resp.Body.Close()
	raw, err := bounded.ReadAll(resp.Body, r.maxBytes())
	if err != nil {
		return nil, fmt.Errorf("loginkit: registration endpoint: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		if resp.StatusCode == http.StatusUnauthorized && resp.Header.Get("WWW-Authenticate") != "" {
			return nil, bearerError("registration", resp)
		}
		return nil, parseErrorBody("registration", resp.StatusCode, raw)
	}
	return raw, nil
}

func (r *Registrar) maxBytes() int64 {
	if r.cfg.MaxResponseBytes > 0 {
		return r.cfg.MaxResponseBytes
	}
	return bounded.DefaultMaxBytes
}

// parseRegistration checks a client information response: a client_id
// (wantID when reading back), and a registration_client_uri on the origin
// of the endpoint that answered, since the access token will be sent there.
func parseRegistration(raw []byte, from, wantID string) (*Registration, error) {
	var reg Registration
	if err := json.Unmarshal(raw, &reg); err != nil {
		return nil, fmt.Errorf("%w: registration: %v", ErrProviderResponse, redactJSONError(err))
	}
	reg.Raw = raw
	switch {
	case reg.ClientID == "":
		return nil, fmt.Errorf("%w: registration: no client_id", ErrProviderResponse)
	case wantID != "" && reg.ClientID != wantID:
		return nil, fmt.Errorf("%w: registration: client_id %q, want %q", ErrProviderResponse, clean(reg.ClientID), clean(wantID))
	case reg.RegistrationClientURI != "" && !sameOrigin(reg.RegistrationClientURI, from):
		return nil, fmt.Errorf("%w: registration: registration_client_uri is on another origin", ErrProviderResponse)
	}
	return &reg, nil
}

func sameOrigin(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && strings.EqualFold(ua.Scheme, ub.Scheme) && strings.EqualFold(ua.Host, ub.Host)
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// FetchMetadata fetches an issuer's discovery document (OpenID Connect
// Discovery 1.0 §4) without judging it: unlike Client.Discover it refuses
// nothing but an unreadable document, so that a tool can report what is
// wrong. It returns the parsed fields and the whole document. hc is bounded
// here (10 s, 1 MiB) if it is not already.
func FetchMetadata(ctx context.Context, hc *http.Client, issuer string) (*Metadata, json.RawMessage, error) {
	if !isHTTPURL(issuer) {
		return nil, nil, fmt.Errorf("%w: issuer %q is not an http(s) URL", ErrDiscovery, clean(issuer))
	}
	if hc == nil {
		hc = bounded.Client(nil, 0, 0)
	} else if _, ok := hc.Transport.(*bounded.Transport); !ok || bounded.Timeout(hc) == 0 {
		hc = bounded.Client(hc, 0, 0)
	}
	ctx, cancel := context.WithTimeout(ctx, bounded.Timeout(hc))
	defer cancel()
	target := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrDiscovery, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrDiscovery, redactURLError(err))
	}
	defer resp.Body.Close()
	raw, err := bounded.ReadAll(resp.Body, bounded.DefaultMaxBytes)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrDiscovery, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("%w: %s answered HTTP %d", ErrDiscovery, target, resp.StatusCode)
	}
	var m Metadata
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrDiscovery, redactJSONError(err))
	}
	return &m, raw, nil
}
