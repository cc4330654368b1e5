package aptrepo_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/testgpg"
	"github.com/svcpack/svcpack/pkg/aptrepo"
	"github.com/svcpack/svcpack/pkg/linuxpkg"
	"github.com/svcpack/svcpack/pkg/pgpsign"
)

var date = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// makeDeb writes the deb of a tiny service for a GOARCH (and variant) into
// dir and returns its path.
func makeDeb(t *testing.T, dir, name, version, arch, variant string) string {
	t.Helper()
	bin := filepath.Join(dir, name+"-"+arch+variant)
	if err := os.WriteFile(bin, []byte("#!/bin/sh\necho "+name+" "+version+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	o := linuxpkg.Options{
		Name: name, Version: version, Arch: arch, Variant: variant, Maintainer: "Acme <ops@example.com>",
		Description: "A test service", Binary: bin, Date: date,
		Service: linuxpkg.Service{Name: name, Restart: "on-failure", RestartDelay: time.Second},
	}
	file, err := linuxpkg.FileName(o, "deb")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := linuxpkg.Package(o, "deb", &b); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, file)
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func signer(t *testing.T) *pgpsign.Signer {
	t.Helper()
	k := testgpg.New(t, "ed25519", "")
	s, err := pgpsign.Load(k.SecretFile, "", date)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// build writes the repository of debs into a new folder and returns it.
func build(t *testing.T, r aptrepo.Repository, debs []string, s *pgpsign.Signer) string {
	t.Helper()
	files, err := r.Build(debs, s)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := aptrepo.WriteDir(dir, files); err != nil {
		t.Fatal(err)
	}
	return dir
}

// tree reads every file under dir, by slash path.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestBuildIsDeterministic writes the repository of three architectures
// twice: the trees are identical, hold the layout apt reads, and Release's
// sizes and SHA-256 sums are the files'.
func TestBuildIsDeterministic(t *testing.T) {
	src := t.TempDir()
	debs := []string{
		makeDeb(t, src, "hello", "1.2.0", "amd64", ""),
		makeDeb(t, src, "hello", "1.2.0", "arm64", ""),
		makeDeb(t, src, "hello", "1.2.0", "arm", "7"),
	}
	s := signer(t)
	r := aptrepo.Repository{Origin: "hello", Date: date, KeyName: "hello"}
	a, b := tree(t, build(t, r, debs, s)), tree(t, build(t, r, debs, s))
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("two builds of the same inputs differ")
	}
	for _, want := range []string{
		"pool/main/h/hello/hello_1.2.0-1_amd64.deb", "pool/main/h/hello/hello_1.2.0-1_armhf.deb",
		"dists/stable/main/binary-arm64/Packages", "dists/stable/main/binary-armhf/Packages.gz",
		"dists/stable/main/binary-amd64/Packages.xz", "dists/stable/InRelease", "dists/stable/Release.gpg",
		"hello.gpg", "hello.asc",
	} {
		if _, ok := a[want]; !ok {
			t.Errorf("the tree has no %s", want)
		}
	}
	release := a["dists/stable/Release"]
	for _, want := range []string{
		"Origin: hello\n", "Label: hello\n", "Suite: stable\n", "Codename: stable\n",
		"Date: Sun, 01 Mar 2026 12:00:00 UTC\n", "Architectures: amd64 arm64 armhf\n", "Components: main\n",
	} {
		if !strings.Contains(release, want) {
			t.Errorf("Release lacks %q:\n%s", want, release)
		}
	}
	if !strings.Contains(a["dists/stable/InRelease"], release) {
		t.Errorf("InRelease does not carry Release:\n%s", a["dists/stable/InRelease"])
	}
	listed := releaseSums(t, release)
	if len(listed) != 9 {
		t.Errorf("Release lists %d indexes, want 9 (3 architectures x Packages, .gz, .xz)", len(listed))
	}
	for name, sum := range listed {
		data, ok := a["dists/stable/"+name]
		if !ok {
			t.Errorf("Release lists %s, which is not in the tree", name)
			continue
		}
		if got := fmt.Sprintf("%x %d", sha256.Sum256([]byte(data)), len(data)); got != sum {
			t.Errorf("%s: Release says %s, the file is %s", name, sum, got)
		}
	}
	pkgs := a["dists/stable/main/binary-armhf/Packages"]
	for _, want := range []string{
		"Package: hello\n", "Architecture: armhf\n", "Filename: pool/main/h/hello/hello_1.2.0-1_armhf.deb\n",
	} {
		if !strings.Contains(pkgs, want) {
			t.Errorf("armhf Packages lacks %q:\n%s", want, pkgs)
		}
	}
}

// releaseSums reads Release's SHA256 list: path -> "sum size".
func releaseSums(t *testing.T, release string) map[string]string {
	t.Helper()
	out := map[string]string{}
	in := false
	sc := bufio.NewScanner(strings.NewReader(release))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, " ") {
			in = line == "SHA256:"
			continue
		}
		if f := strings.Fields(line); in && len(f) == 3 {
			if _, err := strconv.Atoi(f[1]); err != nil {
				t.Errorf("Release line %q: size %v", line, err)
			}
			out[f[2]] = f[0] + " " + f[1]
		}
	}
	return out
}

// TestBuildRefuses: what cannot make a sound repository is refused with
// what is wrong.
func TestBuildRefuses(t *testing.T) {
	src := t.TempDir()
	deb := makeDeb(t, src, "hello", "1.2.0", "amd64", "")
	notDeb := filepath.Join(src, "notes.deb")
	os.WriteFile(notDeb, []byte("hello"), 0o644)
	s := signer(t)
	ok := aptrepo.Repository{Origin: "hello", Date: date, KeyName: "hello"}
	for _, tc := range []struct {
		name   string
		r      aptrepo.Repository
		debs   []string
		signer *pgpsign.Signer
		want   string
	}{
		{"unsigned", ok, []string{deb}, nil, "must be signed"},
		{"no debs", ok, nil, s, "no debs"},
		{"not a deb", ok, []string{notDeb}, s, "notes.deb: not a deb"},
		{"one deb twice", ok, []string{deb, deb}, s, "are both"},
		{"a suite with a slash", aptrepo.Repository{Suite: "a/b", Origin: "hello", Date: date, KeyName: "hello"},
			[]string{deb}, s, `suite "a/b"`},
		{"no origin", aptrepo.Repository{Date: date, KeyName: "hello"}, []string{deb}, s, `origin ""`},
		{"no date", aptrepo.Repository{Origin: "hello", KeyName: "hello"}, []string{deb}, s, "no date"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.r.Build(tc.debs, tc.signer)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Build: %v, want an error with %q", err, tc.want)
			}
		})
	}
}
