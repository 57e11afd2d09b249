package providers_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/loginkit/loginkit/client"
)

// signingKey is the fakes' ID token key, made once per test binary: RSA key
// generation is the slowest step of a test.
var signingKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

const fakeKID = "fake-key-1"

// fakeConfig is how a fake provider behaves; tests change it with
// fake.configure, and each request reads a copy.
type fakeConfig struct {
	clientID, clientSecret string
	// auth is how the client must authenticate at the token endpoint.
	auth client.AuthMethod
	// checkSecret replaces the secret equality check (Apple's signed JWT).
	checkSecret func(secret string) error
	// idToken holds the ID token's claims beyond exp, iat and nonce (iss and
	// aud default to issuer and clientID); nil for plain OAuth2.
	idToken map[string]any
	issuer  string
	// refresh makes the token endpoint issue (and rotate) refresh tokens.
	refresh   bool
	expiresIn int
	// formPost answers the authorization request with an auto-submitting
	// form (response_mode=form_post) carrying formExtra too.
	formPost  bool
	formExtra url.Values
	// redirectURI is the one registered for the client.
	redirectURI string
	// tokenForm answers the token endpoint form-encoded, as GitHub does for
	// clients that do not ask for JSON; tokenExtra adds response fields.
	tokenForm  bool
	tokenExtra map[string]any
	// issParam adds iss to the authorization response (RFC 9207), as the
	// discovery document says.
	issParam bool
}

// fake is an httptest OAuth 2.0 / OpenID Connect provider for one preset's
// tests: authorization with PKCE (S256 required), the token endpoint with the
// preset's client authentication, refresh rotation, signed ID tokens, a JWKS,
// discovery and API documents from testdata/<preset>/, and whatever API
// routes the test adds. Every token it issued is remembered, so API routes
// can refuse any other.
type fake struct {
	t      *testing.T
	preset string
	srv    *httptest.Server
	mux    *http.ServeMux
	URL    string

	mu      sync.Mutex
	cfg     fakeConfig
	codes   map[string]pendingCode
	access  map[string]bool
	refresh map[string]bool
	authReq []url.Values // every authorization request, in order
	hits    map[string]int
	routes  map[string]bool
}

type pendingCode struct {
	redirectURI, challenge, nonce, scope string
}

func newFake(t *testing.T, preset string) *fake {
	t.Helper()
	f := &fake{t: t, preset: preset, mux: http.NewServeMux(),
		codes: map[string]pendingCode{}, access: map[string]bool{}, refresh: map[string]bool{}, hits: map[string]int{}}
	f.srv = httptest.NewServer(f.mux)
	t.Cleanup(f.srv.Close)
	f.URL = f.srv.URL
	f.cfg = fakeConfig{clientID: "test-client", clientSecret: "test-secret", auth: client.AuthBasic, issuer: f.URL, expiresIn: 3600}
	return f
}

func (f *fake) configure(change func(*fakeConfig)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(&f.cfg)
}

func (f *fake) config() fakeConfig {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cfg
}

func (f *fake) hit(route string) {
	f.mu.Lock()
	f.hits[route]++
	f.mu.Unlock()
}

// count is how many requests route has served.
func (f *fake) count(route string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[route]
}

// lastAuthorize is the last authorization request's query.
func (f *fake) lastAuthorize() url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.authReq) == 0 {
		f.t.Fatal("no authorization request was made")
	}
	return f.authReq[len(f.authReq)-1]
}

// fixture reads testdata/<preset>/<file> with {{BASE}} replaced by the
// fake's URL, and each further {{KEY}}, value pair.
func (f *fake) fixture(file string, repl ...string) []byte {
	f.t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", f.preset, file))
	if err != nil {
		f.t.Fatal(err)
	}
	return []byte(strings.NewReplacer(append([]string{"{{BASE}}", f.URL}, repl...)...).Replace(string(b)))
}

// fixtureJSON decodes a fixture into a map.
func (f *fake) fixtureJSON(file string, repl ...string) map[string]any {
	f.t.Helper()
	var m map[string]any
	if err := json.Unmarshal(f.fixture(file, repl...), &m); err != nil {
		f.t.Fatalf("%s: %v", file, err)
	}
	return m
}

// oauth2 serves the authorization and token endpoints at these paths.
func (f *fake) oauth2(authPath, tokenPath string) {
	f.mux.HandleFunc("GET "+authPath, f.authorize)
	f.mux.HandleFunc("POST "+tokenPath, f.token)
}

