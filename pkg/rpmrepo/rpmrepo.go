// Package rpmrepo writes the metadata of a dnf/yum repository over rpm
// files, as createrepo_c does: repodata/primary.xml.gz (each package's
// name, version, checksum, sizes, header range, dependencies and the files
// dependencies name), filelists.xml.gz (every file), other.xml.gz (the
// changelogs), and repomd.xml over them with each one's SHA-256 and size,
// signed (repomd.xml.asc) for dnf's repo_gpgcheck. It also writes the
// .repo file that points dnf at the repository.
//
// The rpm headers are read here (lead, signature header, main header);
// nothing of the host goes in: the file times and the revision are the
// release date, the metadata's names are fixed (createrepo_c's
// --simple-md-filenames), gzip is written without a name or time, and the
// packages are listed in the order of their location, so the same rpms give
// the same bytes. No sqlite databases are written: dnf reads the XML.
//
// A repository grows: Grow, given the previous tree (the previous
// release's repository, as served), keeps its rpms beside the new ones,
// the newest versions of each name and arch (DefaultKeep of them unless
// told) in rpm's version order, and Metadata remakes every index from
// all of them. A
// published rpm never changes: a new one of the same name, epoch, version,
// release and arch with other bytes is refused. The previous tree is
// trusted only as far as the key vouches for it: repomd.xml's signature,
// then the checksums down from it to primary.xml.gz and each rpm it
// lists, and nothing under packages/ that it does not list, so that an
// rpm put in the tree by hand (or changed there) is refused rather than
// republished under the key. Everything is checked before anything is
// returned, and nothing of the tree is written. The metadata names no
// repository, so the key is what tells this repository's tree from
// another's.
//
// The .repo file can give the repository a dnf priority, so that a
// distribution package of the same name never replaces the service's.
package rpmrepo

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/svcpack/svcpack/pkg/archive"
)

// RPM is a package file to list in the repository.
type RPM struct {
	// File is its path on the host.
	File string
	// Href is its path in the repository, relative to the repository's
	// root (packages/hello-1.2.3-1.x86_64.rpm).
	Href string
	// SHA256 is the hex SHA-256 File must have, when set: Grow sets it to
	// what it verified, Metadata sets it when empty to what it read, and
	// both Metadata and WriteTo refuse a File that differs, so that the
	// rpm copied into the tree is the one the metadata lists.
	SHA256 string
}

