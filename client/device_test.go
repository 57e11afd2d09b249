package client_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loginkit/loginkit/client"
	"github.com/loginkit/loginkit/oidctest"
)

// deviceSleeper records the waits of DeviceWait and plays the user: before
// poll number decideAt it calls decide. With early set it lets one wait fall
// short of the interval, which the provider answers with slow_down.
type deviceSleeper struct {
	clk      *fakeClock
	mu       sync.Mutex
	waits    []time.Duration
	decideAt int
	decide   func()
	early    int // the poll that comes too early
	cancel   context.CancelFunc
	cancelAt int
}

func (s *deviceSleeper) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	n := len(s.waits)
	s.mu.Unlock()
	if n == s.cancelAt && s.cancel != nil {
		s.cancel()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if n == s.early {
		d /= 2
	}
	s.clk.Advance(d)
	if n == s.decideAt && s.decide != nil {
		s.decide()
	}
	return nil
}

func TestDeviceFlow(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		deny      bool
		decideAt  int
		early     int
		cancelAt  int
		hook      func(oidctest.Endpoint, http.ResponseWriter, *http.Request) bool
		wantErr   error
		wantCode  string
		wantWaits []time.Duration
	}{
		{name: "approved on the third poll", decideAt: 3, wantWaits: secs(5, 5, 5)},
		{name: "slow_down adds 5 s", decideAt: 4, early: 2, wantWaits: secs(5, 5, 10, 10)},
		{name: "denied", deny: true, decideAt: 2, wantErr: client.ErrAccessDenied, wantCode: "access_denied", wantWaits: secs(5, 5)},
		{name: "code expires unapproved", wantErr: client.ErrDeviceCodeExpired},
		{name: "provider says expired_token", hook: tokenError("expired_token"), wantErr: client.ErrDeviceCodeExpired, wantCode: "expired_token", wantWaits: secs(5)},
		{name: "other provider error stops", hook: tokenError("invalid_client"), wantCode: "invalid_client", wantWaits: secs(5)},
		{name: "cancelled", cancelAt: 2, wantErr: context.Canceled, wantWaits: secs(5, 5)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			op := newGrantsOP(t, func(c *oidctest.Config) { c.DeviceCodeTTL = 2 * time.Minute })
			c := op.client(t, tvID, "", "")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			s := &deviceSleeper{clk: op.clk, decideAt: tc.decideAt, early: tc.early, cancelAt: tc.cancelAt, cancel: cancel}
			da, err := c.DeviceAuthorize(ctx, client.DeviceOptions{Sleep: s.Sleep})
			if err != nil {
				t.Fatal(err)
			}
			if da.UserCode == "" || !strings.HasPrefix(da.VerificationURI, op.Issuer()) || !strings.Contains(da.VerificationURIComplete, "user_code=") ||
				da.Interval != 5*time.Second || !da.Expiry.Equal(op.clk.Now().Add(2*time.Minute)) {
				t.Fatalf("device authorization %v", da)
			}
			s.decide = func() {
				var err error
				if tc.deny {
					err = op.DenyDevice(da.UserCode)
				} else {
					err = op.ApproveDevice(strings.ToLower(da.UserCode), "ada")
				}
				if err != nil {
					t.Error(err)
				}
			}
			if tc.hook != nil {
				op.SetHooks(oidctest.Hooks{Intercept: tc.hook})
			}
			res, err := c.DeviceWait(ctx, da)
			var pe *client.ProviderError
			switch {
			case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
				t.Fatalf("got %v, want %v", err, tc.wantErr)
			case tc.wantCode != "" && (!errors.As(err, &pe) || pe.Code != tc.wantCode):
				t.Fatalf("got %v, want provider error %s", err, tc.wantCode)
			case tc.wantErr == nil && tc.wantCode == "" && (err != nil || res.User.Subject != "ada" || res.Tokens.IDToken == "" || res.Tokens.RefreshToken == ""):
				t.Fatalf("got %v, %+v", err, res)
			}
			if tc.wantWaits != nil && !equalDurations(s.waits, tc.wantWaits) {
				t.Fatalf("waits %v, want %v", s.waits, tc.wantWaits)
			}
		})
	}
}

