package session

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loginkit/loginkit/client"
)

func assertTokens(t *testing.T, got, want client.Tokens) {
	t.Helper()
	if got.AccessToken != want.AccessToken || got.TokenType != want.TokenType ||
		got.RefreshToken != want.RefreshToken || got.IDToken != want.IDToken {
		t.Errorf("tokens differ: got %v, want %v", got, want)
	}
	if !got.Expiry.Equal(want.Expiry) {
		t.Errorf("Expiry = %v, want %v", got.Expiry, want.Expiry)
	}
	if !slices.Equal(got.Scopes, want.Scopes) {
		t.Errorf("Scopes = %q, want %q", got.Scopes, want.Scopes)
	}
}

func assertIdentity(t *testing.T, got, want *Session) {
	t.Helper()
	wu := want.User
	wu.Raw = nil
	gu := got.User
	if gu.Raw != nil {
		t.Errorf("User.Raw decoded on Load: %q", gu.Raw)
	}
	gu.Raw = nil
	if gu.Provider != wu.Provider || gu.Subject != wu.Subject || gu.Email != wu.Email ||
		gu.EmailVerified != wu.EmailVerified || gu.Name != wu.Name || gu.Picture != wu.Picture ||
		gu.SessionID != wu.SessionID {
		t.Errorf("User = %+v, want %+v", gu, wu)
	}
	if got.ID != want.ID || !got.Created.Equal(want.Created) || !got.Expires.Equal(want.Expires) {
		t.Errorf("session = {%s %v %v}, want {%s %v %v}", got.ID, got.Created, got.Expires, want.ID, want.Created, want.Expires)
	}
}

// tokenCookies counts the jar's token chunks.
func tokenCookies(j *jar, store *CookieStore) int {
	n := 0
	for name := range j.cookies {
		if strings.HasPrefix(name, store.tokName) {
			n++
		}
	}
	return n
}

func TestCookieStoreRoundTrip(t *testing.T) {
	t.Parallel()
	unicode := testUser()
	unicode.Name, unicode.Email = "Zoë Ångström 山田", "zoë@例え.jp"
	tests := []struct {
		name       string
		secure     bool
		user       client.User
		tokens     client.Tokens
		wantChunks int
	}{
		{name: "no tokens", user: testUser(), tokens: client.Tokens{}, wantChunks: 1},
		{name: "small tokens", user: testUser(), tokens: testTokens(300), wantChunks: 1},
		{name: "3KB tokens", user: testUser(), tokens: testTokens(3 << 10), wantChunks: 1},
		{name: "3KB tokens secure", secure: true, user: testUser(), tokens: testTokens(3 << 10), wantChunks: 1},
		{name: "3KB opaque tokens", user: testUser(), tokens: opaqueTokens(3 << 10), wantChunks: 2},
		{name: "20KB tokens", user: testUser(), tokens: testTokens(20 << 10), wantChunks: 6},
		{name: "20KB tokens secure", secure: true, user: testUser(), tokens: testTokens(20 << 10), wantChunks: 6},
		{name: "20KB opaque tokens", user: testUser(), tokens: opaqueTokens(20 << 10), wantChunks: 8},
		{name: "unicode identity", user: unicode, tokens: testTokens(100), wantChunks: 1},
		{name: "empty identity fields", user: client.User{Provider: "p", Subject: "s"}, tokens: testTokens(100), wantChunks: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			store, clk := newTestStore(t, func(c *CookieConfig) { c.Secure = tt.secure })
			j := newJar(t)
			want := New(tt.user, tt.tokens, clk.Now(), store.Lifetime())
			rec := httptest.NewRecorder()
			if err := store.Save(rec, j.request(), want); err != nil {
				t.Fatalf("Save: %v", err)
			}
			for _, line := range rec.Result().Header.Values("Set-Cookie") {
				if len(line) > MaxCookieBytes {
					t.Errorf("Set-Cookie line is %d bytes, more than %d", len(line), MaxCookieBytes)
				}
			}
			for _, c := range j.apply(rec) {
				if n := len(c.String()); n > MaxCookieBytes {
					t.Errorf("cookie %s is %d bytes, more than %d", c.Name, n, MaxCookieBytes)
				}
			}
			if got := tokenCookies(j, store); got != tt.wantChunks {
				t.Errorf("token cookies = %d, want %d (jar %v)", got, tt.wantChunks, j.names())
			}

			clk.Add(time.Hour)
			got, err := store.Load(j.request())
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			assertIdentity(t, got, want)
			tok, err := got.Tokens()
			if err != nil {
				t.Fatalf("Tokens: %v", err)
			}
			assertTokens(t, tok, tt.tokens)
			prof, err := got.Profile()
			if err != nil {
				t.Fatalf("Profile: %v", err)
			}
			if string(prof) != string(tt.user.Raw) {
				t.Errorf("Profile = %q, want %q", prof, tt.user.Raw)
			}
		})
	}
}

