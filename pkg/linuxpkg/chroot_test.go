package linuxpkg

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/testtool"
)

var (
	rootOnce  sync.Once
	rootCache string // a debootstrap root, made once per test run
	rootErr   error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if rootCache != "" {
		os.RemoveAll(filepath.Dir(rootCache))
	}
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// debootstrapRoot returns a fresh copy of a minimal root of the host's
// distribution with systemd, made by debootstrap once per test run.
func debootstrapRoot(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("debootstraps a root (about a minute)")
	}
	if os.Geteuid() != 0 {
		testtool.Missing(t, "root privileges (debootstrap and chroot)")
	}
	debootstrap := testtool.Need(t, "debootstrap", "debootstrap")
	codename := hostCodename(t)
	rootOnce.Do(func() {
		dir, err := os.MkdirTemp("", "svcpack-debootstrap-")
		if err != nil {
			rootErr = err
			return
		}
		rootCache = filepath.Join(dir, "root")
		if out, err := exec.Command(debootstrap, "--variant=minbase", "--include=systemd,systemd-sysv,dbus", codename, rootCache).CombinedOutput(); err != nil {
			rootErr = fmt.Errorf("debootstrap: %v\n%s", err, tail(out))
		}
	})
	if rootErr != nil {
		t.Fatal(rootErr)
	}
	root := filepath.Join(t.TempDir(), "root")
	if out, err := exec.Command("cp", "-a", rootCache, root).CombinedOutput(); err != nil {
		t.Fatalf("copying the root: %v\n%s", err, out)
	}
	return root
}

// nextVersion is options(t) as a later build in the format's grammar (git
// describe's 1.4.2-1-gabc1234: after the tag 1.4.2 and so after its release
// candidate), whose binary says so.
func nextVersion(t *testing.T, format string) Options {
	o := options(t)
	o.Version = map[string]string{"deb": "1.4.2+1.gabc1234", "rpm": "1.4.2^1.gabc1234"}[format]
	o.Binary = helloBinaryVersion(t, "1.4.2-1-gabc1234")
	return o
}

// hostCodename is the running distribution's release (bookworm, noble),
// which debootstrap knows how to fetch from the distribution's own mirror.
func hostCodename(t *testing.T) string {
	f, err := os.Open("/etc/os-release")
	if err != nil {
		testtool.Missing(t, "/etc/os-release")
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VERSION_CODENAME="); ok && v != "" {
			return strings.Trim(v, `"`)
		}
	}
	testtool.Missing(t, "a VERSION_CODENAME in /etc/os-release")
	return ""
}

// TestDebInstallsInChroot installs the deb with the real dpkg into a
// debootstrap root, where the maintainer scripts run chrooted and systemd is
// not running: the user and files must appear, removal must keep the
// conffile, purge must delete it. Then it boots that root with systemd as
// PID 1 (systemd-nspawn, private network) and installs the deb again: the
// package must start the service under its hardened unit, running as its
// user, answering /healthz.
func TestDebInstallsInChroot(t *testing.T) {
	chroot := testtool.Need(t, "chroot", "coreutils")
	nspawn := testtool.Need(t, "systemd-nspawn", "systemd-container")
	root := debootstrapRoot(t)
	deb := writePackage(t, options(t), "deb")
	data, _ := os.ReadFile(deb)
	os.WriteFile(filepath.Join(root, "tmp/hello.deb"), data, 0o644)
	in := func(args ...string) (string, error) {
		out, err := exec.Command(chroot, append([]string{root}, args...)...).CombinedOutput()
		return string(out), err
	}
	must := func(args ...string) string {
		t.Helper()
		out, err := in(args...)
		if err != nil {
			t.Fatalf("chroot %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	must("dpkg", "-i", "/tmp/hello.deb")
	if out := must("getent", "passwd", "hello"); !strings.Contains(out, "/usr/sbin/nologin") {
		t.Errorf("user hello: %q", out)
	}
	must("getent", "group", "hello")
	for _, f := range []string{"/usr/bin/hello", "/usr/lib/systemd/system/hello.service", "/etc/hello/config.yaml", "/usr/share/doc/hello/copyright"} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			t.Errorf("%s not installed: %v", f, err)
		}
	}
	if out := must("/usr/bin/hello", "version"); strings.TrimSpace(out) != "1.4.2" {
		t.Errorf("installed binary says %q", out)
	}
	conf := filepath.Join(root, "etc/hello/config.yaml")
	os.WriteFile(conf, []byte("greeting: Edited\n"), 0o644)

	must("dpkg", "-r", "hello")
	if _, err := os.Stat(filepath.Join(root, "usr/bin/hello")); err == nil {
		t.Error("binary left after dpkg -r")
	}
	if b, err := os.ReadFile(conf); err != nil || string(b) != "greeting: Edited\n" {
		t.Errorf("dpkg -r did not keep the edited conffile: %q %v", b, err)
	}
	must("dpkg", "-P", "hello")
	if _, err := os.Stat(conf); err == nil {
		t.Error("conffile left after purge")
	}

	// Boot it: systemd runs a one-shot unit that installs the deb (the
	// postinst enables and starts the service, since systemd is running),
	// records what systemd and the service say, and powers off. /tmp is a
	// fresh tmpfs in the booted container, so the deb goes to /opt.
	os.WriteFile(filepath.Join(root, "opt/hello.deb"), data, 0o644)
	next, _ := os.ReadFile(writePackage(t, nextVersion(t, "deb"), "deb"))
	os.WriteFile(filepath.Join(root, "opt/hello-next.deb"), next, 0o644)
	// Then an upgrade with an edited conffile (dpkg -i, stdin closed: a
	// conffile prompt would fail it), and the same package again.
	check := `#!/bin/bash
exec > /svcpack-check.log 2>&1
get() {
	for i in $(seq 1 20); do
		if exec 3<>/dev/tcp/127.0.0.1/8080; then printf 'GET %s HTTP/1.0\r\n\r\n' "$1" >&3; tail -n1 <&3; exec 3<&-; return; fi 2>/dev/null
		sleep 1
	done
}
active() { for i in $(seq 1 30); do systemctl is-active --quiet hello && break; sleep 1; done; }
dpkg -i /opt/hello.deb
active
echo "is-active: $(systemctl is-active hello)"
systemctl show hello -p User -p SubState -p Type
echo "healthz: $(get /healthz)"
echo "greeting: Edited" > /etc/hello/config.yaml
dpkg -i /opt/hello-next.deb </dev/null && echo "upgrade: exit 0"
active
echo "after the upgrade: $(get /)"
dpkg -i /opt/hello-next.deb </dev/null && echo "reinstall: exit 0"
active
echo "after the reinstall: $(get /)"
echo "conffile: $(cat /etc/hello/config.yaml)"
journalctl -u hello --no-pager | tail -20
systemctl poweroff
`
	os.WriteFile(filepath.Join(root, "usr/local/bin/svcpack-check"), []byte(check), 0o755)
	os.WriteFile(filepath.Join(root, "etc/systemd/system/svcpack-check.service"),
		[]byte("[Unit]\nDescription=svcpack package check\n[Service]\nType=oneshot\nExecStart=/usr/local/bin/svcpack-check\n[Install]\nWantedBy=multi-user.target\n"), 0o644)
	wants := filepath.Join(root, "etc/systemd/system/multi-user.target.wants")
	os.MkdirAll(wants, 0o755)
	os.Symlink("/etc/systemd/system/svcpack-check.service", filepath.Join(wants, "svcpack-check.service"))
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	boot := exec.CommandContext(ctx, nspawn, "-q", "--register=no", "--keep-unit", "--private-network", "-D", root, "--boot")
	bootOut, bootErr := boot.CombinedOutput()
	log, _ := os.ReadFile(filepath.Join(root, "svcpack-check.log"))
	for _, want := range []string{"is-active: active", "User=hello", "SubState=running", "Type=notify", "healthz: ok",
		"upgrade: exit 0", "after the upgrade: Edited from hello 1.4.2-1-gabc1234",
		"reinstall: exit 0", "after the reinstall: Edited from hello 1.4.2-1-gabc1234", "conffile: greeting: Edited"} {
		if !strings.Contains(string(log), want) {
			t.Errorf("booted system: %q missing; nspawn: %v\n%s\ncheck log:\n%s", want, bootErr, tail(bootOut), log)
			break
		}
	}
}

func tail(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-15):], "\n")
}

