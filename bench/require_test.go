package bench

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/loginkit/loginkit/session"
)

// BenchmarkRequire is a signed-in request through each case of Cases: the
// bare handler, gorilla's gob CookieStore, and Require over each loginkit
// store. Each case reports the longest Set-Cookie line its store wrote at
// sign-in (cookie-B): browsers keep at most 4096 bytes per cookie.
func BenchmarkRequire(b *testing.B) {
	cases, err := Cases(Options{Redis: redisFor(b), RedisPrefix: "lk-bench-" + randomText(8) + ":"})
	if err != nil {
		b.Fatal(err)
	}
	closeCases(b, cases)
	for _, c := range cases {
		b.Run(c.Name, func(b *testing.B) {
			serve(b, c.Handler, c.Cookie)
			if len(c.SetCookie) > 0 {
				b.ReportMetric(float64(longest(c.SetCookie)), "cookie-B")
			}
		})
	}
}

func longest(lines []string) int {
	n := 0
	for _, l := range lines {
		n = max(n, len(l))
	}
	return n
}

// TestCases checks that each case lets its signed-in browser through, and
// only that browser; and that loginkit's cookies fit in a browser.
// closeCases releases the cases' stores when tb ends.
func closeCases(tb testing.TB, cases []Case) {
	for _, c := range cases {
		if c.Close != nil {
			tb.Cleanup(c.Close)
		}
	}
}

func TestCases(t *testing.T) {
	t.Parallel()
	cases, err := Cases(Options{Redis: redisFor(t), RedisPrefix: "lk-bench-" + randomText(8) + ":"})
	if err != nil {
		t.Fatal(err)
	}
	closeCases(t, cases)
	seen := map[string]bool{}
	for _, c := range cases {
		seen[c.Name] = true
		t.Run(c.Name, func(t *testing.T) {
			if got := status(c.Handler, c.Cookie); got != http.StatusOK {
				t.Fatalf("signed in: status %d", got)
			}
			switch c.Name {
			case Bare, BareCookie3K, BareGorillaCookie, RedisPing: // no session
				return
			}
			if got := status(c.Handler, ""); got == http.StatusOK {
				t.Fatal("signed out: status 200")
			}
			if c.Name == GorillaGob {
				t.Logf("gorilla's Set-Cookie line: %d bytes", longest(c.SetCookie))
				return
			}
			for _, line := range c.SetCookie {
				if len(line) > session.MaxCookieBytes {
					t.Errorf("Set-Cookie line of %d bytes: %.40s…", len(line), line)
				}
			}
		})
	}
	want := []string{Bare, GorillaGob, CookieIdentity, Cookie3K, Cookie3KTokens, Memory, MemoryTokens, BareCookie3K, BareGorillaCookie}
	if seen[RedisPing] {
		want = append(want, Redis, RedisTokens, RedisNear, RedisNearTokens)
	}
	for _, name := range want {
		if !seen[name] {
			t.Errorf("no case %q", name)
		}
	}
}

func status(h http.Handler, cookie string) int {
	r := httptest.NewRequest(http.MethodGet, "/private", nil)
	r.Header.Set("Accept", "application/json")
	if cookie != "" {
		r.Header.Set("Cookie", cookie)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code == http.StatusOK && strings.TrimSpace(w.Body.String()) != "ok" {
		return 0
	}
	return w.Code
}
