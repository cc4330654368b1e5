package installsh_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp/armor"

	"github.com/svcpack/svcpack/internal/debroot"
	"github.com/svcpack/svcpack/internal/testtool"
	"github.com/svcpack/svcpack/pkg/aptrepo"
	"github.com/svcpack/svcpack/pkg/installsh"
	"github.com/svcpack/svcpack/pkg/pgpsign"
)

// makeDeb builds the deb of a package "hello" whose /usr/bin/hello prints
// its version, with dpkg-deb, and returns its path.
func makeDeb(t *testing.T, version, arch string) string {
	t.Helper()
	dpkgDeb := testtool.Need(t, "dpkg-deb", "dpkg")
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	control := fmt.Sprintf("Package: hello\nVersion: %s\nArchitecture: %s\nMaintainer: Acme <ops@example.com>\n"+
		"Description: says hello\n", version, arch)
	for name, file := range map[string]struct {
		data string
		mode os.FileMode
	}{
		"DEBIAN/control": {control, 0o644},
		"usr/bin/hello":  {"#!/bin/sh\necho hello " + version + "\n", 0o755},
	} {
		p := filepath.Join(tree, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(file.data), file.mode); err != nil {
			t.Fatal(err)
		}
	}
	deb := filepath.Join(dir, "hello_"+version+"_"+arch+".deb")
	if out, err := exec.Command(dpkgDeb, "--root-owner-group", "--build", tree, deb).CombinedOutput(); err != nil {
		t.Fatalf("dpkg-deb: %v\n%s", err, out)
	}
	return deb
}

// aptRepository builds and serves a signed apt repository of the debs.
func aptRepository(t *testing.T, r aptrepo.Repository, signer *pgpsign.Signer, debs ...string) *httptest.Server {
	t.Helper()
	r.Date = date
	files, err := r.Build(debs, signer)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := aptrepo.WriteDir(dir, files); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)
	return srv
}

// offline makes the root see no repository but those the test adds.
func offline(root *debroot.Root) {
	os.Remove(root.Path("/etc/apt/sources.list"))
	os.RemoveAll(root.Path("/etc/apt/sources.list.d"))
}

// readRoot is a file of the root, and its mode.
func readRoot(t *testing.T, root *debroot.Root, p string) (string, os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(root.Path(p))
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(root.Path(p))
	return string(b), st.Mode()
}

