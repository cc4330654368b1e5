package release

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/packager"
)

// A module of its own, so the test can edit its sources: one file is
// built for Linux only.
var incrementalModule = map[string]string{
	"go.mod": "module example.com/svc\n\ngo 1.26\n",
	"main.go": `package main

import (
	"fmt"
	"os"
)

var version = "dev"

func main() { fmt.Fprintln(os.Stdout, "svc", version, platform) }
`,
	"platform_linux.go": "//go:build linux\n\npackage main\n\nconst platform = \"linux\"\n",
	"platform_other.go": "//go:build !linux\n\npackage main\n\nconst platform = \"other\"\n",
	"LICENSE":           "MIT\n",
	"svcpack.yaml": `name: svc
main: .
targets: [linux/amd64, windows/amd64]
ldflags: ["-s", "-w", "-X main.version={{.Version}}"]
formats: [zip, msi, deb, rpm, tar.gz, sbom]
vendor: Acme Corp
maintainer: Acme Corp <ops@example.com>
windows:
  msi: {upgrade_code: 6B2A1E7C-5D3F-4A1B-9C8D-0E1F2A3B4C5D}
service:
  args: [run]
  wrap: false # what the program speaks is not this test's subject (see TestContractDetected)
  linux: {memory_max: 256M, bin_dir: /usr/lib/svc} # busybox has an svc: not in the PATH
`,
}

