package aptrepo

import (
	"os/exec"
	"testing"

	"github.com/svcpack/svcpack/internal/testtool"
)

// versionOrder is a table of version pairs and their order, checked
// against dpkg --compare-versions as the witness.
var versionOrder = []struct {
	a, b string
	want int
}{
	{"1.0", "1.0", 0},
	{"1.0", "1.0-0", 0},
	{"0:1.0", "1.0", 0},
	{"1.0-1", "1.0-2", -1},
	{"1.2.3-1", "1.2.4-1", -1},
	{"1.2.10-1", "1.2.9-1", 1},
	{"1.2.3~rc.1-1", "1.2.3-1", -1},
	{"1.2.3~rc.1-1", "1.2.3~rc.1+2.gabc1234-1", -1},
	{"1.2.3-1", "1.2.3+4.gabc1234-1", -1},
	{"1.2.3+4.gabc1234-1", "1.2.4~0.dev-1", -1},
	{"1.0~~", "1.0~", -1},
	{"1.0~", "1.0", -1},
	{"1.0", "1.0a", -1},
	{"1.0a", "1.0+", -1},
	{"1.0", "1.0.0", -1},
	{"1.01", "1.1", 0},
	{"1.001", "1.01", 0},
	{"2:0.1", "1:9.9", 1},
	{"1:1.0", "1.0", 1},
	{"1.0-1ubuntu1", "1.0-1", 1},
	{"1.0-1.1", "1.0-1", 1},
	{"9", "10", -1},
	{"1.0-a", "1.0-b", -1},
	{"1.0+dfsg-1", "1.0-1", 1},
	{"1.0-1~bpo1", "1.0-1", -1},
	{"4.7.19-1", "4.7.19-1", 0},
	{"1:2-3-4", "1:2-3-5", -1},
	{"1.0.0-20260101", "1.0.0-9", 1},
}

// TestCompareVersions checks the order in the table, both ways.
func TestCompareVersions(t *testing.T) {
	for _, tc := range versionOrder {
		got, err := CompareVersions(tc.a, tc.b)
		if err != nil {
			t.Errorf("CompareVersions(%q, %q): %v", tc.a, tc.b, err)
			continue
		}
		if got != tc.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if back, _ := CompareVersions(tc.b, tc.a); back != -tc.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", tc.b, tc.a, back, -tc.want)
		}
	}
}

// TestCompareVersionsDpkg: dpkg --compare-versions agrees with the table.
func TestCompareVersionsDpkg(t *testing.T) {
	rel := map[int]string{-1: "lt", 0: "eq", 1: "gt"}
	dpkg := testtool.Need(t, "dpkg", "dpkg")
	for _, tc := range versionOrder {
		if out, err := exec.Command(dpkg, "--compare-versions", tc.a, rel[tc.want], tc.b).CombinedOutput(); err != nil {
			t.Errorf("dpkg --compare-versions %s %s %s: %v %s (the table is wrong)", tc.a, rel[tc.want], tc.b, err, out)
		}
	}
}

// badVersions are what dpkg refuses as a version.
var badVersions = []string{"", "1.0 1", "a1.0", "1.0-", ":1.0", "x:1.0", "1:", "1.0_1", "1.0-1-", "1.0-a_b",
	"99999999999:1"}

// TestParseVersionRefuses: what dpkg refuses as a version is an error.
func TestParseVersionRefuses(t *testing.T) {
	for _, v := range badVersions {
		if _, err := parseVersion(v); err == nil {
			t.Errorf("parseVersion(%q) accepted it", v)
		}
	}
}

// TestParseVersionRefusesDpkg: dpkg refuses each of badVersions too.
func TestParseVersionRefusesDpkg(t *testing.T) {
	dpkg := testtool.Need(t, "dpkg", "dpkg")
	for _, v := range badVersions {
		if exec.Command(dpkg, "--validate-version", v).Run() == nil {
			t.Errorf("dpkg --validate-version accepts %q, which the table refuses", v)
		}
	}
}
