package cab

import (
	"bytes"
	"compress/flate"
	"errors"
	"io"
	"testing"

	kflate "github.com/klauspost/compress/flate"
)

// deBruijn returns the de Bruijn sequence B(16, 4) in hex digits: every
// 4-character string occurs once, so deflate finds no match of length 4.
func deBruijn() []byte {
	const k, n = 16, 4
	a := make([]int, k*n)
	var seq []byte
	var gen func(t, p int)
	gen = func(t, p int) {
		if t > n {
			if n%p == 0 {
				for j := 1; j <= p; j++ {
					seq = append(seq, "0123456789abcdef"[a[j]])
				}
			}
			return
		}
		a[t] = a[t-p]
		gen(t+1, p)
		for j := a[t-p] + 1; j < k; j++ {
			a[t] = j
			gen(t+1, t)
		}
	}
	gen(1, 1)
	return seq
}

var deflateInputs = []struct {
	name string
	data []byte
}{
	{"one byte", []byte{7}},
	{"zeros", make([]byte, BlockSize)},
	{"short run", bytes.Repeat([]byte("x"), 5000)},
	{"two-byte period", bytes.Repeat([]byte("ab"), BlockSize/2)},
	{"text", textish(BlockSize, 21)},
	{"random", random(BlockSize, 22)},
	{"no matches", deBruijn()[:BlockSize]},
	{"mixed", append(append(textish(10000, 23), make([]byte, 12000)...), random(10768, 24)...)},
}

// TestEncodeFixed decodes encodeFixed's output with compress/flate (an
// independent decoder) and with checkDeflate.
func TestEncodeFixed(t *testing.T) {
	var dec decoder
	for _, in := range deflateInputs {
		enc := encodeFixed(nil, in.data)
		got, err := io.ReadAll(flate.NewReader(bytes.NewReader(enc)))
		if err != nil || !bytes.Equal(got, in.data) {
			t.Errorf("%s: compress/flate read back %d bytes, err %v", in.name, len(got), err)
		}
		if err := checkDeflate(enc, in.data, nil, &dec); err != nil {
			t.Errorf("%s: checkDeflate: %v", in.name, err)
		}
	}
}

// TestCheckDeflate checks that the strict decoder agrees with compress/flate
// on valid streams and rejects damaged ones.
func TestCheckDeflate(t *testing.T) {
	var dec decoder
	for _, in := range deflateInputs {
		for _, level := range []int{flate.HuffmanOnly, 1, 5, 9} {
			var buf bytes.Buffer
			fw, _ := flate.NewWriter(&buf, level)
			fw.Write(in.data)
			fw.Close()
			enc := buf.Bytes()
			err := checkDeflate(enc, in.data, nil, &dec)
			if err != nil {
				// Allowed only for an incomplete code in a stream that is
				// otherwise valid; the writer replaces such a block.
				got, rerr := io.ReadAll(flate.NewReader(bytes.NewReader(enc)))
				if !errors.Is(err, errIncomplete) || rerr != nil || !bytes.Equal(got, in.data) {
					t.Errorf("%s/level %d: checkDeflate: %v (compress/flate: %v)", in.name, level, err, rerr)
				}
				t.Logf("%s/level %d: flate's stream has an incomplete code", in.name, level)
			}
			if checkDeflate(enc, append([]byte{1}, in.data...)[:len(in.data)], nil, &dec) == nil && len(in.data) > 1 && in.data[0] != 1 {
				t.Errorf("%s/level %d: accepted a stream for the wrong output", in.name, level)
			}
			if checkDeflate(enc[:len(enc)/2], in.data, nil, &dec) == nil {
				t.Errorf("%s/level %d: accepted a truncated stream", in.name, level)
			}
		}
	}
}

// TestFallbackBlocks writes the inputs libmspack is most likely to reject
// if the writer kept flate's stream, checks they still compress well, and
// leaves the proof to TestExternalTools' cases.
func TestFallbackBlocks(t *testing.T) {
	b := build(t, []file{{"zeros", make([]byte, 4*BlockSize)}}, Options{Compression: MSZIP})
	if len(b) > 2000 {
		t.Errorf("4 blocks of zeros took %d bytes", len(b))
	}
}

// TestCheckDeflateHistory checks back-references into the previous block's
// data (MSZIP's history): the stream decodes against the history it was
// made with, and is refused against other bytes or a shorter history.
func TestCheckDeflateHistory(t *testing.T) {
	// Random bytes match only where copied: half of the block is copied
	// from the history (every byte of it by a back-reference into the
	// history), then a run that repeats within the block, then new bytes.
	dict := random(BlockSize, 41)
	want := append(append(append([]byte(nil), dict[1000:1000+BlockSize/2]...), bytes.Repeat([]byte("ab"), 500)...), random(BlockSize/2-1000, 42)...)
	var buf bytes.Buffer
	fw, err := kflate.NewWriterDict(&buf, DefaultLevel, dict)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(want)
	fw.Close()
	var dec decoder
	if err := checkDeflate(buf.Bytes(), want, dict, &dec); err != nil {
		t.Fatalf("refused with its own history: %v", err)
	}
	other := append([]byte(nil), dict...)
	other[1000+BlockSize/4] ^= 0xff
	if checkDeflate(buf.Bytes(), want, other, &dec) == nil {
		t.Error("accepted against a history that differs in a byte it copies")
	}
	if checkDeflate(buf.Bytes(), want, dict[BlockSize/2:], &dec) == nil {
		t.Error("accepted with a history shorter than its back-references reach")
	}
	if checkDeflate(buf.Bytes(), want, nil, &dec) == nil {
		t.Error("accepted without the history it refers to")
	}
}

// FuzzCheckDeflate: whatever the stream, the strict decoder does not
// panic, and a stream it accepts decodes, by compress/flate (a decoder
// nobody here wrote) with the same history, to exactly want.
func FuzzCheckDeflate(f *testing.F) {
	dict := textish(BlockSize/2, 51)
	for _, in := range deflateInputs {
		for _, level := range []int{1, DefaultLevel, 9} {
			var buf bytes.Buffer
			fw, _ := kflate.NewWriterDict(&buf, level, dict)
			fw.Write(in.data)
			fw.Close()
			f.Add(buf.Bytes(), in.data, dict)
		}
		f.Add(encodeFixed(nil, in.data), in.data, []byte(nil))
	}
	f.Fuzz(func(t *testing.T, stream, want, dict []byte) {
		if len(want) > BlockSize || len(dict) > BlockSize {
			return
		}
		var dec decoder
		if checkDeflate(stream, want, dict, &dec) != nil {
			return
		}
		got, err := io.ReadAll(flate.NewReaderDict(bytes.NewReader(stream), dict))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("accepted a stream compress/flate reads as %d bytes (%v), want %d", len(got), err, len(want))
		}
	})
}