// TestAptInstallsAndPins pipes install.sh into sh in a Debian root that has
// a "distribution" repository (its own key and origin) holding hello
// 2.0.0: the script's repository, served over HTTP, has hello 1.0.0, and
// the script installs that one, writes the key, .sources and preferences
// files, and apt-get update is clean; apt-get upgrade and install keep
// 1.0.0, apt-cache policy shows the pin's 990 winning, and without the
// preferences file the distribution's 2.0.0 would be the candidate. A
// script embedding another key is refused by apt before anything is
// installed.
func TestAptInstallsAndPins(t *testing.T) {
	root := debroot.New(t)
	arch := strings.TrimSpace(root.MustRun("dpkg", "--print-architecture"))
	_, ours, fpr := newKey(t)
	_, distro, _ := newKey(t)
	_, stranger, strangerFpr := newKey(t)
	repo := aptRepository(t, aptrepo.Repository{Origin: "acme", KeyName: "acme-hello"}, ours, makeDeb(t, "1.0.0", arch))
	dist := aptRepository(t, aptrepo.Repository{Origin: "Debian", Suite: "bookworm", KeyName: "distro"}, distro,
		makeDeb(t, "2.0.0", arch))
	offline(root)
	root.Write("/etc/apt/keyrings/distro.gpg", publicKey(t, distro), 0o644)
	root.Write("/etc/apt/sources.list.d/distro.sources", []byte("Types: deb\nURIs: "+dist.URL+"\nSuites: bookworm\n"+
		"Components: main\nSigned-By: /etc/apt/keyrings/distro.gpg\n"), 0o644)

	s := installsh.Script{Name: "hello", Version: "1.0.0", KeyName: "acme-hello", Key: publicKey(t, stranger),
		Fingerprint: strangerFpr, Apt: &installsh.Apt{URL: repo.URL, Origin: "acme", Architectures: []string{arch}}}
	root.Write("/install.sh", render(t, s), 0o644)
	if out, err := root.Run("sh", "/install.sh"); err == nil || !strings.Contains(out, "apt-get update failed") {
		t.Errorf("install.sh with another key: %v\n%s", err, out)
	}
	if out, err := root.Run("dpkg-query", "-W", "hello"); err == nil {
		t.Fatalf("install.sh with another key installed %s", out)
	}

	s.Key, s.Fingerprint = publicKey(t, ours), fpr
	root.Write("/install.sh", render(t, s), 0o644)
	out := root.MustRun("sh", "-c", "cat /install.sh | sh") // as curl -fsSL .../install.sh | sudo sh
	// A chroot has no /dev/pts for dpkg's terminal log: apt's one error
	// there, after the download, is the chroot's.
	if regexp.MustCompile(`(?m)^[WE]: `).MatchString(strings.Replace(out,
		"E: Can not write log (Is /dev/pts mounted?) - posix_openpt (19: No such device)\n", "", 1)) {
		t.Errorf("apt-get warned or failed:\n%s", out)
	}
	for _, want := range []string{"hello 1.0.0 is installed from " + repo.URL, "apt-get update && apt-get upgrade",
		"systemctl status hello", "journalctl -u hello", "apt-get remove hello", "apt-get purge hello",
		"rm /etc/apt/sources.list.d/acme-hello.sources /etc/apt/preferences.d/acme-hello " +
			"/etc/apt/keyrings/acme-hello.gpg"} {
		if !strings.Contains(out, want) {
			t.Errorf("install.sh does not say %q:\n%s", want, out)
		}
	}
	checkAptFiles(t, root, publicKey(t, ours), repo.URL, arch)
	installed := func(when string) {
		t.Helper()
		if got := root.MustRun("hello"); got != "hello 1.0.0\n" {
			t.Errorf("%s: hello says %q, want hello 1.0.0 (ours, not the distribution's 2.0.0)", when, got)
		}
	}
	installed("installed")
	policy := root.MustRun("apt-cache", "policy", "hello")
	// The pin is the version's priority, beside it; the repository's own
	// stays 500.
	ours990 := regexp.MustCompile(`(?m)^ \*\*\* 1\.0\.0 990\n +500 ` + regexp.QuoteMeta(repo.URL) + ` stable/main`)
	if !strings.Contains(policy, "Candidate: 1.0.0") || !ours990.MatchString(policy) {
		t.Errorf("apt-cache policy hello: want our 1.0.0 at 990 as the candidate:\n%s", policy)
	}
	root.MustRun("apt-get", "upgrade", "-y")
	installed("after apt-get upgrade")
	root.MustRun("apt-get", "install", "-y", "hello")
	installed("after apt-get install hello")
	root.MustRun("sh", "/install.sh")
	installed("after install.sh again")

	os.Remove(root.Path("/etc/apt/preferences.d/acme-hello"))
	if policy := root.MustRun("apt-cache", "policy", "hello"); !strings.Contains(policy, "Candidate: 2.0.0") {
		t.Errorf("without the pin, apt-cache policy hello does not prefer the distribution's 2.0.0:\n%s", policy)
	}
}

// checkAptFiles checks what install.sh wrote for apt.
func checkAptFiles(t *testing.T, root *debroot.Root, key []byte, url, arch string) {
	t.Helper()
	for _, f := range []struct{ path, want string }{
		{"/etc/apt/keyrings/acme-hello.gpg", string(key)},
		{"/etc/apt/sources.list.d/acme-hello.sources", "Types: deb\nURIs: " + url + "\nSuites: stable\n" +
			"Components: main\nArchitectures: " + arch + "\nSigned-By: /etc/apt/keyrings/acme-hello.gpg\n"},
		{"/etc/apt/preferences.d/acme-hello", "Package: hello\nPin: release o=acme\nPin-Priority: 990\n"},
	} {
		got, mode := readRoot(t, root, f.path)
		if got != f.want || mode != 0o644 {
			t.Errorf("%s (mode %v):\n%q\nwant (mode 0644):\n%q", f.path, mode, got, f.want)
		}
	}
	if st, err := os.Stat(root.Path("/etc/apt/keyrings")); err != nil || st.Mode().Perm() != 0o755 {
		t.Errorf("/etc/apt/keyrings: %v %v, want mode 0755", st.Mode(), err)
	}
}

