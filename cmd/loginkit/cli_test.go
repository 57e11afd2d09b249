package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loginkit/loginkit/oidctest"
)

// syncBuffer is an io.Writer for the CLI's goroutines; watch, when set, sees
// every line written.
type syncBuffer struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	line  []byte
	watch func(line string)
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	b.buf.Write(p)
	b.line = append(b.line, p...)
	var lines []string
	for {
		i := bytes.IndexByte(b.line, '\n')
		if i < 0 {
			break
		}
		lines = append(lines, string(b.line[:i]))
		b.line = b.line[i+1:]
	}
	watch := b.watch
	b.mu.Unlock()
	for _, l := range lines {
		if watch != nil {
			watch(l)
		}
	}
	return len(p), nil
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testApp is the CLI with its outputs captured and no real browser.
type testApp struct {
	*app
	out, errOut *syncBuffer
	env         map[string]string
}

func newTestApp() *testApp {
	ta := &testApp{out: &syncBuffer{}, errOut: &syncBuffer{}, env: map[string]string{}}
	ta.app = newApp(ta.out, ta.errOut)
	ta.getenv = func(k string) string { return ta.env[k] }
	ta.openBrowser = nil // tests that want one set it
	return ta
}

func (ta *testApp) run(t *testing.T, args ...string) int {
	t.Helper()
	return ta.app.run(t.Context(), args)
}

// Clients of the test provider.
const (
	cliID, tvID               = "cli", "tv"
	svcID, svcSecret          = "svc", "svc-secret"
	loopbackRedirectURI       = "http://127.0.0.1/callback"
	alicesEmail               = "ada@example.com"
	defaultDeviceTTL          = 10 * time.Minute
	fakeStart           int64 = 1_800_000_000
)

func newProvider(t *testing.T, mutate ...func(*oidctest.Config)) *oidctest.Server {
	t.Helper()
	cfg := oidctest.Config{
		Users: []oidctest.User{{Subject: "ada", Email: alicesEmail, EmailVerified: true, Name: "Ada"}},
		Clients: []oidctest.Client{
			{ID: cliID, RedirectURIs: []string{loopbackRedirectURI}},
			{ID: tvID, GrantTypes: []string{oidctest.GrantDeviceCode, "refresh_token"}},
			{ID: svcID, Secret: svcSecret, GrantTypes: []string{"client_credentials"}},
		},
		AutoApprove:  "ada",
		Registration: true,
	}
	for _, m := range mutate {
		m(&cfg)
	}
	srv, err := oidctest.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func TestUsage(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args       []string
		code       int
		stdout     string
		stderr     string
		noProvider bool
	}{
		{args: nil, code: exitUsage, stderr: "Commands:"},
		{args: []string{"help"}, code: exitOK, stdout: "Commands:"},
		{args: []string{"--help"}, code: exitOK, stdout: "Commands:"},
		{args: []string{"nope"}, code: exitUsage, stderr: `unknown command "nope"`},
		{args: []string{"discover", "--help"}, code: exitOK, stdout: "Usage: loginkit discover ISSUER"},
		{args: []string{"login", "-h"}, code: exitOK, stdout: "--show-tokens"},
		{args: []string{"help", "token"}, code: exitOK, stdout: "Usage: loginkit token ISSUER"},
		{args: []string{"register", "--help"}, code: exitOK, stdout: "-redirect-uri"},
		{args: []string{"discover"}, code: exitUsage, stderr: "want 1 argument(s), got 0"},
		{args: []string{"discover", "a", "b"}, code: exitUsage, stderr: "got 2"},
		{args: []string{"discover", "--bogus", "x"}, code: exitUsage, stderr: "flag provided but not defined: -bogus"},
		{args: []string{"login", "https://id.test"}, code: exitUsage, stderr: "--client-id is required"},
		{args: []string{"token", "https://id.test", "--client-id", "svc"}, code: exitUsage, stderr: "a client secret is required"},
		{args: []string{"token", "https://id.test", "--client-id", "svc", "--client-secret", "s", "--param", "nope"}, code: exitUsage, stderr: `--param "nope" is not NAME=VALUE`},
		{args: []string{"register", "https://id.test"}, code: exitUsage, stderr: "--name is required"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			ta := newTestApp()
			if code := ta.run(t, tc.args...); code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, tc.code, ta.errOut)
			}
			if !strings.Contains(ta.out.String(), tc.stdout) || !strings.Contains(ta.errOut.String(), tc.stderr) {
				t.Fatalf("stdout %q (want %q), stderr %q (want %q)", ta.out, tc.stdout, ta.errOut, tc.stderr)
			}
		})
	}
}

