package session

import (
	"net/http"
	"strings"
)

// cookieValue finds one cookie in the request's Cookie headers without
// parsing the others (net/http's r.Cookie allocates for every cookie sent).
// It returns the first match, as browsers send the most specific one first.
func cookieValue(r *http.Request, name string) (string, bool) {
	for _, line := range r.Header["Cookie"] {
		for line != "" {
			var part string
			part, line, _ = strings.Cut(line, ";")
			part = strings.TrimLeft(part, " ")
			k, v, ok := strings.Cut(part, "=")
			if ok && k == name {
				return strings.Trim(v, `"`), true
			}
		}
	}
	return "", false
}

// cookieNames lists the names of the request's cookies that start with prefix.
func cookieNames(r *http.Request, prefix string) []string {
	var out []string
	for _, line := range r.Header["Cookie"] {
		for line != "" {
			var part string
			part, line, _ = strings.Cut(line, ";")
			k, _, _ := strings.Cut(strings.TrimLeft(part, " "), "=")
			if strings.HasPrefix(k, prefix) {
				out = append(out, k)
			}
		}
	}
	return out
}

// CookieOptions are the attributes of every cookie loginkit writes.
type CookieOptions struct {
	// Secure marks cookies Secure and names them with the __Host- prefix
	// (RFC 6265bis §4.1.3.2). Set it whenever the app is served over https.
	Secure bool
	// Prefix names the cookies: "lk" gives "lk" and "__Host-lk" on https.
	Prefix string
}

func (o CookieOptions) name(suffix string) string {
	p := o.Prefix
	if p == "" {
		p = "lk"
	}
	if o.Secure {
		p = "__Host-" + p
	}
	return p + suffix
}

// cookie builds a cookie with loginkit's fixed attributes: Path=/, HttpOnly,
// SameSite=Lax, Secure on https. maxAge < 0 deletes it.
func (o CookieOptions) cookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: o.Secure, SameSite: http.SameSiteLaxMode,
	}
}

// MaxCookieBytes is the most one Set-Cookie line may carry, attributes
// included; browsers keep at least 4096 bytes per cookie (RFC 6265 §6.1).
const MaxCookieBytes = 4096

// chunkSize leaves room for the name and attributes within MaxCookieBytes.
const chunkSize = 3800
