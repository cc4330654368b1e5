package release

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/svcpack/svcpack/pkg/config"
	"github.com/svcpack/svcpack/pkg/platform"
)

// Incremental releases.
//
// Every job (one packager for one target) is recorded with a key: the
// SHA-256 of everything its artifacts are made from, derived from what the
// packager declares (Packager.Reads and Uses), never assembled by hand:
// the projection of the spec onto the declared fields (as JSON), the
// content of every file those fields name, the content of the artifacts it
// uses (a binary by its recorded digest, a raw go build output by
// content), the target, and the identity of svcpack itself (its
// executable's Go build ID). The raw binaries are built by go build into
// the cache directory, where go's own up-to-date check leaves them
// untouched when nothing Go sees has changed; the binary's content then
// stands for "source file hashes as Go sees them", the toolchain and the
// flags.
//
// A job whose key equals the previous release's, and whose files in dist/
// are still the ones recorded (same size, mtime and inode), hard-links those
// files into the staging directory instead of making them again: after the
// swap dist/ holds the very same files, so nothing is rewritten, and the
// bytes are those a full release would have written (every packager is
// deterministic; mage verify checks it).

// cacheVersion changes when the state format or key recipe changes.
const cacheVersion = 2

// state is the cache's record of the last release, in <cache>/state.json.
type state struct {
	Version int `json:"version"`
	// Jobs maps "packager target" to the job's key and artifacts.
	Jobs map[string]jobRecord `json:"jobs"`
	// Files memoises content digests of input files by stat.
	Files map[string]fileMemo `json:"files"`
}

// jobRecord is one job of the last release.
type jobRecord struct {
	Key       string       `json:"key"`
	Artifacts []fileRecord `json:"artifacts"`
}

// fileRecord is one artifact of a job, with its file's stat in dist/.
type fileRecord struct {
	Artifact
	Stat fileStat `json:"stat"`
}

func jobID(pk *Packager, t platform.Target) string { return pk.Name + " " + t.String() }

// fileStat identifies one version of a file cheaply.
type fileStat struct {
	Size    int64  `json:"size"`
	ModNano int64  `json:"mtime"`
	Inode   uint64 `json:"inode,omitempty"`
}

type fileMemo struct {
	Stat   fileStat `json:"stat"`
	SHA256 string   `json:"sha256"`
}

func statFile(path string) (fileStat, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStat{}, err
	}
	if !fi.Mode().IsRegular() {
		return fileStat{}, fmt.Errorf("%s is not a regular file", path)
	}
	return fileStat{Size: fi.Size(), ModNano: fi.ModTime().UnixNano(), Inode: inode(fi)}, nil
}

// cache is the incremental state of one release run.
type cache struct {
	dir   string // <parent>/.<dist>.cache
	dist  string // the previous release, being replaced
	force bool
	tool  string // svcpack's own identity

	prev state

	mu   sync.Mutex
	next state
}

// CacheDir is where a release into dist keeps what the next incremental
// release needs (the raw binaries and state.json): .dist.cache beside dist.
func CacheDir(dist string) string {
	return filepath.Join(filepath.Dir(dist), "."+filepath.Base(dist)+".cache")
}