// TestLoadLeavesTokensSealed proves Load decodes only the identity: with the
// token cookies corrupt, Load still succeeds and only Tokens fails.
func TestLoadLeavesTokensSealed(t *testing.T) {
	t.Parallel()
	store, clk := newTestStore(t, nil)
	j := newJar(t)
	want := saveInto(t, store, clk, j, testUser(), testTokens(3<<10))
	j.cookies["lk_t0"] = "AAAA" + j.cookies["lk_t0"][4:]

	s, err := store.Load(j.request())
	if err != nil {
		t.Fatalf("Load with corrupt token cookie: %v", err)
	}
	assertIdentity(t, s, want)
	if s.decoded || s.secrets != nil {
		t.Fatal("Load decoded the secrets")
	}
	if _, err := s.Tokens(); !errors.Is(err, ErrNoSession) {
		t.Errorf("Tokens() error = %v, want ErrNoSession", err)
	}
	if _, err := s.Profile(); !errors.Is(err, ErrNoSession) {
		t.Errorf("Profile() error = %v, want ErrNoSession", err)
	}
	if err := s.SetTokens(testTokens(10)); !errors.Is(err, ErrNoSession) {
		t.Errorf("SetTokens() error = %v, want ErrNoSession", err)
	}
}

func TestSaveTooLarge(t *testing.T) {
	t.Parallel()
	huge := testUser()
	huge.Picture = "data:image/png;base64," + strings.Repeat("A", 5000)
	tests := []struct {
		name       string
		maxCookies int
		user       client.User
		tokens     client.Tokens
	}{
		{name: "tokens beyond default 8 cookies", user: testUser(), tokens: testTokens(32 << 10)},
		{name: "opaque tokens beyond default 8 cookies", user: testUser(), tokens: opaqueTokens(24 << 10)},
		{name: "20KB tokens in 2 cookies", maxCookies: 2, user: testUser(), tokens: testTokens(20 << 10)},
		{name: "3KB opaque tokens in 1 cookie", maxCookies: 1, user: testUser(), tokens: opaqueTokens(3 << 10)},
		{name: "4KB tokens in 1 cookie", maxCookies: 1, user: testUser(), tokens: testTokens(4 << 10)},
		{name: "identity over one cookie", user: huge, tokens: testTokens(100)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			store, clk := newTestStore(t, func(c *CookieConfig) { c.MaxCookies = tt.maxCookies })
			j := newJar(t)
			good := saveInto(t, store, clk, j, testUser(), testTokens(100))

			rec := httptest.NewRecorder()
			err := store.Save(rec, j.request(), New(tt.user, tt.tokens, clk.Now(), time.Hour))
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("Save error = %v, want ErrTooLarge", err)
			}
			if h := rec.Result().Header; len(h) != 0 {
				t.Errorf("Save wrote headers on failure: %v", h)
			}
			s, err := store.Load(j.request())
			if err != nil || s.ID != good.ID {
				t.Errorf("previous session lost: %v", err)
			}
		})
	}
}

func TestSaveDeletesStaleChunks(t *testing.T) {
	t.Parallel()
	store, clk := newTestStore(t, nil)
	j := newJar(t)
	saveInto(t, store, clk, j, testUser(), opaqueTokens(20<<10))
	if n := tokenCookies(j, store); n < 3 {
		t.Fatalf("setup: %d token cookies", n)
	}
	s, err := store.Load(j.request())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	small := testTokens(200)
	if err := s.SetTokens(small); err != nil {
		t.Fatalf("SetTokens: %v", err)
	}
	rec := httptest.NewRecorder()
	if err := store.Save(rec, j.request(), s); err != nil {
		t.Fatalf("Save: %v", err)
	}
	var deleted []string
	for _, c := range j.apply(rec) {
		if c.MaxAge < 0 {
			deleted = append(deleted, c.Name)
		}
	}
	if want := []string{"lk_t1", "lk_t2", "lk_t3", "lk_t4", "lk_t5", "lk_t6", "lk_t7"}; !slices.Equal(deleted, want) {
		t.Errorf("deleted %v, want %v", deleted, want)
	}
	if got, want := j.names(), []string{"lk", "lk_t0"}; !slices.Equal(got, want) {
		t.Errorf("jar = %v, want %v", got, want)
	}
	s, err = store.Load(j.request())
	if err != nil {
		t.Fatalf("Load after shrink: %v", err)
	}
	tok, err := s.Tokens()
	if err != nil {
		t.Fatalf("Tokens after shrink: %v", err)
	}
	assertTokens(t, tok, small)
}

