package cab

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// readCab parses a single-folder cabinet and returns its files, verifying
// every CFDATA checksum. MSZIP blocks are inflated with the previous
// block's output as the dictionary, as the format allows, so it also reads
// cabinets whose blocks refer back (gcab's).
func readCab(b []byte) (names []string, data map[string][]byte, err error) {
	le := binary.LittleEndian
	if len(b) < headerSize || string(b[:4]) != "MSCF" {
		return nil, nil, errors.New("not a cabinet")
	}
	if int(le.Uint32(b[8:])) != len(b) {
		return nil, nil, fmt.Errorf("cbCabinet %d, file is %d bytes", le.Uint32(b[8:]), len(b))
	}
	if b[24] != 3 || b[25] != 1 {
		return nil, nil, fmt.Errorf("version %d.%d, want 1.3", b[25], b[24])
	}
	if flags := le.Uint16(b[30:]); flags != 0 {
		return nil, nil, fmt.Errorf("flags %#x, want none", flags)
	}
	filesOff := int(le.Uint32(b[16:]))
	nFolders, nFiles := int(le.Uint16(b[26:])), int(le.Uint16(b[28:]))
	if nFolders != 1 {
		return nil, nil, fmt.Errorf("%d folders", nFolders)
	}
	dataOff := int(le.Uint32(b[36:]))
	nBlocks := int(le.Uint16(b[40:]))
	comp := int(le.Uint16(b[42:]) & 0x0f)
	var folder bytes.Buffer
	var prev []byte
	off := dataOff
	for i := 0; i < nBlocks; i++ {
		if off+dataHeader > len(b) {
			return nil, nil, fmt.Errorf("block %d header past the end", i)
		}
		sum := le.Uint32(b[off:])
		cb, cu := int(le.Uint16(b[off+4:])), int(le.Uint16(b[off+6:]))
		if off+dataHeader+cb > len(b) {
			return nil, nil, fmt.Errorf("block %d data past the end", i)
		}
		payload := b[off+dataHeader : off+dataHeader+cb]
		if checksum(b[off+4:off+8], checksum(payload, 0)) != sum {
			return nil, nil, fmt.Errorf("block %d: bad checksum", i)
		}
		var raw []byte
		switch comp {
		case None:
			raw = payload
		case MSZIP:
			if len(payload) < 2 || payload[0] != 'C' || payload[1] != 'K' {
				return nil, nil, fmt.Errorf("block %d: no CK signature", i)
			}
			fr := flate.NewReaderDict(bytes.NewReader(payload[2:]), prev)
			raw, err = io.ReadAll(fr)
			if err != nil {
				return nil, nil, fmt.Errorf("block %d: inflate: %w", i, err)
			}
		default:
			return nil, nil, fmt.Errorf("compression %d", comp)
		}
		if len(raw) != cu {
			return nil, nil, fmt.Errorf("block %d: %d bytes, header says %d", i, len(raw), cu)
		}
		folder.Write(raw)
		prev = raw
		off += dataHeader + cb
	}
	if off != len(b) {
		return nil, nil, fmt.Errorf("data ends at %d, cabinet is %d bytes", off, len(b))
	}
	data = map[string][]byte{}
	p := filesOff
	for i := 0; i < nFiles; i++ {
		size, uoff := int(le.Uint32(b[p:])), int(le.Uint32(b[p+4:]))
		end := bytes.IndexByte(b[p+fileFixed:], 0)
		if end < 0 {
			return nil, nil, errors.New("unterminated name")
		}
		name := string(b[p+fileFixed : p+fileFixed+end])
		ascii := true
		for _, c := range []byte(name) {
			ascii = ascii && c < 0x80
		}
		if utf := le.Uint16(b[p+14:])&attrNameUTF != 0; utf == ascii {
			return nil, nil, fmt.Errorf("%q: UTF-8 name flag %v", name, utf)
		}
		if folderIndex := le.Uint16(b[p+8:]); folderIndex != 0 {
			return nil, nil, fmt.Errorf("%q: folder %d", name, folderIndex)
		}
		if uoff+size > folder.Len() {
			return nil, nil, fmt.Errorf("%s beyond the folder data", name)
		}
		names = append(names, name)
		data[name] = folder.Bytes()[uoff : uoff+size]
		p += fileFixed + end + 1
	}
	return names, data, nil
}
