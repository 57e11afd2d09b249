package client

import (
	"fmt"
	"log/slog"
	"time"
)

// Tokens are what a token endpoint returned (RFC 6749 §5.1, OpenID Connect
// Core §3.1.3.3). String, GoString and LogValue redact every token, so a
// Tokens value printed with %v or logged with slog shows only which are set.
type Tokens struct {
	AccessToken  string
	TokenType    string
	RefreshToken string
	IDToken      string
	Expiry       time.Time // zero when the provider gave no expires_in
	Scopes       []string  // granted scopes when the provider said
}

// String reports which tokens are present, never their values.
func (t Tokens) String() string {
	return fmt.Sprintf("Tokens{access:%t refresh:%t id:%t type:%q expiry:%s}",
		t.AccessToken != "", t.RefreshToken != "", t.IDToken != "", t.TokenType, t.Expiry.Format(time.RFC3339))
}

// GoString redacts like String, so %#v is safe too.
func (t Tokens) GoString() string { return t.String() }

// LogValue implements slog.LogValuer with the same redaction.
func (t Tokens) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Bool("access", t.AccessToken != ""),
		slog.Bool("refresh", t.RefreshToken != ""),
		slog.Bool("id", t.IDToken != ""),
		slog.Time("expiry", t.Expiry),
	)
}

// Format makes every fmt verb (%v, %+v, %s, %q, %x) print the redacted form.
func (t Tokens) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, t.GoString())
		return
	}
	fmt.Fprint(f, t.String())
}

// ExpiresWithin reports whether the access token expires within d of now. A
// token with no known expiry never does.
func (t Tokens) ExpiresWithin(now time.Time, d time.Duration) bool {
	return !t.Expiry.IsZero() && !now.Add(d).Before(t.Expiry)
}
