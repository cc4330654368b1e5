package release

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/pkg/config"
)

// TestCheckStamps loads configs whose ldflags point -X at the programs of
// testdata/stamps and checks that each -X that would stamp nothing is a
// problem at its ldflags item's line, saying why and the fix.
func TestCheckStamps(t *testing.T) {
	for _, tc := range []struct {
		name, main string
		ldflags    []string // one item a line, from line 6
		targets    string
		want       []string // substrings of the error; none: it loads
		not        []string // what the error must not say
	}{
		{name: "settable", main: "./cmd/ok", ldflags: []string{"-s", "-X main.version={{.Version}}"}},
		{name: "-X= form", main: "./cmd/ok", ldflags: []string{"-X=main.version={{.Version}}"}},
		{name: "two items", main: "./cmd/ok", ldflags: []string{"-X", "main.version={{.Version}}"}},
		{name: "quoted value", main: "./cmd/ok", ldflags: []string{"-X 'main.version={{.Version}} beta'"}},
		{name: "const", main: "./cmd/const", ldflags: []string{"-s", "-w", "-X main.version={{.Version}}"},
			want: []string{"svcpack.yaml:8: ldflags[2]: -X main.version: main.version is a const in cmd/const/main.go:5",
				"make it `var version = \"dev\"`"}},
		{name: "const, -X= form", main: "./cmd/const", ldflags: []string{"-X=main.version=1"},
			want: []string{"svcpack.yaml:6: ldflags[0]: -X main.version: main.version is a const"}},
		{name: "const, two items", main: "./cmd/const", ldflags: []string{"-s", "-X", "main.version=1"},
			want: []string{"svcpack.yaml:8: ldflags[2]: -X main.version: main.version is a const"}},
		{name: "not a string", main: "./cmd/int", ldflags: []string{"-X main.version=1"},
			want: []string{"ldflags[0]: -X main.version: main.version is a variable of type int in cmd/int/main.go:5, and -X sets only a variable of type string"}},
		{name: "computed", main: "./cmd/computed", ldflags: []string{"-X main.version=1"},
			want: []string{"main.version in cmd/computed/main.go:8 is initialised with a non-constant expression"}},
		{name: "missing", main: "./cmd/missing", ldflags: []string{"-X main.version=1"},
			want: []string{"svcpack.yaml:6: ldflags[0]: -X main.version: no variable version in package main (./cmd/missing)"}},
		{name: "misspelt", main: "./cmd/ok", ldflags: []string{"-X main.Verison=1"},
			want: []string{"ldflags[0]: -X main.Verison: no variable Verison in package main (./cmd/ok), so the linker sets nothing: " +
				"did you mean -X main.version? Else declare `var Verison = \"dev\"` there"}},
		// example.com/common, a module of its own that go.mod requires (and
		// replaces with ./common), stands for a dependency in the module
		// cache: its source is not the user's to change.
		{name: "dependency", main: "./cmd/ok", ldflags: []string{"-X example.com/common/version.Revision={{.Commit}}"}},
		{name: "dependency, misspelt", main: "./cmd/ok", ldflags: []string{"-X example.com/common/version.Revison={{.Commit}}"},
			want: []string{"ldflags[0]: -X example.com/common/version.Revison: no variable Revison in package example.com/common/version " +
				"(outside the module, in ", "so the linker sets nothing; " +
				"did you mean -X example.com/common/version.Revision, the nearest name -X can set there?"},
			not: []string{"declare", "var Revison"}},
		{name: "dependency, no name near", main: "./cmd/ok", ldflags: []string{"-X example.com/common/version.Commit={{.Commit}}"},
			want: []string{"no variable Commit in package example.com/common/version (outside the module",
				"-X can set only Branch, BuildDate, BuildUser, Revision, Version there"},
			not: []string{"declare", "did you mean"}},
		{name: "other package", main: "./cmd/missing", ldflags: []string{"-X example.com/stamps/internal/version.Version=1"}},
		{name: "other package, const", main: "./cmd/missing", ldflags: []string{"-s", "-X example.com/stamps/internal/version.Commit={{.Commit}}"},
			want: []string{"svcpack.yaml:7: ldflags[1]: -X example.com/stamps/internal/version.Commit: " +
				"example.com/stamps/internal/version.Commit is a const in internal/version/version.go:8"}},
		{name: "no such package", main: "./cmd/ok", ldflags: []string{"-X example.com/stamps/nothing.Version=1"},
			want: []string{"ldflags[0]: -X example.com/stamps/nothing.Version: go list finds no package example.com/stamps/nothing (no required module provides package example.com/stamps/nothing)"}},
		{name: "main by its import path", main: "./cmd/ok", ldflags: []string{"-X example.com/stamps/cmd/ok.version=1"},
			want: []string{"example.com/stamps/cmd/ok is a main package, which the linker calls main: write -X main.version=..."}},
		{name: "malformed", main: "./cmd/ok", ldflags: []string{"-X main.version"},
			want: []string{"ldflags[0]: -X main.version: want -X importpath.name=value"}},
		{name: "by target", main: "./cmd/winonly", ldflags: []string{"-X main.version=1"}, targets: "[windows/amd64, linux/amd64, linux/arm64]",
			want: []string{"-X main.version: for linux/amd64, linux/arm64, main.version is a const in cmd/winonly/version_other.go:5"}},
		{name: "by target, all fine", main: "./cmd/winonly", ldflags: []string{"-X main.version=1"}, targets: "[windows/amd64, windows/arm64]"},
		{name: "default ldflags, missing", main: "./cmd/missing"},
		{name: "default ldflags, const", main: "./cmd/const",
			want: []string{"svcpack.yaml:2: ldflags[2]: svcpack's default -X main.version: main.version is a const", "or set ldflags in svcpack.yaml"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.CopyFS(dir, os.DirFS(filepath.Join("testdata", "stamps"))); err != nil {
				t.Fatal(err)
			}
			targets := tc.targets
			if targets == "" {
				targets = "[linux/amd64, windows/amd64]"
			}
			yaml := "name: stamps\nmain: " + tc.main + "\nversion: 1.0.0\ntargets: " + targets + "\nformats: []\n"
			if tc.ldflags != nil {
				yaml += "ldflags:\n"
				for _, f := range tc.ldflags {
					yaml += "  - \"" + strings.ReplaceAll(f, `"`, `\"`) + "\"\n"
				}
			}
			yaml = strings.Replace(yaml, "formats: []\n", "", 1) + "formats: []\nservice: {wrap: false}\n"
			cfg := filepath.Join(dir, "svcpack.yaml")
			if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(cfg, config.Env{Getenv: func(string) string { return "" }})
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Load succeeded; want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(err.Error(), n) {
					t.Errorf("error says %q:\n%v", n, err)
				}
			}
		})
	}
}
