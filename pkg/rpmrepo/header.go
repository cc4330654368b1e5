package rpmrepo

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// The rpm file: a 96-byte lead, the signature header padded to 8 bytes,
// then the main header and the payload. Both headers are an 8-byte magic
// and reserved word, the entry count, the store size, 16-byte index
// entries (tag, type, offset, count) and the store.
const (
	leadSize    = 96
	headerIntro = 16
	indexSize   = 16
	// maxHeader bounds a header's store, as rpm itself does (256 MiB).
	maxHeader = 256 << 20
)

var (
	leadMagic   = []byte{0xed, 0xab, 0xee, 0xdb}
	headerMagic = []byte{0x8e, 0xad, 0xe8, 0x01}
)

// Header tag types.
const (
	typeInt16       = 3
	typeInt32       = 4
	typeInt64       = 5
	typeString      = 6
	typeStringArray = 8
	typeI18NString  = 9
)

// header is one parsed header: its entries by tag, over its store.
type header struct {
	entries map[uint32]entry
	store   []byte
}

type entry struct {
	typ, offset, count uint32
}

// readHeader reads the header at the start of r and returns it with its
// size in bytes.
func readHeader(r io.Reader) (*header, int64, error) {
	intro := make([]byte, headerIntro)
	if _, err := io.ReadFull(r, intro); err != nil {
		return nil, 0, fmt.Errorf("reading header: %w", err)
	}
	if string(intro[:4]) != string(headerMagic) {
		return nil, 0, errors.New("no rpm header magic")
	}
	n := binary.BigEndian.Uint32(intro[8:12])
	size := binary.BigEndian.Uint32(intro[12:16])
	if n > maxHeader/indexSize || size > maxHeader {
		return nil, 0, fmt.Errorf("header of %d entries and %d bytes is too large", n, size)
	}
	body := make([]byte, int(n)*indexSize+int(size))
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, 0, fmt.Errorf("reading header: %w", err)
	}
	h := &header{entries: make(map[uint32]entry, n), store: body[int(n)*indexSize:]}
	for i := range int(n) {
		b := body[i*indexSize:]
		tag := binary.BigEndian.Uint32(b)
		e := entry{typ: binary.BigEndian.Uint32(b[4:]), offset: binary.BigEndian.Uint32(b[8:]),
			count: binary.BigEndian.Uint32(b[12:])}
		if e.offset > size {
			return nil, 0, fmt.Errorf("tag %d points past the header's store", tag)
		}
		h.entries[tag] = e
	}
	return h, int64(headerIntro + len(body)), nil
}

// strings returns a string or string-array tag's values (nil when absent
// or of another type).
func (h *header) strings(tag uint32) ([]string, error) {
	e, ok := h.entries[tag]
	if !ok {
		return nil, nil
	}
	count := e.count
	switch e.typ {
	case typeString:
		count = 1
	case typeStringArray, typeI18NString:
	default:
		return nil, fmt.Errorf("tag %d is of type %d, not a string", tag, e.typ)
	}
	b := h.store[e.offset:]
	out := make([]string, 0, min(count, 1024))
	for range count {
		end := bytes.IndexByte(b, 0)
		if end < 0 {
			return nil, fmt.Errorf("tag %d runs past the header's store", tag)
		}
		out = append(out, string(b[:end]))
		b = b[end+1:]
	}
	return out, nil
}

// string returns a string tag's (first) value, "" when absent.
func (h *header) string(tag uint32) (string, error) {
	s, err := h.strings(tag)
	if err != nil || len(s) == 0 {
		return "", err
	}
	return s[0], nil
}

// ints returns an integer tag's values widened to int64 (nil when absent).
func (h *header) ints(tag uint32) ([]int64, error) {
	e, ok := h.entries[tag]
	if !ok {
		return nil, nil
	}
	width := map[uint32]uint32{typeInt16: 2, typeInt32: 4, typeInt64: 8}[e.typ]
	if width == 0 {
		return nil, fmt.Errorf("tag %d is of type %d, not an integer", tag, e.typ)
	}
	if uint64(e.count)*uint64(width) > uint64(len(h.store)-int(e.offset)) {
		return nil, fmt.Errorf("tag %d runs past the header's store", tag)
	}
	out := make([]int64, e.count)
	b := h.store[e.offset:]
	for i := range out {
		switch width {
		case 2:
			out[i] = int64(binary.BigEndian.Uint16(b[i*2:]))
		case 4:
			out[i] = int64(binary.BigEndian.Uint32(b[i*4:]))
		default:
			out[i] = int64(binary.BigEndian.Uint64(b[i*8:]))
		}
	}
	return out, nil
}

// int returns an integer tag's first value and whether it is there.
func (h *header) int(tag uint32) (int64, bool, error) {
	v, err := h.ints(tag)
	if err != nil || len(v) == 0 {
		return 0, false, err
	}
	return v[0], true, nil
}

// readHeaders reads the lead, the signature header and the main header of
// an rpm and returns the two headers and the byte range of the main one.
func readHeaders(r io.Reader) (sig, main *header, start, end int64, err error) {
	lead := make([]byte, leadSize)
	if _, err := io.ReadFull(r, lead); err != nil {
		return nil, nil, 0, 0, fmt.Errorf("reading the lead: %w", err)
	}
	if string(lead[:4]) != string(leadMagic) {
		return nil, nil, 0, 0, errors.New("not an rpm (no lead magic)")
	}
	sig, n, err := readHeader(r)
	if err != nil {
		return nil, nil, 0, 0, fmt.Errorf("signature %w", err)
	}
	pad := (8 - n%8) % 8
	if _, err := io.ReadFull(r, make([]byte, pad)); err != nil {
		return nil, nil, 0, 0, fmt.Errorf("reading the signature's padding: %w", err)
	}
	start = leadSize + n + pad
	main, n, err = readHeader(r)
	if err != nil {
		return nil, nil, 0, 0, err
	}
	return sig, main, start, start + n, nil
}
