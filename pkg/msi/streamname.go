package msi

import (
	"fmt"
	"unicode/utf16"
)

// maxStreamName is the longest stream name, in UTF-16 code units, that a
// compound file can hold (31 plus the terminating NUL).
const maxStreamName = 31

// mimeIndex maps the 64 characters that the MSI stream-name compression can
// pack to their 6-bit values, or returns -1.
func mimeIndex(c rune) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 36
	case c == '.':
		return 62
	case c == '_':
		return 63
	}
	return -1
}

// encodeStreamName applies Windows Installer's stream-name compression:
// pairs of characters from the 64-character set are packed into one code
// point in U+3800..U+47FF, a lone such character becomes U+4800+value, and
// other characters are kept. Table streams start with U+4840. The result
// must fit in a compound file directory entry.
func encodeStreamName(name string, table bool) (string, error) {
	var out []rune
	if table {
		out = append(out, 0x4840)
	}
	rs := []rune(name)
	for i := 0; i < len(rs); i++ {
		a := mimeIndex(rs[i])
		if a < 0 {
			out = append(out, rs[i])
			continue
		}
		if i+1 < len(rs) {
			if b := mimeIndex(rs[i+1]); b >= 0 {
				out = append(out, rune(0x3800+a+b<<6))
				i++
				continue
			}
		}
		out = append(out, rune(0x4800+a))
	}
	if n := len(utf16.Encode(out)); n > maxStreamName {
		return "", fmt.Errorf("msi: stream name %q is %d UTF-16 units once compressed, over the limit of %d", name, n, maxStreamName)
	}
	return string(out), nil
}

// decodeStreamName reverses encodeStreamName; it reports whether the name
// carried the table prefix.
func decodeStreamName(enc string) (name string, table bool) {
	const set = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz._"
	var out []rune
	for i, r := range []rune(enc) {
		switch {
		case i == 0 && r == 0x4840:
			table = true
		case r >= 0x3800 && r < 0x4800:
			v := r - 0x3800
			out = append(out, rune(set[v&63]), rune(set[v>>6]))
		case r >= 0x4800 && r < 0x4840:
			out = append(out, rune(set[r-0x4800]))
		default:
			out = append(out, r)
		}
	}
	return string(out), table
}
