package release

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/linuxpkg"
	"github.com/svcpack/svcpack/pkg/version"
)

// namesTargets are targets with and without variants on every OS.
var namesTargets = []string{
	"windows/386", "windows/amd64", "windows/arm64", "windows/386/softfloat",
	"linux/amd64", "linux/arm64", "linux/386", "linux/arm/6", "linux/arm/7", "linux/amd64/v3", "linux/arm64/v8.2",
	"darwin/amd64", "darwin/arm64",
}

// namesVersions are a release, a pre-release and a dirty build after a tag.
var namesVersions = []string{"1.2.3", "1.2.3-rc.1", "1.2.3-4-gabc1234-dirty"}

// namesSpec is the smallest spec the naming functions read.
func namesSpec(t *testing.T, v string) *config.Spec {
	t.Helper()
	pv, err := version.Parse(v)
	if err != nil {
		t.Fatal(err)
	}
	return &config.Spec{Name: "hello", Version: config.Version{Version: pv}, Maintainer: "A <a@example.com>",
		Service: config.Service{Name: "hello"}}
}

// defaultNames lists the path of every artifact a release names from the
// spec and target, with no name_template set, one per line.
func defaultNames(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	bin := filepath.Join(t.TempDir(), "hello")
	if err := os.WriteFile(bin, []byte("binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	exts := map[string][]string{
		"windows": {".zip", ".msi", ".sbom.cdx.json", ".svcwrap.sbom.cdx.json"},
		"linux":   {".tar.gz", ".sbom.cdx.json"},
		"darwin":  {".tar.gz", ".sbom.cdx.json"},
	}
	for _, v := range namesVersions {
		s := namesSpec(t, v)
		for _, ts := range namesTargets {
			tg := mustTargets(t, ts)[0]
			fmt.Fprintf(&b, "%s %s binary %s\n", v, ts, binaryPath(s.Name, tg))
			if tg.OS == "windows" {
				fmt.Fprintf(&b, "%s %s svcwrap %s\n", v, ts, path.Join(s.Name+"_"+tg.Slug(), config.WrapperExe))
			}
			for _, ext := range exts[tg.OS] {
				fmt.Fprintf(&b, "%s %s %s %s\n", v, ts, ext, archiveName(s, tg, ext))
			}
			if tg.OS != "linux" {
				continue
			}
			for _, f := range []string{"deb", "rpm", "apk"} {
				name, err := linuxpkg.FileName(linuxOptions(s, tg, bin, f), f)
				if err != nil {
					name = "error: " + err.Error()
				}
				fmt.Fprintf(&b, "%s %s %s %s\n", v, ts, f, name)
			}
		}
	}
	return b.String()
}

// TestDefaultNames pins the artifact names a release makes without
// name_template: testdata/default-names.txt was written by the code before
// name templates existed (-update rewrites it; a diff is a changed name).
func TestDefaultNames(t *testing.T) {
	got := defaultNames(t)
	golden := filepath.Join("testdata", "default-names.txt")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("default artifact names changed (go test -run TestDefaultNames -update ./pkg/release rewrites %s):\n%s", golden, lineDiff(string(want), got))
	}
}

// lineDiff lists the lines of want missing from got (-) and the lines of
// got not in want (+).
func lineDiff(want, got string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	w, g := in(want), in(got)
	var b strings.Builder
	for _, l := range strings.Split(want, "\n") {
		if !g[l] {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range strings.Split(got, "\n") {
		if !w[l] {
			b.WriteString("+ " + l + "\n")
		}
	}
	return b.String()
}
