package cab

import (
	"bytes"
	"io"
	"testing"
)

// BenchmarkWriter measures MSZIP throughput on 8 MiB of mixed data (text,
// zero runs, random); bench/cab compares with gcab on a realistic payload.
func BenchmarkWriter(b *testing.B) {
	var data []byte
	for i := 0; len(data) < 8<<20; i++ {
		data = append(data, textish(200000, uint64(i))...)
		data = append(data, make([]byte, 20000)...)
		data = append(data, random(30000, uint64(i))...)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		w, err := NewWriter(io.Discard, Options{Compression: MSZIP, TempDir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		if err := w.Add("data", int64(len(data)), bytes.NewReader(data), 0); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
