package matrix

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/svcpack/svcpack/pkg/platform"
)

// writeModule creates a tiny module with a main package printing its
// stamped version.
func writeModule(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":        "module example.com/m\n\ngo 1.26\n",
		"cmd/x/main.go": body,
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const prog = "package main\n\nimport \"fmt\"\n\nvar version = \"none\"\n\nfunc main() { fmt.Println(\"version\", version) }\n"

func targets(ss ...string) []platform.Target {
	var out []platform.Target
	for _, s := range ss {
		tg, err := platform.Parse(s)
		if err != nil {
			panic(err)
		}
		out = append(out, tg)
	}
	return out
}

func TestBuildFormatsAndStamp(t *testing.T) {
	dir := writeModule(t, prog)
	out := t.TempDir()
	o := Options{
		Dir: dir, Main: "./cmd/x", Name: "x", OutDir: out,
		Targets: targets("linux/amd64", "windows/arm64", "darwin/arm64", "windows/386"),
		Ldflags: []string{"-s", "-w", "-X main.version={{.Version}}-{{.Os}}"},
		Data:    TemplateData{Name: "x", Version: "1.2.3"},
	}
	res, err := Build(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 4 {
		t.Fatalf("got %d results", len(res))
	}
	for _, r := range res {
		want := OutputPath(out, "x", r.Target)
		if r.Path != want {
			t.Errorf("%s: path %s, want %s", r.Target, r.Path, want)
		}
		switch r.Target.OS {
		case "linux":
			f, err := elf.Open(r.Path)
			if err != nil {
				t.Fatalf("%s: %v", r.Target, err)
			}
			if f.Machine != elf.EM_X86_64 {
				t.Errorf("%s: machine %v", r.Target, f.Machine)
			}
			f.Close()
			cmd := exec.Command(r.Path)
			got, err := cmd.Output()
			if err != nil || strings.TrimSpace(string(got)) != "version 1.2.3-linux" {
				t.Errorf("running %s: %q %v", r.Path, got, err)
			}
		case "windows":
			f, err := pe.Open(r.Path)
			if err != nil {
				t.Fatalf("%s: %v", r.Target, err)
			}
			want := map[string]uint16{"arm64": pe.IMAGE_FILE_MACHINE_ARM64, "386": pe.IMAGE_FILE_MACHINE_I386}[r.Target.Arch]
			if f.Machine != want {
				t.Errorf("%s: machine %#x, want %#x", r.Target, f.Machine, want)
			}
			f.Close()
		case "darwin":
			f, err := macho.Open(r.Path)
			if err != nil {
				t.Fatalf("%s: %v", r.Target, err)
			}
			if f.Cpu != macho.CpuArm64 {
				t.Errorf("%s: cpu %v", r.Target, f.Cpu)
			}
			f.Close()
		}
	}
	// No temporary files left behind.
	filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if strings.HasPrefix(d.Name(), ".tmp-") {
			t.Errorf("leftover %s", p)
		}
		return nil
	})
}

