package session

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loginkit/loginkit/client"
)

// The committed seed corpora under testdata/fuzz were sealed with
// testKey("fuzz") at t0, and the fuzz stores' clocks stand still at t0, so
// the valid seeds stay valid.

func fuzzClock() time.Time { return t0 }

func fuzzStore(tb testing.TB) *CookieStore {
	s, err := NewCookieStore(CookieConfig{Keys: [][]byte{testKey("fuzz")}, Now: fuzzClock, MaxCookies: 4})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func fuzzFlows(tb testing.TB) *CookieFlows {
	f, err := NewCookieFlows([][]byte{testKey("fuzz")}, CookieOptions{}, 3, fuzzClock)
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

// fuzzTime maps a fuzzed int64 to the codec's time domain: 0 is the zero
// time; other values are Unix seconds. ok is false outside ±2^40 s (year
// ±36 000), which Go's time cannot round-trip through Unix().
func fuzzTime(v int64) (t time.Time, ok bool) {
	if v == 0 {
		return time.Time{}, true
	}
	return time.Unix(v, 0), v > -1<<40 && v < 1<<40
}

func FuzzDecodeIdentity(f *testing.F) {
	f.Add(encodeIdentity(nil, &Session{ID: "id", User: testUser(), Created: t0, Expires: t0.Add(time.Hour)}),
		t0.Unix(), t0.Add(time.Hour).Unix(), "id", "example", "sub", "a@b.c", "Ann", "https://p/x.png", "sid", true)
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, int64(0), int64(-1), "", "", "", "", "", "", "", false)
	f.Fuzz(func(t *testing.T, raw []byte, created, expires int64, id, provider, subject, email, name, picture, sid string, verified bool) {
		// Arbitrary bytes: decode never panics, and what decodes re-encodes
		// to something that decodes the same.
		var s Session
		if err := decodeIdentity(string(raw), &s); err == nil {
			var again Session
			if err := decodeIdentity(string(encodeIdentity(nil, &s)), &again); err != nil {
				t.Fatalf("re-decode: %v", err)
			}
			if identityOf(&again) != identityOf(&s) || again.User.EmailVerified != s.User.EmailVerified {
				t.Fatalf("re-decode differs: %v vs %v", identityOf(&again), identityOf(&s))
			}
		} else if !errors.Is(err, errCodec) {
			t.Fatalf("error %v is not errCodec", err)
		}

		// Valid fields: decode(encode(x)) == x.
		c, ok1 := fuzzTime(created)
		e, ok2 := fuzzTime(expires)
		if !ok1 || !ok2 {
			return
		}
		in := Session{ID: id, Created: c, Expires: e, User: client.User{
			Provider: provider, Subject: subject, Email: email, Name: name, Picture: picture, SessionID: sid, EmailVerified: verified,
		}}
		var out Session
		if err := decodeIdentity(string(encodeIdentity(nil, &in)), &out); err != nil {
			t.Fatalf("decode(encode(x)): %v", err)
		}
		if identityOf(&out) != identityOf(&in) || out.User.EmailVerified != verified ||
			out.Created.IsZero() != c.IsZero() || out.Expires.IsZero() != e.IsZero() {
			t.Fatalf("decode(encode(x)) = %v, want %v", identityOf(&out), identityOf(&in))
		}
	})
}

func secretsEqual(a, b *secrets) bool {
	x, y := a.Tokens, b.Tokens
	return x.AccessToken == y.AccessToken && x.TokenType == y.TokenType && x.RefreshToken == y.RefreshToken &&
		x.IDToken == y.IDToken && x.Expiry.Equal(y.Expiry) && x.Expiry.IsZero() == y.Expiry.IsZero() &&
		slices.Equal(x.Scopes, y.Scopes) && bytes.Equal(a.Profile, b.Profile)
}

func FuzzDecodeSecrets(f *testing.F) {
	tok := testTokens(200)
	f.Add(encodeSecrets(nil, &secrets{Tokens: tok, Profile: []byte(`{"sub":"1"}`)}),
		tok.AccessToken, tok.TokenType, tok.RefreshToken, tok.IDToken, "openid email", []byte(`{"sub":"1"}`), tok.Expiry.Unix())
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0}, "", "", "", "", "", []byte(nil), int64(0))
	f.Fuzz(func(t *testing.T, raw []byte, access, typ, refresh, idt, scopes string, profile []byte, expiry int64) {
		if sec, err := decodeSecrets(raw); err == nil {
			again, err := decodeSecrets(encodeSecrets(nil, sec))
			if err != nil {
				t.Fatalf("re-decode: %v", err)
			}
			if !secretsEqual(again, sec) {
				t.Fatalf("re-decode differs")
			}
		} else if !errors.Is(err, errCodec) || sec != nil {
			t.Fatalf("decodeSecrets = %v, %v; want nil, errCodec", sec, err)
		}

		// Valid input: scopes are space-separated tokens (RFC 6749 §3.3),
		// an empty profile is none.
		exp, ok := fuzzTime(expiry)
		if !ok {
			return
		}
		in := &secrets{Tokens: client.Tokens{
			AccessToken: access, TokenType: typ, RefreshToken: refresh, IDToken: idt,
			Scopes: strings.Fields(scopes), Expiry: exp,
		}}
		if len(profile) > 0 {
			in.Profile = profile
		}
		out, err := decodeSecrets(encodeSecrets(nil, in))
		if err != nil {
			t.Fatalf("decode(encode(x)): %v", err)
		}
		if !secretsEqual(out, in) {
			t.Fatalf("decode(encode(x)) = %v, want %v", out.Tokens, in.Tokens)
		}
	})
}

