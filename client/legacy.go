package client

import (
	"context"
	"crypto"
	_ "crypto/sha256" // registers SHA-256 for crypto.Hash
	_ "crypto/sha512" // registers SHA-384 and SHA-512
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Legacy grants: supported for providers that offer nothing better, under
// names that say what they cost. New integrations use Begin/Callback, the
// device grant or LoopbackLogin.

// ErrCodeHash is an ID token whose c_hash is missing or does not match the
// authorization code it came with (OpenID Connect Core §3.3.2.11).
var ErrCodeHash = errors.New("loginkit: c_hash does not match the authorization code")

// InsecureLegacyPasswordGrant signs a user in with their username and
// password (the resource owner password credentials grant, RFC 6749 §4.3).
//
// Do not use it unless the provider offers nothing else. RFC 9700 §2.4 says
// it MUST NOT be used: the application sees the user's password, so it can
// leak or keep it; it cannot do multi-factor authentication, passkeys or
// federation; and it teaches users to type their password outside the
// provider's own page, which is how phishing works. Prefer Begin/Callback,
// LoopbackLogin or DeviceAuthorize.
//
// The ID token, when the provider sends one, is verified (without a nonce:
// this grant has none) and the profile fetched. Neither the password nor the
// provider's response ever appears in an error.
func (c *Client) InsecureLegacyPasswordGrant(ctx context.Context, username, password string) (*Result, error) {
	m, err := c.metadata(ctx)
	if err != nil {
		return nil, err
	}
	form := url.Values{"grant_type": {"password"}, "username": {username}, "password": {password}}
	if len(c.p.Scopes) > 0 {
		form.Set("scope", strings.Join(c.p.Scopes, " "))
	}
	t, err := c.tokenRequest(ctx, m, form)
	if err != nil {
		return nil, err
	}
	u, err := c.identify(ctx, m, t, "")
	if err != nil {
		return nil, err
	}
	return &Result{User: *u, Tokens: *t}, nil
}

// ResponseType is an OpenID Connect implicit or hybrid response type (OpenID
// Connect Core §3.2, §3.3). Each includes id_token, so that the response is
// signed and bound to the login's nonce.
type ResponseType string

// Implicit and hybrid response types.
const (
	ImplicitIDToken        ResponseType = "id_token"            // implicit: an ID token only
	ImplicitIDTokenToken   ResponseType = "id_token token"      // implicit: ID token and access token
	HybridCodeIDToken      ResponseType = "code id_token"       // hybrid: code and ID token
	HybridCodeIDTokenToken ResponseType = "code id_token token" // hybrid: code, ID token and access token
)

func (rt ResponseType) has(part string) bool {
	return slices.Contains(strings.Fields(string(rt)), part)
}

// FrontChannel runs the implicit or hybrid flow for one response type. Get
// one from Client.InsecureLegacyFrontChannel.
type FrontChannel struct {
	c  *Client
	rt ResponseType
}

// InsecureLegacyFrontChannel returns the implicit or hybrid flow (OpenID
// Connect Core §3.2, §3.3) for providers that offer no authorization code
// flow, or require the hybrid one.
//
// Do not use it unless the provider offers nothing else. RFC 9700 §2.1.2
// says clients SHOULD NOT use the implicit grant or any response type that
// issues access tokens in the authorization response: the token travels
// through the browser, where history, logs, referrers and injected scripts
// can take it, and nothing binds it to this client (no sender constraint,
// no PKCE). To limit the damage loginkit always asks for
// response_mode=form_post (no tokens in URLs), accepts only response types
// that include a signed ID token bound to the login's nonce, and requires
// at_hash for any access token and c_hash for any code that comes with it.
// Response types without id_token ("token", "code token") are refused.
func (c *Client) InsecureLegacyFrontChannel(rt ResponseType) (*FrontChannel, error) {
	switch rt {
	case ImplicitIDToken, ImplicitIDTokenToken, HybridCodeIDToken, HybridCodeIDTokenToken:
	default:
		return nil, fmt.Errorf("%w: %s: response type %q is not supported", ErrInvalidConfig, c.p.Name, clean(string(rt)))
	}
	if !c.p.IsOIDC() {
		return nil, fmt.Errorf("%w: %s: implicit and hybrid flows need OpenID Connect", ErrInvalidConfig, c.p.Name)
	}
	return &FrontChannel{c: c, rt: rt}, nil
}

// Begin is Client.Begin for this response type, with response_mode=form_post.
// PKCE is kept when a code is expected and dropped otherwise.
func (fc *FrontChannel) Begin(ctx context.Context, o BeginOptions) (string, *Flow, error) {
	authURL, f, err := fc.c.Begin(ctx, o)
	if err != nil {
		return "", nil, err
	}
	u, err := url.Parse(authURL)
	if err != nil {
		return "", nil, fmt.Errorf("%w: authorization URL: %v", ErrInvalidConfig, err)
	}
	q := u.Query()
	q.Set("response_type", string(fc.rt))
	q.Set("response_mode", "form_post")
	if !fc.rt.has("code") {
		q.Del("code_challenge")
		q.Del("code_challenge_method")
	}
	u.RawQuery = q.Encode()
	return u.String(), f, nil
}

// Callback completes the login from the posted form (r.PostForm): state, iss
// (RFC 9207) and error as Client.Callback does, then the ID token with every
// check of OpenID Connect Core §3.2.2.11 / §3.3.2.12 (signature, iss, aud,
// azp, exp, iat, nonce, at_hash, c_hash), then, for hybrid types, the code
// exchange with the PKCE verifier, whose ID token must name the same subject.
func (fc *FrontChannel) Callback(ctx context.Context, f *Flow, form url.Values) (*Result, error) {
	c := fc.c
	m, err := c.metadata(ctx)
	if err != nil {
		return nil, err
	}
	if err := c.checkFlow(f, form); err != nil {
		return nil, err
	}
	if err := checkIssParam(m, true, form); err != nil {
		return nil, err
	}
	if code := form.Get("error"); code != "" {
		return nil, &CallbackError{Code: clean(code), Description: clean(form.Get("error_description")), URI: clean(form.Get("error_uri"))}
	}
	idt, err := fc.frontIDToken(ctx, f, form)
	if err != nil {
		return nil, err
	}
	if fc.rt.has("code") {
		return fc.exchange(ctx, m, f, form.Get("code"), idt)
	}
	return fc.implicitResult(ctx, m, idt, form)
}

// frontIDToken verifies the ID token of the authorization response and the
// hashes binding what came with it.
func (fc *FrontChannel) frontIDToken(ctx context.Context, f *Flow, form url.Values) (*IDToken, error) {
	raw, code, access := form.Get("id_token"), form.Get("code"), form.Get("access_token")
	switch {
	case raw == "":
		return nil, ErrMissingIDToken
	case fc.rt.has("code") && code == "":
		return nil, ErrMissingCode
	case fc.rt.has("token") && access == "":
		return nil, fmt.Errorf("%w: no access_token in the authorization response", ErrInvalidCallback)
	}
	idt, err := fc.c.VerifyIDToken(ctx, raw, f.Nonce, access)
	if err != nil {
		return nil, err
	}
	var hashes struct {
		AtHash string `json:"at_hash"`
		CHash  string `json:"c_hash"`
	}
	if err := json.Unmarshal(idt.Raw, &hashes); err != nil {
		return nil, fmt.Errorf("%w: claims: %v", ErrInvalidIDToken, err)
	}
	if access != "" && hashes.AtHash == "" {
		return nil, fmt.Errorf("%w: the ID token has no at_hash", ErrAccessTokenHash)
	}
	if code != "" {
		if err := checkCodeHash(raw, code, hashes.CHash); err != nil {
			return nil, err
		}
	}
	return idt, nil
}

// exchange redeems the hybrid flow's code; the token endpoint's ID token is
// verified again and must be about the same user (§3.3.3.6).
func (fc *FrontChannel) exchange(ctx context.Context, m *Metadata, f *Flow, code string, front *IDToken) (*Result, error) {
	t, err := fc.c.exchange(ctx, code, f.Verifier)
	if err != nil {
		return nil, err
	}
	u, err := fc.c.identify(ctx, m, t, f.Nonce)
	if err != nil {
		return nil, err
	}
	if u.Subject != front.Subject {
		return nil, ErrSubjectMismatch
	}
	return &Result{User: *u, Tokens: *t}, nil
}

// implicitResult builds the result of an implicit response from its posted
// tokens; without an access token the user is the ID token's.
func (fc *FrontChannel) implicitResult(ctx context.Context, m *Metadata, idt *IDToken, form url.Values) (*Result, error) {
	t := &Tokens{IDToken: form.Get("id_token"), AccessToken: form.Get("access_token"), TokenType: "Bearer", Scopes: strings.Fields(form.Get("scope"))}
	if tt := form.Get("token_type"); t.AccessToken != "" && tt != "" && !strings.EqualFold(tt, "bearer") {
		return nil, fmt.Errorf("%w: token_type %q is not Bearer", ErrInvalidCallback, clean(tt))
	}
	if exp := form.Get("expires_in"); t.AccessToken != "" && exp != "" {
		n, err := strconv.ParseInt(exp, 10, 64)
		if err != nil || n < 0 || n > maxExpiresIn {
			return nil, fmt.Errorf("%w: expires_in is not a count of seconds", ErrInvalidCallback)
		}
		t.Expiry = fc.c.p.Now().Add(time.Duration(n) * time.Second)
	}
	if t.AccessToken == "" {
		u := idt.user()
		u.Provider = fc.c.p.Name
		return &Result{User: *u, Tokens: *t}, nil
	}
	u, err := fc.c.identify(ctx, m, t, idt.Nonce)
	if err != nil {
		return nil, err
	}
	return &Result{User: *u, Tokens: *t}, nil
}

// checkCodeHash verifies c_hash: the base64url left half of the hash of the
// code, with the hash of the ID token's (already verified) algorithm.
func checkCodeHash(rawIDToken, code, cHash string) error {
	if cHash == "" {
		return fmt.Errorf("%w: the ID token has no c_hash", ErrCodeHash)
	}
	h, err := jwsHash(rawIDToken)
	if err != nil {
		return err
	}
	sum := h.New()
	sum.Write([]byte(code))
	b := sum.Sum(nil)
	want := base64.RawURLEncoding.EncodeToString(b[:len(b)/2])
	if subtle.ConstantTimeCompare([]byte(want), []byte(cHash)) != 1 {
		return ErrCodeHash
	}
	return nil
}

// jwsHash is the hash of a compact JWS's alg (RFC 7518 §3.1; EdDSA uses
// SHA-512 per OpenID Connect Core errata).
func jwsHash(raw string) (crypto.Hash, error) {
	head, _, _ := strings.Cut(raw, ".")
	b, err := base64.RawURLEncoding.DecodeString(head)
	var hdr struct {
		Alg string `json:"alg"`
	}
	if err != nil || json.Unmarshal(b, &hdr) != nil {
		return 0, fmt.Errorf("%w: unreadable header", ErrInvalidIDToken)
	}
	switch {
	case hdr.Alg == "EdDSA", strings.HasSuffix(hdr.Alg, "512"):
		return crypto.SHA512, nil
	case strings.HasSuffix(hdr.Alg, "384"):
		return crypto.SHA384, nil
	case strings.HasSuffix(hdr.Alg, "256"):
		return crypto.SHA256, nil
	}
	return 0, fmt.Errorf("%w: no hash for alg %q", ErrInvalidIDToken, clean(hdr.Alg))
}
