package release

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/testgpg"
	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/oci"
	"github.com/svcpack/svcpack/pkg/packager"
)

const splitYAML = `name: hello
main: ./examples/hello
ldflags: ["-s", "-w", "-X main.version={{.Version}}"]
vendor: Acme Corp
maintainer: Acme Corp <ops@example.com>
license: MIT
windows:
  icon: examples/hello/hello.png
  msi: {upgrade_code: 6B2A1E7C-5D3F-4A1B-9C8D-0E1F2A3B4C5D}
service:
  args: [run]
files:
  - {src: examples/hello/config.yaml, dst: config.yaml, config: true}
`

// splitAllYAML is splitYAML with every format, the release-wide ones
// (package managers' manifests, the image index) made at merge and the
// universal binary, which combines two targets, made in their part.
const splitAllYAML = splitYAML + `formats: [zip, msi, deb, rpm, apk, tar.gz, sbom, winget, scoop, chocolatey, homebrew, oci, universal]
download_url: https://downloads.example.com/hello/{{.Version}}/{{.File}}
description: The hello example service
homepage: https://example.com/hello
`

// tree returns every file under dir by its slash path, with its digest.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for p, sum := range snapshot(t, dir) {
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = sum
	}
	return out
}

// sameTree fails the test, naming each file, unless got and want hold the
// same files with the same content.
func sameTree(t *testing.T, name, got, want string) {
	t.Helper()
	g, w := tree(t, got), tree(t, want)
	for p, sum := range w {
		switch gs, ok := g[p]; {
		case !ok:
			t.Errorf("%s: %s is missing from the merged release", name, p)
		case gs != sum:
			t.Errorf("%s: %s differs from the single release's", name, p)
		}
	}
	for p := range g {
		if _, ok := w[p]; !ok {
			t.Errorf("%s: %s is in the merged release only", name, p)
		}
	}
}