// fuzzSessionHeader is a valid Cookie header for a fuzz store session.
func fuzzSessionHeader(tb testing.TB, store *CookieStore, tok client.Tokens) string {
	j := newJar(tb)
	saveInto(tb, store, &clock{t: t0}, j, testUser(), tok)
	return j.header()
}

func FuzzCookieLoad(f *testing.F) {
	store := fuzzStore(f)
	f.Add(fuzzSessionHeader(f, store, testTokens(100)))
	f.Add(fuzzSessionHeader(f, store, testTokens(5000)))
	f.Add("lk=; lk_t0=; lk_t1=")
	f.Fuzz(func(t *testing.T, header string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Cookie", header)
		s, err := store.Load(r)
		if err != nil {
			if !errors.Is(err, ErrNoSession) || s != nil {
				t.Fatalf("Load = %v, %v; want nil, ErrNoSession", s, err)
			}
		} else {
			if _, err := s.Tokens(); err != nil && !errors.Is(err, ErrNoSession) {
				t.Fatalf("Tokens error %v is not ErrNoSession", err)
			}
			if _, err := s.Profile(); err != nil && !errors.Is(err, ErrNoSession) {
				t.Fatalf("Profile error %v is not ErrNoSession", err)
			}
			if err := store.Save(httptest.NewRecorder(), r, s); err != nil {
				t.Fatalf("Save of a loaded session: %v", err)
			}
		}
		rec := httptest.NewRecorder()
		if err := store.Delete(rec, r); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		for _, c := range rec.Result().Cookies() {
			if c.MaxAge >= 0 || !strings.HasPrefix(c.Name, "lk") {
				t.Fatalf("Delete set %s", c)
			}
		}
	})
}

// fuzzFlowHeader is a valid Cookie header holding f for the fuzz flows.
func fuzzFlowHeader(tb testing.TB, flows *CookieFlows, f *client.Flow) string {
	j := newJar(tb)
	saveFlow(tb, flows, j, f, false)
	return j.header()
}

