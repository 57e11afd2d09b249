// Command api is loginkit's example of a protected API (a resource server,
// RFC 6750): GET /orders needs an access token with scope orders:read, POST
// /orders one with orders:write; GET /healthz is open. Tokens come from the
// Authorization: Bearer header only and are checked by
// client.AccessTokenVerifier: RFC 9068 JWTs against the provider's keys,
// opaque tokens by introspection (RFC 7662).
//
// With no configuration it runs an in-process OpenID Provider (package
// oidctest) under /demo-op that issues tokens for this API to a demo
// service client, and prints the curl commands to try it, so `go run
// ./examples/api` needs no account anywhere. Configuration (environment):
//
//	LOGINKIT_API_ADDR           listen address (127.0.0.1:8081)
//	LOGINKIT_API_ISSUER         the provider's issuer URL (OpenID Connect discovery)
//	LOGINKIT_API_AUDIENCE       this API's identifier: the aud of its tokens (required with an issuer)
//	LOGINKIT_API_CLIENT_ID      the API's own client, for introspection of opaque tokens
//	LOGINKIT_API_CLIENT_SECRET  … and its secret
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/loginkit/loginkit/internal/serve"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, log, func(a *api) { fmt.Print(a.banner()) }); err != nil {
		log.Error("api stopped", "error", err)
		os.Exit(1)
	}
}

// run serves the API until ctx ends; ready is called once it accepts
// requests.
func run(ctx context.Context, getenv func(string) string, log *slog.Logger, ready func(*api)) error {
	addr := getenv("LOGINKIT_API_ADDR")
	if addr == "" {
		addr = "127.0.0.1:8081"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	a, err := newAPI("http://"+ln.Addr().String(), getenv, log)
	if err != nil {
		ln.Close()
		return err
	}
	return serve.Run(ctx, ln, a, log, func() {
		ready(a)
		log.Info("listening", "url", a.baseURL, "audience", a.audience)
	})
}
