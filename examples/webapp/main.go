// Command webapp is loginkit's demo: a small web app with "Sign in with …"
// buttons, a page that shows who is signed in, a JSON /me, a /profile that
// calls the provider's API with an auto-refreshed token, and sign-out.
//
// With no configuration it runs an in-process OpenID Provider (package
// oidctest) under /demo-op, so `go run ./examples/webapp` needs no account
// anywhere. With LOGINKIT_OIDC_ISSUER, _CLIENT_ID and _CLIENT_SECRET it signs
// people in with any OpenID Connect provider. See the README for every
// variable.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/redis/go-redis/v9"

	"github.com/loginkit/loginkit/internal/serve"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	redis.SetLogger(redisLog{log})
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ready := func(url string) { fmt.Fprintf(os.Stdout, "loginkit demo listening on %s\n", url) }
	if err := run(ctx, os.Getenv, log, ready); err != nil {
		log.Error("webapp stopped", "error", err)
		os.Exit(1)
	}
}

// run serves the app until ctx ends; ready is called with the base URL once
// the app accepts requests.
func run(ctx context.Context, getenv func(string) string, log *slog.Logger, ready func(url string)) error {
	cfg, err := loadConfig(getenv, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://" + ln.Addr().String()
	}
	app, err := newApp(ctx, cfg, log)
	if err != nil {
		ln.Close()
		return err
	}
	defer app.close() // runs after the server has shut down
	return serve.Run(ctx, ln, app, log, func() {
		app.ready.Store(true)
		ready(cfg.BaseURL)
		log.Info("listening", "url", cfg.BaseURL, "providers", app.providerNames())
	})
}
