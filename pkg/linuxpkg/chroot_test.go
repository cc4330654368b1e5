package linuxpkg

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/testtool"
)

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
	if testing.Short() {
		t.Skip("debootstraps a root (about a minute)")
	}
	if os.Geteuid() != 0 {
		testtool.Missing(t, "root privileges (debootstrap and chroot)")
	}
	debootstrap := testtool.Need(t, "debootstrap", "debootstrap")
	chroot := testtool.Need(t, "chroot", "coreutils")
	root := filepath.Join(t.TempDir(), "root")
	nspawn := testtool.Need(t, "systemd-nspawn", "systemd-container")
	if out, err := exec.Command(debootstrap, "--variant=minbase", "--include=systemd,systemd-sysv,dbus", hostCodename(t), root).CombinedOutput(); err != nil {
		t.Fatalf("debootstrap: %v\n%s", err, tail(out))
	}
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
	check := `#!/bin/bash
exec > /svcpack-check.log 2>&1
dpkg -i /opt/hello.deb
for i in $(seq 1 30); do systemctl is-active --quiet hello && break; sleep 1; done
echo "is-active: $(systemctl is-active hello)"
systemctl show hello -p User -p SubState -p Type
for i in $(seq 1 10); do
	if exec 3<>/dev/tcp/127.0.0.1/8080; then printf 'GET /healthz HTTP/1.0\r\n\r\n' >&3; echo "healthz: $(tail -n1 <&3)"; break; fi 2>/dev/null
	sleep 1
done
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
	for _, want := range []string{"is-active: active", "User=hello", "SubState=running", "Type=notify", "healthz: ok"} {
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
