package winres

import (
	"encoding/binary"
	"fmt"
	"unicode/utf16"
)

// versionStrings parses a VS_VERSIONINFO resource, written here from the
// structure's documentation so the test does not trust the library that
// wrote it: every node is wLength, wValueLength, wType, a NUL-terminated
// UTF-16 key, padding to 4 bytes, the value, padding, then children.
// It returns the StringFileInfo strings per translation block and the fixed
// file version.
func versionStrings(b []byte) (map[string]map[string]string, [4]uint16, error) {
	out := map[string]map[string]string{}
	var fixed [4]uint16
	var walk func(b []byte, depth int, parent string) error
	walk = func(b []byte, depth int, parent string) error {
		for len(b) >= 6 {
			length := int(binary.LittleEndian.Uint16(b))
			if length < 6 || length > len(b) {
				return fmt.Errorf("bad node length %d of %d", length, len(b))
			}
			node := b[:length]
			valueLen := int(binary.LittleEndian.Uint16(node[2:]))
			isText := binary.LittleEndian.Uint16(node[4:]) == 1
			key, off := utf16z(node, 6)
			off = align4(off)
			valueBytes := valueLen
			if isText {
				valueBytes *= 2
			}
			if off+valueBytes > len(node) {
				return fmt.Errorf("value of %q overruns its node", key)
			}
			value := node[off : off+valueBytes]
			switch {
			case depth == 0 && key == "VS_VERSION_INFO" && len(value) >= 52:
				ms, ls := binary.LittleEndian.Uint32(value[8:]), binary.LittleEndian.Uint32(value[12:])
				fixed = [4]uint16{uint16(ms >> 16), uint16(ms), uint16(ls >> 16), uint16(ls)}
			case depth == 3:
				s, _ := utf16z(value, 0)
				out[parent][key] = s
			case depth == 2 && parent == "StringFileInfo":
				out[key] = map[string]string{}
			}
			next := parent
			if depth >= 1 {
				next = key
			}
			if err := walk(node[min(len(node), align4(off+valueBytes)):], depth+1, next); err != nil {
				return err
			}
			adv := align4(length)
			if adv >= len(b) {
				break
			}
			b = b[adv:]
		}
		return nil
	}
	return out, fixed, walk(b, 0, "")
}

func align4(n int) int { return (n + 3) &^ 3 }

func utf16z(b []byte, off int) (string, int) {
	var u []uint16
	for off+1 < len(b) {
		c := binary.LittleEndian.Uint16(b[off:])
		off += 2
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return string(utf16.Decode(u)), off
}
