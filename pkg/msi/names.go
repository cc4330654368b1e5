package msi

import (
	"crypto/sha1"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// CheckName reports why name cannot be a file or folder name in an
// installer (a Windows long name in code page 1252), or nil.
func CheckName(name string) error { return checkLongName(name) }

// checkLongName checks a Windows long file name that MSI can hold.
func checkLongName(s string) error {
	switch {
	case s == "":
		return errors.New("empty name")
	case len(s) > 255:
		return errors.New("longer than 255 characters")
	case strings.ContainsAny(s, `\/:*?"<>|`):
		return errors.New(`contains one of \ / : * ? " < > | (MSI file names cannot hold them)`)
	case strings.HasSuffix(s, ".") || strings.HasSuffix(s, " "):
		return errors.New("ends in a dot or space")
	case s == "." || s == "..":
		return errors.New("is a relative path element")
	}
	for _, r := range s {
		if r < 0x20 {
			return errors.New("contains a control character")
		}
	}
	if _, err := encode1252(s); err != nil {
		return err
	}
	return nil
}

func installDirSegments(pr *Product) []string {
	d := pr.InstallDir
	if d == "" {
		d = pr.Name
	}
	return strings.Split(strings.Trim(strings.ReplaceAll(d, "/", `\`), `\`), `\`)
}

// parseGUID accepts a GUID with or without braces and returns its 16
// bytes in RFC 4122 (big-endian) order.
func parseGUID(s string) ([16]byte, error) {
	var g [16]byte
	t := strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	if len(t) != 36 || t[8] != '-' || t[13] != '-' || t[18] != '-' || t[23] != '-' {
		return g, fmt.Errorf("%q is not a GUID like 6b2a1e7c-1234-4abc-8def-0123456789ab", s)
	}
	hex := strings.ReplaceAll(t, "-", "")
	for i := 0; i < 16; i++ {
		n, err := strconv.ParseUint(hex[2*i:2*i+2], 16, 8)
		if err != nil {
			return g, fmt.Errorf("%q is not a GUID like 6b2a1e7c-1234-4abc-8def-0123456789ab", s)
		}
		g[i] = byte(n)
	}
	return g, nil
}

// guidString formats a GUID the way MSI wants it: braced, upper case.
func guidString(g [16]byte) string {
	return fmt.Sprintf("{%X-%X-%X-%X-%X}", g[0:4], g[4:6], g[6:8], g[8:10], g[10:16])
}

// uuidV5 derives a name-based (SHA-1, version 5) UUID as in RFC 4122.
func uuidV5(ns [16]byte, name string) [16]byte {
	h := sha1.New()
	h.Write(ns[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0F | 0x50
	u[8] = u[8]&0x3F | 0x80
	return u
}

// valid83 reports whether name is already a valid short (8.3) name.
func valid83(name string) bool {
	base, ext, dot := strings.Cut(name, ".")
	if len(base) == 0 || len(base) > 8 || len(ext) > 3 || (dot && (ext == "" || strings.Contains(ext, "."))) {
		return false
	}
	for _, r := range base + ext {
		if !short83Char(r) {
			return false
		}
	}
	return true
}

func short83Char(r rune) bool {
	return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("_^$~!#%&-{}@`'()", r)
}

// defaultName returns the "short|long" form of a file or directory name
// for DefaultDir and FileName, generating a unique short name when the
// long name is not already 8.3. used holds the upper-cased short names
// taken in the same directory.
func defaultName(long string, used map[string]bool) string {
	if valid83(long) && !used[strings.ToUpper(long)] {
		used[strings.ToUpper(long)] = true
		return long
	}
	clean := func(s string, n int) string {
		var b strings.Builder
		for _, r := range strings.ToUpper(s) {
			if short83Char(r) && r != '~' && b.Len() < n {
				b.WriteRune(r)
			}
		}
		return b.String()
	}
	base, ext := long, ""
	if i := strings.LastIndex(long, "."); i > 0 {
		base, ext = long[:i], long[i+1:]
	}
	b, e := clean(base, 6), clean(ext, 3)
	if b == "" {
		b = "F"
	}
	for n := 1; ; n++ {
		suffix := "~" + strconv.Itoa(n)
		bb := b
		if len(bb)+len(suffix) > 8 {
			bb = bb[:8-len(suffix)]
		}
		short := bb + suffix
		if e != "" {
			short += "." + e
		}
		if !used[short] {
			used[short] = true
			return short + "|" + long
		}
	}
}

// identifier turns s into a unique MSI identifier with the given prefix.
func identifier(prefix, s string, used map[string]bool) string {
	var b strings.Builder
	b.WriteString(prefix)
	for _, r := range s {
		if r < 0x80 && (r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	id := b.String()
	if id == "" || !validIdentifier(id[:1]) {
		id = "_" + id
	}
	if len(id) > 60 {
		id = id[:60]
	}
	base := id
	for n := 2; used[id]; n++ {
		id = base + "_" + strconv.Itoa(n)
	}
	used[id] = true
	return id
}

// folderSegments splits a folder path on \ and /.
func folderSegments(p string) []string {
	var out []string
	for _, seg := range strings.FieldsFunc(p, func(r rune) bool { return r == '\\' || r == '/' }) {
		out = append(out, seg)
	}
	return out
}
