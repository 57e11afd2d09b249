package client

import (
	"context"
	"errors"

	"github.com/coreos/go-oidc/v3/oidc"
)

// keySet is go-oidc's remote key set, told apart from its callers' point of
// view: "the keys could not be fetched" (an outage: the JWKS endpoint is
// down or slow) against "no key verifies this signature" (a forgery or a
// retired key). go-oidc's verifier flattens both into one error string, so
// the key set records a failed fetch in a slot the caller put in the
// context (see withKeyFetchSlot); verifySignature reads it.
type keySet struct{ remote *oidc.RemoteKeySet }

type keyFetchSlot struct{}

// withKeyFetchSlot returns ctx carrying *slot, which keySet sets when the
// keys could not be fetched during one verification.
func withKeyFetchSlot(ctx context.Context, slot *error) context.Context {
	return context.WithValue(ctx, keyFetchSlot{}, slot)
}

// VerifySignature implements oidc.KeySet. go-oidc wraps only a failed fetch
// of the keys ("fetching keys %w"); a signature no key verifies is a plain
// error.
func (k keySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	payload, err := k.remote.VerifySignature(ctx, jwt)
	if err != nil && errors.Unwrap(err) != nil {
		if slot, ok := ctx.Value(keyFetchSlot{}).(*error); ok {
			*slot = err
		}
	}
	return payload, err
}
