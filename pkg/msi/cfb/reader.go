package cfb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"unicode/utf16"
)

// A Reader gives access to the storages and streams of a compound file.
type Reader struct {
	// Version is the file's major version, 3 or 4.
	Version int
	// CLSID is the class of the root storage.
	CLSID CLSID
	// Files lists every storage and stream below the root, depth first,
	// siblings in directory order (the spec's name order).
	Files []*File

	ra        io.ReaderAt
	size      int64
	secSize   int
	nSec      uint32   // sectors after the header that fit in size
	nDIFAT    uint32   // DIFAT sectors, from the header
	fat       []uint32 // FAT
	miniFAT   []uint32
	miniChain []uint32 // regular sectors of the mini stream
	miniSize  int64
	dir       []dirEntry
	byPath    map[string]*File
}

// A File is a storage or a stream of a compound file.
type File struct {
	// Name is the entry's name; Path joins the names of its storages and
	// its own with "/" (which names cannot contain).
	Name, Path string
	// IsStorage tells storages from streams.
	IsStorage bool
	// CLSID is a storage's class; zero for streams.
	CLSID CLSID
	// Size is a stream's length in bytes; zero for storages.
	Size int64

	r     *Reader
	start uint32
}

// dirEntry is a raw directory entry.
type dirEntry struct {
	name               []uint16
	typ, color         byte
	left, right, child uint32
	clsid              CLSID
	start              uint32
	size               uint64
}

// Open parses the compound file of the given size read from ra.
func Open(ra io.ReaderAt, size int64) (*Reader, error) {
	r := &Reader{ra: ra, size: size, byPath: map[string]*File{}}
	if err := r.parse(); err != nil {
		return nil, fmt.Errorf("cfb: %w", err)
	}
	return r, nil
}

// Lookup returns the file with the given Path, or nil.
func (r *Reader) Lookup(path string) *File { return r.byPath[path] }

func formatErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrFormat}, args...)...)
}

