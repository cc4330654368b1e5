package rpmrepo

import (
	"bytes"
	"compress/gzip"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/svcpack/svcpack/internal/testgpg"
	"github.com/svcpack/svcpack/internal/testtool"
)

// The metadata as a reader sees it, namespaces resolved: what the tests
// compare between svcpack's and createrepo_c's.
type readPrimary struct {
	Packages []readPackage `xml:"http://linux.duke.edu/metadata/common package"`
}

type readPackage struct {
	Name    string `xml:"name"`
	Arch    string `xml:"arch"`
	Version struct {
		Epoch string `xml:"epoch,attr"`
		Ver   string `xml:"ver,attr"`
		Rel   string `xml:"rel,attr"`
	} `xml:"version"`
	Checksum struct {
		Type  string `xml:"type,attr"`
		PkgID string `xml:"pkgid,attr"`
		Value string `xml:",chardata"`
	} `xml:"checksum"`
	Summary     string `xml:"summary"`
	Description string `xml:"description"`
	Packager    string `xml:"packager"`
	URL         string `xml:"url"`
	Time        struct {
		Build string `xml:"build,attr"`
	} `xml:"time"`
	Size struct {
		Package   string `xml:"package,attr"`
		Installed string `xml:"installed,attr"`
		Archive   string `xml:"archive,attr"`
	} `xml:"size"`
	Location struct {
		Href string `xml:"href,attr"`
	} `xml:"location"`
	Format struct {
		License     string `xml:"http://linux.duke.edu/metadata/rpm license"`
		Vendor      string `xml:"http://linux.duke.edu/metadata/rpm vendor"`
		Group       string `xml:"http://linux.duke.edu/metadata/rpm group"`
		BuildHost   string `xml:"http://linux.duke.edu/metadata/rpm buildhost"`
		SourceRPM   string `xml:"http://linux.duke.edu/metadata/rpm sourcerpm"`
		HeaderRange struct {
			Start string `xml:"start,attr"`
			End   string `xml:"end,attr"`
		} `xml:"http://linux.duke.edu/metadata/rpm header-range"`
		Provides  []xmlEntry `xml:"http://linux.duke.edu/metadata/rpm provides>entry"`
		Requires  []xmlEntry `xml:"http://linux.duke.edu/metadata/rpm requires>entry"`
		Conflicts []xmlEntry `xml:"http://linux.duke.edu/metadata/rpm conflicts>entry"`
		Obsoletes []xmlEntry `xml:"http://linux.duke.edu/metadata/rpm obsoletes>entry"`
		Files     []xmlFile  `xml:"file"`
	} `xml:"format"`
}

type readFilelists struct {
	Packages []struct {
		PkgID string    `xml:"pkgid,attr"`
		Name  string    `xml:"name,attr"`
		Files []xmlFile `xml:"file"`
	} `xml:"package"`
}

type readOther struct {
	Packages []struct {
		PkgID      string         `xml:"pkgid,attr"`
		Changelogs []xmlChangelog `xml:"changelog"`
	} `xml:"package"`
}

// readGzipXML decodes the gzip-compressed XML file at path into v.
func readGzipXML(t *testing.T, path string, v any) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if err := xml.NewDecoder(gz).Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestCreaterepoAgrees runs createrepo_c over the rpms of a repository,
// released at once or grown from the previous release's tree, and
// compares its metadata with ours, parsed: the packages, their checksums,
// sizes, header ranges, dependencies, files and changelogs.
func TestCreaterepoAgrees(t *testing.T) {
	createrepo := testtool.Need(t, "createrepo_c", "createrepo-c")
	_, s := signingKey(t)
	once, _ := released(t, s, "1.2.3", "1.3.0~rc.1")
	first, _ := released(t, s, "1.2.3")
	grown, err := grow(t, first, s, []RPM{writeRPM(t, t.TempDir(), "1.3.0~rc.1", s)}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, ours string }{{"one release", once}, {"grown", grown}} {
		t.Run(tc.name, func(t *testing.T) { createrepoAgrees(t, createrepo, tc.ours) })
	}
}