// oidc serves the discovery fixture at wellKnown and the endpoints it
// lists: authorization, token, JWKS and, with a userinfo fixture, userinfo.
// ID tokens carry the id_token.json fixture's claims.
func (f *fake) oidc(wellKnown, userinfo string, repl ...string) {
	doc := f.fixture("discovery.json", repl...)
	var m struct {
		Issuer   string `json:"issuer"`
		Auth     string `json:"authorization_endpoint"`
		Token    string `json:"token_endpoint"`
		JWKS     string `json:"jwks_uri"`
		UserInfo string `json:"userinfo_endpoint"`
		IssParam bool   `json:"authorization_response_iss_parameter_supported"`
	}
	if err := json.Unmarshal(doc, &m); err != nil {
		f.t.Fatal(err)
	}
	f.mux.HandleFunc("GET "+wellKnown, func(w http.ResponseWriter, r *http.Request) {
		f.hit("discovery")
		w.Header().Set("Content-Type", "application/json")
		w.Write(doc)
	})
	f.once(f.path(m.Auth), func(p string) { f.mux.HandleFunc("GET "+p, f.authorize) })
	f.once(f.path(m.Token), func(p string) { f.mux.HandleFunc("POST "+p, f.token) })
	f.once(f.path(m.JWKS), func(p string) { f.mux.HandleFunc("GET "+p, f.jwks) })
	if m.UserInfo != "" && userinfo != "" {
		body := f.fixture(userinfo, repl...)
		f.once(f.path(m.UserInfo), func(p string) { f.api("GET "+p, "userinfo", body) })
	}
	idt := f.fixtureJSON("id_token.json", repl...)
	f.configure(func(c *fakeConfig) { c.idToken, c.issuer, c.issParam = idt, m.Issuer, m.IssParam })
}

// once registers a route the first time its path is seen: several
// discovery documents (Entra ID's tenants) share endpoints.
func (f *fake) once(path string, register func(string)) {
	f.mu.Lock()
	if f.routes == nil {
		f.routes = map[string]bool{}
	}
	seen := f.routes[path]
	f.routes[path] = true
	f.mu.Unlock()
	if !seen {
		register(path)
	}
}

// path is the path of one of the fake's own URLs.
func (f *fake) path(u string) string {
	f.t.Helper()
	p, err := url.Parse(u)
	if err != nil || !strings.HasPrefix(u, f.URL) {
		f.t.Fatalf("endpoint %q is not on the fake", u)
	}
	return p.Path
}

// api serves a fixed JSON document at pattern to requests bearing a token
// the fake issued.
func (f *fake) api(pattern, route string, body []byte) {
	f.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if !f.bearer(w, r, route) {
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
}

// bearer counts the request and answers 401 unless it carries an access
// token the fake issued (RFC 6750 §2.1).
func (f *fake) bearer(w http.ResponseWriter, r *http.Request, route string) bool {
	f.hit(route)
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	valid := ok && f.access[tok]
	f.mu.Unlock()
	if !valid {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		http.Error(w, `{"error":"invalid_token"}`, http.StatusUnauthorized)
	}
	return valid
}

func (f *fake) jwks(w http.ResponseWriter, r *http.Request) {
	f.hit("jwks")
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &signingKey().PublicKey, KeyID: fakeKID, Algorithm: "RS256", Use: "sig"}}}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(set)
}

// authorize implements RFC 6749 §4.1.1 with the checks a real provider
// makes, then approves at once.
func (f *fake) authorize(w http.ResponseWriter, r *http.Request) {
	f.hit("authorize")
	c := f.config()
	q := r.URL.Query()
	f.mu.Lock()
	f.authReq = append(f.authReq, q)
	f.mu.Unlock()
	switch {
	case q.Get("client_id") != c.clientID:
		http.Error(w, "unknown client_id", http.StatusBadRequest)
		return
	case c.redirectURI != "" && q.Get("redirect_uri") != c.redirectURI:
		http.Error(w, "redirect_uri is not registered", http.StatusBadRequest)
		return
	case q.Get("response_type") != "code":
		http.Error(w, "response_type must be code", http.StatusBadRequest)
		return
	case q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "":
		http.Error(w, "PKCE S256 required", http.StatusBadRequest)
		return
	case c.formPost != (q.Get("response_mode") == "form_post"):
		http.Error(w, "unexpected response_mode", http.StatusBadRequest)
		return
	}
	code := randomString()
	f.mu.Lock()
	f.codes[code] = pendingCode{q.Get("redirect_uri"), q.Get("code_challenge"), q.Get("nonce"), q.Get("scope")}
	f.mu.Unlock()
	resp := url.Values{"code": {code}, "state": {q.Get("state")}}
	if c.issParam {
		resp.Set("iss", c.issuer)
	}
	if c.formPost {
		maps.Copy(resp, c.formExtra)
		writeAutoPost(w, q.Get("redirect_uri"), resp)
		return
	}
	u, _ := url.Parse(q.Get("redirect_uri"))
	u.RawQuery = resp.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// writeAutoPost is the form_post response page (OAuth 2.0 Form Post
// Response Mode §2).
func writeAutoPost(w http.ResponseWriter, action string, v url.Values) {
	var b strings.Builder
	fmt.Fprintf(&b, `<html><body onload="document.forms[0].submit()"><form method="post" action="%s">`, html.EscapeString(action))
	for k, vs := range v {
		fmt.Fprintf(&b, `<input type="hidden" name="%s" value="%s">`, html.EscapeString(k), html.EscapeString(vs[0]))
	}
	b.WriteString(`</form></body></html>`)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write([]byte(b.String()))
}

func tokenError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code})
}

