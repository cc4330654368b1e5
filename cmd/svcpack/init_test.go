package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/release"
)

// TestInitStampsAVariableItFound runs init on modules with and without a
// version variable: ldflags get a -X for the one found (main's, else a
// version package's) and none otherwise, and check passes either way.
func TestInitStampsAVariableItFound(t *testing.T) {
	const mod = "module example.com/demo\n\ngo 1.26\n"
	for _, tc := range []struct {
		name    string
		files   map[string]string
		ldflags []string
		says    string
	}{
		{"main.version", map[string]string{"main.go": "package main\n\nvar version = \"dev\"\n\nfunc main() { println(version) }\n"},
			[]string{"-s", "-w", "-X main.version={{.Version}}"}, "stamp the version into main.version"},
		{"main.Version", map[string]string{"main.go": "package main\n\nvar Version string\n\nfunc main() { println(Version) }\n"},
			[]string{"-s", "-w", "-X main.Version={{.Version}}"}, "stamp the version into main.Version"},
		{"internal/version", map[string]string{
			"cmd/demo/main.go":            "package main\n\nimport \"example.com/demo/internal/version\"\n\nfunc main() { println(version.Version) }\n",
			"internal/version/version.go": "package version\n\n// Version is stamped.\nvar Version = \"dev\"\n",
		}, []string{"-s", "-w", "-X example.com/demo/internal/version.Version={{.Version}}"}, "into example.com/demo/internal/version.Version"},
		{"a const", map[string]string{"main.go": "package main\n\nconst version = \"dev\"\n\nfunc main() { println(version) }\n"},
			[]string{"-s", "-w"}, "ldflags stamp no version"},
		{"none", map[string]string{"main.go": "package main\n\nfunc main() {}\n"}, []string{"-s", "-w"}, "ldflags stamp no version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.files["go.mod"] = mod
			for name, data := range tc.files {
				p := filepath.Join(dir, filepath.FromSlash(name))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			code, out, errs := runIn(t, dir, "init", "-vendor", "Demo Co", "-maintainer", "Demo Ops <ops@example.com>")
			if code != 0 {
				t.Fatalf("init: exit %d: %s", code, errs)
			}
			if !strings.Contains(out, tc.says) || !strings.Contains(out, ".gitignore: commit it before releasing") {
				t.Errorf("init said:\n%s", out)
			}
			yaml := mustReadFile(t, filepath.Join(dir, config.FileName))
			if len(tc.ldflags) == 2 && !strings.Contains(yaml, "# No string variable version found to stamp") {
				t.Errorf("no comment on how to stamp a version:\n%s", yaml)
			}
			c, err := release.Load(filepath.Join(dir, config.FileName), config.Env{})
			if err != nil {
				t.Fatalf("the config init wrote does not pass check: %v\n%s", err, yaml)
			}
			if !slices.Equal(c.Ldflags, tc.ldflags) {
				t.Errorf("ldflags %q, want %q", c.Ldflags, tc.ldflags)
			}
		})
	}
}

// TestInitStampsAWellKnownVersionPackage runs init on testdata/promver, a
// module whose programs import github.com/prometheus/common/version: the
// one with no version variable of its own gets -X lines for that package's
// settable variables, the one with main.version keeps main.version, and
// check passes the config either way.
func TestInitStampsAWellKnownVersionPackage(t *testing.T) {
	const pv = "github.com/prometheus/common/version"
	// A stand-in for the module in which Revision is a const: -X cannot
	// set it, so init leaves it out.
	constRevision := map[string]string{
		"go.mod": "module example.com/promver\n\ngo 1.26\n\nrequire github.com/prometheus/common v0.70.1\n\n" +
			"replace github.com/prometheus/common => ./common\n",
		"common/go.mod": "module github.com/prometheus/common\n\ngo 1.26\n",
		"common/version/version.go": "package version\n\n// Version is set by -X.\nvar Version string\n\n" +
			"// Revision is a const.\nconst Revision = \"\"\n",
	}
	for _, tc := range []struct {
		name    string
		args    []string
		files   map[string]string // written over testdata/promver's
		ldflags []string
		says    string
	}{
		{"imported", nil, nil,
			[]string{"-s", "-w", "-X " + pv + ".Version={{.Version}}", "-X " + pv + ".Revision={{.Commit}}"},
			"ldflags stamp the version into " + pv + ".Version and the commit into " + pv + ".Revision (-X): " +
				"the program declares no version variable of its own, and imports " + pv},
		{"its own main.version", []string{"-main", "./cmd/own"}, nil,
			[]string{"-s", "-w", "-X main.version={{.Version}}"},
			"ldflags stamp the version into main.version (-X): the program's own variable, chosen over " + pv},
		{"only what -X can set", nil, constRevision,
			[]string{"-s", "-w", "-X " + pv + ".Version={{.Version}}"},
			"ldflags stamp the version into " + pv + ".Version (-X): the program declares no version variable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.CopyFS(dir, os.DirFS(filepath.Join("testdata", "promver"))); err != nil {
				t.Fatal(err)
			}
			for name, data := range tc.files {
				p := filepath.Join(dir, filepath.FromSlash(name))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			args := []string{"init", "-vendor", "Demo Co", "-maintainer", "Demo Ops <ops@example.com>"}
			args = append(args, tc.args...)
			code, out, errs := runIn(t, dir, args...)
			if code != 0 {
				t.Fatalf("init: exit %d: %s", code, errs)
			}
			if !strings.Contains(out, tc.says) {
				t.Errorf("init said:\n%s\nwant %q", out, tc.says)
			}
			yaml := mustReadFile(t, filepath.Join(dir, config.FileName))
			c, err := release.Load(filepath.Join(dir, config.FileName), config.Env{})
			if err != nil {
				t.Fatalf("the config init wrote does not pass check: %v\n%s", err, yaml)
			}
			if !slices.Equal(c.Ldflags, tc.ldflags) {
				t.Errorf("ldflags %q, want %q\n%s", c.Ldflags, tc.ldflags, yaml)
			}
		})
	}
}

