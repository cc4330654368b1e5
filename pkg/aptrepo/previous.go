package aptrepo

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
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
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"

	"github.com/svcpack/svcpack/pkg/pgpsign"
)

// A repository grows: given the previous tree (Repository.Previous), the
// new one holds its debs besides the new ones (a folder with neither dists/
// nor pool/ is the empty start of one, see Fresh). The previous tree is
// trusted only as far as the key vouches for it: its InRelease must verify
// with the signer's public key, each Packages index must have the size and
// SHA-256 that InRelease gives it, and each deb of the pool the SHA-256
// that an index gives it, so that a deb put in the pool by hand (or
// changed there) is refused rather than republished under the key.

// Fresh reports whether the folder dir holds no repository yet: it has
// neither dists/ nor pool/ (the first release into an empty checkout of the
// branch or bucket that will serve the tree). A tree grown from such a
// folder holds the new debs alone; any other folder must be a signed tree.
func Fresh(dir string) bool {
	for _, sub := range []string{"dists", "pool"} {
		if _, err := os.Lstat(filepath.Join(dir, sub)); !errors.Is(err, fs.ErrNotExist) {
			return false
		}
	}
	return true
}

// PreviousPaths lists, as slash paths in the tree, the files of the
// previous tree in dir that a build growing from it may write: every .deb
// under pool/ and the Packages indexes of every binary-<arch> folder of
// suite and component. A missing dir lists nothing (Build reports it).
func PreviousPaths(dir, suite, component string) ([]string, error) {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	debs, err := poolDebs(dir)
	if err != nil {
		return nil, err
	}
	bin := path.Join("dists", suite, component)
	entries, err := os.ReadDir(filepath.Join(dir, filepath.FromSlash(bin)))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("aptrepo: previous tree: %w", err)
	}
	out := debs
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), "binary-") {
			for _, ext := range []string{"", ".gz", ".xz"} {
				out = append(out, path.Join(bin, e.Name(), "Packages"+ext))
			}
		}
	}
	return out, nil
}

// poolDebs lists every .deb under dir's pool/, as slash paths from dir.
func poolDebs(dir string) ([]string, error) {
	var out []string
	pool := filepath.Join(dir, "pool")
	err := filepath.WalkDir(pool, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == pool && errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() || !strings.HasSuffix(d.Name(), ".deb") {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("aptrepo: previous tree: %w", err)
	}
	return out, nil
}

// indexEntry is what a signed Packages index says of one deb.
type indexEntry struct {
	sha256 string
	size   string
	index  string // the index that lists it, for messages
}

// readPrevious verifies the previous tree and returns its debs, each
// placed at the path the tree has it (a published Filename never changes).
func (r Repository) readPrevious(signer *pgpsign.Signer) ([]deb, error) {
	dir := r.Previous
	where := func(format string, args ...any) error {
		return fmt.Errorf("aptrepo: previous tree %s: %s", dir, fmt.Sprintf(format, args...))
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, where("is not a folder: want the previous release's apt tree (a checkout of what serves it)")
	}
	if Fresh(dir) {
		return nil, nil
	}
	inRelease := path.Join("dists", r.Suite, "InRelease")
	signed, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(inRelease)))
	if err != nil {
		return nil, where("no %s: it is not an apt tree of suite %s (%v)", inRelease, r.Suite, err)
	}
	release, err := r.verify(signed, signer)
	if err != nil {
		return nil, where("%s: %v", inRelease, err)
	}
	fields, sums, err := parseRelease(release)
	if err != nil {
		return nil, where("%s: %v", inRelease, err)
	}
	for _, f := range []struct{ field, want string }{{"Suite", r.Suite}, {"Origin", r.Origin}} {
		if fields[f.field] != f.want {
			return nil, where("%s: %s is %q, this repository's is %q: it is another repository's tree",
				inRelease, f.field, fields[f.field], f.want)
		}
	}
	if !slices.Contains(strings.Fields(fields["Components"]), r.Component) {
		return nil, where("%s: Components is %q, without this repository's component %q",
			inRelease, fields["Components"], r.Component)
	}
	listed := map[string]indexEntry{}
	for _, arch := range strings.Fields(fields["Architectures"]) {
		name := path.Join(r.Component, "binary-"+arch, "Packages")
		file := path.Join("dists", r.Suite, name)
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(file)))
		if err != nil {
			return nil, where("%v", err)
		}
		if got := fmt.Sprintf("%x %d", sha256.Sum256(data), len(data)); got != sums[name] {
			return nil, where("%s is not the one InRelease signs (it lists %q, the file is %s)", file, sums[name], got)
		}
		if err := parsePackages(data, file, listed); err != nil {
			return nil, where("%v", err)
		}
	}
	files, err := poolDebs(dir)
	if err != nil {
		return nil, err
	}
	var out []deb
	for _, rel := range files {
		e, ok := listed[rel]
		if !ok {
			return nil, where("%s is in the pool but in no signed index: remove it, or publish it in a release", rel)
		}
		delete(listed, rel)
		host := filepath.Join(dir, filepath.FromSlash(rel))
		b, err := os.ReadFile(host)
		if err != nil {
			return nil, where("%v", err)
		}
		sum := sha256.Sum256(b)
		if got := hex.EncodeToString(sum[:]); got != e.sha256 || fmt.Sprint(len(b)) != e.size {
			return nil, where("%s is not the deb %s lists (SHA256 %s, size %s; the file has %s, %d)",
				rel, e.index, e.sha256, e.size, got, len(b))
		}
		c, err := readControl(b)
		if err != nil {
			return nil, where("%s: %v", rel, err)
		}
		if c.parsed, err = parseVersion(c.version); err != nil {
			return nil, where("%s: %v", rel, err)
		}
		out = append(out, deb{control: c, source: host, pool: rel, size: int64(len(b)), sha256: e.sha256})
	}
	if len(listed) > 0 {
		rel := slices.Sorted(maps.Keys(listed))[0]
		return nil, where("%s lists %s, which is not in the tree", listed[rel].index, rel)
	}
	return out, nil
}

