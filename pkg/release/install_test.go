package release

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/svcpack/svcpack/internal/debroot"
	"github.com/svcpack/svcpack/internal/testgpg"
	"github.com/svcpack/svcpack/internal/testtool"
	"github.com/svcpack/svcpack/pkg/packager"
)

// shipYAML releases the example as README's "Ship to your hosts" does:
// debs and tarballs, the apt repository grown from the served tree, and
// install.sh, all published to a pages branch. %[1]s is the key, %[2]s the
// site's URL, %[3]s the served tree's checkout, %[4]s the pages repository.
const shipYAML = `name: hello
main: ./examples/hello
vendor: Acme Corp
maintainer: Acme Ops <ops@example.com>
description: Says hello over HTTP
formats: [deb, tar.gz, apt, install.sh]
gpg: {key_file: %[1]q, sign: [checksums]}
apt: {url: "%[2]s/apt/", previous: %[3]q}
download_url: %[2]s/dl/{{.File}}
pages: {repository: %[4]q}
service:
  args: [run, -addr, "127.0.0.1:18093", -config, "{{.ConfigDir}}/config.yaml"]
files:
  - {src: examples/hello/config.yaml, dst: "{{.ConfigDir}}/config.yaml", config: true}
`

// TestShipToHosts follows README's "Ship to your hosts" in a Debian root
// with the repository served over HTTP on 127.0.0.1: release 1.0.0 and
// publish it to the pages branch, which the site serves; install.sh adds
// the repository (apt-get update verifies InRelease with the embedded key)
// and installs the service (and, with --tarball in another root, installs
// the checked tarball with its configuration file); the admin edits the
// conffile; release 1.1.0
// grows the served tree and is published. Booted with systemd, the service
// answers with the edited greeting and 1.0.0; apt-get upgrade installs
// 1.1.0, keeps the conffile and restarts the service, which answers 1.1.0.
func TestShipToHosts(t *testing.T) {
	git := testtool.Need(t, "git", "git")
	root := debroot.New(t)
	k := testgpg.New(t, "ed25519", "")
	work := t.TempDir()
	site, pages := filepath.Join(work, "site"), filepath.Join(work, "pages.git")
	testtool.Git(t, work, "init", "--quiet", "--bare", "-b", "gh-pages", pages)
	if err := os.MkdirAll(site, 0o755); err != nil {
		t.Fatal(err)
	}
	served := &servedDir{}
	srv := httptest.NewServer(served)
	defer srv.Close()
	ship := func(version string) {
		t.Helper()
		yaml := fmt.Sprintf(shipYAML, k.SecretFile, srv.URL, filepath.Join(site, "apt"), pages)
		c := helloProjectEnv(t, yaml, map[string]string{"SVCPACK_VERSION": version}, "linux/amd64")
		res, err := Release(context.Background(), c, Options{})
		if err != nil {
			t.Fatalf("release %s: %v", version, err)
		}
		if _, err := Publish(context.Background(), c, PublishOptions{Dist: res.Dist}); err != nil {
			t.Fatalf("publish %s: %v", version, err)
		}
		// The host serves the pages branch, as GitHub Pages would, and the
		// release files under dl/; release.yml fetches the branch the same way.
		if err := os.RemoveAll(site); err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(site, 0o755)
		archive := exec.Command("sh", "-c", `"$0" -C "$1" archive gh-pages | tar -x -C "$2"`, git, pages, site)
		if out, err := archive.CombinedOutput(); err != nil {
			t.Fatalf("git archive: %v\n%s", err, out)
		}
		if err := os.CopyFS(filepath.Join(site, "dl"), os.DirFS(res.Dist)); err != nil {
			t.Fatal(err)
		}
		served.set(site)
	}
	ship("1.0.0")

	os.Remove(root.Path("/etc/apt/sources.list"))
	os.RemoveAll(root.Path("/etc/apt/sources.list.d"))
	root.Put(filepath.Join(site, "install.sh"), "/opt/install.sh")
	out, err := root.Run("sh", "/opt/install.sh")
	if err != nil || strings.Contains(out, "W: ") {
		t.Fatalf("install.sh: %v\n%s", err, out)
	}
	for _, want := range []string{"/etc/apt/keyrings/hello.gpg", "/etc/apt/sources.list.d/hello.sources",
		"/etc/apt/preferences.d/hello", "/usr/bin/hello"} {
		if _, err := os.Stat(root.Path(want)); err != nil {
			t.Errorf("install.sh did not make %s: %v\n%s", want, err, out)
		}
	}
	// Where no repository fits: the same script installs the tarball, its
	// signature checked by the root's gpgv, with the configuration file.
	other := debroot.New(t)
	other.Put(filepath.Join(site, "install.sh"), "/opt/install.sh")
	if out, err := other.Run("sh", "/opt/install.sh", "--tarball"); err != nil ||
		!strings.Contains(out, "checksums.txt: good signature") {
		t.Errorf("install.sh --tarball: %v\n%s", err, out)
	}
	for _, p := range []string{"/usr/bin/hello", "/etc/systemd/system/hello.service", "/etc/hello/config.yaml"} {
		if _, err := os.Stat(other.Path(p)); err != nil {
			t.Errorf("install.sh --tarball did not install %s: %v", p, err)
		}
	}

	conf := "/etc/hello/config.yaml"
	b, err := os.ReadFile(root.Path(conf))
	if err != nil {
		t.Fatal(err)
	}
	root.Write(conf, []byte(strings.Replace(string(b), "greeting: Hello", "greeting: Howdy", 1)), 0o644)

	ship("1.1.0")
	if _, err := os.Stat(filepath.Join(site, "apt/pool/main/h/hello/hello_1.0.0-1_amd64.deb")); err != nil {
		t.Errorf("the grown tree lost 1.0.0: %v", err)
	}
	get := `for i in $(seq 1 30); do (exec 3<>/dev/tcp/127.0.0.1/18093 && printf 'GET / HTTP/1.0\r\n\r\n' >&3 && ` +
		`sed '1,/^\r$/d' <&3) 2>/dev/null && break; sleep 1; done`
	script := strings.Join([]string{
		"for i in $(seq 1 30); do systemctl is-active --quiet hello && break; sleep 1; done",
		`echo "before: $(` + get + `)"`,
		`echo "pid before: $(systemctl show -p MainPID --value hello)"`,
		"apt-get update -o Acquire::Retries=0 2>&1 | tail -3",
		"DEBIAN_FRONTEND=noninteractive apt-get upgrade -y 2>&1 | tail -5",
		"sleep 1",
		"for i in $(seq 1 30); do systemctl is-active --quiet hello && break; sleep 1; done",
		`echo "after: $(` + get + `)"`,
		`echo "pid after: $(systemctl show -p MainPID --value hello)"`,
		`echo "installed: $(dpkg-query -W -f '${Version}' hello)"`,
		"apt-cache policy hello",
	}, "\n")
	log, bootErr, bootOut := root.BootHostNetwork(script, 5*time.Minute)
	for _, want := range []string{"before: Howdy from hello 1.0.0", "after: Howdy from hello 1.1.0",
		"installed: 1.1.0-1", "*** 1.1.0-1 990", "1.0.0-1 990", "500 " + srv.URL + "/apt stable/main"} {
		if !strings.Contains(log, want) {
			t.Errorf("booted system: %q missing", want)
		}
	}
	before, after := field(log, "pid before: "), field(log, "pid after: ")
	if before == "" || before == "0" || before == after {
		t.Errorf("the upgrade did not restart the service (MainPID %s, then %s)", before, after)
	}
	if t.Failed() {
		t.Logf("nspawn: %v\n%s\ncheck log:\n%s", bootErr, bootOut, log)
	}
}

