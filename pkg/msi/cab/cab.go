// Package cab writes Microsoft cabinet files (MS-CAB), the container that
// carries an MSI's payload: one folder, files in the order they are added,
// data in 32 KiB CFDATA blocks with their checksums, stored uncompressed
// (None) or MSZIP-compressed. It is used like archive/zip:
//
//	w, err := cab.NewWriter(out, cab.Options{Compression: cab.MSZIP, Date: t})
//	err = w.Add("File1", size, r, cab.AttrArchive) // once per file, in order
//	err = w.Close()                                 // writes the cabinet
//
// # MSZIP
//
// Each 32 KiB block of the folder's uncompressed data becomes "CK" followed
// by a complete deflate stream (ending in a final block). Decoders keep the
// previous block's data as history, so a block may refer back into it, as
// gcab's and Windows' own cabinets do. The writer cuts the folder into runs
// of 16 blocks and compresses each run with one deflate state (the run's
// first block gets the previous block as a preset dictionary), ending every
// block with a flush and an empty final block: runs compress in parallel
// (Options.Workers, GOMAXPROCS by default), output does not depend on the
// number of workers, and the size is a sequential compressor's (resetting
// the history at every block costs size: docs/benchmarks.md).
// cabextract, gcab, Wine's cabinet.dll and the tests' own reader extract
// such cabinets byte for byte. A block that does not compress is written as
// one stored deflate block, so a record never exceeds 32 KiB + 12 bytes.
//
// Blocks are compressed with github.com/klauspost/compress/flate, then
// decoded again with a strict decoder that applies libmspack's rule (every
// Huffman code complete) and compares the result with the input. Go's
// encoders leave a code incomplete when a block uses a single distance code
// (a run of one byte) or none (no matches), and cabextract rejects those
// blocks; the writer re-encodes them with deflate's fixed codes or stores
// them (see deflate.go); the history the next block refers to is the
// uncompressed data, so that does not disturb the rest of the run. The check
// costs about a tenth of the compression time.
//
// # Memory and the spool file
//
// A cabinet's headers come first but hold the final sizes, so the data
// cannot go straight to the output. Add cuts the input into blocks and
// hands them to the compressors; a single goroutine takes the finished
// CFDATA records back in order and appends them to a temporary spool file
// (Options.TempDir). Close writes the headers and then copies the spool. At
// most about 3 * Workers blocks are in memory at once (about 64 KiB each),
// whatever the payload size; the spool file grows to the compressed size.
//
// # Determinism
//
// Output depends only on the files, their order, attributes and Options
// (not on Workers, timing or the clock): every file gets Options.Date,
// which callers derive from SOURCE_DATE_EPOCH, and the zero Date stands for
// a fixed 1980-01-01 00:00:00.
package cab

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/klauspost/compress/flate"
)

// Compression methods.
const (
	// None stores data uncompressed.
	None = 0
	// MSZIP compresses each 32 KiB block with deflate.
	MSZIP = 1
)

// Format limits.
const (
	// BlockSize is the uncompressed size of a CFDATA block.
	BlockSize = 32768
	// MaxFiles is the most files one cabinet holds.
	MaxFiles = 65535
	// MaxBlocks is the most CFDATA blocks one folder holds, which bounds the
	// folder's uncompressed size to MaxBlocks * BlockSize (just under 2 GiB).
	MaxBlocks = 65535
	// MaxFileSize is the largest single file (2 GiB - 1).
	MaxFileSize = 0x7FFFFFFF
	// MaxFolderSize is the most uncompressed bytes in the cabinet's one
	// folder, MaxBlocks full blocks (2 GiB - 32 KiB), as cabextract enforces.
	MaxFolderSize = MaxBlocks * BlockSize
	// MaxNameLen is the longest file name in bytes (UTF-8).
	MaxNameLen = 255
)

// File attributes for Add, to be combined with |.
const (
	// AttrReadOnly marks a read-only file.
	AttrReadOnly = 0x01
	// AttrHidden marks a hidden file.
	AttrHidden = 0x02
	// AttrSystem marks a system file.
	AttrSystem = 0x04
	// AttrArchive marks a file changed since the last backup, as most are.
	AttrArchive = 0x20
	// AttrExec asks extractors that honour it to make the file executable.
	AttrExec = 0x40
	// attrNameUTF says the name is UTF-8; Add sets it for non-ASCII names.
	attrNameUTF = 0x80
)

// DefaultLevel is the deflate level MSZIP uses when Options.Level is 0,
// with github.com/klauspost/compress's encoder: smaller than gcab's
// cabinets for less CPU (go run ./bench/cab; figures in docs/benchmarks.md).
const DefaultLevel = 7

