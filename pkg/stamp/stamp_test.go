package stamp

import (
	"go/build"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// target is go/build's context for one GOOS/GOARCH, without cgo.
func target(goos, goarch string) *build.Context {
	c := build.Default
	c.GOOS, c.GOARCH, c.CgoEnabled = goos, goarch, false
	return &c
}

func TestLookup(t *testing.T) {
	linux, err := Load(target("linux", "amd64"), filepath.Join("testdata", "prog"))
	if err != nil {
		t.Fatal(err)
	}
	windows, err := Load(target("windows", "amd64"), filepath.Join("testdata", "prog"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		pkg  *Package
		name string
		kind Kind
		typ  string
		line int
	}{
		{linux, "version", Settable, "string", 11},
		{linux, "Version", Settable, "string", 13},
		{linux, "folded", Settable, "string", 15},
		{linux, "constant", Const, "untyped string", 17},
		{linux, "number", NotString, "int", 19},
		{linux, "named", NotString, "label", 23},
		{linux, "computed", Computed, "string", 25},
		{linux, "imported", Computed, "invalid type", 27},
		{linux, "fromOther", Unknown, "invalid type", 29},
		{linux, "pair", Computed, "string", 31},
		{linux, "defaultVersion", NotString, "func", 33},
		{linux, "label", NotString, "type", 21},
		{linux, "missing", Missing, "", 0},
		{linux, "onlyTest", Missing, "", 0},
		{linux, "onlyWindows", Missing, "", 0},
		{windows, "onlyWindows", Settable, "string", 3},
	} {
		v := tc.pkg.Lookup(tc.name)
		if v.Kind != tc.kind || v.Type != tc.typ || v.Pos.Line != tc.line {
			t.Errorf("%s (%s): kind %d, type %q, line %d; want %d, %q, %d", tc.name, filepath.Base(v.Pos.Filename), v.Kind, v.Type, v.Pos.Line, tc.kind, tc.typ, tc.line)
		}
	}
	if linux.Name != "main" {
		t.Errorf("package name %q, want main", linux.Name)
	}
}

// TestNearest checks the names -X can set in testdata/prog and the one a
// misspelling is nearest to.
func TestNearest(t *testing.T) {
	p, err := Load(target("linux", "amd64"), filepath.Join("testdata", "prog"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Settable(), []string{"Version", "folded", "version"}; !slices.Equal(got, want) {
		t.Errorf("Settable = %q, want %q", got, want)
	}
	for name, want := range map[string]string{
		"Verison":  "Version", // swapped neighbours; Version is nearer in case than version
		"versoin":  "version",
		"VERSION":  "Version",
		"fodled":   "folded",
		"folde":    "folded",
		"computd":  "", // not settable
		"constant": "",
		"Commit":   "",
		"ver":      "", // too far for three letters
	} {
		if got := p.Nearest(name); got != want {
			t.Errorf("Nearest(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestFind(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"main.version", map[string]string{"main.go": "package main\n\nvar version = \"dev\"\n\nfunc main() {}\n"}, "main.version"},
		{"main.Version", map[string]string{"main.go": "package main\n\nvar Version string\n\nfunc main() {}\n"}, "main.Version"},
		{"const in main, var in internal/version", map[string]string{
			"main.go":                     "package main\n\nconst version = \"1\"\n\nfunc main() {}\n",
			"internal/version/version.go": "package version\n\nvar Version = \"dev\"\n",
		}, "example.com/m/internal/version.Version"},
		{"buildinfo", map[string]string{
			"main.go":                 "package main\n\nfunc main() {}\n",
			"pkg/buildinfo/bi.go":     "package buildinfo\n\nvar version = \"dev\"\n",
			"testdata/version/v.go":   "package version\n\nvar Version = \"dev\"\n",
			"other/version/go.mod":    "module example.com/other\n",
			"other/version/v.go":      "package version\n\nvar Version = \"dev\"\n",
			"pkg/buildinfo/bi_x.go":   "package buildinfo\n\nconst Commit = \"\"\n",
			"deeper/a/version/v.go":   "package version\n\nvar Version = \"dev\"\n",
			"pkg/version/computed.go": "package version\n\nvar Version = compute()\n\nfunc compute() string { return \"\" }\n",
		}, "example.com/m/pkg/buildinfo.version"},
		{"none", map[string]string{"main.go": "package main\n\nvar version int\n\nfunc main() {}\n"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.files["go.mod"] = "module example.com/m\n\ngo 1.26\n"
			for name, content := range tc.files {
				p := filepath.Join(dir, filepath.FromSlash(name))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := Find(target("linux", "amd64"), dir, dir, "example.com/m")
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("Find = %q, want %q", got, tc.want)
			}
		})
	}
}