// browseTo plays a browser that follows redirects, the provider signing the
// user in at once (AutoApprove).
func browseTo(t *testing.T, u string) {
	resp, err := http.Get(u)
	if err != nil {
		t.Errorf("browser: %v", err)
		return
	}
	resp.Body.Close()
}

func TestLoginLoopback(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		args      []string
		noBrowser bool
		check     func(t *testing.T, stdout, stderr string)
	}{
		{"tokens hidden", nil, false, func(t *testing.T, stdout, stderr string) {
			for _, want := range []string{"Signed in: ada <ada@example.com>", "ID token claims (signature and claims verified)", `"nonce"`, "Userinfo (subject checked", "Add --show-tokens"} {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
			if strings.Contains(stdout, "eyJ") || strings.Contains(stderr, "eyJ") {
				t.Errorf("a JWT was printed without --show-tokens:\n%s", stdout)
			}
			if !strings.Contains(stderr, "Your browser has been opened") || !strings.Contains(stderr, "Waiting for the sign-in") {
				t.Errorf("stderr %s", stderr)
			}
		}},
		{"tokens shown", []string{"--show-tokens"}, false, func(t *testing.T, stdout, _ string) {
			if !strings.Contains(stdout, "access_token: ") || !strings.Contains(stdout, "id_token: eyJ") {
				t.Errorf("tokens not printed:\n%s", stdout)
			}
		}},
		{"json", []string{"--json"}, false, func(t *testing.T, stdout, _ string) {
			var out loginOutput
			if err := json.Unmarshal([]byte(stdout), &out); err != nil || out.Subject != "ada" || out.Tokens != nil || out.UserInfo == nil || out.IDTokenClaims == nil {
				t.Errorf("json %v: %s", err, stdout)
			}
		}},
		{"no browser: URL printed", []string{"--no-browser"}, true, func(t *testing.T, stdout, stderr string) {
			if !strings.Contains(stderr, "Open this URL in a browser") || !strings.Contains(stdout, "Signed in: ada") {
				t.Errorf("stderr %s\nstdout %s", stderr, stdout)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newProvider(t)
			ta := newTestApp()
			var opened []string
			ta.openBrowser = func(_ context.Context, u string) error {
				opened = append(opened, u)
				go browseTo(t, u)
				return nil
			}
			if tc.noBrowser { // the user copies the printed URL into a browser
				ta.errOut.watch = func(line string) {
					if l := strings.TrimSpace(line); strings.HasPrefix(l, srv.Issuer()+"/authorize?") {
						go browseTo(t, l)
					}
				}
			}
			args := append([]string{"login", srv.Issuer(), "--client-id", cliID}, tc.args...)
			if code := ta.run(t, args...); code != exitOK {
				t.Fatalf("exit %d; stderr %s", code, ta.errOut)
			}
			if tc.noBrowser != (len(opened) == 0) {
				t.Fatalf("browser opened %d times", len(opened))
			}
			tc.check(t, ta.out.String(), ta.errOut.String())
		})
	}
}

// fakeClock lets the device flow's waits pass at once, for provider and CLI.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return nil
}

func TestLoginDevice(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		deny     bool
		code     int
		stdout   string
		stderr   string
		wantNone string
	}{
		{name: "approved", code: exitOK, stdout: "Signed in: ada", stderr: "Waiting for the code to be approved"},
		{name: "denied", deny: true, code: exitFail, stderr: "The sign-in was denied or cancelled."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clk := &fakeClock{t: time.Unix(fakeStart, 0)}
			srv := newProvider(t, func(c *oidctest.Config) { c.Now = clk.Now })
			ta := newTestApp()
			ta.now, ta.sleep = clk.Now, clk.Sleep
			ta.openBrowser = func(_ context.Context, u string) error { // the user's phone
				code, _ := url.Parse(u)
				uc := code.Query().Get("user_code")
				if tc.deny {
					return srv.DenyDevice(uc)
				}
				return srv.ApproveDevice(uc, "ada")
			}
			code := ta.run(t, "login", srv.Issuer(), "--client-id", tvID, "--device")
			if code != tc.code || !strings.Contains(ta.out.String(), tc.stdout) || !strings.Contains(ta.errOut.String(), tc.stderr) {
				t.Fatalf("exit %d\nstdout %s\nstderr %s", code, ta.out, ta.errOut)
			}
			if !strings.Contains(ta.errOut.String(), "and enter the code") {
				t.Fatalf("no user code shown: %s", ta.errOut)
			}
		})
	}
}