// TestInitSaysWhereVendorAndMaintainerCameFrom runs init with the vendor
// and maintainer from git's user settings, from the LICENSE and from its
// flags: it says where each came from, and that the vendor names the MSI's
// install folder.
func TestInitSaysWhereVendorAndMaintainerCameFrom(t *testing.T) {
	const install = `it names the Windows install folder C:\Program Files\`
	for _, tc := range []struct {
		name      string
		gitconfig string
		license   string
		args      []string
		says      []string
		not       []string
	}{
		{"git config", "[user]\n\tname = Seed maintainers\n\temail = seed@example.com\n", "", nil,
			[]string{"vendor: Seed maintainers (from git config user.name; " + install +
				`Seed maintainers\demo: set vendor: to your organisation)`,
				"maintainer: Seed maintainers <seed@example.com> (from git config user.name and user.email; "},
			nil},
		{"LICENSE", "", "Copyright 2015 The Prometheus Authors\n\nLicensed under the Apache License.\n", nil,
			[]string{"vendor: The Prometheus Authors (from LICENSE's copyright holder; " + install +
				`The Prometheus Authors\demo)`,
				"set vendor and maintainer"},
			[]string{"maintainer: ", "your organisation"}},
		{"flags", "[user]\n\tname = Seed maintainers\n\temail = seed@example.com\n", "",
			[]string{"-vendor", "Demo Co", "-maintainer", "Demo Ops <ops@example.com>"},
			[]string{"vendor: Demo Co (from -vendor; " + install + `Demo Co\demo)`,
				"maintainer: Demo Ops <ops@example.com> (from -maintainer; "},
			[]string{"Seed", "set vendor and maintainer"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gitconfig := filepath.Join(t.TempDir(), "gitconfig")
			if err := os.WriteFile(gitconfig, []byte(tc.gitconfig), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Setenv("GIT_CONFIG_GLOBAL", gitconfig)
			t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
			dir := t.TempDir()
			t.Setenv("GIT_CEILING_DIRECTORIES", filepath.Dir(dir)) // no repository's settings
			files := map[string]string{
				"go.mod":  "module example.com/demo\n\ngo 1.26\n",
				"main.go": "package main\n\nfunc main() {}\n",
			}
			if tc.license != "" {
				files["LICENSE"] = tc.license
			}
			for name, data := range files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			code, out, errs := runIn(t, dir, append([]string{"init"}, tc.args...)...)
			if code != 0 {
				t.Fatalf("init: exit %d: %s", code, errs)
			}
			for _, s := range tc.says {
				if !strings.Contains(out, s) {
					t.Errorf("init did not say %q:\n%s", s, out)
				}
			}
			for _, s := range tc.not {
				if strings.Contains(out, s) {
					t.Errorf("init said %q:\n%s", s, out)
				}
			}
		})
	}
}

// TestInitWritesTheWorkflow: in a git repository of a module on github.com,
// init writes the release workflow beside the config; run again with -ci
// github it refuses to replace it (with -force it does); a local build
// without -svcpack-version says how to pin one.
func TestInitWritesTheWorkflow(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{
		"go.mod":  "module github.com/acme/demo\n\ngo 1.26\n",
		"main.go": "package main\n\nvar version = \"dev\"\n\nfunc main() { println(version) }\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command("git", "-C", dir, "init", "-q").CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	args := []string{"init", "-vendor", "Demo Co", "-maintainer", "Demo Ops <ops@example.com>"}
	code, out, errs := runIn(t, dir, args...)
	if code != 0 || !strings.Contains(out, "release workflow not written: -ci github pins the svcpack version") {
		t.Fatalf("init without a version: exit %d:\n%s%s", code, out, errs)
	}
	code, out, errs = runIn(t, dir, "init", "-ci", "github", "-svcpack-version", "v1.2.3")
	wf := filepath.Join(dir, ".github", "workflows", "release.yml")
	if code != 0 || !strings.Contains(out, "svcpack v1.2.3, a part each for windows, linux, darwin") {
		t.Fatalf("init -ci github: exit %d:\n%s%s", code, out, errs)
	}
	if text := mustReadFile(t, wf); !strings.Contains(text, "uses: svcpack/svcpack@v1.2.3") {
		t.Errorf("the workflow:\n%s", text)
	}
	if code, _, errs = runIn(t, dir, "init", "-ci", "github", "-svcpack-version", "v1.2.4"); code == 0 ||
		!strings.Contains(errs, "already exists: pass -force") {
		t.Errorf("init -ci github over a workflow: exit %d: %s", code, errs)
	}
	if code, _, errs = runIn(t, dir, "init", "-ci", "github", "-force", "-svcpack-version", "v1.2.4"); code != 0 ||
		!strings.Contains(mustReadFile(t, wf), "svcpack/svcpack@v1.2.4") {
		t.Errorf("init -ci github -force: exit %d: %s", code, errs)
	}
}
