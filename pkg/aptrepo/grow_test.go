package aptrepo_test

import (
	"crypto/sha256"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/pkg/aptrepo"
	"github.com/svcpack/svcpack/pkg/pgpsign"
)

// grown builds the repository of debs growing from previous, and returns
// the error, or the folder it was written to.
func grown(t *testing.T, r aptrepo.Repository, previous string, debs []string, s *pgpsign.Signer) (string, error) {
	t.Helper()
	r.Previous = previous
	files, err := r.Build(debs, s)
	if err != nil {
		return "", err
	}
	dir := t.TempDir()
	if err := aptrepo.WriteDir(dir, files); err != nil {
		t.Fatal(err)
	}
	return dir, nil
}

// TestBuildGrows: a second release's tree holds both versions (and every
// index lists both), keep 1 drops the older one, and two builds over the
// same inputs give the same bytes.
func TestBuildGrows(t *testing.T) {
	src1, src2 := t.TempDir(), t.TempDir()
	s := signer(t)
	r := aptrepo.Repository{Origin: "hello", Date: date, KeyName: "hello"}
	one := build(t, r, []string{makeDeb(t, src1, "hello", "1.2.0", "amd64", ""),
		makeDeb(t, src1, "hello", "1.2.0", "arm64", "")}, s)
	// The second release is amd64 only, a newer version; arm64 stays.
	debs2 := []string{makeDeb(t, src2, "hello", "1.10.0", "amd64", "")}
	two, err := grown(t, r, one, debs2, s)
	if err != nil {
		t.Fatal(err)
	}
	a := tree(t, two)
	for _, want := range []string{
		"pool/main/h/hello/hello_1.2.0-1_amd64.deb", "pool/main/h/hello/hello_1.10.0-1_amd64.deb",
		"pool/main/h/hello/hello_1.2.0-1_arm64.deb", "dists/stable/main/binary-arm64/Packages",
	} {
		if _, ok := a[want]; !ok {
			t.Errorf("the grown tree has no %s", want)
		}
	}
	if a["pool/main/h/hello/hello_1.2.0-1_amd64.deb"] != tree(t, one)["pool/main/h/hello/hello_1.2.0-1_amd64.deb"] {
		t.Errorf("the grown tree changed the published deb")
	}
	pkgs := a["dists/stable/main/binary-amd64/Packages"]
	i, j := strings.Index(pkgs, "Version: 1.2.0-1\n"), strings.Index(pkgs, "Version: 1.10.0-1\n")
	if i < 0 || j < i {
		t.Errorf("amd64 Packages does not list 1.2.0-1 then 1.10.0-1:\n%s", pkgs)
	}
	if !strings.Contains(a["dists/stable/Release"], "Architectures: amd64 arm64\n") {
		t.Errorf("Release:\n%s", a["dists/stable/Release"])
	}
	for name, sum := range releaseSums(t, a["dists/stable/Release"]) {
		data := a["dists/stable/"+name]
		if got := fmt.Sprintf("%x %d", sha256sum(data), len(data)); got != sum {
			t.Errorf("%s: Release says %s, the file is %s", name, sum, got)
		}
	}
	again, err := grown(t, r, one, debs2, s)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(tree(t, again)) != fmt.Sprint(a) {
		t.Errorf("two builds over the same inputs differ")
	}
	// The same release again over its own tree: nothing changes.
	same, err := grown(t, r, two, debs2, s)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(tree(t, same)) != fmt.Sprint(a) {
		t.Errorf("releasing the same debs over the tree that has them changed it")
	}

	r.Keep = 1
	kept, err := grown(t, r, one, debs2, s)
	if err != nil {
		t.Fatal(err)
	}
	k := tree(t, kept)
	if _, ok := k["pool/main/h/hello/hello_1.2.0-1_amd64.deb"]; ok {
		t.Errorf("keep 1 kept the older amd64 deb")
	}
	if _, ok := k["pool/main/h/hello/hello_1.2.0-1_arm64.deb"]; !ok {
		t.Errorf("keep 1 dropped the only arm64 deb")
	}
	if p := k["dists/stable/main/binary-amd64/Packages"]; strings.Contains(p, "1.2.0-1") {
		t.Errorf("keep 1: amd64 Packages still lists 1.2.0-1:\n%s", p)
	}
	// An older version than the kept ones would not be published.
	if _, err := grown(t, r, kept, []string{makeDeb(t, t.TempDir(), "hello", "1.1.0", "amd64", "")}, s); err == nil ||
		!strings.Contains(err.Error(), "older than the 1 newest") {
		t.Errorf("Build of a deb keep drops: %v", err)
	}
}