func (r *Reader) parse() error {
	if r.size < headerSize {
		return formatErr("%d bytes is shorter than a header", r.size)
	}
	h := make([]byte, headerSize)
	if _, err := r.ra.ReadAt(h, 0); err != nil {
		return fmt.Errorf("reading header: %w", err)
	}
	if [8]byte(h[:8]) != signature {
		return formatErr("bad signature % x", h[:8])
	}
	r.Version = int(binary.LittleEndian.Uint16(h[26:]))
	shift := binary.LittleEndian.Uint16(h[30:])
	switch {
	case r.Version == 3 && shift == 9, r.Version == 4 && shift == 12:
	default:
		return formatErr("version %d with sector shift %d", r.Version, shift)
	}
	if binary.LittleEndian.Uint16(h[28:]) != 0xFFFE {
		return formatErr("bad byte order mark")
	}
	if binary.LittleEndian.Uint16(h[32:]) != miniSectorShift {
		return formatErr("mini sector shift %d, want 6", binary.LittleEndian.Uint16(h[32:]))
	}
	if c := binary.LittleEndian.Uint32(h[56:]); c != miniCutoff {
		return formatErr("mini stream cutoff %d, want 4096", c)
	}
	r.secSize = 1 << shift
	if r.size < int64(r.secSize) {
		return formatErr("%d bytes is shorter than a header sector", r.size)
	}
	r.nSec = uint32(min((r.size-int64(r.secSize))/int64(r.secSize), int64(maxRegSect)+1))
	nFAT := binary.LittleEndian.Uint32(h[44:])
	dirStart := binary.LittleEndian.Uint32(h[48:])
	miniFATStart := binary.LittleEndian.Uint32(h[60:])
	difatStart := binary.LittleEndian.Uint32(h[68:])
	nDIFAT := binary.LittleEndian.Uint32(h[72:])
	r.nDIFAT = nDIFAT
	if nFAT > r.nSec || nDIFAT > r.nSec {
		return formatErr("%d FAT and %d DIFAT sectors in a file of %d sectors", nFAT, nDIFAT, r.nSec)
	}

	// FAT sector locations: the header's, then the DIFAT chain's.
	locs := make([]uint32, 0, nFAT)
	for k := 0; k < headerDIFATLen && uint32(len(locs)) < nFAT; k++ {
		locs = append(locs, binary.LittleEndian.Uint32(h[76+4*k:]))
	}
	sec := make([]byte, r.secSize)
	per := r.secSize/4 - 1
	next := difatStart
	for i := uint32(0); i < nDIFAT && uint32(len(locs)) < nFAT; i++ {
		if err := r.readSector(next, sec); err != nil {
			return fmt.Errorf("DIFAT sector %d: %w", i, err)
		}
		for j := 0; j < per && uint32(len(locs)) < nFAT; j++ {
			locs = append(locs, binary.LittleEndian.Uint32(sec[4*j:]))
		}
		next = binary.LittleEndian.Uint32(sec[4*per:])
	}
	if uint32(len(locs)) < nFAT {
		return formatErr("DIFAT lists %d of %d FAT sectors", len(locs), nFAT)
	}
	r.fat = make([]uint32, 0, int(nFAT)*(r.secSize/4))
	for i, loc := range locs {
		if err := r.readSector(loc, sec); err != nil {
			return fmt.Errorf("FAT sector %d: %w", i, err)
		}
		for j := 0; j < r.secSize/4; j++ {
			r.fat = append(r.fat, binary.LittleEndian.Uint32(sec[4*j:]))
		}
	}

	// Directory.
	dirSecs, err := r.chain(dirStart, -1)
	if err != nil {
		return fmt.Errorf("directory: %w", err)
	}
	for _, s := range dirSecs {
		if err := r.readSector(s, sec); err != nil {
			return fmt.Errorf("directory: %w", err)
		}
		for k := 0; k < r.secSize/dirEntrySize; k++ {
			d, err := parseDirEntry(sec[k*dirEntrySize : (k+1)*dirEntrySize])
			if err != nil {
				return fmt.Errorf("directory entry %d: %w", len(r.dir), err)
			}
			r.dir = append(r.dir, d)
		}
	}
	if len(r.dir) == 0 || r.dir[0].typ != typeRoot {
		return formatErr("first directory entry is not the root")
	}
	root := r.dir[0]
	r.CLSID = root.clsid

	// Mini stream and mini FAT.
	if root.size > 0 {
		r.miniSize = int64(root.size)
		if r.Version == 3 {
			r.miniSize = int64(uint32(root.size))
		}
		if r.miniSize < 0 || r.miniSize > r.size {
			return formatErr("mini stream size %d", root.size)
		}
		n := (r.miniSize + int64(r.secSize) - 1) / int64(r.secSize)
		if r.miniChain, err = r.chain(root.start, n); err != nil {
			return fmt.Errorf("mini stream: %w", err)
		}
		mf, err := r.chain(miniFATStart, -1)
		if err != nil {
			return fmt.Errorf("mini FAT: %w", err)
		}
		for _, s := range mf {
			if err := r.readSector(s, sec); err != nil {
				return fmt.Errorf("mini FAT: %w", err)
			}
			for j := 0; j < r.secSize/4; j++ {
				r.miniFAT = append(r.miniFAT, binary.LittleEndian.Uint32(sec[4*j:]))
			}
		}
	}

	// Walk the tree.
	seen := make([]bool, len(r.dir))
	seen[0] = true
	return r.walk(root.child, "", seen)
}

// walk appends the sibling tree rooted at id, in order, and the trees
// below its storages, to r.Files.
func (r *Reader) walk(id uint32, prefix string, seen []bool) error {
	if id == noStream {
		return nil
	}
	if int64(id) >= int64(len(r.dir)) || seen[id] {
		return formatErr("directory tree: bad or repeated reference %d", id)
	}
	seen[id] = true
	d := r.dir[id]
	if err := r.walk(d.left, prefix, seen); err != nil {
		return err
	}
	f := &File{Name: string(utf16.Decode(d.name)), r: r, start: d.start}
	f.Path = prefix + f.Name
	switch d.typ {
	case typeStorage:
		f.IsStorage, f.CLSID = true, d.clsid
	case typeStream:
		f.Size = int64(d.size)
		if r.Version == 3 {
			f.Size = int64(uint32(d.size))
		}
		if f.Size < 0 {
			return formatErr("stream %q: size %d", f.Path, d.size)
		}
	default:
		return formatErr("directory entry %d: object type %d inside the tree", id, d.typ)
	}
	if _, dup := r.byPath[f.Path]; dup {
		return formatErr("%q appears twice", f.Path)
	}
	r.Files = append(r.Files, f)
	r.byPath[f.Path] = f
	if f.IsStorage {
		if err := r.walk(d.child, f.Path+"/", seen); err != nil {
			return err
		}
	} else if d.child != noStream {
		return formatErr("stream %q has children", f.Path)
	}
	return r.walk(d.right, prefix, seen)
}

