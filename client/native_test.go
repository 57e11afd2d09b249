package client_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/oidctest"
)

// lockedBuffer is an io.Writer safe for the loopback's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// browserVisit is what the fake browser saw at the loopback redirect.
type browserVisit struct {
	status int
	body   string
}

// fakeBrowser plays the user's browser: it runs the authorization request
// against op in memory, lets tamper change where it is sent back, and
// fetches that (really, over the loopback interface).
type fakeBrowser struct {
	t      *testing.T
	op     http.Handler
	tamper func(back *url.URL) []*url.URL // the visits to make; nil: just back
	visits []browserVisit                 // read after done
	fail   bool                           // the opener fails: no browser
	done   chan struct{}                  // closed after the last visit
}

func (b *fakeBrowser) open(ctx context.Context, authURL string) error {
	if b.fail {
		go b.visit(authURL) // the user copies the URL by hand
		return client.ErrNoBrowser
	}
	go b.visit(authURL)
	return nil
}

func (b *fakeBrowser) visit(authURL string) {
	defer close(b.done)
	rec := httptest.NewRecorder()
	b.op.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, authURL, nil))
	back, err := url.Parse(rec.Header().Get("Location"))
	if err != nil || rec.Code != http.StatusFound {
		b.t.Errorf("authorize: %d", rec.Code)
		return
	}
	visits := []*url.URL{back}
	if b.tamper != nil {
		visits = b.tamper(back)
	}
	for _, u := range visits {
		resp, err := http.Get(u.String())
		if err != nil {
			b.t.Errorf("loopback: %v", err)
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		b.visits = append(b.visits, browserVisit{resp.StatusCode, string(body)})
	}
}

func withQuery(u *url.URL, k, v string) *url.URL {
	c := *u
	q := c.Query()
	q.Set(k, v)
	c.RawQuery = q.Encode()
	return &c
}

func TestLoopbackLogin(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		redirect   string
		fail       bool
		tamper     func(*url.URL) []*url.URL
		hooks      oidctest.Hooks
		mutate     func(*client.Provider)
		wantErr    error
		wantCode   string
		wantOut    string
		wantStatus []int
		wantPage   string
	}{
		{name: "browser opened", wantOut: "Your browser has been opened", wantStatus: []int{200}, wantPage: "You can close this tab"},
		{name: "no browser: URL printed", fail: true, wantOut: "Open this URL in a browser", wantStatus: []int{200}},
		{name: "custom loopback path", redirect: "http://127.0.0.1/cb", wantStatus: []int{200}},
		{name: "profile from userinfo", mutate: func(p *client.Provider) { p.AlwaysUserInfo = true },
			wantStatus: []int{200}, wantPage: "You can close this tab"},
		{name: "fixed port kept", redirect: "http://127.0.0.1:" + freePort(t) + "/fixed", wantStatus: []int{200}},
		{name: "wrong state first does not end the wait",
			tamper:     func(u *url.URL) []*url.URL { return []*url.URL{withQuery(u, "state", "forged"), u} },
			wantStatus: []int{400, 200}, wantPage: "You can close this tab"},
		{name: "wrong iss", tamper: func(u *url.URL) []*url.URL { return []*url.URL{withQuery(u, "iss", "http://evil.test")} },
			wantErr: client.ErrInvalidIssuer, wantStatus: []int{400}, wantPage: "The sign-in failed"},
		{name: "access denied", tamper: func(u *url.URL) []*url.URL {
			q := url.Values{"state": {u.Query().Get("state")}, "iss": {u.Query().Get("iss")}, "error": {"access_denied"}}
			d := *u
			d.RawQuery = q.Encode()
			return []*url.URL{&d}
		}, wantCode: "access_denied", wantStatus: []int{400}, wantPage: "cancelled or denied"},
		{name: "localhost refused", redirect: "http://localhost/callback", wantErr: client.ErrInvalidConfig},
		{name: "https refused", redirect: "https://127.0.0.1/callback", wantErr: client.ErrInvalidConfig},
		{name: "bad ID token", hooks: oidctest.Hooks{BadSignature: true}, wantErr: client.ErrInvalidIDToken, wantStatus: []int{400}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			id := cliID
			op := newGrantsOP(t, func(c *oidctest.Config) {
				if tc.redirect != "" && strings.HasPrefix(tc.redirect, "http://127.0.0.1") {
					id = "cli2"
					c.Clients = append(c.Clients, oidctest.Client{ID: id, RedirectURIs: []string{tc.redirect}})
				}
			})
			op.SetHooks(tc.hooks)
			var mutate []func(*client.Provider)
			if tc.mutate != nil {
				mutate = append(mutate, tc.mutate)
			}
			c := op.client(t, id, "", tc.redirect, mutate...)
			b := &fakeBrowser{t: t, op: op, tamper: tc.tamper, fail: tc.fail, done: make(chan struct{})}
			out := &lockedBuffer{}
			res, err := c.LoopbackLogin(context.Background(), client.LoopbackOptions{OpenBrowser: b.open, Out: out})
			var ce *client.CallbackError
			switch {
			case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
				t.Fatalf("got %v, want %v", err, tc.wantErr)
			case tc.wantCode != "" && (!errors.As(err, &ce) || ce.Code != tc.wantCode):
				t.Fatalf("got %v, want callback error %s", err, tc.wantCode)
			case tc.wantErr == nil && tc.wantCode == "" && (err != nil || res.User.Subject != "ada"):
				t.Fatalf("got %v, %+v", err, res)
			}
			if !strings.Contains(out.String(), tc.wantOut) {
				t.Fatalf("output %q lacks %q", out, tc.wantOut)
			}
			if tc.wantStatus != nil {
				<-b.done
				if len(b.visits) != len(tc.wantStatus) {
					t.Fatalf("%d visits, want %d", len(b.visits), len(tc.wantStatus))
				}
				for i, v := range b.visits {
					if v.status != tc.wantStatus[i] {
						t.Fatalf("visit %d: status %d, want %d", i, v.status, tc.wantStatus[i])
					}
				}
				if last := b.visits[len(b.visits)-1]; !strings.Contains(last.body, tc.wantPage) {
					t.Fatalf("page %q lacks %q", last.body, tc.wantPage)
				}
			}
		})
	}
}

func TestLoopbackLoginCancelled(t *testing.T) {
	t.Parallel()
	op := newGrantsOP(t)
	c := op.client(t, cliID, "", "")
	ctx, cancel := context.WithCancel(context.Background())
	_, err := c.LoopbackLogin(ctx, client.LoopbackOptions{OpenBrowser: func(context.Context, string) error {
		cancel() // the user gives up
		return nil
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

// freePort returns a port that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}
