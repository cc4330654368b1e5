package release

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/internal/testgpg"
	"github.com/svcpack/svcpack/internal/testtool"
	"github.com/svcpack/svcpack/pkg/packager"
)

// TestDnfRepository: the dnf format writes the repository of the rpms
// under dist/dnf, every file of it in artifacts.json and checksums.txt,
// and Debian's dnf reads it from loopback at dnf.url with the .repo file
// the release wrote, gpgcheck and repo_gpgcheck on: makecache verifies
// repomd.xml.asc with the key it fetches, repoquery lists the package,
// download fetches the release's own rpm, and rpm -K verifies it.
func TestDnfRepository(t *testing.T) {
	k := testgpg.New(t, "rsa2048", "")
	// The server is up before the release so that dnf.url can name it; it
	// serves dist/dnf once the release has written it.
	dnfDir := &servedDir{}
	srv := httptest.NewServer(dnfDir)
	defer srv.Close()
	yaml := fmt.Sprintf(repoYAML, "rpm, dnf", fmt.Sprintf("gpg: {key_file: %q}\ndnf: {url: %q}", k.SecretFile, srv.URL+"/"))
	c := helloProjectEnv(t, yaml, nil, "linux/amd64", "linux/arm64")
	res, err := Release(context.Background(), c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := ReadManifest(res.Dist)
	if err != nil {
		t.Fatal(err)
	}
	rpms, _ := filepath.Glob(filepath.Join(res.Dist, "*.rpm"))
	if len(rpms) != 2 {
		t.Fatalf("the release made %d rpms, want 2", len(rpms))
	}
	want := []string{"dnf/repodata/repomd.xml", "dnf/repodata/repomd.xml.asc", "dnf/repodata/primary.xml.gz",
		"dnf/hello.repo", "dnf/RPM-GPG-KEY-hello"}
	for _, r := range rpms {
		want = append(want, "dnf/packages/"+filepath.Base(r))
	}
	checkListed(t, res.Dist, m, packager.KindDnf, want...)
	dnfDir.set(filepath.Join(res.Dist, "dnf"))
	dnfReads(t, res.Dist, k)
}

// x86RPM is the name of the release's x86_64 rpm.
func x86RPM(t *testing.T, dist string) string {
	t.Helper()
	rpms, _ := filepath.Glob(filepath.Join(dist, "hello-*.x86_64.rpm"))
	if len(rpms) != 1 {
		t.Fatalf("the release made x86_64 rpms %v, want one", rpms)
	}
	return filepath.Base(rpms[0])
}

// servedDir serves a folder set after the server starts.
type servedDir struct{ h http.Handler }

func (d *servedDir) set(dir string) { d.h = http.FileServer(http.Dir(dir)) }

func (d *servedDir) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if d.h == nil {
		http.NotFound(w, r)
		return
	}
	d.h.ServeHTTP(w, r)
}

