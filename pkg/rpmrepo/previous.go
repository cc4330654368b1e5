package rpmrepo

import (
	"bytes"
	"compress/gzip"
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
)

// DefaultKeep is how many versions of each package and arch a grown
// repository keeps when Grow is given no number.
const DefaultKeep = 5

// PackagesDir is the folder of the repository that holds its rpms; a
// grown repository lists rpms only there.
const PackagesDir = "packages/"

// Grow returns the rpms of a repository grown from the previous tree in
// dir (the previous release's repository, as served) by the added ones:
// the tree's rpms, each at its published location with its File in dir,
// and the added ones, the newest keep versions of each name and arch in
// rpm's version order (CompareVersions; keep <= 0 is DefaultKeep), sorted
// by location. Metadata over them remakes the indexes; the caller copies
// each rpm's File to its Href. Grow writes nothing.
//
// The tree is trusted only as far as publicKey (an OpenPGP public key,
// binary or armored) vouches for it: repodata/repomd.xml.asc must verify
// repomd.xml with it, primary.xml.gz must have the SHA-256 and size
// repomd.xml gives it, and every rpm primary.xml lists must be in the tree
// under packages/ with the SHA-256 it gives. An rpm under packages/ that
// primary.xml does not list is refused, as is an added rpm of a name,
// epoch, version, release and arch the tree has with other bytes (a
// repository never changes a published package) and one older than the
// versions kept; an added rpm the tree has with the same bytes is the
// published one.
func Grow(dir string, publicKey []byte, added []RPM, keep int) ([]RPM, error) {
	if keep <= 0 {
		keep = DefaultKeep
	}
	prev, err := readPrevious(dir, publicKey)
	if err != nil {
		return nil, err
	}
	pkgs, err := readAll(added)
	if err != nil {
		return nil, err
	}
	for _, p := range pkgs {
		if !inPackages(p.href) {
			return nil, fmt.Errorf("rpmrepo: %s: location %q is not a clean path under %s, where a grown "+
				"repository keeps its rpms: place it there", p.file, p.href, PackagesDir)
		}
	}
	all, isNew, err := merge(dir, prev, pkgs)
	if err != nil {
		return nil, err
	}
	kept, err := keepAdded(all, isNew, keep)
	if err != nil {
		return nil, err
	}
	out := make([]RPM, len(kept))
	for i, p := range kept {
		out[i] = RPM{File: p.file, Href: p.href, SHA256: p.checksum}
	}
	return out, nil
}

// keepAdded returns the newest keep versions of each name and arch,
// sorted by location, refusing to drop an added rpm (at a location of
// isNew): the release would not publish it.
func keepAdded(all []*pkg, isNew map[string]bool, keep int) ([]*pkg, error) {
	kept := keepNewest(all, keep)
	for _, p := range kept {
		delete(isNew, p.href)
	}
	if len(isNew) > 0 {
		return nil, fmt.Errorf("rpmrepo: %s is older than the %d newest versions of its package and arch that "+
			"the repository keeps, so the release would not publish it: raise keep, or release a newer version",
			slices.Sorted(maps.Keys(isNew))[0], keep)
	}
	slices.SortFunc(kept, func(a, b *pkg) int { return strings.Compare(a.href, b.href) })
	return kept, nil
}

// inPackages reports whether href is a clean relative path under
// packages/, as a grown repository's rpms are.
func inPackages(href string) bool {
	return relativeHref(href) && path.Clean(href) == href && strings.HasPrefix(href, PackagesDir)
}

// Fresh reports whether the folder dir holds no repository yet: it has
// neither repodata/ nor packages/ (the first release into an empty
// checkout of the branch or bucket that will serve the tree). Grow from
// such a folder returns the added rpms alone; any other folder must be a
// signed tree.
func Fresh(dir string) bool {
	for _, sub := range []string{"repodata", strings.TrimSuffix(PackagesDir, "/")} {
		if _, err := os.Lstat(filepath.Join(dir, sub)); !errors.Is(err, fs.ErrNotExist) {
			return false
		}
	}
	return true
}

