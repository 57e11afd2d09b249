package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/internal/randx"
	"github.com/loginkit/loginkit/middleware"
	"github.com/loginkit/loginkit/oidctest"
	"github.com/loginkit/loginkit/session"
)

// demoPath is where the built-in demo provider is served.
const demoPath = "/demo-op"

type app struct {
	http.Handler
	auth  *middleware.Auth
	ready atomic.Bool
	close func() // releases the session store, after the server stopped
}

func newApp(ctx context.Context, cfg *config, log *slog.Logger) (*app, error) {
	a := &app{}
	mux := http.NewServeMux()
	providers := cfg.Providers
	if len(providers) == 0 {
		demo, p, err := demoProvider(cfg.BaseURL)
		if err != nil {
			return nil, err
		}
		mux.Handle(demoPath+"/", demo)
		providers = []client.Provider{p}
		log.Info("no provider configured: serving the demo OpenID Provider", "issuer", p.Issuer)
	}
	store, closeStore, err := openStore(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	a.close = closeStore
	auth, err := middleware.New(middleware.Config{BaseURL: cfg.BaseURL, Providers: providers, Keys: cfg.Keys, Store: store,
		Logger: log, RefreshAhead: cfg.RefreshAhead})
	if err != nil {
		closeStore()
		return nil, err
	}
	a.auth = auth
	auth.Register(mux)
	mux.Handle("GET /{$}", auth.Optional(http.HandlerFunc(a.home)))
	mux.Handle("GET /me", auth.Require(http.HandlerFunc(a.me)))
	mux.Handle("GET /profile", auth.Require(http.HandlerFunc(a.profile)))
	mux.HandleFunc("GET /healthz", a.healthz)
	a.Handler = securityHeaders(mux)
	return a, nil
}

// demoProvider makes the in-process provider the zero-configuration demo
// signs in with: two people to choose from, a client with a fresh secret.
func demoProvider(baseURL string) (*oidctest.Provider, client.Provider, error) {
	secret := randx.Token(32)
	op, err := oidctest.New(oidctest.Config{
		Issuer: baseURL + demoPath,
		Users: []oidctest.User{
			{Subject: "ada", Email: "ada@example.com", EmailVerified: true, Name: "Ada Lovelace", GivenName: "Ada", FamilyName: "Lovelace"},
			{Subject: "alan", Email: "alan@example.com", EmailVerified: true, Name: "Alan Turing", GivenName: "Alan", FamilyName: "Turing"},
		},
		Clients: []oidctest.Client{{
			ID: "loginkit-demo", Secret: secret,
			RedirectURIs:           []string{baseURL + "/callback/demo"},
			PostLogoutRedirectURIs: []string{baseURL + "/logout/callback"},
		}},
	})
	if err != nil {
		return nil, client.Provider{}, err
	}
	return op, client.Provider{
		Name: "demo", DisplayName: "Sign in with loginkit demo", Issuer: op.Issuer(),
		ClientID: "loginkit-demo", ClientSecret: secret,
	}, nil
}

func (a *app) providerNames() []string {
	var out []string
	for _, p := range a.auth.Providers() {
		out = append(out, p.Name)
	}
	return out
}

func (a *app) healthz(w http.ResponseWriter, r *http.Request) {
	if !a.ready.Load() {
		http.Error(w, "starting", http.StatusServiceUnavailable)
		return
	}
	io.WriteString(w, "ok\n")
}

// me answers who is signed in: GET /me.
func (a *app) me(w http.ResponseWriter, r *http.Request) {
	u, _ := middleware.UserFrom(r.Context())
	writeJSON(w, http.StatusOK, map[string]any{
		"sub": u.Subject, "provider": u.Provider, "email": u.Email,
		"email_verified": u.EmailVerified, "name": u.Name, "picture": u.Picture,
	})
}

// profile calls the provider's userinfo API as the user: GET /profile.
func (a *app) profile(w http.ResponseWriter, r *http.Request) {
	u, _ := middleware.UserFrom(r.Context())
	c := a.auth.ProviderClient(u.Provider)
	m, err := c.Discover(r.Context())
	if err != nil || m.UserInfoURL == "" {
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": "the provider has no profile API"})
		return
	}
	hc, err := a.auth.Client(w, r)
	if err != nil {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "please sign in again"})
		return
	}
	status, body, err := fetchJSON(r.Context(), hc, m.UserInfoURL)
	switch {
	case errors.Is(err, middleware.ErrSessionEnded):
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "your session has ended; please sign in again"})
	case errors.Is(err, session.ErrUnavailable):
		w.Header().Set("Retry-After", "5")
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "sessions are unavailable for a moment; please try again"})
	case err != nil:
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": "the provider did not answer"})
	case status == http.StatusUnauthorized:
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "the provider refused the token; please sign in again"})
	case status != http.StatusOK:
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": fmt.Sprintf("the provider answered %d", status)})
	default:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(body)
	}
}

func fetchJSON(ctx context.Context, hc *http.Client, url string) (int, json.RawMessage, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, nil, err
	}
	if resp.StatusCode == http.StatusOK && !json.Valid(body) {
		return 0, nil, errors.New("profile is not JSON")
	}
	return resp.StatusCode, body, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}
