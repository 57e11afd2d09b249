package oidctest

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Parameters the chooser page posts back to /authorize with the original ones.
const (
	paramChosenSubject = "oidctest_subject"
	paramAction        = "oidctest_action"
	actionDeny         = "deny"
)

// pkceValue matches a code_challenge or code_verifier: 43 to 128 unreserved
// characters (RFC 7636 §4.1, §4.2).
var pkceValue = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

// authzRequest is a validated authorization request (RFC 6749 §4.1.1, OIDC
// Core §3.1.2.1, RFC 7636 §4.3).
type authzRequest struct {
	client       Client
	responseType string // normalized: "code", or a legacy type (implicit.go)
	redirectURI  string
	responseMode string // "query" or "form_post"
	state        string
	scope        string
	nonce        string
	challenge    string
	prompt       []string
	loginHint    string
	params       url.Values // as received, for the chooser page
}

// serveAuthorize is the authorization endpoint. Errors about the client or
// the redirect URI are shown on a page, never redirected (RFC 6749 §4.1.2.1);
// other errors go back to the client with iss (RFC 9207).
func (p *Provider) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	params, err := queryOrForm(w, r)
	if err != nil {
		renderMessage(w, http.StatusBadRequest, "Invalid request", err.Error())
		return
	}
	req, err := p.identifyClient(params)
	if err != nil {
		renderMessage(w, http.StatusBadRequest, "Invalid request", err.Error())
		return
	}
	if oerr := req.validate(params); oerr != nil {
		p.respond(w, req, errorParams(oerr))
		return
	}
	if oerr := p.checkLegacy(req); oerr != nil {
		p.respond(w, req, errorParams(oerr))
		return
	}
	p.decide(w, r, req)
}

// identifyClient checks client_id and redirect_uri, which must be trusted
// before anything can be sent to the redirect URI.
func (p *Provider) identifyClient(params url.Values) (*authzRequest, error) {
	if len(params["client_id"]) > 1 || len(params["redirect_uri"]) > 1 {
		return nil, errors.New("client_id and redirect_uri must not be repeated")
	}
	id := params.Get("client_id")
	if id == "" {
		return nil, errors.New("client_id is missing")
	}
	c, ok := p.client(id)
	if !ok {
		return nil, errors.New("unknown client_id")
	}
	uri := params.Get("redirect_uri")
	if !redirectAllowed(c.RedirectURIs, uri) {
		return nil, errors.New("redirect_uri is missing or not registered for this client")
	}
	mode := params.Get("response_mode")
	if mode != "form_post" {
		mode = "query"
	}
	return &authzRequest{client: c, redirectURI: uri, responseMode: mode, state: params.Get("state"), params: params}, nil
}

// validate checks the remaining parameters and fills them into req.
func (req *authzRequest) validate(params url.Values) *oauthError {
	for _, check := range []func(url.Values) *oauthError{
		checkSingleValued, checkResponseMode, checkRequestObject, checkResponseType, checkScope, checkPKCE, checkPrompt,
	} {
		if err := check(params); err != nil {
			return err
		}
	}
	req.responseType = sortedFields(params.Get("response_type"))
	req.scope = normalizeScope(params.Get("scope"))
	req.nonce = params.Get("nonce")
	req.challenge = params.Get("code_challenge")
	req.prompt = strings.Fields(params.Get("prompt"))
	req.loginHint = params.Get("login_hint")
	return nil
}

func checkSingleValued(params url.Values) *oauthError {
	if err := singleValued(params); err != nil {
		return newError(codeInvalidRequest, err.Error())
	}
	return nil
}

func checkResponseMode(params url.Values) *oauthError {
	switch params.Get("response_mode") {
	case "", "query", "form_post":
		return nil
	}
	return newError(codeInvalidRequest, "response_mode must be query or form_post")
}

// checkRequestObject refuses request objects (OIDC Core §6), not supported.
func checkRequestObject(params url.Values) *oauthError {
	if params.Has("request") {
		return newError(codeRequestNotSupported, "request objects are not supported")
	}
	if params.Has("request_uri") {
		return newError(codeRequestURINotSupported, "request_uri is not supported")
	}
	return nil
}

func checkResponseType(params url.Values) *oauthError {
	rt := params.Get("response_type")
	switch {
	case rt == "code", legacyResponseTypes[sortedFields(rt)]:
		return nil // legacy types are checked against the configuration later
	case rt == "":
		return newError(codeInvalidRequest, "response_type is missing")
	}
	return newError(codeUnsupportedResponseType, "only response_type=code is supported")
}

func checkScope(params url.Values) *oauthError {
	if !slices.Contains(strings.Fields(params.Get("scope")), "openid") {
		return newError(codeInvalidScope, "scope must contain openid")
	}
	return nil
}

