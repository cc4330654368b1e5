package version

import "testing"

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
