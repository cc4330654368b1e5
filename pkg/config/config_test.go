package config

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/svcpack/svcpack/pkg/version"
)

const good = `name: hello
main: ./cmd/hello
targets: [linux/amd64, windows/amd64]
vendor: Acme
windows:
  icon: icon.png
  msi: {upgrade_code: 6B2A1E7C-5D3F-4A1B-9C8D-0E1F2A3B4C5D}
service:
  name: hello
  account: LocalService
  env: {PORT: "8080"}
  restart: {delay: 3s}
files:
  - {src: conf.yaml, config: true}
`

// project writes a config and the files it points to into a temp dir.
func project(t *testing.T, yaml string) string {
	t.Helper()
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "cmd/hello"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "cmd/hello/main.go"), []byte("package main\nfunc main() {}\n"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "icon.png"), pngIcon(t, 16), 0o644))
	must(os.WriteFile(filepath.Join(dir, "conf.yaml"), []byte("a: 1\n"), 0o644))
	must(os.WriteFile(filepath.Join(dir, FileName), []byte(yaml), 0o644))
	return filepath.Join(dir, FileName)
}

// load is Load with a stand-in for the release pipeline's formats (their
// own rules are tested with the packagers, in pkg/release).
func load(path string, e Env) (*Spec, error) {
	var formats []Format
	for _, name := range []string{"zip", "msi", "deb", "rpm", "apk", "tar.gz", "sbom"} {
		formats = append(formats, Format{Name: name, Default: true})
	}
	return Load(path, e, formats)
}

func env(kv ...string) Env {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return Env{Getenv: func(k string) string { return m[k] }}
}

func TestLoadGoodAndDefaults(t *testing.T) {
	path := project(t, good)
	c, err := load(path, env("SOURCE_DATE_EPOCH", "1700000000"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Version.String() != version.Dev || c.Version.Source != "default" {
		t.Errorf("version %q from %q, want %q from default", c.Version, c.Version.Source, version.Dev)
	}
	if !c.Date.Equal(time.Unix(1700000000, 0)) {
		t.Errorf("date %v", c.Date)
	}
	if c.Service.Start != "auto" || c.Service.Restart.Delay.Std() != 3*time.Second || c.Service.Restart.ResetAfter.Std() != 24*time.Hour {
		t.Errorf("service defaults not applied: %+v", c.Service)
	}
	if c.Files[0].Dst != "conf.yaml" {
		t.Errorf("files[0].dst default = %q", c.Files[0].Dst)
	}
	if c.Line("service.account") != 10 {
		t.Errorf("line of service.account = %d, want 10", c.Line("service.account"))
	}
	if len(c.Formats) != 7 || c.Dist != filepath.Join(filepath.Dir(path), "dist") {
		t.Errorf("formats %v dist %q", c.Formats, c.Dist)
	}
}

// TestDependencyWarnings: check says once which services the hosts must
// provide, and that Windows cannot wait for a systemd target.
func TestDependencyWarnings(t *testing.T) {
	yaml := strings.Replace(good, "  restart: {delay: 3s}\n",
		"  restart: {delay: 3s}\n  depends_on: [{name: postgresql, require: true}, {name: network-online.target}, "+
			"{name: rpcss}, {name: redis}, {name: Tcpip, os: windows}]\n", 1)
	c, err := load(project(t, yaml), env())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"svcpack.yaml:13: service.depends_on: warning: postgresql, redis: this release does not make " +
			"them, so the hosts must have them",
		`service.depends_on[1].name: warning: "network-online.target" is a systemd unit, not a Windows service`,
		`service.depends_on[2].name: warning: "rpcss" is a Windows service: the systemd unit would wait for ` +
			`rpcss.service, which Linux hosts do not have; add os: windows`,
	}
	if len(c.Warnings) != len(want) {
		t.Fatalf("warnings %q, want %d", c.Warnings, len(want))
	}
	for i, w := range want {
		if !strings.Contains(c.Warnings[i], w) {
			t.Errorf("warning %q lacks %q", c.Warnings[i], w)
		}
	}
}

// TestHealthNobodyReads: a health check neither the wrapper nor a chart
// reads is a warning.
func TestHealthNobodyReads(t *testing.T) {
	yaml := strings.Replace(good, "  restart: {delay: 3s}\n",
		"  restart: {delay: 3s}\n  wrap: false\n  health: {url: 'http://127.0.0.1:8080/healthz'}\n", 1)
	c, err := load(project(t, yaml), env())
	if err != nil {
		t.Fatal(err)
	}
	if w := strings.Join(c.Warnings, "\n"); !strings.Contains(w, "service.health: warning: nothing here reads it") {
		t.Errorf("warnings:\n%s", w)
	}
}

func TestVersionResolution(t *testing.T) {
	withVersion := strings.Replace(good, "name: hello\n", "name: hello\nversion: v1.2.3\n", 1)
	for _, tc := range []struct {
		name, yaml, envVersion, want, source string
	}{
		{"env wins over config", withVersion, "2.0.0-rc.1+b5", "2.0.0-rc.1+b5", "SVCPACK_VERSION"},
		{"config, v stripped", withVersion, "", "1.2.3", "config"},
		{"default", good, "", version.Dev, "default"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := load(project(t, tc.yaml), env("SVCPACK_VERSION", tc.envVersion))
			if err != nil {
				t.Fatal(err)
			}
			if c.Version.String() != tc.want || c.Version.Source != tc.source {
				t.Errorf("got %q from %s, want %q from %s", c.Version, c.Version.Source, tc.want, tc.source)
			}
		})
	}
}

