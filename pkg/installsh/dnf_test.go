package installsh_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/internal/testgpg"
	"github.com/svcpack/svcpack/internal/testtool"
	"github.com/svcpack/svcpack/pkg/installsh"
	"github.com/svcpack/svcpack/pkg/rpmrepo"
)

// makeRPM builds a noarch rpm "hello" whose /usr/bin/hello prints its
// version, with rpmbuild (no dependencies: the host's rpm database is
// empty), signs it with rpmsign and the key, and returns its path.
func makeRPM(t *testing.T, k *testgpg.Key, fpr, version string) string {
	t.Helper()
	rpmbuild := testtool.Need(t, "rpmbuild", "rpm")
	rpmsign := testtool.Need(t, "rpmsign", "rpm")
	top := t.TempDir()
	spec := filepath.Join(top, "hello.spec")
	os.WriteFile(spec, []byte("Name: hello\nVersion: "+version+"\nRelease: 1\nSummary: says hello\nLicense: MIT\n"+
		"BuildArch: noarch\nAutoReqProv: no\n%description\nsays hello\n%install\nmkdir -p %{buildroot}/usr/bin\n"+
		"printf '#!/bin/sh\\necho hello "+version+"\\n' >%{buildroot}/usr/bin/hello\n"+
		"chmod 0755 %{buildroot}/usr/bin/hello\n%files\n/usr/bin/hello\n"), 0o644)
	if out, err := exec.Command(rpmbuild, "--define", "_topdir "+top, "-bb", spec).CombinedOutput(); err != nil {
		t.Fatalf("rpmbuild: %v\n%s", err, out)
	}
	rpm := filepath.Join(top, "RPMS", "noarch", "hello-"+version+"-1.noarch.rpm")
	gpg := testtool.Need(t, "gpg", "gpg")
	if out, err := exec.Command(rpmsign, "--define", "_gpg_name "+fpr, "--define", "_gpg_path "+k.Home, "--define", "__gpg "+gpg,
		"--addsign", rpm).CombinedOutput(); err != nil {
		t.Fatalf("rpmsign: %v\n%s", err, out)
	}
	return rpm
}

// needOverlay skips the test (under -short, or without root or unshare)
// unless inOverlay can run, and returns unshare's path.
func needOverlay(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs dnf in an overlay of the host")
	}
	if os.Geteuid() != 0 {
		testtool.Missing(t, "root privileges (a mount namespace with an overlay of /)")
	}
	return testtool.Need(t, "unshare", "util-linux")
}

// inOverlay runs the shell commands as root in a private mount and PID
// namespace, chrooted into an overlay of the host's / whose writes go to
// a tmpfs: the host's own dnf and rpm run there, and nothing is left of it
// (every process of the namespace ends with it). work is a host folder
// that the commands see at its path.
func inOverlay(unshare, work, commands string) (string, error) {
	setup := `set -eu
mnt=$1/mnt
mkdir -p "$mnt"
mount -t tmpfs tmpfs "$mnt"
mkdir "$mnt/upper" "$mnt/work" "$mnt/root"
mount -t overlay overlay -o "lowerdir=/,upperdir=$mnt/upper,workdir=$mnt/work" "$mnt/root"
mount --rbind /proc "$mnt/root/proc"
mount --rbind /dev "$mnt/root/dev"
exec chroot "$mnt/root" sh -c "$2"
`
	out, err := exec.Command(unshare, "--mount", "--propagation", "private", "--pid", "--fork", "--mount-proc",
		"sh", "-c", setup, "sh", work, commands).CombinedOutput()
	return string(out), err
}

