package aptrepo

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/blakesmith/ar"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// control is a deb's control file: its text and the fields the
// repository sorts and places it by.
type control struct {
	text                        string // the stanza, ending in one newline
	name, version, architecture string
	parsed                      debVersion // version, parsed
}

// readControl reads the control file of the deb in b: the ar member
// control.tar[.gz|.xz|.zst], and its ./control.
func readControl(b []byte) (control, error) {
	if !bytes.HasPrefix(b, []byte("!<arch>\n")) {
		return control{}, errors.New("not a deb (no ar header)")
	}
	r := ar.NewReader(bytes.NewReader(b))
	for {
		h, err := r.Next()
		if err == io.EOF {
			return control{}, errors.New("no control.tar member")
		}
		if err != nil {
			return control{}, fmt.Errorf("reading the ar archive: %w", err)
		}
		name := strings.TrimSuffix(strings.TrimSpace(h.Name), "/")
		if !strings.HasPrefix(name, "control.tar") {
			continue
		}
		tr, err := decompress(name, r)
		if err != nil {
			return control{}, fmt.Errorf("%s: %w", name, err)
		}
		text, err := controlFile(tar.NewReader(tr))
		if err != nil {
			return control{}, fmt.Errorf("%s: %w", name, err)
		}
		return parseControl(text)
	}
}

// decompress opens the control.tar member name by its extension.
func decompress(name string, r io.Reader) (io.Reader, error) {
	switch path.Ext(name) {
	case ".tar":
		return r, nil
	case ".gz":
		return gzip.NewReader(r)
	case ".xz":
		return xz.NewReader(r)
	case ".zst":
		d, err := zstd.NewReader(r)
		if err != nil {
			return nil, err
		}
		return d.IOReadCloser(), nil
	}
	return nil, fmt.Errorf("unknown compression %q", path.Ext(name))
}

// controlFile returns the text of ./control in the control tarball.
func controlFile(tr *tar.Reader) (string, error) {
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return "", errors.New("no control file")
		}
		if err != nil {
			return "", err
		}
		if path.Clean(strings.TrimPrefix(h.Name, "./")) != "control" {
			continue
		}
		b, err := io.ReadAll(io.LimitReader(tr, 1<<20))
		if err != nil {
			return "", err
		}
		return string(b), nil
	}
}

// parseControl checks the control stanza and picks the fields the
// repository needs.
func parseControl(text string) (control, error) {
	text = strings.TrimRight(strings.ReplaceAll(text, "\r\n", "\n"), "\n") + "\n"
	c := control{text: text}
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if line == "" {
			return control{}, fmt.Errorf("control: line %d is empty (a control file is one stanza)", i+1)
		}
		if line[0] == ' ' || line[0] == '\t' {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			return control{}, fmt.Errorf("control: line %d: %q is not a field", i+1, line)
		}
		v = strings.TrimSpace(v)
		switch strings.ToLower(k) {
		case "package":
			c.name = v
		case "version":
			c.version = v
		case "architecture":
			c.architecture = v
		case "filename", "size", "sha256", "md5sum":
			return control{}, fmt.Errorf("control: field %s is the repository's to write", k)
		}
	}
	for _, f := range []struct{ field, value string }{
		{"Package", c.name}, {"Version", c.version}, {"Architecture", c.architecture},
	} {
		if f.value == "" || strings.ContainsAny(f.value, " /") {
			return control{}, fmt.Errorf("control: %s is %q", f.field, f.value)
		}
	}
	return c, nil
}
