package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/middleware"
	"github.com/loginkit/loginkit/oidctest"
)

// The demo provider's service client, which gets tokens for this API.
const (
	demoClientID     = "demo-service"
	demoClientSecret = "demo-service-secret"
	demoAPIClientID  = "demo-api" // the API's own client, for introspection
	demoAPISecret    = "demo-api-secret"
)

// api is the protected API: its routes and, without configuration, the
// demo provider it trusts.
type api struct {
	http.Handler
	baseURL, audience, issuer string
	demo                      bool

	mu     sync.Mutex
	orders []order
}

type order struct {
	ID    int    `json:"id"`
	Item  string `json:"item"`
	Owner string `json:"owner"` // the client_id of the caller who placed it
}

func newAPI(baseURL string, getenv func(string) string, log *slog.Logger) (*api, error) {
	a := &api{baseURL: baseURL, issuer: getenv("LOGINKIT_API_ISSUER"), audience: getenv("LOGINKIT_API_AUDIENCE"),
		orders: []order{{ID: 1, Item: "tea", Owner: "seed"}}}
	mux := http.NewServeMux()
	p := client.Provider{Name: "idp", Issuer: a.issuer,
		ClientID: getenv("LOGINKIT_API_CLIENT_ID"), ClientSecret: getenv("LOGINKIT_API_CLIENT_SECRET")}
	switch {
	case a.issuer == "":
		a.demo, a.audience, a.issuer = true, baseURL+"/orders", baseURL+"/demo-op"
		op, err := demoProvider(a.issuer, a.audience)
		if err != nil {
			return nil, err
		}
		mux.Handle("/demo-op/", op)
		p.Issuer, p.ClientID, p.ClientSecret = a.issuer, demoAPIClientID, demoAPISecret
	case a.audience == "":
		return nil, errors.New("LOGINKIT_API_ISSUER is set but LOGINKIT_API_AUDIENCE is not")
	case p.ClientID == "":
		p.ClientID = a.audience // JWTs only: no introspection without credentials
	}
	c, err := client.NewWithoutRedirect(p)
	if err != nil {
		return nil, err
	}
	v, err := client.NewAccessTokenVerifier(c, client.AccessTokenConfig{Audience: a.audience})
	if err != nil {
		return nil, err
	}
	read, err := middleware.Bearer(middleware.BearerConfig{Verifier: v, Realm: "orders", Scopes: []string{"orders:read"}, Logger: log})
	if err != nil {
		return nil, err
	}
	write, err := middleware.Bearer(middleware.BearerConfig{Verifier: v, Realm: "orders", Scopes: []string{"orders:write"}, Logger: log})
	if err != nil {
		return nil, err
	}
	mux.Handle("GET /orders", read(http.HandlerFunc(a.list)))
	mux.Handle("POST /orders", write(http.HandlerFunc(a.create)))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	a.Handler = mux
	return a, nil
}

// demoProvider is an in-process provider issuing JWT access tokens for
// audience to the demo service client.
func demoProvider(issuer, audience string) (*oidctest.Provider, error) {
	return oidctest.New(oidctest.Config{
		Issuer: issuer,
		Clients: []oidctest.Client{
			{ID: demoClientID, Secret: demoClientSecret, GrantTypes: []string{"client_credentials"}},
			{ID: demoAPIClientID, Secret: demoAPISecret, GrantTypes: []string{"client_credentials"}},
		},
		Resources: []oidctest.Resource{{Indicator: audience}},
	})
}

func (a *api) list(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	out := append([]order(nil), a.orders...)
	a.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (a *api) create(w http.ResponseWriter, r *http.Request) {
	tok, _ := middleware.BearerFrom(r.Context()) // always there behind Bearer
	var in struct {
		Item string `json:"item"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10)).Decode(&in); err != nil || strings.TrimSpace(in.Item) == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	a.mu.Lock()
	o := order{ID: len(a.orders) + 1, Item: in.Item, Owner: tok.ClientID}
	a.orders = append(a.orders, o)
	a.mu.Unlock()
	writeJSON(w, http.StatusCreated, o)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// banner tells how to try the API.
func (a *api) banner() string {
	s := fmt.Sprintf("loginkit example API on %s (audience %s)\n", a.baseURL, a.audience)
	if !a.demo {
		return s
	}
	return s + fmt.Sprintf(`Get a token from the demo provider, then call the API:
  TOKEN=$(curl -s -u %s:%s -d grant_type=client_credentials -d scope='orders:read orders:write' \
      --data-urlencode resource=%s %s/token | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
  curl -H "Authorization: Bearer $TOKEN" %s/orders
`, demoClientID, demoClientSecret, a.audience, a.issuer, a.baseURL)
}