// TestDnfInstalls runs install.sh's dnf path with the host's real rpm and
// dnf (in an overlay of the host, dressed as Fedora) against a repository
// served over HTTP: pkg/rpmrepo's metadata, signed (repo_gpgcheck), over an
// rpm signed by the key (gpgcheck). The script imports the embedded key and
// dnf installs the package; a script embedding another key installs
// nothing.
func TestDnfInstalls(t *testing.T) {
	unshare := needOverlay(t)
	testtool.Need(t, "dnf", "dnf")
	k, signer, fpr := newKey(t)
	_, stranger, strangerFpr := newKey(t)
	srv := rpmRepository(t, signer, makeRPM(t, k, fpr, "1.0.0"))

	work := t.TempDir()
	s := installsh.Script{Name: "hello", Version: "1.0.0", KeyName: "acme-hello", Key: publicKey(t, stranger),
		Fingerprint: strangerFpr, Dnf: &installsh.Dnf{URL: srv.URL + "/", Priority: 10}}
	os.WriteFile(filepath.Join(work, "stranger.sh"), render(t, s), 0o644)
	s.Key, s.Fingerprint = publicKey(t, signer), fpr
	os.WriteFile(filepath.Join(work, "install.sh"), render(t, s), 0o644)
	os.WriteFile(filepath.Join(work, "os-release"), []byte("ID=fedora\nVERSION_ID=40\n"), 0o644)
	// Fedora as far as install.sh can tell, with no repository but the
	// script's (and without the plugin of Debian's dnf that adds one).
	out, err := inOverlay(unshare, work, `set -u
w=`+work+`
rm -f /etc/os-release /etc/dnf/plugins/local.conf
cp "$w/os-release" /etc/os-release
rm -rf /etc/yum.repos.d
echo "== stranger"; sh "$w/stranger.sh"; echo "== exit $?"
echo "== stranger's rpm -q"; rpm -q hello
echo "== install.sh"; sh "$w/install.sh"; echo "== exit $?"
echo "== rpm -q"; rpm -q hello
echo "== hello"; hello
echo "== rpm keys"; rpm -q gpg-pubkey --qf '%{VERSION}\n'
`)
	sections := map[string]string{}
	name := ""
	for line := range strings.Lines(out) {
		if n, ok := strings.CutPrefix(line, "== "); ok {
			name = strings.TrimSpace(n)
			continue
		}
		sections[name] += line
	}
	keyID := strings.ToLower(fpr[32:])
	for _, c := range []struct{ section, want string }{
		{"stranger", "install.sh: dnf could not install hello"},
		{"stranger's rpm -q", "package hello is not installed"},
		{"install.sh", "Installed:\n  hello-1.0.0-1.noarch"},
		{"install.sh", "rpm -e gpg-pubkey-" + keyID + "\n"},
		{"rpm -q", "hello-1.0.0-1.noarch\n"},
		{"hello", "hello 1.0.0\n"},
		{"rpm keys", keyID + "\n"},
	} {
		if got, ok := sections[c.section]; !ok || !strings.Contains(got, c.want) {
			t.Errorf("%s: want %q in:\n%s", c.section, c.want, got)
		}
	}
	if !strings.Contains(out, "== exit 1\n== stranger's") || !strings.Contains(out, "== exit 0\n== rpm -q") {
		t.Errorf("want the stranger's script to fail and ours to pass")
	}
	if t.Failed() {
		t.Logf("in the overlay: %v\n%s", err, out)
	}
}

// rpmRepository serves a dnf repository of the rpms, signed by signer.
func rpmRepository(t *testing.T, signer rpmrepo.Signer, rpms ...string) *httptest.Server {
	t.Helper()
	var list []rpmrepo.RPM
	dir := t.TempDir()
	for _, rpm := range rpms {
		href := "packages/" + filepath.Base(rpm)
		list = append(list, rpmrepo.RPM{File: rpm, Href: href})
		data, err := os.ReadFile(rpm)
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Join(dir, "packages"), 0o755)
		os.WriteFile(filepath.Join(dir, filepath.FromSlash(href)), data, 0o644)
	}
	files, err := rpmrepo.Metadata(list, rpmrepo.Options{Date: date, Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "repodata"), 0o755)
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(f.Path)), f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)
	return srv
}
