package msi

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/richardlehane/mscfb"
)

// ReadProperties returns the Property table of the installer database r
// (an MSI file, by this package or any other writer): ProductCode,
// UpgradeCode, ProductVersion, Manufacturer, ... Package managers'
// manifests take the codes from the file itself, so that they describe the
// MSI that ships whoever wrote or signed it. The compound file is read by
// github.com/richardlehane/mscfb; the string pool and the table as Windows
// Installer stores them (column-major rows of string ids, 2-byte ids or
// 3-byte ones when the pool says so).
func ReadProperties(r io.ReaderAt) (map[string]string, error) {
	doc, err := mscfb.New(r)
	if err != nil {
		return nil, fmt.Errorf("msi: reading the compound file: %w", err)
	}
	names := map[string]string{} // decoded table stream name -> stored name
	for _, t := range []string{"_StringPool", "_StringData", "_Columns", "Property"} {
		enc, err := encodeStreamName(t, true)
		if err != nil {
			return nil, err
		}
		names[enc] = t
	}
	streams := map[string][]byte{}
	for e, err := doc.Next(); err == nil; e, err = doc.Next() {
		t, ok := names[e.Name]
		if !ok || len(e.Path) != 0 {
			continue
		}
		b, err := io.ReadAll(e)
		if err != nil {
			return nil, fmt.Errorf("msi: reading stream %s: %w", t, err)
		}
		streams[t] = b
	}
	pool, err := readStringPool(streams["_StringPool"], streams["_StringData"])
	if err != nil {
		return nil, err
	}
	cols, err := pool.columns(streams["_Columns"], "Property")
	if err != nil {
		return nil, err
	}
	if len(cols) != 2 || !cols[0].str || !cols[1].str {
		return nil, fmt.Errorf("msi: the Property table has columns %v, not two string columns", cols)
	}
	rows, err := pool.table(streams["Property"], cols)
	if err != nil {
		return nil, fmt.Errorf("msi: Property table: %w", err)
	}
	out := map[string]string{}
	for _, r := range rows {
		out[r[0].(string)] = r[1].(string)
	}
	return out, nil
}

// readPool is a string pool as read from a database.
type readPool struct {
	strs    []string // id-1 -> string
	refSize int      // bytes per string id in tables: 2 or 3
}

// readStringPool decodes _StringPool (a code page, then a length and a
// reference count per string id) and _StringData (the strings, in id
// order). An entry of length 0 with references announces a string of
// 64 KiB or more: the next entry holds its length's low and high words.
func readStringPool(pool, data []byte) (*readPool, error) {
	if len(pool) < 4 || len(pool)%4 != 0 {
		return nil, fmt.Errorf("msi: a string pool of %d bytes", len(pool))
	}
	le := binary.LittleEndian
	header := le.Uint32(pool)
	p := &readPool{refSize: 2}
	if header&0x80000000 != 0 {
		p.refSize = 3
	}
	codepage := header &^ 0x80000000
	entries := pool[4:]
	off := 0
	for i := 0; i+4 <= len(entries); i += 4 {
		n, refs := int(le.Uint16(entries[i:])), le.Uint16(entries[i+2:])
		if n == 0 && refs != 0 {
			if i+8 > len(entries) {
				return nil, errors.New("msi: the string pool ends inside a long string's entry")
			}
			n = int(le.Uint16(entries[i+4:])) | int(le.Uint16(entries[i+6:]))<<16
			i += 4
		}
		if off+n > len(data) {
			return nil, fmt.Errorf("msi: string %d runs past the string data (%d bytes)", len(p.strs)+1, len(data))
		}
		s, err := decodeCodepage(data[off:off+n], codepage)
		if err != nil {
			return nil, err
		}
		p.strs = append(p.strs, s)
		off += n
	}
	return p, nil
}

