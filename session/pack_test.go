package session

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func TestEncodeB64URL(t *testing.T) {
	t.Parallel()
	for n := range 200 {
		src := make([]byte, n)
		rand.Read(src)
		dst := make([]byte, base64.RawURLEncoding.EncodedLen(n))
		encodeB64URL(dst, src)
		if want := base64.RawURLEncoding.EncodeToString(src); string(dst) != want {
			t.Fatalf("%d bytes: %q, want %q", n, dst, want)
		}
	}
}

func FuzzEncodeB64URL(f *testing.F) {
	f.Add([]byte("\x00\xff\x10 any bytes at all"))
	f.Fuzz(func(t *testing.T, src []byte) {
		dst := make([]byte, base64.RawURLEncoding.EncodedLen(len(src)))
		encodeB64URL(dst, src)
		if want := base64.RawURLEncoding.EncodeToString(src); string(dst) != want {
			t.Fatalf("%q, want %q", dst, want)
		}
	})
}

func TestPackRoundTrip(t *testing.T) {
	t.Parallel()
	jws := "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiIxMjMiLCJhdWQiOiJhcHAifQ.c2lnbmF0dXJlLWJ5dGVz_-x"
	tests := []struct {
		name   string
		in     string
		packed bool
	}{
		{name: "JWS", in: jws, packed: true},
		{name: "JWE with empty key segment", in: "eyJhbGciOiJkaXIifQ..aXYtaXYtaXYtaXY.Y2lwaGVy.dGFn", packed: true},
		{name: "Google access token", in: "ya29.a0AfB_byC1234567890abcdefXYZ-_", packed: true},
		{name: "GitHub token", in: "gho_16C7e42F292c6912E7710c838347Ae178B4a", packed: true},
		{name: "one dot", in: ".", packed: true},
		{name: "two dots", in: "a2..b2", packed: true},
		{name: "eight segments", in: strings.Repeat("AAAA.", 7) + "AAAA", packed: true},
		{name: "nine segments", in: strings.Repeat("AAAA.", 8) + "AAAA"},
		{name: "empty"},
		{name: "trailing bits set", in: "Bearer", packed: true},
		{name: "length 5", in: "abcde", packed: true},
		{name: "segment of length 1", in: "abcd.e", packed: true},
		{name: "one character", in: "_", packed: true},
		{name: "padding", in: "YQ=="},
		{name: "standard alphabet", in: "ab+/"},
		{name: "newline", in: "abcd\nefgh"},
		{name: "carriage return", in: "abcd\refgh"},
		{name: "space", in: "openid email"},
		{name: "unicode", in: "Zoë"},
		{name: "binary", in: "\x00\xff\x80"},
		{name: "Azure opaque refresh", in: "0.AXkA~abc*def!"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := appendPacked(nil, tt.in)
			if packed := len(b) > 0 && b[0]&1 == 1; packed != tt.packed {
				t.Errorf("packed = %v, want %v (%x)", packed, tt.packed, b)
			}
			u := &unpacker{reader: reader[[]byte]{s: b}}
			end := u.text()
			if got := u.out.String(); u.err != nil || len(u.s) != 0 || end != len(got) || got != tt.in {
				t.Fatalf("unpacked %q (end %d, err %v, %d bytes left), want %q", got, end, u.err, len(u.s), tt.in)
			}
		})
	}
}

// TestPackShrinks: packed, 3 KB of JWT-shaped tokens seal into a quarter
// fewer bytes than as text.
func TestPackShrinks(t *testing.T) {
	t.Parallel()
	seg := strings.Repeat("eyJzdWIiOiIxMjMifQ", 57)[:1020]
	tok := testTokens(0)
	tok.AccessToken, tok.IDToken, tok.RefreshToken = seg+"."+seg, seg+"."+seg[:512], seg[:600]
	sec := &secrets{Tokens: tok}
	packed := len(encodeSecrets(nil, sec))
	text := len(tok.AccessToken) + len(tok.IDToken) + len(tok.RefreshToken)
	if packed > text*77/100 {
		t.Errorf("%d bytes of tokens encode into %d; want at most 77%%", text, packed)
	}
	got, err := decodeSecrets(encodeSecrets(nil, sec))
	if err != nil {
		t.Fatal(err)
	}
	assertTokens(t, got.Tokens, tok)
}

// TestDecodeSecretsV1 reads secrets written before packing (version 1).
func TestDecodeSecretsV1(t *testing.T) {
	t.Parallel()
	tok := testTokens(300)
	b := []byte{secretsV1}
	for _, f := range []string{tok.AccessToken, tok.TokenType, tok.RefreshToken, tok.IDToken, "openid email profile", `{"a":1}`} {
		b = appendString(b, f)
	}
	b = appendTime(b, tok.Expiry)
	got, err := decodeSecrets(b)
	if err != nil {
		t.Fatal(err)
	}
	assertTokens(t, got.Tokens, tok)
	if string(got.Profile) != `{"a":1}` {
		t.Errorf("Profile = %q", got.Profile)
	}
}

