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
	"strings"
	"sync"

	"github.com/svcpack/svcpack/pkg/config"
)

// Incremental releases.
//
// Every artifact is recorded with a key: the SHA-256 of everything it is
// made from, namely the values its writer receives (as JSON, with the
// staging directory's name taken out), the content of every file it reads
// (a binary by the digest recorded when it was made, other files by
// content), and the identity of svcpack itself (its executable's Go build
// ID). The raw binaries are built by go build into the cache directory,
// where go's own up-to-date check leaves them untouched when nothing Go
// sees has changed; the binary's content then stands for "source file
// hashes as Go sees them", the toolchain and the flags.
//
// A release whose artifact has the same key as in the previous release,
// and whose file in dist/ is still the one recorded (same size, mtime and
// inode), hard-links that file into the staging directory instead of
// making it again: after the swap dist/ holds the very same files, so
// nothing is rewritten, and the bytes are those a full release would have
// written (every step is deterministic; mage verify checks it).

// cacheVersion changes when the state format or key recipe changes.
const cacheVersion = 1

// state is the cache's record of the last release, in <cache>/state.json.
type state struct {
	Version   int                    `json:"version"`
	Artifacts map[string]stateRecord `json:"artifacts"`
	// Files memoises content digests of input files by stat.
	Files map[string]fileMemo `json:"files"`
}

// stateRecord is one artifact of the last release.
type stateRecord struct {
	Artifact
	Key  string   `json:"key"`
	Stat fileStat `json:"stat"`
}

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
		next: state{Version: cacheVersion, Artifacts: map[string]stateRecord{}, Files: map[string]fileMemo{}},
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

// key hashes an artifact's inputs: values (JSON) and the content of files.
// A file inside the staging directory is an artifact of this release and
// stands for its recorded digest.
func (p *Plan) key(step string, values any, files ...string) (string, error) {
	if p.cache == nil {
		return "", nil // not an incremental run (Build): nothing is reused
	}
	b, err := json.Marshal(values)
	if err != nil {
		return "", fmt.Errorf("cache key: %w", err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "svcpack cache %d\ntool %s\nstep %s\n", cacheVersion, p.cache.tool, step)
	h.Write(bytes.ReplaceAll(b, []byte(jsonString(p.Dir)), []byte("$DIST")))
	for _, f := range files {
		if f == "" {
			continue
		}
		name, sum, err := p.inputDigest(f)
		if err != nil {
			return "", fmt.Errorf("cache key: %w", err)
		}
		fmt.Fprintf(h, "\nfile %s %s", name, sum)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// jsonString is s as it appears inside a JSON string.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// inputDigest names an input file for a key and returns its digest: a file
// in the staging directory is an artifact of this release ($DIST/rel, by
// its recorded digest), any other file is hashed (memoised by stat).
func (p *Plan) inputDigest(path string) (name, sum string, err error) {
	if r, err := filepath.Rel(p.Dir, path); err == nil && !strings.HasPrefix(r, "..") {
		rel := filepath.ToSlash(r)
		for _, a := range p.Artifacts() {
			if a.Path == rel {
				return "$DIST/" + rel, a.SHA256, nil
			}
		}
	}
	sum, err = p.cache.fileDigest(path)
	return path, sum, err
}

// produce makes artifact rel by calling write with its host path, unless
// the previous release made it from the same key and dist/ still holds
// that file, which is then linked into the staging directory.
func (p *Plan) produce(rel string, kind Kind, t config.Target, key string, write func(path string) error) (Artifact, error) {
	dst := p.Abs(rel)
	if p.cache != nil && !p.cache.force {
		if a, ok := p.cache.reuse(rel, key, dst); ok {
			return a, nil
		}
	}
	if err := write(dst); err != nil {
		return Artifact{}, err
	}
	a, err := newArtifact(p.Dir, rel, kind, t)
	if err != nil {
		return Artifact{}, err
	}
	p.record(a, key)
	return a, nil
}

// record notes an artifact made in this release under its key.
func (p *Plan) record(a Artifact, key string) {
	if p.cache == nil {
		return
	}
	p.cache.mu.Lock()
	defer p.cache.mu.Unlock()
	p.cache.next.Artifacts[a.Path] = stateRecord{Artifact: a, Key: key}
}

// reuse links the previous release's file for rel into dst when its key
// matches and the file is unchanged since it was recorded.
func (c *cache) reuse(rel, key, dst string) (Artifact, bool) {
	c.mu.Lock()
	rec, ok := c.prev.Artifacts[rel]
	c.mu.Unlock()
	if !ok || rec.Key != key {
		return Artifact{}, false
	}
	old := filepath.Join(c.dist, filepath.FromSlash(rel))
	if st, err := statFile(old); err != nil || st != rec.Stat {
		return Artifact{}, false
	}
	if link(old, dst) != nil {
		return Artifact{}, false // another file system: make it again
	}
	c.mu.Lock()
	c.next.Artifacts[rel] = rec
	c.mu.Unlock()
	a := rec.Artifact
	a.Reused = true
	return a, true
}

// isReused reports whether the artifact at rel came from the previous
// release (later steps that would modify it in place skip it).
func (p *Plan) isReused(rel string) bool {
	for _, a := range p.Artifacts() {
		if a.Path == rel {
			return a.Reused
		}
	}
	return false
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
func (c *cache) save(dist string, arts []Artifact) error {
	out := state{Version: cacheVersion, Artifacts: map[string]stateRecord{}, Files: c.next.Files}
	for _, a := range arts {
		rec, ok := c.next.Artifacts[a.Path]
		if !ok {
			continue // checksums, manifest: rewritten from the others
		}
		st, err := statFile(filepath.Join(dist, filepath.FromSlash(a.Path)))
		if err != nil {
			return err
		}
		a.Reused = false
		rec.Artifact, rec.Stat = a, st
		out.Artifacts[a.Path] = rec
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