// releaseParts makes one part per list of target patterns, under dir.
func releaseParts(t *testing.T, c *config.Spec, dir string, parts [][]string) []string {
	t.Helper()
	var dirs []string
	for i, globs := range parts {
		targets, err := MatchTargets(c, globs)
		if err != nil {
			t.Fatal(err)
		}
		d := filepath.Join(dir, fmt.Sprintf("part%d", i+1))
		if _, err := Release(context.Background(), c, Options{Partial: true, Targets: targets, Dist: d}); err != nil {
			t.Fatalf("part %v: %v", globs, err)
		}
		for _, whole := range []string{packager.ChecksumsName, packager.SignatureName, packager.ManifestName} {
			if _, err := os.Stat(filepath.Join(d, whole)); err == nil {
				t.Errorf("part %v holds %s, a file of the whole release", globs, whole)
			}
		}
		m, err := ReadPart(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, tg := range targets {
			if !slices.Contains(m.Targets, tg.String()) {
				t.Errorf("part %v: manifest targets %v lack %s", globs, m.Targets, tg)
			}
		}
		dirs = append(dirs, d)
	}
	return dirs
}

// sameModes fails the test unless every file of want has the same
// permissions in got.
func sameModes(t *testing.T, got, want string) {
	t.Helper()
	filepath.WalkDir(want, func(f string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(want, f)
		w, _ := os.Stat(f)
		g, err := os.Stat(filepath.Join(got, rel))
		if err != nil {
			t.Error(err)
		} else if g.Mode().Perm() != w.Mode().Perm() {
			t.Errorf("%s: mode %v, want %v", rel, g.Mode().Perm(), w.Mode().Perm())
		}
		return nil
	})
}

// TestSplitMergeEqualsRelease: a release made in two or three parts, split
// any way, and merged is the single-machine release byte for byte, every
// file of dist/ included (artifacts.json and checksums.txt).
func TestSplitMergeEqualsRelease(t *testing.T) {
	c := helloProjectEnv(t, splitAllYAML, nil, "windows/amd64", "windows/arm64", "linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64")
	dir := t.TempDir()
	single := filepath.Join(dir, "single")
	if _, err := Release(context.Background(), c, Options{Dist: single}); err != nil {
		t.Fatal(err)
	}
	for name, split := range map[string][][]string{
		"two":   {{"windows/*"}, {"linux/*", "darwin/*"}},
		"three": {{"linux/arm64", "windows/amd64"}, {"darwin/*"}, {"windows/arm64", "linux/amd64"}},
	} {
		t.Run(name, func(t *testing.T) {
			d := filepath.Join(dir, name)
			parts := releaseParts(t, c, d, split)
			slices.Reverse(parts) // the order of the parts does not matter
			// As actions/upload-artifact delivers them: no modes kept.
			for _, p := range parts {
				filepath.WalkDir(p, func(f string, e fs.DirEntry, err error) error {
					if err == nil && e.Type().IsRegular() {
						err = os.Chmod(f, 0o644)
					}
					return err
				})
			}
			// The merge builds nothing: it runs no go command.
			noGo := filepath.Join(d, "no-go-here")
			merged := filepath.Join(d, "merged")
			if _, err := Merge(context.Background(), c, OpenParts(context.Background(), parts, Options{}), Options{Dist: merged, GoTool: noGo}); err != nil {
				t.Fatal(err)
			}
			sameTree(t, name, merged, single)
			sameModes(t, merged, single)
		})
	}
}

// TestSplitSignedAtMerge: packages are signed in their part, checksums.txt
// at merge, and the result is the single release's, with a signature gpg
// accepts.
func TestSplitSignedAtMerge(t *testing.T) {
	k := testgpg.New(t, "ed25519", "")
	yaml := fmt.Sprintf("name: hello\nmain: ./examples/hello\nvendor: Acme Corp\nmaintainer: Acme Corp <ops@example.com>\nformats: [deb, rpm]\ngpg: {key_file: %q, sign: [deb, rpm, checksums]}\nservice:\n  args: [run]\n", k.SecretFile)
	c := helloProjectEnv(t, yaml, nil, "linux/amd64", "linux/arm64")
	dir := t.TempDir()
	single := filepath.Join(dir, "single")
	if _, err := Release(context.Background(), c, Options{Dist: single}); err != nil {
		t.Fatal(err)
	}
	parts := releaseParts(t, c, dir, [][]string{{"linux/amd64"}, {"linux/arm64"}})
	merged := filepath.Join(dir, "merged")
	if _, err := Merge(context.Background(), c, OpenParts(context.Background(), parts, Options{}), Options{Dist: merged}); err != nil {
		t.Fatal(err)
	}
	sameTree(t, "signed", merged, single)
	sums := filepath.Join(merged, packager.ChecksumsName)
	k.Verify(t, sums+".asc", sums)
}

// TestMergeRefuses: parts that do not make one release are refused with a
// reason naming the part and the difference, and dist/ is left as it was.
func TestMergeRefuses(t *testing.T) {
	const yaml = "name: hello\nmain: ./examples/hello\nvendor: Acme Corp\nmaintainer: Acme Corp <ops@example.com>\nformats: [tar.gz, zip]\nservice:\n  args: [run]\n"
	c := helloProjectEnv(t, yaml, nil, "linux/amd64", "windows/amd64")
	dir := t.TempDir()
	good := releaseParts(t, c, filepath.Join(dir, "good"), [][]string{{"linux/*"}, {"windows/*"}})
	dist := filepath.Join(dir, "dist")
	if _, err := Merge(context.Background(), c, OpenParts(context.Background(), good, Options{}), Options{Dist: dist}); err != nil {
		t.Fatal(err)
	}
	// Interrupted (Ctrl-C), it stops: no hashing of the rest, nothing written.
	stopped, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Merge(stopped, c, OpenParts(stopped, good, Options{}), Options{Dist: filepath.Join(dir, "interrupted")}); !errors.Is(err, context.Canceled) {
		t.Errorf("merge after its context ended: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "interrupted")); err == nil {
		t.Error("an interrupted merge wrote its dist")
	}
	// A part named through a link is the folder it leads to.
	link := filepath.Join(dir, "link-to-linux")
	if err := os.Symlink(good[0], link); err != nil {
		t.Fatal(err)
	}
	if _, err := Merge(context.Background(), c, OpenParts(context.Background(), []string{link, good[1]}, Options{}), Options{Dist: dist}); err != nil {
		t.Errorf("merge with a part named through a link: %v", err)
	}
	before := snapshot(t, dist)

	// Another config: a part made with another description.
	other := helloProjectEnv(t, strings.Replace(yaml, "service:\n", "description: another one\nservice:\n", 1), nil, "linux/amd64", "windows/amd64")
	otherParts := releaseParts(t, other, filepath.Join(dir, "other"), [][]string{{"linux/*"}})

	// copyPart copies a good part to a new directory and lets edit change it.
	n := 0
	copyPart := func(src string, edit func(d string, m *Part)) string {
		n++
		d := filepath.Join(dir, fmt.Sprintf("edited%d", n))
		if err := os.CopyFS(d, os.DirFS(src)); err != nil {
			t.Fatal(err)
		}
		m, err := ReadPart(d)
		if err != nil {
			t.Fatal(err)
		}
		edit(d, m)
		b, _ := json.MarshalIndent(m, "", "  ")
		if err := os.WriteFile(filepath.Join(d, PartName), b, 0o644); err != nil {
			t.Fatal(err)
		}
		return d
	}
	linux, windows := good[0], good[1]
	for _, tc := range []struct {
		name  string
		parts func() []string
		want  []string // in the message, besides the part's directory
	}{
		{"missing target", func() []string { return []string{linux} }, []string{"no part has target(s) windows/amd64"}},
		{"overlap", func() []string {
			return []string{linux, windows, copyPart(linux, func(string, *Part) {})}
		}, []string{"linux/amd64 is in two parts"}},
		{"other commit", func() []string {
			return []string{linux, copyPart(windows, func(_ string, m *Part) { m.Commit = "0123456789abcdef0123456789abcdef01234567" })}
		}, []string{"commit", "0123456789abcdef"}},
		{"other version", func() []string {
			return []string{linux, copyPart(windows, func(_ string, m *Part) { m.Version = "9.9.9" })}
		}, []string{"version \"9.9.9\""}},
		{"other svcpack", func() []string {
			return []string{linux, copyPart(windows, func(_ string, m *Part) { m.Svcpack = "svcpack v0.1.0 go1.20 deps sha256:00" })}
		}, []string{"svcpack \"svcpack v0.1.0"}},
		{"other contract", func() []string {
			return []string{linux, copyPart(windows, func(_ string, m *Part) { m.Contract.Wrap.On = !m.Contract.Wrap.On })}
		}, []string{"decided wrap"}},
		{"other Go", func() []string {
			return []string{linux, copyPart(windows, func(_ string, m *Part) { m.Go = "go1.19" })}
		}, []string{`Go toolchain "go1.19"`}},
		{"other config", func() []string { return []string{otherParts[0], windows} }, []string{"config"}},
		{"damaged artifact", func() []string {
			return []string{windows, copyPart(linux, func(d string, m *Part) {
				p := filepath.Join(d, filepath.FromSlash(m.Artifacts[0].Path))
				b, _ := os.ReadFile(p)
				b[len(b)/2] ^= 0xff
				os.WriteFile(p, b, 0o644)
			})}
		}, []string{"is not the file the part made"}},
		{"stray file", func() []string {
			return []string{windows, copyPart(linux, func(d string, _ *Part) { os.WriteFile(filepath.Join(d, "notes.txt"), nil, 0o644) })}
		}, []string{"notes.txt is not listed"}},
		{"whole release", func() []string {
			d := filepath.Join(dir, "whole")
			if err := os.CopyFS(d, os.DirFS(dist)); err != nil && !errors.Is(err, os.ErrExist) {
				t.Fatal(err)
			}
			return []string{d}
		}, []string{"holds a whole release"}},
		{"no manifest", func() []string { return []string{t.TempDir()} }, []string{"has no partial.json"}},
		{"symbolic link", func() []string {
			// Same bytes, so the digest agrees: a link (to anywhere) is
			// still no file of the part's.
			return []string{windows, copyPart(linux, func(d string, m *Part) {
				p := filepath.Join(d, filepath.FromSlash(m.Artifacts[0].Path))
				os.Remove(p)
				if err := os.Symlink(filepath.Join(linux, filepath.FromSlash(m.Artifacts[0].Path)), p); err != nil {
					t.Fatal(err)
				}
			})}
		}, []string{"is not a regular file"}},
		{"missing artifact", func() []string {
			// A file and its line gone alike: only the config says it is missing.
			return []string{windows, copyPart(linux, func(d string, m *Part) {
				os.Remove(filepath.Join(d, filepath.FromSlash(m.Artifacts[0].Path)))
				m.Artifacts = m.Artifacts[1:]
			})}
		}, []string{"lacks"}},
		{"undeclared artifact", func() []string {
			// A name no packager makes, with a line break for checksums.txt.
			return []string{windows, copyPart(linux, func(d string, m *Part) {
				a := m.Artifacts[0]
				a.Path = "evil\n0000  x"
				os.WriteFile(filepath.Join(d, a.Path), mustRead(t, filepath.Join(d, filepath.FromSlash(m.Artifacts[0].Path))), 0o644)
				m.Artifacts = append(m.Artifacts, a)
			})}
		}, []string{`artifact "evil\n0000  x" is not one svcpack.yaml makes`}},
		{"another kind", func() []string {
			// An archive listed as a program would be merged executable.
			return []string{windows, copyPart(linux, func(d string, m *Part) {
				for i, a := range m.Artifacts {
					if a.Kind != packager.KindBinary {
						m.Artifacts[i].Kind = packager.KindBinary
						break
					}
				}
			})}
		}, []string{"is listed as binary"}},
		{"link to an endless file", func() []string {
			// Read, /dev/zero would never end: the merge must not follow.
			return []string{windows, copyPart(linux, func(d string, m *Part) {
				p := filepath.Join(d, filepath.FromSlash(m.Artifacts[0].Path))
				os.Remove(p)
				if err := os.Symlink("/dev/zero", p); err != nil {
					t.Fatal(err)
				}
			})}
		}, []string{"is not a regular file"}},
		{"name the merge writes", func() []string {
			return []string{windows, copyPart(linux, func(d string, m *Part) {
				a := m.Artifacts[0]
				a.Path = packager.ChecksumsName
				b, _ := os.ReadFile(filepath.Join(d, filepath.FromSlash(m.Artifacts[0].Path)))
				os.WriteFile(filepath.Join(d, packager.ChecksumsName), b, 0o644)
				m.Artifacts = append(m.Artifacts, a)
			})}
		}, []string{`artifact "checksums.txt" is not one svcpack.yaml makes`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parts := tc.parts()
			_, err := Merge(context.Background(), c, OpenParts(context.Background(), parts, Options{}), Options{Dist: dist})
			var me *MergeError
			if !errors.As(err, &me) {
				t.Fatalf("merge %v: err = %v, want a MergeError", parts, err)
			}
			msg := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error lacks %q:\n%s", w, msg)
				}
			}
			if tc.name != "missing target" && tc.name != "overlap" && !strings.Contains(msg, "part "+parts[len(parts)-1]) && !strings.Contains(msg, "part "+parts[0]) {
				t.Errorf("error names no part:\n%s", msg)
			}
			if after := snapshot(t, dist); !equalMaps(before, after) {
				t.Errorf("a refused merge changed %s", dist)
			}
		})
	}
}

