package cfb

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode"
	"unicode/utf16"

	"github.com/richardlehane/mscfb"
	"github.com/svcpack/svcpack/internal/testtool"
)

// tnode describes a storage or stream to write in a test.
type tnode struct {
	name    string
	storage bool
	clsid   string // storages only
	size    int64  // streams only
	kids    []tnode
}

// want is what every reader must report for one entry.
type want struct {
	storage bool
	clsid   CLSID
	size    int64
	sum     string // hex SHA-256 of a stream's content
}

// patternReader yields n pseudo-random bytes from seed, cheaply.
type patternReader struct {
	x uint64
	n int64
}

func newPattern(seed string, n int64) *patternReader {
	h := fnv.New64a()
	h.Write([]byte(seed))
	return &patternReader{x: h.Sum64() | 1, n: n}
}

func (p *patternReader) Read(b []byte) (int, error) {
	if p.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(b)) > p.n {
		b = b[:p.n]
	}
	for i := 0; i < len(b); i += 8 {
		p.x ^= p.x << 13
		p.x ^= p.x >> 7
		p.x ^= p.x << 17
		v := p.x
		for j := i; j < i+8 && j < len(b); j++ {
			b[j] = byte(v)
			v >>= 8
		}
	}
	p.n -= int64(len(b))
	return len(b), nil
}

