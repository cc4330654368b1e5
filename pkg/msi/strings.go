package msi

import (
	"encoding/binary"
	"fmt"
	"sort"
	"unicode/utf8"
)

// Codepage is the code page of every database this package writes:
// Windows-1252. Windows Installer documents no support for UTF-8 (65001) as a
// database code page for installation (WiX refuses it too), while 1252 is the
// code page of the US-English Windows Installer SDK, of msitools' wixl and of
// most packages in the wild. Strings that 1252 cannot encode are an error.
const Codepage = 1252

// cp1252High maps bytes 0x80..0x9F of Windows-1252 to Unicode; zero marks the
// five bytes that the code page leaves undefined.
var cp1252High = [32]rune{
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
}

// encode1252 converts s to Windows-1252 bytes.
func encode1252(s string) ([]byte, error) {
	if !utf8.ValidString(s) {
		return nil, fmt.Errorf("msi: string %q is not valid UTF-8", s)
	}
	b := make([]byte, 0, len(s))
	for _, r := range s {
		switch {
		case r == 0:
			return nil, fmt.Errorf("msi: string %q contains NUL", s)
		case r < 0x80 || (r >= 0xA0 && r <= 0xFF):
			b = append(b, byte(r))
		default:
			found := false
			for i, h := range cp1252High {
				if h != 0 && h == r {
					b = append(b, byte(0x80+i))
					found = true
					break
				}
			}
			if !found {
				return nil, fmt.Errorf("msi: string %q: character %q is not in code page %d", s, r, Codepage)
			}
		}
	}
	return b, nil
}

// stringPool collects the strings of a database and assigns their ids.
type stringPool struct {
	refs map[string]int // reference counts
	ids  map[string]int // assigned by finish
	list []string       // id-1 -> string, after finish
}

func newStringPool() *stringPool {
	return &stringPool{refs: map[string]int{}}
}

// add counts one reference to s. The empty string is null and not pooled.
func (p *stringPool) add(s string) {
	if s != "" {
		p.refs[s]++
	}
}

// finish assigns ids in byte order of the strings, so that rows sorted by
// string id are also sorted by string value, and the pool does not depend
// on the order in which rows were added.
func (p *stringPool) finish() error {
	p.list = p.list[:0]
	for s := range p.refs {
		p.list = append(p.list, s)
	}
	sort.Strings(p.list)
	if len(p.list) >= 0xFFFF {
		return fmt.Errorf("msi: %d distinct strings, more than the 65534 this writer supports", len(p.list))
	}
	p.ids = make(map[string]int, len(p.list))
	for i, s := range p.list {
		p.ids[s] = i + 1
	}
	return nil
}

// id returns the id of s (0 for the empty string).
func (p *stringPool) id(s string) int {
	return p.ids[s]
}

// streams returns the contents of the _StringPool and _StringData streams:
// the pool is the code page followed by a (byte length, reference count)
// pair of uint16 per string; the data is the strings concatenated.
func (p *stringPool) streams() (pool, data []byte, err error) {
	pool = binary.LittleEndian.AppendUint32(nil, Codepage)
	for _, s := range p.list {
		b, err := encode1252(s)
		if err != nil {
			return nil, nil, err
		}
		if len(b) > 0xFFFF {
			return nil, nil, fmt.Errorf("msi: string of %d bytes is longer than 65535", len(b))
		}
		refs := p.refs[s]
		if refs > 0xFFFF {
			refs = 0xFFFF
		}
		pool = binary.LittleEndian.AppendUint16(pool, uint16(len(b)))
		pool = binary.LittleEndian.AppendUint16(pool, uint16(refs))
		data = append(data, b...)
	}
	return pool, data, nil
}

// CheckText reports why s cannot be stored in an installer database
// (characters outside code page 1252, NUL, invalid UTF-8), or nil.
func CheckText(s string) error {
	_, err := encode1252(s)
	return err
}
