package oidctest_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/loginkit/loginkit/oidctest"
)

const (
	svcID, svcSecret = "svc", "svc-secret"
	tvID             = "tv"
	legacyID         = "legacy"
	legacySecret     = "legacy-secret"
)

// withGrants adds a client for each extra grant and enables the legacy ones.
func withGrants(c *oidctest.Config) {
	c.Clients = append(c.Clients,
		oidctest.Client{ID: svcID, Secret: svcSecret, GrantTypes: []string{"client_credentials"}},
		oidctest.Client{ID: tvID, GrantTypes: []string{oidctest.GrantDeviceCode, "refresh_token"}},
		oidctest.Client{ID: legacyID, Secret: legacySecret, RedirectURIs: []string{redirectURI},
			GrantTypes: []string{"password", "implicit", "authorization_code"}},
	)
	c.Users[0].Password = "wonderland"
	c.InsecurePasswordGrant = true
	c.InsecureImplicitAndHybrid = true
	c.Registration = true
}

func TestDiscoveryAdvertisesGrants(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		mutate      func(*oidctest.Config)
		grants      string
		types       string
		registation bool
	}{
		{"default", func(*oidctest.Config) {}, "authorization_code refresh_token", "code", false},
		{"every grant", withGrants,
			"authorization_code implicit refresh_token client_credentials urn:ietf:params:oauth:grant-type:device_code password",
			"code id_token id_token token code id_token code id_token token", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tc.mutate)
			doc := decode[map[string]any](t, e.get("/.well-known/openid-configuration", nil))
			if got := strings.Join(toStrings(doc["grant_types_supported"]), " "); got != tc.grants {
				t.Errorf("grant_types_supported = %q, want %q", got, tc.grants)
			}
			if got := strings.Join(toStrings(doc["response_types_supported"]), " "); got != tc.types {
				t.Errorf("response_types_supported = %q, want %q", got, tc.types)
			}
			if doc["device_authorization_endpoint"] != e.srv.Issuer()+"/device_authorization" {
				t.Errorf("device_authorization_endpoint = %v", doc["device_authorization_endpoint"])
			}
			if _, ok := doc["registration_endpoint"]; ok != tc.registation {
				t.Errorf("registration_endpoint present = %t", ok)
			}
		})
	}
}

func TestClientCredentialsGrant(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withGrants)
	resp := e.post("/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read api:read"}}, svcID, svcSecret)
	tok := decode[tokenResponse](t, resp)
	if resp.StatusCode != 200 || tok.AccessToken == "" || tok.TokenType != "Bearer" || tok.ExpiresIn != 3600 ||
		tok.Scope != "api:read" || tok.RefreshToken != "" || tok.IDToken != "" {
		t.Fatalf("%d %+v", resp.StatusCode, tok)
	}
	if r := e.userinfo(tok.AccessToken); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("userinfo with a client's token: %d", r.StatusCode)
	}
	intro := decode[map[string]any](t, e.post("/introspect", url.Values{"token": {tok.AccessToken}}, svcID, svcSecret))
	if intro["active"] != true || intro["client_id"] != svcID {
		t.Fatalf("introspection %v", intro)
	}
	cases := []struct {
		name       string
		form       url.Values
		id, secret string
		status     int
		code       string
	}{
		{"openid needs a user", url.Values{"grant_type": {"client_credentials"}, "scope": {"openid"}}, svcID, svcSecret, 400, "invalid_scope"},
		{"code client may not", url.Values{"grant_type": {"client_credentials"}}, appID, appSecret, 400, "unauthorized_client"},
		{"service may not use code", url.Values{"grant_type": {"authorization_code"}, "code": {"x"}}, svcID, svcSecret, 400, "unauthorized_client"},
		{"wrong secret", url.Values{"grant_type": {"client_credentials"}}, svcID, "nope", 401, "invalid_client"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.post("/token", tc.form, tc.id, tc.secret)
			wantError(t, resp, decode[tokenResponse](t, resp), tc.status, tc.code)
		})
	}
	if _, err := oidctest.New(oidctest.Config{Issuer: "http://x.test", Clients: []oidctest.Client{{ID: "pub", GrantTypes: []string{"client_credentials"}}}}); err == nil {
		t.Fatal("a public client_credentials client was accepted")
	}
	if _, err := oidctest.New(oidctest.Config{Issuer: "http://x.test", Clients: []oidctest.Client{{ID: "c", GrantTypes: []string{"bogus"}}}}); err == nil {
		t.Fatal("an unknown grant type was accepted")
	}
}

