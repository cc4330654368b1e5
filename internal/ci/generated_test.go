package ci

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/svcpack/svcpack/internal/testtool"
)

// dryVersion is the version this checkout of svcpack is served as, from a
// module proxy on disk, to the generated workflow's go run ...@version:
// v0.0.1-dryrun.<digest of its files>, a version of its own for each
// content, as the module cache never fetches a version twice.
var dryVersion string

// TestGeneratedWorkflowDryRun: svcpack init -ci github, run as a user runs
// it (go run github.com/svcpack/svcpack/cmd/svcpack@version, this checkout
// served by a module proxy on disk), writes the release workflow of a
// program that is not the example (testdata/programs/netsvc, three
// operating systems); the dry run plays its pull-request job, each part of
// its matrix and its merge, the svcpack steps through action.yml's own
// script; the merged dist/ is byte for byte what one release makes.
func TestGeneratedWorkflowDryRun(t *testing.T) {
	if testing.Short() {
		t.Skip("the dry run releases a program three times")
	}
	git := testtool.Need(t, "git", "git")
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	base := t.TempDir()
	serveModule(t, git, root, filepath.Join(base, "proxy"))
	d := &dryRun{t: t, pristine: filepath.Join(base, "checkout"), work: filepath.Join(base, "work", "netsvc"),
		store: filepath.Join(base, "artifacts"), caches: filepath.Join(base, "caches"), output: map[string]string{},
		vars:   map[string]string{"github.ref_name": "v1.0.0", "github.event_name": "push"},
		action: filepath.Join(root, "action.yml")}
	project(t, git, root, d.pristine)
	os.MkdirAll(d.store, 0o755)

	b, err := os.ReadFile(filepath.Join(d.pristine, ".github/workflows/release.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var wf workflow
	if err := yaml.Unmarshal(b, &wf); err != nil {
		t.Fatal(err)
	}
	check, part, merge := wf.Jobs["check"], wf.Jobs["part"], wf.Jobs["merge"]
	var names []string
	for _, m := range part.Strategy.Matrix.Include {
		names = append(names, m["part"])
	}
	if fmt.Sprint(names) != "[windows linux darwin]" || fmt.Sprint(merge.Needs) != "part" || len(check.Steps) == 0 {
		t.Fatalf("the workflow's jobs: check %d steps, parts %v, merge needs %v", len(check.Steps), names, merge.Needs)
	}
	d.job("check", check.Steps, nil)
	merged := d.playRelease(part.Steps, part.Strategy.Matrix.Include, merge.Steps, filepath.Join(base, "merged"))
	d.job("single", []step{{Name: "release", Run: "go run github.com/svcpack/svcpack/cmd/svcpack@" + dryVersion +
		" release"}}, nil)
	g, w := files(t, merged), files(t, filepath.Join(d.work, "dist"))
	var diff []string
	for name := range w {
		if !bytes.Equal(g[name], w[name]) {
			diff = append(diff, name)
		}
	}
	for name := range g {
		if _, ok := w[name]; !ok {
			diff = append(diff, name+" (merged only)")
		}
	}
	sort.Strings(diff)
	if len(w) == 0 || len(diff) > 0 {
		t.Errorf("the workflow's release differs from one release in %d of %d files: %s", len(diff), len(w),
			strings.Join(diff, ", "))
	}
	for _, want := range []string{"netsvc_1.0.0_windows_amd64.msi", "netsvc_1.0.0-1_amd64.deb",
		"netsvc_1.0.0_darwin_arm64.tar.gz", "checksums.txt"} {
		if _, ok := g[want]; !ok {
			t.Errorf("the merged release has no %s", want)
		}
	}
	if out := d.output["check: Check svcpack.yaml"]; !strings.Contains(out, "svcpack.yaml: ok: netsvc 1.0.0") {
		t.Errorf("the check job's svcpack check said:\n%s", out)
	}
	if !strings.Contains(string(g["artifacts.json"]), `"version": "1.0.0"`) {
		t.Errorf("the merged release is not version 1.0.0 (from the tag):\n%.400s", g["artifacts.json"])
	}
}

// project makes the netsvc test program a project of its own at dir: a git
// repository whose svcpack.yaml releases three operating systems from its
// tag, with the release workflow svcpack init -ci github writes, tagged
// v1.0.0.
func project(t *testing.T, git, root, dir string) {
	t.Helper()
	src := filepath.Join(root, "testdata/programs/netsvc")
	if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "svcpack.yaml")
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(b), "version: 1.0.0\n", "", 1)
	text = strings.Replace(text, "targets: [windows/amd64, linux/amd64]", "targets: [windows/amd64, linux/amd64, darwin/arm64]", 1)
	text = strings.Replace(text, "formats: [zip, msi, deb]", "formats: [zip, msi, deb, tar.gz]", 1)
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "GIT_AUTHOR_NAME=ci", "GIT_AUTHOR_EMAIL=ci@example.com", "GIT_COMMITTER_NAME=ci",
		"GIT_COMMITTER_EMAIL=ci@example.com", "GIT_AUTHOR_DATE=2026-11-01T12:00:00Z", "GIT_COMMITTER_DATE=2026-11-01T12:00:00Z")
	runIn := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return string(out)
	}
	runIn(git, "init", "-q")
	out := runIn("go", "run", "github.com/svcpack/svcpack/cmd/svcpack@"+dryVersion, "init", "-ci", "github")
	t.Logf("svcpack init -ci github:\n%s", out)
	if !strings.Contains(out, "svcpack "+dryVersion+", a part each for windows, linux, darwin") {
		t.Errorf("init's report:\n%s", out)
	}
	if _, err := exec.Command("go", "run", "github.com/svcpack/svcpack/cmd/svcpack@"+dryVersion, "init", "-ci",
		"github", "-config", cfg).CombinedOutput(); err == nil {
		t.Error("a second init -ci github replaced the workflow without -force")
	}
	for _, args := range [][]string{{"add", "-A"}, {"commit", "-q", "-m", "release"}, {"tag", "v1.0.0"}} {
		runIn(git, args...)
	}
}

