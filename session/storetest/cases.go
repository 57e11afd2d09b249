package storetest

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loginkit/loginkit/session"
)

func testRoundTrip(t *testing.T, e *env) {
	u, tok := user("ada", "sid-1"), tokens("1", e.clock.Now().Add(time.Hour))
	want, j := e.login(t, u, tok)
	e.clock.Add(10 * time.Minute)
	got := e.load(t, j)
	requireSame(t, got, want, tok)
	prof, err := got.Profile()
	if err != nil || string(prof) != string(u.Raw) {
		t.Errorf("Profile = %q, %v; want %q", prof, err, u.Raw)
	}
}

func testSignedOut(t *testing.T, e *env) {
	e.requireSignedOut(t, jar{}, "no cookie")
	_, j := e.login(t, user("ada", ""), tokens("1", e.clock.Now().Add(time.Hour)))
	for name := range j {
		for _, v := range []string{"", "x", strings.Repeat("A", 95), strings.Repeat("A", 5000)} {
			forged := j.clone()
			forged[name] = v
			e.requireSignedOut(t, forged, "cookie "+name+" = "+v[:min(len(v), 8)])
		}
	}
}

func testTampered(t *testing.T, e *env) {
	_, j := e.login(t, user("ada", ""), tokens("1", e.clock.Now().Add(time.Hour)))
	for name, v := range j {
		for _, i := range []int{0, len(v) / 2, len(v) - 2} { // the last base64 character may carry unused bits
			b := []byte(v)
			if b[i] == 'A' {
				b[i] = 'B'
			} else {
				b[i] = 'A'
			}
			bad := j.clone()
			bad[name] = string(b)
			e.requireSignedOut(t, bad, "cookie "+name+" altered")
		}
	}
}

func testDelete(t *testing.T, e *env) {
	_, j := e.login(t, user("ada", ""), tokens("1", e.clock.Now().Add(time.Hour)))
	rec := httptest.NewRecorder()
	if err := e.store.Delete(rec, j.request()); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	j.apply(t, rec)
	e.requireSignedOut(t, j, "after Delete")
	rec = httptest.NewRecorder() // deleting again is harmless
	if err := e.store.Delete(rec, j.request()); err != nil {
		t.Fatalf("second Delete: %v", err)
	}
}

func testUpdateTokens(t *testing.T, e *env) {
	_, j := e.login(t, user("ada", "sid-1"), tokens("1", e.clock.Now().Add(time.Hour)))
	s := e.load(t, j)
	fresh := tokens("2", e.clock.Now().Add(2*time.Hour))
	if err := s.SetTokens(fresh); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	if err := e.store.Save(rec, j.request(), s); err != nil {
		t.Fatalf("Save: %v", err)
	}
	j.apply(t, rec)
	requireSame(t, e.load(t, j), s, fresh)
	// Saving unchanged keeps the tokens too.
	s = e.load(t, j)
	rec = httptest.NewRecorder()
	if err := e.store.Save(rec, j.request(), s); err != nil {
		t.Fatalf("Save unchanged: %v", err)
	}
	j.apply(t, rec)
	requireSame(t, e.load(t, j), s, fresh)
}

func testAbsoluteLifetime(t *testing.T, e *env) {
	_, j := e.login(t, user("ada", ""), tokens("1", e.clock.Now().Add(time.Hour)))
	for range 5 { // used every 20 minutes: the idle timeout never ends it
		e.clock.Add(20 * time.Minute)
		e.load(t, j)
	}
	e.clock.Add(lifetime - 5*20*time.Minute) // exactly the end
	e.requireSignedOut(t, j, "at the absolute end")
}

func testNewID(t *testing.T, e *env) {
	a, ja := e.login(t, user("ada", ""), tokens("1", e.clock.Now().Add(time.Hour)))
	b, jb := e.login(t, user("ada", ""), tokens("1", e.clock.Now().Add(time.Hour)))
	if a.ID == b.ID || len(a.ID) < 43 {
		t.Fatalf("session IDs %q and %q: want distinct, 256 bits or more", a.ID, b.ID)
	}
	if e.load(t, ja).ID != a.ID || e.load(t, jb).ID != b.ID {
		t.Fatal("each browser must get its own session")
	}
}

func testNoCleartext(t *testing.T, e *env) {
	u, tok := user("ada-lovelace", "sid-visible-1"), tokens("secret", e.clock.Now().Add(time.Hour))
	s, j := e.login(t, u, tok)
	secrets := []string{tok.AccessToken[:20], tok.RefreshToken[:20], tok.IDToken[:20], u.Email, u.Subject, u.SessionID}
	if e.server != nil {
		secrets = append(secrets, s.ID) // the bare ID is a credential
	}
	for name, v := range j {
		for _, text := range decodings(v) {
			for _, sec := range secrets {
				if strings.Contains(text, sec) {
					t.Errorf("cookie %s shows %q", name, sec)
				}
			}
		}
	}
}