const (
	headerSize = 36
	folderSize = 8
	fileFixed  = 16
	dataHeader = 8
)

// Options configures a Writer.
type Options struct {
	// Compression is None or MSZIP (default None).
	Compression int
	// Level is the deflate level for MSZIP, from flate.HuffmanOnly
	// (-2) to flate.BestCompression (9); 0 means DefaultLevel (use None, not
	// level 0, to store data uncompressed). Levels -2 and -1 leave nearly
	// every block with an incomplete distance code, which libmspack
	// refuses: such blocks go through the fixed-code fallback, so they
	// are for tests of that path, not for use.
	Level int
	// Date is every file's date and time (from SOURCE_DATE_EPOCH), stored
	// as a DOS date and time in UTC (2-second resolution, clamped to 1980
	// to 2107); the zero value means 1980-01-01 00:00:00.
	Date time.Time
	// Workers compress blocks in parallel; 0 means GOMAXPROCS.
	Workers int
	// SetID is the cabinet set ID; 0 is fine for a single cabinet.
	SetID uint16
	// TempDir holds the spool file; "" means os.TempDir().
	TempDir string
}

type fileEntry struct {
	name   string
	size   uint32
	offset uint32 // uncompressed offset in the folder
	attrs  uint16
}

type block struct {
	seq  int
	raw  []byte        // uncompressed data, up to BlockSize
	dict []byte        // the previous block's data: the decoder's history
	out  *bytes.Buffer // the whole CFDATA: header, then payload
	err  error
	done chan struct{}
}

// Writer writes one cabinet. Add files with Add, then Close. A Writer is not
// safe for concurrent use; it runs its own compression goroutines.
type Writer struct {
	history []byte // the last queued block's data, the next one's dictionary
	w       io.Writer
	opts    Options
	files   []fileEntry
	total   int64 // uncompressed bytes so far
	buf     []byte
	err     error
	closed  bool

	spool     *os.File
	spoolW    *bufio.Writer
	spoolErr  atomic.Pointer[error] // first spool or compression error, seen by Add early
	dataBytes int64
	blocks    int
	pending   chan *block   // in order, to the spooler
	work      chan []*block // runs of consecutive blocks, to the compressors
	run       []*block      // the run being filled
	wg        sync.WaitGroup
	spoolDone chan error
	rawPool   sync.Pool
	outPool   sync.Pool
}

