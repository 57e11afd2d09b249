package client

import "encoding/json"

// User is the signed-in person as one shape for every provider.
type User struct {
	Provider      string `json:"provider"`
	Subject       string `json:"sub"` // the provider's immutable ID for the user
	Email         string `json:"email,omitempty"`
	EmailVerified bool   `json:"email_verified"`
	Name          string `json:"name,omitempty"`
	Picture       string `json:"picture,omitempty"`
	// SessionID is the provider's session (the ID token's sid), used for
	// back-channel logout.
	SessionID string `json:"-"`
	// Raw holds the provider's claims or profile document as received.
	Raw json.RawMessage `json:"-"`
}
