package e2e_test

// A newcomer's path through examples/webapp in a real browser: Debian's
// chromium, headless, driven by chromedp. Each page is saved as a full-page
// screenshot in a folder that outlives the test (its path is logged).

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/loginkit/loginkit/e2e/internal/realop"
	"github.com/loginkit/loginkit/internal/procio"
)

const (
	browserFlowTimeout = 90 * time.Second
	chromiumHint       = "Debian's chromium (apt-get install chromium), or Chrome/Chromium on PATH"
)

// chromiumPath finds the browser, or skips the test (fails it in CI).
func chromiumPath(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("e2e: no real browser in -short mode")
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	skipOrFail(t, "e2e: no chromium found; the browser tests need "+chromiumHint)
	return ""
}

// newChrome starts a headless chromium with a fresh profile for the test and
// returns a context whose tabs share it. The browser stops when the test ends.
func newChrome(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath(t)
	output := &procio.Buffer{}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // root in a container: no user namespaces for the sandbox
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter"),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("disable-dev-shm-usage", true),
		// Hermetic: every name fails to resolve (oidc-provider's pages
		// @import Google Fonts); the app and the OP are on 127.0.0.1.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		chromedp.WindowSize(1280, 900),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.CombinedOutput(output),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc() // kills the browser and waits for it
		if t.Failed() {
			out := output.String()
			if len(out) > 4000 {
				out = "…" + out[len(out)-4000:]
			}
			t.Logf("e2e: chromium output:\n%s", out)
		}
	})
	// Start the browser with a context that has no deadline: the first Do
	// ties the browser's life to it (chromedp API.md, example 21).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("e2e: starting %s: %v", path, err)
	}
	return ctx
}

// newTab opens a tab in a fresh browser context (its own cookies) with a
// deadline for the whole flow.
func newTab(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	tab, cancelTab := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	ctx, cancel := context.WithTimeout(tab, browserFlowTimeout)
	t.Cleanup(func() {
		cancel()
		cancelTab()
	})
	return ctx
}

// screenshots saves full-page screenshots into a folder that survives the test.
type screenshots struct {
	t   *testing.T
	dir string
	n   int
}

func newScreenshots(t *testing.T) *screenshots {
	t.Helper()
	dir, err := os.MkdirTemp("", "loginkit-e2e-"+strings.ReplaceAll(t.Name(), "/", "-")+"-*")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots: %s", dir)
	return &screenshots{t: t, dir: dir}
}

func (s *screenshots) take(ctx context.Context, name string) {
	s.t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		s.t.Fatalf("screenshot %s: %v", name, err)
	}
	s.n++
	path := filepath.Join(s.dir, fmt.Sprintf("%02d-%s.png", s.n, name))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		s.t.Fatal(err)
	}
	s.t.Logf("screenshot: %s", path)
}

// do runs steps, failing the test with what was being done.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v (at %s)", what, err, location(ctx))
	}
}

// navigateBy runs steps that start a navigation (a click on a link or a
// submit button), waits for the page to load, and checks its status and URL.
func navigateBy(t *testing.T, ctx context.Context, what string, wantStatus int64, wantURL string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	resp, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		t.Fatalf("%s: %v (at %s)", what, err, location(ctx))
	}
	if resp.Status != wantStatus {
		t.Errorf("%s: HTTP %d %s at %s, want %d", what, resp.Status, resp.StatusText, resp.URL, wantStatus)
	}
	if got := withoutQuery(resp.URL); got != wantURL {
		t.Fatalf("%s: landed on %s, want %s", what, got, wantURL)
	}
}

func withoutQuery(u string) string {
	u, _, _ = strings.Cut(u, "?")
	return u
}

// location is the tab's URL without its query (which may carry codes).
func location(ctx context.Context) string {
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "unknown URL: " + err.Error()
	}
	return withoutQuery(loc)
}