func patternSum(seed string, n int64) string {
	h := sha256.New()
	if _, err := io.Copy(h, newPattern(seed, n)); err != nil {
		panic(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func mustCLSID(t testing.TB, s string) CLSID {
	t.Helper()
	if s == "" {
		return CLSID{}
	}
	id, err := ParseCLSID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// writeTree writes nodes into s, content from patternReader seeded by
// path, and records what readers must find.
func writeTree(t testing.TB, s *Storage, prefix string, nodes []tnode, exp map[string]want) {
	t.Helper()
	for _, n := range nodes {
		p := prefix + n.name
		if n.storage {
			id := mustCLSID(t, n.clsid)
			sub, err := s.CreateStorage(n.name, id)
			if err != nil {
				t.Fatalf("CreateStorage(%q): %v", p, err)
			}
			exp[p] = want{storage: true, clsid: id}
			writeTree(t, sub, p+"/", n.kids, exp)
			continue
		}
		if err := s.AddStream(n.name, n.size, newPattern(p, n.size)); err != nil {
			t.Fatalf("AddStream(%q): %v", p, err)
		}
		exp[p] = want{size: n.size, sum: patternSum(p, n.size)}
	}
}

// build writes a compound file to dst and returns the expectations.
func build(t testing.TB, dst io.Writer, opts *Options, nodes []tnode) map[string]want {
	t.Helper()
	w, err := NewWriter(dst, opts)
	if err != nil {
		t.Fatal(err)
	}
	exp := map[string]want{}
	writeTree(t, w.Root(), "", nodes, exp)
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return exp
}

// diff reports every difference between what a reader found and exp.
func diff(t *testing.T, reader string, exp, got map[string]want) {
	t.Helper()
	var paths []string
	for p := range exp {
		paths = append(paths, p)
	}
	for p := range got {
		if _, ok := exp[p]; !ok {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	for _, p := range paths {
		e, ok1 := exp[p]
		g, ok2 := got[p]
		switch {
		case !ok1:
			t.Errorf("%s: unexpected entry %q", reader, p)
		case !ok2:
			t.Errorf("%s: missing entry %q", reader, p)
		case e != g:
			t.Errorf("%s: %q = %+v, want %+v", reader, p, g, e)
		}
	}
}

// readOwn lists the file with this package's reader.
func readOwn(t *testing.T, ra io.ReaderAt, size int64) (*Reader, map[string]want) {
	t.Helper()
	r, err := Open(ra, size)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	got := map[string]want{}
	for _, fl := range r.Files {
		if fl.IsStorage {
			got[fl.Path] = want{storage: true, clsid: fl.CLSID}
			continue
		}
		rc, err := fl.Open()
		if err != nil {
			t.Fatalf("%s: %v", fl.Path, err)
		}
		h := sha256.New()
		n, err := io.Copy(h, rc)
		if err != nil {
			t.Fatalf("%s: %v", fl.Path, err)
		}
		if n != fl.Size {
			t.Errorf("own reader: %s: read %d bytes, size %d", fl.Path, n, fl.Size)
		}
		got[fl.Path] = want{size: fl.Size, sum: hex.EncodeToString(h.Sum(nil))}
	}
	return r, got
}

// readMSCFB lists the file with github.com/richardlehane/mscfb.
func readMSCFB(t *testing.T, ra io.ReaderAt) (root CLSID, got map[string]want) {
	t.Helper()
	r, err := mscfb.New(ra)
	if err != nil {
		t.Fatalf("mscfb.New: %v", err)
	}
	parse := func(s string) CLSID {
		id, err := ParseCLSID(s)
		if err != nil {
			t.Fatalf("mscfb CLSID %q: %v", s, err)
		}
		return id
	}
	root = parse(r.ID())
	got = map[string]want{}
	for entry, err := r.Next(); err != io.EOF; entry, err = r.Next() {
		if err != nil {
			t.Fatalf("mscfb.Next: %v", err)
		}
		name := entry.Name
		if entry.Initial != 0 && !unicode.IsPrint(rune(entry.Initial)) {
			// mscfb moves a non-printable first character to Initial.
			name = string(utf16.Decode([]uint16{entry.Initial})) + name
		}
		p := strings.Join(append(append([]string{}, entry.Path...), name), "/")
		if entry.FileInfo().IsDir() {
			got[p] = want{storage: true, clsid: parse(entry.ID())}
			continue
		}
		h := sha256.New()
		n, err := io.Copy(h, entry)
		if err != nil {
			t.Fatalf("mscfb: %s: %v", p, err)
		}
		got[p] = want{size: n, sum: hex.EncodeToString(h.Sum(nil))}
		if n != entry.Size {
			t.Errorf("mscfb: %s: read %d bytes, size %d", p, n, entry.Size)
		}
	}
	return root, got
}

const olefileScript = `
import sys, json, hashlib, olefile
ole = olefile.OleFileIO(sys.argv[1], raise_defects=olefile.DEFECT_INCORRECT)
out = {"root": ole.root.clsid, "difat": ole.num_difat_sectors, "entries": []}
for e in ole.listdir(streams=True, storages=True):
    p = "/".join(e)
    if ole.get_type(e) == olefile.STGTY_STREAM:
        s = ole.openstream(e)
        h = hashlib.sha256()
        n = 0
        while True:
            b = s.read(1 << 20)
            if not b:
                break
            n += len(b)
            h.update(b)
        out["entries"].append({"path": p, "stream": True, "size": n, "sha256": h.hexdigest()})
    else:
        out["entries"].append({"path": p, "stream": False, "clsid": ole.getclsid(e)})
ole.close()
print(json.dumps(out))
`

// needOlefile returns the Debian python that has olefile, or skips.
func needOlefile(t testing.TB) string {
	t.Helper()
	const py = "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import olefile").Run(); err != nil {
		testtool.Missing(t, py+" with module olefile (Debian package python3-olefile)")
	}
	return py
}

// readOlefile lists the file with Debian's python3-olefile, in its strict
// mode (defects of level "incorrect" and above raise).
func readOlefile(t *testing.T, path string) (root CLSID, difat int, got map[string]want) {
	t.Helper()
	py := needOlefile(t)
	cmd := exec.Command(py, "-c", olefileScript, path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("olefile: %v\n%s", err, stderr.String())
	}
	var res struct {
		Root    string
		Difat   int
		Entries []struct {
			Path, Clsid, Sha256 string
			Stream              bool
			Size                int64
		}
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("olefile output: %v\n%s", err, out)
	}
	parse := func(s string) CLSID {
		if s == "" {
			return CLSID{}
		}
		id, err := ParseCLSID(s)
		if err != nil {
			t.Fatalf("olefile CLSID %q: %v", s, err)
		}
		return id
	}
	got = map[string]want{}
	for _, e := range res.Entries {
		if e.Stream {
			got[e.Path] = want{size: e.Size, sum: e.Sha256}
		} else {
			got[e.Path] = want{storage: true, clsid: parse(e.Clsid)}
		}
	}
	return parse(res.Root), res.Difat, got
}

// checkTree verifies that every storage's children form a valid red-black
// tree (black root, no red node with a red child, the same number of black
// nodes on every path) ordered by compareNames.
func checkTree(r *Reader) error {
	for id, d := range r.dir {
		if d.typ != typeStorage && d.typ != typeRoot {
			continue
		}
		if d.child == noStream {
			continue
		}
		if r.dir[d.child].color != colorBlack {
			return fmt.Errorf("storage %d: tree root %d is red", id, d.child)
		}
		var order [][]uint16
		var walk func(n uint32, parentRed bool) (int, error)
		walk = func(n uint32, parentRed bool) (int, error) {
			if n == noStream {
				return 1, nil
			}
			e := r.dir[n]
			red := e.color == colorRed
			if red && parentRed {
				return 0, fmt.Errorf("entry %d: red child of a red node", n)
			}
			lh, err := walk(e.left, red)
			if err != nil {
				return 0, err
			}
			order = append(order, e.name)
			rh, err := walk(e.right, red)
			if err != nil {
				return 0, err
			}
			if lh != rh {
				return 0, fmt.Errorf("entry %d: black heights %d and %d", n, lh, rh)
			}
			if !red {
				lh++
			}
			return lh, nil
		}
		if _, err := walk(d.child, false); err != nil {
			return fmt.Errorf("storage %d: %w", id, err)
		}
		for i := 1; i < len(order); i++ {
			if compareNames(order[i-1], order[i]) >= 0 {
				return fmt.Errorf("storage %d: %q not before %q", id, string(utf16.Decode(order[i-1])), string(utf16.Decode(order[i])))
			}
		}
	}
	return nil
}

// verifyAll reads the file at path with all three readers and compares
// each with exp and the root CLSID.
func verifyAll(t *testing.T, path string, root CLSID, exp map[string]want) *Reader {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	r, got := readOwn(t, f, st.Size())
	if r.CLSID != root {
		t.Errorf("own reader: root CLSID %v, want %v", r.CLSID, root)
	}
	diff(t, "own reader", exp, got)
	if err := checkTree(r); err != nil {
		t.Errorf("directory tree: %v", err)
	}
	mroot, mgot := readMSCFB(t, &cachedReaderAt{ra: f})
	if mroot != root {
		t.Errorf("mscfb: root CLSID %v, want %v", mroot, root)
	}
	diff(t, "mscfb", exp, mgot)
	oroot, _, ogot := readOlefile(t, path)
	if oroot != root {
		t.Errorf("olefile: root CLSID %v, want %v", oroot, root)
	}
	diff(t, "olefile", exp, ogot)
	return r
}

func writeTemp(t testing.TB, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "test.cfb")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// cachedReaderAt serves reads from a few cached 1 MiB blocks, so that
// readers issuing one small ReadAt per sector stay fast on large files.
type cachedReaderAt struct {
	ra     io.ReaderAt
	blocks [8]struct {
		off  int64
		n    int
		data []byte
	}
	next int
}

const cacheBlock = 1 << 20

func (c *cachedReaderAt) ReadAt(p []byte, off int64) (int, error) {
	total := 0
	for len(p) > 0 {
		base := off - off%cacheBlock
		var blk []byte
		for i := range c.blocks {
			if b := &c.blocks[i]; b.data != nil && b.off == base {
				blk = b.data[:b.n]
			}
		}
		if blk == nil {
			b := &c.blocks[c.next]
			c.next = (c.next + 1) % len(c.blocks)
			if b.data == nil {
				b.data = make([]byte, cacheBlock)
			}
			n, err := c.ra.ReadAt(b.data, base)
			if err != nil && err != io.EOF {
				b.data = nil
				return total, err
			}
			b.off, b.n = base, n
			blk = b.data[:n]
		}
		within := int(off - base)
		if within >= len(blk) {
			return total, io.EOF
		}
		k := copy(p, blk[within:])
		p, off, total = p[k:], off+int64(k), total+k
	}
	return total, nil
}
