package session

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/loginkit/loginkit/client"
)

func identityOf(s *Session) [9]any {
	u := s.User
	return [9]any{s.Created.Unix(), s.Expires.Unix(), s.ID, u.Provider, u.Subject, u.Email, u.Name, u.Picture, u.SessionID}
}

func TestIdentityRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		s    Session
	}{
		{name: "full", s: Session{ID: "id1", User: testUser(), Created: t0, Expires: t0.Add(time.Hour)}},
		{name: "zero times", s: Session{ID: "id2", User: client.User{Subject: "s"}}},
		{name: "before 1970", s: Session{ID: "id3", Created: time.Unix(-86400, 0), Expires: time.Unix(-1, 0)}},
		{name: "empty strings", s: Session{}},
		{name: "unverified", s: Session{ID: "x", User: client.User{Email: "a@b", EmailVerified: false}, Created: t0, Expires: t0}},
		{name: "binary and long strings", s: Session{ID: "\x00\xff", User: client.User{Name: string(bytes.Repeat([]byte{0x80}, 300))}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got Session
			if err := decodeIdentity(string(encodeIdentity(nil, &tt.s)), &got); err != nil {
				t.Fatalf("decodeIdentity: %v", err)
			}
			if got.Created.IsZero() != tt.s.Created.IsZero() || got.Expires.IsZero() != tt.s.Expires.IsZero() {
				t.Errorf("zero times not kept: %v %v", got.Created, got.Expires)
			}
			if identityOf(&got) != identityOf(&tt.s) || got.User.EmailVerified != tt.s.User.EmailVerified {
				t.Errorf("decoded %v, want %v", identityOf(&got), identityOf(&tt.s))
			}
		})
	}
}

func TestSecretsRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		sec  secrets
	}{
		{name: "full", sec: secrets{Tokens: testTokens(500), Profile: []byte(`{"a":1}`)}},
		{name: "empty", sec: secrets{}},
		{name: "no scopes, no expiry", sec: secrets{Tokens: client.Tokens{AccessToken: "a", TokenType: "Bearer"}}},
		{name: "one scope", sec: secrets{Tokens: client.Tokens{Scopes: []string{"openid"}}}},
		{name: "large", sec: secrets{Tokens: testTokens(64 << 10)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := decodeSecrets(encodeSecrets(nil, &tt.sec))
			if err != nil {
				t.Fatalf("decodeSecrets: %v", err)
			}
			assertTokens(t, got.Tokens, tt.sec.Tokens)
			if !bytes.Equal(got.Profile, tt.sec.Profile) {
				t.Errorf("Profile = %q, want %q", got.Profile, tt.sec.Profile)
			}
		})
	}
}

func TestDecodeMalformed(t *testing.T) {
	t.Parallel()
	id := encodeIdentity(nil, &Session{ID: "id", User: testUser(), Created: t0, Expires: t0.Add(time.Hour)})
	sec := encodeSecrets(nil, &secrets{Tokens: testTokens(100), Profile: []byte("{}")})
	tests := []struct {
		name string
		in   []byte
	}{
		{name: "empty", in: nil},
		{name: "version 0", in: append([]byte{0}, id[1:]...)},
		{name: "version 2", in: append([]byte{2}, id[1:]...)},
		{name: "version only", in: []byte{1}},
		{name: "trailing byte", in: append(slices.Clip(id), 0)},
		{name: "length past end", in: []byte{1, 0, 0, 0x7f, 'a'}},
		{name: "huge length", in: []byte{1, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
		{name: "varint overflow", in: []byte{1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
		{name: "varint unterminated", in: []byte{1, 0x80}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := decodeIdentity(string(tt.in), &Session{}); !errors.Is(err, errCodec) {
				t.Errorf("decodeIdentity error = %v, want errCodec", err)
			}
			if sec, err := decodeSecrets(tt.in); !errors.Is(err, errCodec) || sec != nil {
				t.Errorf("decodeSecrets = %v, %v; want nil, errCodec", sec, err)
			}
		})
	}
	t.Run("every truncation", func(t *testing.T) {
		t.Parallel()
		for n := range len(id) {
			if err := decodeIdentity(string(id[:n]), &Session{}); !errors.Is(err, errCodec) {
				t.Errorf("identity cut to %d bytes: error = %v, want errCodec", n, err)
			}
		}
		for n := range len(sec) {
			if got, err := decodeSecrets(sec[:n]); !errors.Is(err, errCodec) || got != nil {
				t.Errorf("secrets cut to %d bytes: %v, %v; want nil, errCodec", n, got, err)
			}
		}
	})
}
