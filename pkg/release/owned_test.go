package release

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/pkg/packager"
)

// listTree lists a folder's entries (with the content of small files), one a
// line, to compare before and after.
func listTree(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		b.WriteString(p)
		if d.Type().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			b.WriteString(" " + string(data))
		}
		b.WriteString("\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestReleaseReplacesOnlyItsOwnDist: a release marks its dist (no artifact
// lists the marker) and replaces a marked one; a dist or cache folder
// holding other files is neither replaced nor removed, by Release, Build or
// Clean, and the message says why; one from before the marker (its
// artifacts.json) is replaced.
func TestReleaseReplacesOnlyItsOwnDist(t *testing.T) {
	c := tinyProject(t, "")
	o := Options{Targets: c.Targets[:1]}
	res, err := Release(context.Background(), c, o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(res.Dist, DistMarker)); err != nil {
		t.Fatalf("the release wrote no marker: %v", err)
	}
	sums, _ := os.ReadFile(filepath.Join(res.Dist, packager.ChecksumsName))
	manifest, _ := os.ReadFile(filepath.Join(res.Dist, packager.ManifestName))
	listed := slices.ContainsFunc(res.Artifacts, func(a Artifact) bool { return strings.Contains(a.Path, DistMarker) })
	if listed || strings.Contains(string(sums)+string(manifest), DistMarker) {
		t.Errorf("the marker is listed as an artifact:\n%s\n%s", sums, manifest)
	}
	if _, err := Release(context.Background(), c, o); err != nil {
		t.Fatalf("a release over its own dist: %v", err)
	}

	mine := filepath.Join(c.Dir, "mine")
	dists := map[string]string{"dist": filepath.Join(mine, "dist"), "cache": filepath.Join(mine, "out")}
	for name, dist := range dists {
		t.Run(name, func(t *testing.T) {
			notes := filepath.Join(dist, "notes.txt")
			if name == "cache" {
				notes = filepath.Join(CacheDir(dist), "notes.txt")
			}
			writeTestFile(t, notes, []byte("not svcpack's\n"))
			before := listTree(t, mine)
			o := Options{Targets: c.Targets[:1], Dist: dist}
			_, err := Release(context.Background(), c, o)
			if err == nil || !strings.Contains(err.Error(), "svcpack did not make it") {
				t.Errorf("release: %v, want a refusal", err)
			}
			if _, err := Build(context.Background(), c, o); err == nil {
				t.Error("build into it succeeded")
			}
			if err := Clean(dist); err == nil {
				t.Error("clean succeeded")
			}
			if after := listTree(t, mine); after != before {
				t.Errorf("the folder changed:\n%s->\n%s", before, after)
			}
			os.RemoveAll(mine)
		})
	}

	// A dist from before the marker: svcpack's artifacts.json says so.
	old := filepath.Join(c.Dir, "old")
	manifest = []byte(`{"name": "tiny", "version": "0.9.0", "artifacts": []}`)
	writeTestFile(t, filepath.Join(old, packager.ManifestName), manifest)
	writeTestFile(t, filepath.Join(old, "tiny_linux_amd64", "tiny"), []byte("old build"))
	if _, err := Release(context.Background(), c, Options{Targets: c.Targets[:1], Dist: old}); err != nil {
		t.Fatalf("a release over a dist from before the marker: %v", err)
	}
	if _, err := os.Stat(filepath.Join(old, DistMarker)); err != nil {
		t.Errorf("the replaced dist has no marker: %v", err)
	}
	if err := Clean(old); err != nil {
		t.Errorf("clean of svcpack's dist: %v", err)
	}
	for _, p := range []string{old, CacheDir(old)} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("clean left %s", p)
		}
	}
}

// TestStaleFoldersOnlyIfMine: what a killed run left beside dist is
// removed when svcpack made it; a folder of the same name holding other
// files is left, with a warning.
func TestStaleFoldersOnlyIfMine(t *testing.T) {
	c := tinyProject(t, "")
	parent := filepath.Dir(c.Dist)
	staging := filepath.Join(parent, ".dist.staging-123")
	old := filepath.Join(parent, ".dist.old-456")
	foreign := filepath.Join(parent, ".dist.old-789")
	writeTestFile(t, filepath.Join(staging, DistMarker), []byte(markerText))
	writeTestFile(t, filepath.Join(staging, "half.zip"), []byte("x"))
	writeTestFile(t, filepath.Join(old, "dist", DistMarker), []byte(markerText))
	writeTestFile(t, filepath.Join(foreign, "keep.txt"), []byte("mine"))
	var log strings.Builder
	if _, err := Release(context.Background(), c, Options{Targets: c.Targets[:1], Log: &log}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{staging, old} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s is left", p)
		}
	}
	if b, err := os.ReadFile(filepath.Join(foreign, "keep.txt")); err != nil || string(b) != "mine" {
		t.Errorf("%s was touched: %q %v", foreign, b, err)
	}
	if !strings.Contains(log.String(), "leaving "+foreign) {
		t.Errorf("no warning about %s:\n%s", foreign, log.String())
	}
}
