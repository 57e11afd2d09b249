package client_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/oidctest"
)

// TestVerifyLogoutToken: one case per check of Back-Channel Logout 1.0
// §2.6, each refused with ErrInvalidLogoutToken and, where there is one,
// the sentinel of the claim at fault.
func TestVerifyLogoutToken(t *testing.T) {
	t.Parallel()
	op, c := newOP(t, oidctest.Hooks{})
	now := time.Now()
	tests := []struct {
		name   string
		mutate func(map[string]any)
		want   error // besides ErrInvalidLogoutToken; nil: accepted
	}{
		{name: "valid", mutate: nil},
		{name: "sub only", mutate: func(c map[string]any) { delete(c, "sid") }},
		{name: "sid only", mutate: func(c map[string]any) { delete(c, "sub") }},
		{name: "no exp", mutate: func(c map[string]any) { delete(c, "exp") }},
		{name: "aud list", mutate: func(c map[string]any) { c["aud"] = []string{"other", "app"} }},
		{name: "wrong aud", mutate: func(c map[string]any) { c["aud"] = "other" }, want: client.ErrInvalidAudience},
		{name: "wrong iss", mutate: func(c map[string]any) { c["iss"] = "http://evil.test" }, want: client.ErrInvalidIssuer},
		{name: "no iat", mutate: func(c map[string]any) { delete(c, "iat") }, want: client.ErrIssuedInFuture},
		{name: "iat ahead", mutate: func(c map[string]any) { c["iat"] = now.Add(10 * time.Minute).Unix() }, want: client.ErrIssuedInFuture},
		{name: "iat old", mutate: func(c map[string]any) { c["iat"] = now.Add(-time.Hour).Unix(); c["exp"] = now.Add(time.Hour).Unix() }, want: client.ErrTokenExpired},
		{name: "expired", mutate: func(c map[string]any) { c["exp"] = now.Add(-2 * time.Minute).Unix() }, want: client.ErrTokenExpired},
		{name: "no events", mutate: func(c map[string]any) { delete(c, "events") }, want: client.ErrInvalidLogoutToken},
		{name: "events not object", mutate: func(c map[string]any) { c["events"] = []string{client.BackChannelLogoutEvent} }, want: client.ErrInvalidLogoutToken},
		{name: "event value not object", mutate: func(c map[string]any) { c["events"] = map[string]any{client.BackChannelLogoutEvent: true} }, want: client.ErrInvalidLogoutToken},
		{name: "nonce", mutate: func(c map[string]any) { c["nonce"] = "abc" }, want: client.ErrInvalidLogoutToken},
		{name: "no sid no sub", mutate: func(c map[string]any) { delete(c, "sid"); delete(c, "sub") }, want: client.ErrInvalidLogoutToken},
		{name: "no jti", mutate: func(c map[string]any) { delete(c, "jti") }, want: client.ErrInvalidLogoutToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			raw, err := op.LogoutToken("ada", "sid-1", tt.mutate)
			if err != nil {
				t.Fatal(err)
			}
			lt, err := c.VerifyLogoutToken(context.Background(), raw)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if lt.ID == "" || lt.Issuer != op.Issuer() {
					t.Fatalf("token %+v", lt)
				}
				return
			}
			if !errors.Is(err, client.ErrInvalidLogoutToken) || !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
		})
	}
}

// TestVerifyLogoutTokenNotAnIDToken: an ID token, signed by the same keys,
// never passes for a logout token.
func TestVerifyLogoutTokenNotAnIDToken(t *testing.T) {
	t.Parallel()
	op, c := newOP(t, oidctest.Hooks{})
	ctx := context.Background()
	authURL, flow, err := c.Begin(ctx, client.BeginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Callback(ctx, flow, authorize(t, op, authURL))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.VerifyLogoutToken(ctx, res.Tokens.IDToken); !errors.Is(err, client.ErrInvalidLogoutToken) {
		t.Fatalf("an ID token accepted as a logout token: %v", err)
	}
	raw, _ := op.LogoutToken("ada", "", nil)
	if _, err := c.VerifyLogoutToken(ctx, raw[:len(raw)-4]+"AAAA"); !errors.Is(err, client.ErrInvalidLogoutToken) {
		t.Fatalf("a bad signature accepted: %v", err)
	}
}

// FuzzVerifyLogoutToken: whatever a back-channel POST carries, verification
// never panics, and accepts only a complete logout token.
func FuzzVerifyLogoutToken(f *testing.F) {
	op, c := newOP(f, oidctest.Hooks{})
	valid, _ := op.LogoutToken("ada", "sid-1", nil)
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZGEifQ.")
	f.Add("")
	f.Fuzz(func(t *testing.T, raw string) {
		lt, err := c.VerifyLogoutToken(context.Background(), raw)
		if err == nil && (lt.ID == "" || lt.SessionID == "" && lt.Subject == "") {
			t.Fatalf("accepted an incomplete logout token: %+v", lt)
		}
	})
}