func FuzzTakeFlow(f *testing.F) {
	flows := fuzzFlows(f)
	fl := testFlow(t0)
	f.Add(fuzzFlowHeader(f, flows, fl), fl.State)
	f.Add(fuzzFlowHeader(f, flows, fl), "")
	f.Add("lk_f_x=1; lk_f_y=; lk_f_=", "x")
	f.Fuzz(func(t *testing.T, header, state string) {
		flows := fuzzFlows(t) // fresh, so no state is "already used"
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Cookie", header)
		rec := httptest.NewRecorder()
		got, err := flows.TakeFlow(rec, r, state)
		switch {
		case err == nil:
			if got == nil || got.State != state {
				t.Fatalf("TakeFlow(%q) returned flow for %v", state, got)
			}
			if _, err := flows.TakeFlow(httptest.NewRecorder(), r, state); !errors.Is(err, client.ErrFlowMissing) {
				t.Fatalf("replayed TakeFlow error = %v, want ErrFlowMissing", err)
			}
		case errors.Is(err, client.ErrFlowMissing), errors.Is(err, client.ErrFlowExpired), errors.Is(err, client.ErrStateMismatch):
			if got != nil {
				t.Fatalf("TakeFlow returned a flow with error %v", err)
			}
		default:
			t.Fatalf("TakeFlow error %v is not a flow error", err)
		}
		// Eviction reads every flow cookie the browser sent.
		rec = httptest.NewRecorder()
		if err := flows.SaveFlow(rec, r, testFlow(t0), false); err != nil {
			t.Fatalf("SaveFlow: %v", err)
		}
		if n := len(rec.Result().Cookies()); n == 0 {
			t.Fatal("SaveFlow set no cookie")
		}
	})
}

// readSeed reads the string arguments of a committed corpus file.
func readSeed(t *testing.T, fuzz, name string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "fuzz", fuzz, name))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n")[1:] {
		inner, ok := strings.CutPrefix(line, "string(")
		if !ok {
			t.Fatalf("%s: not a string argument: %s", name, line)
		}
		s, err := strconv.Unquote(strings.TrimSuffix(inner, ")"))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, s)
	}
	return out
}

// TestFuzzSeedsValid keeps the committed "valid" seeds valid: if the
// encoding changes, regenerate them rather than fuzz from dead inputs.
func TestFuzzSeedsValid(t *testing.T) {
	t.Parallel()
	store, flows := fuzzStore(t), fuzzFlows(t)
	for _, name := range []string{"valid-small", "valid-3KB", "valid-with-others", "quoted", "duplicate-names"} {
		t.Run("FuzzCookieLoad/"+name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("Cookie", readSeed(t, "FuzzCookieLoad", name)[0])
			s, err := store.Load(r)
			if name == "duplicate-names" { // the first lk wins, and it is forged
				if !errors.Is(err, ErrNoSession) {
					t.Fatalf("Load error = %v, want ErrNoSession", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if _, err := s.Tokens(); err != nil {
				t.Fatalf("Tokens: %v", err)
			}
		})
	}
	for _, tt := range []struct {
		name    string
		wantErr error
	}{
		{"valid", nil}, {"several-tabs", nil}, {"wrong-state", client.ErrFlowMissing},
		{"empty-state", client.ErrFlowMissing}, {"expired", client.ErrFlowExpired},
	} {
		t.Run("FuzzTakeFlow/"+tt.name, func(t *testing.T) {
			args := readSeed(t, "FuzzTakeFlow", tt.name)
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("Cookie", args[0])
			if _, err := flows.TakeFlow(httptest.NewRecorder(), r, args[1]); !errors.Is(err, tt.wantErr) {
				t.Fatalf("TakeFlow error = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// FuzzDecodeFlow: arbitrary bytes never panic, and what decodes re-encodes
// to the same flow.
func FuzzDecodeFlow(f *testing.F) {
	f.Add(encodeFlow(testFlow(t0)))
	f.Add([]byte(`{"p":"x","s":"y","c":"2026-01-01T00:00:00Z"}`))
	f.Add([]byte{1, 3, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, raw []byte) {
		fl, err := decodeFlow(raw)
		if err != nil {
			if !errors.Is(err, errCodec) || fl != nil {
				t.Fatalf("decodeFlow = %v, %v", fl, err)
			}
			return
		}
		again, err := decodeFlow(encodeFlow(fl))
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		assertFlow(t, again, fl)
	})
}
