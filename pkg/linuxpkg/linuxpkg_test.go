package linuxpkg

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/testtool"
)

var (
	buildMu  sync.Mutex
	builds   = map[string]string{}
	buildDir string // a directory of this test run, removed by TestMain
)

// helloBinary builds the repository's example service for linux/amd64 once.
func helloBinary(t *testing.T) string { return helloBinaryVersion(t, "1.4.2") }

// helloBinaryVersion builds the example service saying version v, once per
// version.
func helloBinaryVersion(t *testing.T, v string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if bin, ok := builds[v]; ok {
		return bin
	}
	if buildDir == "" {
		dir, err := os.MkdirTemp("", "svcpack-linuxpkg-bin-")
		if err != nil {
			t.Fatal(err)
		}
		buildDir = dir
	}
	bin := filepath.Join(buildDir, v, "hello")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w -X main.version="+v, "-o", bin, "../../examples/hello")
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building hello %s: %v\n%s", v, err, out)
	}
	builds[v] = bin
	return bin
}

func options(t *testing.T) Options {
	return Options{
		Name: "hello", Version: "1.4.2~rc.1+build.7", Arch: "amd64",
		Maintainer: "Acme Corp <ops@example.com>", Vendor: "Acme Corp", Homepage: "https://example.com/hello",
		License: "MIT", Description: "Says hello over HTTP",
		Binary:      helloBinary(t),
		Files:       []File{{Src: "../../examples/hello/config.yaml", Dst: "config.yaml", Config: true}},
		LicenseFile: "../../LICENSE",
		Service: Service{
			Name: "hello", Description: "Hello Service", Args: []string{"run"},
			Env: map[string]string{"PORT": "8080", "GREETING": "Hi there"}, User: "hello",
			Restart: "on-failure", RestartDelay: 5 * time.Second, Notify: true,
			MemoryMax: "512M", CPUQuota: "80%", Port: 8080, Hardening: true,
		},
		Date: time.Unix(1700000000, 0).UTC(),
	}
}

func writePackage(t *testing.T, o Options, format string) string {
	t.Helper()
	name, err := FileName(o, format)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name)
	var b bytes.Buffer
	if err := Package(o, format, &b); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// unitRoot lays out the unit and binary under a root for systemd-analyze.
func unitRoot(t *testing.T, o Options) (root, unit string) {
	t.Helper()
	root = t.TempDir()
	// systemd's own units (sysinit.target, ...) for verify's dependency checks.
	units := filepath.Join(root, "usr/lib/systemd/system")
	os.MkdirAll(units, 0o755)
	if out, err := exec.Command("cp", "-a", "/usr/lib/systemd/system/.", units+"/").CombinedOutput(); err != nil {
		t.Fatalf("copying systemd units: %v\n%s", err, out)
	}
	b, err := Unit(o)
	if err != nil {
		t.Fatal(err)
	}
	unit = filepath.Join(units, "hello.service")
	os.MkdirAll(filepath.Join(root, "usr/bin"), 0o755)
	os.WriteFile(unit, b, 0o644)
	bin, _ := os.ReadFile(o.Binary)
	os.WriteFile(filepath.Join(root, "usr/bin/hello"), bin, 0o755)
	return root, unit
}

func TestUnitVerify(t *testing.T) {
	sa := testtool.Need(t, "systemd-analyze", "systemd")
	o := options(t)
	root, unit := unitRoot(t, o)
	cmd := exec.Command(sa, "verify", "--root="+root, "--man=no", unit)
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}

var exposureRE = regexp.MustCompile(`Overall exposure level for hello\.service: ([0-9.]+)`)

