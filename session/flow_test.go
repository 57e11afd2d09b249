package session

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/internal/randx"
)

// testFlow is a pending login created at now with fresh secrets.
func testFlow(now time.Time) *client.Flow {
	return &client.Flow{
		Provider: "example", State: randx.Token(32), Nonce: randx.Token(32), Verifier: randx.Token(32),
		RedirectURL: "https://app.example/callback", ReturnTo: "/inbox", Created: now,
	}
}

func newTestFlows(t testing.TB, opts CookieOptions, max int) (*CookieFlows, *clock) {
	t.Helper()
	clk := newClock()
	flows, err := NewCookieFlows([][]byte{testKey("k1")}, opts, max, clk.Now)
	if err != nil {
		t.Fatalf("NewCookieFlows: %v", err)
	}
	return flows, clk
}

// saveFlow starts a login for f in the browser j and returns the cookies set.
func saveFlow(t testing.TB, flows *CookieFlows, j *jar, f *client.Flow, crossSite bool) []*http.Cookie {
	t.Helper()
	rec := httptest.NewRecorder()
	if err := flows.SaveFlow(rec, j.request(), f, crossSite); err != nil {
		t.Fatalf("SaveFlow: %v", err)
	}
	return j.apply(rec)
}

// takeFlow completes the login for state in the browser j.
func takeFlow(flows *CookieFlows, j *jar, state string) (*client.Flow, error) {
	rec := httptest.NewRecorder()
	f, err := flows.TakeFlow(rec, j.request(), state)
	j.apply(rec)
	return f, err
}

func assertFlow(t *testing.T, got, want *client.Flow) {
	t.Helper()
	if got == nil {
		t.Fatal("no flow")
	}
	if got.Provider != want.Provider || got.State != want.State || got.Nonce != want.Nonce ||
		got.Verifier != want.Verifier || got.RedirectURL != want.RedirectURL || got.ReturnTo != want.ReturnTo ||
		!got.Created.Equal(want.Created) {
		t.Errorf("flow = %+v, want %+v", got, want)
	}
}

func TestFlowsTwoTabs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		order []int // which tab's callback arrives first
	}{
		{name: "in order", order: []int{0, 1}},
		{name: "reverse order", order: []int{1, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			flows, clk := newTestFlows(t, CookieOptions{}, 0)
			j := newJar(t)
			tabs := []*client.Flow{testFlow(clk.Now()), nil}
			saveFlow(t, flows, j, tabs[0], false)
			clk.Add(time.Minute)
			tabs[1] = testFlow(clk.Now())
			saveFlow(t, flows, j, tabs[1], false)
			if n := len(j.cookies); n != 2 {
				t.Fatalf("%d flow cookies, want 2", n)
			}
			for _, i := range tt.order {
				got, err := takeFlow(flows, j, tabs[i].State)
				if err != nil {
					t.Fatalf("TakeFlow(tab %d): %v", i, err)
				}
				assertFlow(t, got, tabs[i])
			}
			if len(j.cookies) != 0 {
				t.Errorf("cookies left after both logins: %v", j.names())
			}
		})
	}
}

func TestTakeFlowSingleUse(t *testing.T) {
	t.Parallel()
	flows, clk := newTestFlows(t, CookieOptions{Secure: true}, 0)
	j := newJar(t)
	f := testFlow(clk.Now())
	saveFlow(t, flows, j, f, false)
	replay := j.clone() // an attacker's copy of the cookie

	rec := httptest.NewRecorder()
	if _, err := flows.TakeFlow(rec, j.request(), f.State); err != nil {
		t.Fatalf("first TakeFlow: %v", err)
	}
	cs := j.apply(rec)
	if len(cs) != 1 || cs[0].MaxAge >= 0 {
		t.Errorf("TakeFlow did not delete the flow cookie: %v", cs)
	}
	tests := []struct {
		name string
		j    *jar
	}{
		{name: "cookie deleted", j: j},
		{name: "cookie replayed", j: replay},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := takeFlow(flows, tt.j.clone(), f.State); !errors.Is(err, client.ErrFlowMissing) {
				t.Errorf("second TakeFlow error = %v, want ErrFlowMissing", err)
			}
		})
	}
}

func TestTakeFlowErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		setup   func(t *testing.T, flows *CookieFlows, clk *clock, j *jar) string // returns the state to take
		wantErr error
	}{
		{name: "wrong state", wantErr: client.ErrFlowMissing, setup: func(t *testing.T, flows *CookieFlows, clk *clock, j *jar) string {
			saveFlow(t, flows, j, testFlow(clk.Now()), false)
			return randx.Token(32)
		}},
		{name: "empty state", wantErr: client.ErrFlowMissing, setup: func(t *testing.T, flows *CookieFlows, clk *clock, j *jar) string {
			saveFlow(t, flows, j, testFlow(clk.Now()), false)
			return ""
		}},
		{name: "no cookie", wantErr: client.ErrFlowMissing, setup: func(t *testing.T, flows *CookieFlows, clk *clock, j *jar) string {
			return testFlow(clk.Now()).State
		}},
		{name: "expired after 11 minutes", wantErr: client.ErrFlowExpired, setup: func(t *testing.T, flows *CookieFlows, clk *clock, j *jar) string {
			f := testFlow(clk.Now())
			saveFlow(t, flows, j, f, false)
			clk.Add(11 * time.Minute)
			return f.State
		}},
		{name: "created in the future", wantErr: client.ErrFlowExpired, setup: func(t *testing.T, flows *CookieFlows, clk *clock, j *jar) string {
			f := testFlow(clk.Now().Add(2 * time.Minute))
			saveFlow(t, flows, j, f, false)
			return f.State
		}},
		{name: "tampered", wantErr: client.ErrFlowMissing, setup: func(t *testing.T, flows *CookieFlows, clk *clock, j *jar) string {
			f := testFlow(clk.Now())
			saveFlow(t, flows, j, f, false)
			name := flows.cookieName(f.State)
			j.cookies[name] = flipBit(j.cookies[name])
			return f.State
		}},
		{name: "truncated", wantErr: client.ErrFlowMissing, setup: func(t *testing.T, flows *CookieFlows, clk *clock, j *jar) string {
			f := testFlow(clk.Now())
			saveFlow(t, flows, j, f, false)
			name := flows.cookieName(f.State)
			j.cookies[name] = j.cookies[name][:20]
			return f.State
		}},
		{name: "another flow's cookie under this state's name", wantErr: client.ErrFlowMissing, setup: func(t *testing.T, flows *CookieFlows, clk *clock, j *jar) string {
			mine, theirs := testFlow(clk.Now()), testFlow(clk.Now())
			saveFlow(t, flows, j, theirs, false)
			j.cookies[flows.cookieName(mine.State)] = j.cookies[flows.cookieName(theirs.State)]
			return mine.State
		}},
		{name: "sealed with another key", wantErr: client.ErrFlowMissing, setup: func(t *testing.T, flows *CookieFlows, clk *clock, j *jar) string {
			other, err := NewCookieFlows([][]byte{testKey("other")}, CookieOptions{}, 0, clk.Now)
			if err != nil {
				t.Fatal(err)
			}
			f := testFlow(clk.Now())
			saveFlow(t, other, j, f, false)
			return f.State
		}},
		{name: "session cookie value as flow", wantErr: client.ErrFlowMissing, setup: func(t *testing.T, flows *CookieFlows, clk *clock, j *jar) string {
			store, sclk := newTestStore(t, nil) // same key, other purpose
			sj := newJar(t)
			saveInto(t, store, sclk, sj, testUser(), testTokens(10))
			f := testFlow(clk.Now())
			j.cookies[flows.cookieName(f.State)] = sj.cookies["lk"]
			return f.State
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			flows, clk := newTestFlows(t, CookieOptions{}, 0)
			j := newJar(t)
			state := tt.setup(t, flows, clk, j)
			f, err := takeFlow(flows, j, state)
			if !errors.Is(err, tt.wantErr) || f != nil {
				t.Errorf("TakeFlow = %v, %v; want nil, %v", f, err, tt.wantErr)
			}
		})
	}
}

func TestSaveFlowCookie(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		opts         CookieOptions
		crossSite    bool
		wantSecure   bool
		wantSameSite http.SameSite
		wantPrefix   string
	}{
		{name: "same site", wantSameSite: http.SameSiteLaxMode, wantPrefix: "lk_f_"},
		{name: "same site secure", opts: CookieOptions{Secure: true}, wantSecure: true, wantSameSite: http.SameSiteLaxMode, wantPrefix: "__Host-lk_f_"},
		{name: "cross site", crossSite: true, wantSecure: true, wantSameSite: http.SameSiteNoneMode, wantPrefix: "lk_f_"},
		{name: "cross site secure", opts: CookieOptions{Secure: true}, crossSite: true, wantSecure: true, wantSameSite: http.SameSiteNoneMode, wantPrefix: "__Host-lk_f_"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			flows, clk := newTestFlows(t, tt.opts, 0)
			j := newJar(t)
			f := testFlow(clk.Now())
			rec := httptest.NewRecorder()
			if err := flows.SaveFlow(rec, j.request(), f, tt.crossSite); err != nil {
				t.Fatalf("SaveFlow: %v", err)
			}
			lines := rec.Result().Header.Values("Set-Cookie")
			if len(lines) != 1 {
				t.Fatalf("Set-Cookie = %q, want one line", lines)
			}
			if tt.crossSite && !strings.Contains(lines[0], "; Secure; SameSite=None") {
				t.Errorf("cross-site cookie lacks SameSite=None; Secure: %s", lines[0])
			}
			c := j.apply(rec)[0]
			if !c.HttpOnly || c.Path != "/" || c.Secure != tt.wantSecure || c.SameSite != tt.wantSameSite {
				t.Errorf("cookie = %s", c)
			}
			if !strings.HasPrefix(c.Name, tt.wantPrefix) {
				t.Errorf("name %q lacks prefix %q", c.Name, tt.wantPrefix)
			}
			if c.MaxAge != int(client.FlowLifetime/time.Second) {
				t.Errorf("MaxAge = %d, want %d", c.MaxAge, int(client.FlowLifetime/time.Second))
			}
			got, err := takeFlow(flows, j, f.State)
			if err != nil {
				t.Fatalf("TakeFlow: %v", err)
			}
			assertFlow(t, got, f)
		})
	}
}

