package release

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/internal/testtool"
	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/packager"
	"github.com/svcpack/svcpack/pkg/platform"
)

// tinyProject writes a module with a main package and a config releasing it
// for two targets, binaries only, and loads the config.
func tinyProject(t *testing.T, extraYAML string) *config.Spec {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":  "module example.com/tiny\n\ngo 1.26\n",
		"main.go": "package main\n\nimport \"fmt\"\n\nvar version = \"dev\"\n\nfunc main() { fmt.Println(version) }\n",
		"svcpack.yaml": "name: tiny\nmain: .\nversion: 1.0.0\ntargets: [linux/amd64, windows/amd64]\nformats: []\n" +
			"ldflags: [-s, -w, \"-X main.version={{.Version}}\"]\n" +
			"service: {wrap: false}\n" + // binaries only: the program, not the wrapper
			extraYAML,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c, err := Load(filepath.Join(dir, "svcpack.yaml"), config.Env{Getenv: func(k string) string {
		if k == "SOURCE_DATE_EPOCH" {
			return "1700000000"
		}
		return ""
	}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestReleaseManifestAndChecksums(t *testing.T) {
	c := tinyProject(t, "")
	var log bytes.Buffer
	res, err := Release(context.Background(), c, Options{Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	m, err := ReadManifest(res.Dist)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, a := range m.Artifacts {
		paths = append(paths, a.Path)
		data, err := os.ReadFile(filepath.Join(res.Dist, filepath.FromSlash(a.Path)))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		if hex.EncodeToString(sum[:]) != a.SHA256 || int64(len(data)) != a.Size {
			t.Errorf("%s: manifest size/hash do not match the file", a.Path)
		}
	}
	sort.Strings(paths)
	want := []string{"checksums.txt", "tiny_linux_amd64/tiny", "tiny_windows_amd64/tiny.exe"}
	if strings.Join(paths, " ") != strings.Join(want, " ") {
		t.Errorf("artifacts %v, want %v", paths, want)
	}
	if m.Version != "1.0.0" || m.Date != "2023-11-14T22:13:20Z" {
		t.Errorf("manifest version/date %q %q", m.Version, m.Date)
	}
	for _, line := range []string{"build      linux/amd64", "checksums", "artifacts in", "KIND", "tiny_windows_amd64/tiny.exe"} {
		if !strings.Contains(log.String(), line) {
			t.Errorf("progress output lacks %q:\n%s", line, log.String())
		}
	}
	// An independent check of checksums.txt.
	sha := testtool.Need(t, "sha256sum", "coreutils")
	cmd := exec.Command(sha, "-c", "--strict", packager.ChecksumsName)
	cmd.Dir = res.Dist
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sha256sum -c: %v\n%s", err, out)
	}
	// The linux binary carries the stamped version.
	out, err := exec.Command(filepath.Join(res.Dist, "tiny_linux_amd64", "tiny")).Output()
	if err != nil || strings.TrimSpace(string(out)) != "1.0.0" {
		t.Errorf("stamped version: %q %v", out, err)
	}
	// No staging directories remain (the incremental cache does).
	entries, _ := os.ReadDir(filepath.Dir(res.Dist))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".dist") && e.Name() != ".dist.cache" {
			t.Errorf("leftover %s", e.Name())
		}
	}
}

func TestQuietPrintsNothing(t *testing.T) {
	c := tinyProject(t, "")
	var log bytes.Buffer
	if _, err := Release(context.Background(), c, Options{Log: &log, Verbosity: Quiet, Targets: c.Targets[:1]}); err != nil {
		t.Fatal(err)
	}
	if log.Len() != 0 {
		t.Errorf("quiet run printed:\n%s", log.String())
	}
}

func TestTwoReleasesIdentical(t *testing.T) {
	c := tinyProject(t, "")
	digest := func() map[string]string {
		res, err := Release(context.Background(), c, Options{})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, a := range res.Artifacts {
			out[a.Path] = a.SHA256
		}
		// Start the second release from nothing.
		if err := os.RemoveAll(res.Dist); err != nil {
			t.Fatal(err)
		}
		return out
	}
	a, b := digest(), digest()
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("artifact sets differ: %v vs %v", a, b)
	}
	for p, h := range a {
		if b[p] != h {
			t.Errorf("%s differs between two releases", p)
		}
	}
}

func TestFailureLeavesDistUnchanged(t *testing.T) {
	c := tinyProject(t, "")
	if _, err := Release(context.Background(), c, Options{}); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, c.Dist)
	// Break the windows build only: linux succeeds first, then the release fails.
	bad := "//go:build windows\n\npackage main\n\nvar broken int = \"x\"\n"
	if err := os.WriteFile(filepath.Join(c.Dir, "bad_windows.go"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Release(context.Background(), c, Options{})
	var se *StepError
	if !errors.As(err, &se) || se.Step != "build" || se.Target != "windows/amd64" || !strings.Contains(err.Error(), "bad_windows.go") {
		t.Fatalf("error %v does not name step, target and compiler output", err)
	}
	if !strings.Contains(err.Error(), "left unchanged") {
		t.Errorf("error does not say dist is unchanged: %v", err)
	}
	after := snapshot(t, c.Dist)
	if len(before) != len(after) {
		t.Fatalf("dist changed: %v -> %v", before, after)
	}
	for p, h := range before {
		if after[p] != h {
			t.Errorf("%s changed after a failed release", p)
		}
	}
	entries, _ := os.ReadDir(c.Dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".dist") && e.Name() != ".dist.cache" {
			t.Errorf("leftover %s", e.Name())
		}
	}
}

func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		out[p] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// mustTargets parses target strings.
func mustTargets(t *testing.T, targets ...string) []platform.Target {
	t.Helper()
	var out []platform.Target
	for _, s := range targets {
		tg, err := platform.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tg)
	}
	return out
}