func decodings(v string) []string {
	out := []string{v}
	for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.StdEncoding} {
		if b, err := enc.DecodeString(v); err == nil {
			out = append(out, string(b))
		}
	}
	return out
}

func testConcurrent(t *testing.T, e *env) {
	_, j := e.login(t, user("ada", "sid-1"), tokens("1", e.clock.Now().Add(time.Hour)))
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			s, err := e.store.Load(j.request())
			if err != nil {
				t.Errorf("Load: %v", err)
				return
			}
			if _, err := s.Tokens(); err != nil {
				t.Errorf("Tokens: %v", err)
				return
			}
			if i%4 == 0 {
				s.SetTokens(tokens("c", e.clock.Now().Add(time.Hour)))
				if err := e.store.Save(httptest.NewRecorder(), j.request(), s); err != nil {
					t.Errorf("Save: %v", err)
				}
			}
		})
	}
	wg.Wait()
}

func testIdleTimeout(t *testing.T, e *env) {
	_, j := e.login(t, user("ada", ""), tokens("1", e.clock.Now().Add(time.Hour)))
	e.clock.Add(idle - time.Minute)
	e.load(t, j) // restarts the idle timeout
	e.clock.Add(idle - time.Minute)
	e.load(t, j)
	e.clock.Add(idle)
	e.requireSignedOut(t, j, "idle for the idle timeout")
	e.clock.Add(-idle) // the clock going back does not bring it back either
	e.requireSignedOut(t, j, "after expiry")
}

// testIdleStep pins the precision of the idle timeout: a use one
// MaxIdleStep after the last recorded one is recorded (however coarse a
// store keeps it), and a session ends by IdleTimeout after its last use,
// even when that use went unrecorded.
func testIdleStep(t *testing.T, e *env) {
	step := MaxIdleStep(idle)
	_, j := e.login(t, user("ada", ""), tokens("1", e.clock.Now().Add(time.Hour)))
	e.clock.Add(step)
	e.load(t, j) // one step after the login: recorded
	e.clock.Add(idle - time.Millisecond)
	e.load(t, j) // so the session lives idle from it
	e.clock.Add(step / 2)
	e.load(t, j) // half a step after a recorded use: recording it is optional…
	e.clock.Add(idle)
	e.requireSignedOut(t, j, "idle for the idle timeout after a use half a step after the last recorded one") // …ending idle after it is not
}

func testDeletedID(t *testing.T, e *env) {
	s, j := e.login(t, user("ada", ""), tokens("1", e.clock.Now().Add(time.Hour)))
	copied := j.clone()
	rec := httptest.NewRecorder()
	if err := e.store.Delete(rec, j.request()); err != nil {
		t.Fatal(err)
	}
	e.requireSignedOut(t, copied, "a copy of the deleted session's cookie")
	if _, err := e.server.Get(t.Context(), s.ID); !errors.Is(err, session.ErrNoSession) {
		t.Fatalf("Get after Delete: %v, want ErrNoSession", err)
	}
}

func testNoRevival(t *testing.T, e *env) {
	_, j := e.login(t, user("ada", ""), tokens("1", e.clock.Now().Add(time.Hour)))
	held := e.load(t, j) // a request in flight holds the session…
	if err := e.server.DeleteID(t.Context(), held.ID); err != nil {
		t.Fatal(err) // …when a logout ends it
	}
	held.SetTokens(tokens("late", e.clock.Now().Add(time.Hour)))
	if err := e.server.Update(t.Context(), held); !errors.Is(err, session.ErrNoSession) {
		t.Fatalf("Update of a deleted session: %v, want ErrNoSession", err)
	}
	if err := e.store.Save(httptest.NewRecorder(), j.request(), held); !errors.Is(err, session.ErrNoSession) {
		t.Fatalf("Save of a deleted session: %v, want ErrNoSession", err)
	}
	e.requireSignedOut(t, j, "after the late save")
}

