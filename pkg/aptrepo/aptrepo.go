// Package aptrepo writes a signed apt repository of deb packages as a
// static tree that any web server or object store can serve:
//
//	pool/<component>/<l>/<name>/<file>.deb
//	dists/<suite>/<component>/binary-<arch>/Packages (.gz, .xz)
//	dists/<suite>/Release, InRelease, Release.gpg
//	<key>.gpg, <key>.asc
//
// Each Packages index holds the control stanza of every deb of its
// architecture (arch "all" debs are in every index) with the deb's
// Filename, Size and SHA256. Release lists every index, compressed or not,
// with its size and SHA-256 (apt needs the uncompressed index's sums even
// when it fetches a compressed one, and no longer trusts MD5, so none is
// written); by-hash files are not written, so Release does not announce
// Acquire-By-Hash. InRelease is Release clear-signed, Release.gpg its
// armored detached signature, and the public key is written binary (for
// Signed-By) and armored.
//
// A repository grows: Build given the previous tree (Repository.Previous)
// keeps its debs besides the new ones, the newest Keep versions of each
// package and architecture (in Debian's version order), and remakes every
// index from all of them. A published deb never changes: one of the same
// package, version and architecture with other bytes is refused.
//
// The tree depends only on its inputs: the debs, the previous tree, the
// repository's fields and the key, with the date given (never the clock); the compressors write
// no names or times, and the signatures are pkg/pgpsign's reproducible
// ones.
package aptrepo

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/ulikunitz/xz"

	"github.com/svcpack/svcpack/pkg/archive"
	"github.com/svcpack/svcpack/pkg/pgpsign"
)

// Repository describes the repository; its zero fields take defaults.
type Repository struct {
	// Suite is the folder under dists/ and Release's Suite (default
	// "stable").
	Suite string
	// Codename is Release's Codename (default: Suite).
	Codename string
	// Component is the one component (default "main").
	Component string
	// Origin and Label name the repository in Release (apt preferences
	// pin on them); Label defaults to Origin.
	Origin, Label string
	// Date is Release's Date (the release date).
	Date time.Time
	// KeyName is the base name of the public key files (<KeyName>.gpg
	// and .asc).
	KeyName string
	// Previous is the host folder of the tree this one grows from (the
	// previous release's, as served), or "" for a tree of the new debs
	// alone. It is read, never written.
	Previous string
	// Keep is how many versions of each package and architecture the
	// tree keeps (default DefaultKeep).
	Keep int
}

// DefaultKeep is how many versions of each package and architecture a
// tree keeps when Repository.Keep is zero.
const DefaultKeep = 5

// File is one file of the tree: its content, or for a deb in the pool the
// host file to copy.
type File struct {
	// Path is the file's path in the tree, with forward slashes.
	Path string
	// Data is the content, when Source is empty.
	Data []byte
	// Source is the host path of a deb the pool holds unchanged.
	Source string
	// SHA256 is the hex SHA-256 that Source had when Build read it, and
	// that the indexes list: WriteTo refuses a Source that has changed
	// since.
	SHA256 string
}

// WriteTo writes the file's content to w: Data, or the bytes of Source,
// which must still have the SHA-256 Build read (a deb swapped between
// Build and the copy is refused, not published under the indexes that name
// the one Build read).
func (f File) WriteTo(w io.Writer) (int64, error) {
	if f.Source == "" {
		n, err := w.Write(f.Data)
		return int64(n), err
	}
	src, err := os.Open(f.Source)
	if err != nil {
		return 0, fmt.Errorf("aptrepo: %w", err)
	}
	defer src.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), src)
	if err != nil {
		return n, fmt.Errorf("aptrepo: %s: %w", f.Source, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); f.SHA256 != "" && got != f.SHA256 {
		return n, fmt.Errorf("aptrepo: %s changed while the repository was written (SHA-256 %s, was %s): "+
			"nothing may write the debs or the previous tree during a release", f.Source, got, f.SHA256)
	}
	return n, nil
}

