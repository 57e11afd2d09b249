package oidctest_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/url"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/loginkit/loginkit/oidctest"
)

// Example signs alice in with the authorization code flow and PKCE, using
// golang.org/x/oauth2 and go-oidc as the client.
func Example() {
	const callback = "http://127.0.0.1:8080/callback"
	srv, err := oidctest.NewServer(oidctest.Config{
		Users:       []oidctest.User{{Subject: "alice", Email: "alice@example.com", EmailVerified: true}},
		Clients:     []oidctest.Client{{ID: "app", Secret: "s3cret", RedirectURIs: []string{callback}}},
		AutoApprove: "alice",
	})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	ctx := oidc.ClientContext(context.Background(), srv.Client())
	provider, err := oidc.NewProvider(ctx, srv.Issuer())
	if err != nil {
		log.Fatal(err)
	}
	conf := oauth2.Config{
		ClientID: "app", ClientSecret: "s3cret", RedirectURL: callback,
		Endpoint: provider.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "email"},
	}

	// The browser's trip to /authorize: stop at the redirect to the callback.
	verifier := oauth2.GenerateVerifier()
	browser := srv.Client() // a fresh value: safe to change
	browser.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := browser.Get(conf.AuthCodeURL("state-1", oauth2.S256ChallengeOption(verifier), oidc.Nonce("nonce-1")))
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	q := loc.Query()
	fmt.Println("state:", q.Get("state"), "iss matches:", q.Get("iss") == srv.Issuer())

	// The callback: exchange the code and verify the ID token.
	tok, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		log.Fatal(err)
	}
	rawID, _ := tok.Extra("id_token").(string)
	idToken, err := provider.Verifier(&oidc.Config{ClientID: "app"}).Verify(ctx, rawID)
	if err != nil {
		log.Fatal(err)
	}
	var claims struct {
		Email string `json:"email"`
	}
	_ = idToken.Claims(&claims)
	fmt.Println("subject:", idToken.Subject, "email:", claims.Email, "nonce:", idToken.Nonce)
	fmt.Println("token requests:", srv.GrantCount("authorization_code"))
	// Output:
	// state: state-1 iss matches: true
	// subject: alice email: alice@example.com nonce: nonce-1
	// token requests: 1
}
