package release

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/packager"
	"github.com/svcpack/svcpack/pkg/platform"
)

// Incremental releases.
//
// Every job (one packager for one target) is recorded with a key: the
// SHA-256 of everything its artifacts are made from, derived from what the
// packager declares (Packager.Reads and Uses), never assembled by hand:
// the projection of the spec onto the declared fields (as JSON), the
// content of every file those fields name, the content of the artifacts it
// uses, the target, and the identity of svcpack itself (its executable's Go
// build ID). The raw binaries are built by go build into the cache
// directory, where go's own up-to-date check leaves them untouched when
// nothing Go sees has changed; the binary's content then stands for "source
// file hashes as Go sees them", the toolchain and the flags.
//
// Nothing is trusted by its size and time. A job whose key equals the
// previous release's reuses its files from dist/ (hard links, so nothing is
// rewritten) only when each still has the recorded SHA-256; a raw binary
// counts only when go build has just created it, relinked it (a new Go
// build ID), or it still has the digest recorded when go build last wrote
// it (raw.json): one edited in the cache with its build ID intact, or one
// the cache has no record of, is removed and built again. -force removes
// the raw binaries first, so go build links them anew.

// cacheVersion changes when the state format or key recipe changes.
const cacheVersion = 3

// state is the cache's record of the last release, in <cache>/state.json.
type state struct {
	Version int `json:"version"`
	// Jobs maps "packager target" to the job's key and artifacts.
	Jobs map[string]jobRecord `json:"jobs"`
}

// jobRecord is one job of the last release.
type jobRecord struct {
	Key       string     `json:"key"`
	Artifacts []Artifact `json:"artifacts"`
}

func jobID(pk *packager.Packager, t platform.Target) string { return pk.Name + " " + targetString(t) }

// rawRecord is a raw go build output as go build last wrote it, in
// <cache>/raw.json (Build and Release both keep it).
type rawRecord struct {
	BuildID string `json:"buildid"`
	SHA256  string `json:"sha256"`
}

// cache is the incremental state of one run.
type cache struct {
	dir    string // <parent>/.<dist>.cache
	dist   string // the previous release, being replaced
	force  bool   // reuse nothing
	relink bool   // remove the raw go build outputs first (-force)
	tool   string // svcpack's own identity

	prev state

	mu      sync.Mutex
	next    state
	raw     map[string]rawRecord // by host path
	digests map[string]string    // this run's file digests, by host path
}

// CacheDir is where a release into dist keeps what the next incremental
// release needs (the raw binaries, state.json, raw.json): .dist.cache
// beside dist (config.CacheDir, which Load keeps inside the project).
func CacheDir(dist string) string { return config.CacheDir(dist) }

// openCache reads the previous state; a missing or unreadable state means
// a full release.
func openCache(dist string) (*cache, error) {
	c := &cache{
		dir: CacheDir(dist), dist: dist,
		next: state{Version: cacheVersion, Jobs: map[string]jobRecord{}},
		raw:  map[string]rawRecord{}, digests: map[string]string{},
	}
	if err := checkCacheOwned(c.dir); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	if err := writeMarker(c.dir, cacheMarker); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	if b, err := os.ReadFile(filepath.Join(c.dir, "state.json")); err == nil {
		if json.Unmarshal(b, &c.prev) != nil || c.prev.Version != cacheVersion {
			c.prev = state{}
		}
	}
	if b, err := os.ReadFile(filepath.Join(c.dir, "raw.json")); err == nil {
		if json.Unmarshal(b, &c.raw) != nil {
			c.raw = map[string]rawRecord{}
		}
	}
	c.tool = c.toolID()
	if c.tool == "" {
		// Without svcpack's own identity a newer svcpack could reuse what
		// an older one made: make everything.
		c.force = true
	}
	return c, nil
}

// toolID identifies the running svcpack (see executableID).
func (c *cache) toolID() string { return executableID() }

// executableID identifies the running svcpack: its executable's Go build
// ID (which changes with any change to its code or dependencies), or the
// executable's digest when the build ID cannot be read; "" when neither
// can be had.
func executableID() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	if id := goBuildID(exe); id != "" {
		return "buildid:" + id
	}
	if sum, _, err := hashFile(exe); err == nil {
		return "sha256:" + sum
	}
	return ""
}