// createrepoAgrees runs createrepo_c over the rpms of the repository in
// ours and compares its metadata with ours.
func createrepoAgrees(t *testing.T, createrepo, ours string) {
	theirs := t.TempDir()
	cmd := exec.Command(createrepo, "--simple-md-filenames", "--no-database", "--outputdir", theirs, ours)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("createrepo_c: %v\n%s", err, out)
	}
	for _, c := range []struct {
		file string
		v    func() any
	}{
		{PrimaryPath, func() any { return &readPrimary{} }},
		{FilelistsPath, func() any { return &readFilelists{} }},
		{OtherPath, func() any { return &readOther{} }},
	} {
		want, got := c.v(), c.v()
		readGzipXML(t, filepath.Join(theirs, c.file), want)
		readGzipXML(t, filepath.Join(ours, c.file), got)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s differs from createrepo_c's:\n got  %+v\n want %+v", c.file, got, want)
		}
	}
	var p readPrimary
	readGzipXML(t, filepath.Join(ours, PrimaryPath), &p)
	if len(p.Packages) != 2 {
		t.Fatalf("primary lists %d packages, want 2", len(p.Packages))
	}
	// The comparison reads what it should: namespaced fields are there.
	if f := p.Packages[0].Format; f.License != "MIT" || len(f.Provides) != 1 || len(f.Files) != 2 {
		t.Errorf("primary's format read back as %+v, want the license, a provide and two files", f)
	}
}

// dnf runs Debian's dnf on the repository served at url alone, in its own
// install root, configuration and cache under dir, with the checks on
// (gpgcheck, repo_gpgcheck) and an unreadable repository an error.
func dnf(t *testing.T, dir, url, keyURL string, args ...string) (string, error) {
	t.Helper()
	return dnfRepos(t, dir, []Repo{{ID: "hello", Name: "hello test", BaseURL: url, KeyURL: keyURL}}, args...)
}

// dnfRepos is dnf over the repositories repos.
func dnfRepos(t *testing.T, dir string, repos []Repo, args ...string) (string, error) {
	t.Helper()
	bin := testtool.Need(t, "dnf", "dnf")
	reposDir := filepath.Join(dir, "repos")
	all := []string{"-y", "--setopt=reposdir=" + reposDir, "--installroot=" + filepath.Join(dir, "root"),
		"--setopt=cachedir=" + filepath.Join(dir, "cache"), "--releasever=1", "--disablerepo=*",
		"--setopt=skip_if_unavailable=False"}
	for _, r := range repos {
		data, err := r.File()
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(reposDir, r.ID+".repo"), data)
		all = append(all, "--enablerepo="+r.ID)
	}
	out, err := exec.Command(bin, append(all, args...)...).CombinedOutput()
	return string(out), err
}

// TestDnfReadsRepository serves a signed repository of two versions on
// loopback, released at once or grown from the previous release's tree,
// and reads it with dnf, every check on: makecache verifies repomd.xml's
// signature, repoquery sees both versions, download fetches the newer, and
// rpm -K verifies it with the key; a tampered repomd.xml or primary.xml.gz
// makes makecache fail.
func TestDnfReadsRepository(t *testing.T) {
	testtool.Need(t, "dnf", "dnf")
	k, s := signingKey(t)
	once, _ := released(t, s, "1.2.3", "1.10.0")
	first, _ := released(t, s, "1.2.3")
	grown, err := grow(t, first, s, []RPM{writeRPM(t, t.TempDir(), "1.10.0", s)}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, root string }{{"one release", once}, {"grown", grown}} {
		t.Run(tc.name, func(t *testing.T) { dnfReads(t, k, tc.root) })
	}
}

// serve serves the repository in root on loopback, with the public key of
// k as RPM-GPG-KEY-hello, and returns its URL and the key's.
func serve(t *testing.T, k *testgpg.Key, root string) (url, keyURL string) {
	t.Helper()
	writeFile(t, filepath.Join(root, "RPM-GPG-KEY-hello"), readFileT(t, k.PublicFile))
	srv := httptest.NewServer(http.FileServer(http.Dir(root)))
	t.Cleanup(srv.Close)
	return srv.URL + "/", srv.URL + "/RPM-GPG-KEY-hello"
}