// serveModule writes a module proxy at dir serving this checkout of svcpack
// as dryVersion (its files as git lists them, nested modules left out, as
// a module zip holds them), and points the go command of the test at it,
// before the real proxy for everything else.
func serveModule(t *testing.T, git, root, dir string) {
	t.Helper()
	out, err := exec.Command(git, "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		testtool.Missing(t, fmt.Sprintf("a git checkout of svcpack to serve (%v)", err))
	}
	listed := strings.Split(strings.TrimRight(string(out), "\x00"), "\x00")
	var nested []string
	for _, f := range listed {
		if path.Base(f) == "go.mod" && f != "go.mod" {
			nested = append(nested, path.Dir(f)+"/")
		}
	}
	at := filepath.Join(dir, "github.com/svcpack/svcpack/@v")
	if err := os.MkdirAll(at, 0o755); err != nil {
		t.Fatal(err)
	}
	contents := map[string][]byte{}
	h := sha256.New()
	for _, f := range listed {
		if slicesHasPrefix(nested, f) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			continue // deleted in the work tree
		}
		contents[f] = b
		fmt.Fprintf(h, "%s %x\n", f, sha256.Sum256(b))
	}
	dryVersion = fmt.Sprintf("v0.0.1-dryrun.%x", h.Sum(nil)[:6])
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	prefix := "github.com/svcpack/svcpack@" + dryVersion + "/"
	for _, f := range slices.Sorted(maps.Keys(contents)) {
		b := contents[f]
		fw, err := zw.Create(prefix + f)
		if err == nil {
			_, err = fw.Write(b)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"list": []byte(dryVersion + "\n"), dryVersion + ".mod": mod, dryVersion + ".zip": zb.Bytes(),
		dryVersion + ".info": []byte(`{"Version":"` + dryVersion + `","Time":"2026-11-01T12:00:00Z"}`),
	} {
		if err := os.WriteFile(filepath.Join(at, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	proxy, err := exec.Command("go", "env", "GOPROXY").Output()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("GOPROXY", "file://"+filepath.ToSlash(dir)+","+strings.TrimSpace(string(proxy)))
	t.Setenv("GONOSUMDB", "github.com/svcpack/svcpack")
	t.Setenv("GOFLAGS", strings.TrimSpace(os.Getenv("GOFLAGS")))
}

func slicesHasPrefix(prefixes []string, s string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// runLineRE finds the run: lines of a workflow, for the hostile test.
var runLineRE = regexp.MustCompile(`(?m)^\s*run:`)
