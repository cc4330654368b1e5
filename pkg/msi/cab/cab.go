// Package cab writes Microsoft cabinet files (MS-CAB), the container that
// carries an MSI's payload: one folder, files in the order they are added,
// data in 32 KiB CFDATA blocks with their checksums, stored uncompressed or
// MSZIP-compressed.
//
// MSZIP blocks are compressed independently ("CK" followed by a complete
// deflate stream per 32 KiB block, no history carried from the previous
// block). The format allows a decoder to use the previous block as a preset
// dictionary, and cabextract, gcab and Windows' own decoders keep that
// history, but a block that never refers back decodes the same either way;
// independence is what lets blocks compress in parallel (Options.Workers,
// GOMAXPROCS by default) for a size within a few percent of a sequential
// compressor (see bench/cab).
//
// Memory stays bounded whatever the payload: compressed blocks are spooled
// to a temporary file, and Close writes the headers (which need the final
// sizes) followed by the spooled data. Dates come from Options.Date, never
// the clock, so the same input gives the same bytes.
package cab

import (
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"time"
	"unicode/utf8"
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
	// MaxFileSize is the largest single file.
	MaxFileSize = 0x7FFFFFFF
	// MaxNameLen is the longest file name in bytes (UTF-8).
	MaxNameLen = 255
)

// File attributes.
const (
	AttrReadOnly = 0x01
	AttrHidden   = 0x02
	AttrSystem   = 0x04
	AttrArchive  = 0x20
	attrNameUTF  = 0x80
)

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
	// Level is the deflate level for MSZIP (default flate.BestCompression).
	Level int
	// Date is every file's date and time (from SOURCE_DATE_EPOCH); the zero
	// value means 1980-01-01 00:00:00, the earliest DOS date.
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
	raw  []byte
	out  []byte
	err  error
	done chan struct{}
}

// Writer writes one cabinet. Add files with Add, then Close.
type Writer struct {
	w     io.Writer
	opts  Options
	files []fileEntry
	total int64 // uncompressed bytes so far
	buf   []byte
	err   error

	spool      *os.File
	spoolW     *bufio.Writer
	dataBytes  int64
	blocks     int
	pending    chan *block // in order, to the spooler
	work       chan *block // to the compressors
	wg         sync.WaitGroup
	spoolDone  chan error
	bufPool    sync.Pool
	closedPipe bool
}

// NewWriter returns a Writer that writes a cabinet to w at Close.
func NewWriter(w io.Writer, opts Options) (*Writer, error) {
	if opts.Compression != None && opts.Compression != MSZIP {
		return nil, fmt.Errorf("cab: compression %d: want cab.None or cab.MSZIP", opts.Compression)
	}
	if opts.Level == 0 {
		opts.Level = flate.BestCompression
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
		pending: make(chan *block, 2*opts.Workers), work: make(chan *block, 2*opts.Workers),
		spoolDone: make(chan error, 1),
	}
	cw.bufPool.New = func() any { return make([]byte, 0, BlockSize) }
	for range opts.Workers {
		cw.wg.Add(1)
		go cw.compressor()
	}
	go cw.spooler()
	return cw, nil
}

// compressor turns raw blocks into CFDATA payloads.
func (cw *Writer) compressor() {
	defer cw.wg.Done()
	var fw *flate.Writer
	var out bytes.Buffer
	for b := range cw.work {
		if cw.opts.Compression == None {
			b.out = b.raw
			close(b.done)
			continue
		}
		out.Reset()
		out.WriteString("CK")
		if fw == nil {
			fw, b.err = flate.NewWriter(&out, cw.opts.Level)
		} else {
			fw.Reset(&out)
		}
		if b.err == nil {
			_, b.err = fw.Write(b.raw)
		}
		if b.err == nil {
			b.err = fw.Close()
		}
		b.out = append([]byte(nil), out.Bytes()...)
		if len(b.out) > len(b.raw)+7 {
			// Incompressible: one final stored deflate block is smaller than
			// what flate wrote (it adds an empty final block), and keeps the
			// block within MSZIP's 32 KiB + 12 bytes.
			b.out = storedBlock(b.raw)
		}
		if b.err == nil && len(b.out) > BlockSize+12 {
			b.err = fmt.Errorf("cab: block %d compressed to %d bytes, over the MSZIP limit", b.seq, len(b.out))
		}
		close(b.done)
	}
}

