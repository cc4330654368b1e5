package msi

import (
	"encoding/binary"
	"fmt"
	"time"
)

// SummaryInfo is the summary information stream of a package
// ("\x05SummaryInformation", an OLE property set). Empty strings and zero
// times are left out.
type SummaryInfo struct {
	Title, Subject, Author, Keywords, Comments string
	// Template is the platform and language list, e.g. "x64;1033".
	Template string
	// LastSavedBy is usually empty for packages.
	LastSavedBy string
	// RevisionNumber is the package code, a braced upper-case GUID.
	RevisionNumber string
	// Created and Saved are the creation and last-save times.
	Created, Saved time.Time
	// PageCount is the minimum installer version times 100 (e.g. 500).
	PageCount int32
	// WordCount holds the source flags: 2 for compressed files.
	WordCount int32
	// Creator is the name of the program that built the package.
	Creator string
	// Security is 2 (read-only recommended) for packages.
	Security int32
}

// Property identifiers of the summary information property set.
const (
	pidCodepage    = 1
	pidTitle       = 2
	pidSubject     = 3
	pidAuthor      = 4
	pidKeywords    = 5
	pidComments    = 6
	pidTemplate    = 7
	pidLastAuthor  = 8
	pidRevNumber   = 9
	pidCreateTime  = 12
	pidLastSave    = 13
	pidPageCount   = 14
	pidWordCount   = 15
	pidAppName     = 18
	pidSecurity    = 19
	vtI2           = 2
	vtI4           = 3
	vtLPSTR        = 30
	vtFiletime     = 64
	filetimeOffset = 116444736000000000 // 100 ns intervals from 1601 to 1970
)

// fmtidSummary is {F29F85E0-4FF9-1068-AB91-08002B27B3D9} in disk byte order.
var fmtidSummary = [16]byte{0xE0, 0x85, 0x9F, 0xF2, 0xF9, 0x4F, 0x68, 0x10, 0xAB, 0x91, 0x08, 0x00, 0x2B, 0x27, 0xB3, 0xD9}

// marshal encodes the property set: a header, one section holding the
// property offsets, then the typed values, each padded to 4 bytes.
func (s *SummaryInfo) marshal() ([]byte, error) {
	type prop struct {
		id  uint32
		val []byte
	}
	var props []prop
	i2 := func(id uint32, v int16) {
		b := binary.LittleEndian.AppendUint32(nil, vtI2)
		b = binary.LittleEndian.AppendUint16(b, uint16(v))
		props = append(props, prop{id, append(b, 0, 0)})
	}
	i4 := func(id uint32, v int32) {
		b := binary.LittleEndian.AppendUint32(nil, vtI4)
		props = append(props, prop{id, binary.LittleEndian.AppendUint32(b, uint32(v))})
	}
	var err error
	str := func(id uint32, v string) {
		if v == "" || err != nil {
			return
		}
		enc, e := encode1252(v)
		if e != nil {
			err = fmt.Errorf("summary information: %w", e)
			return
		}
		enc = append(enc, 0)
		b := binary.LittleEndian.AppendUint32(nil, vtLPSTR)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(enc)))
		b = append(b, enc...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
		props = append(props, prop{id, b})
	}
	ft := func(id uint32, t time.Time) {
		if t.IsZero() {
			return
		}
		v := uint64(t.UnixNano()/100 + filetimeOffset)
		b := binary.LittleEndian.AppendUint32(nil, vtFiletime)
		props = append(props, prop{id, binary.LittleEndian.AppendUint64(b, v)})
	}
	i2(pidCodepage, Codepage)
	str(pidTitle, s.Title)
	str(pidSubject, s.Subject)
	str(pidAuthor, s.Author)
	str(pidKeywords, s.Keywords)
	str(pidComments, s.Comments)
	str(pidTemplate, s.Template)
	str(pidLastAuthor, s.LastSavedBy)
	str(pidRevNumber, s.RevisionNumber)
	ft(pidCreateTime, s.Created)
	ft(pidLastSave, s.Saved)
	i4(pidPageCount, s.PageCount)
	i4(pidWordCount, s.WordCount)
	str(pidAppName, s.Creator)
	i4(pidSecurity, s.Security)
	if err != nil {
		return nil, err
	}

	// Header (28 bytes), one FMTID/offset pair (20 bytes), then the section.
	b := binary.LittleEndian.AppendUint16(nil, 0xFFFE)
	b = binary.LittleEndian.AppendUint16(b, 0)          // format version
	b = binary.LittleEndian.AppendUint32(b, 0x00020006) // OS version: Windows, 6.0
	b = append(b, make([]byte, 16)...)                  // CLSID
	b = binary.LittleEndian.AppendUint32(b, 1)          // one section
	b = append(b, fmtidSummary[:]...)
	b = binary.LittleEndian.AppendUint32(b, 48)
	size := 8 + 8*len(props)
	for _, p := range props {
		size += len(p.val)
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(size))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(props)))
	off := 8 + 8*len(props)
	for _, p := range props {
		b = binary.LittleEndian.AppendUint32(b, p.id)
		b = binary.LittleEndian.AppendUint32(b, uint32(off))
		off += len(p.val)
	}
	for _, p := range props {
		b = append(b, p.val...)
	}
	return b, nil
}
