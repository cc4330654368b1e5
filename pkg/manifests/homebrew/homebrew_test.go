package homebrew

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/brewtest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func sample() Formula {
	const base = "https://github.com/acme/hello/releases/download/v1.2.3/hello_1.2.3_"
	return Formula{
		Name: "hello", Desc: "Says hello over HTTP", Homepage: "https://github.com/acme/hello", Version: "1.2.3", License: "MIT",
		MacOS:  []Archive{{Arch: "amd64", URL: base + "darwin_amd64.tar.gz", SHA256: strings.Repeat("a", 64)}, {Arch: "arm64", URL: base + "darwin_arm64.tar.gz", SHA256: strings.Repeat("b", 64)}},
		Linux:  []Archive{{Arch: "amd64", URL: base + "linux_amd64.tar.gz", SHA256: strings.Repeat("c", 64)}, {Arch: "arm64", URL: base + "linux_arm64.tar.gz", SHA256: strings.Repeat("D", 64)}},
		Binary: "hello", Configs: []string{"config.yaml", "conf/extra.yaml"},
		Service: &Service{Args: []string{"run", "-addr", "127.0.0.1:8080"}, RestartDelay: 7 * time.Second, Env: map[string]string{"PORT": "8080", "MODE": "prod"}},
	}
}

func write(t *testing.T, f Formula) string {
	t.Helper()
	b, err := f.Ruby()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), f.Name+".rb")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// TestFormula compares the sample with its golden file (-update rewrites
// it) and has Ruby read it back (brewtest: ruby -c, then the formula
// evaluated) on every platform and CPU.
func TestFormula(t *testing.T) {
	file := write(t, sample())
	got, _ := os.ReadFile(file)
	golden := filepath.Join("testdata", "hello.rb")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("the formula differs from %s (-update rewrites it):\n%s", golden, got)
	}
	for _, tc := range []struct{ os, cpu, url, sha string }{
		{"macos", "intel", "darwin_amd64", strings.Repeat("a", 64)},
		{"macos", "arm", "darwin_arm64", strings.Repeat("b", 64)},
		{"linux", "intel", "linux_amd64", strings.Repeat("c", 64)},
		{"linux", "arm", "linux_arm64", strings.Repeat("d", 64)},
	} {
		r := brewtest.Read(t, file, tc.os, tc.cpu)
		if r.Class != "Hello" || !strings.HasSuffix(r.Fields["url"].(string), tc.url+".tar.gz") || r.Fields["sha256"] != tc.sha {
			t.Errorf("%s/%s: %+v", tc.os, tc.cpu, r)
		}
		for k, v := range map[string]string{"desc": "Says hello over HTTP", "homepage": "https://github.com/acme/hello", "version": "1.2.3", "license": "MIT"} {
			if r.Fields[k] != v {
				t.Errorf("%s: %v, want %q", k, r.Fields[k], v)
			}
		}
		wantInstalls := [][]string{{"install", "bin", "hello"}, {"install", "etc/hello", "config.yaml"}, {"install", "etc/hello/conf", "conf/extra.yaml"}, {"mkpath", "var/lib/hello"}, {"mkpath", "var/log/hello"}}
		if !reflect.DeepEqual(r.Installs, wantInstalls) {
			t.Errorf("installs %v, want %v", r.Installs, wantInstalls)
		}
		wantService := map[string]any{
			"run": []any{"opt_bin/hello", "run", "-addr", "127.0.0.1:8080"}, "keep_alive": map[string]any{"successful_exit": false},
			"throttle_interval": float64(7), "environment_variables": map[string]any{"MODE": "prod", "PORT": "8080"},
			"working_dir": "var/lib/hello", "log_path": "var/log/hello.log", "error_log_path": "var/log/hello.log",
		}
		if !reflect.DeepEqual(r.Service, wantService) {
			t.Errorf("service %v\nwant %v", r.Service, wantService)
		}
	}
}

// TestFolderMarks: the folder marks become the folders Homebrew gives the
// formula, read back by Ruby; text around them stays text.
func TestFolderMarks(t *testing.T) {
	f := sample()
	f.Service.Args = []string{"-rules", EtcMark + "/rules.json", "-data=" + StateMark, "#{x}" + LogMark, BinMark + "/tool"}
	f.Service.Env = map[string]string{"STATE": StateMark + "/db"}
	r := brewtest.Read(t, write(t, f), "macos", "arm")
	want := []any{"opt_bin/hello", "-rules", "etc/hello/rules.json", "-data=var/lib/hello", "#{x}var/log/hello", "opt_bin/tool"}
	if !reflect.DeepEqual(r.Service["run"], want) {
		t.Errorf("run %v, want %v", r.Service["run"], want)
	}
	if got := r.Service["environment_variables"].(map[string]any)["STATE"]; got != "var/lib/hello/db" {
		t.Errorf("STATE = %v", got)
	}
	// A lone NUL is not a mark: refused as a control character.
	f.Service.Args = []string{"a\x00b"}
	if _, err := f.Ruby(); err == nil {
		t.Error("a NUL that is not a mark was accepted")
	}
}

// TestUniversal: one macOS tarball serves both Mac CPUs; keep_alive true
// restarts always.
func TestUniversal(t *testing.T) {
	f := sample()
	f.MacOS = []Archive{{Arch: "universal", URL: "https://example.com/hello_darwin_universal.tar.gz", SHA256: strings.Repeat("e", 64)}}
	f.Service.Always = true
	file := write(t, f)
	for _, cpu := range []string{"intel", "arm"} {
		r := brewtest.Read(t, file, "macos", cpu)
		if r.Fields["url"] != f.MacOS[0].URL || r.Fields["sha256"] != strings.Repeat("e", 64) || r.Service["keep_alive"] != true {
			t.Errorf("macos/%s: %+v", cpu, r)
		}
	}
}

