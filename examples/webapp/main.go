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
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
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
	defer app.close() // runs after srv.Shutdown below
	srv := &http.Server{Handler: app, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	app.ready.Store(true)
	ready(cfg.BaseURL)
	log.Info("listening", "url", cfg.BaseURL, "providers", app.providerNames())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