// NewWriter returns a Writer that writes a cabinet to w at Close. It creates
// the spool file at once (in opts.TempDir) and starts opts.Workers
// compression goroutines; Close releases both.
func NewWriter(w io.Writer, opts Options) (*Writer, error) {
	if opts.Compression != None && opts.Compression != MSZIP {
		return nil, fmt.Errorf("cab: compression %d: want cab.None or cab.MSZIP", opts.Compression)
	}
	if opts.Level == 0 {
		opts.Level = DefaultLevel
	}
	if opts.Level < flate.HuffmanOnly || opts.Level > flate.BestCompression {
		return nil, fmt.Errorf("cab: deflate level %d: want -2 to 9", opts.Level)
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	spool, err := os.CreateTemp(opts.TempDir, "svcpack-cab-*")
	if err != nil {
		return nil, fmt.Errorf("cab: spool file: %w", err)
	}
	cw := &Writer{
		w: w, opts: opts, spool: spool, spoolW: bufio.NewWriterSize(spool, 256<<10),
		pending: make(chan *block, (opts.Workers+2)*runBlocks), work: make(chan []*block, opts.Workers),
		spoolDone: make(chan error, 1),
	}
	cw.rawPool.New = func() any { return make([]byte, 0, BlockSize) }
	cw.outPool.New = func() any { return bytes.NewBuffer(make([]byte, 0, dataHeader+BlockSize+16)) }
	for range opts.Workers {
		cw.wg.Add(1)
		go cw.compressor()
	}
	go cw.spooler()
	return cw, nil
}

// compressor turns raw blocks into complete CFDATA records (header with
// checksum, then payload).
func (cw *Writer) compressor() {
	defer cw.wg.Done()
	var st encoder
	if cw.opts.Compression == MSZIP {
		// One deflate state per compressor, reset with each run's history
		// (ResetDict is NewWriterDict without a megabyte of new tables).
		// The level was checked by NewWriter.
		st.fw, _ = flate.NewWriter(&st.sink, cw.opts.Level)
	}
	for run := range cw.work {
		if st.fw != nil {
			st.fw.ResetDict(&st.sink, run[0].dict)
		}
		for _, b := range run {
			b.out = cw.outPool.Get().(*bytes.Buffer)
			b.out.Reset()
			b.err = cw.encode(b, &st)
			if b.err != nil {
				cw.spoolErr.CompareAndSwap(nil, &b.err)
			}
			close(b.done)
		}
	}
}

// runBlocks is how many consecutive blocks one compressor encodes with one
// deflate stream state: 16 blocks, 512 KiB.
const runBlocks = 16

// sink is the flate writer's output, pointed at each block's record in turn.
type sink struct{ w io.Writer }

func (s *sink) Write(p []byte) (int, error) { return s.w.Write(p) }

// encoder is one compressor goroutine's reusable state.
type encoder struct {
	fw     *flate.Writer
	newRun bool // the next block is a run's first
	sink   sink
	fixed  []byte  // encodeFixed's output
	dec    decoder // checkDeflate's tables
}

// encode fills b.out with b.raw's CFDATA record.
func (cw *Writer) encode(b *block, st *encoder) error {
	out := b.out
	out.Write(make([]byte, dataHeader)) // header, filled in below
	if cw.opts.Compression == None {
		out.Write(b.raw)
	} else {
		out.WriteString("CK")
		// The decoder keeps the previous block's data as history (MSZIP
		// carries up to 32 KiB across blocks), so consecutive blocks of a
		// run share one deflate state: each block's bytes end with a flush
		// (byte-aligned, an empty non-final stored block) and a final
		// empty fixed block, so every record is a complete deflate stream
		// whose back-references may reach into the previous block. A run's
		// first block gets that history as a preset dictionary. Runs
		// compress in parallel; the size is a sequential compressor's.
		st.sink.w = out
		if _, err := st.fw.Write(b.raw); err != nil {
			return fmt.Errorf("cab: block %d: %w", b.seq, err)
		}
		if err := st.fw.Flush(); err != nil {
			return fmt.Errorf("cab: block %d: %w", b.seq, err)
		}
		out.Write(finalEmptyBlock[:])
		switch {
		case out.Len()-dataHeader > len(b.raw)+storedOverhead:
			// flate found nothing to gain (random or compressed data), and
			// it weighs fixed codes too: a stored block is the smallest.
			out.Truncate(dataHeader)
			appendStored(out, b.raw)
		case checkDeflate(out.Bytes()[dataHeader+2:], b.raw, b.dict, &st.dec) != nil:
			// A stream libmspack would reject (see deflate.go): re-encode
			// with fixed codes, or stored, whichever is smaller.
			st.fixed = encodeFixed(st.fixed[:0], b.raw)
			fixed := st.fixed
			out.Truncate(dataHeader)
			if len(fixed) < len(b.raw)+storedOverhead-2 &&
				checkDeflate(fixed, b.raw, nil, &st.dec) == nil {
				out.WriteString("CK")
				out.Write(fixed)
			} else {
				appendStored(out, b.raw)
			}
		}
		if n := out.Len() - dataHeader; n > BlockSize+12 {
			return fmt.Errorf("cab: block %d compressed to %d bytes, over the MSZIP limit", b.seq, n)
		}
	}
	rec := out.Bytes()
	le := binary.LittleEndian
	le.PutUint16(rec[4:], uint16(len(rec)-dataHeader))
	le.PutUint16(rec[6:], uint16(len(b.raw)))
	le.PutUint32(rec[0:], checksum(rec[4:8], checksum(rec[dataHeader:], 0)))
	return nil
}

// finalEmptyBlock is a final deflate block with fixed codes holding only
// the end-of-block symbol: BFINAL=1, BTYPE=01, then seven zero bits.
var finalEmptyBlock = [2]byte{0x03, 0x00}

// storedOverhead is what appendStored adds to the data: "CK", the block
// header byte, LEN and NLEN.
const storedOverhead = 7

// appendStored writes "CK" and a deflate stream of one final stored block:
// BFINAL=1 and BTYPE=00 in the first byte, then LEN and its complement.
func appendStored(out *bytes.Buffer, raw []byte) {
	n := uint16(len(raw))
	out.Write([]byte{'C', 'K', 0x01, byte(n), byte(n >> 8), ^byte(n), ^byte(n >> 8)})
	out.Write(raw)
}

// spooler writes finished records, in order, to the spool file.
func (cw *Writer) spooler() {
	var err error
	for b := range cw.pending {
		<-b.done
		if err == nil && b.err != nil {
			err = b.err
		}
		if err == nil {
			if _, werr := cw.spoolW.Write(b.out.Bytes()); werr != nil {
				err = fmt.Errorf("cab: spool file: %w", werr)
				cw.spoolErr.CompareAndSwap(nil, &err)
			}
			cw.dataBytes += int64(b.out.Len())
		}
		cw.rawPool.Put(b.raw[:0])
		cw.outPool.Put(b.out)
	}
	if err == nil {
		if ferr := cw.spoolW.Flush(); ferr != nil {
			err = fmt.Errorf("cab: spool file: %w", ferr)
		}
	}
	cw.spoolDone <- err
}

// checksum is the MS-CAB CFDATA checksum: the XOR of the data taken as
// little-endian 32-bit words, the last 1 to 3 bytes packed high to low.
// A record's checksum is checksum(cbData and cbUncomp, checksum(data, 0)).
func checksum(b []byte, seed uint32) uint32 {
	sum := seed
	n := len(b) / 4
	for i := 0; i < n; i++ {
		sum ^= binary.LittleEndian.Uint32(b[4*i:])
	}
	var tail uint32
	for _, c := range b[4*n:] {
		tail = tail<<8 | uint32(c)
	}
	return sum ^ tail
}

// Add appends a file of the given size read from r. Name is the name stored
// in the cabinet (for an MSI, the File table key).
//
// Add reads exactly size bytes from r (fewer, or more, is an error) and
// fails past the format's limits: MaxFiles files, MaxNameLen bytes of name,
// MaxFileSize bytes in one file, MaxFolderSize bytes in all. Names that are
// not ASCII are stored as UTF-8 with the name-is-UTF attribute set. The
// first error is final: later Adds and Close return it.
func (cw *Writer) Add(name string, size int64, r io.Reader, attrs uint16) error {
	if cw.closed {
		return errors.New("cab: Add after Close")
	}
	if cw.err != nil {
		return cw.err
	}
	if err := cw.add(name, size, r, attrs); err != nil {
		cw.err = err
		return err
	}
	return nil
}

func (cw *Writer) add(name string, size int64, r io.Reader, attrs uint16) error {
	switch {
	case name == "":
		return errors.New("cab: empty file name")
	case len(name) > MaxNameLen:
		return fmt.Errorf("cab: file name %q is %d bytes: the format allows %d", name, len(name), MaxNameLen)
	case !utf8.ValidString(name) || bytes.IndexByte([]byte(name), 0) >= 0:
		return fmt.Errorf("cab: file name %q is not valid UTF-8 without NUL", name)
	case len(cw.files) >= MaxFiles:
		return fmt.Errorf("cab: %s: a cabinet holds at most %d files", name, MaxFiles)
	case size < 0 || size > MaxFileSize:
		return fmt.Errorf("cab: %s: size %d: a file must be 0 to %d bytes", name, size, int64(MaxFileSize))
	case cw.total+size > MaxFolderSize:
		return fmt.Errorf("cab: %s: the files would total %d bytes: a cabinet folder holds at most %d", name, cw.total+size, int64(MaxFolderSize))
	}
	attrs &^= attrNameUTF // set from the name alone
	for i := 0; i < len(name); i++ {
		if name[i] >= 0x80 {
			attrs |= attrNameUTF
			break
		}
	}
	cw.files = append(cw.files, fileEntry{name: name, size: uint32(size), offset: uint32(cw.total), attrs: attrs})
	n, err := io.CopyN(writerFunc(cw.write), r, size)
	if errp := cw.spoolErr.Load(); errp != nil {
		return *errp
	}
	if err != nil {
		return fmt.Errorf("cab: %s: read %d of %d bytes: %w", name, n, size, err)
	}
	var probe [1]byte
	if m, _ := r.Read(probe[:]); m > 0 {
		return fmt.Errorf("cab: %s: the reader holds more than the %d bytes declared", name, size)
	}
	return nil
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// write fills 32 KiB blocks and queues each full one.
func (cw *Writer) write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if cw.buf == nil {
			cw.buf = cw.rawPool.Get().([]byte)
		}
		k := min(BlockSize-len(cw.buf), len(p))
		cw.buf = append(cw.buf, p[:k]...)
		p = p[k:]
		cw.total += int64(k)
		if len(cw.buf) == BlockSize {
			cw.queue()
		}
	}
	return n, nil
}