func TestReproducible(t *testing.T) {
	dir := writeModule(t, prog)
	build := func() []byte {
		out := t.TempDir()
		res, err := Build(context.Background(), Options{
			Dir: dir, Main: "./cmd/x", Name: "x", OutDir: out,
			Targets: targets("windows/amd64"), Ldflags: []string{"-s", "-w"},
		})
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(res[0].Path)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if !bytes.Equal(build(), build()) {
		t.Fatal("two builds of the same input differ")
	}
}

func TestFirstFailureReportsCompilerOutput(t *testing.T) {
	// Compiles for linux, fails for windows with a type error.
	dir := writeModule(t, prog)
	bad := "//go:build windows\n\npackage main\n\nvar broken int = \"not an int\"\n"
	if err := os.WriteFile(filepath.Join(dir, "cmd/x/bad_windows.go"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	_, err := Build(context.Background(), Options{
		Dir: dir, Main: "./cmd/x", Name: "x", OutDir: out, Parallelism: 1,
		Targets: targets("windows/amd64", "linux/amd64", "linux/arm64", "darwin/amd64"),
	})
	var be *BuildError
	if !errors.As(err, &be) {
		t.Fatalf("err = %v, want *BuildError", err)
	}
	if be.Target.String() != "windows/amd64" || !strings.Contains(be.Output, "bad_windows.go") {
		t.Fatalf("error does not name target and compiler output: %v", err)
	}
	// With parallelism 1 the failing first target cancels the rest, so at
	// most one other build can have started.
	if _, err := os.Stat(OutputPath(out, "x", targets("darwin/amd64")[0])); err == nil {
		t.Error("darwin/amd64 was built after the first failure")
	}
}

// TestVariantEnv: the variant comes from the target only, never from a
// GOAMD64/GOARM left in the caller's environment.
func TestVariantEnv(t *testing.T) {
	o := Options{Env: []string{"PATH=/bin", "GOAMD64=v4", "GOARM=5", "GOOS=plan9"}}
	for _, tc := range []struct {
		target string
		want   []string
	}{
		{"linux/amd64", []string{"PATH=/bin", "GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0"}},
		{"linux/arm/7", []string{"PATH=/bin", "GOOS=linux", "GOARCH=arm", "CGO_ENABLED=0", "GOARM=7"}},
		{"linux/amd64/v3", []string{"PATH=/bin", "GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0", "GOAMD64=v3"}},
	} {
		tg, err := platform.Parse(tc.target)
		if err != nil {
			t.Fatal(err)
		}
		if got := o.env(tg); strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("%s: env %v, want %v", tc.target, got, tc.want)
		}
	}
}

// TestProgress: OnProgress hears the packages go build compiles (with -v),
// so a long first build can say what it is doing.
func TestProgress(t *testing.T) {
	dir := t.TempDir()
	mod := fmt.Sprintf("example.com/progress%d", time.Now().UnixNano()) // never in the build cache
	for name, data := range map[string]string{
		"go.mod":       "module " + mod + "\n\ngo 1.26\n",
		"main.go":      "package main\n\nimport \"" + mod + "/inner\"\n\nfunc main() { inner.Hello() }\n",
		"inner/lib.go": "package inner\n\n// Hello does nothing.\nfunc Hello() {}\n",
	} {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	var lines []string
	o := Options{Dir: dir, Main: ".", Name: "p", OutDir: t.TempDir(), OnProgress: func(_ platform.Target, l string) {
		mu.Lock()
		lines = append(lines, l)
		mu.Unlock()
	}}
	if _, err := o.BuildOne(context.Background(), platform.Target{OS: "linux", Arch: "amd64"}); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(lines, mod+"/inner") || !slices.Contains(lines, mod) {
		t.Errorf("progress lines %q lack the packages compiled", lines)
	}
}

// TestProgressKeepsCompilerOutput: with OnProgress set, a failed build still
// carries the compiler's message (it was once lost to two writers racing on
// one buffer).
func TestProgressKeepsCompilerOutput(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{
		"go.mod":  "module example.com/broken\n\ngo 1.26\n",
		"main.go": "package main\n\nvar broken int = \"x\"\n\nfunc main() {}\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 5; i++ {
		o := Options{Dir: dir, Main: ".", Name: "b", OutDir: t.TempDir(), OnProgress: func(platform.Target, string) {}}
		_, err := o.BuildOne(context.Background(), platform.Target{OS: "linux", Arch: "amd64"})
		if err == nil || !strings.Contains(err.Error(), "main.go:3") {
			t.Fatalf("error %v lacks the compiler's message", err)
		}
		// -v's list of packages is progress, not part of the error.
		if strings.Contains(err.Error()+"\n", "\nexample.com/broken\n") {
			t.Fatalf("error %v holds -v's package lines", err)
		}
	}
}

// git runs git in dir for a test, as a user of its own.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=T", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"}, args...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestVCSStamps builds in a git repository and checks that go build's
// version control stamps are in the binary (vcs.revision the commit,
// vcs.modified as the work tree is), and that two builds of one state are
// the same bytes; NoVCS leaves them out.
func TestVCSStamps(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	dir := writeModule(t, prog)
	git(t, dir, "init", "-q")
	git(t, dir, "add", ".")
	git(t, dir, "commit", "-q", "-m", "first")
	commit := git(t, dir, "rev-parse", "HEAD")
	// GOFLAGS=-buildvcs=false, in the environment or go env, turns the
	// stamps off; the test sets what go build does by default.
	env := append(os.Environ(), "GOFLAGS=-buildvcs=auto")
	build := func(noVCS bool) ([]byte, map[string]string) {
		t.Helper()
		out := t.TempDir()
		res, err := Build(context.Background(), Options{
			Dir: dir, Main: "./cmd/x", Name: "x", OutDir: out, Env: env, NoVCS: noVCS,
			Targets: targets("linux/amd64"), Ldflags: []string{"-s", "-w"},
		})
		if err != nil {
			t.Fatal(err)
		}
		bi, err := buildinfo.ReadFile(res[0].Path)
		if err != nil {
			t.Fatal(err)
		}
		settings := map[string]string{}
		for _, s := range bi.Settings {
			settings[s.Key] = s.Value
		}
		b, err := os.ReadFile(res[0].Path)
		if err != nil {
			t.Fatal(err)
		}
		return b, settings
	}
	for _, modified := range []string{"false", "true"} {
		if modified == "true" {
			if err := os.WriteFile(filepath.Join(dir, "cmd/x/main.go"), []byte(prog+"\n// edited\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		b1, s := build(false)
		if s["vcs"] != "git" || s["vcs.revision"] != commit || s["vcs.modified"] != modified || s["vcs.time"] == "" {
			t.Errorf("modified %s: stamps %v, want vcs.revision %s", modified, s, commit)
		}
		if b2, _ := build(false); !bytes.Equal(b1, b2) {
			t.Errorf("modified %s: two builds of one state differ", modified)
		}
	}
	if _, s := build(true); s["vcs.revision"] != "" || s["vcs"] != "" {
		t.Errorf("NoVCS: stamps %v", s)
	}
}

// TestNoVCSOutsideARepository builds outside any repository: go build
// stamps nothing and needs no git.
func TestNoVCSOutsideARepository(t *testing.T) {
	dir := writeModule(t, prog)
	out := t.TempDir()
	res, err := Build(context.Background(), Options{
		Dir: dir, Main: "./cmd/x", Name: "x", OutDir: out, Env: append(os.Environ(), "GOFLAGS=-buildvcs=auto", "PATH="),
		Targets: targets("linux/amd64"),
	})
	if err != nil {
		t.Fatal(err)
	}
	bi, err := buildinfo.ReadFile(res[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range bi.Settings {
		if strings.HasPrefix(s.Key, "vcs") {
			t.Errorf("stamp %s=%s outside a repository", s.Key, s.Value)
		}
	}
}
