package release

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	linuxfmt "github.com/svcpack/svcpack/pkg/format/linuxpkg"
	"github.com/svcpack/svcpack/pkg/format/svcwrap"
	"github.com/svcpack/svcpack/pkg/packager"

	"github.com/svcpack/svcpack/internal/testtool"
	"github.com/svcpack/svcpack/pkg/config"
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
		Service:      config.Service{Name: "hello"},
		NameTemplate: config.NameTemplate{Archive: config.DefaultArchiveName, Package: config.DefaultPackageName, BinaryDir: config.DefaultBinaryDir}}
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
			line := func(what, name string, err error) {
				if err != nil {
					name = "error: " + err.Error()
				}
				fmt.Fprintf(&b, "%s %s %s %s\n", v, ts, what, name)
			}
			name, err := packager.BinaryPath(s, tg)
			line("binary", name, err)
			if tg.OS == "windows" {
				name, err := svcwrap.Path(s, tg)
				line("svcwrap", name, err)
			}
			for _, ext := range exts[tg.OS] {
				name, err := packager.ArchiveName(s, tg, ext)
				line(ext, name, err)
			}
			if tg.OS != "linux" {
				continue
			}
			for _, f := range []string{"deb", "rpm", "apk"} {
				name, err := linuxfmt.Name(s, tg, f, linuxfmt.Options(s, tg, bin, f))
				line(f, name, err)
			}
		}
	}
	return b.String()
}

// TestDefaultNames pins the artifact names a release makes with the
// default name templates: testdata/default-names.txt was written by the
// naming code before name templates existed (commit "release: pin today's
// artifact names"), so an equal list proves the defaults byte-identical;
// -update rewrites it, and a diff is a changed name.
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
		t.Errorf("default artifact names changed (go test ./pkg/release -run TestDefaultNames -update rewrites %s):\n%s", golden, lineDiff(string(want), got))
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