// TestTarballInDebianRoot runs install.sh --tarball in a Debian root, which
// has neither curl nor wget (apt-helper downloads) but has gpgv, from a
// release in a folder whose name is shell code: a tarball whose SHA-256 is
// not checksums.txt's, or whose unit names a user that does not exist,
// installs nothing; the right one installs the program and its unit
// (systemd is not running in a chroot, so it is not started); without gpgv
// the script says that the signature was not checked.
func TestTarballInDebianRoot(t *testing.T) {
	root := debroot.New(t)
	for _, p := range []string{"/usr/bin/curl", "/usr/bin/wget"} {
		if _, err := os.Stat(root.Path(p)); err == nil {
			t.Fatalf("the root has %s: apt-helper would not be the downloader under test", p)
		}
	}
	_, signer, fpr := newKey(t)
	r := serve(t)
	file := "hello_1.0.0_linux_" + runtime.GOARCH + ".tar.gz"
	unit := "[Unit]\nDescription=hello\n[Service]\nExecStart=/usr/local/bin/hello\nDynamicUser=yes\n" +
		"[Install]\nWantedBy=multi-user.target\n"
	files := map[string]string{"hello": "#!/bin/sh\necho hello from the tarball\n", "hello.service": unit,
		"README.txt": "hello\n", "config.yaml": "greeting: Hello\n", "rules.json": "{}\n"}
	tb := installsh.Tarball{OS: "linux", Arch: runtime.GOARCH, URL: r.url(hostileDir + file), File: file,
		Binary: "hello", Unit: "hello.service", BinPath: "/usr/local/bin/hello", Files: []installsh.TarballFile{
			{Src: "config.yaml", Dst: "/etc/hello/config.yaml", Config: true},
			{Src: "rules.json", Dst: "/etc/hello/rules.json"}}}
	s := installsh.Script{Name: "hello", Version: "1.0.0", Key: publicKey(t, signer), Fingerprint: fpr,
		Apt:      &installsh.Apt{URL: "http://127.0.0.1:1/apt", Origin: "acme"},
		Tarballs: []installsh.Tarball{tb}, ChecksumsURL: r.url(hostileDir + "checksums.txt"),
		SignatureURL: r.url(hostileDir + "checksums.txt.asc")}
	root.Write("/install.sh", render(t, s), 0o644)
	nothingInstalled := func(name string) {
		t.Helper()
		for _, p := range []string{"/usr/local/bin/hello", "/etc/systemd/system/hello.service"} {
			if _, err := os.Stat(root.Path(p)); err == nil {
				t.Errorf("%s: %s was installed", name, p)
			}
		}
	}

	r.publish(t, hostileDir, file, tarGz(t, files), strings.Repeat("0", 64), signer)
	out, err := root.Run("sh", "/install.sh", "--tarball")
	if err == nil || !strings.Contains(out, "checksums.txt says "+strings.Repeat("0", 64)) {
		t.Errorf("a tarball of another SHA-256: %v\n%s", err, out)
	}
	nothingInstalled("wrong SHA-256")

	withUser := map[string]string{"hello": files["hello"], "hello.service": strings.Replace(unit, "DynamicUser=yes",
		"User=hello-svc", 1), "config.yaml": files["config.yaml"], "rules.json": files["rules.json"]}
	r.publish(t, hostileDir, file, tarGz(t, withUser), "", signer)
	out, err = root.Run("sh", "/install.sh", "--tarball")
	if err == nil || !strings.Contains(out, "the service runs as the user hello-svc, which does not exist") {
		t.Errorf("a unit of a missing user: %v\n%s", err, out)
	}
	nothingInstalled("missing user")

	tarball := tarGz(t, files)
	r.publish(t, hostileDir, file, tarball, "", signer)
	out = root.MustRun("sh", "/install.sh", "--tarball")
	for _, want := range []string{"checksums.txt: good signature by " + fpr, file + ": SHA-256 ",
		"hello 1.0.0 is installed; systemd is not running, so it was not started",
		"rm /etc/systemd/system/hello.service /usr/local/bin/hello"} {
		if !strings.Contains(out, want) {
			t.Errorf("install.sh --tarball does not say %q:\n%s", want, out)
		}
	}
	if got := root.MustRun("hello"); got != "hello from the tarball\n" {
		t.Errorf("hello says %q", got)
	}
	modes := map[string]os.FileMode{"/usr/local/bin/hello": 0o755, "/etc/systemd/system/hello.service": 0o644}
	for p, want := range modes {
		if _, mode := readRoot(t, root, p); mode != want {
			t.Errorf("%s: mode %v, want %v", p, mode, want)
		}
	}
	if got, _ := readRoot(t, root, "/etc/systemd/system/hello.service"); got != unit {
		t.Errorf("the unit is %q", got)
	}
	// The shipped files are where the packages put them; run again, an
	// edited configuration file is kept and the other file replaced.
	for p, want := range map[string]string{"/etc/hello/config.yaml": "greeting: Hello\n", "/etc/hello/rules.json": "{}\n"} {
		if got, mode := readRoot(t, root, p); got != want || mode != 0o644 {
			t.Errorf("%s: %q (mode %v), want %q", p, got, mode, want)
		}
	}
	root.Write("/etc/hello/config.yaml", []byte("greeting: Howdy\n"), 0o644)
	root.Write("/etc/hello/rules.json", []byte("stale\n"), 0o644)
	out = root.MustRun("sh", "/install.sh", "--tarball")
	if got, _ := readRoot(t, root, "/etc/hello/config.yaml"); got != "greeting: Howdy\n" ||
		!strings.Contains(out, "/etc/hello/config.yaml: kept as it is") {
		t.Errorf("the edited configuration file is %q:\n%s", got, out)
	}
	if got, _ := readRoot(t, root, "/etc/hello/rules.json"); got != "{}\n" {
		t.Errorf("rules.json is %q after a second run", got)
	}
	// A tarball without a file the script ships installs nothing.
	missing := map[string]string{"hello": files["hello"], "hello.service": unit, "config.yaml": files["config.yaml"]}
	root.MustRun("rm", "-f", "/usr/local/bin/hello", "/etc/systemd/system/hello.service")
	r.publish(t, hostileDir, file, tarGz(t, missing), "", signer)
	if out, err := root.Run("sh", "/install.sh", "--tarball"); err == nil || !strings.Contains(out, "has no rules.json") {
		t.Errorf("a tarball without rules.json: %v\n%s", err, out)
	}
	nothingInstalled("a file missing")
	r.publish(t, hostileDir, file, tarball, "", signer)

	os.Remove(root.Path("/usr/bin/gpgv"))
	out = root.MustRun("sh", "/install.sh", "--tarball")
	if !strings.Contains(out, "the signature of checksums.txt was NOT checked") {
		t.Errorf("without gpgv, install.sh does not say that it did not check the signature:\n%s", out)
	}
}