func writeModule(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func loadAt(t *testing.T, dir, dist string) *config.Spec {
	t.Helper()
	env := map[string]string{"SOURCE_DATE_EPOCH": "1700000000", "SVCPACK_VERSION": "2.0.1"}
	c, err := Load(filepath.Join(dir, "svcpack.yaml"), config.Env{Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	if dist != "" {
		c.Dist = dist
	}
	return c
}

// remade lists the artifacts a release made (not reused), leaving out the
// checksums that every release derives.
func remade(res *Result) []string {
	var out []string
	for _, a := range res.Artifacts {
		if !a.Reused && a.Kind != packager.KindChecksums {
			out = append(out, a.Path)
		}
	}
	sort.Strings(out)
	return out
}

type fileID struct {
	ino   uint64
	mtime int64
}

func fileIDs(t *testing.T, dist string) map[string]fileID {
	t.Helper()
	out := map[string]fileID{}
	filepath.WalkDir(dist, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dist, path)
		out[rel] = fileID{inode(fi), fi.ModTime().UnixNano()}
		return nil
	})
	return out
}

// TestIncrementalRelease: a release with nothing changed reuses every
// artifact and rewrites no file; a changed config field or a changed
// Linux-only source file redoes exactly the artifacts that depend on it;
// the incremental result is byte-identical to a forced full release.
func TestIncrementalRelease(t *testing.T) {
	dir := writeModule(t, incrementalModule)
	ctx := context.Background()
	release := func(c *config.Spec, o Options) *Result {
		t.Helper()
		res, err := Release(ctx, c, o)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	first := release(loadAt(t, dir, ""), Options{})
	all := remade(first)
	if len(all) != 9 {
		t.Fatalf("first release made %d artifacts, want 9 (2 binaries, zip, msi, deb, rpm, tar.gz, 2 sboms): %v", len(all), all)
	}
	before := fileIDs(t, first.Dist)

	// Nothing changed: every artifact reused, no file rewritten.
	var log strings.Builder
	second := release(loadAt(t, dir, ""), Options{Log: &log})
	if got := remade(second); len(got) != 0 {
		t.Errorf("no-change release made %v", got)
	}
	after := fileIDs(t, second.Dist)
	if len(after) != len(before) {
		t.Errorf("files: %d before, %d after", len(before), len(after))
	}
	for rel, id := range before {
		if after[rel] != id {
			t.Errorf("%s was rewritten by a no-change release", rel)
		}
	}
	t.Logf("no-change release:\n%s", log.String())
	if !strings.Contains(log.String(), "unchanged") {
		t.Errorf("the log does not say what was reused:\n%s", log.String())
	}

	// A Linux-only config field: the Linux packages only (the unit is in
	// the deb, the rpm and the tar.gz).
	cfg := filepath.Join(dir, "svcpack.yaml")
	b, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, []byte(strings.Replace(string(b), "memory_max: 256M", "memory_max: 300M", 1)), 0o644)
	third := release(loadAt(t, dir, ""), Options{})
	want := []string{"svc-2.0.1-1.x86_64.rpm", "svc_2.0.1-1_amd64.deb", "svc_2.0.1_linux_amd64.tar.gz"}
	if got := remade(third); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("after a memory_max change, made %v, want %v", got, want)
	}

	// A Linux-only source file: the Linux binary and all made from it.
	os.WriteFile(filepath.Join(dir, "platform_linux.go"), []byte("//go:build linux\n\npackage main\n\nconst platform = \"linux!\"\n"), 0o644)
	fourth := release(loadAt(t, dir, ""), Options{})
	want = []string{"svc-2.0.1-1.x86_64.rpm", "svc_2.0.1-1_amd64.deb", "svc_2.0.1_linux_amd64.sbom.cdx.json", "svc_2.0.1_linux_amd64.tar.gz", "svc_linux_amd64/svc"}
	if got := remade(fourth); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("after a Linux source change, made %v, want %v", got, want)
	}

	// The incremental result equals a full release of the same inputs.
	full := release(loadAt(t, dir, filepath.Join(t.TempDir(), "full")), Options{Force: true})
	if got := remade(full); len(got) != len(all) {
		t.Errorf("forced release made %d artifacts, want %d", len(got), len(all))
	}
	diffs, err := CompareDirs(fourth.Dist, full.Dist)
	if err != nil || len(diffs) > 0 {
		t.Errorf("incremental and full releases differ: %v %v", err, diffs)
	}

	// Editing a file in dist/ by hand, even keeping its size and time,
	// makes the next release redo it.
	deb := filepath.Join(fourth.Dist, "svc_2.0.1-1_amd64.deb")
	flipKeepingStat(t, deb, 1000)
	fifth := release(loadAt(t, dir, ""), Options{})
	if got := remade(fifth); strings.Join(got, " ") != "svc_2.0.1-1_amd64.deb" {
		t.Errorf("after tampering with the deb, made %v", got)
	}
	if diffs, _ := CompareDirs(fifth.Dist, full.Dist); len(diffs) > 0 {
		t.Errorf("repaired release differs from the full one: %v", diffs)
	}

	// A raw binary edited in the cache (build ID, size and time kept: go
	// build calls it up to date) is built again, not shipped.
	raw := filepath.Join(CacheDir(fifth.Dist), "bin", "svc_linux_amd64", "svc")
	flipKeepingStat(t, raw, 200_000)
	log.Reset()
	sixth := release(loadAt(t, dir, ""), Options{Log: &log})
	if !strings.Contains(log.String(), "is not known to be what go build wrote there") {
		t.Errorf("the log does not say the raw binary was rebuilt:\n%s", log.String())
	}
	if diffs, _ := CompareDirs(sixth.Dist, full.Dist); len(diffs) > 0 {
		t.Errorf("after tampering with the cached binary, the release differs from a clean one: %v", diffs)
	}
	// -force links the raw binaries anew, whatever the cache says.
	flipKeepingStat(t, raw, 200_000)
	os.Remove(filepath.Join(CacheDir(fifth.Dist), "raw.json"))
	forced := release(loadAt(t, dir, ""), Options{Force: true})
	if diffs, _ := CompareDirs(forced.Dist, full.Dist); len(diffs) > 0 {
		t.Errorf("a forced release after tampering differs from a clean one: %v", diffs)
	}
}

// flipKeepingStat inverts the byte at off in path and gives the file back
// its size and modification time, as an edit meant to go unnoticed would.
func flipKeepingStat(t *testing.T, path string, off int64) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[off] ^= 0xff
	if err := os.WriteFile(path, b, fi.Mode()); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
}