// PreviousPaths lists, as slash paths in the tree, the rpms that a
// repository grown from the previous tree in dir may copy from it: every
// .rpm under its packages/ folder. It reads only file names and verifies
// nothing (Grow does); a dir that is missing or not a folder lists nothing
// (Grow reports it).
func PreviousPaths(dir string) ([]string, error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, nil
	}
	return packageFiles(dir)
}

// packageFiles lists every .rpm under dir's packages/, as slash paths from
// dir, sorted.
func packageFiles(dir string) ([]string, error) {
	var out []string
	root := filepath.Join(dir, filepath.FromSlash(PackagesDir))
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root && errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() || !strings.HasSuffix(d.Name(), ".rpm") {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		out = append(out, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("rpmrepo: previous tree %s: %w", dir, err)
	}
	slices.Sort(out)
	return out, nil
}

// previous is a previous tree being read: its folder and the key that
// must vouch for it.
type previous struct {
	dir     string
	keyring openpgp.EntityList
}

// fail is an error about the previous tree.
func (t previous) fail(format string, args ...any) error {
	return fmt.Errorf("rpmrepo: previous tree %s: %s", t.dir, fmt.Sprintf(format, args...))
}

// readPrevious verifies the previous tree in dir and returns its rpms.
func readPrevious(dir string, publicKey []byte) ([]*pkg, error) {
	t := previous{dir: dir}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, t.fail("is not a folder: want the previous release's dnf repository " +
			"(a checkout of what serves it)")
	}
	if Fresh(dir) {
		return nil, nil
	}
	var err error
	if t.keyring, err = readKey(publicKey); err != nil {
		return nil, fmt.Errorf("rpmrepo: the key to check the previous tree with: %w", err)
	}
	repomd, err := t.readRepomd()
	if err != nil {
		return nil, err
	}
	listed, err := t.readPrimary(repomd)
	if err != nil {
		return nil, err
	}
	return t.readListed(listed)
}

// readKey reads an OpenPGP public key, armored or binary.
func readKey(key []byte) (openpgp.EntityList, error) {
	if len(bytes.TrimSpace(key)) == 0 {
		return nil, errors.New("no public key was given: configure the key that signs the repository")
	}
	read := openpgp.ReadKeyRing
	if bytes.Contains(key, []byte("-----BEGIN PGP")) {
		read = openpgp.ReadArmoredKeyRing
	}
	keyring, err := read(bytes.NewReader(key))
	if err == nil && len(keyring) == 0 {
		err = errors.New("no key in it")
	}
	if err != nil {
		return nil, fmt.Errorf("reading the public key: %w", err)
	}
	return keyring, nil
}

// readRepomdXML is repomd.xml as the previous tree has it.
type readRepomdXML struct {
	XMLName xml.Name  `xml:"http://linux.duke.edu/metadata/repo repomd"`
	Data    []xmlData `xml:"data"`
}

// readRepomd reads repomd.xml, verifies its signature and returns it.
func (t previous) readRepomd() (readRepomdXML, error) {
	var md readRepomdXML
	data, err := os.ReadFile(filepath.Join(t.dir, filepath.FromSlash(RepomdPath)))
	if errors.Is(err, fs.ErrNotExist) {
		return md, t.fail("is not a dnf repository (it has no %s): want the previous release's tree "+
			"(a checkout of what serves it), with repodata/ and %s", RepomdPath, PackagesDir)
	}
	if err != nil {
		return md, t.fail("%v", err)
	}
	sig, err := os.ReadFile(filepath.Join(t.dir, filepath.FromSlash(SignaturePath)))
	if errors.Is(err, fs.ErrNotExist) {
		return md, t.fail("%s is not signed (it has no %s): a repository grows only from a tree its key "+
			"signs; restore the tree as published, or start without it", RepomdPath, SignaturePath)
	}
	if err != nil {
		return md, t.fail("%v", err)
	}
	_, err = openpgp.CheckArmoredDetachedSignature(t.keyring, bytes.NewReader(data), bytes.NewReader(sig), nil)
	if err != nil {
		return md, t.fail("%s does not verify %s with the configured key %s (%v): the tree was changed or "+
			"another key signed it; restore it as published, or configure the key that signs it",
			SignaturePath, RepomdPath, t.keyring[0].PrimaryKey.KeyIdString(), err)
	}
	if err := xml.Unmarshal(data, &md); err != nil {
		return md, t.fail("%s: %v", RepomdPath, err)
	}
	return md, nil
}

