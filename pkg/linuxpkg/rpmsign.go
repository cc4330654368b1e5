package linuxpkg

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sort"
)

// RPM signature header tags written by signRPM.
const (
	sigTagRegion = 62  // HEADER_SIGNATURES: the signature header's region
	sigTagDSA    = 267 // OpenPGP DSA/ECDSA/EdDSA signature of the main header
	sigTagRSA    = 268 // OpenPGP RSA signature of the main header
)

// rpmEntry is one tag of an RPM header with its encoded value.
type rpmEntry struct {
	tag, typ, count uint32
	data            []byte
}

// rpmTypeAlign is the data-store alignment of each RPM value type.
func rpmTypeAlign(typ uint32) int {
	switch typ {
	case 3:
		return 2
	case 4:
		return 4
	case 5:
		return 8
	}
	return 1
}

// readEntries decodes the header at off into its entries with their
// values, and returns where it ends.
func readEntries(b []byte, off int) ([]rpmEntry, int, error) {
	h, err := parseHeader(b, off)
	if err != nil {
		return nil, 0, err
	}
	var out []rpmEntry
	for _, e := range h.entries {
		v := b[h.store+e.off : h.end]
		var size int
		switch e.typ {
		case 0:
		case 1, 2, 7:
			size = int(e.count)
		case 3:
			size = 2 * int(e.count)
		case 4:
			size = 4 * int(e.count)
		case 5:
			size = 8 * int(e.count)
		case 6, 8, 9:
			for s := uint32(0); s < e.count; s++ {
				z := bytes.IndexByte(v[size:], 0)
				if z < 0 {
					return nil, 0, fmt.Errorf("rpm: tag %d: unterminated string", e.tag)
				}
				size += z + 1
			}
		default:
			return nil, 0, fmt.Errorf("rpm: tag %d: unknown type %d", e.tag, e.typ)
		}
		if size > len(v) {
			return nil, 0, fmt.Errorf("rpm: tag %d: value runs past the store", e.tag)
		}
		out = append(out, rpmEntry{tag: e.tag, typ: e.typ, count: e.count, data: v[:size]})
	}
	return out, h.end, nil
}

// encodeHeader lays out a header whose first entry is the region tag, with
// the region trailer at the end of the data store, as rpm writes them.
func encodeHeader(entries []rpmEntry, region uint32) []byte {
	var rest []rpmEntry
	for _, e := range entries {
		if e.tag != region {
			rest = append(rest, e)
		}
	}
	sort.Slice(rest, func(i, j int) bool { return rest[i].tag < rest[j].tag })
	n := len(rest) + 1
	var index, regionEntry bytes.Buffer
	put := func(w *bytes.Buffer, vs ...uint32) {
		for _, v := range vs {
			binary.Write(w, binary.BigEndian, v)
		}
	}
	var body bytes.Buffer
	for _, e := range rest {
		for body.Len()%rpmTypeAlign(e.typ) != 0 {
			body.WriteByte(0)
		}
		put(&index, e.tag, e.typ, uint32(body.Len()), e.count)
		body.Write(e.data)
	}
	// Region tag first in the index, its 16-byte trailer last in the store;
	// the trailer's offset is minus the index size.
	put(&regionEntry, region, 7, uint32(body.Len()), 16)
	trailer := new(bytes.Buffer)
	put(trailer, region, 7, uint32(int32(-16*n)), 16)
	body.Write(trailer.Bytes())

	var out bytes.Buffer
	out.Write([]byte{0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0})
	put(&out, uint32(n), uint32(body.Len()))
	out.Write(regionEntry.Bytes())
	out.Write(index.Bytes())
	out.Write(body.Bytes())
	return out.Bytes()
}

// signRPM adds an OpenPGP signature of the main header to the signature
// header (the header-only signature that rpm 4.x checks with rpm -K and on
// install), replacing any signature already there. The main header and the
// payload are not touched, so their digests stay valid. sign returns a
// binary detached signature.
func signRPM(rpm []byte, rsa bool, sign func([]byte) ([]byte, error)) ([]byte, error) {
	const leadSize = 96
	if len(rpm) < leadSize {
		return nil, fmt.Errorf("rpm: shorter than its lead")
	}
	sigEntries, sigEnd, err := readEntries(rpm, leadSize)
	if err != nil {
		return nil, fmt.Errorf("rpm signature header: %w", err)
	}
	mainStart := (sigEnd + 7) &^ 7
	main, err := parseHeader(rpm, mainStart)
	if err != nil {
		return nil, fmt.Errorf("rpm header: %w", err)
	}
	sig, err := sign(rpm[mainStart:main.end])
	if err != nil {
		return nil, err
	}
	tag := uint32(sigTagDSA)
	if rsa {
		tag = sigTagRSA
	}
	var kept []rpmEntry
	for _, e := range sigEntries {
		if e.tag != sigTagDSA && e.tag != sigTagRSA {
			kept = append(kept, e)
		}
	}
	kept = append(kept, rpmEntry{tag: tag, typ: 7, count: uint32(len(sig)), data: sig})
	header := encodeHeader(kept, sigTagRegion)
	out := make([]byte, 0, len(rpm)+len(sig)+32)
	out = append(out, rpm[:leadSize]...)
	out = append(out, header...)
	for len(out)%8 != 0 {
		out = append(out, 0)
	}
	return append(out, rpm[mainStart:]...), nil
}