// TestSaveUnchanged writes only the identity cookie when the tokens did not
// change, and the tokens stay readable.
func TestSaveUnchanged(t *testing.T) {
	t.Parallel()
	store, clk := newTestStore(t, nil)
	j := newJar(t)
	tok := testTokens(3 << 10)
	saveInto(t, store, clk, j, testUser(), tok)
	s, err := store.Load(j.request())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	rec := httptest.NewRecorder()
	if err := store.Save(rec, j.request(), s); err != nil {
		t.Fatalf("Save: %v", err)
	}
	var names []string
	for _, c := range j.apply(rec) {
		names = append(names, c.Name)
	}
	if !slices.Equal(names, []string{"lk"}) {
		t.Errorf("Save of an unchanged session wrote %v, want [lk]", names)
	}
	s, err = store.Load(j.request())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	got, err := s.Tokens()
	if err != nil {
		t.Fatalf("Tokens: %v", err)
	}
	assertTokens(t, got, tok)
}

// TestSaveSessionFromElsewhere: a session this store did not load (built by
// hand, or loaded from another store) has its tokens written even though
// nothing marked them dirty.
func TestSaveSessionFromElsewhere(t *testing.T) {
	t.Parallel()
	store, clk := newTestStore(t, nil)
	other, _ := newTestStore(t, func(c *CookieConfig) { c.Prefix = "old" })
	tok := testTokens(300)

	oj := newJar(t)
	saveInto(t, other, clk, oj, testUser(), tok)
	fromOther, err := other.Load(oj.request())
	if err != nil {
		t.Fatalf("Load from other store: %v", err)
	}
	byHand := &Session{ID: "hand-made", User: testUser(), Created: clk.Now(), Expires: clk.Now().Add(time.Hour)}

	tests := []struct {
		name string
		s    *Session
		want client.Tokens
	}{
		{name: "loaded from another store", s: fromOther, want: tok},
		{name: "built by hand", s: byHand, want: client.Tokens{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			j := newJar(t)
			rec := httptest.NewRecorder()
			if err := store.Save(rec, oj.request(), tt.s); err != nil {
				t.Fatalf("Save: %v", err)
			}
			j.apply(rec)
			s, err := store.Load(j.request())
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			got, err := s.Tokens()
			if err != nil {
				t.Fatalf("Tokens: %v", err)
			}
			assertTokens(t, got, tt.want)
		})
	}
}

func TestCookieFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		opts      CookieOptions
		wantNames []string
	}{
		{name: "secure", opts: CookieOptions{Secure: true}, wantNames: []string{"__Host-lk", "__Host-lk_t0", "__Host-lk_t1"}},
		{name: "insecure", opts: CookieOptions{}, wantNames: []string{"lk", "lk_t0", "lk_t1"}},
		{name: "secure with prefix", opts: CookieOptions{Secure: true, Prefix: "app"}, wantNames: []string{"__Host-app", "__Host-app_t0", "__Host-app_t1"}},
		{name: "insecure with prefix", opts: CookieOptions{Prefix: "app"}, wantNames: []string{"app", "app_t0", "app_t1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			store, clk := newTestStore(t, func(c *CookieConfig) { c.CookieOptions = tt.opts })
			j := newJar(t)
			rec := httptest.NewRecorder()
			if err := store.Save(rec, j.request(), New(testUser(), testTokens(5<<10), clk.Now(), time.Hour)); err != nil {
				t.Fatalf("Save: %v", err)
			}
			var names []string
			for _, c := range j.apply(rec) {
				names = append(names, c.Name)
				assertFlags(t, c, tt.opts.Secure, http.SameSiteLaxMode)
				if c.MaxAge != 3600 {
					t.Errorf("%s: MaxAge = %d, want 3600", c.Name, c.MaxAge)
				}
			}
			if !slices.Equal(names, tt.wantNames) {
				t.Errorf("cookies = %v, want %v", names, tt.wantNames)
			}
			if _, err := store.Load(j.request()); err != nil {
				t.Errorf("Load: %v", err)
			}
		})
	}
}