func (cw *Writer) queue() {
	b := &block{seq: cw.blocks, raw: cw.buf, dict: cw.history, done: make(chan struct{})}
	// A copy, since raw buffers are reused once spooled.
	cw.history = append([]byte(nil), cw.buf...)
	cw.buf = nil
	cw.blocks++
	cw.pending <- b
	cw.run = append(cw.run, b)
	if len(cw.run) == runBlocks {
		cw.work <- cw.run
		cw.run = nil
	}
}

// Close compresses what is left, then writes the whole cabinet to the
// underlying writer: the headers, then the spooled data. It does not close
// the underlying writer. Close always stops the goroutines and removes the
// spool file, even after an error; a second Close returns an error.
func (cw *Writer) Close() error {
	if cw.closed {
		return errors.New("cab: writer closed twice")
	}
	cw.closed = true
	defer func() {
		cw.spool.Close()
		os.Remove(cw.spool.Name())
	}()
	if len(cw.buf) > 0 && cw.err == nil {
		cw.queue()
	}
	if len(cw.run) > 0 {
		cw.work <- cw.run // the last, partial run
		cw.run = nil
	}
	close(cw.work)
	close(cw.pending)
	cw.wg.Wait()
	spoolErr := <-cw.spoolDone
	if cw.err != nil {
		return cw.err
	}
	if spoolErr != nil {
		return spoolErr
	}
	if len(cw.files) == 0 {
		return errors.New("cab: no files: a cabinet must hold at least one (cabextract rejects an empty one)")
	}
	if cw.blocks > MaxBlocks {
		return fmt.Errorf("cab: %d data blocks: the format allows %d per folder", cw.blocks, MaxBlocks)
	}
	var names int64
	for _, f := range cw.files {
		names += int64(len(f.name)) + 1
	}
	filesOff := int64(headerSize + folderSize)
	dataOff := filesOff + int64(len(cw.files))*fileFixed + names
	total := dataOff + cw.dataBytes
	if total > 0xFFFFFFFF {
		return fmt.Errorf("cab: cabinet would be %d bytes: the format allows 4 GiB", total)
	}
	d, t := dosDateTime(cw.opts.Date)
	hdr := make([]byte, 0, dataOff)
	le := binary.LittleEndian
	hdr = append(hdr, 'M', 'S', 'C', 'F')
	hdr = le.AppendUint32(hdr, 0)
	hdr = le.AppendUint32(hdr, uint32(total))
	hdr = le.AppendUint32(hdr, 0)
	hdr = le.AppendUint32(hdr, uint32(filesOff))
	hdr = le.AppendUint32(hdr, 0)
	hdr = append(hdr, 3, 1) // version 1.3
	hdr = le.AppendUint16(hdr, 1)
	hdr = le.AppendUint16(hdr, uint16(len(cw.files)))
	hdr = le.AppendUint16(hdr, 0) // flags: no reserve, no previous/next cabinet
	hdr = le.AppendUint16(hdr, cw.opts.SetID)
	hdr = le.AppendUint16(hdr, 0)
	// CFFOLDER
	hdr = le.AppendUint32(hdr, uint32(dataOff))
	hdr = le.AppendUint16(hdr, uint16(cw.blocks))
	hdr = le.AppendUint16(hdr, uint16(cw.opts.Compression))
	for _, f := range cw.files {
		hdr = le.AppendUint32(hdr, f.size)
		hdr = le.AppendUint32(hdr, f.offset)
		hdr = le.AppendUint16(hdr, 0)
		hdr = le.AppendUint16(hdr, d)
		hdr = le.AppendUint16(hdr, t)
		hdr = le.AppendUint16(hdr, f.attrs)
		hdr = append(hdr, f.name...)
		hdr = append(hdr, 0)
	}
	if _, err := cw.w.Write(hdr); err != nil {
		return fmt.Errorf("cab: %w", err)
	}
	if _, err := cw.spool.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("cab: %w", err)
	}
	if n, err := io.Copy(cw.w, cw.spool); err != nil || n != cw.dataBytes {
		return fmt.Errorf("cab: copying %d data bytes (copied %d): %v", cw.dataBytes, n, err)
	}
	return nil
}

// dosDateTime converts to DOS date and time (2-second resolution), clamped
// to the DOS range.
func dosDateTime(t time.Time) (date, tm uint16) {
	t = t.UTC()
	if t.Year() < 1980 {
		t = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if t.Year() > 2107 {
		t = time.Date(2107, 12, 31, 23, 59, 58, 0, time.UTC)
	}
	date = uint16((t.Year()-1980)<<9 | int(t.Month())<<5 | t.Day())
	tm = uint16(t.Hour()<<11 | t.Minute()<<5 | t.Second()/2)
	return date, tm
}
