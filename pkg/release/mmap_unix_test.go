//go:build unix

package release

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteContent: the mapped content is the file's, for any size.
func TestWriteContent(t *testing.T) {
	for _, size := range []int{0, 1, 4095, 4096, 1 << 20} {
		want := bytes.Repeat([]byte("svcpack!"), size/8+1)[:size]
		path := filepath.Join(t.TempDir(), "f")
		writeTestFile(t, path, want)
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		n, err := writeContent(&got, f, int64(size), make([]byte, 1024))
		f.Close()
		if err != nil || n != int64(size) || !bytes.Equal(got.Bytes(), want) {
			t.Errorf("size %d: wrote %d bytes (%v), equal %v", size, n, err, bytes.Equal(got.Bytes(), want))
		}
	}
}

// truncating cuts its file short, then reads what it was given: the
// mapped pages past the new end fault.
type truncating struct {
	path string
	sum  byte
}

func (w *truncating) Write(b []byte) (int, error) {
	if err := os.Truncate(w.path, 0); err != nil {
		return 0, err
	}
	for _, c := range b {
		w.sum += c
	}
	return len(b), nil
}

// TestWriteContentTruncated: a file cut short while it is mapped is an
// error, not a crash of the whole merge.
func TestWriteContentTruncated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	writeTestFile(t, path, bytes.Repeat([]byte{1}, 1<<20))
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, err = writeContent(&truncating{path: path}, f, 1<<20, make([]byte, 1024))
	if err == nil || !strings.Contains(err.Error(), "changed while it was read") {
		t.Errorf("err = %v, want the file changed while it was read", err)
	}
}
