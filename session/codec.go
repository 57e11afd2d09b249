package session

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/loginkit/loginkit/client"
)

// The encodings are compact and versioned: a version byte, then fields as
// varints and length-prefixed strings. They are only ever read after
// AES-GCM authenticated them, but are still parsed defensively (fuzzed).

const (
	flowV1     = 1 // a pending login; JSON before it (first byte '{'), still read
	identityV1 = 1
	secretsV1  = 1 // tokens as text; still read
	secretsV2  = 2 // tokens packed
)

var errCodec = errors.New("loginkit/session: malformed session encoding")

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return binary.AppendVarint(b, 0)
	}
	return binary.AppendVarint(b, t.Unix())
}

// encodeIdentity writes what Require needs on every request.
func encodeIdentity(b []byte, s *Session) []byte {
	u := &s.User
	fields := [...]string{s.ID, u.Provider, u.Subject, u.Email, u.Name, u.Picture, u.SessionID}
	b = slices.Grow(b, 2+(len(fields)+2)*binary.MaxVarintLen64+totalLen(fields[:]))
	b = append(b, identityV1)
	b = appendTime(b, s.Created)
	b = appendTime(b, s.Expires)
	for _, f := range fields {
		b = appendString(b, f)
	}
	var flags byte
	if u.EmailVerified {
		flags |= 1
	}
	return append(b, flags)
}

func totalLen(fields []string) int {
	n := 0
	for _, f := range fields {
		n += len(f)
	}
	return n
}

// reader reads fields out of a plaintext. Over a string (decoder), every
// decoded string shares the single allocation made for the plaintext; over
// bytes (see unpacker) the caller copies out what it keeps.
type reader[T string | []byte] struct {
	s   T
	err error
}

type decoder = reader[string]

func (d *reader[T]) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint([]byte(d.s[:min(len(d.s), binary.MaxVarintLen64)]))
	if n <= 0 {
		d.err = errCodec
		return 0
	}
	d.s = d.s[n:]
	return v
}

func (d *reader[T]) time() time.Time {
	if d.err != nil {
		return time.Time{}
	}
	v, n := binary.Varint([]byte(d.s[:min(len(d.s), binary.MaxVarintLen64)]))
	if n <= 0 {
		d.err = errCodec
		return time.Time{}
	}
	d.s = d.s[n:]
	if v == 0 {
		return time.Time{}
	}
	return time.Unix(v, 0)
}

// take consumes n bytes.
func (d *reader[T]) take(n uint64) T {
	var zero T
	if d.err != nil || n > uint64(len(d.s)) {
		d.err = errCodec
		return zero
	}
	v := d.s[:n]
	d.s = d.s[n:]
	return v
}

// str reads a length-prefixed string (or bytes).
func (d *reader[T]) str() T { return d.take(d.uvarint()) }

func (d *reader[T]) byte() byte {
	if d.err != nil || len(d.s) == 0 {
		d.err = errCodec
		return 0
	}
	v := d.s[0]
	d.s = d.s[1:]
	return v
}

func decodeIdentity(plain string, s *Session) error {
	d := &decoder{s: plain}
	if d.byte() != identityV1 {
		return errCodec
	}
	s.Created, s.Expires = d.time(), d.time()
	s.ID, s.User.Provider, s.User.Subject = d.str(), d.str(), d.str()
	s.User.Email, s.User.Name, s.User.Picture, s.User.SessionID = d.str(), d.str(), d.str(), d.str()
	s.User.EmailVerified = d.byte()&1 != 0
	if d.err == nil && len(d.s) != 0 {
		return errCodec
	}
	return d.err
}

// encodeSecrets writes the tokens and the raw profile (version 2: each
// token packed, see appendPacked).
func encodeSecrets(b []byte, sec *secrets) []byte {
	t := &sec.Tokens
	fields := [...]string{t.AccessToken, t.TokenType, t.RefreshToken, t.IDToken, strings.Join(t.Scopes, " ")}
	b = slices.Grow(b, 1+(len(fields)+2)*binary.MaxVarintLen64+totalLen(fields[:])+len(sec.Profile))
	b = append(b, secretsV2)
	for _, f := range fields {
		b = appendPacked(b, f)
	}
	b = binary.AppendUvarint(b, uint64(len(sec.Profile)))
	b = append(b, sec.Profile...)
	return appendTime(b, t.Expiry)
}

