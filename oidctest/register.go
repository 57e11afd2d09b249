package oidctest

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Dynamic client registration (RFC 7591) and reading a registration back
// (RFC 7592 §2.1), enabled by Config.Registration. Update and delete (RFC
// 7592 §2.2–2.3) are not supported.

// Error codes of RFC 7591 §3.2.2.
const (
	codeInvalidRedirectURI    = "invalid_redirect_uri"
	codeInvalidClientMetadata = "invalid_client_metadata"
)

// registration is a registered client's metadata and the hash of its
// registration access token.
type registration struct {
	ratHash [32]byte
	doc     map[string]any // the client information response, minus the token
}

// clientMetadata is the part of RFC 7591 §2 the provider acts on; every
// other field is stored and echoed as sent.
type clientMetadata struct {
	RedirectURIs           []string `json:"redirect_uris"`
	PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris"`
	GrantTypes             []string `json:"grant_types"`
	ResponseTypes          []string `json:"response_types"`
	AuthMethod             string   `json:"token_endpoint_auth_method"`
	ClientURI              string   `json:"client_uri"`
}

// serveRegistration is the registration endpoint (POST /register) and the
// client configuration endpoint (GET /register/{client_id}).
func (p *Provider) serveRegistration(w http.ResponseWriter, r *http.Request) {
	if !p.cfg.Registration {
		http.NotFound(w, r)
		return
	}
	i := strings.LastIndex(r.URL.Path, pathRegister+"/")
	if i < 0 {
		if allowMethods(w, r, http.MethodPost) {
			p.register(w, r)
		}
		return
	}
	if allowMethods(w, r, http.MethodGet) {
		p.readRegistration(w, r, r.URL.Path[i+len(pathRegister)+1:])
	}
}

// register creates a client from its metadata (RFC 7591 §3.1–3.2).
func (p *Provider) register(w http.ResponseWriter, r *http.Request) {
	if p.cfg.InitialAccessToken != "" && !equalSecrets(bearerOf(r), p.cfg.InitialAccessToken) {
		bearerChallenge(w, codeInvalidToken, "an initial access token is required")
		return
	}
	doc, md, oerr := readClientMetadata(w, r)
	if oerr == nil {
		oerr = p.checkClientMetadata(&md)
	}
	if oerr != nil {
		writeError(w, oerr)
		return
	}
	c := Client{ID: randomToken(0)[:24], RedirectURIs: md.RedirectURIs, PostLogoutRedirectURIs: md.PostLogoutRedirectURIs, GrantTypes: md.GrantTypes}
	if md.AuthMethod != "none" {
		c.Secret = randomToken(0)
	}
	if err := c.validate(); err != nil {
		writeError(w, newError(codeInvalidClientMetadata, err.Error()))
		return
	}
	rat := randomToken(0)
	maps.Copy(doc, map[string]any{
		"client_id": c.ID, "client_id_issued_at": p.cfg.Now().Unix(),
		"grant_types": md.GrantTypes, "response_types": md.ResponseTypes, "token_endpoint_auth_method": md.AuthMethod,
		"redirect_uris":           md.RedirectURIs,
		"registration_client_uri": p.url(pathRegister + "/" + c.ID),
	})
	if c.Secret != "" {
		doc["client_secret"], doc["client_secret_expires_at"] = c.Secret, 0
	}
	p.AddClient(c)
	p.mu.Lock()
	p.store.regs[c.ID] = &registration{ratHash: sha256.Sum256([]byte(rat)), doc: doc}
	p.mu.Unlock()
	writeJSON(w, http.StatusCreated, withToken(doc, rat))
}

// readRegistration answers RFC 7592 §2.1: the client's information, for the
// bearer of its registration access token.
func (p *Provider) readRegistration(w http.ResponseWriter, r *http.Request, clientID string) {
	h := sha256.Sum256([]byte(bearerOf(r)))
	p.mu.Lock()
	reg, ok := p.store.regs[clientID]
	p.mu.Unlock()
	if !ok || subtle.ConstantTimeCompare(h[:], reg.ratHash[:]) != 1 {
		bearerChallenge(w, codeInvalidToken, "unknown client or wrong registration access token")
		return
	}
	writeJSON(w, http.StatusOK, withToken(reg.doc, bearerOf(r)))
}

func withToken(doc map[string]any, rat string) map[string]any {
	out := maps.Clone(doc)
	out["registration_access_token"] = rat
	return out
}

// bearerOf returns the Bearer token of the Authorization header, or "".
func bearerOf(r *http.Request) string {
	scheme, v, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(v)
}

// readClientMetadata decodes a JSON registration request both as a document
// to echo and as the fields the provider acts on.
func readClientMetadata(w http.ResponseWriter, r *http.Request) (map[string]any, clientMetadata, *oauthError) {
	var md clientMetadata
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return nil, md, newError(codeInvalidRequest, "the body must be application/json")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	var raw json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&raw); err != nil {
		return nil, md, newError(codeInvalidClientMetadata, "the body is not a JSON object")
	}
	var doc map[string]any
	if json.Unmarshal(raw, &doc) != nil || doc == nil || json.Unmarshal(raw, &md) != nil {
		return nil, md, newError(codeInvalidClientMetadata, "the body is not valid client metadata")
	}
	for _, k := range []string{"client_id", "client_secret", "registration_access_token", "registration_client_uri"} {
		delete(doc, k) // the provider assigns these
	}
	return doc, md, nil
}

// checkClientMetadata fills the defaults of RFC 7591 §2 and refuses what
// the provider cannot honour.
func (p *Provider) checkClientMetadata(md *clientMetadata) *oauthError {
	if len(md.GrantTypes) == 0 {
		md.GrantTypes = []string{grantAuthorizationCode}
	}
	if len(md.ResponseTypes) == 0 && slices.Contains(md.GrantTypes, grantAuthorizationCode) {
		md.ResponseTypes = []string{"code"}
	}
	if md.AuthMethod == "" {
		md.AuthMethod = "client_secret_basic"
	}
	for _, gt := range md.GrantTypes {
		if !slices.Contains(knownGrants, gt) || (gt == grantPassword && !p.cfg.InsecurePasswordGrant) || (gt == grantImplicit && !p.cfg.InsecureImplicitAndHybrid) {
			return newError(codeInvalidClientMetadata, fmt.Sprintf("grant type %q is not supported", gt))
		}
	}
	if !slices.Contains([]string{"client_secret_basic", "client_secret_post", "none"}, md.AuthMethod) {
		return newError(codeInvalidClientMetadata, "token_endpoint_auth_method is not supported")
	}
	if md.ClientURI != "" {
		if u, err := url.Parse(md.ClientURI); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return newError(codeInvalidClientMetadata, "client_uri must be an http(s) URL")
		}
	}
	usesRedirect := slices.Contains(md.GrantTypes, grantAuthorizationCode) || slices.Contains(md.GrantTypes, grantImplicit)
	if usesRedirect && len(md.RedirectURIs) == 0 {
		return newError(codeInvalidRedirectURI, "redirect_uris are required for these grant types")
	}
	for _, uri := range slices.Concat(md.RedirectURIs, md.PostLogoutRedirectURIs) {
		if err := validateRedirectURI(uri); err != nil {
			return newError(codeInvalidRedirectURI, err.Error())
		}
	}
	return nil
}
