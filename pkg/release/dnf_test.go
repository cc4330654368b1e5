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
	repos := filepath.Join(work, "repos")
	if err := os.MkdirAll(repos, 0o755); err != nil {
		t.Fatal(err)
	}
	repo, err := os.ReadFile(filepath.Join(dist, "dnf", "hello.repo"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"[hello]\n", "\ngpgcheck=1\n", "\nrepo_gpgcheck=1\n"} {
		if !strings.Contains(string(repo), want) {
			t.Errorf("hello.repo lacks %q:\n%s", want, repo)
		}
	}
	if err := os.WriteFile(filepath.Join(repos, "hello.repo"), repo, 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
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