// dnfReads reads the repository of hello 1.2.3 and 1.10.0 in root with
// dnf.
func dnfReads(t *testing.T, k *testgpg.Key, root string) {
	rpmBin := testtool.Need(t, "rpm", "rpm")
	url, keyURL := serve(t, k, root)
	work := t.TempDir()
	if out, err := dnf(t, work, url, keyURL, "makecache"); err != nil {
		t.Fatalf("dnf makecache: %v\n%s", err, out)
	}
	out, err := dnf(t, work, url, keyURL, "repoquery", "--qf", "%{name}-%{version}-%{release}.%{arch}", "hello")
	if err != nil {
		t.Fatalf("dnf repoquery: %v\n%s", err, out)
	}
	for _, want := range []string{"hello-1.2.3-1.x86_64", "hello-1.10.0-1.x86_64"} {
		if !strings.Contains(out, want) {
			t.Errorf("dnf repoquery does not list %s:\n%s", want, out)
		}
	}
	got := dnfDownload(t, work, []Repo{{ID: "hello", Name: "hello test", BaseURL: url, KeyURL: keyURL}})
	if got != "hello-1.10.0-1.x86_64.rpm" {
		t.Fatalf("dnf download fetched %s, want the newer hello-1.10.0-1.x86_64.rpm", got)
	}
	db := filepath.Join(work, "rpmdb")
	rpmFile := filepath.Join(work, "download", got)
	for _, args := range [][]string{{"--import", k.PublicFile}, {"-K", rpmFile}} {
		if out, err := exec.Command(rpmBin, append([]string{"--dbpath", db}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("rpm %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	t.Run("tampered", func(t *testing.T) { dnfRefusesTampered(t, root, keyURL, url) })
}

// dnfDownload runs dnf download hello over repos into work/download and
// returns the name of the one rpm it fetched.
func dnfDownload(t *testing.T, work string, repos []Repo) string {
	t.Helper()
	dl := filepath.Join(work, "download")
	if out, err := dnfRepos(t, work, repos, "download", "--destdir="+dl, "hello"); err != nil {
		t.Fatalf("dnf download (Debian package dnf-plugins-core): %v\n%s", err, out)
	}
	got, _ := filepath.Glob(filepath.Join(dl, "*.rpm"))
	if len(got) != 1 {
		t.Fatalf("dnf download fetched %v, want one rpm", got)
	}
	return filepath.Base(got[0])
}

// TestDnfPriority serves hello 1.2.3 as this repository and 1.10.0 as a
// distribution's: with a priority below the default 99, dnf takes ours
// though it is older; without one, it takes the newer.
func TestDnfPriority(t *testing.T) {
	testtool.Need(t, "dnf", "dnf")
	k, s := signingKey(t)
	root := t.TempDir()
	for name, version := range map[string]string{"ours": "1.2.3", "distro": "1.10.0"} {
		dir := filepath.Join(root, name)
		writeRepo(t, dir, []RPM{writeRPM(t, dir, version, s)}, Options{Date: date, Signer: s})
	}
	url, keyURL := serve(t, k, root)
	for _, tc := range []struct {
		priority int
		want     string
	}{{10, "hello-1.2.3-1.x86_64.rpm"}, {0, "hello-1.10.0-1.x86_64.rpm"}} {
		repos := []Repo{{ID: "hello", BaseURL: url + "ours/", KeyURL: keyURL, Priority: tc.priority},
			{ID: "distro", BaseURL: url + "distro/", KeyURL: keyURL}}
		if got := dnfDownload(t, t.TempDir(), repos); got != tc.want {
			t.Errorf("priority %d: dnf download fetched %s, want %s", tc.priority, got, tc.want)
		}
	}
}

// dnfRefusesTampered changes one byte of repomd.xml, then of
// primary.xml.gz, and expects makecache to fail on each.
func dnfRefusesTampered(t *testing.T, root, keyURL, url string) {
	for _, tc := range []struct {
		file   string
		tamper func([]byte) []byte
	}{
		{RepomdPath, func(b []byte) []byte { return bytes.Replace(b, []byte("<revision>"), []byte("<revision>1"), 1) }},
		{PrimaryPath, func(b []byte) []byte { b[len(b)/2] ^= 1; return b }},
	} {
		path := filepath.Join(root, filepath.FromSlash(tc.file))
		orig, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		changed := tc.tamper(bytes.Clone(orig))
		if err := os.WriteFile(path, changed, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := dnf(t, t.TempDir(), url, keyURL, "makecache")
		if err == nil {
			t.Errorf("dnf makecache accepted a tampered %s:\n%s", tc.file, out)
		}
		if err := os.WriteFile(path, orig, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSameInputsSameBytes writes the metadata twice, the rpms given in
// another order the second time, and expects the same files.
func TestSameInputsSameBytes(t *testing.T) {
	_, s := signingKey(t)
	dir := t.TempDir()
	rpms := []RPM{writeRPM(t, dir, "1.2.3", s), writeRPM(t, dir, "2.0.0", s)}
	first, err := Metadata(rpms, Options{Date: date, Signer: s})
	if err != nil {
		t.Fatal(err)
	}
	second, err := Metadata([]RPM{rpms[1], rpms[0]}, Options{Date: date, Signer: s})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(first, second) {
		t.Error("two runs over the same rpms wrote different metadata")
	}
	var paths []string
	for _, f := range first {
		paths = append(paths, f.Path)
	}
	if want := Paths(true); !reflect.DeepEqual(paths, want) {
		t.Errorf("Metadata wrote %v, Paths says %v", paths, want)
	}
}

func TestMetadataRefuses(t *testing.T) {
	dir := t.TempDir()
	good := writeRPM(t, dir, "1.2.3", nil)
	junk := filepath.Join(dir, "junk.rpm")
	if err := os.WriteFile(junk, bytes.Repeat([]byte("not an rpm "), 20), 0o644); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(good.File)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.rpm")
	if err := os.WriteFile(cut, data[:200], 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		rpms []RPM
		want string
	}{
		{"not an rpm", []RPM{{File: junk, Href: "junk.rpm"}}, "not an rpm"},
		{"cut short", []RPM{{File: cut, Href: "cut.rpm"}}, "header"},
		{"missing", []RPM{{File: filepath.Join(dir, "none.rpm"), Href: "none.rpm"}}, "no such file"},
		{"absolute href", []RPM{{File: good.File, Href: "/etc/passwd"}}, "not a relative path"},
		{"parent href", []RPM{{File: good.File, Href: "../x.rpm"}}, "not a relative path"},
		{"url href", []RPM{{File: good.File, Href: "http://evil/x.rpm"}}, "not a relative path"},
		{"newline href", []RPM{{File: good.File, Href: "a\nb.rpm"}}, "not a relative path"},
		{"same href", []RPM{good, {File: good.File, Href: good.Href}}, "are both"},
		{"same package", []RPM{good, {File: good.File, Href: "other/x.rpm"}}, "are both hello-0:1.2.3-1.x86_64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Metadata(tc.rpms, Options{Date: date})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Metadata: %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func TestRepoFile(t *testing.T) {
	ok := Repo{ID: "hello", Name: "Hello service", BaseURL: "https://example.com/rpm/",
		KeyURL: "https://example.com/key.asc"}
	got, err := ok.File()
	if err != nil {
		t.Fatal(err)
	}
	want := "[hello]\nname=Hello service\nbaseurl=https://example.com/rpm/\nenabled=1\ngpgcheck=1\n" +
		"repo_gpgcheck=1\ngpgkey=https://example.com/key.asc\n"
	if string(got) != want {
		t.Errorf("File:\n%s\nwant\n%s", got, want)
	}
	preferred := ok
	preferred.Priority = 10
	if got, err := preferred.File(); err != nil || string(got) != want+"priority=10\n" {
		t.Errorf("File with priority 10: %v\n%s\nwant\n%spriority=10", err, got, want)
	}
	for _, tc := range []struct {
		name string
		edit func(*Repo)
		want string
	}{
		{"id with bracket", func(r *Repo) { r.ID = "a]b" }, "repository id"},
		{"empty id", func(r *Repo) { r.ID = "" }, "repository id"},
		{"name with newline", func(r *Repo) { r.Name = "x\ngpgcheck=0" }, "control character"},
		{"name with U+2028", func(r *Repo) { r.Name = "x\u2028y" }, "control character"},
		{"base URL with newline", func(r *Repo) { r.BaseURL = "https://a/\ngpgcheck=0" }, "base URL"},
		{"base URL ftp", func(r *Repo) { r.BaseURL = "ftp://a/" }, "base URL"},
		{"base URL with dnf variable", func(r *Repo) { r.BaseURL = "https://a/$basearch/" }, "base URL"},
		{"key URL with space", func(r *Repo) { r.KeyURL = "https://a/k b" }, "key URL"},
		{"negative priority", func(r *Repo) { r.Priority = -1 }, "priority -1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ok
			tc.edit(&r)
			if _, err := r.File(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("File: %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// FuzzReadHeaders feeds arbitrary bytes to the rpm reader, which must
// return an error or headers, never panic.
func FuzzReadHeaders(f *testing.F) {
	f.Add([]byte{})
	f.Add(append(append(append([]byte{}, leadMagic...), make([]byte, leadSize-4)...), headerMagic...))
	f.Fuzz(func(t *testing.T, data []byte) {
		sig, main, _, _, err := readHeaders(bytes.NewReader(data))
		if err != nil {
			return
		}
		p := &pkg{}
		_ = p.fill(sig, main)
	})
}