// TestRPMUpgradeInRoot installs the rpm into a debootstrap root with
// rpm --root (the scriptlets run there, without systemd), edits the config
// file and upgrades with rpm -U to a later build, then reinstalls it: the
// edit stays (%config(noreplace), no .rpmnew: the package's file did not
// change) and the new binary is in place.
func TestRPMUpgradeInRoot(t *testing.T) {
	rpmTool := testtool.Need(t, "rpm", "rpm")
	chroot := testtool.Need(t, "chroot", "coreutils")
	root := debootstrapRoot(t)
	rpm := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(rpmTool, append([]string{"--root", root}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("rpm %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	binVersion := func() string {
		t.Helper()
		out, err := exec.Command(chroot, root, "/usr/bin/hello", "version").CombinedOutput()
		if err != nil {
			t.Fatalf("hello version: %v\n%s", err, out)
		}
		return strings.TrimSpace(string(out))
	}
	old, next := writePackage(t, options(t), "rpm"), writePackage(t, nextVersion(t, "rpm"), "rpm")
	rpm("--initdb")
	// --nodeps: the root's files are dpkg's, unknown to its rpm database.
	rpm("-i", "--nodeps", old)
	if v := binVersion(); v != "1.4.2" {
		t.Errorf("installed binary says %q", v)
	}
	conf := filepath.Join(root, "etc/hello/config.yaml")
	if err := os.WriteFile(conf, []byte("greeting: Edited\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rpm("-U", "--nodeps", next)
	for _, step := range []string{"upgrade", "reinstall"} {
		if v := binVersion(); v != "1.4.2-1-gabc1234" {
			t.Errorf("after the %s the binary says %q", step, v)
		}
		if b, err := os.ReadFile(conf); err != nil || string(b) != "greeting: Edited\n" {
			t.Errorf("after the %s config.yaml is %q, %v", step, b, err)
		}
		if _, err := os.Stat(conf + ".rpmnew"); err == nil {
			t.Errorf("after the %s a config.yaml.rpmnew appeared", step)
		}
		if q := rpm("-q", "--qf", "%{VERSION}-%{RELEASE}", "hello"); q != "1.4.2^1.gabc1234-1" {
			t.Errorf("after the %s rpm -q says %q", step, q)
		}
		if step == "upgrade" {
			rpm("-U", "--nodeps", "--replacepkgs", next)
		}
	}
	// rpm itself sees the edit as a changed config file.
	out, _ := exec.Command(rpmTool, "--root", root, "-V", "hello").CombinedOutput()
	if !strings.Contains(string(out), " c /etc/hello/config.yaml") {
		t.Errorf("rpm -V does not report the edited config file:\n%s", out)
	}
}