type deviceResponse struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int    `json:"expires_in"`
	Interval                int    `json:"interval"`
}

func (e *env) startDevice() deviceResponse {
	e.t.Helper()
	resp := e.post("/device_authorization", url.Values{"client_id": {tvID}, "scope": {"openid email"}})
	d := decode[deviceResponse](e.t, resp)
	if resp.StatusCode != 200 || d.DeviceCode == "" || !regexp.MustCompile(`^[B-Z]{4}-[B-Z]{4}$`).MatchString(d.UserCode) ||
		d.VerificationURI != e.srv.Issuer()+"/device" || d.ExpiresIn != 600 || d.Interval != 5 ||
		d.VerificationURIComplete != d.VerificationURI+"?user_code="+d.UserCode {
		e.t.Fatalf("device authorization %d %+v", resp.StatusCode, d)
	}
	return d
}

func (e *env) pollDevice(d deviceResponse) (*http.Response, tokenResponse) {
	e.t.Helper()
	resp := e.post("/token", url.Values{"grant_type": {oidctest.GrantDeviceCode}, "device_code": {d.DeviceCode}, "client_id": {tvID}})
	return resp, decode[tokenResponse](e.t, resp)
}

func TestDeviceGrant(t *testing.T) {
	t.Parallel()
	type step struct {
		advance time.Duration
		act     func(e *env, d deviceResponse) // before the poll
		code    string                         // expected error, "" for tokens
	}
	approve := func(e *env, d deviceResponse) {
		if err := e.srv.ApproveDevice(strings.ToLower(strings.ReplaceAll(d.UserCode, "-", " ")), "alice"); err != nil {
			e.t.Fatal(err)
		}
	}
	deny := func(e *env, d deviceResponse) {
		if err := e.srv.DenyDevice(d.UserCode); err != nil {
			e.t.Fatal(err)
		}
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"pending then approved", []step{{5 * time.Second, nil, "authorization_pending"}, {5 * time.Second, approve, ""}}},
		{"too fast: slow_down, and the interval grows", []step{
			{5 * time.Second, nil, "authorization_pending"}, {time.Second, nil, "slow_down"},
			{5 * time.Second, nil, "slow_down"}, {15 * time.Second, approve, ""}}},
		{"denied", []step{{5 * time.Second, deny, "access_denied"}, {5 * time.Second, nil, "invalid_grant"}}},
		{"expired", []step{{10 * time.Minute, nil, "expired_token"}}},
		{"used once", []step{{5 * time.Second, approve, ""}, {5 * time.Second, nil, "invalid_grant"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, withGrants)
			d := e.startDevice()
			for i, s := range tc.steps {
				e.clk.Advance(s.advance)
				if s.act != nil {
					s.act(e, d)
				}
				resp, tok := e.pollDevice(d)
				if s.code != "" {
					wantError(t, resp, tok, 400, s.code)
					continue
				}
				if resp.StatusCode != 200 || tok.AccessToken == "" || tok.RefreshToken == "" || tok.IDToken == "" {
					t.Fatalf("step %d: %d %+v", i, resp.StatusCode, tok)
				}
				idt, err := e.verify(tvID, tok.IDToken)
				if err != nil || idt.Subject != "alice" || idt.Nonce != "" {
					t.Fatalf("ID token: %v", err)
				}
			}
		})
	}
}

func TestDeviceGrantRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withGrants)
	resp := e.post("/device_authorization", url.Values{}, appID, appSecret)
	wantError(t, resp, decode[tokenResponse](t, resp), 400, "unauthorized_client")
	d := e.startDevice()
	resp = e.post("/token", url.Values{"grant_type": {oidctest.GrantDeviceCode}, "device_code": {d.DeviceCode}}, appID, appSecret)
	wantError(t, resp, decode[tokenResponse](t, resp), 400, "unauthorized_client")
	if err := e.srv.ApproveDevice("BCDF-GHJK", "alice"); err == nil {
		t.Fatal("an unknown user code was approved")
	}
	if err := e.srv.ApproveDevice(d.UserCode, "nobody"); err == nil {
		t.Fatal("an unknown user was approved")
	}
}

// TestDevicePage: the verification page a person uses.
func TestDevicePage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withGrants)
	d := e.startDevice()
	page := e.get("/device", url.Values{"user_code": {d.UserCode}})
	body, _ := io.ReadAll(page.Body)
	if page.StatusCode != 200 || !strings.Contains(string(body), `value="`+d.UserCode+`"`) || !strings.Contains(string(body), "Alice Liddell") {
		t.Fatalf("page %d %s", page.StatusCode, body)
	}
	resp := e.post("/device", url.Values{"user_code": {d.UserCode}, "oidctest_subject": {"bob"}})
	body, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Device connected") {
		t.Fatalf("approve: %d %s", resp.StatusCode, body)
	}
	e.clk.Advance(5 * time.Second)
	r, tok := e.pollDevice(d)
	if idt, err := e.verify(tvID, tok.IDToken); r.StatusCode != 200 || err != nil || idt.Subject != "bob" {
		t.Fatalf("after the page: %d %v", r.StatusCode, err)
	}
	again := e.post("/device", url.Values{"user_code": {d.UserCode}, "oidctest_action": {"deny"}})
	if again.StatusCode != 400 {
		t.Fatalf("second decision: %d", again.StatusCode)
	}
}

func TestPasswordGrant(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		enable   bool
		id, sec  string
		user     string
		password string
		status   int
		code     string
	}{
		{"by subject", true, legacyID, legacySecret, "alice", "wonderland", 200, ""},
		{"by email", true, legacyID, legacySecret, "Alice@Example.com", "wonderland", 200, ""},
		{"wrong password", true, legacyID, legacySecret, "alice", "looking-glass", 400, "invalid_grant"},
		{"user without password", true, legacyID, legacySecret, "bob", "x", 400, "invalid_grant"},
		{"client not allowed", true, appID, appSecret, "alice", "wonderland", 400, "unauthorized_client"},
		{"disabled", false, legacyID, legacySecret, "alice", "wonderland", 400, "unsupported_grant_type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, withGrants, func(c *oidctest.Config) { c.InsecurePasswordGrant = tc.enable })
			resp := e.post("/token", url.Values{"grant_type": {"password"}, "username": {tc.user}, "password": {tc.password}, "scope": {"openid email"}}, tc.id, tc.sec)
			tok := decode[tokenResponse](t, resp)
			if tc.code != "" {
				wantError(t, resp, tok, tc.status, tc.code)
				return
			}
			idt, err := e.verify(legacyID, tok.IDToken)
			if resp.StatusCode != 200 || err != nil || idt.Subject != "alice" || tok.RefreshToken != "" {
				t.Fatalf("%d %+v %v", resp.StatusCode, tok, err)
			}
		})
	}
}

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)

