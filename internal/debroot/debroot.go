// Package debroot gives tests a Debian root made by debootstrap (the host's
// own release, minbase with systemd) in which the real dpkg installs
// packages (ca-certificates included, as on most systems), and boots it with systemd as PID 1 (systemd-nspawn, private
// network) to see a packaged service start as the package manager starts
// it.
//
// Tests that use it skip without root privileges, and skip (or fail under
// SVCPACK_REQUIRE_TOOLS=1, see internal/testtool) without debootstrap or
// systemd-nspawn. Debootstrapping takes about a minute, once per machine
// (the root is kept in the system's temporary directory and copied for each
// test); a test boots its copy once with every check it needs.
package debroot

import (
	"bufio"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/testtool"
)

// Root is a debootstrapped Debian root in a test's temporary directory.
type Root struct {
	// Dir is the root's directory on the host.
	Dir    string
	t      testing.TB
	chroot string
	nspawn string
}

// New gives the test a fresh Debian root (skipped under -short): a copy of
// one debootstrap made once per machine and kept in the system's temporary
// directory (made under another name and renamed when complete, so a killed
// run leaves no half root to reuse).
func New(t testing.TB) *Root {
	t.Helper()
	if testing.Short() {
		t.Skip("debootstraps a root (about a minute)")
	}
	if os.Geteuid() != 0 {
		testtool.Missing(t, "root privileges (debootstrap and chroot)")
	}
	debootstrap := testtool.Need(t, "debootstrap", "debootstrap")
	r := &Root{
		Dir: filepath.Join(t.TempDir(), "root"), t: t,
		chroot: testtool.Need(t, "chroot", "coreutils"),
		nspawn: testtool.Need(t, "systemd-nspawn", "systemd-container"),
	}
	const include = "systemd,systemd-sysv,dbus,ca-certificates"
	codename := hostCodename(t)
	cached := filepath.Join(os.TempDir(), "svcpack-debroot-"+codename+"-"+strings.ReplaceAll(include, ",", "+"))
	if _, err := os.Stat(filepath.Join(cached, "usr/bin/dpkg")); err != nil {
		tmp, err := os.MkdirTemp(os.TempDir(), "svcpack-debroot-partial-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(tmp)
		if out, err := exec.Command(debootstrap, "--variant=minbase", "--include="+include, codename, filepath.Join(tmp, "root")).CombinedOutput(); err != nil {
			t.Fatalf("debootstrap: %v\n%s", err, Tail(out, 15))
		}
		if err := os.Rename(filepath.Join(tmp, "root"), cached); err != nil && !errors.Is(err, fs.ErrExist) {
			if _, statErr := os.Stat(filepath.Join(cached, "usr/bin/dpkg")); statErr != nil {
				t.Fatalf("keeping the root: %v", err)
			} // another test made it meanwhile
		}
	}
	if out, err := exec.Command("cp", "-a", cached, r.Dir).CombinedOutput(); err != nil {
		t.Fatalf("copying the root: %v\n%s", err, out)
	}
	return r
}

// hostCodename is the running distribution's release (bookworm, noble),
// which debootstrap knows how to fetch from the distribution's own mirror.
func hostCodename(t testing.TB) string {
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

// Put copies the host file src into the root at dst (an absolute path
// inside the root).
func (r *Root) Put(src, dst string) {
	r.t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		r.t.Fatal(err)
	}
	r.Write(dst, data, 0o644)
}

// Write writes a file into the root at dst.
func (r *Root) Write(dst string, data []byte, mode os.FileMode) {
	r.t.Helper()
	p := r.Path(dst)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(p, data, mode); err != nil {
		r.t.Fatal(err)
	}
}

// Path is the host path of a path inside the root.
func (r *Root) Path(p string) string { return filepath.Join(r.Dir, filepath.FromSlash(p)) }

// Run runs a command chrooted into the root (systemd is not running there)
// and returns its combined output.
func (r *Root) Run(args ...string) (string, error) {
	out, err := exec.Command(r.chroot, append([]string{r.Dir}, args...)...).CombinedOutput()
	return string(out), err
}

// MustRun is Run that fails the test on error.
func (r *Root) MustRun(args ...string) string {
	r.t.Helper()
	out, err := r.Run(args...)
	if err != nil {
		r.t.Fatalf("chroot %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// Boot boots the root with systemd as PID 1 (private network, so services
// answer only on the container's loopback), runs script (bash, as root)
// from a one-shot unit once the system is up, and powers off. It returns
// what the script printed (stdout and stderr), and nspawn's error and the
// end of its output for messages. /tmp is a fresh tmpfs in the booted
// system: files the script needs go elsewhere (/opt).
func (r *Root) Boot(script string, timeout time.Duration) (log string, bootErr error, bootOut string) {
	r.t.Helper()
	return r.boot(script, timeout, "--private-network")
}

// BootHostNetwork is Boot on the host's network: the script reaches
// servers the test runs on the host's loopback (a package repository), and
// the services it starts listen there too (use ports no other test uses).
func (r *Root) BootHostNetwork(script string, timeout time.Duration) (log string, bootErr error, bootOut string) {
	r.t.Helper()
	return r.boot(script, timeout)
}

func (r *Root) boot(script string, timeout time.Duration, flags ...string) (log string, bootErr error, bootOut string) {
	r.t.Helper()
	r.Write("/usr/local/bin/svcpack-check", []byte("#!/bin/bash\nexec > /svcpack-check.log 2>&1\n"+script+"\nsystemctl poweroff\n"), 0o755)
	r.Write("/etc/systemd/system/svcpack-check.service",
		[]byte("[Unit]\nDescription=svcpack package check\n[Service]\nType=oneshot\nExecStart=/usr/local/bin/svcpack-check\n[Install]\nWantedBy=multi-user.target\n"), 0o644)
	wants := r.Path("/etc/systemd/system/multi-user.target.wants")
	os.MkdirAll(wants, 0o755)
	os.Remove(filepath.Join(wants, "svcpack-check.service"))
	if err := os.Symlink("/etc/systemd/system/svcpack-check.service", filepath.Join(wants, "svcpack-check.service")); err != nil {
		r.t.Fatal(err)
	}
	os.Remove(r.Path("/svcpack-check.log"))
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	args := append([]string{"-q", "--register=no", "--keep-unit"}, flags...)
	boot := exec.CommandContext(ctx, r.nspawn, append(args, "-D", r.Dir, "--boot")...)
	out, err := boot.CombinedOutput()
	b, _ := os.ReadFile(r.Path("/svcpack-check.log"))
	return string(b), err, Tail(out, 15)
}

// Tail is the last n lines of b.
func Tail(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
