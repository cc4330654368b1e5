package aptrepo

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// debVersion is a Debian package version, [epoch:]upstream[-revision], as
// dpkg parses it (deb-version(7)).
type debVersion struct {
	epoch              int
	upstream, revision string
}

// parseVersion reads a package version as dpkg does and refuses what dpkg
// refuses: an empty version, spaces, a bad epoch, an upstream part that
// does not start with a digit, and characters outside each part's set.
func parseVersion(s string) (debVersion, error) {
	var v debVersion
	if s == "" {
		return v, errors.New("version is empty")
	}
	if strings.ContainsAny(s, " \t\n") {
		return v, fmt.Errorf("version %q has spaces", s)
	}
	rest := s
	if e, after, ok := strings.Cut(s, ":"); ok {
		n, err := strconv.ParseUint(e, 10, 64)
		if e == "" || err != nil || n > math.MaxInt32 {
			return v, fmt.Errorf("version %q: epoch %q is not a number up to %d", s, e, math.MaxInt32)
		}
		v.epoch, rest = int(n), after
	}
	v.upstream = rest
	if i := strings.LastIndexByte(rest, '-'); i >= 0 {
		v.upstream, v.revision = rest[:i], rest[i+1:]
		if v.revision == "" {
			return v, fmt.Errorf("version %q: the revision after the last '-' is empty", s)
		}
	}
	switch {
	case v.upstream == "":
		return v, fmt.Errorf("version %q: the upstream version is empty", s)
	case !isDigit(v.upstream[0]):
		return v, fmt.Errorf("version %q: the upstream version does not start with a digit", s)
	}
	for _, c := range []byte(v.upstream) {
		if !isAlnum(c) && !strings.ContainsRune(".-+~:", rune(c)) {
			return v, fmt.Errorf("version %q: %q is not allowed in the upstream version", s, c)
		}
	}
	for _, c := range []byte(v.revision) {
		if !isAlnum(c) && !strings.ContainsRune(".+~", rune(c)) {
			return v, fmt.Errorf("version %q: %q is not allowed in the revision", s, c)
		}
	}
	return v, nil
}

// compare orders two versions as dpkg --compare-versions does: by epoch,
// then upstream version, then revision.
func (v debVersion) compare(w debVersion) int {
	if v.epoch != w.epoch {
		if v.epoch < w.epoch {
			return -1
		}
		return 1
	}
	if c := compareParts(v.upstream, w.upstream); c != 0 {
		return c
	}
	return compareParts(v.revision, w.revision)
}

// CompareVersions compares two Debian package versions as
// `dpkg --compare-versions` does: negative when a sorts before b, zero
// when they are equal (1.0 and 1.0-0, 0:1 and 1), positive after. A
// version dpkg refuses is an error.
func CompareVersions(a, b string) (int, error) {
	va, err := parseVersion(a)
	if err != nil {
		return 0, err
	}
	vb, err := parseVersion(b)
	if err != nil {
		return 0, err
	}
	return va.compare(vb), nil
}

// compareParts is dpkg's verrevcmp: the strings alternate non-digit runs,
// compared character by character with '~' before everything (the end
// included) and letters before other characters, and digit runs, compared
// as numbers.
func compareParts(a, b string) int {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for (i < len(a) && !isDigit(a[i])) || (j < len(b) && !isDigit(b[j])) {
			ac, bc := order(a, i), order(b, j)
			if ac != bc {
				return cmp.Compare(ac, bc)
			}
			i, j = i+1, j+1
		}
		for i < len(a) && a[i] == '0' {
			i++
		}
		for j < len(b) && b[j] == '0' {
			j++
		}
		first := 0
		for i < len(a) && isDigit(a[i]) && j < len(b) && isDigit(b[j]) {
			if first == 0 {
				first = int(a[i]) - int(b[j])
			}
			i, j = i+1, j+1
		}
		if i < len(a) && isDigit(a[i]) {
			return 1
		}
		if j < len(b) && isDigit(b[j]) {
			return -1
		}
		if first != 0 {
			return cmp.Compare(first, 0)
		}
	}
	return 0
}

// order is the weight of s[i] in a non-digit run: the end and digits 0,
// '~' -1, letters their code, anything else its code + 256.
func order(s string, i int) int {
	if i >= len(s) {
		return 0
	}
	switch c := s[i]; {
	case isDigit(c):
		return 0
	case isAlpha(c):
		return int(c)
	case c == '~':
		return -1
	default:
		return int(c) + 256
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }
