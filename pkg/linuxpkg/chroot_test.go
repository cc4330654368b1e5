package linuxpkg

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/debroot"
)

// TestDebInstallsInChroot installs the deb with the real dpkg into a
// debootstrap root, where the maintainer scripts run chrooted and systemd is
// not running: the user and files must appear, removal must keep the
// conffile, purge must delete it. Then it boots that root with systemd as
// PID 1 (systemd-nspawn, private network) and installs the deb again: the
// package must start the service under its hardened unit, running as its
// user, answering /healthz.
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
	log, bootErr, bootOut := root.Boot(`dpkg -i /opt/hello.deb
for i in $(seq 1 30); do systemctl is-active --quiet hello && break; sleep 1; done
echo "is-active: $(systemctl is-active hello)"
systemctl show hello -p User -p SubState -p Type
for i in $(seq 1 10); do
	if exec 3<>/dev/tcp/127.0.0.1/8080; then printf 'GET /healthz HTTP/1.0\r\n\r\n' >&3; echo "healthz: $(tail -n1 <&3)"; break; fi 2>/dev/null
	sleep 1
done
journalctl -u hello --no-pager | tail -20`, 4*time.Minute)
	for _, want := range []string{"is-active: active", "User=hello", "SubState=running", "Type=notify", "healthz: ok"} {
		if !strings.Contains(log, want) {
			t.Errorf("booted system: %q missing; nspawn: %v\n%s\ncheck log:\n%s", want, bootErr, bootOut, log)
			break
		}
	}
}