// goBuildID reads the Go build ID of an executable, or "" if there is
// none: on ELF from its .note.go.buildid note, elsewhere (PE, Mach-O) from
// the marker the linker writes near the start of the text.
func goBuildID(path string) string {
	if id, isELF := elfBuildID(path); isELF {
		return id
	}
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	n, _ := io.ReadFull(f, buf)
	buf = buf[:n]
	const start, end = "\xff Go build ID: \"", "\"\n \xff"
	i := bytes.Index(buf, []byte(start))
	if i < 0 {
		return ""
	}
	rest := buf[i+len(start):]
	j := bytes.Index(rest, []byte(end))
	if j < 0 {
		return ""
	}
	return string(rest[:j])
}

// elfBuildID reads the Go build ID note of an ELF file; isELF is false for
// other files.
func elfBuildID(path string) (id string, isELF bool) {
	f, err := elf.Open(path)
	if err != nil {
		return "", false
	}
	defer f.Close()
	sec := f.Section(".note.go.buildid")
	if sec == nil {
		return "", true
	}
	b, err := sec.Data()
	if err != nil || len(b) < 16 {
		return "", true
	}
	// An ELF note: name size, description size, type, name (padded to 4).
	bo := f.ByteOrder
	namesz, descsz, typ := bo.Uint32(b), bo.Uint32(b[4:]), bo.Uint32(b[8:])
	const goBuildIDNote = 4
	off := 12 + (uint64(namesz)+3)&^3
	if typ != goBuildIDNote || namesz != 4 || string(b[12:14]) != "Go" || off+uint64(descsz) > uint64(len(b)) {
		return "", true
	}
	return string(b[off : off+uint64(descsz)]), true
}

// fileDigest returns the SHA-256 of a file's content, read once per run;
// for a directory (an OCI image layout), of its tree (hashTree).
func (c *cache) fileDigest(path string) (string, error) {
	c.mu.Lock()
	sum, ok := c.digests[path]
	c.mu.Unlock()
	if ok {
		return sum, nil
	}
	sum, err := pathDigest(path)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	c.digests[path] = sum
	c.mu.Unlock()
	return sum, nil
}

// pathDigest is the SHA-256 of a file's content, or of a directory's tree
// (an OCI image layout named by oci.base, a previous repository tree), or
// "absent" for a path that does not exist.
func pathDigest(path string) (string, error) {
	st, err := os.Stat(path)
	if err == nil && st.IsDir() {
		return hashTree(path)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return "absent", nil // a previous tree not made yet (Load refuses any other missing path)
	}
	sum, _, err := hashFile(path)
	return sum, err
}

