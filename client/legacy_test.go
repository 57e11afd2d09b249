package client_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/oidctest"
)

func TestInsecureLegacyPasswordGrant(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		user, pass string
		disabled   bool
		wantErr    error
		wantCode   string
	}{
		{name: "by subject", user: "ada", pass: "correct horse"},
		{name: "by email", user: "ada@example.com", pass: "correct horse"},
		{name: "wrong password", user: "ada", pass: "Tr0ub4dor&3", wantErr: client.ErrInvalidGrant},
		{name: "unknown user", user: "eve", pass: "correct horse", wantErr: client.ErrInvalidGrant},
		{name: "grant disabled at the provider", user: "ada", pass: "correct horse", disabled: true, wantCode: "unsupported_grant_type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			op := newGrantsOP(t, func(c *oidctest.Config) { c.InsecurePasswordGrant = !tc.disabled })
			res, err := op.client(t, legacyID, legacySecret, "").InsecureLegacyPasswordGrant(context.Background(), tc.user, tc.pass)
			var pe *client.ProviderError
			switch {
			case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
				t.Fatalf("got %v, want %v", err, tc.wantErr)
			case tc.wantCode != "" && (!errors.As(err, &pe) || pe.Code != tc.wantCode):
				t.Fatalf("got %v, want %s", err, tc.wantCode)
			case tc.wantErr == nil && tc.wantCode == "" && (err != nil || res.User.Subject != "ada" || res.User.Email != "ada@example.com" || res.Tokens.IDToken == ""):
				t.Fatalf("got %v, %+v", err, res)
			case err != nil && strings.Contains(err.Error(), tc.pass):
				t.Fatalf("error carries the password: %v", err)
			}
		})
	}
}