func testGet(t *testing.T, e *env) {
	tok := tokens("1", e.clock.Now().Add(time.Hour))
	s, _ := e.login(t, user("ada", "sid-1"), tok)
	got, err := e.server.Get(t.Context(), s.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	requireSame(t, got, s, tok)
	if _, err := e.server.Get(t.Context(), "no-such-id"); !errors.Is(err, session.ErrNoSession) {
		t.Fatalf("Get of an unknown ID: %v", err)
	}
	fresh := tokens("2", e.clock.Now().Add(time.Hour))
	got.SetTokens(fresh)
	if err := e.server.Update(t.Context(), got); err != nil {
		t.Fatalf("Update: %v", err)
	}
	again, err := e.server.Get(t.Context(), s.ID)
	if err != nil {
		t.Fatal(err)
	}
	requireSame(t, again, s, fresh)
}

func testDeleteUser(t *testing.T, e *env) {
	tok := tokens("1", e.clock.Now().Add(time.Hour))
	_, a1 := e.login(t, user("ada", "sid-a1"), tok)
	_, a2 := e.login(t, user("ada", "sid-a2"), tok)
	_, b := e.login(t, user("bob", "sid-b"), tok)
	n, err := e.server.DeleteUser(t.Context(), "example", "ada")
	if err != nil || n != 2 {
		t.Fatalf("DeleteUser = %d, %v; want 2", n, err)
	}
	e.requireSignedOut(t, a1, "ada's first session")
	e.requireSignedOut(t, a2, "ada's second session")
	e.load(t, b)
	if n, err := e.server.DeleteUser(t.Context(), "other-provider", "bob"); err != nil || n != 0 {
		t.Fatalf("DeleteUser of another provider's bob = %d, %v; want 0", n, err)
	}
	e.load(t, b)
	// The sid index no longer lists ada's deleted sessions.
	if n, err := e.server.DeleteProviderSession(t.Context(), "example", "sid-a1"); err != nil || n != 0 {
		t.Fatalf("DeleteProviderSession after DeleteUser = %d, %v; want 0", n, err)
	}
}

func testDeleteProviderSession(t *testing.T, e *env) {
	tok := tokens("1", e.clock.Now().Add(time.Hour))
	_, a1 := e.login(t, user("ada", "sid-1"), tok)
	_, a1b := e.login(t, user("ada", "sid-1"), tok) // a second app session in the same provider session
	_, a2 := e.login(t, user("ada", "sid-2"), tok)
	other := user("ada", "sid-1")
	other.Provider = "other"
	_, o := e.login(t, other, tok)
	n, err := e.server.DeleteProviderSession(t.Context(), "example", "sid-1")
	if err != nil || n != 2 {
		t.Fatalf("DeleteProviderSession = %d, %v; want 2", n, err)
	}
	e.requireSignedOut(t, a1, "sid-1")
	e.requireSignedOut(t, a1b, "sid-1, second")
	e.load(t, a2)
	e.load(t, o)
	if n, err := e.server.DeleteUser(t.Context(), "example", "ada"); err != nil || n != 1 {
		t.Fatalf("DeleteUser after DeleteProviderSession = %d, %v; want 1 (sid-2)", n, err)
	}
}

func testIndexesFollowUpdates(t *testing.T, e *env) {
	_, j := e.login(t, user("ada", "sid-old"), tokens("1", e.clock.Now().Add(time.Hour)))
	s := e.load(t, j)
	s.User.SessionID = "sid-new"
	if err := e.server.Update(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	if n, err := e.server.DeleteProviderSession(t.Context(), "example", "sid-old"); err != nil || n != 0 {
		t.Fatalf("old sid still indexed: %d, %v", n, err)
	}
	if n, err := e.server.DeleteProviderSession(t.Context(), "example", "sid-new"); err != nil || n != 1 {
		t.Fatalf("new sid not indexed: %d, %v", n, err)
	}
}

// lapse waits out lockTTL by both clocks: the suite's, and the real one
// that a backend such as Redis keeps TTLs by.
func (e *env) lapse() {
	time.Sleep(lockTTL + 50*time.Millisecond)
	e.clock.Add(lockTTL + 50*time.Millisecond)
}

func testLock(t *testing.T, e *env) {
	ctx := t.Context()
	release, ok, err := e.server.Lock(ctx, "refresh:1", lockTTL)
	if err != nil || !ok {
		t.Fatalf("Lock: %v %v", ok, err)
	}
	if _, ok, err := e.server.Lock(ctx, "refresh:1", lockTTL); err != nil || ok {
		t.Fatalf("second Lock while held: %v %v, want refused", ok, err)
	}
	if _, ok, err := e.server.Lock(ctx, "refresh:2", lockTTL); err != nil || !ok {
		t.Fatalf("Lock of another name: %v %v", ok, err)
	}
	if err := release(ctx); err != nil {
		t.Fatal(err)
	}
	release, ok, _ = e.server.Lock(ctx, "refresh:1", lockTTL)
	if !ok {
		t.Fatal("Lock after release refused")
	}
	// The holder dies: the lock lapses by itself, and the late release of
	// the first holder does not free the next holder's lock.
	e.lapse()
	release2, ok, _ := e.server.Lock(ctx, "refresh:1", time.Minute)
	if !ok {
		t.Fatal("Lock after the TTL lapsed refused")
	}
	if err := release(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := e.server.Lock(ctx, "refresh:1", lockTTL); ok {
		t.Fatal("a stale holder's release freed the new holder's lock")
	}
	release2(context.Background())
}

func testFirstUse(t *testing.T, e *env) {
	ctx := t.Context()
	for i, want := range []bool{true, false, false} {
		if got, err := e.server.FirstUse(ctx, "jti-1", lockTTL); err != nil || got != want {
			t.Fatalf("FirstUse #%d = %v, %v; want %v", i, got, err, want)
		}
	}
	if got, _ := e.server.FirstUse(ctx, "jti-2", lockTTL); !got {
		t.Fatal("FirstUse of another value refused")
	}
	e.lapse()
	if got, _ := e.server.FirstUse(ctx, "jti-1", lockTTL); !got {
		t.Fatal("FirstUse after the TTL lapsed refused")
	}
}
