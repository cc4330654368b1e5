package linuxpkg

import (
	"bytes"
	"compress/gzip"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
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
		"StateDirectory=hello", "CacheDirectory=hello", "LogsDirectory=hello", "NoNewPrivileges=yes", "ProtectSystem=strict",
		"RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK",
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

// TestUnitOverrides replaces directives by name: in place, once for a
// directive written twice, added when svcpack writes none, refused for what
// other settings write or svcpack does not write; systemd-analyze verify
// reads each result.
func TestUnitOverrides(t *testing.T) {
	sa := testtool.Need(t, "systemd-analyze", "systemd")
	for _, tc := range []struct {
		name      string
		overrides map[string]string
		off       []string
		want      []string
		absent    []string
		err       string
	}{
		{"in place", map[string]string{"ProtectHome": "read-only", "RestrictAddressFamilies": "AF_INET AF_UNIX"}, nil,
			[]string{"ProtectHome=read-only\nPrivateTmp=yes", "RestrictAddressFamilies=AF_INET AF_UNIX\n"}, []string{"ProtectHome=yes", "AF_NETLINK"}, ""},
		{"a directive written twice", map[string]string{"SystemCallFilter": "@system-service @resources"}, nil,
			[]string{"SystemCallFilter=@system-service @resources\nSystemCallErrorNumber"}, []string{"~@privileged"}, ""},
		{"left out, then set", map[string]string{"CacheDirectory": "hello/cache %n"}, nil,
			[]string{"CacheDirectory=hello/cache %%n\nLogsDirectory=hello"}, nil, ""},
		{"not written in this configuration", map[string]string{"PrivateUsers": "no"}, []string{"PrivateUsers"},
			[]string{"PrivateUsers=no\n"}, []string{"PrivateUsers=yes"}, ""},
		{"set by another setting", map[string]string{"Type": "simple"}, nil, nil, nil, "svcpack writes it from notify"},
		{"not svcpack's", map[string]string{"ExecStartPre": "/bin/sh"}, nil, nil, nil, "not a directive svcpack writes"},
		{"line break", map[string]string{"ProtectHome": "yes\nExecStartPre=/bin/sh"}, nil, nil, nil, "control character"},
		{"continuation", map[string]string{"ProtectHome": `yes\`}, nil, nil, nil, "backslash"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := options(t)
			o.Service.Overrides, o.Service.HardeningOff = tc.overrides, tc.off
			b, err := Unit(o)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(b), w) {
					t.Errorf("unit lacks %q:\n%s", w, b)
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(string(b), a) {
					t.Errorf("unit still has %q:\n%s", a, b)
				}
			}
			root, unit := unitRoot(t, o)
			if out, err := exec.Command(sa, "verify", "--root="+root, "--man=no", unit).CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
				t.Errorf("systemd-analyze verify: %v\n%s", err, out)
			}
		})
	}
}

// TestBinDir installs the program elsewhere: the deb holds it there and the
// unit runs it from there.
func TestBinDir(t *testing.T) {
	dpkgDeb := testtool.Need(t, "dpkg-deb", "dpkg")
	o := options(t)
	o.BinDir = "/usr/lib/hello"
	b, err := Unit(o)
	if err != nil || !strings.Contains(string(b), "ExecStart=/usr/lib/hello/hello run\n") {
		t.Fatalf("unit: %v\n%s", err, b)
	}
	listing := run(t, dpkgDeb, "-c", writePackage(t, o, "deb"))
	if !strings.Contains(listing, "./usr/lib/hello/hello\n") || strings.Contains(listing, "./usr/bin/hello") {
		t.Errorf("deb contents:\n%s", listing)
	}
	for _, bad := range []string{"usr/lib/hello", "/usr/local/bin", "/etc", "/usr/lib/../bin", "/usr/lib/hello/", "/usr/lib/a b"} {
		if err := CheckBinDir(bad); err == nil {
			t.Errorf("bin_dir %q accepted", bad)
		}
	}
}

func TestClash(t *testing.T) {
	for _, tc := range []struct{ dir, name, want string }{
		{"", "ls", "busybox, coreutils"},
		{"/usr/sbin", "ip", "busybox, iproute2"},
		{"/bin", "ps", "busybox, procps"},
		{"/usr/lib/ls", "ls", ""},
		{"", "hello", ""},
	} {
		if got := Clash(tc.dir, tc.name); got != tc.want {
			t.Errorf("Clash(%q, %q) = %q, want %q", tc.dir, tc.name, got, tc.want)
		}
	}
}

func TestScriptsParse(t *testing.T) {
	sh := testtool.Need(t, "sh", "dash")
	for _, format := range Formats() {
		for _, script := range Scripts() {
			for _, v := range []struct {
				user   string
				manual bool
			}{{"", false}, {"hello", false}, {"hello", true}} {
				o := options(t)
				o.Service.User, o.Service.Manual = v.user, v.manual
				b, err := Script(o, format, script)
				if err != nil {
					t.Fatal(err)
				}
				p := filepath.Join(t.TempDir(), "s.sh")
				os.WriteFile(p, b, 0o755)
				if out, err := exec.Command(sh, "-n", p).CombinedOutput(); err != nil {
					t.Errorf("sh -n %s %s: %v\n%s", format, script, err, out)
				}
			}
		}
	}
	if _, err := Script(options(t), "deb", "preinst"); err == nil {
		t.Error("Script renders a preinst nobody writes")
	}
}

// fakeTools are stand-ins for systemctl and init-system-helpers' commands
// that append each call, as "command arguments", to the file $CALLS.
// deb-systemd-helper answers was-enabled no when $DISABLED is set (the
// administrator disabled the unit), debian-installed yes when $INSTALLED is.
var fakeTools = map[string]string{
	"systemctl":          "#!/bin/sh\necho \"systemctl $*\" >> \"$CALLS\"\n",
	"deb-systemd-invoke": "#!/bin/sh\necho \"deb-systemd-invoke $*\" >> \"$CALLS\"\n",
	"deb-systemd-helper": `#!/bin/sh
echo "deb-systemd-helper $*" >> "$CALLS"
case "$*" in
*was-enabled*) [ -z "$DISABLED" ] ;;
*debian-installed*) [ -n "$INSTALLED" ] ;;
esac
`,
}

// runScript runs the format's maintainer script with args in the test's
// folder dir: as on a host where systemd runs when running is true (the
// script's /run/systemd/system is dir/run-systemd-system, its /var is
// dir/var), with the fake tools first on the PATH when tools is true, else
// with an empty PATH; env is added to the environment. It returns the calls
// the tools recorded and the script's output.
func runScript(t *testing.T, o Options, dir, format, script string, running, tools bool, env []string, args ...string) (calls []string, out string) {
	t.Helper()
	sh := testtool.Need(t, "sh", "dash")
	b, err := Script(o, format, script)
	if err != nil {
		t.Fatal(err)
	}
	systemd := filepath.Join(dir, "run-systemd-system")
	if running {
		os.Mkdir(systemd, 0o755)
	}
	b = bytes.ReplaceAll(b, []byte("/run/systemd/system"), []byte(systemd))
	b = bytes.ReplaceAll(b, []byte("'/var/"), []byte("'"+dir+"/var/"))
	path, callFile := filepath.Join(dir, "bin"), filepath.Join(dir, "calls")
	os.Mkdir(path, 0o755)
	if tools {
		for name, body := range fakeTools {
			os.WriteFile(filepath.Join(path, name), []byte(body), 0o755)
		}
		path += ":" + os.Getenv("PATH")
	}
	p := filepath.Join(dir, script)
	os.WriteFile(p, b, 0o755)
	cmd := exec.Command(sh, append([]string{p}, args...)...)
	cmd.Env = append(append(os.Environ(), "PATH="+path, "CALLS="+callFile, "DPKG_ROOT="), env...)
	o2, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s %v: %v\n%s", format, script, args, err, o2)
	}
	got, _ := os.ReadFile(callFile)
	if s := strings.TrimSpace(string(got)); s != "" {
		calls = strings.Split(s, "\n")
	}
	return calls, string(o2)
}

// TestPostinstStart runs the post-install scripts, on install and on
// upgrade, against stand-ins that record what they are asked. The deb's
// keeps the enabled state with deb-systemd-helper (an administrator's
// disable stands) and starts with deb-systemd-invoke only where systemd
// runs; the rpm's calls systemctl. A unit started by hand
// (Service.Manual) is neither enabled nor started, and an upgrade only
// restarts a running one.
func TestPostinstStart(t *testing.T) {
	const unit = "hello.service"
	for _, tc := range []struct {
		name    string
		format  string
		manual  bool
		running bool
		env     []string
		args    []string
		want    []string
		wantNot []string
		message bool
	}{
		{"deb install", "deb", false, true, nil, []string{"configure"},
			[]string{"deb-systemd-helper unmask " + unit, "deb-systemd-helper enable " + unit, "systemctl --system daemon-reload", "deb-systemd-invoke start " + unit},
			[]string{"update-state", "try-restart"}, false},
		{"deb install, systemd not running", "deb", false, false, nil, []string{"configure"},
			[]string{"deb-systemd-helper enable " + unit}, []string{"daemon-reload", "deb-systemd-invoke"}, false},
		{"deb upgrade", "deb", false, true, nil, []string{"configure", "1.0.0"},
			[]string{"deb-systemd-helper enable " + unit, "deb-systemd-invoke try-restart " + unit}, []string{"invoke start"}, false},
		{"deb upgrade, disabled by the administrator", "deb", false, true, []string{"DISABLED=1"}, []string{"configure", "1.0.0"},
			[]string{"deb-systemd-helper update-state " + unit, "deb-systemd-invoke try-restart " + unit}, []string{"helper enable"}, false},
		{"deb abort-remove", "deb", false, true, nil, []string{"abort-remove"},
			[]string{"deb-systemd-invoke start " + unit}, nil, false},
		{"deb manual install", "deb", true, true, nil, []string{"configure"},
			[]string{"deb-systemd-helper update-state " + unit}, []string{"helper enable", "unmask", "deb-systemd-invoke"}, true},
		{"deb manual upgrade, enabled by the administrator", "deb", true, true, []string{"INSTALLED=1"}, []string{"configure", "1.0.0"},
			[]string{"deb-systemd-helper unmask " + unit, "deb-systemd-helper enable " + unit, "deb-systemd-invoke try-restart " + unit},
			[]string{"invoke start"}, false},
		{"deb manual upgrade", "deb", true, true, nil, []string{"configure", "1.0.0"},
			[]string{"deb-systemd-invoke try-restart " + unit}, []string{"helper enable", "invoke start"}, false},
		{"rpm install", "rpm", false, true, nil, []string{"1"}, []string{"systemctl enable " + unit, "systemctl start " + unit}, nil, false},
		{"rpm manual install", "rpm", true, true, nil, []string{"1"}, nil, []string{"enable", "start"}, true},
		{"rpm upgrade", "rpm", false, true, nil, []string{"2"}, []string{"systemctl try-restart " + unit}, []string{"enable", " start"}, false},
		{"rpm manual upgrade", "rpm", true, true, nil, []string{"2"}, []string{"systemctl try-restart " + unit}, []string{"enable", " start"}, false},
		{"apk upgrade", "apk", false, true, nil, []string{"upgrade"}, []string{"systemctl try-restart " + unit}, []string{"enable", " start"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := options(t)
			o.Service.User = "" // no account to create on this machine
			o.Service.Manual = tc.manual
			calls, out := runScript(t, o, t.TempDir(), tc.format, "postinst", tc.running, true, tc.env, tc.args...)
			all := strings.Join(calls, "\n")
			for _, w := range tc.want {
				if !slices.Contains(calls, w) {
					t.Errorf("%q was not called; calls:\n%s", w, all)
				}
			}
			for _, w := range tc.wantNot {
				if strings.Contains(all, w) {
					t.Errorf("a call holds %q; calls:\n%s", w, all)
				}
			}
			if tc.format == "deb" {
				checkDebCalls(t, calls)
			}
			if said := strings.Contains(out, "systemctl enable --now hello.service"); said != tc.message {
				t.Errorf("says how to start the service by hand: %v, want %v:\n%s", said, tc.message, out)
			}
		})
	}
}

// checkDebCalls fails the test when a deb script called systemctl for
// anything but daemon-reload, which debhelper's scripts do too (lintian's
// maintainer-script-calls-systemctl).
func checkDebCalls(t *testing.T, calls []string) {
	t.Helper()
	for _, c := range calls {
		if strings.HasPrefix(c, "systemctl ") && c != "systemctl --system daemon-reload" {
			t.Errorf("the deb's script called %q: only deb-systemd-helper and deb-systemd-invoke may", c)
		}
	}
}

// TestDebRemoveScripts runs the deb's prerm and postrm against the
// stand-ins: the service stops on removal only (and not in a DPKG_ROOT
// install), the unit is masked on removal, and forgotten on purge, which
// deletes the service's state and logs too.
func TestDebRemoveScripts(t *testing.T) {
	const unit = "hello.service"
	for _, tc := range []struct {
		script string
		env    []string
		args   []string
		want   []string
	}{
		{"prerm", nil, []string{"remove"}, []string{"deb-systemd-invoke stop " + unit}},
		{"prerm", []string{"DPKG_ROOT=/mnt"}, []string{"remove"}, nil},
		{"prerm", nil, []string{"upgrade", "1.5.0"}, nil},
		{"prerm", nil, []string{"deconfigure", "in-favour", "other", "1.0"}, nil},
		{"postrm", nil, []string{"remove"}, []string{"systemctl --system daemon-reload", "deb-systemd-helper mask " + unit}},
		{"postrm", nil, []string{"upgrade", "1.5.0"}, nil},
		{"postrm", nil, []string{"purge"}, []string{"deb-systemd-helper purge " + unit, "deb-systemd-helper unmask " + unit}},
	} {
		dir := t.TempDir()
		state := filepath.Join(dir, "var/lib/hello")
		os.MkdirAll(state, 0o755)
		calls, _ := runScript(t, options(t), dir, "deb", tc.script, true, true, tc.env, tc.args...)
		if strings.Join(calls, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("%s %v %v: calls\n%s\nwant\n%s", tc.script, tc.env, tc.args, strings.Join(calls, "\n"), strings.Join(tc.want, "\n"))
		}
		_, err := os.Stat(state)
		if kept := err == nil; kept != (tc.args[0] != "purge") {
			t.Errorf("%s %v: /var/lib/hello kept: %v", tc.script, tc.args, kept)
		}
	}
}

// TestScriptsWithoutHelpers: where neither systemctl nor init-system-helpers
// is installed (a container, a chroot), every script does nothing of
// systemd's and succeeds, whether systemd's runtime folder is there or not.
func TestScriptsWithoutHelpers(t *testing.T) {
	for _, format := range Formats() {
		for _, manual := range []bool{false, true} {
			for _, running := range []bool{false, true} {
				o := options(t)
				// No account to create: useradd and rm are not on the PATH.
				o.Service.User, o.Service.Manual = "", manual
				args := map[string][][]string{
					"deb": {{"configure"}, {"configure", "1.0.0"}, {"remove"}},
					"rpm": {{"1"}, {"2"}, {"0"}},
					"apk": {nil, {"upgrade"}},
				}[format]
				for _, script := range Scripts() {
					for _, a := range args {
						runScript(t, o, t.TempDir(), format, script, running, false, nil, a...)
					}
				}
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
	out, _ := exec.Command(lintian, "--tag-display-limit", "0", deb).CombinedOutput()
	// The warnings every such package gets: none of them is the scripts'
	// (maintainer-script-calls-systemctl, say).
	expected := []string{
		"initial-upload-closes-no-bugs", // a package outside Debian's archive closes no bug
		"no-manual-page",                // a service's program has none
	}
	for _, line := range strings.Split(string(out), "\n") {
		kind, rest, _ := strings.Cut(line, ": ")
		if kind != "E" && kind != "W" {
			continue
		}
		// "W: hello: tag [where]"
		if f := strings.Fields(rest); len(f) < 2 || kind == "E" || !slices.Contains(expected, f[1]) {
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
	// Not this machine's name: the rpm is the same bytes wherever it is made.
	if h := run(t, rpmTool, "-qp", "--qf", "%{BUILDHOST}", r); h != "reproducible" {
		t.Errorf("rpm build host %q, want reproducible", h)
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

// TestLicencesLintian packages the program under five licences and runs
// lintian on the five debs: no errors. A licence Debian ships in
// /usr/share/common-licenses is referred to there, the others' text is in
// the copyright file. The licence texts are the system's own copies (and
// this repository's MIT LICENSE).
func TestLicencesLintian(t *testing.T) {
	lintian := testtool.Need(t, "lintian", "lintian")
	const common = "/usr/share/common-licenses/"
	type licence struct{ spdx, file, short, want, unwanted string }
	licences := map[string]licence{
		"mit":     {"MIT", "../../LICENSE", "Expat", "Permission is hereby granted", "common-licenses"},
		"apache":  {"Apache-2.0", common + "Apache-2.0", "Apache-2.0", `"/usr/share/common-licenses/Apache-2.0"`, "TERMS AND CONDITIONS"},
		"bsd":     {"BSD-3-Clause", common + "BSD", "BSD-3-clause", "Redistribution and use in source and binary forms", "common-licenses"},
		"gpl":     {"GPL-3.0-or-later", common + "GPL-3", "GPL-3+", `"/usr/share/common-licenses/GPL-3"`, "TERMS AND CONDITIONS"},
		"mpl":     {"MPL-2.0", common + "MPL-2.0", "MPL-2.0", `"/usr/share/common-licenses/MPL-2.0"`, "Definitions"},
		"dual":    {"MIT OR Apache-2.0", "../../LICENSE", "Expat or Apache-2.0", "Permission is hereby granted", ""},
		"unknown": {"LicenseRef-Acme", "../../LICENSE", "LicenseRef-Acme", "Permission is hereby granted", "common-licenses"},
	}
	var debs []string
	for _, key := range slices.Sorted(maps.Keys(licences)) {
		l := licences[key]
		if _, err := os.Stat(l.file); err != nil {
			testtool.Missing(t, l.file+" (Debian package base-files)")
		}
		o := options(t)
		o.Name, o.Service.Name, o.License, o.LicenseFile = "hello-"+key, "hello-"+key, l.spdx, l.file
		c, err := o.copyright()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(c), "\nLicense: "+l.short+"\n") || !strings.Contains(string(c), l.want) || (l.unwanted != "" && strings.Contains(string(c), l.unwanted)) {
			t.Errorf("%s: copyright file:\n%s", l.spdx, c)
		}
		debs = append(debs, writePackage(t, o, "deb"))
	}
	out, _ := exec.Command(lintian, append([]string{"--no-tag-display-limit"}, debs...)...).CombinedOutput()
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "E: ") {
			t.Errorf("lintian: %s", line)
		}
	}
	t.Logf("lintian:\n%s", out)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// TestGzipHoldsNoTime: the gzip streams svcpack compresses itself (the
// deb's data.tar.gz, the rpm's payload) and nfpm's control.tar.gz carry no
// name and no time (MTIME 0) in their headers, nothing of the host or the
// clock. (klauspost's writer put a date in 2042 there when left alone.)
func TestGzipHoldsNoTime(t *testing.T) {
	check := func(what string, stream []byte) {
		t.Helper()
		zr, err := gzip.NewReader(bytes.NewReader(stream))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if zr.Name != "" || !zr.ModTime.IsZero() {
			t.Errorf("%s: gzip header holds name %q, time %v", what, zr.Name, zr.ModTime)
		}
	}
	deb, err := os.ReadFile(writePackage(t, options(t), "deb"))
	if err != nil {
		t.Fatal(err)
	}
	members, err := readAr(deb)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range members {
		if strings.HasSuffix(m.header.Name, ".gz") {
			check("deb "+m.header.Name, m.data)
		}
	}
	rpm, err := os.ReadFile(writePackage(t, options(t), "rpm"))
	if err != nil {
		t.Fatal(err)
	}
	sig, err := parseHeader(rpm, 96)
	if err != nil {
		t.Fatal(err)
	}
	main, err := parseHeader(rpm, (sig.end+7)&^7)
	if err != nil {
		t.Fatal(err)
	}
	check("rpm payload", rpm[main.end:])
}

// TestOptionNamesRefused: the maintainer scripts pass the package's name,
// the unit's and the user's to systemctl, deb-systemd-helper, getent,
// groupadd, useradd, addgroup and adduser, which read a word beginning
// with '-' as an option wherever it stands (and deb-systemd-helper takes
// no --). Script and Unit refuse such names on their own, in every format.
func TestOptionNamesRefused(t *testing.T) {
	base := func() Options {
		return Options{
			Name: "hello", Version: "1.0.0", Arch: "amd64", Maintainer: "Acme <ops@example.com>",
			Service: Service{Name: "hello", User: "hello", Restart: "on-failure", RestartDelay: time.Second},
		}
	}
	for _, format := range Formats() {
		for _, script := range Scripts() {
			if _, err := Script(base(), format, script); err != nil {
				t.Fatalf("%s %s of a plain service: %v", format, script, err)
			}
		}
	}
	for _, v := range []string{"-rf", "--help", "-x"} {
		for field, edit := range map[string]func(*Options){
			"name":         func(o *Options) { o.Name = v },
			"service name": func(o *Options) { o.Service.Name = v },
			"user":         func(o *Options) { o.Service.User = v },
		} {
			o := base()
			edit(&o)
			if _, err := Unit(o); err == nil {
				t.Errorf("Unit took the %s %q", field, v)
			}
			for _, format := range Formats() {
				for _, script := range Scripts() {
					if b, err := Script(o, format, script); err == nil {
						t.Errorf("%s %s took the %s %q:\n%s", format, script, field, v, b)
					}
				}
			}
		}
	}
}
