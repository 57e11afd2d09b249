package middleware

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzBearerAuthorization feeds bearerToken any Authorization header and
// query string. It must not panic; a token it returns must be the header's
// own last field, after a case-insensitive "Bearer" and spaces, with no
// space, tab or comma in it; and every outcome maps to a status of RFC 6750
// §3 (400 or 401) before any verification.
func FuzzBearerAuthorization(f *testing.F) {
	for _, s := range []string{
		"", "Bearer", "Bearer ", "Bearer abc", "bearer abc", "BEARER  abc", "Bearer abc def",
		"Bearer a,b", "Basic dXNlcjpwYXNz", "Bearerabc", "Bearer\tabc", " Bearer abc", "Bearer eyJ.eyJ.sig==",
	} {
		f.Add(s, "")
	}
	f.Add("", "access_token=abc")
	f.Add("Bearer x", "access_token=abc")
	f.Fuzz(func(t *testing.T, header, query string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.URL.RawQuery = query
		if header != "" {
			r.Header["Authorization"] = []string{header}
		}
		tok, err := bearerToken(r)
		if err != nil {
			if tok != "" {
				t.Fatalf("token %q with error %v", tok, err)
			}
			if status, _ := bearerStatus(err); status != http.StatusBadRequest && status != http.StatusUnauthorized {
				t.Fatalf("%q: status %d", header, status)
			}
			return
		}
		scheme, rest, ok := strings.Cut(header, " ")
		switch {
		case tok == "" || strings.ContainsAny(tok, " \t,"):
			t.Fatalf("%q: token %q", header, tok)
		case !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimLeft(rest, " ") != tok:
			t.Fatalf("%q: token %q is not the header's", header, tok)
		}
	})
}
