package cfb

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"unicode/utf16"
)

// Options configure a [Writer]. The zero value (or a nil *Options) writes
// a version 3 file with a zero root CLSID.
type Options struct {
	// Version is the major version: 3 (512-byte sectors, the default when
	// zero) or 4 (4096-byte sectors).
	Version int
	// RootCLSID is the class of the root storage; an MSI database uses
	// {000C1084-0000-0000-C000-000000000046}.
	RootCLSID CLSID
	// TempDir is where the writer spools the file body when the destination
	// is not an io.WriteSeeker and the body outgrows a few MiB; empty
	// means os.TempDir().
	TempDir string
}

// spoolMemoryLimit is how much of the body a Writer keeps in memory, when
// the destination cannot seek, before it moves the body to a temporary file.
const spoolMemoryLimit = 4 << 20

// A Writer writes a compound file.
//
// Layout: the header sector comes first and is written last. Stream
// contents are written in the order they are created, straight through to
// the destination: streams of 4096 bytes or more as runs of whole sectors,
// smaller streams packed into the mini stream, whose sectors are written
// whenever one fills. Close then appends the directory, the mini FAT, the
// FAT and the DIFAT sectors, and writes the header. Memory use is therefore
// bounded by the directory and the FAT (4 bytes per sector, 8 MiB per GiB
// in version 3), whatever the stream sizes.
//
// When the destination is an io.WriteSeeker, the writer writes a
// placeholder header, then the body, then seeks back to overwrite the
// header; the destination's offset at NewWriter is the file's start. Any
// other io.Writer receives the whole file at Close: the body is spooled in
// memory, or in a temporary file once it exceeds a few MiB.
//
// The output depends only on the sequence of calls: same calls, same bytes.
// Timestamps are zero. Creating a stream or storage, or closing the
// writer, finishes the stream being written.
type Writer struct {
	dst    io.Writer
	seeker io.WriteSeeker // non-nil when dst can seek
	base   int64          // offset of the file in seeker
	spool  *spool         // body sink when dst cannot seek
	body   *bufio.Writer  // buffered body sink (seeker or spool)

	version  int
	secSize  int
	secShift uint16

	fat     []uint32 // one entry per body sector written so far
	entries []*entry // directory; entries[0] is the root

	miniBuf   []byte   // mini stream bytes not yet flushed as a sector
	miniFirst uint32   // first regular sector of the mini stream
	miniLast  uint32   // last regular sector of the mini stream
	miniFAT   []uint32 // mini FAT entries
	pad       []byte   // zeros, one sector

	cur    *streamWriter // stream being written, if any
	err    error         // sticky error
	closed bool
}

// entry is a directory entry under construction.
type entry struct {
	name   []uint16
	typ    byte
	clsid  CLSID
	start  uint32
	size   uint64
	kids   map[string]int // storages: children by nameKey
	order  []int          // storages: children in creation order
	left   uint32
	right  uint32
	child  uint32
	color  byte
	parent int
}

// NewWriter returns a Writer that writes a compound file to w, configured
// by opts (nil for defaults). If w is an io.WriteSeeker, its current offset
// is the start of the file.
func NewWriter(w io.Writer, opts *Options) (*Writer, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	cw := &Writer{dst: w, miniFirst: endOfChain, miniLast: endOfChain}
	switch o.Version {
	case 0, 3:
		cw.version, cw.secShift = 3, 9
	case 4:
		cw.version, cw.secShift = 4, 12
	default:
		return nil, fmt.Errorf("cfb: version %d: want 3 or 4", o.Version)
	}
	cw.secSize = 1 << cw.secShift
	cw.pad = make([]byte, cw.secSize)
	cw.miniBuf = make([]byte, 0, cw.secSize)
	cw.entries = []*entry{{
		name:  utf16.Encode([]rune("Root Entry")),
		typ:   typeRoot,
		clsid: o.RootCLSID,
		kids:  map[string]int{},
	}}
	if ws, ok := w.(io.WriteSeeker); ok {
		base, err := ws.Seek(0, io.SeekCurrent)
		if err != nil {
			return nil, fmt.Errorf("cfb: finding the start offset: %w", err)
		}
		// Placeholder header, overwritten by Close.
		if _, err := ws.Write(cw.pad); err != nil {
			return nil, fmt.Errorf("cfb: writing header: %w", err)
		}
		cw.seeker, cw.base = ws, base
		cw.body = bufio.NewWriterSize(ws, 64<<10)
	} else {
		cw.spool = &spool{dir: o.TempDir, limit: spoolMemoryLimit}
		cw.body = bufio.NewWriterSize(cw.spool, 64<<10)
	}
	return cw, nil
}