// openCache reads the previous state; a missing or unreadable state means
// a full release.
func openCache(dist string, force bool) (*cache, error) {
	c := &cache{
		dir: CacheDir(dist), dist: dist, force: force,
		next: state{Version: cacheVersion, Jobs: map[string]jobRecord{}, Files: map[string]fileMemo{}},
	}
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	if b, err := os.ReadFile(filepath.Join(c.dir, "state.json")); err == nil {
		if json.Unmarshal(b, &c.prev) != nil || c.prev.Version != cacheVersion {
			c.prev = state{}
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

// toolID identifies the running svcpack: its executable's Go build ID
// (which changes with any change to its code or dependencies), or the
// executable's digest when the build ID cannot be read; "" when neither
// can be had.
func (c *cache) toolID() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	if id := goBuildID(exe); id != "" {
		return "buildid:" + id
	}
	if sum, err := c.fileDigest(exe); err == nil {
		return "sha256:" + sum
	}
	return ""
}

// goBuildID reads the Go build ID that the linker writes near the start of
// every Go executable (ELF, PE and Mach-O alike), or "" if there is none.
func goBuildID(path string) string {
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

// fileDigest returns the SHA-256 of a file, memoised by its stat.
func (c *cache) fileDigest(path string) (string, error) {
	st, err := statFile(path)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	m, ok := c.prev.Files[path]
	if n, ok2 := c.next.Files[path]; ok2 {
		m, ok = n, true
	}
	c.mu.Unlock()
	if ok && m.Stat == st {
		c.remember(path, m)
		return m.SHA256, nil
	}
	sum, _, err := hashFile(path)
	if err != nil {
		return "", err
	}
	m = fileMemo{Stat: st, SHA256: sum}
	c.remember(path, m)
	return m.SHA256, nil
}

func (c *cache) remember(path string, m fileMemo) {
	c.mu.Lock()
	c.next.Files[path] = m
	c.mu.Unlock()
}

// key derives a job's cache key from what its packager declares: the
// projection view of the spec, the files it names, the inputs, the target
// and svcpack's identity. Secrets (json:"-") are not in it.
func (p *Plan) key(pk *Packager, view *config.Spec, t platform.Target, ins []input) (string, error) {
	if p.cache == nil {
		return "", nil // not an incremental run (Build): nothing is reused
	}
	b, err := json.Marshal(view)
	if err != nil {
		return "", fmt.Errorf("cache key: %w", err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "svcpack cache %d\ntool %s\npackager %s\ntarget %s\nspec %s\n", cacheVersion, p.cache.tool, pk.Name, t, b)
	for _, f := range view.PathsIn() {
		sum, err := p.cache.fileDigest(string(f))
		if err != nil {
			return "", fmt.Errorf("cache key: %w", err)
		}
		fmt.Fprintf(h, "file %s %s\n", f, sum)
	}
	for _, in := range ins {
		sum := in.sha256
		if sum == "" {
			if sum, err = p.cache.fileDigest(in.path); err != nil {
				return "", fmt.Errorf("cache key: %w", err)
			}
		}
		fmt.Fprintf(h, "input %s %s %s\n", in.kind, in.name, sum)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// reuse links the previous release's artifacts of a job into the staging
// directory when the job's key is unchanged and every file is still the one
// recorded; it reports whether it did.
func (p *Plan) reuse(pk *Packager, t platform.Target, key string) ([]Artifact, bool) {
	c := p.cache
	if c == nil || c.force {
		return nil, false
	}
	c.mu.Lock()
	rec, ok := c.prev.Jobs[jobID(pk, t)]
	c.mu.Unlock()
	if !ok || rec.Key != key || len(rec.Artifacts) == 0 {
		return nil, false
	}
	for _, f := range rec.Artifacts {
		old := filepath.Join(c.dist, filepath.FromSlash(f.Path))
		if st, err := statFile(old); err != nil || st != f.Stat {
			return nil, false
		}
	}
	var arts []Artifact
	for _, f := range rec.Artifacts {
		old := filepath.Join(c.dist, filepath.FromSlash(f.Path))
		if link(old, p.Abs(f.Path)) != nil {
			return nil, false // another file system: make them again
		}
		a := f.Artifact
		a.Reused = true
		arts = append(arts, a)
	}
	c.mu.Lock()
	c.next.Jobs[jobID(pk, t)] = rec
	c.mu.Unlock()
	return arts, true
}

// record notes the artifacts a job made in this release under its key.
func (p *Plan) record(pk *Packager, t platform.Target, key string, arts []Artifact) {
	if p.cache == nil {
		return
	}
	rec := jobRecord{Key: key}
	for _, a := range arts {
		rec.Artifacts = append(rec.Artifacts, fileRecord{Artifact: a})
	}
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

// save records the release just swapped into dist, with the files' stats
// as they are now.
func (c *cache) save(dist string) error {
	out := state{Version: cacheVersion, Jobs: map[string]jobRecord{}, Files: c.next.Files}
	for id, rec := range c.next.Jobs {
		for i := range rec.Artifacts {
			st, err := statFile(filepath.Join(dist, filepath.FromSlash(rec.Artifacts[i].Path)))
			if err != nil {
				return err
			}
			rec.Artifacts[i].Reused = false
			rec.Artifacts[i].Stat = st
		}
		out.Jobs[id] = rec
	}
	b, err := json.MarshalIndent(out, "", " ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(c.dir, "state.json"), 0o644, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// linkIfSame links dist's file rel into the staging directory when its
// content is exactly data (small files such as checksums.txt), and reports
// whether it did; otherwise the caller writes data.
func (p *Plan) linkIfSame(rel string, data []byte) bool {
	if p.cache == nil || p.cache.force {
		return false
	}
	old := filepath.Join(p.cache.dist, filepath.FromSlash(rel))
	b, err := os.ReadFile(old)
	if err != nil || !bytes.Equal(b, data) {
		return false
	}
	return link(old, p.Abs(rel)) == nil
}

// copyFile copies src to dst (a new file), for raw binaries that later
// steps patch in place: the cache's copy must stay as go build wrote it.
func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return writeFileAtomic(dst, mode, func(w io.Writer) error {
		_, err := io.Copy(w, in)
		return err
	})
}
