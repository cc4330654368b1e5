package linuxpkg

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"

	"github.com/svcpack/svcpack/pkg/archive"
)

// RPM tags patched by relativePayload.
const (
	sigTagSHA256      = 273  // hex SHA-256 of the main header
	sigTagSize        = 1000 // main header + payload bytes
	sigTagPayloadSize = 1007 // uncompressed payload bytes
	tagPayloadDigest  = 5092 // hex SHA-256 of the compressed payload
)

// relativePayload rewrites an rpm written by nfpm so that the cpio payload
// names its members ./usr/bin/x, as rpmbuild does, instead of /usr/bin/x.
// rpm itself installs from the header either way, but tools that unpack the
// payload with rpm2cpio | cpio -id (rpmlint among them) would otherwise write
// into the real root directory (goreleaser/nfpm#1122, fixed only in nfpm
// versions the module proxy cannot resolve here). nfpm writes the payload
// stored (gzip level 0); it is compressed here, once, and the digests and
// sizes that cover it are patched in place: they have fixed lengths, so no
// header is re-laid out.
func relativePayload(rpm []byte) ([]byte, error) {
	const leadSize = 96
	sig, err := parseHeader(rpm, leadSize)
	if err != nil {
		return nil, fmt.Errorf("rpm signature header: %w", err)
	}
	mainStart := (sig.end + 7) &^ 7
	main, err := parseHeader(rpm, mainStart)
	if err != nil {
		return nil, fmt.Errorf("rpm header: %w", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(rpm[main.end:]))
	if err != nil {
		return nil, fmt.Errorf("rpm payload: %w", err)
	}
	cpio, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("rpm payload: %w", err)
	}
	rewritten, err := relativeCpio(cpio)
	if err != nil {
		return nil, err
	}
	var payload bytes.Buffer
	zw := archive.NewGzip(&payload)
	zw.Write(rewritten)
	if err := zw.Close(); err != nil {
		return nil, err
	}

	out := append([]byte(nil), rpm[:main.end]...)
	digest := sha256.Sum256(payload.Bytes())
	if err := main.putString(out, tagPayloadDigest, hex.EncodeToString(digest[:])); err != nil {
		return nil, err
	}
	headerDigest := sha256.Sum256(out[mainStart:main.end])
	if err := sig.putString(out, sigTagSHA256, hex.EncodeToString(headerDigest[:])); err != nil {
		return nil, err
	}
	if err := sig.putInt32(out, sigTagSize, uint32(main.end-mainStart+payload.Len())); err != nil {
		return nil, err
	}
	if err := sig.putInt32(out, sigTagPayloadSize, uint32(len(rewritten))); err != nil {
		return nil, err
	}
	return append(out, payload.Bytes()...), nil
}

// header locates an RPM header's index and data store.
type header struct {
	index, store, end int
	entries           []indexEntry          // in index order
	byTag             map[uint32]indexEntry // the same, by tag
}

// indexEntry is one entry of a header's index.
type indexEntry struct {
	tag, typ, count uint32
	off             int // offset in the data store
}

func parseHeader(b []byte, off int) (*header, error) {
	if off+16 > len(b) || !bytes.Equal(b[off:off+3], []byte{0x8e, 0xad, 0xe8}) {
		return nil, fmt.Errorf("no header magic at offset %d", off)
	}
	n := int(binary.BigEndian.Uint32(b[off+8:]))
	size := int(binary.BigEndian.Uint32(b[off+12:]))
	h := &header{index: off + 16, store: off + 16 + 16*n, byTag: map[uint32]indexEntry{}}
	h.end = h.store + size
	if h.end > len(b) {
		return nil, fmt.Errorf("header at %d runs past the end", off)
	}
	for i := 0; i < n; i++ {
		e := b[h.index+16*i:]
		ie := indexEntry{tag: binary.BigEndian.Uint32(e), typ: binary.BigEndian.Uint32(e[4:]),
			off: int(int32(binary.BigEndian.Uint32(e[8:]))), count: binary.BigEndian.Uint32(e[12:])}
		if ie.off < 0 || h.store+ie.off > h.end {
			return nil, fmt.Errorf("tag %d: offset %d outside the store", ie.tag, ie.off)
		}
		h.entries = append(h.entries, ie)
		h.byTag[ie.tag] = ie
	}
	return h, nil
}

// putString overwrites a string (type 6) or one-element string array (type
// 8) value of the same length.
func (h *header) putString(b []byte, tag uint32, v string) error {
	e, ok := h.byTag[tag]
	if !ok || (e.typ != 6 && e.typ != 8) {
		return fmt.Errorf("rpm: tag %d: no string value to patch", tag)
	}
	at := h.store + e.off
	old := bytes.IndexByte(b[at:h.end], 0)
	if old != len(v) {
		return fmt.Errorf("rpm: tag %d: value is %d bytes, replacement %d", tag, old, len(v))
	}
	copy(b[at:], v)
	return nil
}

func (h *header) putInt32(b []byte, tag uint32, v uint32) error {
	e, ok := h.byTag[tag]
	if !ok || e.typ != 4 {
		return fmt.Errorf("rpm: tag %d: no int32 value to patch", tag)
	}
	binary.BigEndian.PutUint32(b[h.store+e.off:], v)
	return nil
}

// relativeCpio rewrites a newc ("070701"/"070702") cpio archive with every
// absolute member name made relative ("./usr/bin/x").
func relativeCpio(a []byte) ([]byte, error) {
	var out bytes.Buffer
	pad := func(n int) int { return (4 - n%4) % 4 }
	for off := 0; off < len(a); {
		if off+110 > len(a) {
			return nil, fmt.Errorf("cpio: truncated header at %d", off)
		}
		magic := string(a[off : off+6])
		if magic != "070701" && magic != "070702" {
			return nil, fmt.Errorf("cpio: bad magic %q at %d", magic, off)
		}
		field := func(i int) (int, error) {
			v, err := strconv.ParseUint(string(a[off+6+8*i:off+14+8*i]), 16, 32)
			return int(v), err
		}
		fileSize, err1 := field(6)
		nameSize, err2 := field(11)
		if err1 != nil || err2 != nil || nameSize < 1 {
			return nil, fmt.Errorf("cpio: bad header at %d", off)
		}
		nameAt := off + 110
		name := string(a[nameAt : nameAt+nameSize-1])
		dataAt := nameAt + nameSize + pad(110+nameSize)
		dataEnd := dataAt + fileSize
		if dataEnd > len(a) {
			return nil, fmt.Errorf("cpio: %s runs past the end", name)
		}
		newName := name
		if len(name) > 0 && name[0] == '/' {
			newName = "." + name
		}
		hdr := append([]byte(nil), a[off:off+110]...)
		copy(hdr[6+8*11:], fmt.Sprintf("%08X", len(newName)+1))
		out.Write(hdr)
		out.WriteString(newName)
		out.WriteByte(0)
		out.Write(make([]byte, pad(110+len(newName)+1)))
		out.Write(a[dataAt:dataEnd])
		out.Write(make([]byte, pad(fileSize)))
		off = dataEnd + pad(fileSize)
		if name == "TRAILER!!!" {
			// Keep the block padding after the trailer as written.
			out.Write(a[off:])
			break
		}
	}
	return out.Bytes(), nil
}