// A Storage is a storage (directory) of a compound file being written.
type Storage struct {
	w  *Writer
	id int
}

// Root returns the root storage.
func (w *Writer) Root() *Storage { return &Storage{w: w, id: 0} }

// CreateStorage adds a storage named name, with class clsid, to the root
// storage. See [Storage.CreateStorage].
func (w *Writer) CreateStorage(name string, clsid CLSID) (*Storage, error) {
	return w.Root().CreateStorage(name, clsid)
}

// CreateStream adds a stream to the root storage. See [Storage.CreateStream].
func (w *Writer) CreateStream(name string, size int64) (io.Writer, error) {
	return w.Root().CreateStream(name, size)
}

// AddStream adds a stream to the root storage. See [Storage.AddStream].
func (w *Writer) AddStream(name string, size int64, r io.Reader) error {
	return w.Root().AddStream(name, size, r)
}

// CreateStorage adds a child storage named name, with class clsid (zero
// for none), and returns it. Names follow the rules of [ErrInvalidName]
// and must differ, ignoring case, from the names of the other children.
func (s *Storage) CreateStorage(name string, clsid CLSID) (*Storage, error) {
	id, err := s.w.add(s.id, name, typeStorage)
	if err != nil {
		return nil, err
	}
	e := s.w.entries[id]
	e.clsid = clsid
	e.kids = map[string]int{}
	return &Storage{w: s.w, id: id}, nil
}

// CreateStream adds a stream named name, of exactly size bytes, and
// returns a writer for its contents. The content must be written before
// the next Create call or Close; writing more than size bytes fails, and
// writing fewer makes the next call fail with [ErrSizeMismatch].
func (s *Storage) CreateStream(name string, size int64) (io.Writer, error) {
	w := s.w
	if size < 0 {
		return nil, fmt.Errorf("cfb: stream %q: negative size %d", name, size)
	}
	if w.version == 3 && size > maxV3StreamSize {
		return nil, fmt.Errorf("cfb: stream %q: %d bytes is more than a version 3 file allows (%d); use version 4", name, size, int64(maxV3StreamSize))
	}
	id, err := w.add(s.id, name, typeStream)
	if err != nil {
		return nil, err
	}
	e := w.entries[id]
	e.size = uint64(size)
	e.start = endOfChain
	sw := &streamWriter{w: w, e: e, size: size, mini: size < miniCutoff}
	if size > 0 {
		if sw.mini {
			e.start = uint32(len(w.miniFAT))
		} else {
			e.start = uint32(len(w.fat))
		}
	}
	w.cur = sw
	return sw, nil
}

// AddStream adds a stream named name whose content is the size bytes
// read from r. It fails with [ErrSizeMismatch] if r ends early or holds
// more than size bytes (it reads one byte past size to check).
func (s *Storage) AddStream(name string, size int64, r io.Reader) error {
	sw, err := s.CreateStream(name, size)
	if err != nil {
		return err
	}
	n, err := io.CopyN(sw, r, size)
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = fmt.Errorf("%w: reader ended after %d of %d bytes", ErrSizeMismatch, n, size)
		}
		err = fmt.Errorf("cfb: stream %q: %w", name, err)
		s.w.fail(err)
		return err
	}
	var one [1]byte
	if k, _ := io.ReadFull(r, one[:]); k > 0 {
		err = fmt.Errorf("cfb: stream %q: %w: reader holds more than %d bytes", name, ErrSizeMismatch, size)
		s.w.fail(err)
		return err
	}
	return nil
}

// fail records the first error; later calls report it.
func (w *Writer) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