func exposure(t *testing.T, o Options) float64 {
	t.Helper()
	sa := testtool.Need(t, "systemd-analyze", "systemd")
	root, unit := unitRoot(t, o)
	out, _ := exec.Command(sa, "security", "--offline=true", "--root="+root, "--no-pager", unit).CombinedOutput()
	m := exposureRE.FindSubmatch(out)
	if m == nil {
		t.Fatalf("no exposure level in:\n%s", out)
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}

func TestUnitSecurityScore(t *testing.T) {
	o := options(t)
	hard := exposure(t, o)
	t.Logf("exposure with hardening: %.1f", hard)
	if hard > 1.5 {
		t.Errorf("exposure %.1f, want at most 1.5", hard)
	}
	o.Service.Hardening = false
	plain := exposure(t, o)
	t.Logf("exposure without hardening: %.1f", plain)
	if plain < 5 {
		t.Errorf("switching hardening off still scores %.1f: the switch does nothing", plain)
	}
}

func TestUnitContents(t *testing.T) {
	o := options(t)
	b, _ := Unit(o)
	u := string(b)
	for _, want := range []string{
		"After=network-online.target", "Wants=network-online.target", "Type=notify",
		"ExecStart=/usr/bin/hello run", "Restart=on-failure", "RestartSec=5",
		"StartLimitIntervalSec=600", "StartLimitBurst=5", "User=hello", "Group=hello",
		`Environment="GREETING=Hi there"`, "Environment=PORT=8080", "MemoryMax=512M", "CPUQuota=80%",
		"StateDirectory=hello", "LogsDirectory=hello", "NoNewPrivileges=yes", "ProtectSystem=strict",
		"CapabilityBoundingSet=\n", "SystemCallFilter=@system-service",
	} {
		if !strings.Contains(u, want) {
			t.Errorf("unit lacks %q:\n%s", want, u)
		}
	}
	if strings.Contains(u, "CAP_NET_BIND_SERVICE") {
		t.Error("port 8080 must not get CAP_NET_BIND_SERVICE")
	}
	o.Service.Port = 80
	b, _ = Unit(o)
	if !strings.Contains(string(b), "CapabilityBoundingSet=CAP_NET_BIND_SERVICE") || !strings.Contains(string(b), "AmbientCapabilities=CAP_NET_BIND_SERVICE") {
		t.Error("port 80 lacks CAP_NET_BIND_SERVICE")
	}
	o.Service.HardeningOff = []string{"ProtectSystem", "SystemCallFilter"}
	b, _ = Unit(o)
	if strings.Contains(string(b), "ProtectSystem") || strings.Contains(string(b), "SystemCallFilter") || !strings.Contains(string(b), "ProtectHome=yes") {
		t.Errorf("hardening_off not applied:\n%s", b)
	}
}

func TestScriptsParse(t *testing.T) {
	sh := testtool.Need(t, "sh", "dash")
	for _, name := range []string{"linux-postinstall.sh.tmpl", "linux-preremove.sh.tmpl", "linux-postremove.sh.tmpl"} {
		for _, user := range []string{"", "hello"} {
			o := options(t)
			o.Service.User = user
			b, err := Script(o, name)
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(t.TempDir(), "s.sh")
			os.WriteFile(p, b, 0o755)
			if out, err := exec.Command(sh, "-n", p).CombinedOutput(); err != nil {
				t.Errorf("sh -n %s: %v\n%s", name, err, out)
			}
		}
	}
}

func TestDebContentsAndLintian(t *testing.T) {
	dpkgDeb := testtool.Need(t, "dpkg-deb", "dpkg")
	o := options(t)
	deb := writePackage(t, o, "deb")
	if filepath.Base(deb) != "hello_1.4.2~rc.1+build.7-1_amd64.deb" {
		t.Errorf("deb name %s", filepath.Base(deb))
	}
	listing := run(t, dpkgDeb, "-c", deb)
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(listing), "\n") {
		f := strings.Fields(line)
		if strings.HasSuffix(f[len(f)-1], "/") {
			continue
		}
		got[strings.TrimPrefix(f[len(f)-1], ".")] = f[0] + " " + f[1]
	}
	want := map[string]string{
		"/usr/bin/hello":                           "-rwxr-xr-x root/root",
		"/usr/lib/systemd/system/hello.service":    "-rw-r--r-- root/root",
		"/etc/hello/config.yaml":                   "-rw-r--r-- root/root",
		"/usr/share/doc/hello/copyright":           "-rw-r--r-- root/root",
		"/usr/share/doc/hello/changelog.Debian.gz": "-rw-r--r-- 0/0",
		"/usr/share/lintian/overrides/hello":       "-rw-r--r-- root/root",
	}
	if len(got) != len(want) {
		t.Errorf("deb holds %v, want %v", got, want)
	}
	for p, m := range want {
		if got[p] != m {
			t.Errorf("%s: %q, want %q", p, got[p], m)
		}
	}
	conffiles := run(t, dpkgDeb, "-I", deb, "conffiles")
	if strings.TrimSpace(conffiles) != "/etc/hello/config.yaml" {
		t.Errorf("conffiles %q", conffiles)
	}
	for field, want := range map[string]string{"Version": "1.4.2~rc.1+build.7-1", "Architecture": "amd64", "Package": "hello"} {
		if v := strings.TrimSpace(run(t, dpkgDeb, "-f", deb, field)); v != want {
			t.Errorf("%s: %q, want %q", field, v, want)
		}
	}
	// The changelog names the package's own version, with a distribution
	// and urgency (its first line is what dpkg-parsechangelog reads).
	changelog := run(t, "sh", "-c", "dpkg-deb --fsys-tarfile '"+deb+"' | tar -xOf - ./usr/share/doc/hello/changelog.Debian.gz | gzip -dc")
	if first, _, _ := strings.Cut(changelog, "\n"); first != "hello (1.4.2~rc.1+build.7-1) unstable; urgency=medium" {
		t.Errorf("changelog.Debian starts %q", first)
	}
	lintian := testtool.Need(t, "lintian", "lintian")
	out, _ := exec.Command(lintian, "--no-tag-display-limit", deb).CombinedOutput()
	for _, line := range strings.Split(string(out), "\n") {
		// Any error, and any changelog finding but the one every
		// package outside Debian's archive gets.
		if strings.HasPrefix(line, "E: ") || strings.Contains(line, "changelog") && !strings.Contains(line, "initial-upload-closes-no-bugs") {
			t.Errorf("lintian: %s", line)
		}
	}
	t.Logf("lintian:\n%s", out)
}

