package realop

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// The scripted browser: it walks oidc-provider's development pages (login,
// consent, logout confirmation, device code confirmation and the auto-submitting
// form_post pages) the way a person clicking "Sign-in" and "Continue" would,
// following redirects by hand and stopping as soon as one leads away from the
// provider.

const (
	maxSteps     = 30
	maxPageBytes = 1 << 20
	// AnyPassword is what the browser types into the password field; the
	// development login form accepts any password.
	AnyPassword = "any-password"
)

// Authorize completes an authorization request in hc's cookie jar: it opens
// authURL, signs in as login on the development login form (any password),
// grants the consent form, and returns the URL the provider finally sends the
// browser to, at the relying party's redirect_uri, without fetching it. With
// response_mode=form_post the returned URL is the form's action with the posted
// fields added to its query.
//
// hc must have a cookie jar (the provider's session lives in its cookies);
// Authorize follows redirects itself, whatever hc.CheckRedirect says. A second
// Authorize with the same jar reuses the session: no login, and no consent for
// scopes already granted.
func (o *OP) Authorize(t testing.TB, hc *http.Client, authURL, login string) *url.URL {
	t.Helper()
	if login == "" {
		t.Fatal("realop: Authorize needs a login")
	}
	r := o.browse(t, hc, authURL, login, false)
	if r.left == nil {
		t.Fatalf("realop: authorization did not return to the relying party; it ended at %s (HTTP %d): %s", r.url, r.status, pageText(r.body))
	}
	return r.left
}

// AuthorizeCancel opens authURL and presses "[ Cancel ]" on the first login or
// consent page, and returns the URL at the relying party's redirect_uri (which
// carries error=access_denied) without fetching it.
func (o *OP) AuthorizeCancel(t testing.TB, hc *http.Client, authURL string) *url.URL {
	t.Helper()
	r := o.browse(t, hc, authURL, "", true)
	if r.left == nil {
		t.Fatalf("realop: cancelled authorization did not return to the relying party; it ended at %s (HTTP %d): %s", r.url, r.status, pageText(r.body))
	}
	return r.left
}

// EndSession opens an RP-initiated logout URL (the end_session_endpoint with
// its parameters), answers "Yes, sign me out", and returns where the provider
// sends the browser: the post_logout_redirect_uri (with state), not fetched, or
// else the provider's own sign-out success page.
func (o *OP) EndSession(t testing.TB, hc *http.Client, endSessionURL string) *url.URL {
	t.Helper()
	r := o.browse(t, hc, endSessionURL, "", false)
	if r.left != nil {
		return r.left
	}
	if r.status != http.StatusOK || !strings.Contains(r.body, "Sign-out Success") {
		t.Fatalf("realop: logout ended at %s (HTTP %d): %s", r.url, r.status, pageText(r.body))
	}
	return r.url
}

// ApproveDevice plays the user of the device authorization grant: it opens
// verificationURIComplete (the device authorization response's
// verification_uri_complete), confirms the code, signs in as login, grants
// consent and checks that the provider shows its success page.
func (o *OP) ApproveDevice(t testing.TB, hc *http.Client, verificationURIComplete, login string) {
	t.Helper()
	if login == "" {
		t.Fatal("realop: ApproveDevice needs a login")
	}
	r := o.browse(t, hc, verificationURIComplete, login, false)
	if r.left != nil {
		t.Fatalf("realop: device approval left the provider for %s", r.left)
	}
	if r.status != http.StatusOK || !strings.Contains(r.body, "Sign-in Success") {
		t.Fatalf("realop: device approval ended at %s (HTTP %d): %s", r.url, r.status, pageText(r.body))
	}
}

type browseResult struct {
	left   *url.URL // where the browser was sent away from the provider, or nil
	url    *url.URL // otherwise: the last page, on the provider
	status int
	body   string
}