// token implements RFC 6749 §4.1.3 and §6 with PKCE (RFC 7636 §4.6).
func (f *fake) token(w http.ResponseWriter, r *http.Request) {
	f.hit("token")
	c := f.config()
	if err := r.ParseForm(); err != nil {
		tokenError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	if !f.clientAuthenticated(r, c) {
		tokenError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	var nonce, scope string
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		f.mu.Lock()
		pc, ok := f.codes[r.PostForm.Get("code")]
		delete(f.codes, r.PostForm.Get("code"))
		f.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if !ok || pc.redirectURI != r.PostForm.Get("redirect_uri") || base64.RawURLEncoding.EncodeToString(sum[:]) != pc.challenge {
			tokenError(w, http.StatusBadRequest, "invalid_grant")
			return
		}
		nonce, scope = pc.nonce, pc.scope
	case "refresh_token":
		f.mu.Lock()
		ok := f.refresh[r.PostForm.Get("refresh_token")]
		delete(f.refresh, r.PostForm.Get("refresh_token")) // rotation: single use
		f.mu.Unlock()
		if !ok {
			tokenError(w, http.StatusBadRequest, "invalid_grant")
			return
		}
	default:
		tokenError(w, http.StatusBadRequest, "unsupported_grant_type")
		return
	}
	resp := map[string]any{"access_token": randomString(), "token_type": "Bearer", "expires_in": c.expiresIn}
	if scope != "" {
		resp["scope"] = scope
	}
	f.mu.Lock()
	f.access[resp["access_token"].(string)] = true
	if c.refresh {
		resp["refresh_token"] = randomString()
		f.refresh[resp["refresh_token"].(string)] = true
	}
	f.mu.Unlock()
	if c.idToken != nil {
		resp["id_token"] = f.signIDToken(c, nonce)
	}
	maps.Copy(resp, c.tokenExtra)
	w.Header().Set("Cache-Control", "no-store")
	if c.tokenForm {
		v := url.Values{}
		for k, x := range resp {
			v.Set(k, fmt.Sprint(x))
		}
		w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
		w.Write([]byte(v.Encode()))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(resp)
}

// clientAuthenticated checks client authentication the way the preset
// must do it (OpenID Connect Core §9): Basic, post, or none (public).
func (f *fake) clientAuthenticated(r *http.Request, c fakeConfig) bool {
	var id, secret string
	user, pass, basic := r.BasicAuth()
	switch c.auth {
	case client.AuthBasic:
		if !basic || r.PostForm.Has("client_secret") {
			return false
		}
		id, _ = url.QueryUnescape(user)
		secret, _ = url.QueryUnescape(pass)
	case client.AuthPost:
		if basic {
			return false
		}
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	case client.AuthNone:
		return !basic && !r.PostForm.Has("client_secret") && r.PostForm.Get("client_id") == c.clientID
	}
	if id != c.clientID {
		return false
	}
	if c.checkSecret != nil {
		return c.checkSecret(secret) == nil
	}
	return secret == c.clientSecret
}

// signIDToken signs the configured claims with the fake's key (RS256).
func (f *fake) signIDToken(c fakeConfig, nonce string) string {
	claims := maps.Clone(c.idToken)
	now := time.Now()
	setDefault(claims, "iss", c.issuer)
	setDefault(claims, "aud", c.clientID)
	claims["iat"], claims["exp"] = now.Unix(), now.Add(time.Hour).Unix()
	if nonce != "" {
		claims["nonce"] = nonce
	}
	opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), fakeKID)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: signingKey()}, opts)
	if err != nil {
		f.t.Error(err)
		return ""
	}
	s, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		f.t.Error(err)
	}
	return s
}

func setDefault(m map[string]any, k string, v any) {
	if _, ok := m[k]; !ok {
		m[k] = v
	}
}

func randomString() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// directSignIn runs a login with the client alone (no middleware) against
// the fake, for tests that look at what middleware does not keep: the raw
// profile, the tokens, a later refresh.
func directSignIn(t *testing.T, f *fake, p client.Provider) (*client.Client, *client.Result, error) {
	t.Helper()
	p.RedirectURL = "https://app.test/callback/" + p.Name
	f.configure(func(c *fakeConfig) { c.redirectURI = p.RedirectURL })
	c, err := client.New(p)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	authURL, flow, err := c.Begin(ctx, client.BeginOptions{})
	if err != nil {
		return c, nil, err
	}
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	params := url.Values{}
	if loc, err := resp.Location(); err == nil {
		params = loc.Query()
	} else {
		body, _ := io.ReadAll(resp.Body)
		for _, m := range formInput.FindAllStringSubmatch(string(body), -1) {
			params.Set(unescape(m[1]), unescape(m[2]))
		}
	}
	if params.Get("code") == "" {
		t.Fatalf("authorize: status %d, no code", resp.StatusCode)
	}
	res, err := c.Callback(ctx, flow, params)
	return c, res, err
}
