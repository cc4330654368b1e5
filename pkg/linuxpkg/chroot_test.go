package linuxpkg

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/debroot"
	"github.com/svcpack/svcpack/internal/testtool"
)

// nextVersion is options(t) as a later build in the format's grammar (git
// describe's 1.4.2-1-gabc1234: after the tag 1.4.2 and so after its release
// candidate), whose binary says so.
func nextVersion(t *testing.T, format string) Options {
	o := options(t)
	o.Version = map[string]string{"deb": "1.4.2+1.gabc1234", "rpm": "1.4.2^1.gabc1234"}[format]
	o.Binary = helloBinaryVersion(t, "1.4.2-1-gabc1234")
	return o
}

// TestDebInstallsInChroot installs the deb with the real dpkg into a
// debootstrap root, where the maintainer scripts run chrooted and systemd is
// not running: the user and files must appear, removal must keep the
// conffile, purge must delete it. Then it boots that root with systemd as
// PID 1 (systemd-nspawn, private network) and installs the deb again: the
// package must start the service under its hardened unit, running as its
// user, answering /healthz; an upgrade restarts it; an administrator's
// disable survives a reinstall; removal stops the service and masks the unit
// (debhelper's way).
func TestDebInstallsInChroot(t *testing.T) {
	root := debroot.New(t)
	deb := writePackage(t, options(t), "deb")
	root.Put(deb, "/tmp/hello.deb")
	root.MustRun("dpkg", "-i", "/tmp/hello.deb")
	if out := root.MustRun("getent", "passwd", "hello"); !strings.Contains(out, "/usr/sbin/nologin") {
		t.Errorf("user hello: %q", out)
	}
	root.MustRun("getent", "group", "hello")
	for _, f := range []string{"/usr/bin/hello", "/usr/lib/systemd/system/hello.service", "/etc/hello/config.yaml", "/usr/share/doc/hello/copyright"} {
		if _, err := os.Stat(root.Path(f)); err != nil {
			t.Errorf("%s not installed: %v", f, err)
		}
	}
	if out := root.MustRun("/usr/bin/hello", "version"); strings.TrimSpace(out) != "1.4.2" {
		t.Errorf("installed binary says %q", out)
	}
	conf := root.Path("/etc/hello/config.yaml")
	os.WriteFile(conf, []byte("greeting: Edited\n"), 0o644)

	root.MustRun("dpkg", "-r", "hello")
	if _, err := os.Stat(root.Path("/usr/bin/hello")); err == nil {
		t.Error("binary left after dpkg -r")
	}
	if b, err := os.ReadFile(conf); err != nil || string(b) != "greeting: Edited\n" {
		t.Errorf("dpkg -r did not keep the edited conffile: %q %v", b, err)
	}
	root.MustRun("dpkg", "-P", "hello")
	if _, err := os.Stat(conf); err == nil {
		t.Error("conffile left after purge")
	}

	// Boot it: the check installs the deb (the postinst enables and starts
	// the service, since systemd is running) and records what systemd and
	// the service say. /tmp is a fresh tmpfs in the booted container, so
	// the deb goes to /opt.
	root.Put(deb, "/opt/hello.deb")
	// Then an upgrade with an edited conffile (dpkg -i, stdin closed: a
	// conffile prompt would fail it), and the same package again.
	root.Put(writePackage(t, nextVersion(t, "deb"), "deb"), "/opt/hello-next.deb")
	log, bootErr, bootOut := root.Boot(`get() {
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
systemctl disable hello
dpkg -i /opt/hello-next.deb </dev/null >/dev/null
echo "disabled, then reinstalled: $(systemctl is-enabled hello)"
dpkg -r hello >/dev/null
echo "removed: $(systemctl is-active hello), $(systemctl is-enabled hello)"
journalctl -u hello --no-pager | tail -20`, 4*time.Minute)
	for _, want := range []string{"is-active: active", "User=hello", "SubState=running", "Type=notify", "healthz: ok",
		"upgrade: exit 0", "after the upgrade: Edited from hello 1.4.2-1-gabc1234",
		"reinstall: exit 0", "after the reinstall: Edited from hello 1.4.2-1-gabc1234", "conffile: greeting: Edited",
		"disabled, then reinstalled: disabled", "removed: inactive, masked"} {
		if !strings.Contains(log, want) {
			t.Errorf("booted system: %q missing; nspawn: %v\n%s\ncheck log:\n%s", want, bootErr, bootOut, log)
			break
		}
	}
}

// TestRPMUpgradeInRoot installs the rpm into a debootstrap root with
// rpm --root (the scriptlets run there, without systemd), edits the config
// file and upgrades with rpm -U to a later build, then reinstalls it: the
// edit stays (%config(noreplace), no .rpmnew: the package's file did not
// change) and the new binary is in place.
func TestRPMUpgradeInRoot(t *testing.T) {
	rpmTool := testtool.Need(t, "rpm", "rpm")
	chroot := testtool.Need(t, "chroot", "coreutils")
	root := debroot.New(t).Dir
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
