// Package middleware is loginkit's net/http face: the login, callback and
// logout routes, Require and Optional for pages and APIs, the signed-in user
// from the request context, and an *http.Client whose token stays fresh.
//
//	auth, err := middleware.New(middleware.Config{
//		BaseURL: "https://app.example.com",
//		Keys:    [][]byte{key}, // 32+ random bytes, kept secret
//		Providers: []client.Provider{{
//			Name: "example", Issuer: "https://id.example.com",
//			ClientID: id, ClientSecret: secret,
//		}},
//	})
//	mux := http.NewServeMux()
//	auth.Register(mux) // GET /login/{provider}, GET|POST /callback/{provider}, POST /logout, GET /logout/callback, …
//	mux.Handle("/account", auth.Require(accountPage))
//
// Handlers read the user with UserFrom(r.Context()) and call the provider's
// API with auth.Client(w, r). An API that accepts access tokens instead of a
// session wraps its handlers with Bearer (RFC 6750) and reads the verified
// token with BearerFrom(r.Context()).
package middleware

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/session"
)

// Paths are the routes Register serves; the defaults are shown.
type Paths struct {
	Login       string // "/login/" + provider name
	Callback    string // "/callback/" + provider name
	Logout      string // "/logout"
	AfterLogin  string // "/": where a login without return_to lands
	AfterLogout string // "/"
	// LoginPage is where Require sends browsers when several providers are
	// configured (a page with a button each); with one provider, its login
	// route. Default "/".
	LoginPage string
	// LogoutCallback is the post_logout_redirect_uri: the provider sends
	// the browser back here after RP-initiated logout, with the state
	// /logout sent, which it checks before going on to AfterLogout. Register
	// BaseURL + "/logout/callback" with the provider. Default
	// "/logout/callback".
	LogoutCallback string
	// BackChannelLogout + provider name is the backchannel_logout_uri to
	// register (OpenID Connect Back-Channel Logout 1.0); it is served when
	// the Store is a session.ServerStore. Default "/logout/backchannel/".
	BackChannelLogout string
	// FrontChannelLogout + provider name is the frontchannel_logout_uri
	// (OpenID Connect Front-Channel Logout 1.0). Default "/logout/frontchannel/".
	FrontChannelLogout string
}

