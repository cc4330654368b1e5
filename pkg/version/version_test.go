package version

import (
	"cmp"
	"strconv"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		ok   bool
		want Version
	}{
		{"1.2.3", true, Version{Major: 1, Minor: 2, Patch: 3}},
		{"v10.0.1-rc.1+build.7", true, Version{Major: 10, Patch: 1, Pre: "rc.1", Build: "build.7"}},
		{"v1.2.3-4-gabc1234", true, Version{Major: 1, Minor: 2, Patch: 3, Commits: 4, Hash: "abc1234"}},
		{"v1.2.3-rc.1-12-g0123abcdef-dirty", true, Version{Major: 1, Minor: 2, Patch: 3, Pre: "rc.1", Commits: 12, Hash: "0123abcdef", Dirty: true}},
		{"v1.2.3-dirty", true, Version{Major: 1, Minor: 2, Patch: 3, Dirty: true}},
		{"v1.2.3+meta-1-gabcd", true, Version{Major: 1, Minor: 2, Patch: 3, Build: "meta", Commits: 1, Hash: "abcd"}},
		// Not git describe's suffix: an upper-case or too short hash is a
		// pre-release.
		{"1.2.3-4-gABC1234", true, Version{Major: 1, Minor: 2, Patch: 3, Pre: "4-gABC1234"}},
		{"1.2.3-4-gabc", true, Version{Major: 1, Minor: 2, Patch: 3, Pre: "4-gabc"}},
		{"1.2", false, Version{}},
		{"01.2.3", false, Version{}},
		{"1.2.3-", false, Version{}},
		{"-dirty", false, Version{}},
		{"1.2-4-gabc1234", false, Version{}},
	} {
		got, err := Parse(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("Parse(%q) = %+v, %v", tc.in, got, err)
		}
		if err == nil && "v"+got.String() != tc.in && got.String() != tc.in {
			t.Errorf("Parse(%q).String() = %q", tc.in, got)
		}
	}
}