// TestText: values Ruby would read as code stay text, and nothing runs.
func TestText(t *testing.T) {
	dir := t.TempDir()
	f := sample()
	f.Desc = `#{system("touch ` + filepath.Join(dir, "pwned") + `")} "quoted" \ back\slash 'single' é`
	f.Service.Args = []string{`#{1+1}`, `a"b`, `c\d`}
	f.Service.Env = map[string]string{"X": `#{ENV["HOME"]}`}
	r := brewtest.Read(t, write(t, f), "linux", "intel")
	if r.Fields["desc"] != f.Desc {
		t.Errorf("desc read back as %q", r.Fields["desc"])
	}
	if got := r.Service["run"].([]any); len(got) != 4 || got[1] != `#{1+1}` || got[2] != `a"b` || got[3] != `c\d` {
		t.Errorf("run read back as %q", got)
	}
	if got := r.Service["environment_variables"].(map[string]any)["X"]; got != `#{ENV["HOME"]}` {
		t.Errorf("env read back as %q", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "pwned")); err == nil {
		t.Error("a value ran as Ruby code")
	}
}

// TestLicenses: SPDX expressions as Homebrew's license DSL, read by Ruby.
func TestLicenses(t *testing.T) {
	for expr, want := range map[string]any{
		"MIT":                       "MIT",
		"MIT OR Apache-2.0":         map[string]any{"any_of": []any{"MIT", "Apache-2.0"}},
		"MIT AND BSD-3-Clause":      map[string]any{"all_of": []any{"MIT", "BSD-3-Clause"}},
		"(MIT AND ISC) OR GPL-3.0+": map[string]any{"any_of": []any{map[string]any{"all_of": []any{"MIT", "ISC"}}, "GPL-3.0+"}},
		"GPL-2.0-only WITH Classpath-exception-2.0": map[string]any{"GPL-2.0-only": map[string]any{"with": "Classpath-exception-2.0"}},
	} {
		f := sample()
		f.License = expr
		r := brewtest.Read(t, write(t, f), "macos", "arm")
		if !reflect.DeepEqual(r.Fields["license"], want) {
			t.Errorf("%s: license read back as %#v, want %#v", expr, r.Fields["license"], want)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(f *Formula)
		want string
	}{
		{"upper-case name", func(f *Formula) { f.Name = "Hello" }, "formula name"},
		{"no desc", func(f *Formula) { f.Desc = "" }, "description"},
		{"no tarballs", func(f *Formula) { f.MacOS, f.Linux = nil, nil }, "no tarballs"},
		{"arm Linux", func(f *Formula) { f.Linux[0].Arch = "arm" }, "amd64 and arm64"},
		{"universal Linux", func(f *Formula) { f.Linux[0].Arch = "universal" }, "amd64 and arm64"},
		{"universal and thin", func(f *Formula) { f.MacOS[0].Arch = "universal" }, "serves every Mac"},
		{"bad license", func(f *Formula) { f.License = "MIT OR" }, "license"},
		{"env name", func(f *Formula) { f.Service.Env = map[string]string{"1X": "y"} }, "environment variable"},
		{"control character", func(f *Formula) { f.Service.Args = []string{"a\nb"} }, "control character"},
		{"config outside", func(f *Formula) { f.Configs = []string{"../x"} }, "configuration file"},
	} {
		f := sample()
		tc.edit(&f)
		if _, err := f.Ruby(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.want)
		}
	}
}

// TestClassName checks ClassName against Homebrew's own examples (its
// Formulary spec) and more, has Ruby read each valid name's formula back
// (the class it declares is the one Homebrew looks for), and refuses the
// names whose class Ruby cannot hold.
func TestClassName(t *testing.T) {
	for _, tc := range []struct{ name, class string }{
		{"hello", "Hello"},
		{"hello-server", "HelloServer"},
		{"foo++", "Fooxx"},
		{"shell.fm", "ShellFm"},
		{"pkg-config", "PkgConfig"},
		{"s-lang", "SLang"},
		{"foo_bar", "FooBar"},
		{"openssl@1.1", "OpensslAT11"},
		{"node@18", "NodeAT18"},
		{"a_b.c", "ABC"},
		{"foo+bar", "Fooxbar"},
		{"mqtt2influxdb", "Mqtt2influxdb"}, // no capital after a digit
		{"x-2go", "X2go"},
		{"a@1@2", "AAT1@2"}, // the first '@' only
		{"3proxy", "3proxy"},
		{"foo-", "Foo-"},
		{"foo-+bar", "Foo-xbar"},
	} {
		if got := ClassName(tc.name); got != tc.class {
			t.Errorf("ClassName(%q) = %q, want %q", tc.name, got, tc.class)
		}
	}
	for _, name := range []string{"hello-server", "foo++", "shell.fm", "s-lang", "mqtt2influxdb", "x-2go", "a1.2"} {
		f := sample()
		f.Name = name
		if r := brewtest.Read(t, write(t, f), "macos", "arm"); r.Class != ClassName(name) {
			t.Errorf("%s: Ruby read the class %q, want %q", name, r.Class, ClassName(name))
		}
	}
	for name, want := range map[string]string{
		"3proxy":   "starts with a digit",
		"6tunnel":  "starts with a digit",
		"foo-":     `the class "Foo-"`,
		"foo-+bar": `the class "Foo-xbar"`,
		"a..b":     `the class "A.B"`,
	} {
		f := sample()
		f.Name = name
		if _, err := f.Ruby(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error with %q", name, err, want)
		}
	}
}