func secs(n ...int) []time.Duration {
	out := make([]time.Duration, len(n))
	for i, s := range n {
		out[i] = time.Duration(s) * time.Second
	}
	return out
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func tokenError(code string) func(oidctest.Endpoint, http.ResponseWriter, *http.Request) bool {
	return fixedResponse(oidctest.EndpointToken, 400, `{"error":"`+code+`"}`)
}

// TestDeviceAuthorizationResponse: what a device authorization response must
// hold before its code is shown to anyone.
func TestDeviceAuthorizationResponse(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		body    string
		wantErr error
		check   func(*client.DeviceAuth) bool
	}{
		{name: "minimal", body: `{"device_code":"d","user_code":"AB-CD","verification_uri":"https://x.test/d","expires_in":600}`,
			check: func(d *client.DeviceAuth) bool { return d.Interval == 5*time.Second && d.VerificationURIComplete == "" }},
		{name: "Google's verification_url and string numbers", body: `{"device_code":"d","user_code":"AB","verification_url":"https://x.test/d","expires_in":"1800","interval":"7"}`,
			check: func(d *client.DeviceAuth) bool {
				return d.Interval == 7*time.Second && d.VerificationURI == "https://x.test/d"
			}},
		{name: "bad complete URI dropped", body: `{"device_code":"d","user_code":"AB","verification_uri":"https://x.test/d","verification_uri_complete":"javascript:alert(1)","expires_in":60}`,
			check: func(d *client.DeviceAuth) bool { return d.VerificationURIComplete == "" }},
		{name: "no device code", body: `{"user_code":"AB","verification_uri":"https://x.test/d","expires_in":60}`, wantErr: client.ErrProviderResponse},
		{name: "escape sequence in user code", body: `{"device_code":"d","user_code":"AB\u001b[2J","verification_uri":"https://x.test/d","expires_in":60}`, wantErr: client.ErrProviderResponse},
		{name: "javascript verification URI", body: `{"device_code":"d","user_code":"AB","verification_uri":"javascript:alert(1)","expires_in":60}`, wantErr: client.ErrProviderResponse},
		{name: "no expires_in", body: `{"device_code":"d","user_code":"AB","verification_uri":"https://x.test/d"}`, wantErr: client.ErrProviderResponse},
		{name: "not JSON", body: `device_code=d`, wantErr: client.ErrProviderResponse},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			op := newGrantsOP(t)
			op.SetHooks(oidctest.Hooks{Intercept: fixedResponse(oidctest.EndpointDeviceAuthorization, 200, tc.body)})
			da, err := op.client(t, tvID, "", "").DeviceAuthorize(context.Background(), client.DeviceOptions{})
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("got %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil || !tc.check(da) {
				t.Fatalf("got %v, %v", da, err)
			}
			if strings.Contains(da.String(), `"d"`) {
				t.Fatalf("String shows the device code: %s", da)
			}
		})
	}
}

func TestDeviceAuthorizeRefusals(t *testing.T) {
	t.Parallel()
	op := newGrantsOP(t)
	var pe *client.ProviderError
	if _, err := op.client(t, cliID, "", "").DeviceAuthorize(context.Background(), client.DeviceOptions{}); !errors.As(err, &pe) || pe.Code != "unauthorized_client" {
		t.Fatalf("client without the grant: %v", err)
	}
	c, err := client.NewWithoutRedirect(client.Provider{Name: "gh", ClientID: "x", AuthURL: "http://gh.test/a", TokenURL: "http://gh.test/t", UserInfoURL: "http://gh.test/u"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeviceAuthorize(context.Background(), client.DeviceOptions{}); !errors.Is(err, client.ErrUnsupported) {
		t.Fatalf("no device endpoint: %v, want ErrUnsupported", err)
	}
}
