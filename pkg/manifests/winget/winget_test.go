package winget

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/testtool"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func sample() Package {
	return Package{
		ID: "Acme.Hello", Version: "1.2.3", Publisher: "Acme Corp", Name: "Hello Service", License: "MIT",
		ShortDescription: "Says hello over HTTP", PackageURL: "https://example.com/hello", Copyright: "(c) Acme Corp",
		ReleaseDate: time.Unix(1700000000, 0),
		Installers: []Installer{
			{Arch: "386", URL: "https://example.com/dl/v1.2.3/hello_1.2.3_windows_386.msi", SHA256: strings.Repeat("ab", 32),
				ProductCode: "{11111111-2222-3333-4444-555555555555}", UpgradeCode: "{6B2A1E7C-5D4F-4E3A-9B2C-1D0E8F7A6B5C}"},
			{Arch: "amd64", URL: "https://example.com/dl/v1.2.3/hello_1.2.3_windows_amd64.msi", SHA256: strings.Repeat("cd", 32),
				ProductCode: "{21111111-2222-3333-4444-555555555555}", UpgradeCode: "{6B2A1E7C-5D4F-4E3A-9B2C-1D0E8F7A6B5C}"},
			{Arch: "arm64", URL: "https://example.com/dl/v1.2.3/hello_1.2.3_windows_arm64.msi", SHA256: strings.Repeat("ef", 32),
				ProductCode: "{31111111-2222-3333-4444-555555555555}", UpgradeCode: "{6B2A1E7C-5D4F-4E3A-9B2C-1D0E8F7A6B5C}"},
		},
	}
}

// schemaFor is the schema file of a manifest file.
func schemaFor(name string) string {
	kind := "version"
	switch {
	case strings.HasSuffix(name, ".installer.yaml"):
		kind = "installer"
	case strings.Contains(name, ".locale."):
		kind = "defaultLocale"
	}
	return filepath.Join("testdata", "schema", "manifest."+kind+"."+ManifestVersion+".json")
}

// TestManifestsGolden writes the sample's manifests (golden files, -update
// rewrites them) and validates each against winget's schema.
func TestManifestsGolden(t *testing.T) {
	p := sample()
	files, err := p.Manifests()
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 3 {
		t.Fatalf("%d files", len(files))
	}
	if got, want := p.Dir(), "manifests/a/Acme/Hello/1.2.3"; got != want {
		t.Errorf("Dir() = %q, want %q", got, want)
	}
	dir := t.TempDir()
	for _, f := range files {
		golden := filepath.Join("testdata", "golden", f.Name)
		if *update {
			os.MkdirAll(filepath.Dir(golden), 0o755)
			if err := os.WriteFile(golden, f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if string(want) != string(f.Data) {
			t.Errorf("%s differs from %s (-update rewrites it):\n%s", f.Name, golden, f.Data)
		}
		doc := filepath.Join(dir, f.Name)
		if err := os.WriteFile(doc, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		testtool.ValidateJSONSchema(t, schemaFor(f.Name), doc)
	}
}

// TestManifestsCarryText: texts that mean something in YAML come back from
// PyYAML as written, and the manifests still validate.
func TestManifestsCarryText(t *testing.T) {
	p := sample()
	p.Publisher = `Acme: "Corp" # not a comment`
	p.Name = "- [list] {map} &anchor *alias !tag %"
	p.ShortDescription = "it's \\ back\\slash é € 'quoted' \u2028? no: U+2028 is a line separator"
	p.Copyright = "key: value\nnext: line"
	files, err := p.Manifests()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range files {
		doc := filepath.Join(dir, f.Name)
		if err := os.WriteFile(doc, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		testtool.ValidateJSONSchema(t, schemaFor(f.Name), doc)
	}
	locale := filepath.Join(dir, files[1].Name)
	got := testtool.ReadYAML(t, locale)
	for k, want := range map[string]string{"Publisher": p.Publisher, "PackageName": p.Name, "ShortDescription": p.ShortDescription, "Copyright": p.Copyright} {
		if got[k] != want {
			t.Errorf("%s read back as %q, want %q", k, got[k], want)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(p *Package)
		want string
	}{
		{"one-part id", func(p *Package) { p.ID = "Hello" }, "package identifier"},
		{"id with a space", func(p *Package) { p.ID = "Acme Corp.Hello" }, "package identifier"},
		{"version with a slash", func(p *Package) { p.Version = "1/2" }, "package version"},
		{"short publisher", func(p *Package) { p.Publisher = "A" }, "Publisher"},
		{"no license", func(p *Package) { p.License = "" }, "License"},
		{"short description", func(p *Package) { p.ShortDescription = "ab" }, "ShortDescription"},
		{"no installers", func(p *Package) { p.Installers = nil }, "no installers"},
		{"two installers of one arch", func(p *Package) { p.Installers[1].Arch = "386" }, "two installers for architecture x86"},
		{"unknown arch", func(p *Package) { p.Installers[0].Arch = "mips" }, "GOARCH"},
		{"ftp URL", func(p *Package) { p.Installers[0].URL = "ftp://example.com/x.msi" }, "installer URL"},
		{"short digest", func(p *Package) { p.Installers[0].SHA256 = "abc" }, "SHA-256"},
		{"no product code", func(p *Package) { p.Installers[0].ProductCode = "" }, "ProductCode"},
	} {
		p := sample()
		tc.edit(&p)
		if _, err := p.Manifests(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.want)
		}
	}
}