func TestSaveFlowEvictsOldest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		max        int
		saves      int
		wantKept   []int // indices of the flows still pending, oldest first
		unreadable bool  // add an undecryptable flow cookie first
	}{
		{name: "under the limit", max: 3, saves: 3, wantKept: []int{0, 1, 2}},
		{name: "one over", max: 3, saves: 4, wantKept: []int{1, 2, 3}},
		{name: "three over", max: 3, saves: 6, wantKept: []int{3, 4, 5}},
		{name: "default limit 5", saves: 7, wantKept: []int{2, 3, 4, 5, 6}},
		{name: "max 1", max: 1, saves: 3, wantKept: []int{2}},
		{name: "unreadable evicted first", max: 3, saves: 3, wantKept: []int{0, 1, 2}, unreadable: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			flows, clk := newTestFlows(t, CookieOptions{}, tt.max)
			j := newJar(t)
			junk := flows.prefix() + "junk"
			if tt.unreadable {
				j.cookies[junk] = "garbage"
			}
			var all []*client.Flow
			var deleted []string
			for range tt.saves {
				clk.Add(time.Second)
				f := testFlow(clk.Now())
				all = append(all, f)
				for _, c := range saveFlow(t, flows, j, f, false) {
					if c.MaxAge < 0 {
						deleted = append(deleted, c.Name)
					}
				}
			}
			var wantDeleted []string
			if tt.unreadable {
				wantDeleted = append(wantDeleted, junk)
			}
			for i, f := range all {
				if !slices.Contains(tt.wantKept, i) {
					wantDeleted = append(wantDeleted, flows.cookieName(f.State))
				}
			}
			if !slices.Equal(deleted, wantDeleted) {
				t.Errorf("deleted %v, want %v (oldest first)", deleted, wantDeleted)
			}
			for i, f := range all {
				_, err := takeFlow(flows, j, f.State)
				if slices.Contains(tt.wantKept, i) && err != nil {
					t.Errorf("flow %d: TakeFlow: %v", i, err)
				}
				if !slices.Contains(tt.wantKept, i) && !errors.Is(err, client.ErrFlowMissing) {
					t.Errorf("evicted flow %d: TakeFlow error = %v, want ErrFlowMissing", i, err)
				}
			}
		})
	}
}

func TestFlowNoCleartext(t *testing.T) {
	t.Parallel()
	flows, clk := newTestFlows(t, CookieOptions{}, 0)
	j := newJar(t)
	var secrets []string
	for range 3 {
		f := testFlow(clk.Now())
		saveFlow(t, flows, j, f, false)
		secrets = append(secrets, f.State, f.Nonce, f.Verifier)
	}
	assertNoCleartext(t, j, secrets...)
}

func TestUsedStatesBounded(t *testing.T) {
	t.Parallel()
	u := usedStates{m: map[string]time.Time{}}
	now := t0
	if !u.add("a", now.Add(time.Minute), now) {
		t.Fatal("first add refused")
	}
	if u.add("a", now.Add(time.Minute), now) {
		t.Fatal("second add of the same state accepted")
	}
	// Fill to the bound with entries that expire; the next add sweeps them.
	for i := len(u.m); i < maxUsed; i++ {
		u.m["fill"+strconv.Itoa(i)] = now.Add(time.Minute)
	}
	later := now.Add(2 * time.Minute)
	if !u.add("b", later.Add(time.Minute), later) {
		t.Fatal("add after expiry refused")
	}
	if len(u.m) != 1 {
		t.Errorf("%d states kept after the sweep, want 1", len(u.m))
	}
}