func (o *OP) browse(t testing.TB, hc *http.Client, start, login string, cancel bool) browseResult {
	t.Helper()
	if hc == nil || hc.Jar == nil {
		t.Fatal("realop: the browser's *http.Client needs a cookie jar")
	}
	issuer, err := url.Parse(o.Issuer)
	if err != nil {
		t.Fatalf("realop: issuer %q: %v", o.Issuer, err)
	}
	c := *hc
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	target, err := url.Parse(start)
	if err != nil {
		t.Fatalf("realop: bad start URL %q: %v", start, err)
	}
	if !sameOrigin(target, issuer) {
		t.Fatalf("realop: start URL %s is not on the provider %s", target, o.Issuer)
	}
	method := http.MethodGet
	var form url.Values

	for step := 0; step < maxSteps; step++ {
		status, location, body := o.fetch(t, &c, method, target, form)
		t.Logf("realop browser: %s %s → %d %s", method, target.Path, status, describe(location, body))
		switch status {
		case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
			http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
			if location == nil {
				t.Fatalf("realop: %s %s: HTTP %d without a Location", method, target, status)
			}
			if !sameOrigin(location, issuer) {
				return browseResult{left: location}
			}
			if status != http.StatusTemporaryRedirect && status != http.StatusPermanentRedirect {
				method, form = http.MethodGet, nil
			}
			target = location
			continue
		}

		f := firstForm(body)
		if f == nil {
			return browseResult{url: target, status: status, body: body}
		}
		if cancel && f.inputs.Get("prompt") != "" {
			abort := abortLink(body)
			if abort == "" {
				t.Fatalf("realop: no [ Cancel ] link on %s", target)
			}
			next, err := target.Parse(abort)
			if err != nil {
				t.Fatalf("realop: bad cancel link %q: %v", abort, err)
			}
			method, target, form = http.MethodGet, next, nil
			continue
		}

		action, err := target.Parse(f.action)
		if err != nil {
			t.Fatalf("realop: bad form action %q on %s: %v", f.action, target, err)
		}
		values := f.inputs
		switch {
		case values.Get("prompt") == "login":
			if login == "" {
				t.Fatalf("realop: the provider asks for a login on %s but none was given", target)
			}
			values.Set("login", login)
			values.Set("password", AnyPassword)
		case f.id == "op.logoutForm":
			values.Set("logout", "yes")
		}
		if !sameOrigin(action, issuer) {
			// response_mode=form_post: hand the posted fields back in the query.
			u := *action
			q := u.Query()
			for k, vs := range values {
				q[k] = append(q[k], vs...)
			}
			u.RawQuery = q.Encode()
			return browseResult{left: &u}
		}
		if f.method == http.MethodGet {
			u := *action
			u.RawQuery = values.Encode()
			method, target, form = http.MethodGet, &u, nil
		} else {
			method, target, form = http.MethodPost, action, values
		}
	}
	t.Fatalf("realop: still on the provider after %d steps, at %s", maxSteps, target)
	return browseResult{}
}

func (o *OP) fetch(t testing.TB, c *http.Client, method string, target *url.URL, form url.Values) (int, *url.URL, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, target.String(), body)
	if err != nil {
		t.Fatalf("realop: %v", err)
	}
	req.Header.Set("Accept", "text/html")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("realop: %s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxPageBytes))
	if err != nil {
		t.Fatalf("realop: reading %s: %v", target, err)
	}
	loc, err := resp.Location()
	if err != nil {
		loc = nil
	}
	return resp.StatusCode, loc, string(raw)
}

// describe names what a response leads to, for the step log (no query strings:
// they carry codes and tokens).
func describe(location *url.URL, body string) string {
	if location != nil {
		return "to " + location.Scheme + "://" + location.Host + location.Path
	}
	if f := firstForm(body); f != nil {
		kind := f.id
		if p := f.inputs.Get("prompt"); p != "" {
			kind = p
		}
		if kind == "" {
			return "page with a form"
		}
		return "page with " + kind + " form"
	}
	return "page"
}

func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Host, b.Host)
}

// A tiny HTML form reader: good enough for oidc-provider's own templates,
// which are the only pages it reads.

type htmlForm struct {
	id, action, method string
	inputs             url.Values
}

var (
	formRe  = regexp.MustCompile(`(?is)<form\b([^>]*)>(.*?)</form>`)
	inputRe = regexp.MustCompile(`(?is)<input\b([^>]*)>`)
	attrRe  = regexp.MustCompile(`(?s)([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>` + "`" + `]+)))?`)
	abortRe = regexp.MustCompile(`(?is)<a\b[^>]*\bhref\s*=\s*"([^"]*/abort)"`)
	tagRe   = regexp.MustCompile(`(?s)<style.*?</style>|<script.*?</script>|<[^>]*>`)
)

func attrs(s string) map[string]string {
	m := map[string]string{}
	for _, a := range attrRe.FindAllStringSubmatch(s, -1) {
		name := strings.ToLower(a[1])
		if _, dup := m[name]; dup {
			continue
		}
		m[name] = html.UnescapeString(a[2] + a[3] + a[4])
	}
	return m
}

func firstForm(body string) *htmlForm {
	m := formRe.FindStringSubmatch(body)
	if m == nil {
		return nil
	}
	fa := attrs(m[1])
	f := &htmlForm{
		id:     fa["id"],
		action: fa["action"],
		method: strings.ToUpper(fa["method"]),
		inputs: url.Values{},
	}
	if f.method == "" {
		f.method = http.MethodGet
	}
	for _, in := range inputRe.FindAllStringSubmatch(m[2], -1) {
		ia := attrs(in[1])
		name, ok := ia["name"]
		if !ok || name == "" {
			continue
		}
		switch strings.ToLower(ia["type"]) {
		case "submit", "button", "image", "reset", "file":
			continue
		case "checkbox", "radio":
			if _, checked := ia["checked"]; !checked {
				continue
			}
		}
		f.inputs.Add(name, ia["value"])
	}
	return f
}

func abortLink(body string) string {
	m := abortRe.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// pageText is a page's visible text, shortened, for failure messages.
func pageText(body string) string {
	s := html.UnescapeString(tagRe.ReplaceAllString(body, " "))
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 2000 {
		s = s[:2000] + "…"
	}
	return s
}
