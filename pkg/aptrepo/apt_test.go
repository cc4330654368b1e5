package aptrepo_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/internal/debroot"
	"github.com/svcpack/svcpack/pkg/aptrepo"
)

// TestAptGetInstalls serves a repository over HTTP on 127.0.0.1 to the
// real apt in a Debian root (chroot shares the host's network): apt-get
// update verifies InRelease with the key named by Signed-By, apt-get
// install installs the package; a tampered Packages, InRelease or Release
// makes apt-get update fail.
func TestAptGetInstalls(t *testing.T) {
	root := debroot.New(t)
	src := t.TempDir()
	debs := []string{makeDeb(t, src, "hello", "1.2.0", "amd64", ""), makeDeb(t, src, "hello", "1.2.0", "arm64", "")}
	r := aptrepo.Repository{Origin: "hello", Date: date, KeyName: "hello"}
	s := signer(t)
	dir := build(t, r, debs, s)
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()

	os.Remove(root.Path("/etc/apt/sources.list"))
	os.RemoveAll(root.Path("/etc/apt/sources.list.d"))
	root.Put(filepath.Join(dir, "hello.gpg"), "/etc/apt/keyrings/hello.gpg")
	root.Write("/etc/apt/sources.list.d/hello.sources", []byte("Types: deb\nURIs: "+srv.URL+"\nSuites: stable\n"+
		"Components: main\nArchitectures: amd64\nSigned-By: /etc/apt/keyrings/hello.gpg\n"), 0o644)
	update := func() (string, error) {
		root.Run("sh", "-c", "rm -rf /var/lib/apt/lists/*")
		return root.Run("apt-get", "update", "-o", "Acquire::Retries=0")
	}
	if out, err := update(); err != nil || strings.Contains(out, "W: ") {
		t.Fatalf("apt-get update: %v\n%s", err, out)
	}
	root.MustRun("apt-get", "install", "-y", "--no-install-recommends", "hello")
	if out := root.MustRun("dpkg", "-s", "hello"); !strings.Contains(out, "Status: install ok installed") ||
		!strings.Contains(out, "Version: 1.2.0-1") {
		t.Errorf("dpkg -s hello:\n%s", out)
	}

	const bin = "dists/stable/main/binary-amd64/"
	for _, tc := range []struct {
		name, file, from, to string
		drop                 []string // files served as missing
	}{
		// apt fetches Packages.xz when it is there, Packages when no
		// compressed index is.
		{"tampered Packages", bin + "Packages", "Description:", "Description: x", []string{
			bin + "Packages.xz", bin + "Packages.gz"}},
		{"tampered Packages.xz", bin + "Packages.xz", "", "x", nil},
		{"tampered InRelease", "dists/stable/InRelease", "Label: hello", "Label: hellO", nil},
		{"tampered Release", "dists/stable/Release", "Label: hello", "Label: hellO", []string{"dists/stable/InRelease"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, filepath.FromSlash(tc.file))
			orig, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			defer os.WriteFile(p, orig, 0o644)
			changed := strings.Replace(string(orig), tc.from, tc.to, 1)
			if changed == string(orig) {
				t.Fatalf("%s has no %q", tc.file, tc.from)
			}
			os.WriteFile(p, []byte(changed), 0o644)
			for _, drop := range tc.drop {
				d := filepath.Join(dir, filepath.FromSlash(drop))
				b, _ := os.ReadFile(d)
				os.Remove(d)
				defer os.WriteFile(d, b, 0o644)
			}
			out, err := update()
			if err == nil {
				t.Errorf("apt-get update of a repository with a %s passed:\n%s", tc.name, out)
			}
			t.Logf("apt-get update: %v\n%s", err, debroot.Tail([]byte(out), 4))
		})
	}
}

// TestAptGetUpgrades: apt installs version 1 from the first tree; served
// the second tree (grown from the first), apt-get upgrade installs the newer
// version, and apt-cache madison shows both.
func TestAptGetUpgrades(t *testing.T) {
	root := debroot.New(t)
	s := signer(t)
	r := aptrepo.Repository{Origin: "hello", Date: date, KeyName: "hello"}
	one := build(t, r, []string{makeDeb(t, t.TempDir(), "hello", "1.2.0", "amd64", "")}, s)
	r.Previous = one
	two := build(t, r, []string{makeDeb(t, t.TempDir(), "hello", "1.10.0", "amd64", "")}, s)
	serve := one
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		http.FileServer(http.Dir(serve)).ServeHTTP(w, req)
	}))
	defer srv.Close()

	os.Remove(root.Path("/etc/apt/sources.list"))
	os.RemoveAll(root.Path("/etc/apt/sources.list.d"))
	root.Put(filepath.Join(one, "hello.gpg"), "/etc/apt/keyrings/hello.gpg")
	root.Write("/etc/apt/sources.list.d/hello.sources", []byte("Types: deb\nURIs: "+srv.URL+"\nSuites: stable\n"+
		"Components: main\nArchitectures: amd64\nSigned-By: /etc/apt/keyrings/hello.gpg\n"), 0o644)
	root.MustRun("apt-get", "update", "-o", "Acquire::Retries=0")
	root.MustRun("apt-get", "install", "-y", "--no-install-recommends", "hello")
	if out := root.MustRun("dpkg-query", "-W", "hello"); !strings.Contains(out, "1.2.0-1") {
		t.Fatalf("installed from the first tree: %s", out)
	}
	serve = two
	// Both trees were written within a second: apt's If-Modified-Since
	// would get 304 for the new InRelease, so it forgets the old lists.
	root.MustRun("sh", "-c", "rm -rf /var/lib/apt/lists/*")
	root.MustRun("apt-get", "update", "-o", "Acquire::Retries=0")
	out := root.MustRun("apt-cache", "madison", "hello")
	for _, v := range []string{"1.2.0-1", "1.10.0-1"} {
		if !strings.Contains(out, v) {
			t.Errorf("apt-cache madison hello does not show %s:\n%s", v, out)
		}
	}
	root.MustRun("apt-get", "upgrade", "-y")
	if out := root.MustRun("dpkg-query", "-W", "hello"); !strings.Contains(out, "1.10.0-1") {
		t.Errorf("apt-get upgrade left %s", out)
	}
}
