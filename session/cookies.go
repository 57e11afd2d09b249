package session

import (
	"net/http"
	"strconv"
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

// cookieChunks fills dst[i] with the value of the cookie named prefix+i, in
// one pass over the request's Cookie headers (the first of duplicates wins),
// and returns the leading run of non-empty values.
func cookieChunks(r *http.Request, prefix string, dst []string) []string {
	for _, line := range r.Header["Cookie"] {
		for line != "" {
			var part string
			part, line, _ = strings.Cut(line, ";")
			k, v, ok := strings.Cut(strings.TrimLeft(part, " "), "=")
			if !ok || !strings.HasPrefix(k, prefix) {
				continue
			}
			if i, ok := chunkIndex(k[len(prefix):]); ok && i < len(dst) && dst[i] == "" {
				dst[i] = strings.Trim(v, `"`)
			}
		}
	}
	for i, v := range dst {
		if v == "" {
			return dst[:i]
		}
	}
	return dst
}

// chunkIndex parses a token cookie's number as strconv.Itoa writes it: decimal
// digits, no sign, no leading zero.
func chunkIndex(s string) (int, bool) {
	if s == "" || len(s) > 4 || len(s) > 1 && s[0] == '0' {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
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

// sealedLine is the Set-Cookie line http.SetCookie writes for
// cookie(name, value, maxAge) when value is sealed (base64url, which needs
// no quoting) and maxAge > 0, without its byte-by-byte check of the value.
// name must be one net/http accepts (validName).
func (o CookieOptions) sealedLine(name, value string, maxAge int) string {
	var b strings.Builder
	b.Grow(len(name) + len(value) + 64)
	b.WriteString(name)
	b.WriteByte('=')
	b.WriteString(value)
	b.WriteString("; Path=/; Max-Age=")
	b.WriteString(strconv.Itoa(maxAge))
	b.WriteString("; HttpOnly")
	if o.Secure {
		b.WriteString("; Secure")
	}
	b.WriteString("; SameSite=Lax")
	return b.String()
}

// validName reports whether net/http accepts name for a cookie.
func validName(name string) bool { return (&http.Cookie{Name: name, Value: "v"}).String() != "" }

// MaxCookieBytes is the most one Set-Cookie line may carry, attributes
// included; browsers keep at least 4096 bytes per cookie (RFC 6265 §6.1).
const MaxCookieBytes = 4096

// chunkSize leaves room for the name and attributes within MaxCookieBytes.
const chunkSize = 3800
