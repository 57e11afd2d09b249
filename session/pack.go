package session

import (
	"encoding/base64"
	"encoding/binary"
	"slices"
	"strings"
)

// Tokens are nearly always base64url text, whole (GitHub's, Google's
// refresh tokens) or in dot-separated segments (a JWS has three, a JWE
// five, Google's access tokens two). Sealed as text and then base64url
// encoded for a cookie, each character would cost 8 bits of plaintext and
// 10⅔ of cookie. Packed, each character of a segment takes its 6 bits, which
// makes the token cookies a quarter shorter: 3 KB of tokens fit in one
// cookie instead of two, and a request carrying them fits in net/http's
// 4 KB read buffer. Text with any character outside the base64url alphabet
// is stored as it is, so every string round-trips exactly.
//
// A packed field is uvarint(segments<<1 | 1), the length in characters of
// each segment, then each segment base64url-decoded after padding it with
// 'A' (zero bits) to a multiple of 4 characters, so any length and any last
// character pack. A field stored as it is, is uvarint(len<<1) and its bytes.
// Packing is not compression: the length of the plaintext follows the
// length of the text, whatever the text says.

// maxSegments bounds the segments of a packed token (a JWE has five).
const maxSegments = 8

// b64Alphabet is base64url's (RFC 4648 §5), in the order of the values.
const b64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// isB64URL reports the characters of the base64url alphabet (RFC 4648 §5).
var isB64URL = func() (t [256]bool) {
	for _, c := range b64Alphabet {
		t[c] = true
	}
	return t
}()

// packedLen is the bytes a segment of n characters packs into.
func packedLen(n int) int { return (n + 3) / 4 * 3 }

// appendPacked appends s packed when it is base64url segments, else as it is.
func appendPacked(b []byte, s string) []byte {
	segs, ok := packable(s)
	if !ok {
		b = binary.AppendUvarint(b, uint64(len(s))<<1)
		return append(b, s...)
	}
	b = binary.AppendUvarint(b, uint64(segs)<<1|1)
	for rest := s; ; {
		i := strings.IndexByte(rest, '.')
		if i < 0 {
			b = binary.AppendUvarint(b, uint64(len(rest)))
			break
		}
		b = binary.AppendUvarint(b, uint64(i))
		rest = rest[i+1:]
	}
	b = slices.Grow(b, packedLen(len(s)))
	for rest := s; ; {
		i := strings.IndexByte(rest, '.')
		if i < 0 {
			return appendDecoded(b, rest)
		}
		b = appendDecoded(b, rest[:i])
		rest = rest[i+1:]
	}
}

// appendDecoded appends the packedLen(len(seg)) bytes that seg, base64url
// characters padded with 'A' (zero bits) to whole quads, decodes to. The
// text goes through a buffer on the stack.
func appendDecoded(b []byte, seg string) []byte {
	var buf [1024]byte
	for len(seg) > 0 {
		n := copy(buf[:], seg)
		seg = seg[n:]
		for n%4 != 0 {
			buf[n] = 'A'
			n++
		}
		b, _ = base64.RawURLEncoding.AppendDecode(b, buf[:n]) // cannot fail: whole quads of the alphabet
	}
	return b
}

// packable reports whether s is at most maxSegments dot-separated segments
// of base64url characters, and how many.
func packable(s string) (segs int, ok bool) {
	if s == "" {
		return 0, false
	}
	segs = 1
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isB64URL[c]:
		case c == '.' && segs < maxSegments:
			segs++
		default:
			return 0, false
		}
	}
	return segs, true
}

// unpacker reads version 2 secrets, writing the text of every string field
// into out, one after another, so that they all share out's one allocation.
type unpacker struct {
	reader[[]byte]
	out strings.Builder
}

// textFields decodes len(dst) string fields (at most 8) into dst; they share
// out's one allocation.
func (u *unpacker) textFields(dst []string) {
	var ends [8]int
	u.out.Grow(len(u.s)*4/3 + 8) // packed text grows by a third
	for i := range dst {
		ends[i] = u.text()
	}
	if u.err != nil {
		return
	}
	text, start := u.out.String(), 0
	for i := range dst {
		dst[i], start = text[start:ends[i]], ends[i]
	}
}

// text decodes one string field into out and returns where it ends there.
func (u *unpacker) text() int {
	h := u.uvarint()
	if h&1 == 0 {
		u.out.Write(u.take(h >> 1))
		return u.out.Len()
	}
	segs := h >> 1
	if segs == 0 || segs > maxSegments {
		u.err = errCodec
		return 0
	}
	var lens [maxSegments]int
	for i := range segs {
		n := u.uvarint()
		if n > uint64(len(u.s))*4/3+4 {
			u.err = errCodec
			return 0
		}
		lens[i] = int(n)
	}
	for i, n := range lens[:segs] {
		raw := u.take(uint64(packedLen(n)))
		if u.err != nil {
			return 0
		}
		if i > 0 {
			u.out.WriteByte('.')
		}
		writeB64URL(&u.out, raw, n)
	}
	return u.out.Len()
}