// field is the rest of the first line of log that begins with prefix.
func field(log, prefix string) string {
	for _, line := range strings.Split(log, "\n") {
		if v, ok := strings.CutPrefix(line, prefix); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// TestVerifyGrownRepositories: verify releases twice over the same previous
// trees and finds every file of the grown apt and dnf trees and install.sh
// byte-identical; the trees it compared hold the previous release's
// packages.
func TestVerifyGrownRepositories(t *testing.T) {
	k := testgpg.New(t, "rsa2048", "")
	site := t.TempDir()
	yaml := fmt.Sprintf(`name: hello
main: ./examples/hello
vendor: Acme Corp
maintainer: Acme Ops <ops@example.com>
formats: [deb, rpm, tar.gz, apt, dnf, install.sh]
gpg: {key_file: %[1]q, sign: [rpm, checksums]}
apt: {url: https://pkgs.example.com/apt/, previous: %[2]q}
dnf: {url: https://pkgs.example.com/dnf/, previous: %[3]q}
download_url: https://dl.example.com/{{.Version}}/{{.File}}
service:
  args: [run]
`, k.SecretFile, filepath.Join(site, "apt"), filepath.Join(site, "dnf"))
	first := helloProjectEnv(t, yaml, map[string]string{"SVCPACK_VERSION": "1.0.0"}, "linux/amd64")
	res, err := Release(context.Background(), first, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tree := range []string{"apt", "dnf"} {
		if err := os.CopyFS(filepath.Join(site, tree), os.DirFS(filepath.Join(res.Dist, tree))); err != nil {
			t.Fatal(err)
		}
	}
	second := helloProjectEnv(t, yaml, map[string]string{"SVCPACK_VERSION": "1.1.0"}, "linux/amd64")
	diffs, err := Verify(context.Background(), second, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(diffs) != 0 {
		t.Errorf("the grown trees are not reproducible:\n%s", FormatDifferences(diffs))
	}
	res2, err := Release(context.Background(), second, Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := ReadManifest(res2.Dist)
	if err != nil {
		t.Fatal(err)
	}
	checkListed(t, res2.Dist, m, packager.KindApt, "apt/pool/main/h/hello/hello_1.0.0-1_amd64.deb",
		"apt/pool/main/h/hello/hello_1.1.0-1_amd64.deb")
	checkListed(t, res2.Dist, m, packager.KindDnf, "dnf/packages/hello-1.0.0-1.x86_64.rpm",
		"dnf/packages/hello-1.1.0-1.x86_64.rpm")
	checkListed(t, res2.Dist, m, packager.KindInstallSh, "install.sh")

	// check refuses a previous tree the key does not vouch for, as the
	// release would: a changed index, a changed repomd.xml.
	for _, tc := range []struct{ file, field, want string }{
		{"apt/dists/stable/main/binary-amd64/Packages", "apt.previous:", "is not the one InRelease signs"},
		{"dnf/repodata/repomd.xml", "dnf.previous:", "does not verify"},
	} {
		p := filepath.Join(site, filepath.FromSlash(tc.file))
		orig, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(p, append(orig, '\n'), 0o644)
		_, err = helloLoad(t, yaml, map[string]string{"SVCPACK_VERSION": "1.2.0"})
		if err == nil || !strings.Contains(err.Error(), tc.field) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("check of a tampered %s: %v", tc.file, err)
		}
		os.WriteFile(p, orig, 0o644)
	}
}
