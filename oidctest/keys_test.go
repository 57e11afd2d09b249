package oidctest_test

import (
	"context"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"

	jose "github.com/go-jose/go-jose/v4"
)

func TestRotateKeys(t *testing.T) {
	t.Parallel()
	for _, keepOld := range []bool{true, false} {
		name := map[bool]string{true: "keep old", false: "drop old"}[keepOld]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			before := e.login().IDToken
			oldKID := headerOf(t, before)["kid"]
			ctx := oidc.ClientContext(context.Background(), e.srv.Client())
			verifier := e.verifier(appID) // caches the JWKS on first use
			if _, err := verifier.Verify(ctx, before); err != nil {
				t.Fatal(err)
			}
			if err := e.srv.RotateKeys(keepOld); err != nil {
				t.Fatal(err)
			}
			after := e.login().IDToken
			if kid := headerOf(t, after)["kid"]; kid == oldKID {
				t.Fatal("kid did not change")
			}
			set := decode[jose.JSONWebKeySet](t, e.get("/jwks", nil))
			if want := map[bool]int{true: 2, false: 1}[keepOld]; len(set.Keys) != want {
				t.Fatalf("JWKS has %d keys, want %d", len(set.Keys), want)
			}
			// The verifier made before the rotation refetches the JWKS on the unknown kid.
			if _, err := verifier.Verify(ctx, after); err != nil {
				t.Fatalf("new token: %v", err)
			}
			_, err := verifier.Verify(ctx, before)
			if keepOld && err != nil {
				t.Fatalf("old token with old key kept: %v", err)
			}
			if !keepOld && err == nil {
				t.Fatal("old token verified after its key was dropped")
			}
		})
	}
}