func sha256sum(s string) [32]byte { return sha256.Sum256([]byte(s)) }

// TestBuildGrowRefuses: a changed deb of a published version, a previous
// tree that the key does not sign (or signed differently), or of another
// suite or origin, or with a deb the indexes do not list, is refused with
// what is wrong.
func TestBuildGrowRefuses(t *testing.T) {
	s := signer(t)
	r := aptrepo.Repository{Origin: "hello", Date: date, KeyName: "hello"}
	src := t.TempDir()
	deb := makeDeb(t, src, "hello", "1.2.0", "amd64", "")
	one := build(t, r, []string{deb}, s)
	next := []string{makeDeb(t, t.TempDir(), "hello", "1.3.0", "amd64", "")}

	// The same version with other bytes.
	changed := filepath.Join(t.TempDir(), filepath.Base(deb))
	b, _ := os.ReadFile(deb)
	os.WriteFile(changed, append(b, '\n'), 0o644) // ar members are 2-aligned: a trailing pad byte more
	if _, err := grown(t, r, one, []string{changed}, s); err == nil ||
		!strings.Contains(err.Error(), "never changes a published package") || !strings.Contains(err.Error(), changed) {
		t.Errorf("Build of a changed deb: %v", err)
	}

	copyTree := func(t *testing.T, edit func(dir string)) string {
		t.Helper()
		dir := t.TempDir()
		for p, data := range tree(t, one) {
			full := filepath.Join(dir, filepath.FromSlash(p))
			os.MkdirAll(filepath.Dir(full), 0o755)
			os.WriteFile(full, []byte(data), 0o644)
		}
		edit(dir)
		return dir
	}
	replace := func(file, from, to string) func(string) {
		return func(dir string) {
			p := filepath.Join(dir, filepath.FromSlash(file))
			b, _ := os.ReadFile(p)
			if !strings.Contains(string(b), from) {
				t.Fatalf("%s has no %q", file, from)
			}
			os.WriteFile(p, []byte(strings.Replace(string(b), from, to, 1)), 0o644)
		}
	}
	other := signer(t)
	otherTree := build(t, r, []string{deb}, other)
	const pkgs = "dists/stable/main/binary-amd64/Packages"
	for _, tc := range []struct {
		name, prev string
		r          aptrepo.Repository
		want       string
	}{
		{"tampered InRelease", copyTree(t, replace("dists/stable/InRelease", "Label: hello", "Label: hellO")), r,
			"does not verify with the configured key"},
		{"signed by another key", otherTree, r, "does not verify with the configured key"},
		{"not clear-signed", copyTree(t, func(dir string) {
			os.WriteFile(filepath.Join(dir, "dists/stable/InRelease"), []byte("Origin: hello\n"), 0o644)
		}), r, "is not clear-signed"},
		{"no InRelease", copyTree(t, func(dir string) { os.Remove(filepath.Join(dir, "dists/stable/InRelease")) }), r,
			"no dists/stable/InRelease"},
		{"a pool without dists", func() string {
			dir := t.TempDir()
			os.Mkdir(filepath.Join(dir, "pool"), 0o755)
			return dir
		}(), r, "no dists/stable/InRelease"},
		{"not a folder", deb, r, "is not a folder"},
		{"another suite", one, aptrepo.Repository{Suite: "prod", Origin: "hello", Date: date, KeyName: "hello"},
			"it is not an apt tree of suite prod"},
		{"another origin", one, aptrepo.Repository{Origin: "other", Date: date, KeyName: "hello"},
			`Origin is "hello", this repository's is "other"`},
		{"another component", one, aptrepo.Repository{Component: "extra", Origin: "hello", Date: date, KeyName: "hello"},
			`without this repository's component "extra"`},
		{"tampered Packages", copyTree(t, replace(pkgs, "Description:", "Description: x")), r,
			"is not the one InRelease signs"},
		{"a deb put in the pool", copyTree(t, func(dir string) {
			b, _ := os.ReadFile(next[0])
			os.WriteFile(filepath.Join(dir, "pool/main/h/hello/extra.deb"), b, 0o644)
		}), r, "pool/main/h/hello/extra.deb is in the pool but in no signed index"},
		{"a changed deb in the pool", copyTree(t, func(dir string) {
			p := filepath.Join(dir, "pool/main/h/hello", filepath.Base(deb))
			b, _ := os.ReadFile(p)
			os.WriteFile(p, append(b, '\n'), 0o644)
		}), r, "is not the deb dists/stable/main/binary-amd64/Packages lists"},
		{"a deb missing", copyTree(t, func(dir string) {
			os.Remove(filepath.Join(dir, "pool/main/h/hello", filepath.Base(deb)))
		}), r, "which is not in the tree"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := grown(t, tc.r, tc.prev, next, s)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Build: %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// TestBuildGrowsFromEmpty: the first release into an empty checkout (a
// folder with neither dists/ nor pool/, here with .git and a README) gives
// the tree a build without a previous tree gives.
func TestBuildGrowsFromEmpty(t *testing.T) {
	s := signer(t)
	r := aptrepo.Repository{Origin: "hello", Date: date, KeyName: "hello"}
	debs := []string{makeDeb(t, t.TempDir(), "hello", "1.2.0", "amd64", "")}
	empty := t.TempDir()
	os.Mkdir(filepath.Join(empty, ".git"), 0o755)
	os.WriteFile(filepath.Join(empty, "README.md"), []byte("the apt tree\n"), 0o644)
	if !aptrepo.Fresh(empty) {
		t.Fatal("Fresh: a folder without dists/ and pool/ holds a repository")
	}
	got, err := grown(t, r, empty, debs, s)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := tree(t, got), tree(t, build(t, r, debs, s)); !reflect.DeepEqual(a, b) {
		t.Errorf("the tree grown from an empty folder differs from a fresh one: %v", slices.Sorted(maps.Keys(a)))
	}
}

// TestWriteRefusesSwappedDeb: a deb that changes between Build (which
// hashes it for the indexes) and the copy into the tree is refused, both a
// new deb and one of the previous tree, rather than published under
// indexes that list other bytes.
func TestWriteRefusesSwappedDeb(t *testing.T) {
	src1, src2 := t.TempDir(), t.TempDir()
	s := signer(t)
	r := aptrepo.Repository{Origin: "hello", Date: date, KeyName: "hello"}
	one := build(t, r, []string{makeDeb(t, src1, "hello", "1.2.0", "amd64", "")}, s)
	newDeb := makeDeb(t, src2, "hello", "1.3.0", "amd64", "")
	oldDeb := filepath.Join(one, "pool/main/h/hello/hello_1.2.0-1_amd64.deb")
	for _, swapped := range []string{newDeb, oldDeb} {
		t.Run(filepath.Base(swapped), func(t *testing.T) {
			r := r
			r.Previous = one
			files, err := r.Build([]string{newDeb}, s)
			if err != nil {
				t.Fatal(err)
			}
			if err := aptrepo.WriteDir(t.TempDir(), files); err != nil {
				t.Fatalf("the unchanged tree is refused: %v", err)
			}
			orig, err := os.ReadFile(swapped)
			if err != nil {
				t.Fatal(err)
			}
			defer os.WriteFile(swapped, orig, 0o644)
			if err := os.WriteFile(swapped, append(orig[:len(orig):len(orig)], '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
			err = aptrepo.WriteDir(t.TempDir(), files)
			if err == nil || !strings.Contains(err.Error(), "changed while the repository was written") {
				t.Fatalf("WriteDir with %s swapped after Build: %v, want it refused", swapped, err)
			}
		})
	}
}
