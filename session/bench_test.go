package session

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/gob"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"

	"github.com/loginkit/loginkit/client"
)

// benchTokenBytes is the realistic case: an access token, refresh token and
// ID token of about 3 KB in all (Entra ID and Cognito tokens run 1–2 KB each).
const benchTokenBytes = 3 << 10

// headerWriter is a ResponseWriter that keeps only headers, cleared per
// iteration, so a benchmark measures Save rather than the recorder.
type headerWriter struct{ h http.Header }

func (w *headerWriter) Header() http.Header         { return w.h }
func (w *headerWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *headerWriter) WriteHeader(int)             {}

// benchSession returns our store and a request carrying a saved session
// with benchTokenBytes of tokens.
func benchSession(b *testing.B) (*CookieStore, *http.Request) {
	store, clk := newTestStore(b, nil)
	j := newJar(b)
	saveInto(b, store, clk, j, testUser(), testTokens(benchTokenBytes))
	return store, j.request()
}

func BenchmarkLoad(b *testing.B) {
	store, r := benchSession(b)
	b.Run("identity-only", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := store.Load(r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("with-tokens", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s, err := store.Load(r)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := s.Tokens(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkAESGCMFloor is the least any cookie store must do to read the
// same tokens: one AES-256-GCM Open of as many bytes as our sealed token blob,
// with and without the base64url decoding a cookie needs.
func BenchmarkAESGCMFloor(b *testing.B) {
	store, r := benchSession(b)
	var text strings.Builder
	for i := 0; ; i++ {
		v, ok := cookieValue(r, store.tokName+strconv.Itoa(i))
		if !ok {
			break
		}
		text.WriteString(v)
	}
	raw, err := base64.RawURLEncoding.DecodeString(text.String())
	if err != nil {
		b.Fatal(err)
	}
	block, _ := aes.NewCipher(testKey("floor"))
	aead, _ := cipher.NewGCM(block)
	ns := aead.NonceSize()
	plain := make([]byte, len(raw)-ns-aead.Overhead())
	ad := []byte("secrets:id")
	sealed := aead.Seal(make([]byte, ns, len(raw)), make([]byte, ns), plain, ad)
	encoded := base64.RawURLEncoding.EncodeToString(sealed)
	dst := make([]byte, 0, len(sealed))
	b.Logf("token blob: %d bytes sealed, %d base64url characters", len(sealed), len(encoded))

	b.Run("open", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(sealed)))
		for b.Loop() {
			if _, err := aead.Open(dst[:0], sealed[:ns], sealed[ns:], ad); err != nil {
				b.Fatal(err)
			}
		}
	})
	// What Load+Tokens must do at least: open the identity cookie too.
	idText, _ := cookieValue(r, store.idName)
	idSealed, _ := base64.RawURLEncoding.DecodeString(idText)
	idPlain := make([]byte, len(idSealed)-ns-aead.Overhead())
	idEncoded := base64.RawURLEncoding.EncodeToString(aead.Seal(make([]byte, ns, len(idSealed)), make([]byte, ns), idPlain, ad))
	b.Run("base64+open", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(sealed)))
		buf := make([]byte, len(sealed))
		for b.Loop() {
			n, err := base64.RawURLEncoding.Decode(buf, []byte(encoded))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := aead.Open(dst[:0], buf[:ns], buf[ns:n], ad); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("base64+open-identity-too", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, len(sealed))
		for b.Loop() {
			for _, text := range []string{idEncoded, encoded} {
				n, err := base64.RawURLEncoding.Decode(buf, []byte(text))
				if err != nil {
					b.Fatal(err)
				}
				if _, err := aead.Open(dst[:0], buf[:ns], buf[ns:n], ad); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	// The same, keeping both plaintexts in fresh memory as a caller must:
	// the least Load+Tokens can do, short of not returning the tokens.
	b.Run("base64+open-identity-too-kept", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, len(sealed))
		for b.Loop() {
			for _, text := range []string{idEncoded, encoded} {
				n, err := base64.RawURLEncoding.Decode(buf, []byte(text))
				if err != nil {
					b.Fatal(err)
				}
				if _, err := aead.Open(nil, buf[:ns], buf[ns:n], ad); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

var gobOnce sync.Once

// gorillaSession fills a gorilla session with what ours holds.
func gorillaSession(store sessions.Store, tok client.Tokens) *sessions.Session {
	gobOnce.Do(func() {
		gob.Register(client.User{})
		gob.Register(client.Tokens{})
		gob.Register(time.Time{})
	})
	u := testUser()
	prof := u.Raw
	u.Raw = nil
	s := sessions.NewSession(store, "lk")
	s.Values["id"] = "Yk3pQ0s9Yk3pQ0s9Yk3pQ0s9Yk3pQ0s9Yk3pQ0s9Yk3"
	s.Values["user"] = u
	s.Values["created"], s.Values["expires"] = t0, t0.Add(7*24*time.Hour)
	s.Values["tokens"] = tok
	s.Values["profile"] = []byte(prof)
	return s
}

// gorillaStore is sessions.NewCookieStore with an HMAC-SHA256 hash key and an
// AES-256 block key; maxLength 0 keeps securecookie's default of 4096.
func gorillaStore(maxLength int) *sessions.CookieStore {
	store := sessions.NewCookieStore(testKey("hash1"), testKey("block1"))
	if maxLength > 0 {
		for _, c := range store.Codecs {
			c.(*securecookie.SecureCookie).MaxLength(maxLength)
		}
	}
	return store
}

// gorillaRequest saves a gorilla session with tok and returns a request
// carrying its cookie.
func gorillaRequest(store *sessions.CookieStore, tok client.Tokens) (*http.Request, int, error) {
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	if err := store.Save(r, w, gorillaSession(store, tok)); err != nil {
		return nil, 0, err
	}
	r = httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Cookie", strings.SplitN(w.Header().Get("Set-Cookie"), ";", 2)[0])
	return r, len(w.Header().Get("Set-Cookie")), nil
}

// gorillaFits reports whether tok saves under store's limit every time: the
// gob encoding of a map varies by a few bytes with its iteration order.
func gorillaFits(store *sessions.CookieStore, tok client.Tokens) bool {
	for range 20 {
		if _, _, err := gorillaRequest(store, tok); err != nil {
			return false
		}
	}
	return true
}

// gorillaLargest finds the largest token size (in testTokens' terms) that
// gorilla's default 4096-byte limit accepts.
func gorillaLargest(store *sessions.CookieStore) int {
	lo, hi := 0, benchTokenBytes
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if gorillaFits(store, testTokens(mid)) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

func BenchmarkGorilla(b *testing.B) {
	def := gorillaStore(0)
	if _, _, err := gorillaRequest(def, testTokens(benchTokenBytes)); err != nil {
		b.Logf("gorilla, default MaxLength, %d bytes of tokens: Save error: %v", benchTokenBytes, err)
	}
	largest := gorillaLargest(def)
	raised := gorillaStore(16 << 10)
	r3k, n3k, err := gorillaRequest(raised, testTokens(benchTokenBytes))
	if err != nil {
		b.Fatal(err)
	}
	rFit, nFit, err := gorillaRequest(def, testTokens(largest))
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("gorilla with MaxLength 16384: %d bytes of tokens make a %d-byte Set-Cookie line", benchTokenBytes, n3k)
	b.Logf("gorilla default MaxLength: at most %d bytes of tokens fit (%d-byte Set-Cookie line)", largest, nFit)

	load := func(store *sessions.CookieStore, r *http.Request) func(*testing.B) {
		return func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s, err := store.New(r, "lk")
				if err != nil || s.IsNew {
					b.Fatal(err)
				}
				if _, ok := s.Values["tokens"].(client.Tokens); !ok {
					b.Fatal("no tokens")
				}
			}
		}
	}
	b.Run("load", load(raised, r3k))
	b.Run("load-fit4096", load(def, rFit))
}

func BenchmarkSave(b *testing.B) {
	tok := testTokens(benchTokenBytes)
	b.Run("ours", func(b *testing.B) {
		store, r := benchSession(b)
		s, err := store.Load(r)
		if err != nil {
			b.Fatal(err)
		}
		w := &headerWriter{h: http.Header{}}
		b.ReportAllocs()
		for b.Loop() {
			clear(w.h)
			if err := s.SetTokens(tok); err != nil { // a refresh: the tokens are re-sealed
				b.Fatal(err)
			}
			if err := store.Save(w, r, s); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ours-identity-only", func(b *testing.B) {
		store, r := benchSession(b)
		s, err := store.Load(r)
		if err != nil {
			b.Fatal(err)
		}
		w := &headerWriter{h: http.Header{}}
		b.ReportAllocs()
		for b.Loop() {
			clear(w.h)
			if err := store.Save(w, r, s); err != nil {
				b.Fatal(err)
			}
		}
	})
	gorilla := func(store *sessions.CookieStore, tok client.Tokens) func(*testing.B) {
		return func(b *testing.B) {
			s := gorillaSession(store, tok)
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			w := &headerWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				if err := store.Save(r, w, s); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	b.Run("gorilla", gorilla(gorillaStore(16<<10), tok))
	b.Run("gorilla-fit4096", gorilla(gorillaStore(0), testTokens(gorillaLargest(gorillaStore(0)))))
}