func TestRenderings(t *testing.T) {
	for _, tc := range []struct {
		in, str, deb, rpm, apk, msi string
		fixed                       [4]uint16
	}{
		{"1.2.3", "1.2.3", "1.2.3", "1.2.3", "1.2.3", "1.2.3", [4]uint16{1, 2, 3, 0}},
		{"v1.2.3-rc.1", "1.2.3-rc.1", "1.2.3~rc.1", "1.2.3~rc.1", "1.2.3_rc1", "1.2.3", [4]uint16{1, 2, 3, 0}},
		{"1.2.3-beta-2+b.7", "1.2.3-beta-2+b.7", "1.2.3~beta-2+b.7", "1.2.3~beta_2+b.7", "", "1.2.3", [4]uint16{1, 2, 3, 0}},
		{"1.2.3-beta2", "1.2.3-beta2", "1.2.3~beta2", "1.2.3~beta2", "1.2.3_beta2", "1.2.3", [4]uint16{1, 2, 3, 0}},
		{"0.0.0-dev", "0.0.0-dev", "0.0.0~dev", "0.0.0~dev", "0.0.0_pre_alpha", "0.0.0", [4]uint16{0, 0, 0, 0}},
		{"v1.2.3-4-gabc1234", "1.2.3-4-gabc1234", "1.2.3+4.gabc1234", "1.2.3^4.gabc1234", "1.2.3_p4~abc1234", "1.2.3", [4]uint16{1, 2, 3, 0}},
		{"v1.2.3-4-gabc1234-dirty", "1.2.3-4-gabc1234-dirty", "1.2.3+4.gabc1234.dirty", "1.2.3^4.gabc1234.dirty", "1.2.3_p4_p0~abc1234", "1.2.3", [4]uint16{1, 2, 3, 0}},
		{"v1.2.3-dirty", "1.2.3-dirty", "1.2.3+0.dirty", "1.2.3^0.dirty", "1.2.3_p0", "1.2.3", [4]uint16{1, 2, 3, 0}},
		{"v1.2.3-rc.1-2-gabc1234", "1.2.3-rc.1-2-gabc1234", "1.2.3~rc.1+2.gabc1234", "1.2.3~rc.1^2.gabc1234", "1.2.3_rc1_p2~abc1234", "1.2.3", [4]uint16{1, 2, 3, 0}},
		{"1.2.4-0.dev", "1.2.4-0.dev", "1.2.4~0.dev", "1.2.4~~0.dev", "", "1.2.4", [4]uint16{1, 2, 4, 0}},
	} {
		v, err := Parse(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		msi, err := v.MSI()
		if err != nil {
			t.Fatal(err)
		}
		fixed, err := v.Fixed()
		if err != nil {
			t.Fatal(err)
		}
		apk, err := v.APK()
		if (err == nil) != (tc.apk != "") {
			t.Errorf("%s: APK() error %v", tc.in, err)
		}
		got := [5]string{v.String(), v.Deb(), v.RPM(), apk, msi}
		if want := [5]string{tc.str, tc.deb, tc.rpm, tc.apk, tc.msi}; got != want || fixed != tc.fixed {
			t.Errorf("%s: got %q %v, want %q %v", tc.in, got, fixed, want, tc.fixed)
		}
	}
}

func TestLimits(t *testing.T) {
	for _, tc := range []struct {
		in         string
		msi, vinfo bool // whether each fits
	}{
		{"255.255.65535", true, true},
		{"256.0.0", false, true},
		{"1.256.0", false, true},
		{"1.2.65536", false, false},
		{"65536.0.0", false, false},
	} {
		v, err := Parse(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		_, errMSI := v.MSI()
		_, errFixed := v.Fixed()
		if (errMSI == nil) != tc.msi || (errFixed == nil) != tc.vinfo {
			t.Errorf("%s: MSI error %v, VERSIONINFO error %v", tc.in, errMSI, errFixed)
		}
	}
}

// TestNuGet renders every example of the version table and checks that
// the renderings keep the examples' order under NuGet's rules (the four
// numbers, then a pre-release before its release, identifiers compared as
// SemVer 2 does), with builds of one commit, dirty or not, equal.
func TestNuGet(t *testing.T) {
	want := map[string]string{
		"v1.2.3-rc.1":             "1.2.3-rc.1",
		"v1.2.3-rc.1-2-gabc1234":  "1.2.3-rc.1.2",
		"v1.2.3":                  "1.2.3",
		"v1.2.3-dirty":            "1.2.3",
		"v1.2.3-4-gabc1234":       "1.2.3.4",
		"v1.2.3-4-gabc1234-dirty": "1.2.3.4",
		"1.2.4-0.dev":             "1.2.4-0.dev",
		"v1.2.4":                  "1.2.4",
	}
	var prev string
	for _, ex := range Examples() {
		v, err := Parse(ex.Version)
		if err != nil {
			t.Fatal(err)
		}
		got := v.NuGet()
		if got != want[ex.Version] {
			t.Errorf("%s: NuGet() = %q, want %q", ex.Version, got, want[ex.Version])
		}
		if prev != "" && nugetCompare(prev, got) > 0 {
			t.Errorf("%s sorts before %s in NuGet, but its build comes later", got, prev)
		}
		prev = got
	}
}

// nugetCompare orders two NuGet versions: up to four dot-separated
// numbers (missing ones are 0), then no pre-release above any, then the
// pre-release identifiers in turn (numbers below words, numbers by value,
// words by ASCII, fewer identifiers below more).
func nugetCompare(a, b string) int {
	split := func(s string) ([4]uint64, []string) {
		core, pre, _ := strings.Cut(s, "-")
		var n [4]uint64
		for i, p := range strings.Split(core, ".") {
			n[i], _ = strconv.ParseUint(p, 10, 64)
		}
		if pre == "" {
			return n, nil
		}
		return n, strings.Split(pre, ".")
	}
	na, pa := split(a)
	nb, pb := split(b)
	for i := range na {
		if c := cmp.Compare(na[i], nb[i]); c != 0 {
			return c
		}
	}
	switch {
	case pa == nil && pb == nil:
		return 0
	case pa == nil:
		return 1
	case pb == nil:
		return -1
	}
	for i := 0; i < len(pa) && i < len(pb); i++ {
		x, ex := strconv.ParseUint(pa[i], 10, 64)
		y, ey := strconv.ParseUint(pb[i], 10, 64)
		switch {
		case ex == nil && ey == nil:
			if c := cmp.Compare(x, y); c != 0 {
				return c
			}
		case ex == nil:
			return -1
		case ey == nil:
			return 1
		default:
			if c := strings.Compare(pa[i], pb[i]); c != 0 {
				return c
			}
		}
	}
	return cmp.Compare(len(pa), len(pb))
}
