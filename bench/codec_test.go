package bench

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/session"
)

// Session encoding and decoding with 3 KB of tokens, three ways: loginkit's
// CookieStore (Save; Load then Tokens), the floor, and gorilla/sessions'
// gob CookieStore holding the same session.
//
// The floor is the least any encrypted cookie store must do for the same
// bytes: AES-256-GCM over plaintexts as long as loginkit's (the identity and
// the tokens, two cookies), base64url for the cookie, and, to decode, the
// plaintexts kept in memory of their own (a store that returns the session
// cannot hand back a scratch buffer). It parses no Cookie header and builds
// no Set-Cookie line. "-identity" rows are the identity cookie alone: what
// Require decodes.

// ourCookies returns the sealed values of a saved 3 KB session: the identity
// cookie's and the token cookies' joined, as the store opens them.
func ourCookies(tb testing.TB) (store *session.CookieStore, c Case, identity, tokens string) {
	tb.Helper()
	store, err := session.NewCookieStore(session.CookieConfig{Keys: [][]byte{Key}})
	if err != nil {
		tb.Fatal(err)
	}
	if _, c, err = SignedIn(store, Tokens(TokenBytes)); err != nil {
		tb.Fatal(err)
	}
	h := http.Header{"Set-Cookie": c.SetCookie}
	var chunks []*http.Cookie
	for _, ck := range (&http.Response{Header: h}).Cookies() {
		switch {
		case ck.Name == "lk":
			identity = ck.Value
		case strings.HasPrefix(ck.Name, "lk_t"):
			chunks = append(chunks, ck)
		}
	}
	sort.Slice(chunks, func(i, j int) bool { return chunks[i].Name < chunks[j].Name })
	for _, ck := range chunks {
		tokens += ck.Value
	}
	if identity == "" || tokens == "" {
		tb.Fatalf("cookies not found in %q", c.SetCookie)
	}
	return store, c, identity, tokens
}

// textSealedLen is how long the token cookies would be with the tokens
// sealed as text rather than packed (see session's pack.go): the floor
// of a store that does not pack. The fields' lengths, a length byte or two
// each, the version and the expiry.
func textSealedLen(t client.Tokens, profile []byte) int {
	n := 1 + len(t.AccessToken) + len(t.TokenType) + len(t.RefreshToken) + len(t.IDToken) +
		len(strings.Join(t.Scopes, " ")) + len(profile) + 6*2 + 6
	return base64.RawURLEncoding.EncodedLen(12 + n + 16)
}

// floor seals and opens plaintexts of the sizes loginkit's cookies carry.
type floor struct {
	aead   cipher.AEAD
	plain  [2][]byte // identity, tokens
	sealed [2]string // base64url, as in the cookies
	ad     []byte
}

func newFloor(tb testing.TB, identity, tokens string) *floor {
	block, err := aes.NewCipher(Key)
	if err != nil {
		tb.Fatal(err)
	}
	aead, _ := cipher.NewGCM(block)
	f := &floor{aead: aead, ad: []byte("secrets:0123456789")}
	for i, text := range []string{identity, tokens} {
		n := base64.RawURLEncoding.DecodedLen(len(text)) - aead.NonceSize() - aead.Overhead()
		f.plain[i] = make([]byte, n)
		rand.Read(f.plain[i])
		f.sealed[i] = f.seal(f.plain[i])
		if len(f.sealed[i]) != len(text) {
			tb.Fatalf("floor cookie %d: %d characters, loginkit's %d", i, len(f.sealed[i]), len(text))
		}
	}
	return f
}

func (f *floor) seal(plain []byte) string {
	ns := f.aead.NonceSize()
	buf := make([]byte, ns, ns+len(plain)+f.aead.Overhead())
	rand.Read(buf)
	return base64.RawURLEncoding.EncodeToString(f.aead.Seal(buf, buf, plain, f.ad))
}

func (f *floor) open(text string, scratch []byte) ([]byte, error) {
	n, err := base64.RawURLEncoding.Decode(scratch, []byte(text))
	if err != nil {
		return nil, err
	}
	ns := f.aead.NonceSize()
	return f.aead.Open(nil, scratch[:ns], scratch[ns:n], f.ad)
}

func BenchmarkEncode(b *testing.B) {
	store, _, identity, tokens := ourCookies(b)
	f := newFloor(b, identity, tokens)
	s := session.New(User(), Tokens(TokenBytes), time.Now(), 24*time.Hour)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	w := &discard{h: http.Header{}}
	b.Run("loginkit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			clear(w.h)
			if err := store.Save(w, r, s); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("floor", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			f.seal(f.plain[0])
			f.seal(f.plain[1])
		}
	})
	b.Run("gorilla-gob", func(b *testing.B) {
		g := GorillaStore()
		u, t := User(), Tokens(TokenBytes)
		b.ReportAllocs()
		for b.Loop() {
			clear(w.h)
			if err := GorillaSave(g, w, r, u, t); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	store, c, identity, tokens := ourCookies(b)
	f := newFloor(b, identity, tokens)
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Cookie", c.Cookie)
	b.Run("loginkit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s, err := store.Load(req)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := s.Tokens(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("loginkit-identity", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := store.Load(req); err != nil {
				b.Fatal(err)
			}
		}
	})
	scratch := make([]byte, len(tokens))
	text := newFloor(b, identity, strings.Repeat("A", textSealedLen(Tokens(TokenBytes), User().Raw)))
	textScratch := make([]byte, len(text.sealed[1]))
	b.Run("floor-text", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, v := range text.sealed {
				if _, err := text.open(v, textScratch); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("floor", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, text := range f.sealed {
				if _, err := f.open(text, scratch); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("floor-identity", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := f.open(f.sealed[0], scratch); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("gorilla-gob", func(b *testing.B) {
		g := GorillaStore()
		rec := httptest.NewRecorder()
		if err := GorillaSave(g, rec, req, User(), Tokens(TokenBytes)); err != nil {
			b.Fatal(err)
		}
		greq := httptest.NewRequest(http.MethodGet, "/", nil)
		greq.Header.Set("Cookie", CookieHeader(rec.Header()))
		b.ReportAllocs()
		for b.Loop() {
			r := *greq // gorilla caches a request's sessions
			if _, _, err := GorillaLoad(g, &r); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestFloor checks that the floor round-trips plaintexts of loginkit's sizes.
func TestFloor(t *testing.T) {
	t.Parallel()
	_, _, identity, tokens := ourCookies(t)
	f := newFloor(t, identity, tokens)
	scratch := make([]byte, len(tokens))
	for i, text := range f.sealed {
		got, err := f.open(text, scratch)
		if err != nil || string(got) != string(f.plain[i]) {
			t.Fatalf("cookie %d: %v", i, err)
		}
	}
}