// decodeCodepage converts a string of the database's code page to UTF-8:
// 1252 (and the neutral code page 0, read as 1252) or 65001.
func decodeCodepage(b []byte, codepage uint32) (string, error) {
	switch codepage {
	case 65001:
		if !utf8.Valid(b) {
			return "", fmt.Errorf("msi: a string of code page 65001 is not UTF-8")
		}
		return string(b), nil
	case 0, Codepage:
		var sb strings.Builder
		for _, c := range b {
			switch {
			case c >= 0x80 && c < 0xA0 && cp1252High[c-0x80] != 0:
				sb.WriteRune(cp1252High[c-0x80])
			default:
				sb.WriteRune(rune(c))
			}
		}
		return sb.String(), nil
	}
	return "", fmt.Errorf("msi: strings of code page %d, which this reader does not know", codepage)
}

// readColumn is a column of a stored table: whether it holds string ids
// (strings and streams) and its width in bytes.
type readColumn struct {
	name  string
	str   bool
	width int
}

func (c readColumn) String() string {
	if c.str {
		return c.name + " (string)"
	}
	return fmt.Sprintf("%s (%d-byte integer)", c.name, c.width)
}

// columns reads the columns of table from _Columns, whose own columns are
// Table (string), Number (int16), Name (string) and Type (int16).
func (p *readPool) columns(stream []byte, table string) ([]readColumn, error) {
	meta := []readColumn{{"Table", true, p.refSize}, {"Number", false, 2}, {"Name", true, p.refSize}, {"Type", false, 2}}
	rows, err := p.table(stream, meta)
	if err != nil {
		return nil, fmt.Errorf("msi: _Columns: %w", err)
	}
	byNumber := map[int]readColumn{}
	for _, r := range rows {
		if r[0].(string) != table {
			continue
		}
		typ := r[3].(int)
		// Strings and streams (0x0800) are string ids; integers are 2
		// bytes for widths up to 2, else 4.
		c := readColumn{name: r[2].(string), str: typ&0x0800 != 0}
		switch {
		case c.str:
			c.width = p.refSize
		case typ&0xff <= 2:
			c.width = 2
		default:
			c.width = 4
		}
		byNumber[r[1].(int)] = c
	}
	var out []readColumn
	for i := 1; i <= len(byNumber); i++ {
		c, ok := byNumber[i]
		if !ok {
			return nil, fmt.Errorf("msi: table %s has no column %d in _Columns", table, i)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("msi: no table %s in _Columns", table)
	}
	return out, nil
}

// table decodes a table stream: columns one after another, each holding a
// cell per row. Strings come back as string, integers as int (stored with
// the high bit flipped; 0 is null).
func (p *readPool) table(stream []byte, cols []readColumn) ([][]any, error) {
	width := 0
	for _, c := range cols {
		width += c.width
	}
	if len(stream)%width != 0 {
		return nil, fmt.Errorf("a stream of %d bytes is no whole number of %d-byte rows", len(stream), width)
	}
	n := len(stream) / width
	rows := make([][]any, n)
	for i := range rows {
		rows[i] = make([]any, len(cols))
	}
	off := 0
	for ci, c := range cols {
		for ri := 0; ri < n; ri++ {
			b := stream[off : off+c.width]
			off += c.width
			var v uint32
			for k := len(b) - 1; k >= 0; k-- {
				v = v<<8 | uint32(b[k])
			}
			switch {
			case c.str && v == 0:
				rows[ri][ci] = ""
			case c.str:
				if int(v) > len(p.strs) {
					return nil, fmt.Errorf("string id %d of %d", v, len(p.strs))
				}
				rows[ri][ci] = p.strs[v-1]
			case v == 0:
				rows[ri][ci] = 0
			case c.width == 2:
				rows[ri][ci] = int(int16(uint16(v) ^ 0x8000))
			default:
				rows[ri][ci] = int(int32(v ^ 0x80000000))
			}
		}
	}
	return rows, nil
}