func formFields(t *testing.T, resp *http.Response) url.Values {
	t.Helper()
	body, _ := io.ReadAll(resp.Body)
	form := url.Values{}
	for _, m := range hiddenInput.FindAllStringSubmatch(string(body), -1) {
		form.Add(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	return form
}

func halfSHA256(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

func TestImplicitAndHybrid(t *testing.T) {
	t.Parallel()
	cases := []struct {
		rt                       string
		code, access, wantHashes bool
	}{
		{"id_token", false, false, false},
		{"token id_token", false, true, true},
		{"code id_token", true, false, true},
		{"code id_token token", true, true, true},
	}
	for _, tc := range cases {
		t.Run(tc.rt, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, withGrants)
			q := authParams(legacyID, newPKCE())
			q.Set("response_type", tc.rt)
			q.Set("response_mode", "form_post")
			form := formFields(t, e.get("/authorize", q))
			if form.Get("state") != testState || form.Get("iss") != e.srv.Issuer() || (form.Get("code") != "") != tc.code || (form.Get("access_token") != "") != tc.access {
				t.Fatalf("form %v", form)
			}
			idt, err := e.verify(legacyID, form.Get("id_token"))
			if err != nil || idt.Nonce != testNonce {
				t.Fatalf("ID token: %v", err)
			}
			var claims map[string]any
			_ = idt.Claims(&claims)
			if want := halfSHA256(form.Get("code")); tc.code && claims["c_hash"] != want {
				t.Errorf("c_hash %v, want %s", claims["c_hash"], want)
			}
			if want := halfSHA256(form.Get("access_token")); tc.access && claims["at_hash"] != want {
				t.Errorf("at_hash %v, want %s", claims["at_hash"], want)
			}
			if _, has := claims["at_hash"]; !tc.access && has {
				t.Error("at_hash without an access token")
			}
		})
	}
}

func TestImplicitRefusals(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		client string
		set    map[string]string
		off    bool
		code   string
	}{
		{"disabled", legacyID, map[string]string{"response_type": "id_token token"}, true, "unsupported_response_type"},
		{"query response mode", legacyID, map[string]string{"response_type": "id_token", "response_mode": "query"}, false, "invalid_request"},
		{"no nonce", legacyID, map[string]string{"response_type": "id_token", "nonce": ""}, false, "invalid_request"},
		{"client may not get tokens", appID, map[string]string{"response_type": "id_token token"}, false, "unauthorized_client"},
		{"token alone", legacyID, map[string]string{"response_type": "token"}, false, "unsupported_response_type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, withGrants, func(c *oidctest.Config) { c.InsecureImplicitAndHybrid = !tc.off })
			q := authParams(tc.client, newPKCE())
			q.Set("response_mode", "form_post")
			for k, v := range tc.set {
				q.Set(k, v)
			}
			resp := e.get("/authorize", q)
			var got url.Values
			if resp.StatusCode == http.StatusFound {
				got = e.callback(resp)
			} else {
				got = formFields(t, resp)
			}
			if got.Get("error") != tc.code || got.Get("id_token") != "" || got.Get("access_token") != "" {
				t.Fatalf("got %v, want error %s", got, tc.code)
			}
		})
	}
}

type registrationDoc struct {
	ClientID                string   `json:"client_id"`
	ClientSecret            string   `json:"client_secret"`
	ClientName              string   `json:"client_name"`
	RedirectURIs            []string `json:"redirect_uris"`
	RegistrationAccessToken string   `json:"registration_access_token"`
	RegistrationClientURI   string   `json:"registration_client_uri"`
	Error                   string   `json:"error"`
}

func (e *env) register(body, bearer string) (*http.Response, registrationDoc) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.Issuer()+"/register", bytes.NewReader([]byte(body)))
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { resp.Body.Close() })
	return resp, decode[registrationDoc](e.t, resp)
}

func (e *env) readRegistration(uri, bearer string) (*http.Response, registrationDoc) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, uri, nil)
	req.Header.Set("Authorization", "Bearer "+bearer)
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { resp.Body.Close() })
	return resp, decode[registrationDoc](e.t, resp)
}