func parseDirEntry(b []byte) (dirEntry, error) {
	d := dirEntry{
		typ:   b[66],
		color: b[67],
		left:  binary.LittleEndian.Uint32(b[68:]),
		right: binary.LittleEndian.Uint32(b[72:]),
		child: binary.LittleEndian.Uint32(b[76:]),
		clsid: clsidFromDisk(b[80:96]),
		start: binary.LittleEndian.Uint32(b[116:]),
		size:  binary.LittleEndian.Uint64(b[120:]),
	}
	if d.typ == typeUnused {
		return d, nil
	}
	n := binary.LittleEndian.Uint16(b[64:])
	if n < 2 || n > 64 || n%2 != 0 {
		return d, formatErr("name length %d", n)
	}
	d.name = make([]uint16, n/2-1)
	for i := range d.name {
		d.name[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return d, nil
}

// readSector reads regular sector s into buf.
func (r *Reader) readSector(s uint32, buf []byte) error {
	if s >= r.nSec {
		return formatErr("sector %#x outside the file", s)
	}
	_, err := r.ra.ReadAt(buf[:r.secSize], int64(s+1)*int64(r.secSize))
	return err
}

// chain follows a FAT chain from start. With want >= 0 the chain must have
// exactly want sectors.
func (r *Reader) chain(start uint32, want int64) ([]uint32, error) {
	return followChain(r.fat, start, want, r.nSec)
}

// followChain follows a chain in table t, rejecting loops, references to
// entries at or past limit, and (with want >= 0) chains of any other length
// than want.
func followChain(t []uint32, start uint32, want int64, limit uint32) ([]uint32, error) {
	var out []uint32
	for s := start; s != endOfChain; s = t[s] {
		if want >= 0 && int64(len(out)) == want {
			return nil, formatErr("chain continues past %d sectors", want)
		}
		if s >= limit || int64(s) >= int64(len(t)) {
			return nil, formatErr("chain refers to sector %#x", s)
		}
		if len(out) >= len(t) {
			return nil, formatErr("chain loops")
		}
		out = append(out, s)
	}
	if want >= 0 && int64(len(out)) < want {
		return nil, formatErr("chain has %d sectors, want %d", len(out), want)
	}
	return out, nil
}

// Open returns a reader of the stream's content.
func (f *File) Open() (io.Reader, error) {
	if f.IsStorage {
		return nil, fmt.Errorf("cfb: %q is a storage", f.Path)
	}
	r := f.r
	cr := &chainReader{r: r, size: f.Size}
	if f.Size == 0 {
		return cr, nil
	}
	var err error
	if f.Size < miniCutoff {
		cr.mini, cr.secSize = true, miniSectorSize
		lim := uint32(min(r.miniSize/miniSectorSize, int64(maxRegSect)))
		cr.secs, err = followChain(r.miniFAT, f.start, (f.Size+miniSectorSize-1)/miniSectorSize, lim)
	} else {
		cr.secSize = r.secSize
		cr.secs, err = r.chain(f.start, (f.Size+int64(r.secSize)-1)/int64(r.secSize))
	}
	if err != nil {
		return nil, fmt.Errorf("cfb: %q: %w", f.Path, err)
	}
	return cr, nil
}

// chainReader reads a stream sector by sector.
type chainReader struct {
	r       *Reader
	secs    []uint32
	secSize int
	mini    bool
	size    int64
	off     int64
}

func (c *chainReader) Read(p []byte) (int, error) {
	if c.off >= c.size {
		return 0, io.EOF
	}
	idx := c.off / int64(c.secSize)
	within := c.off % int64(c.secSize)
	n := min(int64(len(p)), int64(c.secSize)-within, c.size-c.off)
	var at int64
	if c.mini {
		ms := int64(c.secs[idx]) * miniSectorSize // offset in the mini stream
		reg := ms / int64(c.r.secSize)
		if reg >= int64(len(c.r.miniChain)) {
			return 0, fmt.Errorf("cfb: %w: mini sector %d outside the mini stream", ErrFormat, c.secs[idx])
		}
		at = int64(c.r.miniChain[reg]+1)*int64(c.r.secSize) + ms%int64(c.r.secSize) + within
	} else {
		at = int64(c.secs[idx]+1)*int64(c.secSize) + within
		// Extend the read over sectors that follow on disk.
		for end := idx + 1; n < int64(len(p)) && c.off+n < c.size && end < int64(len(c.secs)) && c.secs[end] == c.secs[end-1]+1; end++ {
			n = min(int64(len(p)), n+int64(c.secSize), c.size-c.off)
		}
	}
	k, err := c.r.ra.ReadAt(p[:n], at)
	c.off += int64(k)
	if err == io.EOF && int64(k) == n {
		err = nil
	}
	if err != nil && errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return k, err
}
