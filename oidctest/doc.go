// Package oidctest is an in-process OpenID Provider for tests and for the
// zero-config demo app. It imports nothing from the rest of loginkit.
//
// It is a strict provider of the authorization code flow: OpenID Connect
// Core 1.0 with Discovery 1.0 and RP-Initiated Logout 1.0, PKCE with S256
// only (RFC 7636), the issuer in authorization responses (RFC 9207), refresh
// token rotation with reuse detection (RFC 9700 §4.14.2), revocation
// (RFC 7009) and introspection (RFC 7662). Hooks make it misbehave on
// purpose, and counters tell a test what a client did.
//
// For the other grants a client lists them in Client.GrantTypes: client
// credentials (RFC 6749 §4.4) and the device authorization grant (RFC 8628,
// with a verification page at /device, or ApproveDevice and DenyDevice in a
// test). Config.Registration turns on dynamic client registration (RFC 7591,
// read-back per RFC 7592 §2.1). Loopback redirect URIs registered without a
// port match any port (RFC 8252 §7.3). The legacy password grant and the
// implicit and hybrid flows (form_post only) exist behind
// Config.InsecurePasswordGrant and Config.InsecureImplicitAndHybrid, for
// testing clients that must still support them.
//
// In a test:
//
//	srv, err := oidctest.NewServer(oidctest.Config{
//		Users:       []oidctest.User{{Subject: "alice", Email: "alice@example.com", EmailVerified: true}},
//		Clients:     []oidctest.Client{{ID: "app", Secret: "s3cret", RedirectURIs: []string{callbackURL}}},
//		AutoApprove: "alice", // sign alice in without a page
//	})
//	if err != nil {
//		t.Fatal(err)
//	}
//	defer srv.Close()
//	// Point the client under test at srv.Issuer(), then, for example:
//	srv.SetHooks(oidctest.Hooks{BadSignature: true}) // the next login must fail
//	srv.ExpireAccessTokens()                         // the next API call must refresh
//	_ = srv.GrantCount("refresh_token")              // … exactly once
//
// In the demo app, mounted under a path of another server (with or without
// http.StripPrefix):
//
//	op, err := oidctest.New(oidctest.Config{Issuer: "http://127.0.0.1:8080/demo-op", Users: users, Clients: clients})
//	mux.Handle("/demo-op/", op)
//
// With AutoApprove empty, /authorize shows a page listing the users with a
// button each, and a Deny button.
//
// State lives in memory, bounded, and is lost with the Provider: it is not a
// production server.
package oidctest