func TestLoginErrors(t *testing.T) {
	t.Parallel()
	srv := newProvider(t)
	cases := []struct {
		name   string
		args   []string
		cancel bool
		code   int
		stderr string
	}{
		{"unreachable issuer", []string{"login", "http://127.0.0.1:1", "--client-id", cliID, "--timeout", "2s"}, false, exitFail, "Check the issuer URL"},
		{"client without the device grant", []string{"login", srv.Issuer(), "--client-id", cliID, "--device"}, false, exitFail, "unauthorized_client"},
		{"localhost redirect refused", []string{"login", srv.Issuer(), "--client-id", cliID, "--redirect-uri", "http://localhost/callback"}, false, exitFail, "loopback IP literal"},
		{"interrupted", []string{"login", srv.Issuer(), "--client-id", cliID, "--no-browser"}, true, exitInterrupted, "context canceled"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ta := newTestApp()
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			if tc.cancel {
				ta.errOut.watch = func(line string) {
					if strings.Contains(line, "Waiting") {
						cancel() // Ctrl-C
					}
				}
			}
			if code := ta.app.run(ctx, tc.args); code != tc.code || !strings.Contains(ta.errOut.String(), tc.stderr) {
				t.Fatalf("exit %d, want %d; stderr %s", code, tc.code, ta.errOut)
			}
		})
	}
}

func TestToken(t *testing.T) {
	t.Parallel()
	srv := newProvider(t)
	cases := []struct {
		name   string
		args   []string
		env    string
		code   int
		stdout string
		stderr string
		hidden bool
	}{
		{name: "described, not printed", args: []string{"--client-secret", svcSecret, "--scopes", "api:read"}, code: exitOK,
			stdout: `Tokens: access true, refresh false, ID false; Bearer token expires`, hidden: true},
		{name: "secret from the environment", env: svcSecret, code: exitOK, stdout: "Add --show-tokens", hidden: true},
		{name: "printed when asked", args: []string{"--client-secret", svcSecret, "--show-tokens"}, code: exitOK, stdout: "access_token: "},
		{name: "json", args: []string{"--client-secret", svcSecret, "--json"}, code: exitOK, stdout: `"tokens_redacted": "Tokens{access:true`},
		{name: "wrong secret", args: []string{"--client-secret", "nope"}, code: exitFail, stderr: "Check --client-id and the client secret"},
		{name: "refused scope", args: []string{"--client-secret", svcSecret, "--scopes", "openid"}, code: exitFail, stderr: "ask for fewer with --scopes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ta := newTestApp()
			ta.env[envClientSecret] = tc.env
			code := ta.run(t, append([]string{"token", srv.Issuer(), "--client-id", svcID}, tc.args...)...)
			if code != tc.code || !strings.Contains(ta.out.String(), tc.stdout) || !strings.Contains(ta.errOut.String(), tc.stderr) {
				t.Fatalf("exit %d\nstdout %s\nstderr %s", code, ta.out, ta.errOut)
			}
			if tc.hidden && strings.Contains(ta.out.String(), "access_token:") {
				t.Fatalf("token printed: %s", ta.out)
			}
		})
	}
}

func TestRegister(t *testing.T) {
	t.Parallel()
	srv := newProvider(t)
	ta := newTestApp()
	code := ta.run(t, "register", srv.Issuer(), "--name", "Billing", "--grant-type", "client_credentials", "--website", "https://billing.example")
	if code != exitOK || !strings.Contains(ta.errOut.String(), "it matches") {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, ta.out, ta.errOut)
	}
	fields := map[string]string{}
	for _, line := range strings.Split(ta.out.String(), "\n") {
		if k, v, ok := strings.Cut(line, " "); ok {
			fields[k] = strings.TrimSpace(v)
		}
	}
	if fields["client_id"] == "" || fields["client_secret"] == "" || fields["client_name"] != "Billing" {
		t.Fatalf("registration output %s", ta.out)
	}
	// The new service gets a token.
	tok := newTestApp()
	tok.env[envClientSecret] = fields["client_secret"]
	if code := tok.run(t, "token", srv.Issuer(), "--client-id", fields["client_id"]); code != exitOK {
		t.Fatalf("token with the registered client: %d %s", code, tok.errOut)
	}

	bad := newTestApp()
	if code := bad.run(t, "register", srv.Issuer(), "--name", "No callback"); code != exitFail || !strings.Contains(bad.errOut.String(), "invalid_redirect_uri") {
		t.Fatalf("no redirect URI: %d %s", code, bad.errOut)
	}
	off := newProvider(t, func(c *oidctest.Config) { c.Registration = false })
	none := newTestApp()
	if code := none.run(t, "register", off.Issuer(), "--name", "x", "--redirect-uri", "https://x/cb"); code != exitFail || !strings.Contains(none.errOut.String(), "discover ISSUER") {
		t.Fatalf("no registration endpoint: %d %s", code, none.errOut)
	}
}