// add validates a new child of storage parent and adds its entry, after
// finishing the current stream.
func (w *Writer) add(parent int, name string, typ byte) (int, error) {
	if w.closed {
		return 0, errors.New("cfb: writer is closed")
	}
	if err := w.finishStream(); err != nil {
		return 0, err
	}
	if w.err != nil {
		return 0, w.err
	}
	u, err := encodeName(name)
	if err != nil {
		return 0, fmt.Errorf("cfb: %w", err)
	}
	p := w.entries[parent]
	key := nameKey(u)
	if old, dup := p.kids[key]; dup {
		return 0, fmt.Errorf("cfb: %q in %s: %w (already used by %q)", name, w.path(parent), ErrDuplicateName, string(utf16.Decode(w.entries[old].name)))
	}
	if len(w.entries) >= int(maxRegSect) {
		return 0, errors.New("cfb: too many directory entries")
	}
	id := len(w.entries)
	w.entries = append(w.entries, &entry{name: u, typ: typ, parent: parent})
	p.kids[key] = id
	p.order = append(p.order, id)
	return id, nil
}

// path names storage id for error messages.
func (w *Writer) path(id int) string {
	if id == 0 {
		return "root storage"
	}
	var parts []string
	for ; id != 0; id = w.entries[id].parent {
		parts = append(parts, string(utf16.Decode(w.entries[id].name)))
	}
	slices.Reverse(parts)
	return fmt.Sprintf("storage %q", strings.Join(parts, "/"))
}

// streamWriter receives the content of one stream.
type streamWriter struct {
	w       *Writer
	e       *entry
	size    int64
	written int64
	mini    bool
	done    bool
}

// Write implements io.Writer.
func (sw *streamWriter) Write(p []byte) (int, error) {
	w := sw.w
	name := string(utf16.Decode(sw.e.name))
	if sw.done || w.cur != sw {
		return 0, fmt.Errorf("cfb: stream %q: write after the stream was finished", name)
	}
	if w.err != nil {
		return 0, w.err
	}
	if int64(len(p)) > sw.size-sw.written {
		return 0, fmt.Errorf("cfb: stream %q: %w: writing %d more bytes would exceed the declared %d", name, ErrSizeMismatch, len(p), sw.size)
	}
	if sw.mini {
		total := len(p)
		sw.written += int64(total)
		for len(p) > 0 {
			n := min(len(p), w.secSize-len(w.miniBuf))
			w.miniBuf = append(w.miniBuf, p[:n]...)
			p = p[n:]
			if len(w.miniBuf) == w.secSize {
				if err := w.flushMini(); err != nil {
					return 0, err
				}
			}
		}
		return total, nil
	}
	n, err := w.body.Write(p)
	sw.written += int64(n)
	if err != nil {
		err = fmt.Errorf("cfb: stream %q: %w", name, err)
		w.fail(err)
	}
	return n, err
}

// flushMini writes the buffered mini stream bytes as one regular sector,
// zero-padded, and links it into the mini stream's FAT chain.
func (w *Writer) flushMini() error {
	if len(w.miniBuf) == 0 {
		return nil
	}
	w.miniBuf = append(w.miniBuf, w.pad[:w.secSize-len(w.miniBuf)]...)
	if _, err := w.body.Write(w.miniBuf); err != nil {
		err = fmt.Errorf("cfb: writing mini stream: %w", err)
		w.fail(err)
		return err
	}
	w.miniBuf = w.miniBuf[:0]
	sec := uint32(len(w.fat))
	w.fat = append(w.fat, endOfChain)
	if w.miniLast == endOfChain {
		w.miniFirst = sec
	} else {
		w.fat[w.miniLast] = sec
	}
	w.miniLast = sec
	return nil
}

