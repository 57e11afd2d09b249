package providers_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/providers"
)

// facebookFake serves Facebook Login and a Graph API /me that, like an app
// with "Require App Secret" on, refuses calls without a correct
// appsecret_proof. graphSecret is the secret the Graph API checks proofs
// against: the app secret, unless a test changes it.
type facebookFake struct {
	*fake
	graphSecret atomic.Value // string
	me          atomic.Value // fixture name
}

func newFacebookFake(t *testing.T) *facebookFake {
	f := &facebookFake{fake: newFake(t, "facebook")}
	f.graphSecret.Store("test-secret")
	f.me.Store("me.json")
	f.configure(func(c *fakeConfig) { c.auth = client.AuthPost; c.expiresIn = 5183944 })
	f.oauth2("/v23.0/dialog/oauth", "/v23.0/oauth/access_token")
	f.mux.HandleFunc("GET /v23.0/me", f.graphMe)
	return f
}

func (f *facebookFake) graphMe(w http.ResponseWriter, r *http.Request) {
	if !f.bearer(w, r, "graph") {
		return
	}
	token := r.Header.Get("Authorization")[len("Bearer "):]
	m := hmac.New(sha256.New, []byte(f.graphSecret.Load().(string)))
	m.Write([]byte(token))
	proof, err := hex.DecodeString(r.URL.Query().Get("appsecret_proof"))
	w.Header().Set("Content-Type", "application/json")
	if err != nil || !hmac.Equal(proof, m.Sum(nil)) {
		w.WriteHeader(http.StatusBadRequest)
		w.Write(f.fixture("graph_error.json"))
		return
	}
	if r.URL.Query().Get("fields") != "id,name,email,picture" {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	w.Write(f.fixture(f.me.Load().(string)))
}

func (f *facebookFake) preset(t *testing.T) client.Provider {
	t.Helper()
	p, err := providers.Facebook(providers.FacebookConfig{ClientID: "test-client", ClientSecret: "test-secret",
		AuthURL: f.URL + "/v23.0/dialog/oauth", TokenURL: f.URL + "/v23.0/oauth/access_token", GraphURL: f.URL + "/v23.0"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFacebookSignIn(t *testing.T) {
	t.Parallel()
	f := newFacebookFake(t)
	a := startApp(t, f.fake, f.preset(t), false)
	wantUser(t, a.mustSignIn(), client.User{Provider: "facebook", Subject: "10158012345678901",
		Email: "ada@example.com", EmailVerified: false, Name: "Ada Lovelace",
		Picture: "https://platform-lookaside.fbsbx.com/platform/profilepic/?asid=10158012345678901&height=50&width=50&ext=1700000000&hash=AbC"})
	if q := f.lastAuthorize(); q.Get("scope") != "email public_profile" {
		t.Errorf("scope %q", q.Get("scope"))
	}
}

// TestFacebookMissingEmail: a person without an address (or who declined
// the email permission) still signs in, with no email.
func TestFacebookMissingEmail(t *testing.T) {
	t.Parallel()
	f := newFacebookFake(t)
	f.me.Store("me_no_email.json")
	a := startApp(t, f.fake, f.preset(t), false)
	wantUser(t, a.mustSignIn(), client.User{Provider: "facebook", Subject: "10158012345678902", Name: "Alan Turing",
		Picture: "https://platform-lookaside.fbsbx.com/platform/profilepic/?asid=10158012345678902&height=50&width=50&ext=1700000000&hash=DeF"})
}

// TestFacebookAppSecretProof: the fake Graph API refuses a call without a
// correct proof, and the preset's own call carries one.
func TestFacebookAppSecretProof(t *testing.T) {
	t.Parallel()
	f := newFacebookFake(t)
	_, res, err := directSignIn(t, f.fake, f.preset(t))
	if err != nil {
		t.Fatal(err)
	}
	token := res.Tokens.AccessToken
	for _, tc := range []struct {
		name, proof string
		want        int
	}{
		{"no proof", "", http.StatusBadRequest},
		{"proof keyed with another secret", providers.AppSecretProof(token, "other-secret"), http.StatusBadRequest},
		{"proof of another token", providers.AppSecretProof("other-token", "test-secret"), http.StatusBadRequest},
		{"correct proof", providers.AppSecretProof(token, "test-secret"), http.StatusOK},
	} {
		q := url.Values{"fields": {"id,name,email,picture"}}
		if tc.proof != "" {
			q.Set("appsecret_proof", tc.proof)
		}
		req, _ := http.NewRequest(http.MethodGet, f.URL+"/v23.0/me?"+q.Encode(), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, resp.StatusCode, tc.want)
		}
	}
	if string(res.User.Raw) == "" || res.User.Subject != "10158012345678901" {
		t.Errorf("user %+v", res.User)
	}

	// With the Graph API checking against another secret, the preset's
	// proof is wrong and the sign-in fails at the profile.
	f.graphSecret.Store("rotated-secret")
	a := startApp(t, f.fake, f.preset(t), false)
	var pe *client.ProviderError
	if e := a.refused(); !errors.Is(e, client.ErrProfile) || !errors.As(e, &pe) || pe.Status != http.StatusBadRequest {
		t.Errorf("error = %v, want the Graph API's 400 within ErrProfile", e.Err)
	}
}

func TestAppSecretProofVector(t *testing.T) {
	t.Parallel()
	// hex(HMAC-SHA256(key="app-secret-1234", msg="EAAGm0PX4ZCpsBAtoken")), computed independently.
	const want = "6ed04a51ef7a97955c566985141d0f87c75893745b7a6a14488848374c54912a"
	if got := providers.AppSecretProof("EAAGm0PX4ZCpsBAtoken", "app-secret-1234"); got != want {
		t.Errorf("AppSecretProof = %s, want %s", got, want)
	}
}
