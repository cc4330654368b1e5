package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/oci"
	"github.com/svcpack/svcpack/pkg/release"
)

func runIn(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	t.Chdir(dir)
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestInitThenCheck(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{"go.mod": "module example.com/demo\n\ngo 1.26\n", "main.go": "package main\nfunc main() {}\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errs := runIn(t, dir, "init", "-name", "demo", "-vendor", "Demo & Co", "-maintainer", "Demo Ops <ops@example.com>")
	if code != 0 {
		t.Fatalf("init: exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "upgrade code") {
		t.Errorf("init output %q", out)
	}
	c, err := release.Load(filepath.Join(dir, config.FileName), config.Env{})
	if err != nil {
		t.Fatalf("config written by init does not load: %v", err)
	}
	if c.Name != "demo" || c.Main != "." || len(c.Windows.MSI.UpgradeCode) != 36 || c.Maintainer != "Demo Ops <ops@example.com>" || c.Vendor != "Demo & Co" {
		t.Errorf("init wrote %+v", c)
	}
	// As a user reads it: no JSON escapes for <, > and &.
	if yaml := mustReadFile(t, filepath.Join(dir, config.FileName)); !strings.Contains(yaml, `"Demo Ops <ops@example.com>"`) || !strings.Contains(yaml, `"Demo & Co"`) {
		t.Errorf("init wrote escapes a user does not:\n%s", yaml)
	}
	code, out, errs = runIn(t, dir, "check")
	if code != 0 || !strings.Contains(out, "ok: demo") {
		t.Fatalf("check: exit %d: %s %s", code, out, errs)
	}
	// A second init must not overwrite.
	if code, _, errs = runIn(t, dir, "init"); code == 0 || !strings.Contains(errs, "already exists") {
		t.Fatalf("second init: exit %d: %s", code, errs)
	}
	// A name that would break the file it is written into (a line break in
	// the YAML and its comments) is refused, and nothing is written.
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "go.mod"), []byte("module example.com/demo\n\ngo 1.26\n"), 0o644)
	os.WriteFile(filepath.Join(other, "main.go"), []byte("package main\nfunc main() {}\n"), 0o644)
	if code, _, errs := runIn(t, other, "init", "-name", "demo\nformats: [zip]"); code != 2 || !strings.Contains(errs, "-name") {
		t.Errorf("init -name with a line break: exit %d: %s", code, errs)
	}
	if _, err := os.Stat(filepath.Join(other, config.FileName)); err == nil {
		t.Error("init wrote svcpack.yaml for a name it refused")
	}
	// Two inits elsewhere give different upgrade codes.
	a, _ := newGUID()
	b, _ := newGUID()
	if a == b {
		t.Fatal("newGUID repeated itself")
	}
}

// TestInitFindsWhatTheModuleShows runs init, with no flags, on modules as
// users have them: the main package at the root or under cmd/, a LICENSE,
// git's user settings. The config it writes must pass check, name what the
// module shows, and .gitignore must then ignore the release's output.
func TestInitFindsWhatTheModuleShows(t *testing.T) {
	gitconfig := filepath.Join(t.TempDir(), "gitconfig")
	os.WriteFile(gitconfig, []byte("[user]\n\tname = Jane Doe\n\temail = jane@example.com\n"), 0o644)
	t.Setenv("GIT_CONFIG_GLOBAL", gitconfig)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	mit, err := os.ReadFile("../../LICENSE")
	if err != nil {
		t.Fatal(err)
	}
	const server = "package main\n\nimport \"net/http\"\n\nfunc main() { http.ListenAndServe(\"127.0.0.1:8080\", nil) }\n"
	for _, tc := range []struct {
		name      string
		files     map[string]string
		main, bin string
		license   string
		gitignore string
	}{
		{"root main", map[string]string{"go.mod": "module github.com/acme/webtool\n\ngo 1.26\n", "main.go": server, "LICENSE": string(mit), ".gitignore": "*.log"},
			".", "webtool", "MIT", "*.log\n# svcpack release output\n/dist/\n/.dist.cache/\n"},
		{"cmd main of a v2 module", map[string]string{"go.mod": "module github.com/acme/webtool/v2\n\ngo 1.26\n", "cmd/webtool/main.go": server, "cmd/helper/main.go": server, "lib.go": "package webtool\n"},
			"./cmd/webtool", "webtool", "", "# svcpack release output\n/dist/\n/.dist.cache/\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, data := range tc.files {
				os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
				if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			code, out, errs := runIn(t, dir, "init")
			if code != 0 {
				t.Fatalf("init: exit %d: %s", code, errs)
			}
			c, err := release.Load(filepath.Join(dir, config.FileName), config.Env{})
			if err != nil {
				t.Fatalf("the config init wrote does not pass check: %v\n%s", err, mustReadFile(t, filepath.Join(dir, config.FileName)))
			}
			if c.Main != tc.main || c.Name != tc.bin || c.License != tc.license || c.Homepage != "https://github.com/acme/webtool" ||
				c.Maintainer != "Jane Doe <jane@example.com>" || c.Vendor != "Jane Doe" {
				t.Errorf("init wrote main %q name %q license %q homepage %q maintainer %q vendor %q\n%s", c.Main, c.Name, c.License, c.Homepage, c.Maintainer, c.Vendor, out)
			}
			if got := mustReadFile(t, filepath.Join(dir, ".gitignore")); got != tc.gitignore {
				t.Errorf(".gitignore:\n%s\nwant:\n%s", got, tc.gitignore)
			}
			code, out, errs = runIn(t, dir, "check")
			if code != 0 || !strings.Contains(out, "windows: wrapped: svcwrap.exe is the service and runs the program, because it does not speak to the Windows SCM") ||
				!strings.Contains(out, "linux: systemd unit Type=exec, because it imports none of the sd_notify packages svcpack knows") {
				t.Errorf("check: exit %d\n%s%s", code, out, errs)
			}
		})
	}
}

func mustReadFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// paritySpec is a valid config for every format, for linux/amd64 and
// windows/amd64; the cases below break one thing each.
const paritySpec = `name: demo
main: .
version: 1.2.3
targets: [linux/amd64, windows/amd64]
vendor: Demo Co
maintainer: Demo Ops <ops@example.com>
homepage: https://example.com/demo
license: MIT
windows:
  icon: icon.png
  product_name: Demo
  msi: {upgrade_code: 6B2A1E7C-5D3F-4A1B-9C8D-0E1F2A3B4C5D, install_dir: Demo Co\Demo}
service:
  display_name: Demo Service
  description: Does demo things
  args: [run]
files:
  - {src: conf.yaml, dst: conf/app.yaml, config: true}
`

// parityProject writes a tiny main package, its files and yaml to a new
// directory with a dist/ holding one file (and the marker of a dist that
// svcpack made, so that a release may replace it).
func parityProject(t *testing.T, yaml string) string {
	t.Helper()
	dir := t.TempDir()
	var icon bytes.Buffer
	if err := png.Encode(&icon, image.NewRGBA(image.Rect(0, 0, 32, 32))); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"go.mod":                     []byte("module example.com/demo\n\ngo 1.26\n"),
		"main.go":                    []byte("package main\n\nfunc main() {}\n"),
		"conf.yaml":                  []byte("a: 1\n"),
		"icon.png":                   icon.Bytes(),
		"notanimage.png":             []byte("GIF89a"),
		config.FileName:              []byte(yaml),
		"dist/keep.txt":              []byte("x"),
		"dist/" + release.DistMarker: []byte("svcpack made this folder\n"),
		"arm64.oci.tar":              arm64Image(t),
	} {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// names lists the names in a folder, sorted, separated by spaces.
func names(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return strings.Join(out, " ")
}

// TestDistOutsideProject: a config's dist outside the project folder is
// refused by check, release and build, naming the way to allow it, and
// nothing there is touched; -dist-outside allows it, but a release still
// replaces only a dist that svcpack made. -dist, typed by the user, may
// name a folder anywhere.
func TestDistOutsideProject(t *testing.T) {
	other := t.TempDir()
	dist := filepath.Join(other, "dist")
	if err := os.MkdirAll(dist, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dist, "keep.txt"), []byte("not svcpack's"), 0o644); err != nil {
		t.Fatal(err)
	}
	small := strings.Replace(paritySpec, "targets: [linux/amd64, windows/amd64]",
		"targets: [linux/amd64]\nformats: [tar.gz]", 1)
	dir := parityProject(t, strings.Replace(small, "main: .\n", "main: .\ndist: "+dist+"\n", 1))
	unchanged := func(what string) {
		t.Helper()
		if got := names(t, other) + " / " + names(t, dist); got != "dist / keep.txt" {
			t.Errorf("%s: the folder outside changed: %s", what, got)
		}
	}
	for _, args := range [][]string{{"check"}, {"release", "-q"}, {"build", "-q"}} {
		code, _, errs := runIn(t, dir, args...)
		wants := []string{"svcpack.yaml:3: dist:", "is outside the project folder", "-dist-outside (SVCPACK_DIST_OUTSIDE=1)"}
		for _, want := range wants {
			if code != 1 || !strings.Contains(errs, want) {
				t.Errorf("%s: exit %d, stderr lacks %q:\n%s", args[0], code, want, errs)
			}
		}
		unchanged(args[0])
	}
	if code, _, errs := runIn(t, dir, "check", "-dist-outside"); code != 0 {
		t.Errorf("check -dist-outside: exit %d\n%s", code, errs)
	}
	code, _, errs := runIn(t, dir, "release", "-q", "-dist-outside")
	if code != 1 || !strings.Contains(errs, "no "+release.DistMarker+": svcpack did not make it") {
		t.Errorf("release -dist-outside into a folder svcpack did not make: exit %d\n%s", code, errs)
	}
	unchanged("release -dist-outside")
	if err := os.Remove(filepath.Join(dist, "keep.txt")); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runIn(t, dir, "release", "-q", "-dist-outside"); code != 0 {
		t.Fatalf("release -dist-outside into an empty folder: exit %d\n%s", code, errs)
	}
	if _, err := os.Stat(filepath.Join(dist, release.DistMarker)); err != nil {
		t.Errorf("the release outside is not marked: %v", err)
	}
	// The command line's -dist, with a config whose dist is its own.
	inside := parityProject(t, small)
	cli := filepath.Join(other, "cli")
	if code, _, errs := runIn(t, inside, "release", "-q", "-dist", cli); code != 0 {
		t.Fatalf("release -dist %s: exit %d\n%s", cli, code, errs)
	}
	if _, err := os.Stat(filepath.Join(cli, "checksums.txt")); err != nil {
		t.Errorf("release -dist wrote no release there: %v", err)
	}
}

