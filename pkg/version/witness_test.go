package version

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/internal/testtool"
)

var update = flag.Bool("update", false, "rewrite the version table in docs/configuration.md")

// ascending is the order every format must agree on: the version table's
// rows and their neighbours (another pre-release word, a later build, the
// next minor release).
func ascending(t *testing.T) []Version {
	t.Helper()
	in := []string{
		"1.2.2",
		"1.2.3-alpha", "1.2.3-alpha.1", "1.2.3-beta.2", "1.2.3-dev", "1.2.3-dev.2", "1.2.3-pre",
		"1.2.3-rc.1", "1.2.3-rc.1-2-gabc1234", "1.2.3-rc.1-2-gabc1234-dirty", "1.2.3-rc.2",
		"1.2.3", "1.2.3-dirty", "1.2.3-4-gabc1234", "1.2.3-4-gabc1234-dirty", "1.2.3-10-g0123abcd",
		"1.2.4-0.dev", "1.2.4-rc.1", "1.2.4", "1.10.0",
	}
	var out []Version
	for _, s := range in {
		v, err := Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	// Every row of the version table is among them.
	for _, ex := range Examples() {
		v, err := Parse(ex.Version)
		if err != nil {
			t.Fatalf("example %q: %v", ex.Version, err)
		}
		if !slices.Contains(out, v) {
			t.Fatalf("example %s is not in the ascending list", ex.Version)
		}
	}
	return out
}

// pairs calls fn for every pair a < b of the list.
func pairs(vs []Version, fn func(a, b Version)) {
	for i := range vs {
		for j := i + 1; j < len(vs); j++ {
			fn(vs[i], vs[j])
		}
	}
}

// TestDebOrderDpkg: dpkg --compare-versions agrees with the order, on the
// full package versions (upstream-revision).
func TestDebOrderDpkg(t *testing.T) {
	dpkg := testtool.Need(t, "dpkg", "dpkg")
	pairs(ascending(t), func(a, b Version) {
		x, y := a.Deb()+"-"+DebRevision, b.Deb()+"-"+DebRevision
		if out, err := exec.Command(dpkg, "--compare-versions", x, "lt", y).CombinedOutput(); err != nil {
			t.Errorf("dpkg: %s is not below %s (%s and %s): %v %s", x, y, a, b, err, out)
		}
		if err := exec.Command(dpkg, "--validate-version", x).Run(); err != nil {
			t.Errorf("dpkg rejects %s: %v", x, err)
		}
	})
}

// TestRPMOrderVercmp: rpm's own rpm.vercmp agrees with the order on the
// Version tags (the releases are equal), in one rpm run.
func TestRPMOrderVercmp(t *testing.T) {
	rpm := testtool.Need(t, "rpm", "rpm")
	vs := ascending(t)
	var lua strings.Builder
	var want []string
	pairs(vs, func(a, b Version) {
		fmt.Fprintf(&lua, "print(rpm.vercmp(%q, %q) .. \" \") ", a.RPM()+"-"+RPMRelease, b.RPM()+"-"+RPMRelease)
		want = append(want, a.String()+" < "+b.String())
	})
	out, err := exec.Command(rpm, "--eval", "%{lua: "+lua.String()+"}").CombinedOutput()
	if err != nil {
		t.Fatalf("rpm --eval: %v\n%s", err, out)
	}
	got := strings.Fields(string(out))
	if len(got) != len(want) {
		t.Fatalf("rpm printed %d results for %d pairs:\n%s", len(got), len(want), out)
	}
	for i, r := range got {
		if r != "-1" {
			t.Errorf("rpm.vercmp: %s is %s, want -1", want[i], r)
		}
	}
	for _, v := range vs {
		if !regexp.MustCompile(`^[A-Za-z0-9._+~^]+$`).MatchString(v.RPM()) {
			t.Errorf("%s: %q holds characters rpm does not allow in a Version", v, v.RPM())
		}
	}
}

// apkVersion is a version in apk's documented grammar (apk-package(5),
// "version"): number{.number}...{letter}{_suffix{number}}...{~hash}{-r#},
// suffixes alpha, beta, pre, rc, <no suffix>, cvs, svn, git, hg, p in this
// order, hash lower-case hex. Written from that page for this test (Debian
// has no apk tool); where it is silent, a suffix without a number sorts
// before the same suffix with one.
type apkVersion struct {
	nums     []uint64
	letter   byte
	suffixes [][2]int64 // rank, number (-1 when absent)
	rev      int64
}

var apkSuffixRank = map[string]int64{"alpha": 0, "beta": 1, "pre": 2, "rc": 3, "cvs": 5, "svn": 6, "git": 7, "hg": 8, "p": 9}

const apkNoSuffix = 4

var apkRE = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)*)([a-z]?)((?:_(?:alpha|beta|pre|rc|cvs|svn|git|hg|p)[0-9]*)*)(~[0-9a-f]+)?(-r[0-9]+)?$`)

func parseAPK(s string) (apkVersion, error) {
	m := apkRE.FindStringSubmatch(s)
	if m == nil {
		return apkVersion{}, fmt.Errorf("%q is not in apk's version grammar", s)
	}
	var v apkVersion
	for _, n := range strings.Split(m[1], ".") {
		x, _ := strconv.ParseUint(n, 10, 64)
		v.nums = append(v.nums, x)
	}
	if m[2] != "" {
		v.letter = m[2][0]
	}
	for _, suf := range strings.Split(m[3], "_")[1:] {
		name := strings.TrimRight(suf, "0123456789")
		num := int64(-1)
		if d := suf[len(name):]; d != "" {
			num, _ = strconv.ParseInt(d, 10, 64)
		}
		v.suffixes = append(v.suffixes, [2]int64{apkSuffixRank[name], num})
	}
	v.rev = -1
	if m[5] != "" {
		v.rev, _ = strconv.ParseInt(m[5][2:], 10, 64)
	}
	return v, nil
}

func (a apkVersion) compare(b apkVersion) int {
	for i := 0; i < max(len(a.nums), len(b.nums)); i++ {
		var x, y uint64
		if i < len(a.nums) {
			x = a.nums[i]
		}
		if i < len(b.nums) {
			y = b.nums[i]
		}
		if c := cmpInt(int64(x), int64(y)); c != 0 {
			return c
		}
	}
	if c := cmpInt(int64(a.letter), int64(b.letter)); c != 0 {
		return c
	}
	for i := 0; i < max(len(a.suffixes), len(b.suffixes)); i++ {
		x, y := [2]int64{apkNoSuffix, -1}, [2]int64{apkNoSuffix, -1}
		if i < len(a.suffixes) {
			x = a.suffixes[i]
		}
		if i < len(b.suffixes) {
			y = b.suffixes[i]
		}
		if c := cmpInt(x[0], y[0]); c != 0 {
			return c
		}
		if c := cmpInt(x[1], y[1]); c != 0 {
			return c
		}
	}
	return cmpInt(a.rev, b.rev)
}

func cmpInt(x, y int64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// TestAPKOrderGrammar: every rendering is in apk's documented grammar and
// sorts by its documented rules. Pre-releases apk cannot express (a
// numeric one, 1.2.4-0.dev) are errors, which check reports.
func TestAPKOrderGrammar(t *testing.T) {
	var vs []Version
	for _, v := range ascending(t) {
		if _, err := v.APK(); err != nil {
			if v.Pre != "0.dev" {
				t.Errorf("%s: %v", v, err)
			}
			continue
		}
		vs = append(vs, v)
	}
	pairs(vs, func(a, b Version) {
		x, _ := a.APK()
		y, _ := b.APK()
		pa, err := parseAPK(x + "-" + APKRelease)
		if err != nil {
			t.Error(err)
			return
		}
		pb, err := parseAPK(y + "-" + APKRelease)
		if err != nil {
			t.Error(err)
			return
		}
		if pa.compare(pb) >= 0 {
			t.Errorf("apk: %s does not sort below %s (%s and %s)", x, y, a, b)
		}
	})
	for _, bad := range []string{"1.2.3_rc.1", "1.2.3_dev", "1.2.3~ABC", "1.2.3-1"} {
		if _, err := parseAPK(bad); err == nil {
			t.Errorf("the grammar accepts %q", bad)
		}
	}
}

// versionsDoc is the page that holds the version table, from this package's
// directory.
const versionsDoc = "../../docs/configuration.md"

// TestDocsVersionTable keeps the version table in docs/configuration.md this
// package's (go test ./pkg/version -run TestDocsVersionTable -update
// rewrites it).
func TestDocsVersionTable(t *testing.T) {
	const begin, end = "<!-- versions: made from pkg/version by TestDocsVersionTable -->\n", "<!-- end of versions -->\n"
	data, err := os.ReadFile(versionsDoc)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("docs/configuration.md lacks the markers %q and %q", begin, end)
	}
	want := s[:i+len(begin)] + Table() + s[j:]
	if want == s {
		return
	}
	if *update {
		if err := os.WriteFile(versionsDoc, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("docs/configuration.md's version table is not pkg/version's; run go test ./pkg/version -run TestDocsVersionTable -update\nwant:\n%s", Table())
}