func TestInsecureLegacyFrontChannel(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		rt      client.ResponseType
		hooks   oidctest.Hooks
		tamper  func(form url.Values)
		wantErr error
		check   func(*client.Result) bool
	}{
		{name: "implicit id_token", rt: client.ImplicitIDToken,
			check: func(r *client.Result) bool { return r.Tokens.AccessToken == "" && r.User.Email == "ada@example.com" }},
		{name: "implicit id_token token", rt: client.ImplicitIDTokenToken,
			check: func(r *client.Result) bool {
				return r.Tokens.AccessToken != "" && !r.Tokens.Expiry.IsZero() && r.Tokens.RefreshToken == ""
			}},
		{name: "hybrid code id_token", rt: client.HybridCodeIDToken,
			check: func(r *client.Result) bool { return r.Tokens.RefreshToken != "" }},
		{name: "hybrid code id_token token", rt: client.HybridCodeIDTokenToken,
			check: func(r *client.Result) bool { return r.Tokens.RefreshToken != "" }},
		{name: "wrong nonce", rt: client.ImplicitIDTokenToken, wantErr: client.ErrNonceMismatch,
			hooks: oidctest.Hooks{IDTokenClaims: func(c map[string]any) { c["nonce"] = "other" }}},
		{name: "no at_hash", rt: client.ImplicitIDTokenToken, wantErr: client.ErrAccessTokenHash,
			hooks: oidctest.Hooks{IDTokenClaims: func(c map[string]any) { delete(c, "at_hash") }}},
		{name: "swapped access token", rt: client.ImplicitIDTokenToken, wantErr: client.ErrAccessTokenHash,
			tamper: func(f url.Values) { f.Set("access_token", "someone-elses") }},
		{name: "no c_hash", rt: client.HybridCodeIDToken, wantErr: client.ErrCodeHash,
			hooks: oidctest.Hooks{IDTokenClaims: func(c map[string]any) { delete(c, "c_hash") }}},
		{name: "swapped code", rt: client.HybridCodeIDToken, wantErr: client.ErrCodeHash,
			tamper: func(f url.Values) { f.Set("code", "someone-elses") }},
		{name: "missing code", rt: client.HybridCodeIDTokenToken, wantErr: client.ErrMissingCode,
			tamper: func(f url.Values) { f.Del("code") }},
		{name: "missing id_token", rt: client.ImplicitIDTokenToken, wantErr: client.ErrMissingIDToken,
			tamper: func(f url.Values) { f.Del("id_token") }},
		{name: "wrong state", rt: client.ImplicitIDToken, wantErr: client.ErrStateMismatch,
			tamper: func(f url.Values) { f.Set("state", "forged") }},
		{name: "wrong iss parameter", rt: client.ImplicitIDToken, wantErr: client.ErrInvalidIssuer,
			tamper: func(f url.Values) { f.Set("iss", "http://evil.test") }},
		{name: "bad signature", rt: client.ImplicitIDToken, wantErr: client.ErrInvalidIDToken,
			hooks: oidctest.Hooks{BadSignature: true}},
		{name: "HMAC signed", rt: client.ImplicitIDToken, wantErr: client.ErrInvalidIDToken,
			hooks: oidctest.Hooks{SignAlg: "HS256"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			op := newGrantsOP(t)
			op.SetHooks(tc.hooks)
			fc, err := op.client(t, legacyID, legacySecret, redirect).InsecureLegacyFrontChannel(tc.rt)
			if err != nil {
				t.Fatal(err)
			}
			authURL, flow, err := fc.Begin(context.Background(), client.BeginOptions{})
			if err != nil {
				t.Fatal(err)
			}
			q := mustQuery(t, authURL)
			if q.Get("response_type") != string(tc.rt) || q.Get("response_mode") != "form_post" || q.Get("nonce") != flow.Nonce {
				t.Fatalf("authorization request %s", authURL)
			}
			if hasCode := strings.HasPrefix(string(tc.rt), "code"); (q.Get("code_challenge") != "") != hasCode {
				t.Fatalf("PKCE with a code only: %s", authURL)
			}
			form := formPost(t, op, authURL)
			if tc.tamper != nil {
				tc.tamper(form)
			}
			res, err := fc.Callback(context.Background(), flow, form)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("got %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil || res.User.Subject != "ada" || res.Tokens.IDToken == "" || !tc.check(res) {
				t.Fatalf("got %v, %+v", err, res)
			}
		})
	}
}

func mustQuery(t *testing.T, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

func TestInsecureLegacyFrontChannelRefusals(t *testing.T) {
	t.Parallel()
	op := newGrantsOP(t)
	c := op.client(t, legacyID, legacySecret, redirect)
	for _, rt := range []client.ResponseType{"token", "code token", "code", ""} {
		if _, err := c.InsecureLegacyFrontChannel(rt); !errors.Is(err, client.ErrInvalidConfig) {
			t.Errorf("%q: got %v, want ErrInvalidConfig", rt, err)
		}
	}
	plain, err := client.New(client.Provider{Name: "p", ClientID: "x", RedirectURL: redirect, AuthURL: "http://p.test/a", TokenURL: "http://p.test/t", UserInfoURL: "http://p.test/u"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plain.InsecureLegacyFrontChannel(client.ImplicitIDToken); !errors.Is(err, client.ErrInvalidConfig) {
		t.Errorf("plain OAuth2: got %v, want ErrInvalidConfig", err)
	}
	// A provider that has not enabled the legacy flows answers with an error.
	off := newGrantsOP(t, func(c *oidctest.Config) { c.InsecureImplicitAndHybrid = false })
	fc, _ := off.client(t, legacyID, legacySecret, redirect).InsecureLegacyFrontChannel(client.ImplicitIDTokenToken)
	authURL, flow, _ := fc.Begin(context.Background(), client.BeginOptions{})
	_, err = fc.Callback(context.Background(), flow, formPost(t, off, authURL))
	var ce *client.CallbackError
	if !errors.As(err, &ce) || ce.Code != "unsupported_response_type" {
		t.Fatalf("disabled at the provider: %v", err)
	}
}
