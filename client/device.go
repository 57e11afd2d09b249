package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Errors that end the device authorization grant (RFC 8628 §3.5). They wrap
// the provider's *ProviderError when it sent one.
var (
	ErrAccessDenied      = errors.New("loginkit: the user denied the request")
	ErrDeviceCodeExpired = errors.New("loginkit: the device code expired before the user approved it")
)

// Polling steps of RFC 8628 §3.5.
const (
	defaultDeviceInterval = 5 * time.Second
	slowDownStep          = 5 * time.Second
	maxUserCodeLen        = 64
	maxVerificationURILen = 2048
	grantDeviceCode       = "urn:ietf:params:oauth:grant-type:device_code"
)

// DeviceOptions configure a device authorization request.
type DeviceOptions struct {
	// Scopes requested; default Provider.Scopes.
	Scopes []string
	// Params are extra request parameters (e.g. "audience"); they cannot
	// replace client_id or scope.
	Params url.Values
	// DeviceAuthURL overrides the device_authorization_endpoint from
	// discovery; plain OAuth2 providers (GitHub) need it.
	DeviceAuthURL string
	// Sleep waits between polls; default a timer that stops when ctx ends.
	// Tests inject one that advances a fake clock instead.
	Sleep func(ctx context.Context, d time.Duration) error
}

// DeviceAuth is a pending device authorization (RFC 8628 §3.2): show the
// user UserCode and VerificationURI (or VerificationURIComplete, e.g. as a QR
// code), then call DeviceWait. The device code itself stays inside: it is a
// credential for the tokens.
type DeviceAuth struct {
	UserCode                string
	VerificationURI         string
	VerificationURIComplete string // may be empty
	Expiry                  time.Time
	Interval                time.Duration // between polls; DeviceWait adds 5 s on slow_down

	deviceCode string
	sleep      func(context.Context, time.Duration) error
}

// String shows what the user needs, never the device code.
func (d *DeviceAuth) String() string {
	return fmt.Sprintf("DeviceAuth{user_code:%q uri:%q expiry:%s}", d.UserCode, d.VerificationURI, d.Expiry.Format(time.RFC3339))
}

// deviceJSON is a device authorization response (RFC 8628 §3.2).
type deviceJSON struct {
	DeviceCode              string  `json:"device_code"`
	UserCode                string  `json:"user_code"`
	VerificationURI         string  `json:"verification_uri"`
	VerificationURL         string  `json:"verification_url"` // Google's pre-RFC name
	VerificationURIComplete string  `json:"verification_uri_complete"`
	ExpiresIn               seconds `json:"expires_in"`
	Interval                seconds `json:"interval"`
}

// DeviceAuthorize starts the device authorization grant (RFC 8628 §3.1).
func (c *Client) DeviceAuthorize(ctx context.Context, o DeviceOptions) (*DeviceAuth, error) {
	m, err := c.metadata(ctx)
	if err != nil {
		return nil, err
	}
	endpoint := o.DeviceAuthURL
	if endpoint == "" {
		endpoint = m.DeviceAuthURL
	}
	if endpoint == "" {
		return nil, fmt.Errorf("%w: %s: no device_authorization_endpoint", ErrUnsupported, c.p.Name)
	}
	form := url.Values{}
	for k, v := range o.Params {
		form[k] = v
	}
	form.Del("client_id")
	form.Del("scope")
	scopes := o.Scopes
	if scopes == nil {
		scopes = c.p.Scopes
	}
	if len(scopes) > 0 {
		form.Set("scope", strings.Join(scopes, " "))
	}
	body, err := c.postForm(ctx, "device_authorization", endpoint, form)
	if err != nil {
		return nil, err
	}
	da, err := parseDeviceAuth(body, c.p.Now())
	if err != nil {
		return nil, err
	}
	da.sleep = o.Sleep
	return da, nil
}