// finishStream checks the current stream's size, pads it to a whole
// (mini) sector and records its chain.
func (w *Writer) finishStream() error {
	sw := w.cur
	if sw == nil {
		return nil
	}
	w.cur = nil
	sw.done = true
	if w.err != nil {
		return w.err
	}
	if sw.written != sw.size {
		err := fmt.Errorf("cfb: stream %q: %w: %d bytes written, %d declared", string(utf16.Decode(sw.e.name)), ErrSizeMismatch, sw.written, sw.size)
		w.fail(err)
		return err
	}
	if sw.size == 0 {
		return nil
	}
	if sw.mini {
		n := int((sw.size + miniSectorSize - 1) / miniSectorSize)
		if r := int(sw.size % miniSectorSize); r != 0 {
			w.miniBuf = append(w.miniBuf, w.pad[:miniSectorSize-r]...)
			if len(w.miniBuf) == w.secSize {
				if err := w.flushMini(); err != nil {
					return err
				}
			}
		}
		first := uint32(len(w.miniFAT))
		for i := range n {
			w.miniFAT = append(w.miniFAT, first+uint32(i)+1)
		}
		w.miniFAT[len(w.miniFAT)-1] = endOfChain
		return nil
	}
	if r := int(sw.size % int64(w.secSize)); r != 0 {
		if _, err := w.body.Write(w.pad[:w.secSize-r]); err != nil {
			err = fmt.Errorf("cfb: stream %q: %w", string(utf16.Decode(sw.e.name)), err)
			w.fail(err)
			return err
		}
	}
	n := (sw.size + int64(w.secSize) - 1) / int64(w.secSize)
	if int64(len(w.fat))+n > int64(maxRegSect) {
		err := errors.New("cfb: file too large for 32-bit sector numbers")
		w.fail(err)
		return err
	}
	return w.appendChain(int(n))
}

// appendChain records n new contiguous sectors as one chain in the FAT.
func (w *Writer) appendChain(n int) error {
	first := uint32(len(w.fat))
	for i := range n {
		w.fat = append(w.fat, first+uint32(i)+1)
	}
	if n > 0 {
		w.fat[len(w.fat)-1] = endOfChain
	}
	return nil
}

// writeSectors writes b, zero-padded to whole sectors, as one chain and
// returns its first sector (endOfChain when b is empty).
func (w *Writer) writeSectors(b []byte) (uint32, error) {
	if len(b) == 0 {
		return endOfChain, nil
	}
	first := uint32(len(w.fat))
	if _, err := w.body.Write(b); err != nil {
		return 0, err
	}
	if r := len(b) % w.secSize; r != 0 {
		if _, err := w.body.Write(w.pad[:w.secSize-r]); err != nil {
			return 0, err
		}
	}
	return first, w.appendChain((len(b) + w.secSize - 1) / w.secSize)
}

// Close finishes the current stream, writes the directory, the allocation
// tables and the header, and releases any temporary file. It does not
// close the underlying writer.
func (w *Writer) Close() error {
	if w.closed {
		return errors.New("cfb: writer is already closed")
	}
	err := w.close()
	w.closed = true
	if w.spool != nil {
		if cerr := w.spool.release(); err == nil && cerr != nil {
			err = fmt.Errorf("cfb: removing temporary file: %w", cerr)
		}
	}
	return err
}