// namesProject writes a tiny program and svcpack.yaml (yaml) into a new
// directory and loads it as check does.
func namesProject(t *testing.T, yaml string) (*config.Spec, error) {
	t.Helper()
	dir := t.TempDir()
	for name, content := range map[string]string{
		"go.mod":       "module example.com/name\n\ngo 1.26\n",
		"main.go":      "package main\n\nimport \"fmt\"\n\nvar version = \"dev\"\n\nfunc main() { fmt.Println(version) }\n",
		"svcpack.yaml": yaml,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return Load(filepath.Join(dir, "svcpack.yaml"), config.Env{Getenv: func(k string) string {
		if k == "SOURCE_DATE_EPOCH" {
			return "1700000000"
		}
		return ""
	}})
}

const namesYAML = `name: name
main: .
version: 1.2.3
targets: [linux/arm/7, linux/amd64]
formats: [tar.gz, deb]
maintainer: Name Ops <ops@example.com>
service: {wrap: false, linux: {notify: false}}
name_template:
  archive: "{{.Name}}_v{{.Version}}_{{.Os}}_{{.ArchName}}"
  binary_dir: "bin_{{.Os}}_{{.Arch}}{{with .Variant}}v{{.}}{{end}}"
  package: "{{.Name}}_{{.Version}}_{{.Os}}_{{.ArchName}}"
  release: "{{.Format}}/{{.Conventional}}"
`

// TestNameTemplates releases with name templates that put a v before the
// version, as a project's published download URLs do: the artifacts carry
// the names, checksums.txt verifies them (sha256sum -c), and the files
// are what their names say (tar, dpkg-deb).
func TestNameTemplates(t *testing.T) {
	sha256sum := testtool.Need(t, "sha256sum", "coreutils")
	tarTool := testtool.Need(t, "tar", "tar")
	dpkgDeb := testtool.Need(t, "dpkg-deb", "dpkg")
	s, err := namesProject(t, namesYAML)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Release(context.Background(), s, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range res.Artifacts {
		got = append(got, a.Path)
	}
	want := []string{
		"bin_linux_amd64/name", "bin_linux_armv7/name", "checksums.txt",
		"name_1.2.3_linux_amd64.deb", "name_1.2.3_linux_armv7.deb",
		"name_v1.2.3_linux_amd64.tar.gz", "name_v1.2.3_linux_armv7.tar.gz",
	}
	eq(t, "artifacts", got, want)
	run := func(dir, name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	if out := run(res.Dist, sha256sum, "-c", "--strict", packager.ChecksumsName); !strings.Contains(out, "name_v1.2.3_linux_armv7.tar.gz: OK") {
		t.Errorf("sha256sum -c does not check the tarball:\n%s", out)
	}
	if out := run(res.Dist, tarTool, "-tzf", "name_v1.2.3_linux_armv7.tar.gz"); !slices.Contains(strings.Fields(out), "name") {
		t.Errorf("the tarball holds no program:\n%s", out)
	}
	eq(t, "deb Architecture", strings.TrimSpace(run(res.Dist, dpkgDeb, "-f", "name_1.2.3_linux_armv7.deb", "Architecture")), "armhf")
	m := readManifest(t, res.Dist)
	for _, a := range m.Artifacts {
		if a.Path == "name_v1.2.3_linux_armv7.tar.gz" && (a.Kind != packager.KindTarGz || a.Target() != "linux/arm/7") {
			t.Errorf("artifacts.json lists the tarball as %+v", a)
		}
	}
}

// readManifest reads dist's artifacts.json.
func readManifest(t *testing.T, dist string) Manifest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dist, packager.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestNameTemplateRules: check refuses a template that makes no plain file
// name, and names two artifacts share, at the template's field.
func TestNameTemplateRules(t *testing.T) {
	for _, tc := range []struct{ name, from, to, want string }{
		{"separator", `archive: "{{.Name}}_v`, `archive: "{{.Os}}/{{.Name}}_v`,
			`svcpack.yaml:9: name_template.archive: template "{{.Os}}/{{.Name}}_v{{.Version}}_{{.Os}}_{{.ArchName}}": "linux/name_v1.2.3_linux_armv7" holds a path separator`},
		{"unknown variable", `{{.ArchName}}"
  binary_dir`, `{{.Arc}}"
  binary_dir`, `svcpack.yaml:9: name_template.archive: template "{{.Name}}_v{{.Version}}_{{.Os}}_{{.Arc}}": template: name:1:34: executing "name" at <.Arc>: can't evaluate field Arc`},
		{"one name for two targets", `_{{.Os}}_{{.ArchName}}"
  binary_dir`, `"
  binary_dir`, `name_template.archive: "name_v1.2.3.tar.gz" would be written by tar.gz for linux/arm/7 and by tar.gz for linux/amd64: each artifact needs a name of its own`},
		{"a folder named as a file", `binary_dir: "bin_{{.Os}}_{{.Arch}}{{with .Variant}}v{{.}}{{end}}"`, `binary_dir: "{{.Name}}_v{{.Version}}_{{.Os}}_{{.ArchName}}.tar.gz"`,
			`svcpack.yaml:9: name_template.archive: "name_v1.2.3_linux_armv7.tar.gz" would be a file of tar.gz for linux/arm/7 and the folder of an artifact of binary for linux/arm/7`},
		{"package names of two arm variants", `  package: "{{.Name}}_{{.Version}}_{{.Os}}_{{.ArchName}}"
`, "", `svcpack.yaml:8: name_template.package: "name_1.2.3-1_armhf.deb" would be written by deb for linux/arm/7 and by deb for linux/arm/6`},
		{"a release name with no target", `formats: [tar.gz, deb]`, "formats: [tar.gz, deb, oci, helm, compose]\n" +
			"oci: {push: [registry.example.com/name]}\nhelm: {push: oci://registry.example.com/charts}",
			`svcpack.yaml:14: name_template.release: template "{{.Format}}/{{.Conventional}}": "helm/name-1.2.3" holds a path separator`},
		{"control character", `archive: "{{.Name}}_v`, `archive: "{{.Name}}\t_v`, `name_template.archive: "{{.Name}}\t_v{{.Version}}_{{.Os}}_{{.ArchName}}" holds the control character U+0009`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			yaml := namesYAML
			if !strings.Contains(yaml, tc.from) {
				t.Fatalf("test bug: %q not in the config", tc.from)
			}
			yaml = strings.Replace(yaml, tc.from, tc.to, 1)
			if tc.name == "package names of two arm variants" {
				yaml = strings.Replace(yaml, "[linux/arm/7, linux/amd64]", "[linux/arm/7, linux/amd64, linux/arm/6]", 1)
			}
			_, err := namesProject(t, yaml)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("load: %v\nwant an error with %q", err, tc.want)
			}
		})
	}
}