// arm64Image is an OCI layout archive holding one linux/arm64 image: a
// base image without the parity project's linux/amd64.
func arm64Image(t *testing.T) []byte {
	t.Helper()
	l := oci.NewLayout()
	d, err := l.AddImage(oci.Image{Platform: oci.Platform{OS: "linux", Architecture: "arm64"},
		Layers: []oci.Layer{{Files: []oci.File{{Name: "etc/marker", Mode: 0o644, Data: []byte("x")}}}}})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := l.WriteArchive(&b, []oci.Descriptor{d}, time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestCheckAndReleaseAgree runs check and release on configs that break one
// rule each: both must refuse, with the same file:line message, and release
// must leave dist/ as it was. The valid config passes both. (Every rule of a
// format lives in its packager's Check, which Load runs, so this holds by
// construction; the test keeps it so.)
func TestCheckAndReleaseAgree(t *testing.T) {
	for _, tc := range []struct{ name, from, to, want string }{
		{"valid", "", "", ""},
		{"unknown target", "[linux/amd64,", "[linux/amd65,", `svcpack.yaml:4: targets[0]`},
		{"duplicate target", "[linux/amd64, windows/amd64]", "[linux/amd64, linux/amd64]", "duplicates targets[0]"},
		{"service name", "  display_name:", "  name: \"my service\"\n  display_name:", "svcpack.yaml:14: service.name"},
		{"version", "1.2.3", "one", "svcpack.yaml:3: version: \"one\" is not a semantic version"},
		{"main", "main: .", "main: ./nope", `svcpack.yaml:2: main: "./nope" does not exist`},
		{"icon missing", "icon: icon.png", "icon: x.png", `svcpack.yaml:10: windows.icon: "x.png" does not exist`},
		{"icon not an image", "icon: icon.png", "icon: notanimage.png", `svcpack.yaml:10: windows.icon: "notanimage.png"`},
		{"upgrade code", "6B2A1E7C-5D3F-4A1B-9C8D-0E1F2A3B4C5D", "6B2A1E7C", "is not a GUID"},
		{"no upgrade code", "upgrade_code: 6B2A1E7C-5D3F-4A1B-9C8D-0E1F2A3B4C5D, ", "", "windows.msi.upgrade_code: is empty"},
		{"wrong kind", "6B2A1E7C-5D3F-4A1B-9C8D-0E1F2A3B4C5D", "{x: 1}", "windows.msi.upgrade_code: got a mapping"},
		{"unknown key", "main: .\n", "main: .\nmian: x\n", `svcpack.yaml:3: unknown key "mian"`},
		{"no maintainer", "maintainer: Demo Ops <ops@example.com>\n", "", `svcpack.yaml:5: maintainer: is not set (and vendor "Demo Co" is not "Name <email>")`},
		{"no vendor for the MSI", "vendor: Demo Co\n", "", "vendor: is empty: an MSI names its manufacturer"},
		{"winget id from a vendor without letters", "vendor: Demo Co\n", "vendor: \"!!!\"\nformats: [zip, msi, winget]\ndownload_url: https://example.com/{{.File}}\n", `winget.package_id: is empty, and vendor "!!!" gives none`},
		{"MSI major", "version: 1.2.3", "version: 256.0.0", "svcpack.yaml:3: version: 256.0.0 does not fit an MSI ProductVersion"},
		{"MSI minor", "version: 1.2.3", "version: 1.256.0", "svcpack.yaml:3: version: 1.256.0 does not fit an MSI ProductVersion"},
		{"MSI build", "version: 1.2.3", "version: 1.2.65536", "svcpack.yaml:3: version: 1.2.65536 does not fit"},
		{"setting of Windows Installer", "  args: [run]\n", "  args: [run]\n  env: {reinstall: x}\n", `service.env.reinstall: the name "reinstall" gives the install-time setting REINSTALL: msi: property "REINSTALL" is one of Windows Installer's own`},
		{"settings collide", "  args: [run]\n", "  args: [run]\n  env: {Port: 1, PORT: 2}\n", `the name "Port" gives the install-time setting PORT, which already sets PORT`},
		{"apk pre-release", "version: 1.2.3", "version: 1.2.4-0.dev", `svcpack.yaml:3: version: 1.2.4-0.dev: apk cannot express the pre-release "0.dev"`},
		{"install dir absolute", `install_dir: Demo Co\Demo`, `install_dir: 'C:\Demo'`, `svcpack.yaml:12: windows.msi.install_dir: "C:\\Demo" names a drive`},
		{"install dir rooted", `install_dir: Demo Co\Demo`, `install_dir: '\\server\share'`, "windows.msi.install_dir: \"\\\\\\\\server\\\\share\" is rooted"},
		{"install dir dot-dot", `install_dir: Demo Co\Demo`, `install_dir: 'Demo\..\..\Windows'`, `windows.msi.install_dir: "Demo\\..\\..\\Windows" holds ".."`},
		{"install dir bad name", `install_dir: Demo Co\Demo`, `install_dir: 'Demo?'`, `svcpack.yaml:12: windows.msi.install_dir: "Demo?" cannot be a Windows file or folder name in an MSI`},
		{"control character in display_name", "display_name: Demo Service", `display_name: "Demo\u0007Service"`, `svcpack.yaml:14: service.display_name: "Demo\aService" holds the control character U+0007`},
		{"CR in description", "description: Does demo things", `description: "Does\rdemo"`, `service.description: "Does\rdemo" holds the control character U+000D`},
		{"LF in homepage", "homepage: https://example.com/demo", `homepage: "https://example.com/demo\nExecStartPre=+/bin/sh"`, `svcpack.yaml:7: homepage:`},
		{"tab in an argument", "args: [run]", `args: ["a\tb"]`, `svcpack.yaml:16: service.args[0]: "a\tb" holds the control character U+0009`},
		{"line separator in vendor", "vendor: Demo Co", `vendor: "Demo\u2028Co"`, `vendor: "Demo\u2028Co" holds the control character U+2028`},
		{"file dst escapes", "dst: conf/app.yaml", "dst: ../app.yaml", `files[0].dst: "../app.yaml"`},
		{"bad hardening directive", "  args: [run]\n", "  args: [run]\n  linux: {hardening_off: [NoSuchThing]}\n", `service.linux.hardening_off[0]: "NoSuchThing" is not a hardening directive`},
		{"bad ldflags field", "name: demo\n", "name: demo\nldflags: [\"-X main.v={{.Nope}}\"]\n", "ldflags[0]"},
		{"name a base package owns", "name: demo\n", "name: ls\n", `svcpack.yaml:1: name: "ls" would be installed as /usr/bin/ls, a program the base system already has (package busybox, coreutils in Debian or Alpine): dpkg refuses to overwrite it, and elsewhere it would replace the system's command. Rename the program (name: ls-server, say), or install it outside the PATH with service.linux.bin_dir: /usr/lib/ls`},
		{"bin_dir under /usr/local", "  args: [run]\n", "  args: [run]\n  linux: {bin_dir: /usr/local/bin}\n", `service.linux.bin_dir: bin_dir "/usr/local/bin": want an absolute directory under /usr or /opt`},
		{"bin_dir relative", "  args: [run]\n", "  args: [run]\n  linux: {bin_dir: usr/lib/demo}\n", `svcpack.yaml:17: service.linux.bin_dir: "usr/lib/demo" is not an absolute directory`},
		{"writable root", "  args: [run]\n", "  args: [run]\n  linux: {writable: [/]}\n", `svcpack.yaml:17: service.linux.writable[0]: "/" is the whole file system, which undoes ProtectSystem=strict`},
		{"writable under /proc", "  args: [run]\n", "  args: [run]\n  linux: {writable: [/srv/www, /proc/sys]}\n", `svcpack.yaml:17: service.linux.writable[1]: "/proc/sys" is under /proc, the kernel's interface`},
		{"writable relative", "  args: [run]\n", "  args: [run]\n  linux: {writable: [srv/www]}\n", `service.linux.writable[0]: "srv/www" is not a clean absolute path`},
		{"capability unknown", "  args: [run]\n", "  args: [run]\n  linux: {capabilities: [CAP_FLY]}\n", `svcpack.yaml:17: service.linux.capabilities[0]: capability "CAP_FLY" is not a Linux capability name`},
		{"capability in lower case", "  args: [run]\n", "  args: [run]\n  linux: {capabilities: [cap_net_raw]}\n", `service.linux.capabilities[0]: "cap_net_raw" is not a capability name`},
		{"capability not granted", "  args: [run]\n", "  args: [run]\n  linux: {capabilities: [CAP_NET_RAW], hardening_off: [AmbientCapabilities]}\n", `service.linux.hardening_off: leaves AmbientCapabilities out, so service.linux.capabilities CAP_NET_RAW would not be granted`},
		{"group name", "  args: [run]\n", "  args: [run]\n  linux: {groups: [Wheel]}\n", `svcpack.yaml:17: service.linux.groups[0]: "Wheel" is not a valid system group name`},
		{"unit override of writable", "  args: [run]\n", "  args: [run]\n  linux: {unit: {ReadWritePaths: /srv}}\n", "service.linux.unit.ReadWritePaths: ReadWritePaths is what svcpack writes from the config's service.linux.writable: set that instead"},
		{"unit override of an unknown directive", "  args: [run]\n", "  args: [run]\n  linux: {unit: {ExecStartPre: /bin/true}}\n", `service.linux.unit.ExecStartPre: unit override ExecStartPre: not a directive svcpack writes that may be overridden; valid: AmbientCapabilities`},
		{"unit override of a directive another field sets", "  args: [run]\n", "  args: [run]\n  linux: {unit: {Type: simple}}\n", "service.linux.unit.Type: Type is what svcpack writes from the config's service.linux.notify: set that instead"},
		{"unit override and hardening_off", "  args: [run]\n", "  args: [run]\n  linux: {unit: {ProtectHome: read-only}, hardening_off: [ProtectHome]}\n", "service.linux.unit.ProtectHome: is set, and service.linux.hardening_off leaves ProtectHome out"},
		{"unit override value", "  args: [run]\n", "  args: [run]\n  linux: {unit: {ReadWritePaths: '/srv\\'}}\n", `service.linux.unit.ReadWritePaths: "/srv\\" ends with a backslash`},
		{"name template with a separator", "name: demo\n", "name: demo\nname_template: {archive: \"{{.Os}}/{{.Name}}\"}\n", `svcpack.yaml:2: name_template.archive: template "{{.Os}}/{{.Name}}": "windows/demo" holds a path separator`},
		{"two artifacts of one name", "name: demo\n", "name: demo\nname_template: {archive: \"{{.Name}}_{{.Version}}\"}\n", `svcpack.yaml:2: name_template.archive: "demo_1.2.3.sbom.cdx.json" would be written by sbom for linux/amd64 and by sbom for windows/amd64`},
		{"winget without a download URL", "name: demo\n", "name: demo\nformats: [zip, msi, winget]\n", `svcpack.yaml:2: download_url: is empty: the winget manifests point at the files' download URLs`},
		{"winget without the MSIs", "name: demo\n", "name: demo\nformats: [zip, winget]\ndownload_url: https://example.com/{{.File}}\n", `svcpack.yaml:2: formats: winget is set, and the winget manifests install the MSIs`},
		{"download URL not http", "name: demo\n", "name: demo\nformats: [msi, winget]\ndownload_url: \"ftp://example.com/{{.File}}\"\n", `svcpack.yaml:3: download_url: template "ftp://example.com/{{.File}}": "ftp://example.com/demo_1.2.3_windows_amd64.msi" is not an http(s) URL with a host`},
		{"Scoop autoupdate of a URL with the commit", "name: demo\n", "name: demo\nformats: [zip, scoop]\ndownload_url: \"https://example.com/c{{.Commit}}/{{.File}}\"\n", `svcpack.yaml:3: download_url: download_url or name_template.archive shows {{.Commit}} or {{.Date}}: Scoop's autoupdate makes the next version's URLs from the version alone`},
		{"Chocolatey id", "name: demo\n", "name: demo\nformats: [msi, chocolatey]\ndownload_url: https://example.com/{{.File}}\nchocolatey: {id: \"demo server\"}\n", `svcpack.yaml:4: chocolatey.id: "demo server" is not a package id`},
		{"universal without both darwin targets", "name: demo\n", "name: demo\nformats: [tar.gz, universal]\n", `svcpack.yaml:5: targets: lacks darwin/amd64 or darwin/arm64: a universal binary combines both`},
		{"Homebrew without tarballs", "name: demo\n", "name: demo\nformats: [zip, homebrew]\ndownload_url: https://example.com/{{.File}}\n", `svcpack.yaml:2: formats: homebrew is set, and the Homebrew formula installs the tarballs`},
		{"oci user by name", "license: MIT\n", "license: MIT\nformats: [oci]\noci: {user: nobody}\n", `svcpack.yaml:10: oci.user: "nobody" is not a numeric uid[:gid]`},
		{"oci workdir relative", "license: MIT\n", "license: MIT\nformats: [oci]\noci: {workdir: srv/demo}\n", `svcpack.yaml:10: oci.workdir: "srv/demo" is not an absolute directory`},
		{"oci push without a registry", "license: MIT\n", "license: MIT\nformats: [oci]\noci: {push: [acme/demo]}\n", `svcpack.yaml:10: oci.push[0]: reference "acme/demo" names no registry host`},
		{"oci push in upper case", "license: MIT\n", "license: MIT\nformats: [oci]\noci: {push: [ghcr.io/Acme/demo]}\n", `svcpack.yaml:10: oci.push[0]: "ghcr.io/Acme/demo" is not a registry reference`},
		{"oci uid over the kernel's", "license: MIT\n", "license: MIT\nformats: [oci]\noci: {user: \"4294967295\"}\n", `svcpack.yaml:10: oci.user: "4294967295": 4294967295 is over 4294967294`},
		{"oci workdir holds the program", "license: MIT\n", "license: MIT\nformats: [oci]\noci: {workdir: /usr}\n", `svcpack.yaml:10: oci.workdir: "/usr" holds /usr/bin/demo`},
		{"oci workdir holds a config file", "license: MIT\n", "license: MIT\nformats: [oci]\noci: {workdir: /etc}\n", `svcpack.yaml:10: oci.workdir: "/etc" holds /etc/demo/conf/app.yaml`},
		{"oci workdir holds the TLS roots", "license: MIT\n", "license: MIT\nformats: [oci]\noci: {workdir: /etc/ssl}\n", `svcpack.yaml:10: oci.workdir: "/etc/ssl" holds /etc/ssl/certs/ca-certificates.crt`},
		{"oci port", "license: MIT\n", "license: MIT\nformats: [oci]\noci: {port: 70000}\n", `svcpack.yaml:10: oci.port: 70000 is not a TCP port`},
		{"oci base missing", "license: MIT\n", "license: MIT\nformats: [oci]\noci: {base: nope.tar}\n", `svcpack.yaml:10: oci.base: "nope.tar" does not exist`},
		{"oci base not a layout", "license: MIT\n", "license: MIT\nformats: [oci]\noci: {base: conf.yaml}\n", `svcpack.yaml:10: oci.base: `},
		{"oci base without the platform", "license: MIT\n", "license: MIT\nformats: [oci]\noci: {base: arm64.oci.tar}\n", `oci.base: arm64.oci.tar, for target linux/amd64: no image for linux/amd64 (it has linux/arm64)`},
		{"oci without a Linux target", "[linux/amd64, windows/amd64]", "[windows/amd64]\nformats: [oci]", `formats: names oci, which makes images of Linux targets, and targets has none`},
		{"oci, two targets one platform", "[linux/amd64, windows/amd64]", "[linux/386, linux/386/softfloat]\nformats: [oci]", `targets: linux/386 and linux/386/softfloat are both the OCI platform linux/386`},
		{"notify not a switch", "  args: [run]\n", "  args: [run]\n  linux: {notify: maybe}\n", `service.linux.notify: "maybe" is not valid: want auto, true or false`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			yaml := paritySpec
			if tc.from != "" {
				if !strings.Contains(yaml, tc.from) {
					t.Fatalf("test bug: %q not in the config", tc.from)
				}
				yaml = strings.Replace(yaml, tc.from, tc.to, 1)
			}
			dir := parityProject(t, yaml)
			checkCode, _, checkErr := runIn(t, dir, "check")
			code, _, errs := runIn(t, dir, "release", "-q")
			if tc.want == "" {
				if checkCode != 0 || code != 0 {
					t.Fatalf("valid config: check exit %d %s; release exit %d %s", checkCode, checkErr, code, errs)
				}
				return
			}
			if checkCode != 1 || code != 1 {
				t.Errorf("check exit %d, release exit %d, want 1 and 1", checkCode, code)
			}
			for what, msg := range map[string]string{"check": checkErr, "release": errs} {
				if !strings.Contains(msg, tc.want) {
					t.Errorf("%s: stderr %q does not contain %q", what, msg, tc.want)
				}
			}
			if !regexp.MustCompile(`svcpack\.yaml:\d+: `).MatchString(checkErr) {
				t.Errorf("check names no file:line: %s", checkErr)
			}
			if got := names(t, filepath.Join(dir, "dist")); got != release.DistMarker+" keep.txt" {
				t.Errorf("dist/ changed: %s", got)
			}
			all, _ := os.ReadDir(dir)
			for _, e := range all {
				if strings.HasPrefix(e.Name(), ".dist") {
					t.Errorf("leftover %s", e.Name())
				}
			}
		})
	}
}

func TestUsage(t *testing.T) {
	dir := t.TempDir()
	if code, _, _ := runIn(t, dir); code != 2 {
		t.Errorf("no args: exit %d, want 2", code)
	}
	if code, _, errs := runIn(t, dir, "frobnicate"); code != 2 || !strings.Contains(errs, "unknown command") {
		t.Errorf("unknown command: exit %d %q", code, errs)
	}
	if code, _, _ := runIn(t, dir, "build", "-target", "linux"); code != 2 {
		t.Errorf("bad -target: exit %d, want 2", code)
	}
	if code, _, errs := runIn(t, dir, "release", "-targets", "linux/*"); code != 2 || !strings.Contains(errs, "add -partial") {
		t.Errorf("-targets without -partial: exit %d %q", code, errs)
	}
	if code, _, errs := runIn(t, dir, "merge"); code != 2 || !strings.Contains(errs, "name the parts") {
		t.Errorf("merge without parts: exit %d %q", code, errs)
	}
}

// TestSplitReleaseCLI: release -partial -targets with a pattern that
// matches nothing is a usage error naming the targets; parts made by the
// CLI merge with the CLI (patterns expanded by svcpack itself).
func TestSplitReleaseCLI(t *testing.T) {
	dir := parityProject(t, paritySpec)
	if code, _, errs := runIn(t, dir, "release", "-partial", "-targets", "freebsd/*"); code != 2 || !strings.Contains(errs, "matches none") || !strings.Contains(errs, "linux/amd64") {
		t.Fatalf("unmatched pattern: exit %d %q", code, errs)
	}
	for i, glob := range []string{"linux/*", "windows/*"} {
		if code, _, errs := runIn(t, dir, "release", "-q", "-partial", "-targets", glob, "-dist", fmt.Sprintf("parts/p%d", i)); code != 0 {
			t.Fatalf("part %s: exit %d\n%s", glob, code, errs)
		}
	}
	code, _, errs := runIn(t, dir, "merge", "parts/*")
	if code != 0 {
		t.Fatalf("merge: exit %d\n%s", code, errs)
	}
	if !strings.Contains(errs, "merged 2 parts") {
		t.Errorf("merge output: %s", errs)
	}
	// The merged release is the one release makes.
	if code, _, errs := runIn(t, dir, "release", "-q", "-dist", "single"); code != 0 {
		t.Fatalf("release: exit %d\n%s", code, errs)
	}
	diffs, err := release.CompareDirs(filepath.Join(dir, "single"), filepath.Join(dir, "dist"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diffs {
		t.Errorf("merged release differs from a release: %s: %s", d.Path, d.Detail)
	}
}

// TestVerifyRefusesDist: verify writes no dist, so -dist is a usage error
// rather than a flag silently ignored.
func TestVerifyRefusesDist(t *testing.T) {
	dir := parityProject(t, paritySpec)
	if code, _, errs := runIn(t, dir, "verify", "-dist", "out"); code != 2 || !strings.Contains(errs, "-dist has no use") {
		t.Errorf("verify -dist: exit %d %s", code, errs)
	}
}

// TestPublishDist: publish reads the release in -dist, as release wrote
// it there (the push then fails: nothing listens on the registry's port).
func TestPublishDist(t *testing.T) {
	spec := strings.Replace(paritySpec, "targets: [linux/amd64, windows/amd64]", "targets: [linux/amd64]\nformats: [oci]\noci: {push: [127.0.0.1:9/acme/demo]}", 1)
	dir := parityProject(t, spec)
	if code, _, errs := runIn(t, dir, "release", "-q", "-dist", "out"); code != 0 {
		t.Fatalf("release: exit %d\n%s", code, errs)
	}
	if code, _, errs := runIn(t, dir, "publish"); code == 0 || !strings.Contains(errs, "release first") {
		t.Errorf("publish without -dist: exit %d %s", code, errs)
	}
	if code, _, errs := runIn(t, dir, "publish", "-dist", "out"); code == 0 || !strings.Contains(errs, "127.0.0.1:9") || strings.Contains(errs, "release first") {
		t.Errorf("publish -dist out did not push the release in out: exit %d %s", code, errs)
	}
}

// TestKilledReleaseLeavesNothing kills a release while it writes into its
// staging folder and runs another: that one removes what the first left,
// says so, and succeeds; dist/ never holds a partial release.
func TestKilledReleaseLeavesNothing(t *testing.T) {
	dir := parityProject(t, strings.Replace(paritySpec, "targets: [linux/amd64, windows/amd64]", "targets: [linux/amd64, linux/arm64, windows/amd64, windows/arm64]", 1))
	exe := filepath.Join(t.TempDir(), "svcpack")
	if out, err := exec.Command("go", "build", "-o", exe, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(exe, "release")
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it once its staging folder holds an artifact.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		m, _ := filepath.Glob(filepath.Join(dir, ".dist.staging-*", "*"))
		if len(m) > 0 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("no staging folder appeared")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	left, _ := filepath.Glob(filepath.Join(dir, ".dist.staging-*"))
	if len(left) == 0 {
		t.Fatal("the killed release left no staging folder: nothing to test")
	}
	if got := names(t, filepath.Join(dir, "dist")); got != release.DistMarker+" keep.txt" {
		t.Errorf("dist/ changed under a killed release: %s", got)
	}
	again := exec.Command(exe, "release")
	again.Dir = dir
	out, err := again.CombinedOutput()
	if err != nil {
		t.Fatalf("release after a killed one: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "left by interrupted runs: "+filepath.Base(left[0])) {
		t.Errorf("the release does not say it removed %s:\n%s", filepath.Base(left[0]), out)
	}
	all, _ := os.ReadDir(dir)
	for _, e := range all {
		if strings.HasPrefix(e.Name(), ".dist.") && e.Name() != ".dist.cache" {
			t.Errorf("leftover %s", e.Name())
		}
	}
}

// TestInitListsTheManifests: the starter config lists the package-manager
// formats, the download URL and the name templates commented; uncommented
// (with a description and a licence, which the manifests need), it passes
// check.
func TestInitListsTheManifests(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{"go.mod": "module github.com/acme/demo\n\ngo 1.26\n", "main.go": "package main\nfunc main() {}\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if code, _, errs := runIn(t, dir, "init", "-vendor", "Demo Co", "-maintainer", "Demo Ops <ops@example.com>"); code != 0 {
		t.Fatalf("init: exit %d: %s", code, errs)
	}
	file := filepath.Join(dir, config.FileName)
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	yaml := string(b)
	for _, want := range []string{
		"# formats: [zip, msi, deb, rpm, apk, tar.gz, sbom, oci, universal, winget, scoop, chocolatey, homebrew]",
		"#   universal, dnf, apt, install.sh, winget, scoop, chocolatey, homebrew, oci, helm, compose\n",
		"# download_url: https://github.com/acme/demo/releases/download/v{{.Version}}/{{.File}}",
		`#   archive: "{{.Name}}_{{.Version}}_{{.Os}}_{{.ArchName}}"`,
	} {
		if !strings.Contains(yaml, want) {
			t.Fatalf("the starter config lacks %q:\n%s", want, yaml)
		}
	}
	var lines []string
	for _, l := range strings.Split(yaml, "\n") {
		for _, key := range []string{"formats", "download_url", "winget", "chocolatey", "oci", "name_template", "  archive", "  package", "  binary_dir"} {
			if rest, ok := strings.CutPrefix(l, "# "+key+":"); ok {
				l = key + ":" + rest
			}
		}
		l = strings.Replace(l, `description: ""`, `description: "Does demo things"`, 1)
		lines = append(lines, strings.Replace(l, `license: ""`, `license: "MIT"`, 1))
	}
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := runIn(t, dir, "check"); code != 0 {
		t.Fatalf("check of the uncommented starter config: exit %d: %s %s\n%s", code, out, errs, strings.Join(lines, "\n"))
	}
}
