package client

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"time"
)

// ErrNoBrowser is what OpenSystemBrowser returns when there is no graphical
// session to open a browser in.
var ErrNoBrowser = errors.New("loginkit: no browser to open")

// defaultLoopbackRedirect is used when the Provider has no RedirectURL.
const defaultLoopbackRedirect = "http://127.0.0.1/callback"

// LoopbackOptions configure LoopbackLogin.
type LoopbackOptions struct {
	BeginOptions // prompt, login_hint and extra parameters of the request

	// OpenBrowser opens the authorization URL in the user's browser; default
	// OpenSystemBrowser. When it fails, the user is asked to open the URL.
	OpenBrowser func(ctx context.Context, authURL string) error
	// Out receives the URL and what the user should do; nil discards it.
	Out io.Writer
	// Port to listen on; 0, the default, takes the RedirectURL's port if it
	// has one, else a free one, which providers must accept for loopback
	// redirects (RFC 8252 §7.3).
	Port int
}

// LoopbackLogin signs a user in from a native or command-line app (RFC
// 8252): it listens on the loopback interface, sends the browser to the
// provider with a redirect URI on that port, and completes the login with
// Callback when the browser comes back: the same state, iss, PKCE and ID
// token checks as a web login. The redirect URI is the Provider's RedirectURL
// (http://127.0.0.1 or http://[::1], any path) with the port filled in, or
// http://127.0.0.1:PORT/callback; a RedirectURL with a port keeps it. "localhost" is refused: it may resolve to
// another interface or address family than the one listening (§8.3).
//
// Requests to the port with the wrong state get an error page and do not end
// the wait: any local program or web page can send them. It waits until ctx
// ends or FlowLifetime passes.
func (c *Client) LoopbackLogin(ctx context.Context, o LoopbackOptions) (*Result, error) {
	redirect, err := c.loopbackRedirect(o.Port)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", redirect.Host)
	if err != nil {
		return nil, fmt.Errorf("loginkit: loopback redirect: %w", err)
	}
	defer ln.Close()
	redirect.Host = ln.Addr().String()
	d, err := c.withRedirectURL(ctx, redirect.String())
	if err != nil {
		return nil, err
	}
	authURL, flow, err := d.Begin(ctx, o.BeginOptions)
	if err != nil {
		return nil, err
	}
	lb := &loopback{c: d, flow: flow, path: redirect.Path, done: make(chan loopbackResult, 1)}
	// The handler completes the login with this ctx, not the request's, so
	// that a tab closed early does not cancel the code exchange.
	srv := &http.Server{Handler: lb.handler(ctx), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer shutdown(srv)
	o.tellUser(ctx, authURL)
	timer := time.NewTimer(FlowLifetime)
	defer timer.Stop()
	select {
	case r := <-lb.done:
		return r.res, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("loginkit: waiting for the browser: %w", ctx.Err())
	case <-timer.C:
		return nil, ErrFlowExpired
	}
}

// loopbackRedirect is the redirect URI to listen for, port not yet chosen.
func (c *Client) loopbackRedirect(port int) (*url.URL, error) {
	raw := c.p.RedirectURL
	if raw == "" {
		raw = defaultLoopbackRedirect
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%w: %s: a loopback RedirectURL is http://127.0.0.1/path", ErrInvalidConfig, c.p.Name)
	}
	ip := net.ParseIP(u.Hostname())
	if ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("%w: %s: RedirectURL host must be a loopback IP literal such as 127.0.0.1 (RFC 8252 §8.3)", ErrInvalidConfig, c.p.Name)
	}
	if port == 0 && u.Port() != "" { // a provider that cannot match any port
		port, err = strconv.Atoi(u.Port())
	}
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("%w: %s: port %d", ErrInvalidConfig, c.p.Name, port)
	}
	if u.Path == "" {
		u.Path = "/"
	}
	u.Host = net.JoinHostPort(ip.String(), strconv.Itoa(port))
	return u, nil
}

// withRedirectURL returns a Client like c, sharing its discovery and keys,
// whose RedirectURL is redirect: the port of a loopback redirect is only
// known once listening.
func (c *Client) withRedirectURL(ctx context.Context, redirect string) (*Client, error) {
	if _, err := c.metadata(ctx); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	d := &Client{p: c.p, hc: c.hc, noRedirect: c.noRedirect, verifier: c.verifier}
	d.p.RedirectURL = redirect
	d.setMetadata(c.meta)
	return d, nil
}

