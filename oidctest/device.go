package oidctest

import (
	"crypto/rand"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Device authorization grant (RFC 8628): the device asks for a code at
// /device_authorization, the user enters it at /device (or a test calls
// ApproveDevice), and the device polls the token endpoint.

// Error codes of RFC 8628 §3.5.
const (
	codeAuthorizationPending = "authorization_pending"
	codeSlowDown             = "slow_down"
	codeExpiredToken         = "expired_token"
)

// slowDownStep is what slow_down adds to the interval (RFC 8628 §3.5).
const slowDownStep = 5 * time.Second

// ErrUserCode is returned by ApproveDevice and DenyDevice for a user code
// that is unknown, expired or already decided.
var ErrUserCode = errors.New("oidctest: unknown, expired or already used user code")

type deviceStatus int

const (
	devicePending deviceStatus = iota
	deviceApproved
	deviceDenied
)

// deviceAuth is one device authorization request (RFC 8628 §3.1).
type deviceAuth struct {
	clientID string
	userCode string
	scope    string
	exp      time.Time
	interval time.Duration
	lastPoll time.Time
	status   deviceStatus
	subject  string
	authTime time.Time
	used     bool
}

// serveDeviceAuthorization is the device authorization endpoint (RFC 8628
// §3.1–3.2).
func (p *Provider) serveDeviceAuthorization(w http.ResponseWriter, r *http.Request) {
	form, c, ok := p.clientRequest(w, r)
	if !ok {
		return
	}
	if !c.allows(GrantDeviceCode) {
		writeError(w, newError(codeUnauthorizedClient, "the client may not use the device authorization grant"))
		return
	}
	now := p.cfg.Now()
	d := &deviceAuth{
		clientID: c.ID, scope: normalizeScope(form.Get("scope")),
		exp: now.Add(p.cfg.DeviceCodeTTL), interval: p.cfg.DeviceInterval,
	}
	p.mu.Lock()
	deviceCode := p.store.addDevice(d, now)
	p.mu.Unlock()
	verify := p.url(pathDevice)
	writeJSON(w, http.StatusOK, map[string]any{
		"device_code":               deviceCode,
		"user_code":                 d.userCode,
		"verification_uri":          verify,
		"verification_uri_complete": verify + "?" + url.Values{"user_code": {d.userCode}}.Encode(),
		"expires_in":                int64(p.cfg.DeviceCodeTTL / time.Second),
		"interval":                  int64(p.cfg.DeviceInterval / time.Second),
	})
}

// deviceToken redeems a device code at the token endpoint (RFC 8628 §3.4–3.5).
func (p *Provider) deviceToken(c Client, form url.Values) (map[string]any, *oauthError) {
	dc := form.Get("device_code")
	if dc == "" {
		return nil, newError(codeInvalidRequest, "device_code is missing")
	}
	now := p.cfg.Now()
	p.mu.Lock()
	d, oerr := p.store.pollDevice(c.ID, dc, now)
	var t issued
	if oerr == nil {
		g := &grant{clientID: c.ID, subject: d.subject, scope: d.scope, sid: randomToken(0)[:22], authTime: d.authTime}
		t = p.issue(g, d.scope, "", now)
	}
	p.mu.Unlock()
	if oerr == nil {
		t.access, oerr = p.accessFor(t.access, form.Get("resource"))
	}
	if oerr != nil {
		return nil, oerr
	}
	return p.userTokenResponse(c, t, "", now)
}

// pollDevice answers one poll: the device's state, or slow_down when it
// polls sooner than its interval allows, which also grows the interval.
func (s *store) pollDevice(clientID, dc string, now time.Time) (*deviceAuth, *oauthError) {
	d, ok := s.devices[dc]
	switch {
	case !ok || d.clientID != clientID || d.used:
		return nil, newError(codeInvalidGrant, "unknown or used device_code")
	case !now.Before(d.exp):
		return nil, newError(codeExpiredToken, "the device_code has expired")
	}
	last := d.lastPoll
	d.lastPoll = now
	if !last.IsZero() && now.Sub(last) < d.interval {
		d.interval += slowDownStep
		return nil, newError(codeSlowDown, "polling too fast")
	}
	switch d.status {
	case devicePending:
		return nil, newError(codeAuthorizationPending, "the user has not decided yet")
	case deviceDenied:
		d.used = true
		return nil, newError(codeAccessDenied, "the user denied the request")
	}
	d.used = true
	return d, nil
}

// ApproveDevice signs subject in on the device whose user code is userCode,
// as if the user had entered it at the verification URI (RFC 8628 §3.3).
// The code is compared without dashes, spaces or case.
func (p *Provider) ApproveDevice(userCode, subject string) error {
	if _, ok := p.user(subject); !ok {
		return errors.New("oidctest: ApproveDevice: unknown subject")
	}
	return p.decideDevice(userCode, deviceApproved, subject)
}

// DenyDevice denies the device whose user code is userCode; its next poll
// gets access_denied (RFC 8628 §3.5).
func (p *Provider) DenyDevice(userCode string) error {
	return p.decideDevice(userCode, deviceDenied, "")
}

func (p *Provider) decideDevice(userCode string, status deviceStatus, subject string) error {
	now := p.cfg.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	d, ok := p.store.devices[p.store.users[normalizeUserCode(userCode)]]
	if !ok || d.status != devicePending || d.used || !now.Before(d.exp) {
		return ErrUserCode
	}
	d.status, d.subject, d.authTime = status, subject, now
	return nil
}

// userCodeAlphabet has no vowels (no words) and no look-alikes (RFC 8628 §6.1).
const userCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"

// newUserCode returns 8 characters from userCodeAlphabet as XXXX-XXXX.
func newUserCode() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = userCodeAlphabet[int(b[i])%len(userCodeAlphabet)]
	}
	return string(b[:4]) + "-" + string(b[4:])
}

