package cfb

import (
	"bytes"
	"io"
	"testing"
)

// FuzzOpen feeds arbitrary bytes to the reader: it must return errors,
// never panic or loop.
func FuzzOpen(f *testing.F) {
	for _, i := range []int{2, 3, 4, 8} {
		tc := roundTripCases[i]
		var buf bytes.Buffer
		build(f, &buf, &tc.opts, tc.nodes)
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Open(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		for _, fl := range r.Files {
			if fl.IsStorage {
				continue
			}
			rc, err := fl.Open()
			if err != nil {
				continue
			}
			io.Copy(io.Discard, io.LimitReader(rc, 1<<20))
		}
	})
}