// checkPKCE requires a S256 code_challenge on every request (RFC 7636 §4.3,
// RFC 9700 §2.1.1).
func checkPKCE(params url.Values) *oauthError {
	if !slices.Contains(strings.Fields(params.Get("response_type")), "code") {
		return nil // implicit: no code to protect
	}
	challenge := params.Get("code_challenge")
	if challenge == "" {
		return newError(codeInvalidRequest, "code_challenge is required (PKCE)")
	}
	if params.Get("code_challenge_method") != "S256" {
		return newError(codeInvalidRequest, "code_challenge_method must be S256")
	}
	if len(challenge) != 43 || !pkceValue.MatchString(challenge) {
		return newError(codeInvalidRequest, "code_challenge is not a base64url SHA-256 hash")
	}
	return nil
}

// checkPrompt refuses "none" combined with other values (OIDC Core §3.1.2.1).
func checkPrompt(params url.Values) *oauthError {
	prompt := strings.Fields(params.Get("prompt"))
	if slices.Contains(prompt, "none") && len(prompt) > 1 {
		return newError(codeInvalidRequest, "prompt=none must be alone")
	}
	return nil
}

// normalizeScope removes duplicate and extra spaces from a scope string.
func normalizeScope(scope string) string {
	var out []string
	for _, s := range strings.Fields(scope) {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return strings.Join(out, " ")
}

// decide signs a user in, denies, or shows the account chooser.
func (p *Provider) decide(w http.ResponseWriter, r *http.Request, req *authzRequest) {
	if r.Method == http.MethodPost && req.params.Get(paramAction) == actionDeny {
		p.respond(w, req, errorParams(newError(codeAccessDenied, "the user denied the request")))
		return
	}
	if slices.Contains(req.prompt, "none") {
		p.decideSilently(w, req)
		return
	}
	if r.Method == http.MethodPost {
		if u, ok := p.user(req.params.Get(paramChosenSubject)); ok {
			p.approve(w, req, u.Subject)
			return
		}
	}
	if p.cfg.AutoApprove != "" {
		p.approve(w, req, p.cfg.AutoApprove)
		return
	}
	p.renderChooser(w, req)
}

// decideSilently handles prompt=none: only the AutoApprove user can sign in
// without a page, and only if login_hint, when sent, names that user.
func (p *Provider) decideSilently(w http.ResponseWriter, req *authzRequest) {
	u, ok := p.user(p.cfg.AutoApprove)
	if !ok || (req.loginHint != "" && req.loginHint != u.Subject && req.loginHint != u.Email) {
		p.respond(w, req, errorParams(newError(codeLoginRequired, "no user is signed in")))
		return
	}
	p.approve(w, req, u.Subject)
}

// approve starts a login session for subject and issues a code.
func (p *Provider) approve(w http.ResponseWriter, req *authzRequest, subject string) {
	if req.responseType != "code" {
		p.approveLegacy(w, req, subject)
		return
	}
	now := p.cfg.Now()
	g := &grant{
		clientID: req.client.ID, subject: subject, scope: req.scope,
		nonce: req.nonce, sid: randomToken(0)[:22], authTime: now,
	}
	c := &authCode{grant: g, redirectURI: req.redirectURI, challenge: req.challenge, exp: now.Add(p.cfg.CodeTTL)}
	p.mu.Lock()
	code := p.store.addCode(c, now)
	p.mu.Unlock()
	p.respond(w, req, url.Values{"code": {code}})
}

// errorParams returns the parameters of an error response (RFC 6749 §4.1.2.1).
func errorParams(e *oauthError) url.Values {
	return url.Values{"error": {e.code}, "error_description": {e.desc}}
}

// respond sends params, with state and iss (RFC 9207 §2), to the redirect
// URI by redirect or by auto-submitting form (OAuth 2.0 Form Post Response Mode).
func (p *Provider) respond(w http.ResponseWriter, req *authzRequest, params url.Values) {
	if req.state != "" {
		params.Set("state", req.state)
	}
	params.Set("iss", p.issuer)
	if req.responseMode == "form_post" {
		renderFormPost(w, req.redirectURI, params)
		return
	}
	redirect(w, req.redirectURI, params)
}

// redirect answers 302 to uri with params added to its query (RFC 6749 §4.1.2).
func redirect(w http.ResponseWriter, uri string, params url.Values) {
	u, err := url.Parse(uri)
	if err != nil { // registered URIs are validated; be safe anyway
		renderMessage(w, http.StatusBadRequest, "Invalid request", "invalid redirect URI")
		return
	}
	q := u.Query()
	for k, vs := range params {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	w.Header().Set("Location", u.String())
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(http.StatusFound)
}