// WriteTo copies File to w, refusing it (after the copy, which the caller
// then discards) when its SHA-256 is not SHA256.
func (r RPM) WriteTo(w io.Writer) (int64, error) {
	f, err := os.Open(r.File)
	if err != nil {
		return 0, fmt.Errorf("rpmrepo: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), f)
	if err != nil {
		return n, fmt.Errorf("rpmrepo: %s: %w", r.File, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); r.SHA256 != "" && got != r.SHA256 {
		return n, changed(r.File, got, r.SHA256)
	}
	return n, nil
}

// changed is the error for an rpm whose bytes changed during a release.
func changed(file, got, want string) error {
	return fmt.Errorf("rpmrepo: %s changed while the repository was written (SHA-256 %s, was %s): "+
		"nothing may write the rpms or the previous tree during a release", file, got, want)
}

// Signer makes ASCII-armored detached OpenPGP signatures; pgpsign.Signer
// is one.
type Signer interface {
	SignArmored(r io.Reader) ([]byte, error)
}

// Options are the repository's settings.
type Options struct {
	// Date is the release date: repomd's revision and every timestamp.
	Date time.Time
	// Signer signs repomd.xml (repomd.xml.asc); nil writes no signature.
	Signer Signer
}

// File is one file of the repository's metadata.
type File struct {
	// Path is relative to the repository's root (repodata/repomd.xml).
	Path string
	// Data is its content.
	Data []byte
}

// The metadata's paths.
const (
	PrimaryPath   = "repodata/primary.xml.gz"
	FilelistsPath = "repodata/filelists.xml.gz"
	OtherPath     = "repodata/other.xml.gz"
	RepomdPath    = "repodata/repomd.xml"
	SignaturePath = "repodata/repomd.xml.asc"
)

// Paths lists the files Metadata writes, with the signature when signed.
func Paths(signed bool) []string {
	p := []string{PrimaryPath, FilelistsPath, OtherPath, RepomdPath}
	if signed {
		p = append(p, SignaturePath)
	}
	return p
}

// Metadata reads rpms and returns the repository's metadata files, in the
// order of Paths. Two rpms at one Href, or two of one name, version,
// release and arch, are refused, as is one whose SHA256 is set and is not
// its file's. Metadata sets each empty SHA256 to what it read, for the
// copy (RPM.WriteTo) to check.
func Metadata(rpms []RPM, o Options) ([]File, error) {
	pkgs, err := readAll(rpms)
	if err != nil {
		return nil, err
	}
	date := o.Date.Unix()
	primary := xmlPrimary{NS: nsCommon, RPMNS: nsRPM, Count: len(pkgs)}
	filelists := xmlFilelists{NS: nsFilelists, Count: len(pkgs)}
	other := xmlOther{NS: nsOther, Count: len(pkgs)}
	for _, p := range pkgs {
		primary.Packages = append(primary.Packages, p.primary(date))
		filelists.Packages = append(filelists.Packages, p.filelist())
		other.Packages = append(other.Packages, p.other())
	}
	md := xmlRepomd{NS: nsRepo, RPMNS: nsRPM, Revision: revision(date)}
	var files []File
	for _, d := range []struct {
		kind, path string
		doc        any
	}{{"primary", PrimaryPath, primary}, {"filelists", FilelistsPath, filelists}, {"other", OtherPath, other}} {
		f, data, err := compressed(d.kind, d.path, d.doc, date)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
		md.Data = append(md.Data, data)
	}
	repomd, err := marshal(md)
	if err != nil {
		return nil, err
	}
	files = append(files, File{Path: RepomdPath, Data: repomd})
	if o.Signer != nil {
		sig, err := o.Signer.SignArmored(bytes.NewReader(repomd))
		if err != nil {
			return nil, fmt.Errorf("rpmrepo: signing repomd.xml: %w", err)
		}
		files = append(files, File{Path: SignaturePath, Data: sig})
	}
	return files, nil
}

// readAll reads every rpm, sorted by location, refusing duplicates.
func readAll(rpms []RPM) ([]*pkg, error) {
	var pkgs []*pkg
	seen := map[string]string{}
	for i, r := range rpms {
		if err := checkHref(r.Href); err != nil {
			return nil, err
		}
		p, err := readRPM(r.File, r.Href)
		if err != nil {
			return nil, fmt.Errorf("rpmrepo: %w", err)
		}
		if r.SHA256 == "" {
			rpms[i].SHA256 = p.checksum
		} else if p.checksum != r.SHA256 {
			return nil, changed(r.File, p.checksum, r.SHA256)
		}
		for _, key := range []string{"href " + r.Href, p.nevra()} {
			if prev, ok := seen[key]; ok {
				return nil, fmt.Errorf("rpmrepo: %s and %s are both %s", prev, r.File, strings.TrimPrefix(key, "href "))
			}
			seen[key] = r.File
		}
		pkgs = append(pkgs, p)
	}
	slices.SortFunc(pkgs, func(a, b *pkg) int { return strings.Compare(a.href, b.href) })
	return pkgs, nil
}

// checkHref refuses a location that is not a clean relative path.
func checkHref(href string) error {
	if !relativeHref(href) {
		return fmt.Errorf("rpmrepo: location %q is not a relative path in the repository", href)
	}
	return nil
}

// relativeHref reports whether href is a relative path in the repository
// that stays in it.
func relativeHref(href string) bool {
	u, err := url.Parse(href)
	return err == nil && href != "" && u.Scheme == "" && u.Host == "" && !strings.HasPrefix(href, "/") &&
		!slices.Contains(strings.Split(href, "/"), "..") && !strings.ContainsAny(href, "?#\\") && !hasControl(href)
}

// nevra names a package by name, epoch, version, release and arch.
func (p *pkg) nevra() string {
	return fmt.Sprintf("%s-%s:%s-%s.%s", p.name, p.epoch, p.version, p.release, p.arch)
}

// compressed gzips the document doc at path and returns it with its entry
// in repomd.xml.
func compressed(kind, path string, doc any, date int64) (File, xmlData, error) {
	open, err := marshal(doc)
	if err != nil {
		return File{}, xmlData{}, err
	}
	var b bytes.Buffer
	gz := archive.NewGzip(&b)
	if _, err := gz.Write(open); err != nil {
		return File{}, xmlData{}, fmt.Errorf("rpmrepo: compressing %s: %w", path, err)
	}
	if err := gz.Close(); err != nil {
		return File{}, xmlData{}, fmt.Errorf("rpmrepo: compressing %s: %w", path, err)
	}
	d := xmlData{
		Type: kind, Checksum: xmlChecksum{Type: "sha256", Value: sum(b.Bytes())},
		OpenChecksum: xmlChecksum{Type: "sha256", Value: sum(open)}, Location: xmlLocation{Href: path},
		Timestamp: date, Size: int64(b.Len()), OpenSize: int64(len(open)),
	}
	return File{Path: path, Data: b.Bytes()}, d, nil
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// PreferredPriority is the .repo priority that prefers a release's own
// repository: dnf takes a package from the repository of the lowest
// number that has it, whatever the versions elsewhere (distributions' are
// 99), so a distribution package of the same name never replaces ours.
const PreferredPriority = 10

// Repo is a .repo file for /etc/yum.repos.d.
type Repo struct {
	// ID is the section name ([hello]): letters, digits and -_.:
	ID string
	// Name is the repository's human name.
	Name string
	// BaseURL is where the repository's root is served (http or https).
	BaseURL string
	// KeyURL is where its public key is served.
	KeyURL string
	// Priority is the repository's dnf priority (priority=), 0 for none.
	// dnf takes a package from the repository of the lowest number that
	// has one of its name, whatever the versions elsewhere, and the
	// distribution's repositories have the default, 99: a number below
	// it (such as 10) keeps a distribution package of the same name from
	// ever replacing this repository's.
	Priority int
}

var repoID = regexp.MustCompile(`^[A-Za-z0-9._:-]+$`)

// File returns the .repo file, with gpgcheck and repo_gpgcheck on: dnf
// checks every rpm's signature and repomd.xml's. Values that the file's
// syntax cannot carry, and a negative priority, are refused.
func (r Repo) File() ([]byte, error) {
	if !repoID.MatchString(r.ID) {
		return nil, fmt.Errorf("rpmrepo: repository id %q: use letters, digits and - _ . :", r.ID)
	}
	if hasControl(r.Name) || strings.TrimSpace(r.Name) != r.Name {
		return nil, fmt.Errorf("rpmrepo: repository name %q has a control character or edge spaces", r.Name)
	}
	for _, u := range []struct{ what, v string }{{"base URL", r.BaseURL}, {"key URL", r.KeyURL}} {
		p, err := url.Parse(u.v)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https" && p.Scheme != "file") ||
			strings.ContainsAny(u.v, " \t") || hasControl(u.v) || strings.Contains(u.v, "$") {
			return nil, fmt.Errorf("rpmrepo: %s %q is not an http(s) or file URL dnf reads", u.what, u.v)
		}
	}
	if r.Priority < 0 {
		return nil, fmt.Errorf("rpmrepo: repository priority %d: want 1 (most preferred) and up, "+
			"below dnf's default 99 to win over the distribution, or 0 for none", r.Priority)
	}
	name := r.Name
	if name == "" {
		name = r.ID
	}
	var b strings.Builder
	fmt.Fprintf(&b, "[%s]\nname=%s\nbaseurl=%s\nenabled=1\ngpgcheck=1\nrepo_gpgcheck=1\ngpgkey=%s\n",
		r.ID, name, r.BaseURL, r.KeyURL)
	if r.Priority != 0 {
		fmt.Fprintf(&b, "priority=%d\n", r.Priority)
	}
	return []byte(b.String()), nil
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool {
		return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029
	})
}
