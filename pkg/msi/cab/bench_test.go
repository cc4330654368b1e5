package cab

import (
	"bytes"
	"io"
	"testing"

	"github.com/klauspost/compress/flate"
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

// BenchmarkCheckDeflate measures the strict decoder on the blocks the writer
// checks: 32 KiB of mixed data compressed at DefaultLevel with the previous
// 32 KiB as history.
func BenchmarkCheckDeflate(b *testing.B) {
	data := append(append(textish(3*BlockSize/2, 31), make([]byte, BlockSize/4)...), random(BlockSize/4, 32)...)
	dict, want := data[:BlockSize], data[BlockSize:]
	var buf bytes.Buffer
	fw, err := flate.NewWriterDict(&buf, DefaultLevel, dict)
	if err != nil {
		b.Fatal(err)
	}
	fw.Write(want)
	fw.Close()
	var dec decoder
	b.SetBytes(int64(len(want)))
	for b.Loop() {
		if err := checkDeflate(buf.Bytes(), want, dict, &dec); err != nil {
			b.Fatal(err)
		}
	}
}