// decodeSecrets reads the tokens and the raw profile of either version.
// The strings it returns share one allocation of their own, never plain's
// memory, so the caller may wipe plain.
func decodeSecrets(plain []byte) (*secrets, error) {
	if len(plain) > 0 && plain[0] == secretsV1 {
		return decodeSecretsV1(string(plain))
	}
	u := &unpacker{reader: reader[[]byte]{s: plain}}
	if u.byte() != secretsV2 {
		return nil, errCodec
	}
	var f [5]string // access, type, refresh, ID token, scopes
	u.textFields(f[:])
	profile := u.str()
	expiry := u.time()
	if u.err == nil && len(u.s) != 0 {
		return nil, errCodec
	}
	if u.err != nil {
		return nil, u.err
	}
	sec := &secrets{Tokens: client.Tokens{AccessToken: f[0], TokenType: f[1], RefreshToken: f[2], IDToken: f[3], Expiry: expiry}}
	if f[4] != "" {
		sec.Tokens.Scopes = strings.Fields(f[4])
	}
	if len(profile) != 0 {
		sec.Profile = slices.Clone(profile)
	}
	return sec, nil
}

func decodeSecretsV1(plain string) (*secrets, error) {
	d := &decoder{s: plain}
	if d.byte() != secretsV1 {
		return nil, errCodec
	}
	sec := &secrets{}
	t := &sec.Tokens
	t.AccessToken, t.TokenType, t.RefreshToken, t.IDToken = d.str(), d.str(), d.str(), d.str()
	if scopes := d.str(); scopes != "" {
		t.Scopes = strings.Fields(scopes)
	}
	if p := d.str(); p != "" {
		sec.Profile = []byte(p)
	}
	t.Expiry = d.time()
	if d.err == nil && len(d.s) != 0 {
		return nil, errCodec
	}
	if d.err != nil {
		return nil, d.err
	}
	return sec, nil
}

// encodeFlow writes a pending login, its random values packed.
func encodeFlow(f *client.Flow) []byte {
	fields := [...]string{f.Provider, f.State, f.Nonce, f.Verifier, f.RedirectURL, f.ReturnTo}
	b := make([]byte, 0, 1+(len(fields)+1)*binary.MaxVarintLen64+totalLen(fields[:]))
	b = append(b, flowV1)
	for _, s := range fields {
		b = appendPacked(b, s)
	}
	// Seconds and nanoseconds apart: any time round-trips, the zero time too.
	b = binary.AppendVarint(b, f.Created.Unix())
	return binary.AppendUvarint(b, uint64(f.Created.Nanosecond()))
}

// decodeFlow reads a pending login in either encoding.
func decodeFlow(plain []byte) (*client.Flow, error) {
	if len(plain) > 0 && plain[0] == '{' {
		var f client.Flow
		if err := json.Unmarshal(plain, &f); err != nil {
			return nil, errCodec
		}
		return &f, nil
	}
	u := &unpacker{reader: reader[[]byte]{s: plain}}
	if u.byte() != flowV1 {
		return nil, errCodec
	}
	var fs [6]string
	u.textFields(fs[:])
	sec, n := binary.Varint(u.s)
	if u.err != nil || n <= 0 {
		return nil, errCodec
	}
	nsec, m := binary.Uvarint(u.s[n:])
	if m <= 0 || n+m != len(u.s) || nsec >= 1e9 {
		return nil, errCodec
	}
	return &client.Flow{Provider: fs[0], State: fs[1], Nonce: fs[2], Verifier: fs[3], RedirectURL: fs[4], ReturnTo: fs[5],
		Created: time.Unix(sec, int64(nsec))}, nil
}
