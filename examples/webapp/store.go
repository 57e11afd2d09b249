package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/loginkit/loginkit/session"
)

// storeSetting checks LOGINKIT_SESSION_STORE: "cookie" (the default),
// "memory", or a Redis URL, redis://host:port/db (rediss:// for TLS).
func storeSetting(v string) (string, error) {
	switch {
	case v == "" || v == "cookie":
		return "cookie", nil
	case v == "memory":
		return v, nil
	case strings.HasPrefix(v, "redis://") || strings.HasPrefix(v, "rediss://"):
		c, err := session.NewRedisClient(v)
		if err != nil {
			return "", fmt.Errorf("LOGINKIT_SESSION_STORE: %w", err)
		}
		c.Close()
		return v, nil
	}
	return "", fmt.Errorf("LOGINKIT_SESSION_STORE=%q: want cookie, memory or redis://host:port/db", v)
}

// openStore builds the store cfg.Store names; nil means middleware's
// default cookie store. The returned function releases it. An unreachable
// Redis is logged, not fatal: protected pages answer 503 until it is back.
func openStore(ctx context.Context, cfg *config, log *slog.Logger) (session.Store, func(), error) {
	opts := session.CookieOptions{Secure: strings.HasPrefix(cfg.BaseURL, "https://")}
	switch cfg.Store {
	case "memory":
		s, err := session.NewMemoryStore(session.MemoryConfig{Keys: cfg.Keys, CookieOptions: opts})
		return s, func() {}, err
	case "cookie":
		return nil, func() {}, nil
	}
	rc, err := session.NewRedisClient(cfg.Store)
	if err != nil {
		return nil, nil, err
	}
	s, err := session.NewRedisStore(session.RedisConfig{Client: rc, Keys: cfg.Keys, CookieOptions: opts})
	if err != nil {
		rc.Close()
		return nil, nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := s.Ping(pctx); err != nil {
		log.Warn("the Redis session store does not answer yet; sign-in waits for it", "addr", rc.Options().Addr, "error", err)
	} else {
		log.Info("sessions in Redis", "addr", rc.Options().Addr, "db", rc.Options().DB)
	}
	return s, func() { s.Close(); rc.Close() }, nil
}

// redisLog sends go-redis's own messages (a failed dial for each call while
// Redis is down) to the debug level: the app logs each failure itself.
type redisLog struct{ log *slog.Logger }

func (l redisLog) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, "redis: "+fmt.Sprintf(format, v...))
}