// word is what suites, components, origins and key names may be: one
// word that is safe as a path element and in Release.
var word = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.+_~-]*$`)

// deb is one package of the repository.
type deb struct {
	control
	source, pool string
	size         int64
	sha256       string
}

func (r Repository) withDefaults() Repository {
	r.Suite = orDefault(r.Suite, "stable")
	r.Codename = orDefault(r.Codename, r.Suite)
	r.Component = orDefault(r.Component, "main")
	r.Label = orDefault(r.Label, r.Origin)
	if r.Keep == 0 {
		r.Keep = DefaultKeep
	}
	return r
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func (r Repository) check() error {
	for _, f := range []struct{ name, value string }{
		{"suite", r.Suite}, {"codename", r.Codename}, {"component", r.Component}, {"origin", r.Origin},
		{"label", r.Label}, {"key name", r.KeyName},
	} {
		if !word.MatchString(f.value) {
			return fmt.Errorf("aptrepo: %s %q: want a word of letters, digits and . + _ ~ -", f.name, f.value)
		}
	}
	if r.Date.IsZero() {
		return errors.New("aptrepo: no date for Release")
	}
	if r.Keep < 1 {
		return fmt.Errorf("aptrepo: keep %d: want at least 1 version of each package", r.Keep)
	}
	return nil
}

// Build reads the debs (host paths) and returns the repository's tree,
// sorted by path, signed by signer. With r.Previous, the tree also holds
// the previous tree's debs (at their paths there), after every check on it
// has passed; nothing is read from it but pool/ and the signed indexes.
func (r Repository) Build(debs []string, signer *pgpsign.Signer) ([]File, error) {
	r = r.withDefaults()
	if err := r.check(); err != nil {
		return nil, err
	}
	if signer == nil {
		return nil, errors.New("aptrepo: a repository must be signed, and no key was given")
	}
	if len(debs) == 0 {
		return nil, errors.New("aptrepo: no debs")
	}
	pkgs, err := r.readDebs(debs)
	if err != nil {
		return nil, err
	}
	if r.Previous != "" {
		prev, err := r.readPrevious(signer)
		if err != nil {
			return nil, err
		}
		if pkgs, err = r.grow(prev, pkgs); err != nil {
			return nil, err
		}
	}
	var files []File
	for _, d := range pkgs {
		files = append(files, File{Path: d.pool, Source: d.source, SHA256: d.sha256})
	}
	indexes, err := r.indexes(pkgs)
	if err != nil {
		return nil, err
	}
	files = append(files, indexes...)
	release := r.release(pkgs, indexes)
	signed, err := r.sign(release, signer)
	if err != nil {
		return nil, err
	}
	files = append(files, signed...)
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	return files, nil
}

// CheckPrevious makes every check Build makes on the previous tree (its
// signature, indexes and pool), so that check refuses what a release
// would; with no previous tree it checks nothing.
func (r Repository) CheckPrevious(signer *pgpsign.Signer) error {
	r = r.withDefaults()
	if r.Previous == "" {
		return nil
	}
	if err := r.check(); err != nil {
		return err
	}
	_, err := r.readPrevious(signer)
	return err
}

// readDebs reads each deb's control file and digest, and refuses two debs
// of one file name or of one package, version and architecture.
func (r Repository) readDebs(paths []string) ([]deb, error) {
	var out []deb
	seen := map[string]string{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("aptrepo: %w", err)
		}
		c, err := readControl(b)
		if err != nil {
			return nil, fmt.Errorf("aptrepo: %s: %w", p, err)
		}
		if c.parsed, err = parseVersion(c.version); err != nil {
			return nil, fmt.Errorf("aptrepo: %s: %w", p, err)
		}
		sum := sha256.Sum256(b)
		d := deb{control: c, source: p, size: int64(len(b)), sha256: hex.EncodeToString(sum[:])}
		d.pool = path.Join("pool", r.Component, PoolPrefix(c.name), c.name, filepath.Base(p))
		for _, key := range []string{d.pool, c.name + " " + c.version + " " + c.architecture} {
			if other, ok := seen[key]; ok {
				return nil, fmt.Errorf("aptrepo: %s and %s are both %s", other, p, key)
			}
			seen[key] = p
		}
		out = append(out, d)
	}
	sortDebs(out)
	return out, nil
}

// sortDebs orders debs by name, version (Debian's order, then the
// version's text, which tells 1.0 from 1.0-0) and architecture.
func sortDebs(debs []deb) {
	slices.SortFunc(debs, func(a, b deb) int {
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		if c := a.parsed.compare(b.parsed); c != 0 {
			return c
		}
		if c := strings.Compare(a.version, b.version); c != 0 {
			return c
		}
		return strings.Compare(a.architecture, b.architecture)
	})
}

// grow merges the previous tree's debs and the new ones: a new deb that
// the tree already has (same package, version and architecture) must be
// the same bytes, and is kept at its published path; then each package
// and architecture keeps its newest r.Keep versions. A new deb that would
// not be kept is refused: the release would publish nothing of it.
func (r Repository) grow(prev, added []deb) ([]deb, error) {
	byKey, byPath := map[string]deb{}, map[string]deb{}
	for _, d := range prev {
		if old, ok := byKey[d.key()]; ok {
			return nil, fmt.Errorf("aptrepo: previous tree %s: %s and %s are both %s", r.Previous, old.pool, d.pool, d.key())
		}
		byKey[d.key()], byPath[d.pool] = d, d
	}
	all := slices.Clone(prev)
	isNew := map[string]bool{}
	for _, d := range added {
		if old, ok := byKey[d.key()]; ok {
			if old.sha256 != d.sha256 {
				return nil, fmt.Errorf("aptrepo: %s is %s, which the previous tree already has as %s with other "+
					"bytes (SHA256 %s, not %s): a repository never changes a published package; "+
					"release a new version", d.source, d.key(), old.pool, old.sha256, d.sha256)
			}
			isNew[old.pool] = true
			continue
		}
		if old, ok := byPath[d.pool]; ok {
			return nil, fmt.Errorf("aptrepo: %s would replace %s of the previous tree, which is %s",
				d.source, d.pool, old.key())
		}
		isNew[d.pool] = true
		all = append(all, d)
	}
	sortDebs(all)
	var out []deb
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].name == all[i].name {
			j++
		}
		out = append(out, r.keepNewest(all[i:j])...)
		i = j
	}
	for _, d := range out {
		delete(isNew, d.pool)
	}
	if len(isNew) > 0 {
		p := slices.Sorted(maps.Keys(isNew))[0]
		return nil, fmt.Errorf("aptrepo: %s is older than the %d newest versions of its package and architecture "+
			"that the tree keeps, so the release would not publish it: raise keep, or release a newer version",
			p, r.Keep)
	}
	sortDebs(out)
	return out, nil
}

// keepNewest returns the newest r.Keep versions of each architecture of
// one package's debs (sorted by version).
func (r Repository) keepNewest(debs []deb) []deb {
	count := map[string]int{}
	var out []deb
	for i := len(debs) - 1; i >= 0; i-- {
		d := debs[i]
		if count[d.architecture] < r.Keep {
			count[d.architecture]++
			out = append(out, d)
		}
	}
	return out
}

// key names a deb by package, version and architecture.
func (d deb) key() string { return d.name + " " + d.version + " " + d.architecture }

// PoolPrefix is the pool's folder for a package name: its first letter,
// or for lib* packages the first four, as Debian's archive has them.
func PoolPrefix(name string) string {
	if strings.HasPrefix(name, "lib") && len(name) > 3 {
		return name[:4]
	}
	return name[:1]
}

// architectures are the architectures the repository has indexes for:
// every deb's, "all" only when no other is there.
func architectures(pkgs []deb) []string {
	set := map[string]bool{}
	for _, d := range pkgs {
		if d.architecture != "all" {
			set[d.architecture] = true
		}
	}
	if len(set) == 0 {
		set["all"] = true
	}
	return slices.Sorted(maps.Keys(set))
}

// indexes returns each architecture's Packages, Packages.gz and
// Packages.xz.
func (r Repository) indexes(pkgs []deb) ([]File, error) {
	var files []File
	for _, arch := range architectures(pkgs) {
		var b bytes.Buffer
		for _, d := range pkgs {
			if d.architecture != arch && d.architecture != "all" {
				continue
			}
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			fmt.Fprintf(&b, "%sFilename: %s\nSize: %d\nSHA256: %s\n", d.text, d.pool, d.size, d.sha256)
		}
		dir := path.Join("dists", r.Suite, r.Component, "binary-"+arch)
		gz, err := compress(b.Bytes(), func(w io.Writer) (io.WriteCloser, error) { return archive.NewGzip(w), nil })
		if err != nil {
			return nil, fmt.Errorf("aptrepo: %s/Packages.gz: %w", dir, err)
		}
		xzb, err := compress(b.Bytes(), func(w io.Writer) (io.WriteCloser, error) { return xz.NewWriter(w) })
		if err != nil {
			return nil, fmt.Errorf("aptrepo: %s/Packages.xz: %w", dir, err)
		}
		files = append(files, File{Path: dir + "/Packages", Data: b.Bytes()},
			File{Path: dir + "/Packages.gz", Data: gz}, File{Path: dir + "/Packages.xz", Data: xzb})
	}
	return files, nil
}

func compress(data []byte, open func(io.Writer) (io.WriteCloser, error)) ([]byte, error) {
	var b bytes.Buffer
	w, err := open(&b)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// release is the text of dists/<suite>/Release over the indexes.
func (r Repository) release(pkgs []deb, indexes []File) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Origin: %s\nLabel: %s\nSuite: %s\nCodename: %s\nDate: %s\n", r.Origin, r.Label, r.Suite,
		r.Codename, r.Date.UTC().Format("Mon, 02 Jan 2006 15:04:05 UTC"))
	fmt.Fprintf(&b, "Architectures: %s\nComponents: %s\nSHA256:\n", strings.Join(architectures(pkgs), " "), r.Component)
	prefix := path.Join("dists", r.Suite) + "/"
	for _, f := range indexes {
		sum := sha256.Sum256(f.Data)
		fmt.Fprintf(&b, " %x %8d %s\n", sum, len(f.Data), strings.TrimPrefix(f.Path, prefix))
	}
	return b.Bytes()
}

// sign returns Release, InRelease, Release.gpg and the public key files.
func (r Repository) sign(release []byte, signer *pgpsign.Signer) ([]File, error) {
	in, err := signer.SignCleartext(release)
	if err != nil {
		return nil, fmt.Errorf("aptrepo: InRelease: %w", err)
	}
	detached, err := signer.SignArmored(bytes.NewReader(release))
	if err != nil {
		return nil, fmt.Errorf("aptrepo: Release.gpg: %w", err)
	}
	bin, err := signer.PublicKeyBinary()
	if err != nil {
		return nil, fmt.Errorf("aptrepo: public key: %w", err)
	}
	asc, err := signer.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("aptrepo: public key: %w", err)
	}
	dir := path.Join("dists", r.Suite)
	return []File{
		{Path: dir + "/Release", Data: release}, {Path: dir + "/InRelease", Data: in},
		{Path: dir + "/Release.gpg", Data: detached},
		{Path: r.KeyName + ".gpg", Data: bin}, {Path: r.KeyName + ".asc", Data: asc},
	}, nil
}

// WriteDir writes the tree into dir (which it makes), copying the pool's
// debs.
func WriteDir(dir string, files []File) error {
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("aptrepo: %w", err)
		}
		var data bytes.Buffer
		if _, err := f.WriteTo(&data); err != nil {
			return err
		}
		if err := os.WriteFile(p, data.Bytes(), 0o644); err != nil {
			return fmt.Errorf("aptrepo: %w", err)
		}
	}
	return nil
}
