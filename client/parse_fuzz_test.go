package client

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

var fuzzNow = time.Unix(1_800_000_000, 0)

// FuzzParseTokenResponse: a token response parses into a usable Bearer token
// with a sane expiry, or fails with a typed error that never repeats the
// access token.
func FuzzParseTokenResponse(f *testing.F) {
	for _, s := range []string{
		`{"access_token":"a","token_type":"Bearer","expires_in":3600,"scope":"a b"}`,
		`{"access_token":"a","token_type":"bearer","expires_in":"3600"}`,
		`{"access_token":"a","expires_in":3599.9,"refresh_token":"r","id_token":"x.y.z"}`,
		`{"access_token":"SECRETSECRET","token_type":"mac"}`,
		`{"access_token":"SECRETSECRET","expires_in":-1}`,
		`{"access_token":"SECRETSECRET","expires_in":1e400}`,
		`{"access_token":"SECRETSECRET","expires_in":"NaN"}`,
		`{"access_token":"SECRETSECRET","expires_in":{"x":1}}`,
		`{"error":"invalid_grant","error_description":"no\u001b[31m"}`,
		`{"access_token":["SECRETSECRET"]}`,
		`null`, `[]`, `"x"`, `{`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		tok, err := parseTokenResponse("token", body, fuzzNow)
		if err == nil {
			if tok.AccessToken == "" || tok.TokenType != "Bearer" {
				t.Fatalf("accepted %q as %v", body, tok)
			}
			if !tok.Expiry.IsZero() && (!tok.Expiry.After(fuzzNow) || tok.Expiry.After(fuzzNow.Add(maxExpiresIn*time.Second))) {
				t.Fatalf("expiry %v from %q", tok.Expiry, body)
			}
			return
		}
		var pe *ProviderError
		if !errors.As(err, &pe) && !errors.Is(err, ErrProviderResponse) {
			t.Fatalf("untyped error %v", err)
		}
		var loose map[string]any
		if json.Unmarshal(body, &loose) == nil {
			if at, ok := loose["access_token"].(string); ok && len(at) >= 8 && strings.Contains(err.Error(), at) {
				t.Fatalf("error repeats the access token: %v", err)
			}
		}
	})
}

// FuzzParseDeviceAuth: whatever the provider sends, what reaches the screen
// is printable, the URIs are http(s), and the timing is usable.
func FuzzParseDeviceAuth(f *testing.F) {
	for _, s := range []string{
		`{"device_code":"d","user_code":"WDJB-MJHT","verification_uri":"https://x.test/device","verification_uri_complete":"https://x.test/device?user_code=WDJB-MJHT","expires_in":1800,"interval":5}`,
		`{"device_code":"d","user_code":"AB","verification_url":"https://x.test/d","expires_in":"60","interval":"0"}`,
		`{"device_code":"d","user_code":"\u001b]8;;https://evil\u0007click","verification_uri":"https://x.test/d","expires_in":60}`,
		`{"device_code":"d","user_code":"AB","verification_uri":"javascript:alert(1)","expires_in":60}`,
		`{"device_code":"d","user_code":"AB","verification_uri":"https://x.test/d\nfake line","expires_in":60}`,
		`{"device_code":"d","user_code":"AB","verification_uri":"https://x.test/d","expires_in":0}`,
		`{}`, `null`, `{"interval":1e999}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		da, err := parseDeviceAuth(body, fuzzNow)
		if err != nil {
			if !errors.Is(err, ErrProviderResponse) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if da.deviceCode == "" || da.UserCode == "" || clean(da.UserCode) != da.UserCode || len(da.UserCode) > maxUserCodeLen {
			t.Fatalf("user code %q from %q", da.UserCode, body)
		}
		if !displayableURL(da.VerificationURI) || (da.VerificationURIComplete != "" && !displayableURL(da.VerificationURIComplete)) {
			t.Fatalf("URIs %q %q", da.VerificationURI, da.VerificationURIComplete)
		}
		if !da.Expiry.After(fuzzNow) || da.Interval < time.Second {
			t.Fatalf("expiry %v interval %v", da.Expiry, da.Interval)
		}
	})
}

// FuzzParseRegistration: a registration answer has a client ID, and its
// management URI, where the access token goes, stays on the provider's origin.
func FuzzParseRegistration(f *testing.F) {
	for _, s := range []string{
		`{"client_id":"c","client_secret":"s","registration_access_token":"t","registration_client_uri":"https://op.test/reg/c","redirect_uris":["https://app/cb"]}`,
		`{"client_id":"c","registration_client_uri":"https://evil.test/reg/c"}`,
		`{"client_id":"c","registration_client_uri":"//evil.test/x"}`,
		`{"client_id":1}`, `{}`, `[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		reg, err := parseRegistration(body, "https://op.test/reg", "")
		if err != nil {
			if !errors.Is(err, ErrProviderResponse) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if reg.ClientID == "" || (reg.RegistrationClientURI != "" && !sameOrigin(reg.RegistrationClientURI, "https://op.test/")) {
			t.Fatalf("accepted %q", body)
		}
	})
}