func TestRPMContentsAndRpmlint(t *testing.T) {
	rpmTool := testtool.Need(t, "rpm", "rpm")
	o := options(t)
	r := writePackage(t, o, "rpm")
	listing := run(t, rpmTool, "-qp", "--qf", "[%{FILEMODES:perms} %{FILEUSERNAME}/%{FILEGROUPNAME} %{FILENAMES}\n]", r)
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(listing), "\n") {
		if !strings.HasPrefix(l, "d") {
			lines = append(lines, l)
		}
	}
	sort.Strings(lines)
	want := []string{
		"-rw-r--r-- root/root /etc/hello/config.yaml",
		"-rw-r--r-- root/root /usr/lib/systemd/system/hello.service",
		"-rw-r--r-- root/root /usr/share/doc/hello/copyright",
		"-rwxr-xr-x root/root /usr/bin/hello",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("rpm files:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if c := strings.TrimSpace(run(t, rpmTool, "-qcp", r)); c != "/etc/hello/config.yaml" {
		t.Errorf("rpm config files %q", c)
	}
	if a := run(t, rpmTool, "-qp", "--qf", "%{ARCH} %{VERSION}-%{RELEASE}", r); a != "x86_64 1.4.2~rc.1+build.7-1" {
		t.Errorf("rpm arch/version %q", a)
	}
	if cl := run(t, rpmTool, "-qp", "--changelog", r); !strings.Contains(cl, " Acme Corp <ops@example.com> - 1.4.2~rc.1+build.7-1\n") {
		t.Errorf("rpm changelog does not name the package's version:\n%s", cl)
	}
	// Digests still hold after the payload rewrite, and the payload names
	// are relative, so unpacking it cannot write outside the target dir.
	if out := run(t, rpmTool, "-K", "-v", r); strings.Count(out, "digest: OK") != 2 {
		t.Errorf("rpm -K:\n%s", out)
	}
	cpioList := run(t, "sh", "-c", "rpm2cpio '"+r+"' | cpio -t --quiet")
	for _, name := range strings.Fields(cpioList) {
		if !strings.HasPrefix(name, "./") {
			t.Errorf("payload member %q is not relative", name)
		}
	}
	rpmlint := testtool.Need(t, "rpmlint", "rpmlint")
	out, _ := exec.Command(rpmlint, "-c", "testdata/rpmlint.toml", r).CombinedOutput()
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, ": E: ") {
			t.Errorf("rpmlint: %s", line)
		}
	}
	t.Logf("rpmlint:\n%s", out)
}

func TestDeterministic(t *testing.T) {
	for _, format := range Formats() {
		a := writePackage(t, options(t), format)
		b := writePackage(t, options(t), format)
		ba, _ := os.ReadFile(a)
		bb, _ := os.ReadFile(b)
		if !bytes.Equal(ba, bb) {
			t.Errorf("%s: two builds differ", format)
		}
	}
}
