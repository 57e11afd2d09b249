package middleware

import (
	"log/slog"
	"net/http"
)

func levelFor(status int) slog.Level {
	if status >= 500 {
		return slog.LevelError
	}
	return slog.LevelWarn
}

func attrStatus(s int) slog.Attr  { return slog.Int("status", s) }
func attrErr(err error) slog.Attr { return slog.String("error", err.Error()) }

// attrPath logs the path only: a callback's query holds the code and state.
func attrPath(r *http.Request) slog.Attr { return slog.String("path", r.URL.Path) }

func attrProvider(name string) slog.Attr { return slog.String("provider", name) }