// tellUser opens the browser, or asks the user to.
func (o *LoopbackOptions) tellUser(ctx context.Context, authURL string) {
	out := o.Out
	if out == nil {
		out = io.Discard
	}
	open := o.OpenBrowser
	if open == nil {
		open = OpenSystemBrowser
	}
	if err := open(ctx, authURL); err != nil {
		fmt.Fprintf(out, "Open this URL in a browser on this computer to sign in:\n\n    %s\n\n", authURL)
	} else {
		fmt.Fprintf(out, "Your browser has been opened to sign in. If it did not open, visit:\n\n    %s\n\n", authURL)
	}
	fmt.Fprintln(out, "Waiting for the sign-in to finish in the browser…")
}

type loopbackResult struct {
	res *Result
	err error
}

// loopback serves the redirect URI: the first request carrying the flow's
// state completes the login; the others get a page saying so.
type loopback struct {
	c    *Client
	flow *Flow
	path string
	once sync.Once
	done chan loopbackResult
}

func (lb *loopback) handler(ctx context.Context) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { lb.serve(ctx, w, r) }
}

func (lb *loopback) serve(ctx context.Context, w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != lb.path {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		renderLoopback(w, http.StatusBadRequest, "This request is malformed.")
		return
	}
	if subtle.ConstantTimeCompare([]byte(r.Form.Get("state")), []byte(lb.flow.State)) != 1 {
		renderLoopback(w, http.StatusBadRequest, "This is not the sign-in this program is waiting for. Return to it and start again if needed.")
		return
	}
	handled := false
	lb.once.Do(func() {
		handled = true
		res, err := lb.callback(ctx, r.Form)
		lb.done <- loopbackResult{res, err}
		if err != nil {
			renderLoopback(w, http.StatusBadRequest, failureText(err))
			return
		}
		renderLoopback(w, http.StatusOK, "You are signed in. You can close this tab and return to the program.")
	})
	if !handled {
		renderLoopback(w, http.StatusConflict, "This sign-in was already completed. You can close this tab.")
	}
}

// callback completes the login. A panic in it (a bug) ends the login with
// an error instead of leaving the program waiting for a callback that has
// already come.
func (lb *loopback) callback(ctx context.Context, form url.Values) (res *Result, err error) {
	defer func() {
		if recover() != nil {
			res, err = nil, errors.New("loginkit: internal error while completing the sign-in")
		}
	}()
	return lb.c.Callback(ctx, lb.flow, form)
}

// failureText tells the browser what went wrong without details: the
// program prints those.
func failureText(err error) string {
	var ce *CallbackError
	if errors.As(err, &ce) && ce.Code == "access_denied" {
		return "The sign-in was cancelled or denied. You can close this tab."
	}
	return "The sign-in failed; the program says why. You can close this tab."
}

var loopbackPage = template.Must(template.New("loopback").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Sign-in</title><style>body{font:16px/1.5 system-ui,sans-serif;margin:3rem auto;max-width:32rem;padding:0 1rem}</style></head>
<body><h1>Sign-in</h1><p>{{.}}</p></body></html>
`))

func renderLoopback(w http.ResponseWriter, status int, text string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	w.WriteHeader(status)
	_ = loopbackPage.Execute(w, text) // a write error means the tab was closed
}

// shutdown stops the loopback server, letting the final page be written.
func shutdown(srv *http.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
}

// OpenSystemBrowser opens u in the user's default browser: open on macOS,
// rundll32 on Windows, xdg-open elsewhere (ErrNoBrowser without a graphical
// session). The URL is passed as one argument, never through a shell, and
// must be http or https.
func OpenSystemBrowser(ctx context.Context, u string) error {
	if p, err := url.Parse(u); err != nil || (p.Scheme != "https" && p.Scheme != "http") {
		return fmt.Errorf("%w: only http(s) URLs are opened", ErrNoBrowser)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// No CommandContext: ending ctx must not kill a browser the opener
	// started in the foreground.
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", u)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", u)
	default:
		if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
			return ErrNoBrowser
		}
		cmd = exec.Command("xdg-open", u)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%w: %v", ErrNoBrowser, err)
	}
	go cmd.Wait() // some openers stay until the browser exits; reap them whenever
	return nil
}
