package linuxpkg

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

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
// conffile, purge must delete it.
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
	if out, err := exec.Command(debootstrap, "--variant=minbase", hostCodename(t), root).CombinedOutput(); err != nil {
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
}

func tail(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-15):], "\n")
}