// Config configures Auth. BaseURL, Providers and Keys (or Store and Flows)
// are required.
type Config struct {
	// BaseURL is the app's external origin, e.g. "https://app.example.com".
	// Redirect URIs are built from it; https makes every cookie Secure and
	// __Host- prefixed.
	BaseURL   string
	Providers []client.Provider
	// Keys seal cookies: 32 bytes or more each; the first seals, all open.
	Keys [][]byte
	// Store keeps sessions; default a CookieStore on Keys. A
	// session.ServerStore (session.MemoryStore, session.RedisStore) also
	// gives refreshes that run once across instances, logout that ends a
	// session ID for good, and back-channel logout.
	Store session.Store
	// Flows keeps pending logins; default sealed cookies on Keys.
	Flows session.FlowStore
	Paths Paths
	// ErrorHandler writes error responses; default a short HTML or JSON
	// page with the status and a message, never the error's text.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, e *Error)
	// Logger receives one line per failed login, refresh or logout; default
	// slog.Default(). No token is ever logged.
	Logger *slog.Logger
	// RefreshAhead refreshes access tokens this long before they expire;
	// default 1 minute.
	RefreshAhead time.Duration
	// SessionLifetime is the absolute life of a session; default 7 days.
	SessionLifetime time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Auth serves logins for a set of providers. Build it with New; it is safe
// for concurrent use.
type Auth struct {
	cfg       Config
	base      *url.URL
	clients   map[string]*client.Client
	order     []string
	store     session.Store
	server    session.ServerStore // store, when it is one; else nil
	flows     session.FlowStore
	log       *slog.Logger
	refresher *refresher
}

// New validates cfg and builds the providers' clients. It makes no network
// call; use Discover to warm discovery at startup.
func New(cfg Config) (*Auth, error) {
	base, err := parseBase(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	cfg = withDefaults(cfg)
	a := &Auth{cfg: cfg, base: base, clients: map[string]*client.Client{}, log: cfg.Logger}
	if err := a.buildStores(); err != nil {
		return nil, err
	}
	for _, p := range cfg.Providers {
		if err := a.addProvider(p); err != nil {
			return nil, err
		}
	}
	if len(a.clients) == 0 {
		return nil, errors.New("loginkit/middleware: no providers configured")
	}
	a.refresher = newRefresher(a)
	return a, nil
}

func parseBase(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSuffix(s, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("loginkit/middleware: BaseURL %q must be an absolute http(s) URL", s)
	}
	return u, nil
}

func withDefaults(cfg Config) Config {
	p := &cfg.Paths
	for _, d := range []struct {
		f *string
		v string
	}{
		{&p.Login, "/login/"}, {&p.Callback, "/callback/"}, {&p.Logout, "/logout"},
		{&p.AfterLogin, "/"}, {&p.AfterLogout, "/"}, {&p.LoginPage, "/"}, {&p.LogoutCallback, "/logout/callback"},
		{&p.BackChannelLogout, "/logout/backchannel/"}, {&p.FrontChannelLogout, "/logout/frontchannel/"},
	} {
		if *d.f == "" {
			*d.f = d.v
		}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.RefreshAhead <= 0 {
		cfg.RefreshAhead = time.Minute
	}
	if cfg.SessionLifetime <= 0 {
		cfg.SessionLifetime = 7 * 24 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ErrorHandler == nil {
		cfg.ErrorHandler = DefaultErrorHandler
	}
	return cfg
}

func (a *Auth) secure() bool { return a.base.Scheme == "https" }

func (a *Auth) buildStores() error {
	opts := session.CookieOptions{Secure: a.secure()}
	a.store, a.flows = a.cfg.Store, a.cfg.Flows
	if a.store == nil {
		s, err := session.NewCookieStore(session.CookieConfig{Keys: a.cfg.Keys, CookieOptions: opts, Lifetime: a.cfg.SessionLifetime, Now: a.cfg.Now})
		if err != nil {
			return fmt.Errorf("loginkit/middleware: %w", err)
		}
		a.store = s
	}
	a.server, _ = a.store.(session.ServerStore)
	if a.flows == nil {
		f, err := session.NewCookieFlows(a.cfg.Keys, opts, 0, a.cfg.Now)
		if err != nil {
			return fmt.Errorf("loginkit/middleware: %w", err)
		}
		a.flows = f
	}
	return nil
}

func (a *Auth) addProvider(p client.Provider) error {
	if _, dup := a.clients[p.Name]; dup {
		return fmt.Errorf("loginkit/middleware: provider %q configured twice", p.Name)
	}
	if p.RedirectURL == "" {
		p.RedirectURL = a.base.String() + a.cfg.Paths.Callback + p.Name
	}
	if p.Now == nil {
		p.Now = a.cfg.Now
	}
	c, err := client.New(p)
	if err != nil {
		return err
	}
	a.clients[p.Name] = c
	a.order = append(a.order, p.Name)
	return nil
}

// Discover fetches every OpenID Connect provider's metadata now, so that a
// misconfiguration shows at startup rather than at the first login.
func (a *Auth) Discover(ctx context.Context) error {
	var errs []error
	for _, name := range a.order {
		if p := a.clients[name].Provider(); p.IsOIDC() {
			if _, err := a.clients[name].Discover(ctx); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// ProviderInfo is what a sign-in page needs to show a provider's button.
type ProviderInfo struct {
	Name, DisplayName, LoginURL string
}

// Providers lists the configured providers in configuration order.
func (a *Auth) Providers() []ProviderInfo {
	out := make([]ProviderInfo, 0, len(a.order))
	for _, name := range a.order {
		out = append(out, ProviderInfo{Name: name, DisplayName: a.clients[name].Provider().DisplayName, LoginURL: a.cfg.Paths.Login + name})
	}
	return out
}

// Client returns the flow manager for a provider, or nil.
func (a *Auth) ProviderClient(name string) *client.Client { return a.clients[name] }

// Store is the session store in use.
func (a *Auth) Store() session.Store { return a.store }