func text(t *testing.T, ctx context.Context, sel chromedp.CSS) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(sel, chromedp.NodeVisible))
	if err != nil {
		t.Fatalf("reading %s: %v (at %s)", sel, err, location(ctx))
	}
	return strings.TrimSpace(s)
}

// requireAbsent fails unless no element matches sel now.
func requireAbsent(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)))
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%s is on the page at %s, want it absent", sel, location(ctx))
	}
}

// jsonPage decodes the JSON document the tab shows (chromium wraps it in a <pre>).
func jsonPage(t *testing.T, ctx context.Context, into any) {
	t.Helper()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector("pre") || document.body).textContent`))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(raw), into); err != nil {
		t.Fatalf("the page at %s is not JSON (%v): %.300s", location(ctx), err, raw)
	}
}

// profileAndBack opens /profile from the signed-in home page, checks the
// provider's userinfo for sub, and goes back to the home page.
//
// Chromium restores the home page from its back/forward cache (even with
// Cache-Control: no-store, as long as no cookie changed), and chromedp v0.23
// does not notice a restore: it fires no load event, so NavigateBack waits
// forever, and element queries (WaitVisible, Click) keep looking at the
// /profile document and hang. Until the next real navigation this uses
// JavaScript to look and clickAt (mouse events at coordinates) to click.
func profileAndBack(t *testing.T, ctx context.Context, shots *screenshots, app *webapp, sub, email, greeting string) {
	t.Helper()
	do(t, ctx, "mark the page", chromedp.Evaluate[chromedp.Void](`window.__loginkitE2E = true`))
	navigateBy(t, ctx, "open /profile", 200, app.URL+"/profile", chromedp.Click(chromedp.ID("profile")))
	var u userinfo
	jsonPage(t, ctx, &u)
	if u.Sub != sub || u.Email != email {
		t.Errorf("/profile shows %+v, want sub %s, email %s", u, sub, email)
	}
	shots.take(ctx, "profile")

	do(t, ctx, "go back", chromedp.Evaluate[chromedp.Void](`history.back()`))
	waitJS(t, ctx, "the signed-in home page after going back",
		`location.pathname === "/" && !!document.getElementById("signout")?.checkVisibility()`)
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("greeting").textContent`))
	if err != nil || got != greeting {
		t.Errorf("greeting after going back = %q (%v), want %q", got, err, greeting)
	}
	restored, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__loginkitE2E === true`))
	t.Logf("back on the home page; restored from the back/forward cache: %v", restored)
	shots.take(ctx, "home-after-back")
}

// waitJS polls a JavaScript condition (no DOM node tracking, see profileAndBack).
func waitJS(t *testing.T, ctx context.Context, what, cond string) {
	t.Helper()
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond))
		if err == nil && ok {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v (last: %v, at %s)", what, ctx.Err(), err, location(context.WithoutCancel(ctx)))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// clickAt clicks the middle of the element sel with mouse events at page
// coordinates, found with JavaScript rather than chromedp's DOM tracking.
func clickAt(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		xy, err := chromedp.Evaluate[[]float64](fmt.Sprintf(`(() => {
			const e = document.querySelector(%q);
			if (!e) return null;
			e.scrollIntoView({block: "center"});
			const r = e.getBoundingClientRect();
			return [r.x + r.width / 2, r.y + r.height / 2];
		})()`, sel))(ctx, t)
		if err != nil {
			return fmt.Errorf("locating %s: %w", sel, err)
		}
		if len(xy) != 2 {
			return fmt.Errorf("locating %s: got %v", sel, xy)
		}
		_, err = chromedp.MouseClickXY(xy[0], xy[1])(ctx, t)
		return err
	})
}

// The zero-configuration demo: the app's built-in provider and its account chooser.
func TestBrowserDemo(t *testing.T) {
	t.Parallel()
	chromiumPath(t)                    // skip before starting anything when there is no browser
	app := startWebapp(t, freeAddr(t)) // no provider configured: the demo provider
	browser := newChrome(t)

	t.Run("sign_in_profile_sign_out", func(t *testing.T) {
		ctx := newTab(t, browser)
		shots := newScreenshots(t)

		navigateBy(t, ctx, "open the app", 200, app.URL+"/", chromedp.Navigate(app.URL+"/"))
		do(t, ctx, "wait for the sign-in button", chromedp.WaitVisible(chromedp.ID("signin-demo")))
		if got := text(t, ctx, "#signin-demo"); got != "Sign in with loginkit demo" {
			t.Errorf("sign-in button says %q", got)
		}
		requireAbsent(t, ctx, "#greeting")
		shots.take(ctx, "home-signed-out")

		navigateBy(t, ctx, "click sign in", 200, app.URL+"/demo-op/authorize", chromedp.Click(chromedp.ID("signin-demo")))
		ada := chromedp.CSS(`button.account[value="ada"]`)
		do(t, ctx, "wait for the account chooser", chromedp.WaitVisible(ada), chromedp.WaitVisible(chromedp.CSS(`button[value="alan"]`)))
		if got := text(t, ctx, ada); !strings.Contains(got, "Ada Lovelace") {
			t.Errorf("first account button says %q, want Ada Lovelace", got)
		}
		shots.take(ctx, "demo-op-chooser")

		navigateBy(t, ctx, "choose Ada Lovelace", 200, app.URL+"/", chromedp.Click(ada))
		do(t, ctx, "wait for the greeting", chromedp.WaitVisible(chromedp.ID("greeting")))
		if got := text(t, ctx, "#greeting"); got != "Hello, Ada Lovelace" {
			t.Errorf("greeting = %q, want Hello, Ada Lovelace", got)
		}
		if got := text(t, ctx, "#email"); !strings.HasPrefix(got, "ada@example.com") {
			t.Errorf("email = %q", got)
		}
		requireAbsent(t, ctx, "#signin-demo")
		shots.take(ctx, "home-signed-in")

		profileAndBack(t, ctx, shots, app, "ada", "ada@example.com", "Hello, Ada Lovelace")

		// The demo provider has an end_session_endpoint and sends the browser
		// straight back to the registered post-logout URI.
		navigateBy(t, ctx, "sign out", 200, app.URL+"/", clickAt("#signout"))
		do(t, ctx, "wait for the sign-in button", chromedp.WaitVisible(chromedp.ID("signin-demo")))
		requireAbsent(t, ctx, "#greeting")
		shots.take(ctx, "home-signed-out-again")
	})

	t.Run("deny", func(t *testing.T) {
		ctx := newTab(t, browser)
		shots := newScreenshots(t)
		navigateBy(t, ctx, "open the app", 200, app.URL+"/", chromedp.Navigate(app.URL+"/"))
		navigateBy(t, ctx, "click sign in", 200, app.URL+"/demo-op/authorize", chromedp.Click(chromedp.ID("signin-demo")))
		deny := chromedp.CSS(`button.deny`)
		do(t, ctx, "wait for Deny", chromedp.WaitVisible(deny))
		navigateBy(t, ctx, "click Deny", 403, app.URL+"/callback/demo", chromedp.Click(deny))
		if got := text(t, ctx, "h1"); got != "Sign-in was cancelled." {
			t.Errorf("error page heading = %q, want Sign-in was cancelled.", got)
		}
		if body := text(t, ctx, "body"); !strings.Contains(body, "Error 403.") {
			t.Errorf("error page does not show the status: %q", body)
		}
		shots.take(ctx, "denied")
		// The error page links back to the start, still signed out.
		navigateBy(t, ctx, "back to the start page", 200, app.URL+"/", chromedp.Click(chromedp.CSS(`a[href="/"]`)))
		do(t, ctx, "wait for the sign-in button", chromedp.WaitVisible(chromedp.ID("signin-demo")))
		requireAbsent(t, ctx, "#greeting")
	})
}

// The same path against panva's oidc-provider: its login form, its consent
// page and its logout confirmation.
func TestBrowserRealOP(t *testing.T) {
	t.Parallel()
	chromiumPath(t) // skip before starting anything when there is no browser
	op, app := realOPApp(t, realop.Options{})
	browser := newChrome(t)
	ctx := newTab(t, browser)
	shots := newScreenshots(t)

	navigateBy(t, ctx, "open the app", 200, app.URL+"/", chromedp.Navigate(app.URL+"/"))
	do(t, ctx, "wait for the sign-in button", chromedp.WaitVisible(chromedp.ID("signin-oidc")))
	shots.take(ctx, "home-signed-out")

	// /auth redirects to the login interaction; RunResponse reports the final page.
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.ID("signin-oidc")))
	if err != nil || resp.Status != 200 || !strings.HasPrefix(resp.URL, op.Issuer+"/interaction/") {
		t.Fatalf("click sign in: %v, %+v; want the OP's login page", err, resp)
	}
	login, password := chromedp.CSS(`input[name="login"]`), chromedp.CSS(`input[name="password"]`)
	do(t, ctx, "fill the OP's login form",
		chromedp.WaitVisible(login),
		chromedp.SendKeys(login, "alice"),
		chromedp.SendKeys(password, "any-password"),
	)
	shots.take(ctx, "op-login")

	resp, err = chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`button[type="submit"]`)))
	if err != nil || resp.Status != 200 || !strings.HasPrefix(resp.URL, op.Issuer+"/interaction/") {
		t.Fatalf("submit the login form: %v, %+v; want the OP's consent page", err, resp)
	}
	consent := chromedp.CSS(`input[name="prompt"][value="consent"]`)
	do(t, ctx, "wait for the consent form", chromedp.WaitReady(consent))
	if body := text(t, ctx, "body"); !strings.Contains(body, "Authorize") || !strings.Contains(body, "email") || !strings.Contains(body, "profile") {
		t.Errorf("consent page does not ask for the app's scopes (email, profile): %q", body)
	}
	shots.take(ctx, "op-consent")

	navigateBy(t, ctx, "grant consent", 200, app.URL+"/", chromedp.Click(chromedp.CSS(`button[type="submit"]`)))
	do(t, ctx, "wait for the greeting", chromedp.WaitVisible(chromedp.ID("greeting")))
	if got := text(t, ctx, "#greeting"); got != "Hello, Alice Example" {
		t.Errorf("greeting = %q, want Hello, Alice Example", got)
	}
	requireAbsent(t, ctx, "#signin-oidc")
	shots.take(ctx, "home-signed-in")

	profileAndBack(t, ctx, shots, app, "alice", "alice@example.com", "Hello, Alice Example")

	resp, err = chromedp.RunResponse(ctx, clickAt("#signout"))
	if err != nil || resp.Status != 200 || !strings.HasPrefix(resp.URL, op.Issuer+"/session/end") {
		t.Fatalf("click sign out: %v, %+v; want the OP's logout confirmation", err, resp)
	}
	yes := chromedp.CSS(`button[name="logout"][value="yes"]`)
	do(t, ctx, "wait for the logout confirmation", chromedp.WaitVisible(yes))
	shots.take(ctx, "op-logout-confirm")

	navigateBy(t, ctx, "confirm sign-out", 200, app.URL+"/", chromedp.Click(yes))
	do(t, ctx, "wait for the sign-in button", chromedp.WaitVisible(chromedp.ID("signin-oidc")))
	requireAbsent(t, ctx, "#greeting")
	shots.take(ctx, "home-signed-out-again")

	// The OP's session ended too: signing in again shows its login form.
	resp, err = chromedp.RunResponse(ctx, chromedp.Click(chromedp.ID("signin-oidc")))
	if err != nil || !strings.HasPrefix(resp.URL, op.Issuer+"/interaction/") {
		t.Fatalf("sign in again: %v, %+v; want the OP's login page", err, resp)
	}
	do(t, ctx, "wait for the login form again", chromedp.WaitVisible(login))
}
