package middleware_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/loginkit/loginkit/middleware"
)

func TestSafeReturnTo(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"/account", "/account"},
		{"/a/b?x=1&y=2", "/a/b?x=1&y=2"},
		{"/%2F%2Fevil.example", "/%2F%2Fevil.example"}, // a path on this site
		{"", "/"},
		{"//evil.example", "/"},
		{"///evil.example", "/"},
		{"/\\evil.example", "/"},
		{"\\/evil.example", "/"},
		{"https://evil.example/", "/"},
		{"http:evil.example", "/"},
		{"javascript:alert(1)", "/"},
		{"evil.example", "/"},
		{"/x\r\nLocation: https://evil.example", "/"},
		{"/\x00", "/"},
		{"/\t/evil.example", "/"},
		{"/" + strings.Repeat("a", 3000), "/"},
	}
	for _, tc := range cases {
		if got := middleware.SafeReturnTo(tc.in, "/"); got != tc.want {
			t.Errorf("SafeReturnTo(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzSafeReturnTo: whatever comes in, what comes out resolves to this
// site when a browser follows it as a Location.
func FuzzSafeReturnTo(f *testing.F) {
	for _, s := range []string{"/a", "//x", "/\\x", "https://x", "/%2f%2fx", "/.//x", "/x?y=//z#//w"} {
		f.Add(s)
	}
	base, _ := url.Parse("https://app.example/some/page")
	f.Fuzz(func(t *testing.T, in string) {
		out := middleware.SafeReturnTo(in, "/")
		u, err := url.Parse(out)
		if err != nil {
			t.Fatalf("%q → unparsable %q", in, out)
		}
		if r := base.ResolveReference(u); r.Host != "app.example" || r.Scheme != "https" {
			t.Fatalf("%q → %q leaves the site: %s", in, out, r)
		}
		if strings.ContainsAny(out, "\\\r\n\x00") {
			t.Fatalf("%q → %q carries a dangerous byte", in, out)
		}
	})
}