func TestRegistration(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withGrants)
	md, _ := json.Marshal(map[string]any{"client_name": "Cheshire", "redirect_uris": []string{"https://cat.example/cb"}, "client_id": "chosen", "x_extra": 1})
	resp, reg := e.register(string(md), "")
	if resp.StatusCode != http.StatusCreated || reg.ClientID == "" || reg.ClientID == "chosen" || reg.ClientSecret == "" ||
		reg.RegistrationAccessToken == "" || reg.RegistrationClientURI != e.srv.Issuer()+"/register/"+reg.ClientID || reg.ClientName != "Cheshire" {
		t.Fatalf("%d %+v", resp.StatusCode, reg)
	}
	r, back := e.readRegistration(reg.RegistrationClientURI, reg.RegistrationAccessToken)
	if r.StatusCode != 200 || back.ClientID != reg.ClientID || back.ClientSecret != reg.ClientSecret || back.RedirectURIs[0] != "https://cat.example/cb" {
		t.Fatalf("read back %d %+v", r.StatusCode, back)
	}
	if r, _ := e.readRegistration(reg.RegistrationClientURI, "guess"); r.StatusCode != 401 || r.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("wrong token: %d", r.StatusCode)
	}
	// The new client works at once.
	q := authParams(reg.ClientID, newPKCE())
	q.Set("redirect_uri", "https://cat.example/cb")
	if resp := e.get("/authorize", q); resp.StatusCode != http.StatusFound || !strings.HasPrefix(resp.Header.Get("Location"), "https://cat.example/cb?code=") {
		t.Fatalf("authorize with the registered client: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestRegistrationRefusals(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		body    string
		initial string
		bearer  string
		off     bool
		status  int
		code    string
	}{
		{"no redirect for the code grant", `{"client_name":"x"}`, "", "", false, 400, "invalid_redirect_uri"},
		{"fragment", `{"redirect_uris":["https://x/cb#f"]}`, "", "", false, 400, "invalid_redirect_uri"},
		{"unknown auth method", `{"redirect_uris":["https://x/cb"],"token_endpoint_auth_method":"tls_client_auth"}`, "", "", false, 400, "invalid_client_metadata"},
		{"public client_credentials", `{"grant_types":["client_credentials"],"token_endpoint_auth_method":"none"}`, "", "", false, 400, "invalid_client_metadata"},
		{"not an object", `[1]`, "", "", false, 400, "invalid_client_metadata"},
		{"initial token required", `{"redirect_uris":["https://x/cb"]}`, "it", "", false, 401, "invalid_token"},
		{"initial token given", `{"redirect_uris":["https://x/cb"]}`, "it", "it", false, 201, ""},
		{"disabled", `{"redirect_uris":["https://x/cb"]}`, "", "", true, 404, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, withGrants, func(c *oidctest.Config) { c.InitialAccessToken, c.Registration = tc.initial, !tc.off })
			req, _ := http.NewRequest(http.MethodPost, e.srv.Issuer()+"/register", strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/json")
			if tc.bearer != "" {
				req.Header.Set("Authorization", "Bearer "+tc.bearer)
			}
			resp, err := e.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			var got registrationDoc
			_ = json.Unmarshal(body, &got)
			if resp.StatusCode != tc.status || got.Error != tc.code {
				t.Fatalf("got %d %s, want %d %s", resp.StatusCode, body, tc.status, tc.code)
			}
		})
	}
}

// TestLoopbackRedirectAnyPort: RFC 8252 §7.3, for loopback IP literals only.
func TestLoopbackRedirectAnyPort(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *oidctest.Config) {
		c.Clients = append(c.Clients, oidctest.Client{ID: "cli", RedirectURIs: []string{"http://127.0.0.1/cb", "http://[::1]/cb", "http://localhost/cb"}})
	})
	for uri, ok := range map[string]bool{
		"http://127.0.0.1:49152/cb": true,
		"http://[::1]:8080/cb":      true,
		"http://127.0.0.1/cb":       true,
		"http://localhost:8080/cb":  false,
		"http://127.0.0.1:80/other": false,
		"https://127.0.0.1:443/cb":  false,
	} {
		q := authParams("cli", newPKCE())
		q.Set("redirect_uri", uri)
		if got := e.get("/authorize", q).StatusCode == http.StatusFound; got != ok {
			t.Errorf("%s accepted = %t, want %t", uri, got, ok)
		}
	}
}
