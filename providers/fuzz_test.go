package providers

import (
	"net/url"
	"testing"
	"unicode/utf8"

	"github.com/loginkit/loginkit/client"
)

// FuzzAppleName: the user form field comes from the browser; any value
// yields a name or "", never a panic.
func FuzzAppleName(f *testing.F) {
	f.Add(`{"name":{"firstName":"Ada","lastName":"Lovelace"},"email":"a@b.c"}`)
	f.Add(`{"name":null}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, user string) {
		name := appleName(url.Values{"user": {user}})
		if len(user) <= 4096 && name != "" && utf8.ValidString(user) && !utf8.ValidString(name) {
			t.Errorf("name %q from valid UTF-8 is not", name)
		}
	})
}

// FuzzMapProfile: profile documents come from the provider's API.
func FuzzMapProfile(f *testing.F) {
	f.Add(`{"data":{"id":"1","name":"n","profile_image_url":"p"}}`, "data.id")
	f.Add(`{"images":[{"url":"u"}],"id":7}`, "images.0.url")
	f.Add(`[1,2,{"a":true}]`, "2.a")
	f.Fuzz(func(t *testing.T, doc, path string) {
		u, err := mapProfile([]byte(doc), client.ClaimMap{Subject: path, Email: path, EmailVerified: path, Name: path, Picture: path})
		if err == nil && u.Subject == "" {
			t.Error("a user without a subject")
		}
	})
}