// assertFlags checks loginkit's fixed attributes: HttpOnly, Path=/, no
// Domain, and Secure with the __Host- prefix exactly when secure.
func assertFlags(t *testing.T, c *http.Cookie, secure bool, sameSite http.SameSite) {
	t.Helper()
	if !c.HttpOnly {
		t.Errorf("%s: not HttpOnly", c.Name)
	}
	if c.Path != "/" {
		t.Errorf("%s: Path = %q, want /", c.Name, c.Path)
	}
	if c.Domain != "" {
		t.Errorf("%s: Domain = %q, want none", c.Name, c.Domain)
	}
	if c.SameSite != sameSite {
		t.Errorf("%s: SameSite = %v, want %v", c.Name, c.SameSite, sameSite)
	}
	if c.Secure != secure {
		t.Errorf("%s: Secure = %t, want %t", c.Name, c.Secure, secure)
	}
	if host := strings.HasPrefix(c.Name, "__Host-"); host != secure {
		t.Errorf("%s: __Host- prefix = %t, want %t", c.Name, host, secure)
	}
}

func TestKeyRotation(t *testing.T) {
	t.Parallel()
	oldKey, newKey, otherKey := testKey("old"), testKey("new"), testKey("other")
	tests := []struct {
		name    string
		keys    [][]byte
		wantErr error
	}{
		{name: "old key alone", keys: [][]byte{oldKey}},
		{name: "new then old", keys: [][]byte{newKey, oldKey}},
		{name: "old among three", keys: [][]byte{newKey, otherKey, oldKey}},
		{name: "old first", keys: [][]byte{oldKey, newKey}},
		{name: "new alone", keys: [][]byte{newKey}, wantErr: ErrNoSession},
		{name: "unrelated keys", keys: [][]byte{otherKey, newKey}, wantErr: ErrNoSession},
	}
	sealer, clk := newTestStore(t, func(c *CookieConfig) { c.Keys = [][]byte{oldKey} })
	sealed := newJar(t)
	tok := testTokens(3 << 10)
	saveInto(t, sealer, clk, sealed, testUser(), tok)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			store, _ := newTestStore(t, func(c *CookieConfig) { c.Keys = tt.keys })
			s, err := store.Load(sealed.request())
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Load error = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			got, err := s.Tokens()
			if err != nil {
				t.Fatalf("Tokens: %v", err)
			}
			assertTokens(t, got, tok)
		})
	}

	t.Run("resealed with new key", func(t *testing.T) {
		t.Parallel()
		rotated, _ := newTestStore(t, func(c *CookieConfig) { c.Keys = [][]byte{newKey, oldKey} })
		newOnly, _ := newTestStore(t, func(c *CookieConfig) { c.Keys = [][]byte{newKey} })
		j := sealed.clone()
		s, err := rotated.Load(j.request())
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if err := s.SetTokens(tok); err != nil { // re-seal the tokens too
			t.Fatalf("SetTokens: %v", err)
		}
		rec := httptest.NewRecorder()
		if err := rotated.Save(rec, j.request(), s); err != nil {
			t.Fatalf("Save: %v", err)
		}
		j.apply(rec)
		s, err = newOnly.Load(j.request())
		if err != nil {
			t.Fatalf("Load with the new key alone: %v", err)
		}
		if _, err := s.Tokens(); err != nil {
			t.Fatalf("Tokens with the new key alone: %v", err)
		}
	})
}

// flipBit alters one byte in the middle of a sealed value.
func flipBit(v string) string {
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		panic(err)
	}
	b[len(b)/2] ^= 1
	return base64.RawURLEncoding.EncodeToString(b)
}

