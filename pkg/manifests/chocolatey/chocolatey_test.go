package chocolatey

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/nupkgtest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var xsd = filepath.Join("testdata", "nuspec", "nuspec.xsd")

func sample() Package {
	return Package{
		ID: "hello", Version: "1.2.3", Title: "Hello Service", Authors: "Acme Corp", Description: "Says hello over HTTP",
		Summary: "Says hello", Copyright: "(c) Acme Corp", ProjectURL: "https://example.com/hello", License: "MIT OR Apache-2.0",
		Tags: []string{"hello", "service"},
		MSIs: []MSI{
			{Arch: "386", URL: "https://example.com/dl/hello_1.2.3_windows_386.msi", SHA256: strings.Repeat("AB", 32), ProductCode: "{11111111-2222-3333-4444-555555555555}"},
			{Arch: "amd64", URL: "https://example.com/dl/hello_1.2.3_windows_amd64.msi", SHA256: strings.Repeat("cd", 32), ProductCode: "{21111111-2222-3333-4444-555555555555}"},
		},
		Date: time.Unix(1700000000, 0),
	}
}

func write(t *testing.T, p Package) string {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, p); err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), p.FileName())
	if err := os.WriteFile(f, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestPackage checks the sample as a zip, an OPC package and a nuspec
// valid against Chocolatey's XSD (nupkgtest), compares its parts with
// golden files (-update rewrites them) and makes it twice, the same.
func TestPackage(t *testing.T) {
	file := write(t, sample())
	parts, n := nupkgtest.Check(t, file, xsd, NuspecNamespace)
	if n.Metadata.ID != "hello" || n.Metadata.Version != "1.2.3" || n.Metadata.License.Type != "expression" || n.Metadata.License.Value != "MIT OR Apache-2.0" {
		t.Errorf("nuspec metadata %+v", n.Metadata)
	}
	for _, name := range []string{"hello.nuspec", "tools/chocolateyinstall.ps1", "tools/chocolateyuninstall.ps1", "[Content_Types].xml", "_rels/.rels"} {
		golden := filepath.Join("testdata", "golden", strings.NewReplacer("/", "_", "[", "", "]", "").Replace(name))
		if *update {
			os.MkdirAll(filepath.Dir(golden), 0o755)
			if err := os.WriteFile(golden, parts[name], 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if string(want) != string(parts[name]) {
			t.Errorf("%s differs from %s (-update rewrites it):\n%s", name, golden, parts[name])
		}
	}
	a, _ := os.ReadFile(file)
	b, _ := os.ReadFile(write(t, sample()))
	if !bytes.Equal(a, b) {
		t.Error("two packages of one Package differ")
	}
}

// TestText: texts that mean something in XML stay text in the nuspec
// (read back by encoding/xml after xmllint validated it), and a quote in a
// URL stays inside its PowerShell string.
func TestText(t *testing.T) {
	p := sample()
	p.Description = `<x> &amp; ]]></description><id>evil</id> "quoted" 'single' é €`
	p.Title = "a & b < c"
	// A typographic quote ends a PowerShell string as ' does: it is
	// doubled in the install script.
	p.MSIs[1].URL = "https://example.com/a\u2019;x=$(calc.exe);y=\u2019/hello.msi"
	files, n := nupkgtest.Check(t, write(t, p), xsd, NuspecNamespace)
	if n.Metadata.Description != p.Description || n.Metadata.Title != p.Title {
		t.Errorf("read back %q, %q", n.Metadata.Description, n.Metadata.Title)
	}
	if script := string(files["tools/chocolateyinstall.ps1"]); !strings.Contains(script, "'https://example.com/a\u2019\u2019;x=$(calc.exe);y=\u2019\u2019/hello.msi'") {
		t.Errorf("the URL is not one PowerShell string in chocolateyinstall.ps1:\n%s", script)
	}
	// Windows PowerShell reads a script without a byte order mark in the
	// ANSI code page, where the UTF-8 of U+2019 is three characters and
	// the doubling above no longer holds: both scripts carry the mark.
	for _, name := range []string{"tools/chocolateyinstall.ps1", "tools/chocolateyuninstall.ps1"} {
		if !bytes.HasPrefix(files[name], []byte{0xef, 0xbb, 0xbf}) {
			t.Errorf("%s has no UTF-8 byte order mark", name)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(p *Package)
		want string
	}{
		{"id with a space", func(p *Package) { p.ID = "hello world" }, "package id"},
		{"id ending in a dot", func(p *Package) { p.ID = "hello." }, "package id"},
		{"version of one number", func(p *Package) { p.Version = "1" }, "version"},
		{"SemVer build metadata", func(p *Package) { p.Version = "1.2.3+abc" }, "version"},
		{"no description", func(p *Package) { p.Description = " " }, "description"},
		{"control character", func(p *Package) { p.Summary = "a\x01b" }, "XML cannot carry"},
		{"tag with a space", func(p *Package) { p.Tags = []string{"two words"} }, "tag"},
		{"no MSI", func(p *Package) { p.MSIs = nil }, "no MSI"},
		{"arm64 MSI", func(p *Package) { p.MSIs[0].Arch = "arm64" }, "386 and amd64 only"},
		{"two of one arch", func(p *Package) { p.MSIs[1].Arch = "386" }, "two MSIs"},
		{"quote in a URL", func(p *Package) { p.MSIs[0].URL = "https://example.com/a'b.msi" }, "MSI URL"},
		{"product code without braces", func(p *Package) { p.MSIs[0].ProductCode = "11111111-2222-3333-4444-555555555555" }, "ProductCode"},
	} {
		p := sample()
		tc.edit(&p)
		if err := Write(&bytes.Buffer{}, p); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.want)
		}
	}
}
