package oidctest_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/loginkit/loginkit/oidctest"
)

func TestLogoutToken(t *testing.T) {
	t.Parallel()
	one := newEnv(t, func(c *oidctest.Config) { c.Clients = c.Clients[:1] })
	raw, err := one.srv.LogoutToken("alice", "sid-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	head, _ := base64.RawURLEncoding.DecodeString(strings.Split(raw, ".")[0])
	var h struct{ Typ, Kid string }
	if json.Unmarshal(head, &h); h.Typ != "logout+jwt" || h.Kid == "" {
		t.Fatalf("header %s: want typ logout+jwt and a kid", head)
	}
	tok, err := one.verify(appID, raw) // signed by a published key, for the only client
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Sid    string                     `json:"sid"`
		Jti    string                     `json:"jti"`
		Events map[string]json.RawMessage `json:"events"`
		Nonce  *string                    `json:"nonce"`
	}
	if err := tok.Claims(&c); err != nil {
		t.Fatal(err)
	}
	if tok.Subject != "alice" || c.Sid != "sid-1" || c.Jti == "" || c.Nonce != nil ||
		string(c.Events["http://schemas.openid.net/event/backchannel-logout"]) != "{}" || tok.IssuedAt.IsZero() {
		t.Fatalf("claims %+v %+v", tok, c)
	}
	again, _ := one.srv.LogoutToken("alice", "sid-1", nil)
	if again == raw {
		t.Fatal("two logout tokens share a jti")
	}
	mutated, _ := one.srv.LogoutToken("alice", "", func(m map[string]any) { m["nonce"] = "x" })
	if tok, err := one.verify(appID, mutated); err != nil || tok.Nonce != "x" {
		t.Fatalf("mutate: %v", err)
	}

	several := newEnv(t)
	if _, err := several.srv.LogoutToken("alice", "", nil); err == nil {
		t.Fatal("no aud chosen among several clients, yet no error")
	}
	if _, err := several.srv.LogoutToken("alice", "", func(m map[string]any) { m["aud"] = appID }); err != nil {
		t.Fatal(err)
	}
}
