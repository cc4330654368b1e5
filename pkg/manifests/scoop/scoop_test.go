package scoop

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/internal/testtool"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var schema = filepath.Join("testdata", "schema", "schema.json")

func sample() Manifest {
	const base = "https://github.com/acme/hello/releases/download/v"
	return Manifest{
		Version: "1.2.3", Description: "Says hello over HTTP", Homepage: "https://github.com/acme/hello", License: "MIT",
		Archives: []Archive{
			{Arch: "386", URL: base + "1.2.3/hello_1.2.3_windows_386.zip", SHA256: strings.Repeat("ab", 32)},
			{Arch: "amd64", URL: base + "1.2.3/hello_1.2.3_windows_amd64.zip", SHA256: strings.Repeat("CD", 32)},
			{Arch: "arm64", URL: base + "1.2.3/hello_1.2.3_windows_arm64.zip", SHA256: strings.Repeat("ef", 32)},
		},
		Bin: "hello.exe", Persist: []string{"config.yaml", "conf/extra.yaml"},
		InstallScript: "install-service.cmd", UninstallScript: "uninstall-service.cmd",
		Autoupdate: &Autoupdate{
			URLs: map[string]string{
				"386": base + "$version/hello_$version_windows_386.zip", "amd64": base + "$version/hello_$version_windows_amd64.zip",
				"arm64": base + "$version/hello_$version_windows_arm64.zip",
			},
			ChecksumsURL: base + "$version/checksums.txt",
		},
		GitHub: "https://github.com/acme/hello",
	}
}

func write(t *testing.T, data []byte) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "hello.json")
	if err := os.WriteFile(f, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestJSONGolden writes the sample (testdata/golden/hello.json, -update
// rewrites it) and validates it against Scoop's schema.
func TestJSONGolden(t *testing.T) {
	got, err := sample().JSON()
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "golden", "hello.json")
	if *update {
		os.MkdirAll(filepath.Dir(golden), 0o755)
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("the manifest differs from %s (-update rewrites it):\n%s", golden, got)
	}
	testtool.ValidateJSONSchema(t, schema, write(t, got))
	// Without autoupdate, checkver, hooks or persisted files it is valid
	// too.
	m := sample()
	m.Autoupdate, m.GitHub, m.InstallScript, m.UninstallScript, m.Persist, m.Bin = nil, "", "", "", nil, ""
	min, err := m.JSON()
	if err != nil {
		t.Fatal(err)
	}
	testtool.ValidateJSONSchema(t, schema, write(t, min))
}

// TestHooks: the scripts' names are PowerShell data (single-quoted, a
// quote doubled), run with the call operator from the app's folder.
func TestHooks(t *testing.T) {
	m := sample()
	m.InstallScript = "it's $(evil).cmd"
	b, err := m.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		PostInstall  []string `json:"post_install"`
		PreUninstall []string `json:"pre_uninstall"`
		Persist      []string `json:"persist"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.PostInstall) != 2 || got.PostInstall[0] != `& (Join-Path $dir 'it''s $(evil).cmd')` {
		t.Errorf("post_install %q", got.PostInstall)
	}
	if len(got.PreUninstall) != 2 || got.PreUninstall[0] != `& (Join-Path $dir 'uninstall-service.cmd')` {
		t.Errorf("pre_uninstall %q", got.PreUninstall)
	}
	if strings.Join(got.Persist, " ") != `config.yaml conf\extra.yaml` {
		t.Errorf("persist %q", got.Persist)
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(m *Manifest)
		want string
	}{
		{"version with a space", func(m *Manifest) { m.Version = "1.2 3" }, "version"},
		{"no homepage", func(m *Manifest) { m.Homepage = "" }, "homepage"},
		{"no license", func(m *Manifest) { m.License = "" }, "license"},
		{"no archives", func(m *Manifest) { m.Archives = nil }, "no archives"},
		{"arm", func(m *Manifest) { m.Archives[0].Arch = "arm" }, "GOARCH"},
		{"two of one arch", func(m *Manifest) { m.Archives[1].Arch = "386" }, "two archives for 32bit"},
		{"a $ in a URL", func(m *Manifest) { m.Archives[0].URL = "https://example.com/$version/x.zip" }, "without $"},
		{"short digest", func(m *Manifest) { m.Archives[0].SHA256 = "ab" }, "SHA-256"},
		{"persist outside", func(m *Manifest) { m.Persist = []string{"../x"} }, "persisted file"},
	} {
		m := sample()
		tc.edit(&m)
		if _, err := m.JSON(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.want)
		}
	}
}
