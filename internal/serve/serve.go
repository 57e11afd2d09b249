// Package serve runs the example programs' HTTP servers: serve on a
// listener until the context ends, then shut down gracefully.
package serve

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Run serves h on ln with a header read timeout, errors logged through log
// at warning level, calls started once it accepts requests, and returns when
// ctx ends (after up to 5 s for requests in flight) or serving fails.
func Run(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger, started func()) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	started()
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