// TestUsedStatesFullOfLive: when the bound is reached with states that are
// all still live, the newest state is still recorded (replay refused) and
// the ones closest to expiry make room.
func TestUsedStatesFullOfLive(t *testing.T) {
	t.Parallel()
	u := usedStates{m: map[string]time.Time{}}
	for i := range maxUsed {
		u.m["fill"+strconv.Itoa(i)] = t0.Add(time.Minute + time.Duration(i)*time.Millisecond)
	}
	if !u.add("new", t0.Add(10*time.Minute), t0) {
		t.Fatal("add refused")
	}
	if u.add("new", t0.Add(10*time.Minute), t0) {
		t.Fatal("replay accepted once the set was full")
	}
	if len(u.m) > maxUsed*91/100 {
		t.Fatalf("%d states kept, want room made", len(u.m))
	}
	if _, ok := u.m["fill"+strconv.Itoa(maxUsed-1)]; !ok {
		t.Fatal("the latest-expiring state was dropped")
	}
}

// TestFlowCodec: every flow round-trips exactly, packed or not, and flows
// saved as JSON (before the binary encoding) are still taken.
func TestFlowCodec(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 29, 8, 41, 46, 123456789, time.UTC)
	cases := []struct {
		name string
		f    client.Flow
	}{
		{"OIDC", *testFlow(now)},
		{"OAuth 2.0, no nonce or return", client.Flow{Provider: "github", State: randx.Token(32), Verifier: randx.Token(32), RedirectURL: "http://localhost:8080/callback/github", Created: now}},
		{"odd text", client.Flow{Provider: "p.q", State: "a.b.c", Nonce: "not base64url!", Verifier: "ünïcode\n", RedirectURL: "https://app/cb?x=1&y=%2F", ReturnTo: "/a b?c=d#e", Created: now}},
		{"logout flow", client.Flow{Provider: "logout:op", State: randx.Token(32), RedirectURL: "https://app/logout/callback", Created: now}},
		{"zero time", client.Flow{Provider: "p", State: "s"}},
		{"the epoch", client.Flow{Provider: "p", State: "s", Created: time.Unix(0, 0)}},
		{"far past and future", client.Flow{Provider: "p", State: "s", Created: time.Date(1, 2, 3, 4, 5, 6, 7, time.UTC)}},
		{"year 9999", client.Flow{Provider: "p", State: "s", Created: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)}},
	}
	for _, tc := range cases {
		plain := encodeFlow(&tc.f)
		got, err := decodeFlow(plain)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		assertFlow(t, got, &tc.f)
		js, _ := json.Marshal(&tc.f)
		if len(plain) >= len(js) {
			t.Errorf("%s: %d bytes encoded, JSON %d", tc.name, len(plain), len(js))
		}
		for i := range plain { // every truncation fails cleanly
			if _, err := decodeFlow(plain[:i]); !errors.Is(err, errCodec) {
				t.Fatalf("%s: %d of %d bytes: %v", tc.name, i, len(plain), err)
			}
		}
		if _, err := decodeFlow(append(plain, 0)); !errors.Is(err, errCodec) {
			t.Errorf("%s: trailing byte: %v", tc.name, err)
		}
	}

	// A flow cookie sealed as JSON by an earlier version.
	flows, clk := newTestFlows(t, CookieOptions{}, 0)
	f := testFlow(clk.Now())
	js, _ := json.Marshal(f)
	name := flows.cookieName(f.State)
	j := newJar(t)
	j.cookies[name] = flows.sealer.Seal(js, []byte(name))
	got, err := takeFlow(flows, j, f.State)
	if err != nil {
		t.Fatal(err)
	}
	assertFlow(t, got, f)
}

func TestCookieFlowsBadPrefix(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"a b", "x;y", "é", "a\r\nSet-Cookie: x"} {
		if _, err := NewCookieFlows([][]byte{testKey("k1")}, CookieOptions{Prefix: p}, 0, nil); err == nil {
			t.Errorf("prefix %q accepted", p)
		}
	}
}

// TestSaveFlowLine: the hand-built Set-Cookie line is the one net/http
// writes for the same cookie.
func TestSaveFlowLine(t *testing.T) {
	t.Parallel()
	for _, opts := range []CookieOptions{{}, {Secure: true}, {Prefix: "app"}} {
		flows, clk := newTestFlows(t, opts, 0)
		rec := httptest.NewRecorder()
		if err := flows.SaveFlow(rec, httptest.NewRequest(http.MethodGet, "/", nil), testFlow(clk.Now()), false); err != nil {
			t.Fatal(err)
		}
		line := rec.Header().Get("Set-Cookie")
		name, value, _ := strings.Cut(strings.SplitN(line, ";", 2)[0], "=")
		want := httptest.NewRecorder()
		http.SetCookie(want, opts.cookie(name, value, int(client.FlowLifetime/time.Second)))
		if line != want.Header().Get("Set-Cookie") {
			t.Errorf("line %q\nwant %q", line, want.Header().Get("Set-Cookie"))
		}
	}
}