// TestSystemDetection runs install.sh in a Debian root dressed as other
// systems (/etc/os-release, stub package managers that log their
// arguments): the Debian family takes the apt path, the Fedora/RHEL family
// the dnf (or yum) path, which writes the key and .repo file and imports
// the key into rpm, and the rest the tarball.
func TestSystemDetection(t *testing.T) {
	root := debroot.New(t)
	_, signer, fpr := newKey(t)
	key := publicKey(t, signer)
	// The tarball path fails on a 404, at once (apt-helper retries a
	// refused connection for seconds).
	none := serve(t).url("")
	full := installsh.Script{Name: "hello", Version: "1.0.0", KeyName: "acme-hello", Key: key, Fingerprint: fpr,
		Apt: &installsh.Apt{URL: "http://127.0.0.1:1/apt", Origin: "acme"},
		Dnf: &installsh.Dnf{URL: "http://127.0.0.1:1/rpm/", Priority: 5},
		Tarballs: []installsh.Tarball{{OS: "linux", Arch: runtime.GOARCH, URL: none + "/hello.tar.gz",
			File: "hello.tar.gz", Binary: "hello", Unit: "hello.service", BinPath: "/usr/bin/hello"}},
		ChecksumsURL: none + "/checksums.txt", SignatureURL: none + "/checksums.txt.asc"}
	noApt, noDnf, s390x := full, full, full
	noApt.Apt, noDnf.Dnf = nil, nil
	s390x.Apt = &installsh.Apt{URL: "http://127.0.0.1:1/apt", Origin: "acme", Architectures: []string{"s390x"}}
	const (
		apt = "installing hello 1.0.0 with apt from http://127.0.0.1:1/apt"
		dnf = "installing hello 1.0.0 with dnf from http://127.0.0.1:1/rpm/"
		yum = "installing hello 1.0.0 with yum from http://127.0.0.1:1/rpm/"
	)
	tarball := "installing hello 1.0.0 for linux/" + runtime.GOARCH + " from " + none + "/hello.tar.gz"
	for _, tc := range []struct {
		name, osRelease string
		stubs           []string
		script          installsh.Script
		args            []string
		want, log       string
	}{
		{"debian", "ID=debian\n", []string{"apt-get"}, full, nil, apt,
			"apt-get update\napt-get install -y -- hello\n"},
		{"ubuntu", "NAME=\"Ubuntu\"\nID=ubuntu\nID_LIKE=debian\n", []string{"apt-get"}, full, nil, apt, ""},
		{"linux mint", "ID=linuxmint\nID_LIKE=\"ubuntu debian\"\n", []string{"apt-get"}, full, nil, apt, ""},
		{"debian, --tarball", "ID=debian\n", []string{"apt-get"}, full, []string{"--tarball"}, tarball, ""},
		{"debian without apt", "ID=debian\n", []string{"apt-get"}, noApt, nil, tarball, ""},
		{"debian of another architecture", "ID=debian\n", []string{"apt-get"}, s390x, nil, tarball, ""},
		{"fedora", "ID=fedora\n", []string{"dnf", "rpm"}, full, nil, dnf,
			"rpm --import -- /etc/pki/rpm-gpg/RPM-GPG-KEY-acme-hello\ndnf install -y -- hello\n"},
		{"rocky", "ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n", []string{"dnf", "rpm"}, full, nil, dnf, ""},
		{"almalinux", "ID='almalinux'\nID_LIKE='rhel centos fedora'\n", []string{"dnf", "rpm"}, full, nil, dnf, ""},
		{"amazon linux 2, yum", "ID=\"amzn\"\nID_LIKE=\"centos rhel fedora\"\n", []string{"yum", "rpm"}, full, nil, yum,
			"rpm --import -- /etc/pki/rpm-gpg/RPM-GPG-KEY-acme-hello\nyum install -y -- hello\n"},
		{"fedora without dnf", "ID=fedora\n", nil, full, nil, tarball, ""},
		{"fedora without a dnf repository", "ID=fedora\n", []string{"dnf", "rpm"}, noDnf, nil, tarball, ""},
		{"opensuse", "ID=\"opensuse-leap\"\nID_LIKE=\"suse opensuse\"\n", []string{"apt-get", "dnf"}, full, nil,
			tarball, ""},
		{"arch", "ID=arch\n", nil, full, nil, tarball, ""},
		{"no os-release", "", []string{"apt-get", "dnf"}, full, nil, tarball, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os.Remove(root.Path("/etc/os-release"))
			os.Remove(root.Path("/usr/lib/os-release"))
			if tc.osRelease != "" {
				root.Write("/etc/os-release", []byte(tc.osRelease), 0o644)
			}
			os.RemoveAll(root.Path("/stubs"))
			for _, name := range append(tc.stubs, "dpkg-query") {
				root.Write("/stubs/"+name, []byte("#!/bin/sh\necho \"${0##*/} $*\" >>/stubs/log\necho 1.0.0\n"), 0o755)
			}
			// apt-get and dpkg-query are the root's own, behind the stubs
			// on PATH; dnf, yum and rpm are only stubs.
			root.Write("/install.sh", render(t, tc.script), 0o644)
			out, err := root.Run(append([]string{"env", "PATH=/stubs:/usr/sbin:/usr/bin:/sbin:/bin", "sh",
				"/install.sh"}, tc.args...)...)
			if !strings.Contains(out, tc.want) {
				t.Errorf("install.sh (exit %v) does not say %q:\n%s", err, tc.want, out)
			}
			if tc.want == tarball && err == nil {
				t.Errorf("install.sh installed from an unreachable tarball:\n%s", out)
			}
			if tc.log != "" {
				if log, _ := os.ReadFile(root.Path("/stubs/log")); !strings.HasPrefix(string(log), tc.log) {
					t.Errorf("the package managers ran:\n%s\nwant:\n%s", log, tc.log)
				}
			}
			if tc.name == "fedora" {
				checkDnfFiles(t, root, key)
			}
		})
	}
}