// TestDecodeSecretsOwnMemory: decoded strings survive the plaintext's wipe.
func TestDecodeSecretsOwnMemory(t *testing.T) {
	t.Parallel()
	tok := testTokens(400)
	plain := encodeSecrets(nil, &secrets{Tokens: tok, Profile: []byte(`{"b":2}`)})
	got, err := decodeSecrets(plain)
	if err != nil {
		t.Fatal(err)
	}
	clear(plain)
	assertTokens(t, got.Tokens, tok)
	if string(got.Profile) != `{"b":2}` {
		t.Errorf("Profile = %q after the plaintext was wiped", got.Profile)
	}
}

func TestUnpackMalformed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []byte
	}{
		{name: "no segments", in: []byte{1}},
		{name: "too many segments", in: []byte{(maxSegments+1)<<1 | 1, 4, 4, 4, 4, 4, 4, 4, 4, 4}},
		{name: "segment past end", in: []byte{1<<1 | 1, 8, 0, 0, 0, 0, 0}},
		{name: "short segment past end", in: []byte{1<<1 | 1, 1, 0, 0}},
		{name: "huge segment", in: []byte{1<<1 | 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}},
		{name: "lengths cut", in: []byte{3<<1 | 1, 4, 4}},
		{name: "raw past end", in: []byte{10 << 1, 'a'}},
		{name: "header unterminated", in: []byte{0x80}},
		{name: "empty", in: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u := &unpacker{reader: reader[[]byte]{s: tt.in}}
			u.text()
			if !errors.Is(u.err, errCodec) {
				t.Errorf("err = %v, want errCodec", u.err)
			}
			sec := append([]byte{secretsV2}, tt.in...)
			if got, err := decodeSecrets(sec); !errors.Is(err, errCodec) || got != nil {
				t.Errorf("decodeSecrets = %v, %v; want nil, errCodec", got, err)
			}
		})
	}
}

// BenchmarkDecodeSecrets: unpacking 3 KB of JWT-shaped tokens.
func BenchmarkDecodeSecrets(b *testing.B) {
	seg := strings.Repeat("eyJzdWIiOiIxMjMifQ", 57)[:1020]
	tok := testTokens(0)
	tok.AccessToken, tok.IDToken, tok.RefreshToken = seg+"."+seg, seg+"."+seg[:512], seg[:600]
	plain := encodeSecrets(nil, &secrets{Tokens: tok})
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeSecrets(plain); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPackSegmentLengths: segments of every length around the 1024
// characters packing copies at a time round-trip exactly.
func TestPackSegmentLengths(t *testing.T) {
	t.Parallel()
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	long := strings.Repeat(alphabet, 40)
	for _, n := range []int{1, 2, 3, 4, 5, 1019, 1020, 1021, 1022, 1023, 1024, 1025, 1026, 1027, 1028, 2047, 2048, 2049, 2050} {
		for _, in := range []string{long[:n], long[7:7+n] + "." + long[:3], "x." + long[1:1+n]} {
			u := &unpacker{reader: reader[[]byte]{s: appendPacked(nil, in)}}
			var got [1]string
			u.textFields(got[:])
			if u.err != nil || len(u.s) != 0 || got[0] != in {
				t.Fatalf("len %d: got %d chars (err %v), want %d", n, len(got[0]), u.err, len(in))
			}
		}
	}
}

// FuzzDecodeB64URL: decodeB64URL gives Go's bytes, and fails exactly when
// Go's decoder does.
func FuzzDecodeB64URL(f *testing.F) {
	f.Add([]byte("eyJhbGciOiJSUzI1NiJ9_-abcdefghijklmnop"))
	f.Add([]byte("eyJhbGci\nOiJSUzI1NiJ9"))
	f.Add([]byte("abcdefgh=="))
	f.Add([]byte("abcdefghA"))
	f.Fuzz(func(t *testing.T, src []byte) {
		got := make([]byte, base64.RawURLEncoding.DecodedLen(len(src)))
		want := make([]byte, len(got))
		n, err := decodeB64URL(got, src)
		wn, werr := base64.RawURLEncoding.Decode(want, src)
		if (err == nil) != (werr == nil) || (err == nil && string(got[:n]) != string(want[:wn])) {
			t.Fatalf("%q: got %q, %v; want %q, %v", src, got[:n], err, want[:wn], werr)
		}
	})
}

// BenchmarkDecodeB64URL: a 3 KB-token cookie's text, ours beside Go's.
func BenchmarkDecodeB64URL(b *testing.B) {
	raw := make([]byte, 3448)
	for i := range raw {
		raw[i] = byte(i * 7)
	}
	src := []byte(base64.RawURLEncoding.EncodeToString(raw))
	dst := make([]byte, len(raw))
	for _, c := range []struct {
		name string
		fn   func(dst, src []byte) (int, error)
	}{{"loginkit", decodeB64URL}, {"encoding-base64", base64.RawURLEncoding.Decode}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				if _, err := c.fn(dst, src); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