// hashTree is the SHA-256 of a directory's tree: every entry's slash path
// (in WalkDir's lexical order), its type, and a file's
// content digest or a symbolic link's target.
func hashTree(dir string) (string, error) {
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		what := ""
		switch {
		case d.Type().IsRegular():
			if what, _, err = hashFile(p); err != nil {
				return err
			}
		case d.Type()&os.ModeSymlink != 0:
			if what, err = os.Readlink(p); err != nil {
				return err
			}
		}
		// The entry's type, not its permissions: those follow the umask
		// and the OS of the checkout, and no reader of the tree (an OCI
		// layout) looks at them, so parts from other machines agree.
		fmt.Fprintf(h, "%q %v %q\n", filepath.ToSlash(rel), d.Type(), what)
		return nil
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// trustRaw decides whether the raw go build output at path may be used,
// right after go build ran. go build relinks a binary exactly when its Go
// build ID changes, and otherwise leaves (or merely touches) the file
// there. So the file is trusted when its build ID differs from the one
// recorded the last time (a new link), or its content still has the
// recorded digest; a file with the recorded build ID and other content,
// or one the cache has no record of, was not (necessarily) written by go
// build. trustRaw returns the digest, or "" when the file must be built
// again.
func (c *cache) trustRaw(path string) (string, error) {
	sum, _, err := hashFile(path)
	if err != nil {
		return "", err
	}
	id := goBuildID(path)
	c.mu.Lock()
	defer c.mu.Unlock()
	rec, known := c.raw[path]
	if !known || id == "" || (rec.BuildID == id && rec.SHA256 != sum) {
		delete(c.raw, path)
		return "", nil
	}
	c.raw[path] = rawRecord{BuildID: id, SHA256: sum}
	c.digests[path] = sum
	return sum, nil
}

// wroteRaw records a raw output that go build has just created (there was
// no file before it ran).
func (c *cache) wroteRaw(path string) (string, error) {
	sum, _, err := hashFile(path)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.raw[path] = rawRecord{BuildID: goBuildID(path), SHA256: sum}
	c.digests[path] = sum
	return sum, nil
}

// saveRaw records the raw outputs' digests for the next run.
func (c *cache) saveRaw() error {
	c.mu.Lock()
	b, err := json.MarshalIndent(c.raw, "", " ")
	c.mu.Unlock()
	if err != nil {
		return err
	}
	return packager.WriteFileAtomic(filepath.Join(c.dir, "raw.json"), 0o644, packager.WriteBytes(b))
}

// key derives a job's cache key from what its packager declares: the
// projection view of the spec, the files it names, the inputs, the target
// and svcpack's identity. Secrets (json:"-") are not in it.
func (p *Plan) key(pk *packager.Packager, view *config.Spec, t platform.Target, ins []input) (string, error) {
	b, err := json.Marshal(view)
	if err != nil {
		return "", fmt.Errorf("cache key: %w", err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "svcpack cache %d\ntool %s\npackager %s\ntarget %s\nspec %s\n", cacheVersion, p.cache.tool, pk.Name, targetString(t), b)
	for _, f := range view.PathsIn() {
		sum, err := p.cache.fileDigest(string(f))
		if err != nil {
			return "", fmt.Errorf("cache key: %w", err)
		}
		fmt.Fprintf(h, "file %s %s\n", f, sum)
	}
	for _, in := range ins {
		fmt.Fprintf(h, "input %s %s %s\n", in.kind, in.name, in.sha256)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// reuse links the previous release's artifacts of a job into the staging
// directory when the job's key is unchanged and every file is still the one
// recorded; it reports whether it did.
func (p *Plan) reuse(pk *packager.Packager, t platform.Target, key string) ([]Artifact, bool) {
	c := p.cache
	if c.force {
		return nil, false
	}
	c.mu.Lock()
	rec, ok := c.prev.Jobs[jobID(pk, t)]
	c.mu.Unlock()
	if !ok || rec.Key != key || len(rec.Artifacts) == 0 {
		return nil, false
	}
	for _, a := range rec.Artifacts {
		// The file must still be the one made: its content, not its stat.
		old := filepath.Join(c.dist, filepath.FromSlash(a.Path))
		if sum, n, err := hashFile(old); err != nil || sum != a.SHA256 || n != a.Size {
			return nil, false
		}
	}
	var arts []Artifact
	for _, a := range rec.Artifacts {
		old := filepath.Join(c.dist, filepath.FromSlash(a.Path))
		if link(old, p.Abs(a.Path)) != nil {
			return nil, false // another file system: make them again
		}
		a.Reused = true
		arts = append(arts, a)
	}
	c.mu.Lock()
	c.next.Jobs[jobID(pk, t)] = rec
	c.mu.Unlock()
	return arts, true
}

// record notes the artifacts a job made in this release under its key.
func (p *Plan) record(pk *packager.Packager, t platform.Target, key string, arts []Artifact) {
	rec := jobRecord{Key: key, Artifacts: arts}
	p.cache.mu.Lock()
	defer p.cache.mu.Unlock()
	p.cache.next.Jobs[jobID(pk, t)] = rec
}

// link makes dst a hard link to old, replacing whatever dst was.
func link(old, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	os.Remove(dst)
	return os.Link(old, dst)
}

// save records the release just swapped into dist.
func (c *cache) save() error {
	out := state{Version: cacheVersion, Jobs: c.next.Jobs}
	b, err := json.MarshalIndent(out, "", " ")
	if err != nil {
		return err
	}
	return packager.WriteFileAtomic(filepath.Join(c.dir, "state.json"), 0o644, packager.WriteBytes(b))
}

// linkIfSame links dist's file rel into the staging directory when its
// content is exactly data (small files such as checksums.txt), and reports
// whether it did; otherwise the caller writes data.
func (p *Plan) linkIfSame(rel string, data []byte) bool {
	if p.cache.force {
		return false
	}
	old := filepath.Join(p.cache.dist, filepath.FromSlash(rel))
	b, err := os.ReadFile(old)
	if err != nil || !bytes.Equal(b, data) {
		return false
	}
	return link(old, p.Abs(rel)) == nil
}
