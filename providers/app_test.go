package providers_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/middleware"
)

// app is a web app using middleware with one preset, on an httptest server
// (TLS for form_post providers, whose flow cookie is Secure), and a
// scripted browser for it: a cookie jar, redirects followed by hand.
type app struct {
	t    *testing.T
	URL  string
	auth *middleware.Auth
	name string
	hc   *http.Client

	mu      sync.Mutex
	lastErr *middleware.Error
}

// startApp serves p through middleware and registers the app's callback URL
// with the fake.
func startApp(t *testing.T, f *fake, p client.Provider, useTLS bool) *app {
	t.Helper()
	a := &app{t: t, name: p.Name}
	var handler http.Handler
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	if useTLS {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	a.URL = srv.URL
	if p.RedirectURL == "" {
		f.configure(func(c *fakeConfig) { c.redirectURI = a.URL + "/callback/" + p.Name })
	}
	p.Timeout = 5 * time.Second
	auth, err := middleware.New(middleware.Config{
		BaseURL: a.URL, Providers: []client.Provider{p},
		Keys:   [][]byte{[]byte("0123456789abcdef0123456789abcdef")},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, e *middleware.Error) {
			a.mu.Lock()
			a.lastErr = e
			a.mu.Unlock()
			middleware.DefaultErrorHandler(w, r, e)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	a.auth = auth
	mux := http.NewServeMux()
	auth.Register(mux)
	mux.Handle("GET /me", auth.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := middleware.UserFrom(r.Context())
		json.NewEncoder(w).Encode(u)
	})))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "home") })
	handler = mux
	jar, _ := cookiejar.New(nil)
	a.hc = &http.Client{Jar: jar, Timeout: 10 * time.Second, Transport: srv.Client().Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return a
}

func (a *app) lastError() *middleware.Error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.lastErr
}

// errText is the last error with its cause, for failure messages.
func (a *app) errText() string {
	if e := a.lastError(); e != nil {
		return fmt.Sprintf("%d %s: %v", e.Status, e.Message, e.Err)
	}
	return "none"
}

// page is one response the browser saw.
type page struct {
	status  int
	body    string
	loc     *url.URL
	cookies []*http.Cookie
}

func (a *app) do(req *http.Request) page {
	a.t.Helper()
	resp, err := a.hc.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	p := page{status: resp.StatusCode, body: string(body), cookies: resp.Cookies()}
	if l, err := resp.Location(); err == nil {
		p.loc = l
	}
	return p
}

func (a *app) get(u string) page {
	a.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Accept", "text/html")
	return a.do(req)
}

// postForm submits a form as a cross-site page would (form_post callbacks).
func (a *app) postForm(u string, v url.Values, origin string) page {
	a.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", origin)
	return a.do(req)
}

var (
	formAction = regexp.MustCompile(`<form method="post" action="([^"]+)">`)
	formInput  = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
)

// signIn runs a login: the app's login route, the provider's authorization
// endpoint, and back to the callback by redirect or by the provider's
// auto-submitting form. It returns the login response and the callback's.
func (a *app) signIn() (login, callback page) {
	a.t.Helper()
	login = a.get(a.URL + "/login/" + a.name)
	if login.status != http.StatusFound || login.loc == nil {
		a.t.Fatalf("login: status %d, want 302; error: %s", login.status, a.errText())
	}
	authz := a.get(login.loc.String())
	switch {
	case authz.status == http.StatusFound && authz.loc != nil:
		return login, a.get(authz.loc.String())
	case authz.status == http.StatusOK && formAction.MatchString(authz.body):
		action := unescape(formAction.FindStringSubmatch(authz.body)[1])
		v := url.Values{}
		for _, m := range formInput.FindAllStringSubmatch(authz.body, -1) {
			v.Set(unescape(m[1]), unescape(m[2]))
		}
		return login, a.postForm(action, v, login.loc.Scheme+"://"+login.loc.Host)
	}
	a.t.Fatalf("authorize: status %d body %q", authz.status, authz.body)
	return
}

func unescape(s string) string {
	r := strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'", "&quot;", `"`)
	return r.Replace(s)
}

// mustSignIn signs in and returns the user the app sees.
func (a *app) mustSignIn() client.User {
	a.t.Helper()
	_, cb := a.signIn()
	if cb.status != http.StatusSeeOther {
		a.t.Fatalf("callback: status %d, want 303; error: %s", cb.status, a.errText())
	}
	return a.me()
}

// me is the signed-in user, as Require hands it to a handler.
func (a *app) me() client.User {
	a.t.Helper()
	p := a.get(a.URL + "/me")
	if p.status != http.StatusOK {
		a.t.Fatalf("/me: status %d", p.status)
	}
	var u client.User
	if err := json.Unmarshal([]byte(p.body), &u); err != nil {
		a.t.Fatal(err)
	}
	return u
}

// refused signs in expecting the callback to fail; it returns the error the
// app's error handler saw.
func (a *app) refused() *middleware.Error {
	a.t.Helper()
	_, cb := a.signIn()
	if cb.status < 400 {
		a.t.Fatalf("callback: status %d, want a refusal", cb.status)
	}
	if p := a.get(a.URL + "/me"); p.status == http.StatusOK {
		a.t.Fatal("a refused sign-in left a session")
	}
	e := a.lastError()
	if e == nil {
		a.t.Fatal("no error reached the error handler")
	}
	return e
}

// wantUser compares the fields a preset is responsible for.
func wantUser(t *testing.T, got client.User, want client.User) {
	t.Helper()
	type fields struct {
		Provider, Subject, Email, Name, Picture string
		EmailVerified                           bool
	}
	g := fields{got.Provider, got.Subject, got.Email, got.Name, got.Picture, got.EmailVerified}
	w := fields{want.Provider, want.Subject, want.Email, want.Name, want.Picture, want.EmailVerified}
	if g != w {
		t.Errorf("user:\n got %+v\nwant %+v", got, want)
	}
}