// listing is what primary.xml says of one rpm.
type listing struct {
	Name     string      `xml:"name"`
	Arch     string      `xml:"arch"`
	Checksum xmlChecksum `xml:"checksum"`
	Location struct {
		Href string `xml:"href,attr"`
		Base string `xml:"http://www.w3.org/XML/1998/namespace base,attr"`
	} `xml:"location"`
}

// readPrimary checks primary.xml.gz against repomd.xml and returns its
// rpms by location.
func (t previous) readPrimary(md readRepomdXML) (map[string]listing, error) {
	i := slices.IndexFunc(md.Data, func(d xmlData) bool { return d.Type == "primary" })
	if i < 0 || slices.ContainsFunc(md.Data[i+1:], func(d xmlData) bool { return d.Type == "primary" }) {
		return nil, t.fail("%s lists no primary metadata, or more than one: restore the tree as published",
			RepomdPath)
	}
	d := md.Data[i]
	href := d.Location.Href
	if !relativeHref(href) || d.Checksum.Type != "sha256" {
		return nil, t.fail("%s lists primary metadata at %q with a %q checksum: want a path in the tree "+
			"and sha256", RepomdPath, href, d.Checksum.Type)
	}
	data, err := os.ReadFile(filepath.Join(t.dir, filepath.FromSlash(href)))
	if err != nil {
		return nil, t.fail("%v: restore the tree as published", err)
	}
	if got := sum(data); got != d.Checksum.Value || int64(len(data)) != d.Size {
		return nil, t.fail("%s is not the one %s signs (it lists sha256 %s, size %d; the file has %s, %d): "+
			"restore the tree as published", href, RepomdPath, d.Checksum.Value, d.Size, got, len(data))
	}
	return t.parsePrimary(href, data)
}

// parsePrimary reads the rpms primary.xml.gz lists, refusing a location
// outside packages/ or listed twice.
func (t previous) parsePrimary(href string, data []byte) (map[string]listing, error) {
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, t.fail("%s is not gzip-compressed (%v): svcpack grows repositories whose primary "+
			"metadata is", href, err)
	}
	var primary struct {
		Packages []listing `xml:"package"`
	}
	if err := xml.NewDecoder(gz).Decode(&primary); err != nil {
		return nil, t.fail("%s: %v", href, err)
	}
	listed := map[string]listing{}
	for _, l := range primary.Packages {
		loc := l.Location.Href
		switch {
		case l.Location.Base != "" || !inPackages(loc):
			return nil, t.fail("%s lists %s at %q, which is not a clean path under %s: a grown repository "+
				"holds its rpms there", href, l.Name, loc, PackagesDir)
		case l.Checksum.Type != "sha256":
			return nil, t.fail("%s lists %s with a %q checksum: want sha256", href, loc, l.Checksum.Type)
		}
		if _, ok := listed[loc]; ok {
			return nil, t.fail("%s lists %s twice: restore the tree as published", href, loc)
		}
		listed[loc] = l
	}
	return listed, nil
}