func (w *Writer) close() error {
	if err := w.finishStream(); err != nil {
		return err
	}
	if w.err != nil {
		return w.err
	}
	if err := w.flushMini(); err != nil {
		return err
	}
	root := w.entries[0]
	root.start = w.miniFirst
	root.size = uint64(len(w.miniFAT)) * miniSectorSize
	w.buildTrees()

	// Directory.
	perSec := w.secSize / dirEntrySize
	nDirSec := (len(w.entries) + perSec - 1) / perSec
	dir := make([]byte, nDirSec*w.secSize)
	for i := range nDirSec * perSec {
		b := dir[i*dirEntrySize : (i+1)*dirEntrySize]
		if i < len(w.entries) {
			w.entries[i].put(b)
		} else {
			binary.LittleEndian.PutUint32(b[68:], noStream)
			binary.LittleEndian.PutUint32(b[72:], noStream)
			binary.LittleEndian.PutUint32(b[76:], noStream)
		}
	}
	dirStart, err := w.writeSectors(dir)
	if err != nil {
		return fmt.Errorf("cfb: writing directory: %w", err)
	}

	// Mini FAT.
	mfat := make([]byte, 4*len(w.miniFAT))
	for i, v := range w.miniFAT {
		binary.LittleEndian.PutUint32(mfat[4*i:], v)
	}
	for len(mfat)%w.secSize != 0 {
		mfat = binary.LittleEndian.AppendUint32(mfat, freeSect)
	}
	miniFATStart, err := w.writeSectors(mfat)
	if err != nil {
		return fmt.Errorf("cfb: writing mini FAT: %w", err)
	}
	nMiniFATSec := len(mfat) / w.secSize

	// FAT and DIFAT: find the smallest FAT that maps every sector,
	// including its own and the DIFAT's.
	perFAT := w.secSize / 4
	perDIFAT := perFAT - 1
	n := len(w.fat)
	nFAT, nDIFAT := 0, 0
	for {
		need := (n + nFAT + nDIFAT + perFAT - 1) / perFAT
		d := 0
		if need > headerDIFATLen {
			d = (need - headerDIFATLen + perDIFAT - 1) / perDIFAT
		}
		if need == nFAT && d == nDIFAT {
			break
		}
		nFAT, nDIFAT = need, d
	}
	if uint64(n+nFAT+nDIFAT) > uint64(maxRegSect) {
		return errors.New("cfb: file too large for 32-bit sector numbers")
	}
	fatStart := uint32(n)
	for range nFAT {
		w.fat = append(w.fat, fatSect)
	}
	difatStart := uint32(len(w.fat))
	for range nDIFAT {
		w.fat = append(w.fat, difSect)
	}
	sec := make([]byte, w.secSize)
	for i := range nFAT {
		for j := range perFAT {
			v := freeSect
			if k := i*perFAT + j; k < len(w.fat) {
				v = w.fat[k]
			}
			binary.LittleEndian.PutUint32(sec[4*j:], v)
		}
		if _, err := w.body.Write(sec); err != nil {
			return fmt.Errorf("cfb: writing FAT: %w", err)
		}
	}
	// FAT sector locations beyond the header's 109 go to DIFAT sectors.
	fatLoc := func(k int) uint32 {
		if k < nFAT {
			return fatStart + uint32(k)
		}
		return freeSect
	}
	for i := range nDIFAT {
		for j := range perDIFAT {
			binary.LittleEndian.PutUint32(sec[4*j:], fatLoc(headerDIFATLen+i*perDIFAT+j))
		}
		next := endOfChain
		if i+1 < nDIFAT {
			next = difatStart + uint32(i) + 1
		}
		binary.LittleEndian.PutUint32(sec[4*perDIFAT:], next)
		if _, err := w.body.Write(sec); err != nil {
			return fmt.Errorf("cfb: writing DIFAT: %w", err)
		}
	}
	if err := w.body.Flush(); err != nil {
		return fmt.Errorf("cfb: writing: %w", err)
	}

	// Header.
	h := make([]byte, w.secSize)
	copy(h, signature[:])
	binary.LittleEndian.PutUint16(h[24:], 0x003E)
	binary.LittleEndian.PutUint16(h[26:], uint16(w.version))
	binary.LittleEndian.PutUint16(h[28:], 0xFFFE)
	binary.LittleEndian.PutUint16(h[30:], w.secShift)
	binary.LittleEndian.PutUint16(h[32:], miniSectorShift)
	if w.version == 4 {
		binary.LittleEndian.PutUint32(h[40:], uint32(nDirSec))
	}
	binary.LittleEndian.PutUint32(h[44:], uint32(nFAT))
	binary.LittleEndian.PutUint32(h[48:], dirStart)
	binary.LittleEndian.PutUint32(h[56:], miniCutoff)
	binary.LittleEndian.PutUint32(h[60:], miniFATStart)
	binary.LittleEndian.PutUint32(h[64:], uint32(nMiniFATSec))
	difatFirst := endOfChain
	if nDIFAT > 0 {
		difatFirst = difatStart
	}
	binary.LittleEndian.PutUint32(h[68:], difatFirst)
	binary.LittleEndian.PutUint32(h[72:], uint32(nDIFAT))
	for k := range headerDIFATLen {
		binary.LittleEndian.PutUint32(h[76+4*k:], fatLoc(k))
	}

	if w.seeker != nil {
		end := w.base + int64(w.secSize)*int64(1+len(w.fat))
		if _, err := w.seeker.Seek(w.base, io.SeekStart); err != nil {
			return fmt.Errorf("cfb: seeking to the header: %w", err)
		}
		if _, err := w.seeker.Write(h); err != nil {
			return fmt.Errorf("cfb: writing header: %w", err)
		}
		if _, err := w.seeker.Seek(end, io.SeekStart); err != nil {
			return fmt.Errorf("cfb: seeking to the end: %w", err)
		}
		return nil
	}
	if _, err := w.dst.Write(h); err != nil {
		return fmt.Errorf("cfb: writing header: %w", err)
	}
	if err := w.spool.copyTo(w.dst); err != nil {
		return fmt.Errorf("cfb: writing body: %w", err)
	}
	return nil
}

