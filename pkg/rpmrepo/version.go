package rpmrepo

import (
	"cmp"
	"strings"
)

// evr is an rpm version, [epoch:]version[-release]; an absent epoch is
// "", an absent release "" with hasRelease false.
type evr struct {
	epoch, version, release string
	hasRelease              bool
}

// parseEVR splits s as rpm does: the epoch is a run of digits before a
// ':' at the start, the release what follows the last '-' after it.
func parseEVR(s string) evr {
	var v evr
	digits := len(s) - len(strings.TrimLeft(s, "0123456789"))
	if digits < len(s) && s[digits] == ':' {
		v.epoch, s = s[:digits], s[digits+1:]
	}
	v.version = s
	if i := strings.LastIndexByte(s, '-'); i >= 0 {
		v.version, v.release, v.hasRelease = s[:i], s[i+1:], true
	}
	return v
}

// compare orders two versions as rpm's rpmverCmp does: an absent epoch is
// 0, then the version, then the release, a version without a release
// sorting before one with it.
func (v evr) compare(w evr) int {
	e1, e2 := v.epoch, w.epoch
	if e1 == "" {
		e1 = "0"
	}
	if e2 == "" {
		e2 = "0"
	}
	if c := vercmp(e1, e2); c != 0 {
		return c
	}
	if c := vercmp(v.version, w.version); c != 0 {
		return c
	}
	switch {
	case v.hasRelease && w.hasRelease:
		return vercmp(v.release, w.release)
	case v.hasRelease:
		return 1
	case w.hasRelease:
		return -1
	}
	return 0
}

// CompareVersions compares two rpm versions, [epoch:]version[-release],
// as rpm's rpm.vercmp does (and dnf, when it picks the newest package):
// negative when a is older than b, zero when they are the same version
// (1.01 and 1.1, 0:1.0 and 1.0), positive when a is newer. A missing epoch
// is 0; a version without a release sorts before the same version with
// one. Each part is compared by rpmvercmp: '~' sorts before anything, the
// end of the string included (1.0~rc1 < 1.0), and '^' after the end but
// before anything else (1.0 < 1.0^git1 < 1.0.1).
func CompareVersions(a, b string) int {
	return parseEVR(a).compare(parseEVR(b))
}

// vercmp is rpm's rpmvercmp over one part of a version: the strings are
// read as runs of digits and runs of ASCII letters, anything else but '~'
// and '^' only separating them. Digit runs compare as numbers, letter runs
// as bytes, and a digit run is newer than a letter run; when one string
// runs out, the one with a run left is newer.
func vercmp(a, b string) int {
	if a == b {
		return 0
	}
	for a != "" || b != "" {
		a, b = skipSeparators(a), skipSeparators(b)
		if c, marked := compareMarks(&a, &b); marked {
			if c != 0 {
				return c
			}
			continue
		}
		if a == "" || b == "" {
			break
		}
		digits := isDigit(a[0])
		x, restA := run(a, digits)
		y, restB := run(b, digits)
		if y == "" { // b's run is of the other kind
			if digits {
				return 1
			}
			return -1
		}
		if c := compareRuns(x, y, digits); c != 0 {
			return c
		}
		a, b = restA, restB
	}
	switch {
	case a == "" && b == "":
		return 0
	case a != "":
		return 1
	}
	return -1
}

// compareMarks handles a '~' or '^' at the start of a or b: it reports
// whether one is there, and then either the order it decides or, when
// both strings have it, 0 after stepping past it. Either mark sorts before
// anything but itself; '~' before the end of the string too, '^' after it.
func compareMarks(a, b *string) (int, bool) {
	for _, mark := range []string{"~", "^"} {
		ha, hb := strings.HasPrefix(*a, mark), strings.HasPrefix(*b, mark)
		switch {
		case !ha && !hb:
			continue
		case ha && hb:
			*a, *b = (*a)[1:], (*b)[1:]
			return 0, true
		case mark == "^" && *a == "":
			return -1, true
		case mark == "^" && *b == "":
			return 1, true
		case ha:
			return -1, true
		}
		return 1, true
	}
	return 0, false
}

// skipSeparators drops the characters before the next letter, digit, '~'
// or '^'.
func skipSeparators(s string) string {
	i := 0
	for i < len(s) && !isAlnum(s[i]) && s[i] != '~' && s[i] != '^' {
		i++
	}
	return s[i:]
}

// run splits off the leading run of digits (or letters) of s.
func run(s string, digits bool) (string, string) {
	i := 0
	for i < len(s) && (digits && isDigit(s[i]) || !digits && isAlpha(s[i])) {
		i++
	}
	return s[:i], s[i:]
}

// compareRuns compares two runs of one kind: digits as numbers of any
// length, letters byte by byte.
func compareRuns(x, y string, digits bool) int {
	if digits {
		x, y = strings.TrimLeft(x, "0"), strings.TrimLeft(y, "0")
		if len(x) != len(y) {
			return cmp.Compare(len(x), len(y))
		}
	}
	return strings.Compare(x, y)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }
