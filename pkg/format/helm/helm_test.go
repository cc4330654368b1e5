package helm

import (
	"slices"
	"testing"

	"github.com/Masterminds/semver/v3"

	"github.com/svcpack/svcpack/pkg/version"
)

// TestChartVersionOrder: the chart versions of a sequence of releases sort
// in release order by Masterminds/semver, the library Helm orders chart
// versions with, and each is a strict SemVer 2 version (helm lint
// --strict's rule).
func TestChartVersionOrder(t *testing.T) {
	releases := []string{ // in the order svcpack gives them
		"1.2.3-rc.1", "1.2.3-rc.1-2-gabc1234", "1.2.3-rc.1-2-gabc1234-dirty", "1.2.3-rc.1-10-gdef5678", "1.2.3-rc.2",
		"1.2.3", "1.2.3-dirty", "1.2.3-1-gabc1234", "1.2.3-9-gabc1234", "1.2.3-10-gabc1234", "1.2.3-10-gabc1234-dirty",
		"1.2.4-rc.1", "1.2.4", "1.10.0",
	}
	var got []*semver.Version
	for _, r := range releases {
		v, err := version.Parse(r)
		if err != nil {
			t.Fatal(err)
		}
		s, err := chartVersion(v)
		if err != nil {
			t.Fatal(err)
		}
		sv, err := semver.StrictNewVersion(s)
		if err != nil {
			t.Fatalf("%s -> %s: %v", r, s, err)
		}
		got = append(got, sv)
	}
	sorted := slices.SortedFunc(slices.Values(got), func(a, b *semver.Version) int { return a.Compare(b) })
	if !slices.Equal(got, sorted) {
		t.Errorf("chart versions out of order:\n%v\nsorted:\n%v", got, sorted)
	}
	for r, want := range map[string]string{
		"1.2.3": "1.2.3", "1.2.3-4-gabc1234": "1.2.4-0.4.gabc1234", "1.2.3-rc.1-4-gabc1234-dirty": "1.2.3-rc.1.0.4.gabc1234.dirty",
		"1.2.3+meta": "1.2.3+meta", "1.2.3+meta-4-gabc1234": "1.2.4-0.4.gabc1234+meta", "1.2.3-dirty": "1.2.4-0.0.dirty",
	} {
		v, _ := version.Parse(r)
		if s, _ := chartVersion(v); s != want {
			t.Errorf("%s: chart version %s, want %s", r, s, want)
		}
	}
	if _, err := chartVersion(version.Version{Patch: 1<<64 - 1, Commits: 1, Hash: "abcd"}); err == nil {
		t.Error("a patch number with no next one was mapped")
	}
}