func TestForgedCookies(t *testing.T) {
	t.Parallel()
	const (
		atLoad   = "Load"
		atTokens = "Tokens"
	)
	// victim and attacker are two sessions of the same store.
	store, clk := newTestStore(t, nil)
	victim := newJar(t)
	victimID := saveInto(t, store, clk, victim, testUser(), testTokens(5<<10)).ID
	attacker := newJar(t)
	saveInto(t, store, clk, attacker, client.User{Provider: "example", Subject: "attacker"}, testTokens(5<<10))
	otherStore, _ := newTestStore(t, func(c *CookieConfig) { c.Keys = [][]byte{testKey("other")} })
	foreign := newJar(t)
	saveInto(t, otherStore, clk, foreign, testUser(), testTokens(5<<10))
	flows, err := NewCookieFlows([][]byte{testKey("k1")}, CookieOptions{}, 0, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	flowRec := httptest.NewRecorder()
	if err := flows.SaveFlow(flowRec, victim.request(), testFlow(clk.Now()), false); err != nil {
		t.Fatal(err)
	}
	flowValue := flowRec.Result().Cookies()[0].Value

	tests := []struct {
		name   string
		forge  func(c map[string]string)
		failAt string
	}{
		{name: "no cookies", forge: func(c map[string]string) { clear(c) }, failAt: atLoad},
		{name: "identity missing", forge: func(c map[string]string) { delete(c, "lk") }, failAt: atLoad},
		{name: "identity empty", forge: func(c map[string]string) { c["lk"] = "" }, failAt: atLoad},
		{name: "identity garbage", forge: func(c map[string]string) { c["lk"] = "hello" }, failAt: atLoad},
		{name: "identity not base64", forge: func(c map[string]string) { c["lk"] = "!!!!" + c["lk"][4:] }, failAt: atLoad},
		{name: "identity bit flipped", forge: func(c map[string]string) { c["lk"] = flipBit(c["lk"]) }, failAt: atLoad},
		{name: "identity truncated", forge: func(c map[string]string) { c["lk"] = c["lk"][:len(c["lk"])-1] }, failAt: atLoad},
		{name: "identity cut to nonce", forge: func(c map[string]string) { c["lk"] = c["lk"][:16] }, failAt: atLoad},
		{name: "identity extended", forge: func(c map[string]string) { c["lk"] += "AAAA" }, failAt: atLoad},
		{name: "identity from another key", forge: func(c map[string]string) { c["lk"] = foreign.cookies["lk"] }, failAt: atLoad},
		{name: "token cookie as identity", forge: func(c map[string]string) { c["lk"] = c["lk_t1"] }, failAt: atLoad},
		{name: "flow cookie as identity", forge: func(c map[string]string) { c["lk"] = flowValue }, failAt: atLoad},
		{name: "identity as token cookie", forge: func(c map[string]string) { c["lk_t0"], c["lk_t1"] = c["lk"], "" }, failAt: atTokens},
		{name: "token chunk bit flipped", forge: func(c map[string]string) { c["lk_t1"] = flipBit(c["lk_t1"]) }, failAt: atTokens},
		{name: "token chunks swapped", forge: func(c map[string]string) { c["lk_t0"], c["lk_t1"] = c["lk_t1"], c["lk_t0"] }, failAt: atTokens},
		{name: "last token chunk dropped", forge: func(c map[string]string) { delete(c, "lk_t1") }, failAt: atTokens},
		{name: "first token chunk dropped", forge: func(c map[string]string) { delete(c, "lk_t0") }, failAt: atTokens},
		{name: "all token chunks dropped", forge: func(c map[string]string) { delete(c, "lk_t0"); delete(c, "lk_t1") }, failAt: atTokens},
		{name: "token chunk truncated", forge: func(c map[string]string) { c["lk_t1"] = c["lk_t1"][:len(c["lk_t1"])-3] }, failAt: atTokens},
		{name: "token chunk appended", forge: func(c map[string]string) { c["lk_t2"] = "AAAA" }, failAt: atTokens},
		{name: "token chunks from another session", forge: func(c map[string]string) {
			c["lk_t0"], c["lk_t1"] = attacker.cookies["lk_t0"], attacker.cookies["lk_t1"]
		}, failAt: atTokens},
		{name: "identity authentic but malformed", forge: func(c map[string]string) {
			c["lk"] = store.sealer.Seal([]byte{identityV1 + 1}, []byte("lk"))
		}, failAt: atLoad},
		{name: "tokens authentic but malformed", forge: func(c map[string]string) {
			c["lk_t0"] = store.sealer.Seal([]byte{secretsV2 + 1}, []byte("secrets:"+victimID))
			delete(c, "lk_t1")
		}, failAt: atTokens},
		{name: "identity from another session", forge: func(c map[string]string) { c["lk"] = attacker.cookies["lk"] }, failAt: atTokens},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			j := victim.clone()
			tt.forge(j.cookies)
			s, err := store.Load(j.request())
			if tt.failAt == atLoad {
				if !errors.Is(err, ErrNoSession) || s != nil {
					t.Fatalf("Load = %v, %v; want nil, ErrNoSession", s, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if _, err := s.Tokens(); !errors.Is(err, ErrNoSession) {
				t.Fatalf("Tokens error = %v, want ErrNoSession", err)
			}
		})
	}
}

// TestCookieBoundToName: a cookie cannot be renamed into another store's
// cookie (the __Host- one of the https store, another prefix), even under
// the same keys: the name is the additional data.
func TestCookieBoundToName(t *testing.T) {
	t.Parallel()
	plain, clk := newTestStore(t, nil)
	j := newJar(t)
	saveInto(t, plain, clk, j, testUser(), testTokens(100))
	tests := []struct {
		name string
		opts CookieOptions
	}{
		{name: "secure store", opts: CookieOptions{Secure: true}},
		{name: "other prefix", opts: CookieOptions{Prefix: "app"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			store, _ := newTestStore(t, func(c *CookieConfig) { c.CookieOptions = tt.opts })
			moved := newJar(t)
			moved.cookies[store.idName] = j.cookies["lk"]
			moved.cookies[store.tokName+"0"] = j.cookies["lk_t0"]
			if _, err := store.Load(moved.request()); !errors.Is(err, ErrNoSession) {
				t.Errorf("Load error = %v, want ErrNoSession", err)
			}
		})
	}
}

func TestExpiredSession(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		advance time.Duration
		wantErr error
	}{
		{name: "fresh", advance: 0},
		{name: "one second left", advance: time.Hour - time.Second},
		{name: "at expiry", advance: time.Hour, wantErr: ErrNoSession},
		{name: "a day after", advance: 25 * time.Hour, wantErr: ErrNoSession},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			store, clk := newTestStore(t, func(c *CookieConfig) { c.Lifetime = time.Hour })
			j := newJar(t)
			saveInto(t, store, clk, j, testUser(), testTokens(100))
			clk.Add(tt.advance)
			if _, err := store.Load(j.request()); !errors.Is(err, tt.wantErr) {
				t.Errorf("Load error = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestSaveExpired(t *testing.T) {
	t.Parallel()
	store, clk := newTestStore(t, nil)
	s := New(testUser(), testTokens(100), clk.Now(), time.Hour)
	clk.Add(time.Hour)
	rec := httptest.NewRecorder()
	if err := store.Save(rec, httptest.NewRequest("GET", "/", nil), s); err == nil {
		t.Error("Save of an expired session succeeded")
	}
	if h := rec.Result().Header; len(h) != 0 {
		t.Errorf("Save wrote headers on failure: %v", h)
	}
}

func TestNewCookieStoreKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		keys    [][]byte
		wantErr bool
	}{
		{name: "no keys", keys: nil, wantErr: true},
		{name: "empty key", keys: [][]byte{{}}, wantErr: true},
		{name: "16 bytes", keys: [][]byte{make([]byte, 16)}, wantErr: true},
		{name: "31 bytes", keys: [][]byte{make([]byte, 31)}, wantErr: true},
		{name: "second key short", keys: [][]byte{make([]byte, 32), make([]byte, 31)}, wantErr: true},
		{name: "32 bytes", keys: [][]byte{make([]byte, 32)}},
		{name: "64 bytes", keys: [][]byte{make([]byte, 64)}},
		{name: "two keys", keys: [][]byte{make([]byte, 32), make([]byte, 48)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewCookieStore(CookieConfig{Keys: tt.keys})
			if (err != nil) != tt.wantErr {
				t.Errorf("NewCookieStore error = %v, want error %t", err, tt.wantErr)
			}
			_, err = NewCookieFlows(tt.keys, CookieOptions{}, 0, nil)
			if (err != nil) != tt.wantErr {
				t.Errorf("NewCookieFlows error = %v, want error %t", err, tt.wantErr)
			}
		})
	}
}

func TestDelete(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		secure bool
		tokens client.Tokens
	}{
		{name: "one chunk", tokens: testTokens(100)},
		{name: "many chunks", tokens: testTokens(20 << 10)},
		{name: "many chunks secure", secure: true, tokens: testTokens(20 << 10)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			store, clk := newTestStore(t, func(c *CookieConfig) { c.Secure = tt.secure })
			j := newJar(t)
			saveInto(t, store, clk, j, testUser(), tt.tokens)
			j.cookies["unrelated"] = "keep"
			before := j.names()
			rec := httptest.NewRecorder()
			if err := store.Delete(rec, j.request()); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			var deleted []string
			for _, c := range j.apply(rec) {
				if c.MaxAge >= 0 {
					t.Errorf("Delete set %s with MaxAge %d", c.Name, c.MaxAge)
				}
				assertFlags(t, c, tt.secure, http.SameSiteLaxMode)
				deleted = append(deleted, c.Name)
			}
			slices.Sort(deleted)
			if want := slices.DeleteFunc(before, func(n string) bool { return n == "unrelated" }); !slices.Equal(deleted, want) {
				t.Errorf("deleted %v, want %v", deleted, want)
			}
			if got := j.names(); !slices.Equal(got, []string{"unrelated"}) {
				t.Errorf("jar after Delete = %v", got)
			}
			if _, err := store.Load(j.request()); !errors.Is(err, ErrNoSession) {
				t.Errorf("Load after Delete error = %v, want ErrNoSession", err)
			}
		})
	}
}

