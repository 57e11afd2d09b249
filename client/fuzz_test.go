package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/oidctest"
)

// knownErr reports whether err is one a caller can act on: a typed error or
// one of the package's sentinels.
func knownErr(err error) bool {
	var pe *client.ProviderError
	var ce *client.CallbackError
	if errors.As(err, &pe) || errors.As(err, &ce) {
		return true
	}
	for _, s := range []error{client.ErrInvalidCallback, client.ErrStateMismatch, client.ErrFlowExpired, client.ErrFlowMissing,
		client.ErrMissingCode, client.ErrInvalidIssuer, client.ErrNonceMismatch, client.ErrInvalidIDToken,
		client.ErrMissingIDToken, client.ErrAccessTokenHash, client.ErrInvalidAudience, client.ErrIssuedInFuture,
		client.ErrTokenExpired, client.ErrSubjectMismatch, client.ErrProviderResponse, client.ErrProfile} {
		if errors.Is(err, s) {
			return true
		}
	}
	return strings.HasPrefix(err.Error(), "loginkit: token endpoint:")
}

// FuzzCallbackParams feeds arbitrary callback query strings to Callback. It
// must never panic, must refuse anything whose state is not the flow's, and
// must only fail with the package's errors.
func FuzzCallbackParams(f *testing.F) {
	op, c := newOP(f, oidctest.Hooks{})
	authURL, flow, err := c.Begin(context.Background(), client.BeginOptions{})
	if err != nil {
		f.Fatal(err)
	}
	good := authorize(f, op, authURL)
	f.Add(good.Encode())
	f.Add("state=" + flow.State + "&error=access_denied&error_description=no%0athanks&iss=" + url.QueryEscape(op.Issuer()))
	f.Add("state=" + flow.State + "&code=x&iss=" + url.QueryEscape(op.Issuer()))
	f.Add("state=" + flow.State + "&code=x&iss=a&iss=b")
	f.Add("state=&code=&iss=")
	f.Add("%zz&&;=")
	f.Fuzz(func(t *testing.T, raw string) {
		params, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		f := *flow // the flow is not consumed here; a store would
		res, err := c.Callback(context.Background(), &f, params)
		if err == nil {
			if params.Get("state") != flow.State || res.User.Subject != "ada" {
				t.Fatalf("accepted %q", raw)
			}
			return
		}
		if params.Get("state") != flow.State && !errors.Is(err, client.ErrStateMismatch) {
			t.Fatalf("wrong state gave %v", err)
		}
		if !knownErr(err) {
			t.Fatalf("untyped error %v for %q", err, raw)
		}
	})
}

// FuzzTokenResponse makes the token endpoint answer with arbitrary status
// and body: Callback never panics and never accepts a login without a valid
// ID token.
func FuzzTokenResponse(f *testing.F) {
	f.Add(200, `{"access_token":"a","token_type":"Bearer","expires_in":3600,"id_token":"x.y.z"}`)
	f.Add(200, `{"access_token":"a","token_type":"Bearer","expires_in":"3600"}`)
	f.Add(200, `{"access_token":"","id_token":null}`)
	f.Add(400, `{"error":"invalid_grant","error_description":"nope\u0000\u001b[31m"}`)
	f.Add(401, `{"error":["x"]}`)
	f.Add(500, `<html>oops</html>`)
	f.Add(200, `{"access_token":"a","token_type":"Bearer","expires_in":-1e309}`)
	f.Add(302, ``)
	// One provider and client per fuzz worker; only the token response
	// changes between inputs (generating keys per input would dominate).
	var mu sync.Mutex
	var status int
	var body string
	var op *oidctest.Provider
	fake := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/token") {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			w.Write([]byte(body))
			return
		}
		op.ServeHTTP(w, r)
	})
	op, c := newOPWith(f, fake)
	f.Fuzz(func(t *testing.T, st int, b string) {
		if st < 200 || st > 599 {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		status, body = st, b
		authURL, flow, err := c.Begin(context.Background(), client.BeginOptions{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Callback(context.Background(), flow, authorize(t, op, authURL))
		if err == nil {
			t.Fatalf("accepted a login from token response %d %q", st, b)
		}
		if strings.Contains(err.Error(), `"access_token"`) {
			t.Fatalf("error echoes the body: %v", err)
		}
	})
}

// newOPWith is newOP with the client's transport going through h.
func newOPWith(t testing.TB, h http.Handler) (*oidctest.Provider, *client.Client) {
	op, _ := newOP(t, oidctest.Hooks{})
	c, err := client.New(client.Provider{Name: "t", Issuer: op.Issuer(), ClientID: "app", ClientSecret: "s3cret",
		RedirectURL: redirect, HTTPClient: &http.Client{Transport: memTransport{h}}})
	if err != nil {
		t.Fatal(err)
	}
	return op, c
}
