package session

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"unsafe"
)

func newTestSealer(t testing.TB, purpose string, labels ...string) *Sealer {
	t.Helper()
	var keys [][]byte
	for _, l := range labels {
		keys = append(keys, testKey(l))
	}
	s, err := NewSealer(keys, purpose)
	if err != nil {
		t.Fatalf("NewSealer: %v", err)
	}
	return s
}

func TestNewSealerKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		keys    [][]byte
		wantErr bool
	}{
		{name: "nil", wantErr: true},
		{name: "empty list", keys: [][]byte{}, wantErr: true},
		{name: "nil key", keys: [][]byte{nil}, wantErr: true},
		{name: "31 bytes", keys: [][]byte{make([]byte, MinKeyLen-1)}, wantErr: true},
		{name: "old key short", keys: [][]byte{make([]byte, 32), make([]byte, 8)}, wantErr: true},
		{name: "32 bytes", keys: [][]byte{make([]byte, MinKeyLen)}},
		{name: "long key", keys: [][]byte{make([]byte, 1000)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := NewSealer(tt.keys, "session"); (err != nil) != tt.wantErr {
				t.Errorf("NewSealer error = %v, want error %t", err, tt.wantErr)
			}
		})
	}
}

func TestSealerOpen(t *testing.T) {
	t.Parallel()
	plain, ad := []byte("the quick brown fox"), []byte("lk")
	sealed := newTestSealer(t, "session", "k1").Seal(plain, ad)
	tests := []struct {
		name    string
		opener  *Sealer
		text    string
		ad      string
		wantErr error
	}{
		{name: "same key", opener: newTestSealer(t, "session", "k1"), text: sealed, ad: "lk"},
		{name: "rotated: new then old", opener: newTestSealer(t, "session", "k2", "k1"), text: sealed, ad: "lk"},
		{name: "rotated: old in the middle", opener: newTestSealer(t, "session", "k2", "k1", "k3"), text: sealed, ad: "lk"},
		{name: "key dropped", opener: newTestSealer(t, "session", "k2"), text: sealed, ad: "lk", wantErr: ErrDecrypt},
		{name: "other purpose", opener: newTestSealer(t, "flow", "k1"), text: sealed, ad: "lk", wantErr: ErrDecrypt},
		{name: "other ad", opener: newTestSealer(t, "session", "k1"), text: sealed, ad: "lk_t0", wantErr: ErrDecrypt},
		{name: "empty ad", opener: newTestSealer(t, "session", "k1"), text: sealed, ad: "", wantErr: ErrDecrypt},
		{name: "bit flipped", opener: newTestSealer(t, "session", "k1"), text: flipBit(sealed), ad: "lk", wantErr: ErrDecrypt},
		{name: "truncated", opener: newTestSealer(t, "session", "k1"), text: sealed[:len(sealed)-2], ad: "lk", wantErr: ErrDecrypt},
		{name: "empty", opener: newTestSealer(t, "session", "k1"), text: "", ad: "lk", wantErr: ErrDecrypt},
		{name: "shorter than nonce and tag", opener: newTestSealer(t, "session", "k2", "k1"), text: sealed[:30], ad: "lk", wantErr: ErrDecrypt},
		{name: "padded", opener: newTestSealer(t, "session", "k1"), text: sealed + "==", ad: "lk", wantErr: ErrDecrypt},
		{name: "standard alphabet", opener: newTestSealer(t, "session", "k1"), text: strings.NewReplacer("-", "+", "_", "/").Replace(sealed) + "+/", ad: "lk", wantErr: ErrDecrypt},
		{name: "not base64", opener: newTestSealer(t, "session", "k1"), text: "%%%%", ad: "lk", wantErr: ErrDecrypt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.opener.Open(nil, tt.text, []byte(tt.ad))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Open error = %v, want %v", err, tt.wantErr)
			}
			if err == nil && !bytes.Equal(got, plain) {
				t.Errorf("Open = %q, want %q", got, plain)
			}
		})
	}
}

// TestSealerOpenScratch: with a large enough scratch, Open returns the
// plaintext inside it; with a small one it still works.
func TestSealerOpenScratch(t *testing.T) {
	t.Parallel()
	plain, ad := bytes.Repeat([]byte("p"), 500), []byte("ad")
	sealed := newTestSealer(t, "session", "k1").Seal(plain, ad)
	tests := []struct {
		name      string
		opener    *Sealer
		scratch   []byte
		wantAlias bool
	}{
		{name: "no scratch", opener: newTestSealer(t, "session", "k1")},
		{name: "small scratch", opener: newTestSealer(t, "session", "k1"), scratch: make([]byte, 10)},
		{name: "big scratch", opener: newTestSealer(t, "session", "k1"), scratch: make([]byte, 0, 4096), wantAlias: true},
		{name: "big scratch, key second", opener: newTestSealer(t, "session", "k2", "k1"), scratch: make([]byte, 0, 4096), wantAlias: true},
		{name: "big scratch, key first of two", opener: newTestSealer(t, "session", "k1", "k2"), scratch: make([]byte, 0, 4096)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.opener.Open(tt.scratch, sealed, ad)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if !bytes.Equal(got, plain) {
				t.Errorf("Open returned wrong plaintext")
			}
			if inside := overlaps(got, tt.scratch); inside != tt.wantAlias {
				t.Errorf("plaintext in scratch = %t, want %t", inside, tt.wantAlias)
			}
		})
	}
}

func TestSealFresh(t *testing.T) {
	t.Parallel()
	s := newTestSealer(t, "session", "k1")
	a, b := s.Seal([]byte("same"), nil), s.Seal([]byte("same"), nil)
	if a == b {
		t.Error("two seals of the same plaintext are equal: nonce reused")
	}
	for _, v := range []string{a, b} {
		if _, err := base64.RawURLEncoding.DecodeString(v); err != nil {
			t.Errorf("Seal output %q is not unpadded base64url: %v", v, err)
		}
		if n := len(v); n != base64.RawURLEncoding.EncodedLen(12+4+16) {
			t.Errorf("sealed length = %d, want nonce+plaintext+tag", n)
		}
	}
}

// overlaps reports whether a and b share backing memory.
func overlaps(a, b []byte) bool {
	a, b = a[:cap(a)], b[:cap(b)]
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	pa, pb := uintptr(unsafe.Pointer(&a[0])), uintptr(unsafe.Pointer(&b[0]))
	return pa < pb+uintptr(len(b)) && pb < pa+uintptr(len(a))
}

// TestSealTextEveryLength: Seal's text is exactly base64url (Go's) of nonce,
// ciphertext and tag, across the lengths where its chunked encoder turns
// over, and opens back to the plaintext.
func TestSealTextEveryLength(t *testing.T) {
	t.Parallel()
	s, err := NewSealer([][]byte{testKey("k1")}, "t")
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n <= 3*768+40; n++ {
		if n > 40 && n%768 > 40 && n%768 < 740 && n%97 != 0 {
			continue
		}
		plain := bytes.Repeat([]byte{byte(n)}, n)
		text := s.Seal(plain, []byte("ad"))
		raw, err := base64.RawURLEncoding.DecodeString(text)
		if err != nil || len(raw) != 12+n+16 {
			t.Fatalf("n=%d: %d bytes, %v", n, len(raw), err)
		}
		got, err := s.Open(nil, text, []byte("ad"))
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("n=%d: open: %v", n, err)
		}
	}
}
