package oidctest

import (
	"net/http"
	"net/http/httptest"
	"net/url"
)

// Server is a Provider listening on 127.0.0.1 through an httptest.Server.
// The embedded Provider gives access to hooks, counters and keys.
type Server struct {
	*Provider
	// URL is the server's base URL, "http://127.0.0.1:port", without a
	// trailing slash. The issuer is URL followed by the path of
	// Config.Issuer, if any; Issuer returns it.
	URL string
	srv *httptest.Server
}

// NewServer starts a provider on a local port. It takes only the path of
// cfg.Issuer ("" or, say, "/demo-op"; a full URL is accepted and its host
// ignored) and prefixes it with the server URL. Close the server when done.
func NewServer(cfg Config) (*Server, error) {
	path, err := issuerPath(cfg.Issuer)
	if err != nil {
		return nil, err
	}
	srv := httptest.NewUnstartedServer(nil) // the listener exists already
	cfg.Issuer = "http://" + srv.Listener.Addr().String() + path
	p, err := New(cfg)
	if err != nil {
		srv.Close()
		return nil, err
	}
	srv.Config.Handler = p
	srv.Start()
	return &Server{Provider: p, URL: srv.URL, srv: srv}, nil
}

// issuerPath returns the path of issuer, which may be a bare path or a URL.
func issuerPath(issuer string) (string, error) {
	if issuer == "" {
		return "", nil
	}
	u, err := url.Parse(issuer)
	if err != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", errBadIssuer
	}
	path := u.EscapedPath()
	if path != "" && path[0] != '/' {
		path = "/" + path
	}
	return path, nil
}

// Close shuts the server down and waits for requests in flight, as
// httptest.Server.Close does.
func (s *Server) Close() { s.srv.Close() }

// Client returns a new HTTP client for the server, sharing the transport of
// httptest.Server.Client (Close closes its idle connections). Each call
// returns a separate value, so a test may set CheckRedirect or Timeout on it,
// for example to stop at the redirect back to the relying party.
func (s *Server) Client() *http.Client {
	c := *s.srv.Client()
	return &c
}
