// Package cfb writes and reads OLE compound files, the container format
// described by [MS-CFB] and used by Windows Installer packages (MSI) and
// many other Microsoft formats.
//
// A compound file is a small file system inside a file: a tree of storages
// (directories) and streams (files), each named by up to 31 UTF-16 code
// units. [Writer] produces version 3 (512-byte sectors) or version 4
// (4096-byte sectors) files with deterministic bytes and zero timestamps,
// streaming large stream contents straight to the output so memory stays
// bounded. [Reader] lists and reads compound files; it is meant for tests
// and tools and reads the files this package writes as well as ordinary
// files written by other implementations.
//
// [MS-CFB]: https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-cfb/
package cfb

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Errors reported by the writer and reader. They are wrapped with context;
// test for them with errors.Is.
var (
	// ErrInvalidName reports a storage or stream name that the format does
	// not allow: empty, longer than 31 UTF-16 code units, not valid UTF-8,
	// or containing '/', '\\', ':', '!' or U+0000.
	ErrInvalidName = errors.New("invalid name")
	// ErrDuplicateName reports a second entry whose name compares equal,
	// by the format's case-insensitive rule, to one already in the storage.
	ErrDuplicateName = errors.New("duplicate name")
	// ErrSizeMismatch reports a stream whose content is longer or shorter
	// than the size declared when it was created.
	ErrSizeMismatch = errors.New("stream size mismatch")
	// ErrFormat reports a file the reader cannot parse.
	ErrFormat = errors.New("not a valid compound file")
)

// MaxNameLen is the longest storage or stream name, in UTF-16 code units.
const MaxNameLen = 31

// On-disk constants from [MS-CFB] sections 2.1 to 2.6.
const (
	maxRegSect uint32 = 0xFFFFFFFA // largest regular sector number
	difSect    uint32 = 0xFFFFFFFC // FAT entry of a DIFAT sector
	fatSect    uint32 = 0xFFFFFFFD // FAT entry of a FAT sector
	endOfChain uint32 = 0xFFFFFFFE // last sector of a chain
	freeSect   uint32 = 0xFFFFFFFF // unallocated sector
	noStream   uint32 = 0xFFFFFFFF // absent directory entry reference

	headerSize      = 512  // meaningful part of the header
	headerDIFATLen  = 109  // DIFAT entries held in the header
	dirEntrySize    = 128  // bytes per directory entry
	miniSectorSize  = 64   // bytes per mini stream sector
	miniSectorShift = 6    // log2(miniSectorSize)
	miniCutoff      = 4096 // streams smaller than this live in the mini stream

	typeUnused  = 0x00
	typeStorage = 0x01
	typeStream  = 0x02
	typeRoot    = 0x05

	colorRed   = 0x00
	colorBlack = 0x01

	// maxV3StreamSize is the largest stream a version 3 file may hold
	// ([MS-CFB] 2.6.3: the size must not exceed 0x80000000).
	maxV3StreamSize = 0x80000000
)

var signature = [8]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

// A CLSID is a class identifier, a GUID, held in the byte order of its
// textual form: CLSID{0x00, 0x0C, 0x10, 0x84, ...} is
// {000C1084-0000-0000-C000-000000000046}. This is the layout of
// github.com/google/uuid's UUID, so a uuid.UUID converts directly. The
// writer stores the first three fields little-endian, as GUIDs are on disk.
type CLSID [16]byte

// ParseCLSID parses a GUID in the form
// 000C1084-0000-0000-C000-000000000046, with or without braces.
func ParseCLSID(s string) (CLSID, error) {
	var id CLSID
	t := strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	if len(t) != 36 || t[8] != '-' || t[13] != '-' || t[18] != '-' || t[23] != '-' {
		return id, fmt.Errorf("cfb: CLSID %q: want the form 01234567-89ab-cdef-0123-456789abcdef", s)
	}
	h := t[0:8] + t[9:13] + t[14:18] + t[19:23] + t[24:36]
	if _, err := hex.Decode(id[:], []byte(h)); err != nil {
		return CLSID{}, fmt.Errorf("cfb: CLSID %q: %w", s, err)
	}
	return id, nil
}

// String returns the GUID in upper-case registry form without braces,
// for example 000C1084-0000-0000-C000-000000000046.
func (c CLSID) String() string {
	h := strings.ToUpper(hex.EncodeToString(c[:]))
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// IsZero reports whether c is the all-zero CLSID, meaning "no class".
func (c CLSID) IsZero() bool { return c == CLSID{} }

// putDisk stores c in on-disk GUID layout.
func (c CLSID) putDisk(b []byte) {
	binary.LittleEndian.PutUint32(b[0:], binary.BigEndian.Uint32(c[0:]))
	binary.LittleEndian.PutUint16(b[4:], binary.BigEndian.Uint16(c[4:]))
	binary.LittleEndian.PutUint16(b[6:], binary.BigEndian.Uint16(c[6:]))
	copy(b[8:16], c[8:16])
}

// clsidFromDisk decodes an on-disk GUID.
func clsidFromDisk(b []byte) CLSID {
	var c CLSID
	binary.BigEndian.PutUint32(c[0:], binary.LittleEndian.Uint32(b[0:]))
	binary.BigEndian.PutUint16(c[4:], binary.LittleEndian.Uint16(b[4:]))
	binary.BigEndian.PutUint16(c[6:], binary.LittleEndian.Uint16(b[6:]))
	copy(c[8:16], b[8:16])
	return c
}

// encodeName validates name and returns its UTF-16 code units.
func encodeName(name string) ([]uint16, error) {
	if name == "" {
		return nil, fmt.Errorf("%w: empty", ErrInvalidName)
	}
	if !utf8.ValidString(name) {
		return nil, fmt.Errorf("%w: %q is not valid UTF-8", ErrInvalidName, name)
	}
	if i := strings.IndexAny(name, "/\\:!\x00"); i >= 0 {
		return nil, fmt.Errorf("%w: %q contains %q (not allowed: / \\ : ! NUL)", ErrInvalidName, name, name[i])
	}
	u := utf16.Encode([]rune(name))
	if len(u) > MaxNameLen {
		return nil, fmt.Errorf("%w: %q is %d UTF-16 code units long, the limit is %d", ErrInvalidName, name, len(u), MaxNameLen)
	}
	return u, nil
}

// upper maps one UTF-16 code unit to upper case with the simple (one to
// one) Unicode case mapping, as [MS-CFB] 2.6.4 asks. Surrogates and code
// units whose upper case form leaves the BMP are unchanged.
func upper(u uint16) uint16 {
	if u < 0x80 {
		if 'a' <= u && u <= 'z' {
			return u - 'a' + 'A'
		}
		return u
	}
	if utf16.IsSurrogate(rune(u)) {
		return u
	}
	r := unicode.ToUpper(rune(u))
	if r > 0xFFFF {
		return u
	}
	return uint16(r)
}

// compareNames orders two names as [MS-CFB] 2.6.4 requires of siblings:
// the shorter name (in UTF-16 code units) first; names of equal length by
// their upper-cased code units, one by one.
func compareNames(a, b []uint16) int {
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	for i := range a {
		x, y := upper(a[i]), upper(b[i])
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// nameKey is a map key under which names that compare equal collide.
func nameKey(u []uint16) string {
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], upper(c))
	}
	return string(b)
}