// checkDnfFiles checks what install.sh wrote for dnf: the .repo file and
// the armored key, which is the binary key given.
func checkDnfFiles(t *testing.T, root *debroot.Root, key []byte) {
	t.Helper()
	repo, mode := readRoot(t, root, "/etc/yum.repos.d/acme-hello.repo")
	want := "[acme-hello]\nname=hello\nbaseurl=http://127.0.0.1:1/rpm/\nenabled=1\ngpgcheck=1\nrepo_gpgcheck=1\n" +
		"gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-acme-hello\npriority=5\n"
	if repo != want || mode != 0o644 {
		t.Errorf("acme-hello.repo (mode %v):\n%s\nwant (mode 0644):\n%s", mode, repo, want)
	}
	asc, _ := readRoot(t, root, "/etc/pki/rpm-gpg/RPM-GPG-KEY-acme-hello")
	block, err := armor.Decode(strings.NewReader(asc))
	if err != nil {
		t.Fatalf("RPM-GPG-KEY-acme-hello: %v\n%s", err, asc)
	}
	if b, _ := io.ReadAll(block.Body); block.Type != "PGP PUBLIC KEY BLOCK" || !bytes.Equal(b, key) {
		t.Errorf("RPM-GPG-KEY-acme-hello is a %s of other bytes than the key", block.Type)
	}
}