// dnfReads runs dnf over the release's repository with its .repo file.
func dnfReads(t *testing.T, dist string, k *testgpg.Key) {
	dnf := testtool.Need(t, "dnf", "dnf")
	rpmBin := testtool.Need(t, "rpm", "rpm")
	work := t.TempDir()
	repo, err := os.ReadFile(filepath.Join(dist, "dnf", "hello.repo"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"[hello]\n", "\ngpgcheck=1\n", "\nrepo_gpgcheck=1\n"} {
		if !strings.Contains(string(repo), want) {
			t.Errorf("hello.repo lacks %q:\n%s", want, repo)
		}
	}
	run := dnfRunner(t, dnf, work, repo)
	run("makecache")
	name := x86RPM(t, dist)
	nevra := strings.TrimSuffix(name, ".rpm")
	if out := run("repoquery", "--qf", "%{name}-%{version}-%{release}.%{arch}", "hello"); !strings.Contains(out, nevra) {
		t.Errorf("dnf repoquery does not list %s:\n%s", nevra, out)
	}
	dl := filepath.Join(work, "download")
	run("download", "--destdir="+dl, "--arch=x86_64", "hello")
	got, err := os.ReadFile(filepath.Join(dl, name))
	if err != nil {
		t.Fatalf("dnf download: %v", err)
	}
	want, _ := os.ReadFile(filepath.Join(dist, name))
	if string(got) != string(want) {
		t.Error("dnf downloaded another rpm than the release's")
	}
	db := filepath.Join(work, "rpmdb")
	for _, args := range [][]string{{"--import", k.PublicFile}, {"-K", filepath.Join(dl, name)}} {
		if out, err := exec.Command(rpmBin, append([]string{"--dbpath", db}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("rpm %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// dnfRunner runs dnf in work with the .repo file repo as its only
// repository (installroot and cache in work), failing the test on an error.
func dnfRunner(t *testing.T, dnf, work string, repo []byte) func(args ...string) string {
	t.Helper()
	repos := filepath.Join(work, "repos")
	if err := os.MkdirAll(repos, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repos, "hello.repo"), repo, 0o644); err != nil {
		t.Fatal(err)
	}
	return func(args ...string) string {
		t.Helper()
		all := append([]string{"-y", "--setopt=reposdir=" + repos, "--installroot=" + filepath.Join(work, "root"),
			"--setopt=cachedir=" + filepath.Join(work, "cache"), "--releasever=1", "--disablerepo=*",
			"--enablerepo=hello", "--setopt=skip_if_unavailable=False"}, args...)
		out, err := exec.Command(dnf, all...).CombinedOutput()
		if err != nil {
			t.Fatalf("dnf %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
}

// TestDnfRefuses: check refuses a dnf repository without a key, with
// unsigned rpms, without the rpms or without its URL, saying how to fix it.
func TestDnfRefuses(t *testing.T) {
	k := testgpg.New(t, "ed25519", "")
	gpg := fmt.Sprintf("gpg: {key_file: %q}", k.SecretFile)
	url := "dnf: {url: https://example.com/dnf/}"
	for _, tc := range []struct{ name, formats, rest, want string }{
		{"unsigned", "rpm, dnf", url, "a dnf repository must be signed"},
		{"rpms unsigned", "rpm, dnf", fmt.Sprintf("gpg: {key_file: %q, sign: [deb]}\n", k.SecretFile) + url,
			"add rpm to gpg.sign"},
		{"no rpms", "deb, dnf", gpg + "\n" + url, "add rpm to formats"},
		{"no url", "rpm, dnf", gpg, "set dnf.url"},
		{"url not http", "rpm, dnf", gpg + "\ndnf: {url: ftp://example.com/}", "dnf.url"},
		{"url with a variable", "rpm, dnf", gpg + "\ndnf: {url: \"https://example.com/$basearch/\"}", "dnf.url"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := helloLoad(t, fmt.Sprintf(repoYAML, tc.formats, tc.rest), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("load: %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// TestDnfRepositoryGrows releases 1.0.0, then 1.1.0 grown from the tree of
// the first as served (dnf.previous, a folder outside the project): the
// second tree keeps 1.0.0's rpms, byte for byte, beside its own, and lists
// them in artifacts.json; Debian's dnf sees both versions and downloads the
// newer. With dnf.keep 1 a third release's tree drops both older ones.
func TestDnfRepositoryGrows(t *testing.T) {
	dnf := testtool.Need(t, "dnf", "dnf")
	k := testgpg.New(t, "rsa2048", "")
	served := &servedDir{}
	srv := httptest.NewServer(served)
	defer srv.Close()
	site := filepath.Join(t.TempDir(), "site")
	release := func(version, extra string) *Result {
		t.Helper()
		settings := fmt.Sprintf("gpg: {key_file: %q}\ndnf: {url: %q, previous: %q%s}", k.SecretFile, srv.URL+"/", site, extra)
		c := helloProjectEnv(t, fmt.Sprintf(repoYAML, "rpm, dnf", settings), map[string]string{"SVCPACK_VERSION": version},
			"linux/amd64")
		res, err := Release(context.Background(), c, Options{})
		if err != nil {
			t.Fatal(err)
		}
		// Publishing: the site now serves this tree.
		if err := os.RemoveAll(site); err != nil {
			t.Fatal(err)
		}
		if err := os.CopyFS(site, os.DirFS(filepath.Join(res.Dist, "dnf"))); err != nil {
			t.Fatal(err)
		}
		return res
	}
	if err := os.MkdirAll(site, 0o755); err != nil { // an empty checkout before the first release
		t.Fatal(err)
	}
	one := release("1.0.0", "")
	old := x86RPM(t, one.Dist)
	two := release("1.1.0", "")
	m, err := ReadManifest(two.Dist)
	if err != nil {
		t.Fatal(err)
	}
	checkListed(t, two.Dist, m, packager.KindDnf, "dnf/packages/"+old, "dnf/packages/"+x86RPM(t, two.Dist))
	a, _ := os.ReadFile(filepath.Join(one.Dist, old))
	b, _ := os.ReadFile(filepath.Join(two.Dist, "dnf/packages", old))
	if len(a) == 0 || string(a) != string(b) {
		t.Error("the grown tree's 1.0.0 rpm is not the one the first release published")
	}
	served.set(site)
	work := t.TempDir()
	repo, _ := os.ReadFile(filepath.Join(site, "hello.repo"))
	run := dnfRunner(t, dnf, work, repo)
	out := run("repoquery", "--qf", "%{name}-%{version}-%{release}", "hello")
	for _, v := range []string{"hello-1.0.0-1", "hello-1.1.0-1"} {
		if !strings.Contains(out, v) {
			t.Errorf("dnf repoquery does not list %s:\n%s", v, out)
		}
	}
	dl := filepath.Join(work, "download")
	run("download", "--destdir="+dl, "hello")
	if got, _ := filepath.Glob(filepath.Join(dl, "*.rpm")); len(got) != 1 || filepath.Base(got[0]) != x86RPM(t, two.Dist) {
		t.Errorf("dnf download fetched %v, want the newer %s", got, x86RPM(t, two.Dist))
	}

	three := release("1.2.0", ", keep: 1")
	got, _ := filepath.Glob(filepath.Join(three.Dist, "dnf/packages/*.rpm"))
	if len(got) != 1 || filepath.Base(got[0]) != x86RPM(t, three.Dist) {
		t.Errorf("with keep 1 the tree holds %v, want only %s", got, x86RPM(t, three.Dist))
	}
}
