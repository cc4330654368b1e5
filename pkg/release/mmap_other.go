//go:build !unix

package release

import (
	"io"
	"os"
)

// writeContent writes f to w (a hash), reading it through buf, and returns
// how many bytes it wrote. (On Unix it maps the file instead.)
func writeContent(w io.Writer, f *os.File, size int64, buf []byte) (int64, error) {
	return io.CopyBuffer(w, struct{ io.Reader }{f}, buf)
}