// parseDeviceAuth checks a device authorization response. The user code and
// URIs end up on a screen, so control characters are refused rather than
// shown (a terminal would obey them).
func parseDeviceAuth(body []byte, now time.Time) (*DeviceAuth, error) {
	var r deviceJSON
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("%w: device_authorization: %v", ErrProviderResponse, redactJSONError(err))
	}
	if r.VerificationURI == "" {
		r.VerificationURI = r.VerificationURL
	}
	switch {
	case r.DeviceCode == "":
		return nil, fmt.Errorf("%w: device_authorization: no device_code", ErrProviderResponse)
	case r.UserCode == "" || len(r.UserCode) > maxUserCodeLen || clean(r.UserCode) != r.UserCode:
		return nil, fmt.Errorf("%w: device_authorization: missing or unprintable user_code", ErrProviderResponse)
	case !displayableURL(r.VerificationURI):
		return nil, fmt.Errorf("%w: device_authorization: verification_uri is not an http(s) URL", ErrProviderResponse)
	case r.ExpiresIn <= 0:
		return nil, fmt.Errorf("%w: device_authorization: no expires_in", ErrProviderResponse)
	}
	da := &DeviceAuth{
		UserCode: r.UserCode, VerificationURI: r.VerificationURI,
		Expiry: now.Add(r.ExpiresIn.duration()), Interval: r.Interval.duration(), deviceCode: r.DeviceCode,
	}
	if displayableURL(r.VerificationURIComplete) {
		da.VerificationURIComplete = r.VerificationURIComplete
	}
	if da.Interval <= 0 {
		da.Interval = defaultDeviceInterval
	}
	return da, nil
}

// displayableURL: an absolute http(s) URL of printable characters only.
func displayableURL(s string) bool {
	if s == "" || len(s) > maxVerificationURILen || clean(s) != s || strings.ContainsAny(s, " \t") {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// DeviceWait polls the token endpoint until the user approves (RFC 8628
// §3.4–3.5): every Interval (waiting before the first poll too), 5 s more
// after each slow_down, twice as long after a timed-out request. It stops with ErrAccessDenied, with
// ErrDeviceCodeExpired (the provider's expired_token, or the code's expiry
// passing), or with ctx's error. On approval the tokens are checked like a
// login's: the ID token is verified (it carries no nonce in this grant) and
// the profile fetched.
func (c *Client) DeviceWait(ctx context.Context, da *DeviceAuth) (*Result, error) {
	m, err := c.metadata(ctx)
	if err != nil {
		return nil, err
	}
	sleep := da.sleep
	if sleep == nil {
		sleep = sleepContext
	}
	interval := max(da.Interval, time.Second)
	form := url.Values{"grant_type": {grantDeviceCode}, "device_code": {da.deviceCode}}
	for {
		if !c.p.Now().Before(da.Expiry) {
			return nil, ErrDeviceCodeExpired
		}
		if err := sleep(ctx, interval); err != nil {
			return nil, fmt.Errorf("loginkit: waiting for the device approval: %w", err)
		}
		t, err := c.tokenRequest(ctx, m, form)
		if err == nil {
			return c.deviceResult(ctx, m, t)
		}
		next, err := nextInterval(ctx, interval, err)
		if err != nil {
			return nil, err
		}
		interval = next
	}
}

// nextInterval decides what a failed poll means: go on (with the interval
// to use) or stop (with the error to return).
func nextInterval(ctx context.Context, interval time.Duration, err error) (time.Duration, error) {
	var pe *ProviderError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "authorization_pending":
			return interval, nil
		case "slow_down":
			return interval + slowDownStep, nil
		case "access_denied":
			return 0, fmt.Errorf("%w: %w", ErrAccessDenied, err)
		case "expired_token":
			return 0, fmt.Errorf("%w: %w", ErrDeviceCodeExpired, err)
		}
		return 0, err
	}
	if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		return 2 * interval, nil // the request timed out: back off (§3.5)
	}
	return 0, err
}

func (c *Client) deviceResult(ctx context.Context, m *Metadata, t *Tokens) (*Result, error) {
	u, err := c.identify(ctx, m, t, "")
	if err != nil {
		return nil, err
	}
	return &Result{User: *u, Tokens: *t}, nil
}

// sleepContext waits d, or until ctx ends.
func sleepContext(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