// TestMergeKeepsPartsOutsideDist: a part inside the dist the merge
// replaces (or around it) is refused, also when dist is relative, and the
// part stays.
func TestMergeKeepsPartsOutsideDist(t *testing.T) {
	const yaml = "name: hello\nmain: ./examples/hello\nvendor: Acme Corp\nmaintainer: Acme Corp <ops@example.com>\nformats: [tar.gz]\nservice:\n  args: [run]\n"
	c := helloProjectEnv(t, yaml, nil, "linux/amd64")
	dir := t.TempDir()
	parts := releaseParts(t, c, filepath.Join(dir, "dist"), [][]string{{"linux/*"}})
	t.Chdir(dir)
	for _, dist := range []string{"dist", filepath.Join(dir, "dist"), filepath.Join(parts[0], "merged")} {
		_, err := Merge(context.Background(), c, OpenParts(context.Background(), parts, Options{}), Options{Dist: dist})
		var me *MergeError
		if !errors.As(err, &me) || !strings.Contains(err.Error(), "inside it or around it") {
			t.Errorf("merge into %s: %v, want a refusal", dist, err)
		}
		if _, err := ReadPart(parts[0]); err != nil {
			t.Fatalf("merge into %s: the part is gone: %v", dist, err)
		}
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestPartDigestsAreMachineIndependent: the same config in two checkouts
// (other directories) gives the same config and files digests; an edit to
// a named file changes only the files digest.
func TestPartDigestsAreMachineIndependent(t *testing.T) {
	const yaml = "name: hello\nmain: ./examples/hello\nvendor: Acme Corp\nmaintainer: Acme Corp <ops@example.com>\nlicense: MIT\nformats: [zip]\nwindows: {icon: examples/hello/hello.png}\nservice:\n  args: [run]\n"
	a, err := helloLoad(t, yaml, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := helloLoad(t, yaml, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Dir == b.Dir {
		t.Fatal("both configs in one directory")
	}
	ca, fa, err := configDigests(a)
	if err != nil {
		t.Fatal(err)
	}
	cb, fb, err := configDigests(b)
	if err != nil {
		t.Fatal(err)
	}
	if ca != cb || fa != fb {
		t.Errorf("digests differ between checkouts: config %s/%s files %s/%s", ca, cb, fa, fb)
	}
	if err := os.WriteFile(string(b.LicenseFile), []byte("edited\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cb, fb, _ = configDigests(b)
	if cb != ca || fb == fa {
		t.Errorf("after editing %s: config digest changed %v, files digest changed %v", b.LicenseFile, cb != ca, fb != fa)
	}
}

// TestLoadForMerge: the config loaded with the parts' contract decisions
// (no go list) is the one Load resolves, digest for digest; parts that
// disagree on them get a plain Load.
func TestLoadForMerge(t *testing.T) {
	// The example's own config file, in the module that holds the program,
	// loaded as the CLI does; one part of it, with one target.
	root, _ := filepath.Abs("../..")
	cfg := filepath.Join(root, "svcpack.yaml")
	env := config.Env{Getenv: func(k string) string { return map[string]string{"SOURCE_DATE_EPOCH": "1700000000"}[k] }}
	full, err := Load(cfg, env)
	if err != nil {
		t.Fatal(err)
	}
	parts := releaseParts(t, full, t.TempDir(), [][]string{{"linux/arm64"}})
	m, err := ReadPart(parts[0])
	if err != nil {
		t.Fatal(err)
	}
	if m.Contract.Wrap.Why == "" || m.Contract.Notify.Why == "" {
		t.Fatalf("the part recorded no decisions: %+v", m.Contract)
	}
	// The decisions of the example's own config, recorded by a part of it.
	fromParts, err := LoadForMerge(cfg, env, OpenParts(context.Background(), parts, Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if fromParts.Service.Contract != m.Contract {
		t.Errorf("LoadForMerge took %+v, the parts hold %+v", fromParts.Service.Contract, m.Contract)
	}
	if full.Service.Contract != fromParts.Service.Contract {
		t.Errorf("Load decided %+v, LoadForMerge %+v", full.Service.Contract, fromParts.Service.Contract)
	}
	// Nor does it list the targets again (the parts' releases did): it
	// runs no go command, where Load needs one.
	noGo := env
	noGo.GoTool = filepath.Join(t.TempDir(), "no-go-here")
	if _, err := Load(cfg, noGo); err == nil {
		t.Error("Load without a go command succeeded: the test proves nothing")
	}
	if _, err := LoadForMerge(cfg, noGo, OpenParts(context.Background(), parts, Options{})); err != nil {
		t.Errorf("LoadForMerge ran the go command: %v", err)
	}
	// The decisions are the parts' (not found again): a part saying
	// otherwise is believed; parts that disagree leave it to Load.
	marked := func(why string) string {
		d := filepath.Join(t.TempDir(), "part")
		if err := os.CopyFS(d, os.DirFS(parts[0])); err != nil {
			t.Fatal(err)
		}
		mm := *m
		mm.Contract.Wrap.Why = why
		b, _ := json.Marshal(mm)
		writeTestFile(t, filepath.Join(d, PartName), b)
		return d
	}
	one, other := marked("decided by part one"), marked("decided by part two")
	decided := func(dirs ...string) config.Contract {
		got, err := LoadForMerge(cfg, env, OpenParts(context.Background(), dirs, Options{}))
		if err != nil {
			t.Fatal(err)
		}
		return got.Service.Contract
	}
	if got := decided(one); got.Wrap.Why != "decided by part one" {
		t.Errorf("LoadForMerge of a part with its own decisions: %+v", got)
	}
	if got := decided(one, other); got != full.Service.Contract {
		t.Errorf("LoadForMerge of parts that disagree: %+v; want Load's %+v", got, full.Service.Contract)
	}
	a, af, _ := configDigests(full)
	b, bf, _ := configDigests(fromParts)
	if a != b || af != bf {
		t.Errorf("config digests differ: Load %s %s, LoadForMerge %s %s", a, af, b, bf)
	}
}

func TestMatchTargets(t *testing.T) {
	c := helloProjectEnv(t, "name: hello\nmain: ./examples/hello\nformats: [tar.gz]\n", nil, "windows/amd64", "linux/amd64", "linux/arm/7", "linux/arm/6", "darwin/arm64")
	for _, tc := range []struct {
		globs   []string
		want    string // the targets
		wantErr string // or the error's text
	}{
		{globs: []string{"linux/*"}, want: "linux/amd64 linux/arm/7 linux/arm/6"},
		{globs: []string{"linux/arm/7"}, want: "linux/arm/7"},
		{globs: []string{"linux/arm"}, want: "linux/arm/7 linux/arm/6"},
		{globs: []string{"darwin/*", "windows/*"}, want: "windows/amd64 darwin/arm64"},
		{globs: []string{"*/amd64"}, want: "windows/amd64 linux/amd64"},
		{globs: []string{"*/*"}, want: "windows/amd64 linux/amd64 linux/arm/7 linux/arm/6 darwin/arm64"},
		{globs: []string{"*/amd64", "*"}, wantErr: `"*" matches none`}, // an OS alone names no target
		{globs: []string{"freebsd/*"}, wantErr: `"freebsd/*" matches none`},
		{globs: []string{"linux/["}, wantErr: "not a valid pattern"},
		{globs: []string{""}, wantErr: "not a valid pattern"},
	} {
		got, err := MatchTargets(c, tc.globs)
		var s []string
		for _, tg := range got {
			s = append(s, tg.String())
		}
		switch text := strings.Join(s, " "); {
		case tc.wantErr == "" && (err != nil || text != tc.want):
			t.Errorf("MatchTargets(%q) = %s, %v; want %s", tc.globs, text, err, tc.want)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("MatchTargets(%q) = %s, %v; want an error with %q", tc.globs, text, err, tc.wantErr)
		}
	}
}

// TestPortableID: svcpack is named by version or clean revision, Go
// version and dependencies, the same on every OS; an unpinned build has no
// portable name.
func TestPortableID(t *testing.T) {
	dep := &debug.Module{Path: "golang.org/x/sys", Version: "v0.30.0", Sum: "h1:abc"}
	main := func(version string, settings ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: svcpackModule, Version: version}, Deps: []*debug.Module{dep}}
		for i := 0; i+1 < len(settings); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return bi
	}
	asDep := func(m *debug.Module) *debug.BuildInfo {
		return &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "example.com/tools"}, Deps: []*debug.Module{m, dep}}
	}
	released := portableID(main("v1.2.0", "GOOS", "linux"))
	if released == "" || !strings.Contains(released, "v1.2.0") || !strings.Contains(released, "go1.26.0") {
		t.Fatalf("released build: %q", released)
	}
	if other := portableID(main("v1.2.0", "GOOS", "windows", "GOARCH", "arm64")); other != released {
		t.Errorf("another OS names it %q, not %q", other, released)
	}
	if asTool := portableID(asDep(&debug.Module{Path: svcpackModule, Version: "v1.2.0"})); !strings.Contains(asTool, "v1.2.0") {
		t.Errorf("as a dependency: %q", asTool)
	}
	newer := &debug.Module{Path: "golang.org/x/sys", Version: "v0.31.0", Sum: "h1:def"}
	if d := portableID(&debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: svcpackModule, Version: "v1.2.0"}, Deps: []*debug.Module{newer}}); d == released {
		t.Errorf("another dependency version gives the same name %q", d)
	}
	if rev := portableID(main("(devel)", "vcs.revision", "abc123", "vcs.modified", "false")); !strings.Contains(rev, "rev abc123") {
		t.Errorf("clean revision: %q", rev)
	}
	for name, bi := range map[string]*debug.BuildInfo{
		"devel":          main("(devel)"),
		"dirty revision": main("(devel)", "vcs.revision", "abc123", "vcs.modified", "true"),
		"dirty version":  main("v1.2.1-0.20261129000000-abc123+dirty"),
		"local replace":  asDep(&debug.Module{Path: svcpackModule, Version: "v1.2.0", Replace: &debug.Module{Path: "../svcpack"}}),
		"absent":         {GoVersion: "go1.26.0", Main: debug.Module{Path: "example.com/x"}},
	} {
		if id := portableID(bi); id != "" {
			t.Errorf("%s: portable name %q, want none (the executable's build ID is used)", name, id)
		}
	}
}

// TestSplitKeepsCombinedTargets: a part holding darwin/amd64 without
// darwin/arm64 cannot make the universal binary, so it is refused before
// anything is built, naming the targets to keep together.
func TestSplitKeepsCombinedTargets(t *testing.T) {
	c := helloProjectEnv(t, splitAllYAML, nil, "linux/amd64", "darwin/amd64", "darwin/arm64")
	ts, err := MatchTargets(c, []string{"linux/*", "darwin/amd64"})
	if err != nil {
		t.Fatal(err)
	}
	dist := filepath.Join(t.TempDir(), "part")
	_, err = Release(context.Background(), c, Options{Dist: dist, Partial: true, Targets: ts})
	if err == nil || !strings.Contains(err.Error(), "-targets darwin/amd64,darwin/arm64") {
		t.Fatalf("error %v does not ask for the darwin targets in one part", err)
	}
	if _, err := os.Stat(dist); !os.IsNotExist(err) {
		t.Errorf("the refused part wrote %s", dist)
	}
}

// TestPartWithBaseImageFolder: oci.base may be an OCI layout folder (not
// only an archive); a part's files digest covers its tree, as the cache
// key does, and the part merges.
func TestPartWithBaseImageFolder(t *testing.T) {
	base := t.TempDir()
	l := oci.NewLayout()
	var ds []oci.Descriptor
	for _, arch := range []string{"amd64", "arm64"} {
		d, err := l.AddImage(oci.Image{Platform: oci.Platform{OS: "linux", Architecture: arch}, Created: time.Unix(1600000000, 0),
			Layers: []oci.Layer{{CreatedBy: "base", Files: []oci.File{{Name: "etc/base", Mode: 0o644, Data: []byte("base\n")}}}}})
		if err != nil {
			t.Fatal(err)
		}
		ds = append(ds, d)
	}
	var b bytes.Buffer
	if err := l.WriteArchive(&b, ds, time.Unix(1600000000, 0)); err != nil {
		t.Fatal(err)
	}
	for name, data := range tarFiles(t, &b) {
		writeTestFile(t, filepath.Join(base, filepath.FromSlash(name)), data)
	}
	yaml := "name: hello\nmain: ./examples/hello\nvendor: Acme Corp\nmaintainer: Acme Corp <ops@example.com>\nformats: [oci]\nservice:\n  args: [run]\noci: {base: " + base + "}\n"
	c := helloProjectEnv(t, yaml, nil, "linux/amd64", "linux/arm64")
	parts := releaseParts(t, c, t.TempDir(), [][]string{{"linux/amd64"}, {"linux/arm64"}})
	if _, err := Merge(context.Background(), c, OpenParts(context.Background(), parts, Options{}), Options{Dist: filepath.Join(t.TempDir(), "dist")}); err != nil {
		t.Fatal(err)
	}
}

// TestPartDirs: a pattern is globbed as a shell would, skipping hidden
// folders; a name that exists is taken as it is, even with [ or * in it
// (the shell globbed it already), and a pattern matching nothing stays,
// for merge to say it has no partial.json.
func TestPartDirs(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"p1", "p[1]", ".hidden"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	j := func(names ...string) []string {
		var out []string
		for _, n := range names {
			out = append(out, filepath.Join(dir, n))
		}
		return out
	}
	for _, tc := range []struct{ in, want []string }{
		{j("p[1]"), j("p[1]")},
		{j("*"), j("p1", "p[1]")},
		{j(".h*"), j(".hidden")},
		{j("nothing*"), j("nothing*")},
	} {
		if got := PartDirs(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("PartDirs(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestHashTreeIgnoresModes: a folder's digest (oci.base as a layout
// directory) follows names, types and content, not the permissions a
// checkout's umask or OS gives them; a content change still shows.
func TestHashTreeIgnoresModes(t *testing.T) {
	tree := func(dirMode, fileMode os.FileMode, content string) string {
		d := t.TempDir()
		os.MkdirAll(filepath.Join(d, "blobs", "sha256"), 0o755)
		writeTestFile(t, filepath.Join(d, "blobs", "sha256", "x"), []byte(content))
		writeTestFile(t, filepath.Join(d, "index.json"), []byte("{}"))
		os.Chmod(filepath.Join(d, "blobs", "sha256", "x"), fileMode)
		os.Chmod(filepath.Join(d, "blobs"), dirMode)
		os.Chmod(d, dirMode)
		sum, err := hashTree(d)
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	a, b := tree(0o755, 0o644, "layer"), tree(0o775, 0o664, "layer")
	if a != b {
		t.Error("the same tree with another umask's modes has another digest")
	}
	if tree(0o755, 0o644, "other") == a {
		t.Error("a content change left the digest as it was")
	}
}