// writeB64URL writes the first n characters of src's base64url text to sb,
// encoded through a buffer on the stack (with encodeB64URL).
func writeB64URL(sb *strings.Builder, src []byte, n int) {
	var buf [1024]byte // 768 bytes of src at a time
	for len(src) > 0 && n > 0 {
		in := src[:min(len(src), 768)]
		src = src[len(in):]
		m := min(n, base64.RawURLEncoding.EncodedLen(len(in)))
		encodeB64URL(buf[:], in)
		sb.Write(buf[:m])
		n -= m
	}
}

// b64Pairs maps 12 bits to their two base64url characters, the first in
// the low byte.
var b64Pairs = func() (t [1 << 12]uint16) {
	for v := range t {
		t[v] = uint16(b64Alphabet[v>>6]) | uint16(b64Alphabet[v&63])<<8
	}
	return t
}()

// encodeB64URL is base64.RawURLEncoding.Encode at about twice its speed:
// six bytes at a time, through b64Pairs. dst holds EncodedLen(len(src)).
func encodeB64URL(dst, src []byte) {
	for len(src) >= 8 && len(dst) >= 8 { // reads 8 bytes, uses 6
		x := binary.BigEndian.Uint64(src)
		binary.LittleEndian.PutUint64(dst, uint64(b64Pairs[x>>52])|uint64(b64Pairs[x>>40&0xfff])<<16|
			uint64(b64Pairs[x>>28&0xfff])<<32|uint64(b64Pairs[x>>16&0xfff])<<48)
		src, dst = src[6:], dst[8:]
	}
	base64.RawURLEncoding.Encode(dst, src)
}

// b64PairValues maps two base64url characters, the first in the low byte,
// to the 12 bits they stand for; any other pair maps to badPair. Only
// pairs of the alphabet's 64 characters are ever read on valid input, about
// 15 KB of the table.
var b64PairValues = func() *[1 << 16]uint16 {
	t := new([1 << 16]uint16)
	for i := range t {
		t[i] = badPair
	}
	for hi, c1 := range []byte(b64Alphabet) {
		for lo, c2 := range []byte(b64Alphabet) {
			t[int(c1)|int(c2)<<8] = uint16(hi<<6 | lo)
		}
	}
	return t
}()

const badPair = 1 << 15

// decodeB64URL is base64.RawURLEncoding.Decode at about twice its speed:
// eight characters at a time, through b64PairValues. From the first group
// holding anything but the alphabet (a newline, padding, garbage) the rest
// is left to encoding/base64, so the result and whether it fails are always
// Go's (FuzzDecodeB64URL). dst holds DecodedLen(len(src)) bytes.
func decodeB64URL(dst, src []byte) (int, error) {
	n := 0
	for len(src) >= 16 && len(dst)-n >= 14 { // two groups; writes 14 bytes, keeps 12
		x, y := binary.LittleEndian.Uint64(src), binary.LittleEndian.Uint64(src[8:])
		a, b := b64PairValues[x&0xffff], b64PairValues[x>>16&0xffff]
		c, d := b64PairValues[x>>32&0xffff], b64PairValues[x>>48]
		e, f := b64PairValues[y&0xffff], b64PairValues[y>>16&0xffff]
		g, h := b64PairValues[y>>32&0xffff], b64PairValues[y>>48]
		if (a|b|c|d|e|f|g|h)&badPair != 0 {
			break
		}
		out := dst[n : n+14]
		binary.BigEndian.PutUint64(out, uint64(a)<<52|uint64(b)<<40|uint64(c)<<28|uint64(d)<<16)
		binary.BigEndian.PutUint64(out[6:], uint64(e)<<52|uint64(f)<<40|uint64(g)<<28|uint64(h)<<16)
		src, n = src[16:], n+12
	}
	for len(src) >= 8 && len(dst)-n >= 8 { // writes 8 bytes, keeps 6
		x := binary.LittleEndian.Uint64(src)
		a, b := b64PairValues[x&0xffff], b64PairValues[x>>16&0xffff]
		c, d := b64PairValues[x>>32&0xffff], b64PairValues[x>>48]
		if (a|b|c|d)&badPair != 0 {
			break
		}
		binary.BigEndian.PutUint64(dst[n:], uint64(a)<<52|uint64(b)<<40|uint64(c)<<28|uint64(d)<<16)
		src, n = src[8:], n+6
	}
	m, err := base64.RawURLEncoding.Decode(dst[n:], src)
	return n + m, err
}
