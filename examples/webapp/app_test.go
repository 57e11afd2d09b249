package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// startApp runs the demo in-process on a free port with env and returns its
// URL; it stops with the test.
func startApp(t *testing.T, env map[string]string) string {
	t.Helper()
	env["LOGINKIT_ADDR"] = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	urls := make(chan string, 1)
	done := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	go func() { done <- run(ctx, func(k string) string { return env[k] }, log, func(u string) { urls <- u }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	select {
	case u := <-urls:
		return u
	case err := <-done:
		t.Fatalf("run: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("app did not start")
	}
	return ""
}

type browser struct {
	t  *testing.T
	hc *http.Client
}

func newClient(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t, &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *browser) do(method, u string, form url.Values, hdr map[string]string) (*http.Response, string) {
	c.t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(form.Encode()))
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// TestDemoEndToEnd is the newcomer's path through the zero-configuration
// demo: sign in by choosing Ada, /me, /profile, sign out.
func TestDemoEndToEnd(t *testing.T) {
	base := startApp(t, map[string]string{})
	c := newClient(t)
	if _, body := c.do("GET", base+"/", nil, nil); !strings.Contains(body, `id="signin-demo"`) {
		t.Fatalf("home page has no demo button: %s", body)
	}
	resp, _ := c.do("GET", base+"/login/demo", nil, nil)
	authURL := resp.Header.Get("Location")
	if resp.StatusCode != 302 || !strings.HasPrefix(authURL, base+"/demo-op/authorize?") {
		t.Fatalf("login: %d %q", resp.StatusCode, authURL)
	}
	resp, page := c.do("GET", authURL, nil, nil)
	if resp.StatusCode != 200 || !strings.Contains(page, "Ada Lovelace") || !strings.Contains(page, "Alan Turing") {
		t.Fatalf("chooser page: %d %s", resp.StatusCode, page)
	}
	form := url.Values{"oidctest_subject": {"ada"}}
	for _, m := range hiddenInput.FindAllStringSubmatch(page, -1) {
		form.Set(m[1], htmlUnescape(m[2]))
	}
	resp, _ = c.do("POST", base+"/demo-op/authorize", form, nil)
	cb := resp.Header.Get("Location")
	if !strings.HasPrefix(cb, base+"/callback/demo?") {
		t.Fatalf("authorize: %d %q", resp.StatusCode, cb)
	}
	if resp, _ = c.do("GET", cb, nil, nil); resp.StatusCode != 303 || resp.Header.Get("Location") != "/" {
		t.Fatalf("callback: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, body := c.do("GET", base+"/", nil, nil); !strings.Contains(body, "Hello, Ada Lovelace") {
		t.Fatalf("home after login: %s", body)
	}
	var me map[string]any
	_, body := c.do("GET", base+"/me", nil, map[string]string{"Accept": "application/json"})
	if json.Unmarshal([]byte(body), &me); me["sub"] != "ada" || me["email"] != "ada@example.com" || me["name"] != "Ada Lovelace" || me["provider"] != "demo" {
		t.Fatalf("/me: %s", body)
	}
	resp, body = c.do("GET", base+"/profile", nil, nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `"sub":"ada"`) || !strings.Contains(body, `"given_name":"Ada"`) {
		t.Fatalf("/profile: %d %s", resp.StatusCode, body)
	}
	resp, _ = c.do("POST", base+"/logout", url.Values{}, map[string]string{"Origin": base})
	end := resp.Header.Get("Location")
	if resp.StatusCode != 303 || !strings.HasPrefix(end, base+"/demo-op/end_session?") {
		t.Fatalf("logout: %d %q", resp.StatusCode, end)
	}
	resp, _ = c.do("GET", end, nil, nil)
	back := resp.Header.Get("Location")
	if !strings.HasPrefix(back, base+"/logout/callback?state=") {
		t.Fatalf("end_session: %d %q", resp.StatusCode, back)
	}
	if resp, _ = c.do("GET", back, nil, nil); resp.Header.Get("Location") != "/" {
		t.Fatalf("logout callback: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, body = c.do("GET", base+"/me", nil, map[string]string{"Accept": "application/json"}); resp.StatusCode != 401 || !strings.Contains(body, "error") {
		t.Fatalf("/me after logout: %d %s", resp.StatusCode, body)
	}
	if resp, _ = c.do("GET", base+"/profile", nil, map[string]string{"Accept": "application/json"}); resp.StatusCode != 401 {
		t.Fatalf("/profile after logout: %d", resp.StatusCode)
	}
	if resp, body = c.do("GET", base+"/healthz", nil, nil); resp.StatusCode != 200 || body != "ok\n" {
		t.Fatalf("/healthz: %d %q", resp.StatusCode, body)
	}
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&#43;", "+", "&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">").Replace(s)
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cases := map[string]map[string]string{
		"short key":     {"LOGINKIT_SESSION_KEY": "abcd"},
		"non-hex key":   {"LOGINKIT_SESSION_KEY": strings.Repeat("zz", 32)},
		"unknown store": {"LOGINKIT_SESSION_STORE": "memcached://x"},
		"no client id":  {"LOGINKIT_OIDC_ISSUER": "https://id.example"},
		"bad ahead":     {"LOGINKIT_REFRESH_AHEAD": "soon"},
	}
	for name, env := range cases {
		if _, err := loadConfig(func(k string) string { return env[k] }, log); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	env := map[string]string{"LOGINKIT_SESSION_KEY": strings.Repeat("ab", 32), "LOGINKIT_OIDC_ISSUER": "https://id.example",
		"LOGINKIT_OIDC_CLIENT_ID": "id", "LOGINKIT_OIDC_CLIENT_SECRET": "s"}
	cfg, err := loadConfig(func(k string) string { return env[k] }, log)
	if err != nil || len(cfg.Providers) != 1 || cfg.Providers[0].Name != "oidc" || cfg.Addr != "127.0.0.1:8080" {
		t.Fatalf("valid config: %+v %v", cfg, err)
	}
}