// storedBlock is "CK" and a deflate stream of one final stored block:
// header bits BFINAL=1, BTYPE=00, then LEN and its complement.
func storedBlock(raw []byte) []byte {
	n := uint16(len(raw))
	out := make([]byte, 0, 7+len(raw))
	out = append(out, 'C', 'K', 0x01, byte(n), byte(n>>8), ^byte(n), ^byte(n>>8))
	return append(out, raw...)
}

// spooler writes finished blocks, in order, to the spool file.
func (cw *Writer) spooler() {
	var err error
	var hdr [dataHeader]byte
	for b := range cw.pending {
		<-b.done
		if err == nil && b.err != nil {
			err = b.err
		}
		if err == nil {
			binary.LittleEndian.PutUint16(hdr[4:], uint16(len(b.out)))
			binary.LittleEndian.PutUint16(hdr[6:], uint16(len(b.raw)))
			sum := checksum(b.out, 0)
			sum = checksum(hdr[4:8], sum)
			binary.LittleEndian.PutUint32(hdr[0:], sum)
			if _, werr := cw.spoolW.Write(hdr[:]); werr != nil {
				err = werr
			} else if _, werr := cw.spoolW.Write(b.out); werr != nil {
				err = werr
			}
			cw.dataBytes += int64(dataHeader + len(b.out))
		}
		cw.bufPool.Put(b.raw[:0])
	}
	if err == nil {
		err = cw.spoolW.Flush()
	}
	cw.spoolDone <- err
}

// checksum is the MS-CAB CFDATA checksum: the XOR of the data taken as
// little-endian 32-bit words, the last 1 to 3 bytes packed high to low.
func checksum(b []byte, seed uint32) uint32 {
	sum := seed
	n := len(b) / 4
	for i := 0; i < n; i++ {
		sum ^= binary.LittleEndian.Uint32(b[4*i:])
	}
	var tail uint32
	rest := b[4*n:]
	for _, c := range rest {
		tail = tail<<8 | uint32(c)
	}
	return sum ^ tail
}

// Add appends a file of the given size read from r. Name is the name stored
// in the cabinet (for an MSI, the File table key).
func (cw *Writer) Add(name string, size int64, r io.Reader, attrs uint16) error {
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
	case cw.total+size > int64(MaxBlocks)*BlockSize:
		return fmt.Errorf("cab: %s: the folder would exceed %d bytes uncompressed, the format's limit", name, int64(MaxBlocks)*BlockSize)
	}
	for i := 0; i < len(name); i++ {
		if name[i] >= 0x80 {
			attrs |= attrNameUTF
			break
		}
	}
	cw.files = append(cw.files, fileEntry{name: name, size: uint32(size), offset: uint32(cw.total), attrs: attrs})
	n, err := io.CopyN(writerFunc(cw.write), r, size)
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
			cw.buf = cw.bufPool.Get().([]byte)
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
	b := &block{seq: cw.blocks, raw: cw.buf, done: make(chan struct{})}
	cw.buf = nil
	cw.blocks++
	cw.pending <- b
	cw.work <- b
}

// Close flushes the data and writes the cabinet. The Writer cannot be used
// afterwards; Close always removes the spool file.
func (cw *Writer) Close() error {
	defer func() {
		cw.spool.Close()
		os.Remove(cw.spool.Name())
	}()
	if len(cw.buf) > 0 {
		cw.queue()
	}
	if !cw.closedPipe {
		cw.closedPipe = true
		close(cw.work)
		close(cw.pending)
	}
	cw.wg.Wait()
	spoolErr := <-cw.spoolDone
	if cw.err != nil {
		return cw.err
	}
	if spoolErr != nil {
		return fmt.Errorf("cab: %w", spoolErr)
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