// verify checks the clear-signed InRelease with the signer's public key
// and returns the text it signs. The key's validity is judged now, as apt
// judges it (the release's date may be older than the key); only the
// answer depends on the clock, never the tree's bytes.
func (r Repository) verify(signed []byte, signer *pgpsign.Signer) ([]byte, error) {
	pub, err := signer.PublicKeyBinary()
	if err != nil {
		return nil, err
	}
	keyring, err := openpgp.ReadKeyRing(bytes.NewReader(pub))
	if err != nil {
		return nil, fmt.Errorf("reading the public key: %w", err)
	}
	block, _ := clearsign.Decode(signed)
	if block == nil {
		return nil, errors.New("is not clear-signed (no PGP SIGNED MESSAGE)")
	}
	if _, err := block.VerifySignature(keyring, nil); err != nil {
		return nil, fmt.Errorf("does not verify with the configured key %s: %w", signer.KeyID(), err)
	}
	return block.Plaintext, nil
}

// parseRelease reads Release's single-line fields and its SHA256 list
// (path -> "sum size").
func parseRelease(text []byte) (map[string]string, map[string]string, error) {
	fields, sums := map[string]string{}, map[string]string{}
	list := ""
	sc := bufio.NewScanner(bytes.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, " ") {
			if f := strings.Fields(line); list == "SHA256" && len(f) == 3 {
				sums[f[2]] = f[0] + " " + f[1]
			}
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			return nil, nil, fmt.Errorf("line %q is not a field", line)
		}
		list = k
		fields[k] = strings.TrimSpace(v)
	}
	if len(sums) == 0 {
		return nil, nil, errors.New("lists no SHA256 sums")
	}
	return fields, sums, sc.Err()
}

// parsePackages adds each stanza of a Packages index to listed, by
// Filename; an arch "all" deb is in several indexes with the same sums.
func parsePackages(data []byte, file string, listed map[string]indexEntry) error {
	for i, stanza := range strings.Split(strings.TrimSpace(string(data)), "\n\n") {
		var name string
		e := indexEntry{index: file}
		for _, line := range strings.Split(stanza, "\n") {
			k, v, _ := strings.Cut(line, ":")
			v = strings.TrimSpace(v)
			switch k {
			case "Filename":
				name = v
			case "SHA256":
				e.sha256 = v
			case "Size":
				e.size = v
			}
		}
		if name == "" || e.sha256 == "" || e.size == "" {
			return fmt.Errorf("%s: stanza %d lacks Filename, Size or SHA256", file, i+1)
		}
		if name != path.Clean(name) || !strings.HasPrefix(name, "pool/") {
			return fmt.Errorf("%s: Filename %q is not a path under pool/", file, name)
		}
		if old, ok := listed[name]; ok && (old.sha256 != e.sha256 || old.size != e.size) {
			return fmt.Errorf("%s and %s list %s with different sums", old.index, file, name)
		}
		if _, ok := listed[name]; !ok {
			listed[name] = e
		}
	}
	return nil
}