// buildTrees links the children of every storage into a red-black tree
// ordered by compareNames, and points the storage at the tree's root.
func (w *Writer) buildTrees() {
	for _, e := range w.entries {
		e.left, e.right, e.child, e.color = noStream, noStream, noStream, colorBlack
	}
	for _, e := range w.entries {
		if e.typ != typeStorage && e.typ != typeRoot {
			continue
		}
		kids := slices.Clone(e.order)
		slices.SortFunc(kids, func(a, b int) int {
			return compareNames(w.entries[a].name, w.entries[b].name)
		})
		e.child = w.link(kids, 0, redDepth(len(kids)))
	}
}

// redDepth returns the depth (root = 0) at which link colours nodes red:
// the one level of a height-balanced tree of n nodes that is not full.
// Every path from the root to a leaf passes the same number of black nodes
// (the full levels) and no red node has a child, so the tree is a valid
// red-black tree.
func redDepth(n int) int {
	full := 0 // number of full levels: largest k with 2^k - 1 <= n
	for (1<<(full+1))-1 <= n {
		full++
	}
	return full
}

// link builds a height-balanced binary search tree over the sorted ids
// and returns its root (noStream when ids is empty).
func (w *Writer) link(ids []int, depth, red int) uint32 {
	if len(ids) == 0 {
		return noStream
	}
	mid := len(ids) / 2
	e := w.entries[ids[mid]]
	e.left = w.link(ids[:mid], depth+1, red)
	e.right = w.link(ids[mid+1:], depth+1, red)
	if depth >= red {
		e.color = colorRed
	}
	return uint32(ids[mid])
}

// put encodes the entry as a 128-byte directory entry.
func (e *entry) put(b []byte) {
	for i, c := range e.name {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	binary.LittleEndian.PutUint16(b[64:], uint16(2*(len(e.name)+1)))
	b[66] = e.typ
	b[67] = e.color
	binary.LittleEndian.PutUint32(b[68:], e.left)
	binary.LittleEndian.PutUint32(b[72:], e.right)
	binary.LittleEndian.PutUint32(b[76:], e.child)
	e.clsid.putDisk(b[80:96])
	// State bits and timestamps stay zero.
	if e.typ == typeStream || e.typ == typeRoot {
		binary.LittleEndian.PutUint32(b[116:], e.start)
		binary.LittleEndian.PutUint64(b[120:], e.size)
	}
}

// spool holds the body of a file whose destination cannot seek: in memory
// up to limit bytes, then in a temporary file.
type spool struct {
	dir   string
	limit int
	buf   []byte
	f     *os.File
}

func (s *spool) Write(p []byte) (int, error) {
	if s.f == nil && len(s.buf)+len(p) <= s.limit {
		s.buf = append(s.buf, p...)
		return len(p), nil
	}
	if s.f == nil {
		f, err := os.CreateTemp(s.dir, "cfb-*.tmp")
		if err != nil {
			return 0, err
		}
		s.f = f
		if _, err := f.Write(s.buf); err != nil {
			return 0, err
		}
		s.buf = nil
	}
	return s.f.Write(p)
}

func (s *spool) copyTo(w io.Writer) error {
	if s.f == nil {
		_, err := w.Write(s.buf)
		return err
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err := io.Copy(w, s.f)
	return err
}

func (s *spool) release() error {
	s.buf = nil
	if s.f == nil {
		return nil
	}
	name := s.f.Name()
	err := s.f.Close()
	if rerr := os.Remove(name); err == nil {
		err = rerr
	}
	s.f = nil
	return err
}