func TestSessionNoCleartext(t *testing.T) {
	t.Parallel()
	store, clk := newTestStore(t, nil)
	j := newJar(t)
	tok := testTokens(20 << 10)
	s := saveInto(t, store, clk, j, testUser(), tok)
	assertNoCleartext(t, j, tok.AccessToken, tok.RefreshToken, tok.IDToken, s.ID, testUser().Email, testUser().Subject)
}

func TestCookieStoreConcurrent(t *testing.T) {
	t.Parallel()
	store, clk := newTestStore(t, nil)
	j := newJar(t)
	tok := testTokens(3 << 10)
	saveInto(t, store, clk, j, testUser(), tok)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 50 {
				s, err := store.Load(j.request())
				if err != nil {
					t.Errorf("goroutine %d: Load: %v", i, err)
					return
				}
				got, err := s.Tokens()
				if err != nil || got.AccessToken != tok.AccessToken {
					t.Errorf("goroutine %d: Tokens: %v", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestCookieValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		headers []string
		cookie  string
		want    string
		wantOK  bool
	}{
		{name: "only", headers: []string{"lk=abc"}, cookie: "lk", want: "abc", wantOK: true},
		{name: "among others", headers: []string{"a=1; lk=abc; b=2"}, cookie: "lk", want: "abc", wantOK: true},
		{name: "no space", headers: []string{"a=1;lk=abc"}, cookie: "lk", want: "abc", wantOK: true},
		{name: "quoted", headers: []string{`lk="abc"`}, cookie: "lk", want: "abc", wantOK: true},
		{name: "empty value", headers: []string{"lk="}, cookie: "lk", want: "", wantOK: true},
		{name: "first wins", headers: []string{"lk=first; lk=second"}, cookie: "lk", want: "first", wantOK: true},
		{name: "second header", headers: []string{"a=1", "lk=abc"}, cookie: "lk", want: "abc", wantOK: true},
		{name: "prefix is not a match", headers: []string{"lk_t0=abc"}, cookie: "lk"},
		{name: "no equals", headers: []string{"lk"}, cookie: "lk"},
		{name: "absent", headers: []string{"a=1"}, cookie: "lk"},
		{name: "no header", cookie: "lk"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("GET", "/", nil)
			for _, h := range tt.headers {
				r.Header.Add("Cookie", h)
			}
			got, ok := cookieValue(r, tt.cookie)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("cookieValue = %q, %t; want %q, %t", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestCookieNames(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Add("Cookie", "lk=1; lk_t0=2;lk_t1=3; other=4")
	r.Header.Add("Cookie", "lk_t2=5")
	if got, want := cookieNames(r, "lk_t"), []string{"lk_t0", "lk_t1", "lk_t2"}; !slices.Equal(got, want) {
		t.Errorf("cookieNames = %v, want %v", got, want)
	}
	for i := range 3 {
		if _, ok := cookieValue(r, "lk_t"+strconv.Itoa(i)); !ok {
			t.Errorf("lk_t%d not found", i)
		}
	}
}

func TestCookieChunks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		headers []string
		max     int
		want    []string
	}{
		{name: "in order", headers: []string{"lk=i; lk_t0=a; lk_t1=b; lk_t2=c"}, max: 8, want: []string{"a", "b", "c"}},
		{name: "out of order", headers: []string{"lk_t2=c; lk_t0=a;lk_t1=b"}, max: 8, want: []string{"a", "b", "c"}},
		{name: "across headers", headers: []string{"lk_t1=b", "lk_t0=a"}, max: 8, want: []string{"a", "b"}},
		{name: "gap stops", headers: []string{"lk_t0=a; lk_t2=c"}, max: 8, want: []string{"a"}},
		{name: "no first", headers: []string{"lk_t1=b"}, max: 8, want: []string{}},
		{name: "empty value stops", headers: []string{"lk_t0=; lk_t1=b"}, max: 8, want: []string{}},
		{name: "first duplicate wins", headers: []string{"lk_t0=a; lk_t0=z"}, max: 8, want: []string{"a"}},
		{name: "quoted", headers: []string{`lk_t0="a"`}, max: 8, want: []string{"a"}},
		{name: "beyond max ignored", headers: []string{"lk_t0=a; lk_t1=b; lk_t2=c"}, max: 2, want: []string{"a", "b"}},
		{name: "leading zero ignored", headers: []string{"lk_t0=a; lk_t01=b"}, max: 8, want: []string{"a"}},
		{name: "sign ignored", headers: []string{"lk_t0=a; lk_t+1=b"}, max: 8, want: []string{"a"}},
		{name: "other names ignored", headers: []string{"lk_t=x; lk_tx=y; lk_t0=a; xlk_t1=b"}, max: 8, want: []string{"a"}},
		{name: "two digits", headers: []string{"lk_t0=0; lk_t1=1; lk_t2=2; lk_t3=3; lk_t4=4; lk_t5=5; lk_t6=6; lk_t7=7; lk_t8=8; lk_t9=9; lk_t10=10"}, max: 11,
			want: []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("GET", "/", nil)
			for _, h := range tt.headers {
				r.Header.Add("Cookie", h)
			}
			if got := cookieChunks(r, "lk_t", make([]string, tt.max)); !slices.Equal(got, tt.want) {
				t.Errorf("cookieChunks = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestManyCookies: a store configured for more than 8 cookies reads them all.
func TestManyCookies(t *testing.T) {
	t.Parallel()
	store, clk := newTestStore(t, func(c *CookieConfig) { c.MaxCookies = 12 })
	j := newJar(t)
	tok := opaqueTokens(28 << 10)
	saveInto(t, store, clk, j, testUser(), tok)
	if n := tokenCookies(j, store); n <= 8 {
		t.Fatalf("%d token cookies, want more than 8", n)
	}
	s, err := store.Load(j.request())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	got, err := s.Tokens()
	if err != nil {
		t.Fatalf("Tokens: %v", err)
	}
	assertTokens(t, got, tok)
}

func TestSaveInvalidPrefix(t *testing.T) {
	t.Parallel()
	store, clk := newTestStore(t, func(c *CookieConfig) { c.Prefix = "bad name" })
	rec := httptest.NewRecorder()
	if err := store.Save(rec, httptest.NewRequest("GET", "/", nil), New(testUser(), testTokens(10), clk.Now(), time.Hour)); err == nil {
		t.Error("Save with an invalid cookie name succeeded")
	}
	if h := rec.Result().Header; len(h) != 0 {
		t.Errorf("Save wrote headers on failure: %v", h)
	}
}

// TestSealedLine: the Set-Cookie line written by hand is the one net/http
// writes for the same cookie.
func TestSealedLine(t *testing.T) {
	t.Parallel()
	for _, o := range []CookieOptions{{}, {Secure: true}, {Prefix: "app"}} {
		for _, maxAge := range []int{1, 3600, 604800} {
			name, value := o.name("_t3"), "AZaz09-_"+strings.Repeat("x", 100)
			if got, want := o.sealedLine(name, value, maxAge), o.cookie(name, value, maxAge).String(); got != want {
				t.Errorf("sealedLine = %q, want %q", got, want)
			}
		}
	}
	if validName("bad name") || validName("") || !validName("__Host-lk_t0") {
		t.Error("validName disagrees with net/http")
	}
}
