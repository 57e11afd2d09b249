package session

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loginkit/loginkit/client"
)

// t0 is the fixed start of every test clock.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// clock is an injected, manually advanced time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: t0} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testKey derives a distinct 32-byte key from a label.
func testKey(label string) []byte {
	k := sha256.Sum256([]byte(label))
	return k[:]
}

// jar is a minimal browser cookie jar for one origin: it applies Set-Cookie
// lines (a Max-Age of 0 or less deletes) and sends the rest back.
type jar struct {
	t       testing.TB
	cookies map[string]string
}

func newJar(t testing.TB) *jar { return &jar{t: t, cookies: map[string]string{}} }

// apply reads every Set-Cookie line of rec into the jar and returns the
// parsed cookies in order.
func (j *jar) apply(rec *httptest.ResponseRecorder) []*http.Cookie {
	j.t.Helper()
	var out []*http.Cookie
	for _, line := range rec.Result().Header.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			j.t.Fatalf("bad Set-Cookie %q: %v", line, err)
		}
		out = append(out, c)
		if c.MaxAge < 0 {
			delete(j.cookies, c.Name)
			continue
		}
		j.cookies[c.Name] = c.Value
	}
	return out
}

// header renders the jar as a Cookie header, names sorted.
func (j *jar) header() string {
	names := make([]string, 0, len(j.cookies))
	for n := range j.cookies {
		names = append(names, n)
	}
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + "=" + j.cookies[n]
	}
	return strings.Join(parts, "; ")
}

// request returns a GET request carrying the jar's cookies.
func (j *jar) request() *http.Request {
	r := httptest.NewRequest(http.MethodGet, "https://app.example/", nil)
	if h := j.header(); h != "" {
		r.Header.Set("Cookie", h)
	}
	return r
}

// clone copies the jar, so a test can replay an old state.
func (j *jar) clone() *jar {
	c := newJar(j.t)
	for k, v := range j.cookies {
		c.cookies[k] = v
	}
	return c
}

// names lists the jar's cookie names, sorted.
func (j *jar) names() []string {
	var out []string
	for n := range j.cookies {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// testUser is a fully populated identity.
func testUser() client.User {
	return client.User{
		Provider: "example", Subject: "248289761001", Email: "jane@example.com", EmailVerified: true,
		Name: "Jane Doe", Picture: "https://example.com/jane.png", SessionID: "sid-08a5019c",
		Raw: []byte(`{"sub":"248289761001","email":"jane@example.com"}`),
	}
}

// testTokens returns tokens with about size bytes in total, every value
// distinctive so a test can look for it in cookies.
// opaqueTokens are testTokens with a character outside base64url in each,
// so that none is packed: size bytes of tokens cost 4/3 of that in cookies.
func opaqueTokens(size int) client.Tokens {
	t := testTokens(size)
	t.AccessToken, t.RefreshToken, t.IDToken = "~"+t.AccessToken[1:], "~"+t.RefreshToken[1:], "~"+t.IDToken[1:]
	return t
}

func testTokens(size int) client.Tokens {
	fill := func(tag string, n int) string {
		if n < len(tag) {
			n = len(tag)
		}
		return tag + strings.Repeat("x", n-len(tag))
	}
	return client.Tokens{
		AccessToken:  fill("AT-c0ffee-", size/2),
		TokenType:    "Bearer",
		RefreshToken: fill("RT-deadbeef-", size/4),
		IDToken:      fill("IDT-feed-", size/4),
		Expiry:       t0.Add(time.Hour),
		Scopes:       []string{"openid", "email", "profile"},
	}
}

// newTestStore returns a store on a fresh clock with the given tweaks.
func newTestStore(t testing.TB, tweak func(*CookieConfig)) (*CookieStore, *clock) {
	t.Helper()
	clk := newClock()
	cfg := CookieConfig{Keys: [][]byte{testKey("k1")}, Now: clk.Now}
	if tweak != nil {
		tweak(&cfg)
	}
	s, err := NewCookieStore(cfg)
	if err != nil {
		t.Fatalf("NewCookieStore: %v", err)
	}
	return s, clk
}

// saveInto saves a fresh session for u and tok into j and returns it.
func saveInto(t testing.TB, store *CookieStore, clk *clock, j *jar, u client.User, tok client.Tokens) *Session {
	t.Helper()
	s := New(u, tok, clk.Now(), store.Lifetime())
	rec := httptest.NewRecorder()
	if err := store.Save(rec, j.request(), s); err != nil {
		t.Fatalf("Save: %v", err)
	}
	j.apply(rec)
	return s
}

// decodings returns v and every base64 reading of it, to look for cleartext.
func decodings(v string) [][]byte {
	out := [][]byte{[]byte(v)}
	for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.StdEncoding} {
		if b, err := enc.DecodeString(v); err == nil {
			out = append(out, b)
		}
	}
	return out
}

// assertNoCleartext fails if any secret appears in any cookie, raw or
// base64-decoded (secrets shorter than 8 bytes are too weak a signal).
func assertNoCleartext(t *testing.T, j *jar, secrets ...string) {
	t.Helper()
	for name, v := range j.cookies {
		for _, b := range append(decodings(v), []byte(name)) {
			for _, s := range secrets {
				probe := s[:min(len(s), 16)]
				if len(probe) >= 8 && bytes.Contains(b, []byte(probe)) {
					t.Errorf("cookie %s carries %q in cleartext", name, probe)
				}
			}
		}
	}
}
