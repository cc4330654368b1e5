package linuxpkg

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	kgzip "github.com/klauspost/compress/gzip"
)

// nfpm compresses a deb's data.tar with the standard library's gzip, which
// is most of the time a deb takes. It is asked for an uncompressed
// data.tar instead, and compressDebData compresses that here, once, at the
// level of the rpm payload, the zips and the tarballs; the signature
// (_gpgorigin, as debsign makes it) is then made over the final members.

// arMagic starts every ar archive; each member then has a 60-byte header.
const (
	arMagic      = "!<arch>\n"
	arHeaderSize = 60
)

// arMember is one member of an ar archive: its header as read (name, mtime,
// owner, mode) and its content.
type arMember struct {
	header []byte
	data   []byte
}

func (m arMember) name() string {
	return strings.TrimSuffix(strings.TrimRight(string(m.header[:16]), " "), "/")
}

// readAr splits an ar archive (common format, short names) into members.
func readAr(b []byte) ([]arMember, error) {
	if !bytes.HasPrefix(b, []byte(arMagic)) {
		return nil, fmt.Errorf("not an ar archive")
	}
	var out []arMember
	for off := len(arMagic); off < len(b); {
		if off+arHeaderSize > len(b) {
			return nil, fmt.Errorf("ar: truncated header at %d", off)
		}
		h := b[off : off+arHeaderSize]
		if string(h[58:60]) != "`\n" {
			return nil, fmt.Errorf("ar: bad header at %d", off)
		}
		size, err := strconv.Atoi(strings.TrimRight(string(h[48:58]), " "))
		if err != nil || size < 0 {
			return nil, fmt.Errorf("ar: bad member size %q at %d", h[48:58], off)
		}
		start := off + arHeaderSize
		if start+size > len(b) {
			return nil, fmt.Errorf("ar: member at %d runs past the end", off)
		}
		out = append(out, arMember{header: h, data: b[start : start+size]})
		off = start + size + size%2
	}
	return out, nil
}

// writeAr writes members as an ar archive, with name and size set in each
// header and the rest (mtime, owner, mode) kept.
func writeAr(members []arMember, names []string) []byte {
	var b bytes.Buffer
	b.WriteString(arMagic)
	for i, m := range members {
		h := append([]byte(nil), m.header...)
		copy(h[:16], fmt.Sprintf("%-16s", names[i]))
		copy(h[48:58], fmt.Sprintf("%-10d", len(m.data)))
		b.Write(h)
		b.Write(m.data)
		if len(m.data)%2 == 1 {
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

// compressDebData replaces the data.tar of a deb written by nfpm with
// data.tar.gz, compressed at payloadLevel, and signs the result with
// sign (nil: unsigned) as debsign does: an armored detached signature of
// debian-binary, control.tar.gz and data.tar.gz, in the member
// _gpgorigin.
func compressDebData(deb []byte, sign func([]byte) ([]byte, error)) ([]byte, error) {
	members, err := readAr(deb)
	if err != nil {
		return nil, fmt.Errorf("deb: %w", err)
	}
	if len(members) != 3 || members[0].name() != "debian-binary" || !strings.HasPrefix(members[1].name(), "control.tar") || members[2].name() != "data.tar" {
		var names []string
		for _, m := range members {
			names = append(names, m.name())
		}
		return nil, fmt.Errorf("deb: members %q, want debian-binary, control.tar.*, data.tar", names)
	}
	var gz bytes.Buffer
	zw, err := kgzip.NewWriterLevel(&gz, payloadLevel)
	if err != nil {
		return nil, err
	}
	zw.Write(members[2].data)
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("deb: data.tar.gz: %w", err)
	}
	members[2].data = gz.Bytes()
	names := []string{members[0].name(), members[1].name(), "data.tar.gz"}
	if sign != nil {
		var signed []byte
		for _, m := range members {
			signed = append(signed, m.data...)
		}
		sig, err := sign(signed)
		if err != nil {
			return nil, fmt.Errorf("deb: signing: %w", err)
		}
		members = append(members, arMember{header: members[2].header, data: sig})
		names = append(names, "_gpgorigin")
	}
	return writeAr(members, names), nil
}
