package main

import (
	"os"
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