// normalizeUserCode drops dashes and spaces and upper-cases (RFC 8628 §6.1).
func normalizeUserCode(s string) string {
	return strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(s))
}

// addDevice stores d under a fresh device code, with a fresh user code.
func (s *store) addDevice(d *deviceAuth, now time.Time) string {
	s.maybeSweep(now)
	for {
		d.userCode = newUserCode()
		if _, taken := s.users[normalizeUserCode(d.userCode)]; !taken {
			break
		}
	}
	v := randomToken(0)
	s.devices[v] = d
	s.users[normalizeUserCode(d.userCode)] = v
	return v
}

func (s *store) sweepDevices(now time.Time) {
	for k, d := range s.devices {
		if !now.Before(d.exp) {
			delete(s.users, normalizeUserCode(d.userCode))
			delete(s.devices, k)
		}
	}
}

func (s *store) evictDevices() {
	for k, d := range s.devices {
		if len(s.devices) < maxEntries {
			return
		}
		delete(s.users, normalizeUserCode(d.userCode))
		delete(s.devices, k)
	}
}

// deviceTemplate is the verification page: enter the code, pick an account.
var deviceTemplate = template.Must(template.New("device").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Connect a device · loginkit demo provider</title><style>{{.Style}}</style></head>
<body><main>
<h1>loginkit demo provider — connect a device</h1>
<p>Check that the code matches the one on your device, then choose an account.</p>
<form method="post" action="{{.Action}}">
<p><label>Code <input name="user_code" value="{{.UserCode}}" autocomplete="off" required></label></p>
<ul>
{{range .Users}}<li><button class="account" type="submit" name="oidctest_subject" value="{{.Subject}}">
<span class="avatar" aria-hidden="true">{{.Initial}}</span>
<span class="who"><strong>{{.Name}}</strong><small>{{.Email}}</small></span></button></li>
{{end}}</ul>
<button class="deny" type="submit" name="oidctest_action" value="deny">Deny</button>
</form>
</main></body></html>
`))

// serveDevice is the verification URI (RFC 8628 §3.3): GET shows the page,
// POST approves or denies.
func (p *Provider) serveDevice(w http.ResponseWriter, r *http.Request) {
	params, err := queryOrForm(w, r)
	if err != nil {
		renderMessage(w, http.StatusBadRequest, "Invalid request", err.Error())
		return
	}
	if r.Method == http.MethodGet {
		renderPage(w, http.StatusOK, deviceTemplate, map[string]any{
			"Style": template.CSS(pageStyle), "Action": p.url(pathDevice),
			"UserCode": params.Get("user_code"), "Users": p.chooserUsers(),
		}, "script-src 'none'")
		return
	}
	code := params.Get("user_code")
	if params.Get(paramAction) == actionDeny {
		if p.DenyDevice(code) == nil {
			renderMessage(w, http.StatusOK, "Request denied", "The device was not connected. You can close this window.")
			return
		}
	} else if p.ApproveDevice(code, params.Get(paramChosenSubject)) == nil {
		renderMessage(w, http.StatusOK, "Device connected", "You can return to your device now and close this window.")
		return
	}
	renderMessage(w, http.StatusBadRequest, "Unknown code", "The code is unknown, expired or used. Start again on your device.")
}