// readListed reads the rpms primary.xml lists, after checking that the
// tree's packages/ holds those and no others, each with its checksum.
func (t previous) readListed(listed map[string]listing) ([]*pkg, error) {
	files, err := packageFiles(t.dir)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		if _, ok := listed[f]; !ok {
			return nil, t.fail("%s is in %s but in no signed %s: remove it, or publish it in a release",
				f, PackagesDir, PrimaryPath)
		}
	}
	var out []*pkg
	for _, href := range slices.Sorted(maps.Keys(listed)) {
		if _, found := slices.BinarySearch(files, href); !found {
			return nil, t.fail("%s lists %s, which is not in the tree: restore it from the release that "+
				"published it", PrimaryPath, href)
		}
		p, err := readRPM(filepath.Join(t.dir, filepath.FromSlash(href)), href)
		if err != nil {
			return nil, t.fail("%v", err)
		}
		if want := listed[href].Checksum.Value; p.checksum != want {
			return nil, t.fail("%s is not the rpm %s lists (sha256 %s; the file has %s): restore it as "+
				"published", href, PrimaryPath, want, p.checksum)
		}
		out = append(out, p)
	}
	return out, nil
}

// merge joins the previous tree's rpms and the added ones, and returns
// them with the locations of the added ones. An added rpm the tree has
// (same name, epoch, version, release and arch) must be the same bytes,
// and stays the published one.
func merge(dir string, prev, added []*pkg) ([]*pkg, map[string]bool, error) {
	byKey, byHref := map[string]*pkg{}, map[string]*pkg{}
	for _, p := range prev {
		if old, ok := byKey[p.nevra()]; ok {
			return nil, nil, fmt.Errorf("rpmrepo: previous tree %s: %s and %s are both %s: remove one",
				dir, old.href, p.href, p.nevra())
		}
		byKey[p.nevra()], byHref[p.href] = p, p
	}
	all := slices.Clone(prev)
	isNew := map[string]bool{}
	for _, p := range added {
		if old, ok := byKey[p.nevra()]; ok {
			if old.checksum != p.checksum {
				return nil, nil, fmt.Errorf("rpmrepo: %s is %s, which the previous tree %s already has as %s with "+
					"other bytes (sha256 %s, not %s): a repository never changes a published package; "+
					"release a new version", p.file, p.nevra(), dir, old.file, old.checksum, p.checksum)
			}
			isNew[old.href] = true
			continue
		}
		if old, ok := byHref[p.href]; ok {
			return nil, nil, fmt.Errorf("rpmrepo: %s would replace %s of the previous tree %s, which is %s: "+
				"give it another file name", p.file, p.href, dir, old.nevra())
		}
		isNew[p.href] = true
		all = append(all, p)
	}
	return all, isNew, nil
}

// keepNewest returns the newest keep versions of each name and arch.
func keepNewest(pkgs []*pkg, keep int) []*pkg {
	sorted := slices.Clone(pkgs)
	slices.SortFunc(sorted, func(a, b *pkg) int { return -compareNewest(a, b) })
	count := map[string]int{}
	var out []*pkg
	for _, p := range sorted {
		if key := p.name + "." + p.arch; count[key] < keep {
			count[key]++
			out = append(out, p)
		}
	}
	return out
}

// compareNewest orders rpms by name and arch, then rpm's version order,
// then (for versions rpm deems equal, 1.01 and 1.1) the text and location.
func compareNewest(a, b *pkg) int {
	for _, c := range []int{
		strings.Compare(a.name, b.name), strings.Compare(a.arch, b.arch),
		a.evr().compare(b.evr()), strings.Compare(a.version, b.version),
		strings.Compare(a.release, b.release), strings.Compare(a.href, b.href),
	} {
		if c != 0 {
			return c
		}
	}
	return 0
}

// evr is the package's version.
func (p *pkg) evr() evr {
	return evr{epoch: p.epoch, version: p.version, release: p.release, hasRelease: true}
}
