package linuxpkg

import (
	"bytes"
	"fmt"
	"io"

	"github.com/blakesmith/ar"

	"github.com/svcpack/svcpack/pkg/archive"
)

// nfpm compresses a deb's data.tar with the standard library's gzip, which
// is most of the time a deb takes. It is asked for an uncompressed
// data.tar instead, and compressDebData compresses that here, once, as
// the rpm payload, the zips and the tarballs are (archive.NewGzip); the signature
// (_gpgorigin, as debsign makes it) is then made over the final members.
// The ar container is read and written with the package nfpm writes it
// with.

// arMember is one member of an ar archive.
type arMember struct {
	header ar.Header
	data   []byte
}

// readAr reads the members of an ar archive.
func readAr(b []byte) ([]arMember, error) {
	if !bytes.HasPrefix(b, []byte("!<arch>\n")) {
		return nil, fmt.Errorf("not an ar archive")
	}
	r := ar.NewReader(bytes.NewReader(b))
	var out []arMember
	for {
		h, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("ar: %w", err)
		}
		data, err := io.ReadAll(r)
		if err != nil {
			return nil, fmt.Errorf("ar: %s: %w", h.Name, err)
		}
		if int64(len(data)) != h.Size {
			return nil, fmt.Errorf("ar: %s: %d of %d bytes", h.Name, len(data), h.Size)
		}
		out = append(out, arMember{header: *h, data: data})
	}
}

// compressDebData replaces the data.tar of a deb written by nfpm with
// data.tar.gz, compressed by archive.NewGzip, and signs the result with
// sign (nil: unsigned) as debsign does: an armored detached signature of
// debian-binary, control.tar.gz and data.tar.gz, in the member
// _gpgorigin.
func compressDebData(deb []byte, sign func([]byte) ([]byte, error)) ([]byte, error) {
	members, err := readAr(deb)
	if err != nil {
		return nil, fmt.Errorf("deb: %w", err)
	}
	if len(members) != 3 || members[0].header.Name != "debian-binary" || members[1].header.Name != "control.tar.gz" || members[2].header.Name != "data.tar" {
		var names []string
		for _, m := range members {
			names = append(names, m.header.Name)
		}
		return nil, fmt.Errorf("deb: members %q, want debian-binary, control.tar.gz, data.tar", names)
	}
	var gz bytes.Buffer
	zw := archive.NewGzip(&gz)
	zw.Write(members[2].data)
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("deb: data.tar.gz: %w", err)
	}
	members[2].header.Name, members[2].data = "data.tar.gz", gz.Bytes()
	if sign != nil {
		var signed []byte
		for _, m := range members {
			signed = append(signed, m.data...)
		}
		sig, err := sign(signed)
		if err != nil {
			return nil, fmt.Errorf("deb: signing: %w", err)
		}
		h := members[2].header
		h.Name = "_gpgorigin"
		members = append(members, arMember{header: h, data: sig})
	}
	var out bytes.Buffer
	w := ar.NewWriter(&out)
	if err := w.WriteGlobalHeader(); err != nil {
		return nil, err
	}
	for _, m := range members {
		m.header.Size = int64(len(m.data))
		if err := w.WriteHeader(&m.header); err != nil {
			return nil, fmt.Errorf("deb: %s: %w", m.header.Name, err)
		}
		if _, err := w.Write(m.data); err != nil {
			return nil, fmt.Errorf("deb: %s: %w", m.header.Name, err)
		}
	}
	return out.Bytes(), nil
}