func TestGitDescribe(t *testing.T) {
	path := project(t, good)
	dir := filepath.Dir(path)
	for _, args := range [][]string{
		{"init", "-q"}, {"add", "."},
		{"-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "x"},
		{"tag", "v3.4.5"},
	} {
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_COMMITTER_DATE=@1600000000 +0000", "GIT_AUTHOR_DATE=@1600000000 +0000")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	c, err := load(path, env())
	if err != nil {
		t.Fatal(err)
	}
	if c.Version.String() != "3.4.5" || c.Version.Source != "git describe" || len(c.Commit) != 40 {
		t.Fatalf("version %q from %s, commit %q", c.Version, c.Version.Source, c.Commit)
	}
	if c.Date.Unix() != 1600000000 {
		t.Errorf("date %v, want the commit time", c.Date)
	}
	// A commit after the tag and an uncommitted change: git describe's
	// build after the tag, which every format sorts after it.
	if err := os.WriteFile(filepath.Join(dir, "later.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"add", "."}, {"-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "y"}} {
		if out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "later.txt"), []byte("dirty"), 0o644); err != nil {
		t.Fatal(err)
	}
	if c, err = load(path, env()); err != nil {
		t.Fatal(err)
	}
	v := c.Version
	if v.Commits != 1 || len(v.Hash) < 7 || !v.Dirty || v.String() != "3.4.5-1-g"+v.Hash+"-dirty" || v.Deb() != "3.4.5+1.g"+v.Hash+".dirty" {
		t.Errorf("after a commit and a change: %+v, %q, deb %q", v.Version, v, v.Deb())
	}
}

func TestBadConfigs(t *testing.T) {
	for _, tc := range []struct {
		name, from, to string
		env            []string
		want           []string // substrings of the error
	}{
		{"unknown key", "vendor: Acme\n", "vendor: Acme\nvendr: x\n", nil,
			[]string{"svcpack.yaml:5:", `unknown key "vendr"`, "valid keys are:", "vendor"}},
		{"unknown nested key", "  account: LocalService\n", "  account: LocalService\n  acount: x\n", nil,
			[]string{"svcpack.yaml:11:", `unknown key "acount" in service`}},
		{"unknown target", "[linux/amd64, windows/amd64]", "[linux/amd64, windows/amd65]", nil,
			[]string{"svcpack.yaml:3:", "targets[1]", `"windows/amd65"`, "go tool dist list", "valid architectures for windows are", "amd64"}},
		{"unknown os", "[linux/amd64, windows/amd64]", "[linux/amd64, plan10/amd64]", nil,
			[]string{"targets[1]", "valid operating systems are"}},
		{"unknown variant", "[linux/amd64, windows/amd64]", "[linux/arm/8, windows/amd64]", nil,
			[]string{"svcpack.yaml:3:", "targets[0]", `"8" is not a valid arm variant (GOARM)`, "valid are 5, 6, 7"}},
		{"arch without variants", "[linux/amd64, windows/amd64]", "[linux/s390x/z15, windows/amd64]", nil,
			[]string{"targets[0]", "s390x has no variants", "amd64"}},
		{"duplicate target", "[linux/amd64, windows/amd64]", "[linux/amd64, linux/amd64]", nil,
			[]string{"targets[1]", "duplicates targets[0]"}},
		{"service name", "  name: hello\n", "  name: hello world\n", nil,
			[]string{"svcpack.yaml:9:", "service.name", `"hello world"`, "letters, digits"}},
		{"service name slash", "  name: hello\n", "  name: a/b\n", nil, []string{"service.name", `"a/b"`}},
		{"bad semver in config", "name: hello\n", "name: hello\nversion: 1.2\n", nil,
			[]string{"svcpack.yaml:2:", "version", `"1.2" is not a semantic version`, "MAJOR.MINOR.PATCH"}},
		{"bad semver in env", "", "", []string{"SVCPACK_VERSION", "banana"},
			[]string{"version (from SVCPACK_VERSION)", `"banana"`}},
		{"main missing", "./cmd/hello", "./cmd/nope", nil,
			[]string{"svcpack.yaml:2:", "main", `"./cmd/nope" does not exist`}},
		{"icon missing", "icon.png", "missing.png", nil,
			[]string{"svcpack.yaml:6:", "windows.icon", `"missing.png" does not exist`}},
		{"upgrade code", "6B2A1E7C-5D3F-4A1B-9C8D-0E1F2A3B4C5D", "not-a-guid", nil,
			[]string{"svcpack.yaml:7:", "windows.msi.upgrade_code", `"not-a-guid" is not a GUID`, "svcpack init"}},
		{"account", "account: LocalService", "account: Administrator", nil,
			[]string{"service.account", `"Administrator"`, "LocalSystem, LocalService, NetworkService"}},
		{"duration", "delay: 3s", "delay: soon", nil, []string{"svcpack.yaml:12", `bad duration "soon"`}},
		{"env name", `PORT: "8080"`, `"BAD-NAME": "1"`, nil, []string{"service.env.BAD-NAME", "not a valid environment variable name"}},
		{"reg separator", `PORT: "8080"`, `PORT: 'a\0b'`, nil, []string{"service.env.PORT", `holds \0`, "reg.exe"}},
		{"file dst escapes", "{src: conf.yaml, config: true}", "{src: conf.yaml, dst: ../x}", nil,
			[]string{"files[0].dst", `"../x"`}},
		{"file dst option", "{src: conf.yaml, config: true}", "{src: conf.yaml, dst: -rf}", nil,
			[]string{"files[0].dst", `"-rf" begins with '-'`, "install in the darwin install.sh would read as an option"}},
		{"file dst long option", "{src: conf.yaml, config: true}", "{src: conf.yaml, dst: '{{.ConfigDir}}/--help'}", nil,
			[]string{"files[0].dst", "begins with '-'", `"--help"`, "option"}},
		{"file dst anchored option", "{src: conf.yaml, config: true}", "{src: conf.yaml, dst: ./-x}", nil,
			[]string{"files[0].dst", "begins with '-'", "option"}},
		{"name option", "name: hello\n", "name: -rf\n", nil,
			[]string{"name:", `"-rf" begins with "-"`, "systemctl, launchctl, sc and reg would read as an option"}},
		{"service name option", "  name: hello\n", "  name: --help\n", nil,
			[]string{"service.name", `"--help" begins with "-"`, "read as an option"}},
		{"service name switch", "  name: hello\n", "  name: /delete\n", nil,
			[]string{"service.name", `"/delete" begins with "/"`, "sc and reg would read as an option"}},
		{"linux user option", "  account: LocalService\n", "  account: LocalService\n  linux: {user: -x}\n", nil,
			[]string{"service.linux.user", `"-x" begins with "-"`, "useradd, getent and chown would read as an option"}},
		{"linux group option", "  account: LocalService\n", "  account: LocalService\n  linux: {groups: [--help]}\n", nil,
			[]string{"service.linux.groups[0]", `"--help" begins with "-"`, "option"}},
		{"darwin user option", "  account: LocalService\n", "  account: LocalService\n  darwin: {user: -rf}\n", nil,
			[]string{"service.darwin.user", `"-rf" begins with "-"`, "id and chown in install.sh would read as an option"}},
		{"gpg key missing", "vendor: Acme\n", "vendor: Acme\ngpg: {key_file: keys/nope.asc}\n", nil,
			[]string{"svcpack.yaml:5:", "gpg.key_file", `"keys/nope.asc" does not exist`}},
		{"gpg sign what", "vendor: Acme\n", "vendor: Acme\ngpg: {key_file: conf.yaml, sign: [deb, msi]}\n", nil,
			[]string{"gpg.sign[1]", `"msi" is not valid`, "deb, rpm or checksums"}},
		{"gpg passphrase unset", "vendor: Acme\n", "vendor: Acme\ngpg: {key_file: conf.yaml, passphrase_env: GPG_PASS}\n", nil,
			[]string{"gpg.passphrase_env", "GPG_PASS is not set"}},
		{"wrapper without wrap", "  restart: {delay: 3s}\n", "  restart: {delay: 3s}\n  wrap: false\n  wrapper: {stop_timeout: 5s}\n", nil,
			[]string{"svcpack.yaml:14:", "service.wrapper: is set, but the program is not wrapped (service.wrap: false in svcpack.yaml)", "wrap: true"}},
		{"wrapper health without wrap", "  restart: {delay: 3s}\n", "  restart: {delay: 3s}\n  wrap: false\n  wrapper: {health: {url: 'http://127.0.0.1:8080/'}}\n", nil,
			[]string{"service.wrapper: is set, but the program is not wrapped", "goes in service.health, wrapped or not"}},
		{"wrap not a switch", "  restart: {delay: 3s}\n", "  restart: {delay: 3s}\n  wrap: yes\n", nil,
			[]string{"svcpack.yaml:13:", `service.wrap: "yes" is not valid: want auto, true or false`}},
		{"wrapper unknown key", "  restart: {delay: 3s}\n", "  restart: {delay: 3s}\n  wrap: true\n  wrapper: {stop_timout: 5s}\n", nil,
			[]string{"svcpack.yaml:14:", `unknown key "stop_timout" in service.wrapper`, "stop_timeout"}},
		{"wrapper health url", "  restart: {delay: 3s}\n", "  restart: {delay: 3s}\n  wrap: true\n  wrapper:\n    health: {url: ftp://x}\n", nil,
			[]string{`svcpack.yaml:15: service.wrapper.health.url: "ftp://x" is not an http(s) URL`}},
		{"depends on itself", "  restart: {delay: 3s}\n", "  restart: {delay: 3s}\n  depends_on: [{name: HELLO}]\n", nil,
			[]string{"svcpack.yaml:13:", `service.depends_on[0].name: "HELLO" is this service itself`}},
		{"depends twice", "  restart: {delay: 3s}\n", "  restart: {delay: 3s}\n  depends_on: [{name: redis}, {name: redis.service}]\n", nil,
			[]string{`service.depends_on[1].name: "redis.service" is also service.depends_on[0]: name each dependency once`}},
		{"dependency option", "  restart: {delay: 3s}\n", "  restart: {delay: 3s}\n  depends_on: [{name: -x}]\n", nil,
			[]string{"service.depends_on[0].name", `"-x" begins with "-"`}},
		{"dependency os", "  restart: {delay: 3s}\n", "  restart: {delay: 3s}\n  depends_on: [{name: chronyd, os: darwin}]\n", nil,
			[]string{"svcpack.yaml:13:", `service.depends_on[0].os: "darwin" is not valid: want windows or linux`}},
		{"managed account form", "account: LocalService", `account: 'CONTOSO\web$$'`, nil,
			[]string{"service.account", `"CONTOSO\\web$$"`, `a group managed service account DOMAIN\name$`}},
		{"log age below the period", "  restart: {delay: 3s}\n", "  restart: {delay: 3s}\n  wrap: true\n  wrapper: {logs: {rotate: daily, max_age: 2h}}\n", nil,
			[]string{"service.wrapper.logs.max_age: 2h0m0s is shorter than the daily rotation"}},
		{"not a number", "  restart: {delay: 3s}\n", "  restart: {delay: 3s}\noci: {port: 8199/tcp}\n", nil,
			[]string{"svcpack.yaml:13:", `oci.port: "8199/tcp" is not a whole number such as 8080`}},
		{"not a switch", "  restart: {delay: 3s}\n", "  restart: {delay: 3s}\n  linux: {hardening: maybe}\n", nil,
			[]string{"svcpack.yaml:13:", `service.linux.hardening: "maybe" is not true or false`}},
		{"source date epoch", "", "", []string{"SOURCE_DATE_EPOCH", "yesterday"}, []string{"SOURCE_DATE_EPOCH", `"yesterday"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			yaml := good
			if tc.from != "" {
				if !strings.Contains(yaml, tc.from) {
					t.Fatalf("test bug: %q not in config", tc.from)
				}
				yaml = strings.Replace(yaml, tc.from, tc.to, 1)
			}
			_, err := load(project(t, yaml), env(tc.env...))
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

// TestWrapperNameCollision: the name of the program may not be the
// wrapper's (the configuration itself is the svcwrap format's, tested in
// pkg/format/internal/windows).
func TestWrapperNameCollision(t *testing.T) {
	yaml := strings.Replace(good, "  restart: {delay: 3s}\n", "  restart: {delay: 3s}\n  wrap: true\n", 1)
	// The name of the program may not be the wrapper's.
	_, err := load(project(t, strings.Replace(yaml, "name: hello\n", "name: svcwrap\n", 1)), env())
	if err == nil || !strings.Contains(err.Error(), `name: "svcwrap" collides with the service wrapper's svcwrap.exe`) {
		t.Errorf("name svcwrap: %v", err)
	}
}

func TestSyntaxError(t *testing.T) {
	_, err := load(project(t, "name: [a\n"), env())
	if err == nil || !strings.Contains(err.Error(), "svcpack.yaml:") {
		t.Fatalf("err = %v, want file:line", err)
	}
}

func TestEmptyFile(t *testing.T) {
	_, err := load(project(t, ""), env())
	if err == nil || !strings.Contains(err.Error(), "empty") {
		t.Fatalf("err = %v", err)
	}
}

// pngIcon is a square PNG of n px.
func pngIcon(t *testing.T, n int) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, n, n))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
