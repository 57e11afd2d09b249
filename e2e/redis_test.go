package e2e_test

// Two examples/webapp processes sharing one redis-server and one session
// key, against the real oidc-provider: the way an app runs behind a load
// balancer.

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loginkit/loginkit/e2e/internal/realop"
	"github.com/loginkit/loginkit/internal/redistest"
)

// twoInstances starts Redis, the OP (access tokens of accessTTL, back-channel
// logout to instance a) and the two instances.
func twoInstances(t *testing.T) (op *realop.OP, a, b *webapp) {
	t.Helper()
	webappBinary(t) // build (or skip) before starting anything
	rs := redistest.Start(t)
	addrA, releaseA := reserveAddr(t)
	addrB, releaseB := reserveAddr(t)
	baseA, baseB := "http://"+addrA, "http://"+addrB
	opt := shortTokens
	opt.RedirectURIs = []string{baseA + "/callback/oidc", baseB + "/callback/oidc"}
	opt.PostLogoutURIs = []string{baseA + "/logout/callback", baseB + "/logout/callback"}
	opt.Env = append([]string{"OP_BACKCHANNEL_LOGOUT_URI=" + baseA + "/logout/backchannel/oidc"}, opt.Env...)
	op = realop.Start(t, opt)
	releaseA()
	releaseB()
	key := make([]byte, 32)
	rand.Read(key)
	env := oidcEnv(op.Issuer, "LOGINKIT_SESSION_STORE="+rs.URL(0), "LOGINKIT_SESSION_KEY="+hex.EncodeToString(key), refreshAheadEnv)
	a = startWebapp(t, addrA, env...)
	b = startWebapp(t, addrB, env...)
	for _, app := range []*webapp{a, b} {
		app.noLeak(realop.ConfidentialClientSecret, hex.EncodeToString(key))
	}
	return op, a, b
}

// endSessionEndpoint reads the OP's end_session_endpoint from discovery.
func endSessionEndpoint(t *testing.T, op *realop.OP) string {
	t.Helper()
	resp, err := op.HTTPClient.Get(op.Issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil || m.EndSession == "" {
		t.Fatalf("discovery: no end_session_endpoint (%v)", err)
	}
	return m.EndSession
}

// eventually retries check every 100ms for up to 10s.
func eventually(t *testing.T, what string, check func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !check() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after 10s", what)
		}
		sleepUntil(t, time.Now().Add(100*time.Millisecond))
	}
}

// TestWebappsShareRedis: sign in on one instance and use the session on the
// other; after the access token expired, 20 concurrent /profile calls split
// across both make exactly one refresh at the provider; a back-channel
// logout from the provider ends the session on both; an RP-initiated logout
// on one ends the session ID for every copy of the cookie on both.
func TestWebappsShareRedis(t *testing.T) {
	t.Parallel()
	op, a, b := twoInstances(t)
	hc := browser(t)
	signIn(t, op, a, hc, "/", "alice")
	signedIn := time.Now()
	requireMe(t, hc, b, "alice")
	requireProfile(t, hc, b, "alice")
	noLeakCookies(t, hc, a)
	noLeakCookies(t, hc, b)

	// Both instances see the expired token at once.
	sleepUntil(t, signedIn.Add(accessTTL+expirySlack))
	if n := op.GrantCount(t, "refresh_token"); n != 0 {
		t.Fatalf("refresh_token grants = %d before the burst, want 0", n)
	}
	statuses := make([]string, 20)
	var wg sync.WaitGroup
	for i := range statuses {
		app := a
		if i%2 == 1 {
			app = b
		}
		wg.Go(func() {
			var u userinfo
			p := fetch(t, hc, http.MethodGet, app.URL+"/profile", jsonAccept, nil)
			if p.status == http.StatusOK && json.Unmarshal([]byte(p.body), &u) == nil && u.Sub == "alice" {
				statuses[i] = "ok"
				return
			}
			statuses[i] = p.String() + " " + p.body
		})
	}
	wg.Wait()
	for i, s := range statuses {
		if s != "ok" {
			t.Errorf("/profile #%d on instance %c: %s", i, "ab"[i%2], s)
		}
	}
	if n := op.GrantCount(t, "refresh_token"); n != 1 {
		t.Fatalf("refresh_token grants for 20 calls on 2 instances = %d, want 1", n)
	}
	if n := op.GrantErrorCount(t, "refresh_token"); n != 0 {
		t.Fatalf("failed refresh_token grants = %d, want 0", n)
	}
	requireProfile(t, hc, a, "alice")
	requireProfile(t, hc, b, "alice")
	if n := op.GrantCount(t, "refresh_token"); n != 1 {
		t.Fatalf("refresh_token grants = %d after the burst, want still 1: the new tokens were not shared", n)
	}

	// alice signs out at the provider (say, from another of its apps): the
	// provider tells instance a over the back channel, and the session
	// ends on both instances.
	op.EndSession(t, hc, endSessionEndpoint(t, op))
	eventually(t, "back-channel logout ended the session on a", func() bool {
		return getJSON(t, hc, a.URL+"/me", nil).status == http.StatusUnauthorized
	})
	requireSignedOut(t, hc, a)
	requireSignedOut(t, hc, b)
	if !strings.Contains(a.Stderr(), "back-channel logout") {
		t.Errorf("instance a logged no back-channel logout")
	}

	// RP-initiated logout on b: the session ID ends in Redis, so a copy of
	// the cookie gets nothing on either instance.
	signIn(t, op, b, hc, "/", "bob")
	requireMe(t, hc, a, "bob")
	copied := snapshotJar(t, hc, a.URL)
	out := fetch(t, hc, http.MethodPost, b.URL+"/logout", http.Header{"Origin": {b.URL}}, nil)
	redirectTo(t, out, http.StatusSeeOther, strings.TrimSuffix(endSessionEndpoint(t, op), "/"))
	requireSignedOut(t, copied, a)
	requireSignedOut(t, copied, b)
}
