package main

import (
	"net/url"
	"strings"
	"testing"

	"github.com/loginkit/loginkit/internal/redistest"
)

func TestStoreSetting(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"": "cookie", "cookie": "cookie", "memory": "memory",
		"redis://127.0.0.1:6379/0": "redis://127.0.0.1:6379/0", "rediss://:pw@redis.internal:6380/2": "rediss://:pw@redis.internal:6380/2",
	} {
		if got, err := storeSetting(in); err != nil || got != want {
			t.Errorf("storeSetting(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"memcached://x", "redis://[::1", "redis://h:1/notadb", "Memory"} {
		if _, err := storeSetting(bad); err == nil {
			t.Errorf("storeSetting(%q) accepted", bad)
		}
	}
}

// demoSignIn signs c in as Ada through the demo provider's chooser page.
func demoSignIn(t *testing.T, c *browser, base string) {
	t.Helper()
	resp, _ := c.do("GET", base+"/login/demo", nil, nil)
	resp, page := c.do("GET", resp.Header.Get("Location"), nil, nil)
	form := url.Values{"oidctest_subject": {"ada"}}
	for _, m := range hiddenInput.FindAllStringSubmatch(page, -1) {
		form.Set(m[1], htmlUnescape(m[2]))
	}
	resp, _ = c.do("POST", base+"/demo-op/authorize", form, nil)
	if resp, _ = c.do("GET", resp.Header.Get("Location"), nil, nil); resp.StatusCode != 303 {
		t.Fatalf("callback: %d", resp.StatusCode)
	}
}

// TestDemoServerStores: LOGINKIT_SESSION_STORE=memory and =redis://… keep
// the session on the server, the browser holding only its sealed ID; a
// copy of the cookie is worthless after sign-out.
func TestDemoServerStores(t *testing.T) {
	t.Parallel()
	for _, store := range []string{"memory", "redis"} {
		t.Run(store, func(t *testing.T) {
			t.Parallel()
			if store == "redis" {
				store = redistest.Start(t).URL(2)
			}
			base := startApp(t, map[string]string{"LOGINKIT_SESSION_STORE": store})
			c := newClient(t)
			demoSignIn(t, c, base)
			u, _ := url.Parse(base)
			cookies := c.hc.Jar.Cookies(u)
			if len(cookies) != 1 || len(cookies[0].Value) > 200 {
				t.Fatalf("cookies: %v, want one holding the session ID", cookies)
			}
			if resp, body := c.do("GET", base+"/profile", nil, nil); resp.StatusCode != 200 || !strings.Contains(body, `"sub":"ada"`) {
				t.Fatalf("/profile: %d %s", resp.StatusCode, body)
			}
			copied := newClient(t)
			copied.hc.Jar.SetCookies(u, cookies)
			if resp, _ := c.do("POST", base+"/logout", url.Values{}, map[string]string{"Origin": base}); resp.StatusCode != 303 {
				t.Fatalf("logout: %d", resp.StatusCode)
			}
			if resp, _ := copied.do("GET", base+"/me", nil, map[string]string{"Accept": "application/json"}); resp.StatusCode != 401 {
				t.Fatalf("/me with a copy of the signed-out cookie: %d", resp.StatusCode)
			}
		})
	}
}
