package version

import "testing"

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		ok   bool
		want Version
	}{
		{"1.2.3", true, Version{1, 2, 3, "", ""}},
		{"v10.0.1-rc.1+build.7", true, Version{10, 0, 1, "rc.1", "build.7"}},
		{"1.2", false, Version{}},
		{"01.2.3", false, Version{}},
		{"1.2.3-", false, Version{}},
	} {
		got, err := Parse(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("Parse(%q) = %+v, %v", tc.in, got, err)
		}
	}
}

func TestRenderings(t *testing.T) {
	for _, tc := range []struct {
		in, str, deb, rpm, apk, msi string
		fixed                       [4]uint16
	}{
		{"1.2.3", "1.2.3", "1.2.3", "1.2.3", "1.2.3", "1.2.3", [4]uint16{1, 2, 3, 0}},
		{"v1.2.3-rc.1", "1.2.3-rc.1", "1.2.3~rc.1", "1.2.3~rc.1", "1.2.3_rc.1", "1.2.3", [4]uint16{1, 2, 3, 0}},
		{"1.2.3-beta-2+b.7", "1.2.3-beta-2+b.7", "1.2.3~beta-2+b.7", "1.2.3~beta_2+b.7", "1.2.3_beta-2", "1.2.3", [4]uint16{1, 2, 3, 0}},
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
		got := [5]string{v.String(), v.Deb(), v.RPM(), v.APK(), msi}
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
