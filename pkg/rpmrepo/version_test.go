package rpmrepo

import (
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/internal/testtool"
)

// versionOrder is a table of version pairs and their order, checked
// against rpm's own rpm.vercmp as the witness.
var versionOrder = []struct {
	a, b string
	want int
}{
	{"1.0", "1.0", 0},
	{"1.0", "1.1", -1},
	{"1.9", "1.10", -1},
	{"1.2.3", "1.10.0", -1},
	{"1.01", "1.1", 0},
	{"1.001", "1.01", 0},
	{"12345678901234567890", "9", 1},
	{"1.0", "1.0.0", -1},
	{"1.0", "1.0.", 0},
	{"1.0", "1_0", 0},
	{"1.0+1", "1.0.1", 0},
	{"1.0é", "1.0", 0},
	{"1.0a", "1.0", 1},
	{"1.0a", "1.0.1", -1},
	{"1.0.a", "1.0.1", -1},
	{"a", "b", -1},
	{"abc", "abd", -1},
	{"B", "a", -1},
	{"1.0~rc1", "1.0", -1},
	{"1.0~rc1", "1.0~rc2", -1},
	{"1.0~~", "1.0~", -1},
	{"1.0~", "1.0", -1},
	{"1.2.3~rc.1", "1.2.3~rc.1.1", -1},
	{"1.0^", "1.0", 1},
	{"1.0^git1", "1.0", 1},
	{"1.0^git1", "1.0.1", -1},
	{"1.0^git1", "1.0a", -1},
	{"1.0^git1", "1.0~rc1", 1},
	{"1.0^git1", "1.0^git2", -1},
	{"1.0~rc1^git1", "1.0~rc1", 1},
	{"1.0~rc1^git1", "1.0", -1},
	{"1.0-1", "1.0-2", -1},
	{"1.0-10", "1.0-9", 1},
	{"1.0", "1.0-1", -1},
	{"1.0-1", "1.0-1.el9", -1},
	{"1.0-1-1", "1.0-1-2", -1},
	{"1.2.3~rc.1-1", "1.2.3-1", -1},
	{"1:1.0", "2.0", 1},
	{"0:1.0", "1.0", 0},
	{":1.0", "0:1.0", 0},
	{"01:1.0", "1:1.0", 0},
	{"2:1.0-1", "10:0.1-1", -1},
	{"1:", "1", 1},
	{"a:1", "1", -1},
}

// TestCompareVersions checks the order in the table, both ways.
func TestCompareVersions(t *testing.T) {
	for _, tc := range versionOrder {
		if got := CompareVersions(tc.a, tc.b); got != tc.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := CompareVersions(tc.b, tc.a); got != -tc.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", tc.b, tc.a, got, -tc.want)
		}
	}
}

// TestCompareVersionsRPM: rpm's rpm.vercmp agrees with the table, in one
// rpm run.
func TestCompareVersionsRPM(t *testing.T) {
	rpm := testtool.Need(t, "rpm", "rpm")
	var lua strings.Builder
	for _, tc := range versionOrder {
		fmt.Fprintf(&lua, "print(rpm.vercmp(%q, %q) .. \" \") ", tc.a, tc.b)
	}
	out, err := exec.Command(rpm, "--eval", "%{lua: "+lua.String()+"}").CombinedOutput()
	if err != nil {
		t.Fatalf("rpm --eval: %v\n%s", err, out)
	}
	got := strings.Fields(string(out))
	if len(got) != len(versionOrder) {
		t.Fatalf("rpm printed %d results for %d pairs:\n%s", len(got), len(versionOrder), out)
	}
	for i, tc := range versionOrder {
		if want := fmt.Sprint(tc.want); got[i] != want {
			t.Errorf("rpm.vercmp(%q, %q) = %s, the table says %s", tc.a, tc.b, got[i], want)
		}
	}
}

// TestKeepNewest: each name and arch keeps its newest versions in rpm's
// order (epoch first, then version with '~' and '^', then release), and
// the count is per arch.
func TestKeepNewest(t *testing.T) {
	p := func(name, arch, epoch, version, release string) *pkg {
		return &pkg{name: name, arch: arch, epoch: epoch, version: version, release: release,
			href: fmt.Sprintf("packages/%s-%s:%s-%s.%s.rpm", name, epoch, version, release, arch)}
	}
	for _, tc := range []struct {
		name string
		pkgs []*pkg
		keep int
		want []string
	}{
		{"version order, not text", []*pkg{p("a", "x86_64", "0", "1.10.0", "1"), p("a", "x86_64", "0", "1.9.0", "1"),
			p("a", "x86_64", "0", "1.2.3", "1")}, 2, []string{"a-0:1.10.0-1.x86_64", "a-0:1.9.0-1.x86_64"}},
		{"epoch first", []*pkg{p("a", "x86_64", "1", "1.0", "1"), p("a", "x86_64", "0", "2.0", "1")}, 1,
			[]string{"a-1:1.0-1.x86_64"}},
		{"tilde before the release", []*pkg{p("a", "x86_64", "0", "2.0~rc1", "1"), p("a", "x86_64", "0", "2.0", "1")},
			1, []string{"a-0:2.0-1.x86_64"}},
		{"caret after it", []*pkg{p("a", "x86_64", "0", "2.0^git1", "1"), p("a", "x86_64", "0", "2.0", "1")},
			1, []string{"a-0:2.0^git1-1.x86_64"}},
		{"release", []*pkg{p("a", "x86_64", "0", "2.0", "10"), p("a", "x86_64", "0", "2.0", "9")},
			1, []string{"a-0:2.0-10.x86_64"}},
		{"per name and arch", []*pkg{p("a", "x86_64", "0", "2.0", "1"), p("a", "x86_64", "0", "1.0", "1"),
			p("a", "aarch64", "0", "1.0", "1"), p("b", "x86_64", "0", "0.1", "1")}, 1,
			[]string{"a-0:1.0-1.aarch64", "a-0:2.0-1.x86_64", "b-0:0.1-1.x86_64"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, k := range keepNewest(tc.pkgs, tc.keep) {
				got = append(got, k.nevra())
			}
			slices.Sort(got)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("keepNewest kept %v, want %v", got, tc.want)
			}
		})
	}
}
