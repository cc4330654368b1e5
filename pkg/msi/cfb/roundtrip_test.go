package cfb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const msiCLSID = "000C1084-0000-0000-C000-000000000046"

func streams(prefix string, sizes ...int64) []tnode {
	var out []tnode
	for i, s := range sizes {
		out = append(out, tnode{name: fmt.Sprintf("%s%02d", prefix, i), size: s})
	}
	return out
}

func manyStreams(n int, size int64) []tnode {
	var out []tnode
	for i := range n {
		// Varying lengths exercise the length-first order.
		out = append(out, tnode{name: strings.Repeat("s", 1+i%7) + fmt.Sprint(i), size: size + int64(i)})
	}
	return out
}

var roundTripCases = []struct {
	name  string
	opts  Options
	nodes []tnode
}{
	{name: "empty"},
	{name: "one empty stream", nodes: []tnode{{name: "e", size: 0}}},
	{
		name:  "small",
		nodes: streams("mini", 0, 1, 63, 64, 65, 511, 512, 513, 4095),
	},
	{
		name: "mixed",
		nodes: []tnode{
			{name: "a", size: 100},
			{name: "big1", size: 4096},
			{name: "b", size: 4000},
			{name: "big2", size: 4097},
			{name: "c", size: 700},
			{name: "big3", size: 70000},
			{name: "d", size: 1},
		},
	},
	{
		name: "nested storages with CLSIDs",
		opts: Options{RootCLSID: clsidOf(msiCLSID)},
		nodes: []tnode{
			{name: "top", size: 10},
			{name: "Storage1", storage: true, clsid: "01234567-89AB-CDEF-0123-456789ABCDEF", kids: []tnode{
				{name: "x", size: 5000},
				{name: "y", size: 50},
				{name: "Inner", storage: true, kids: []tnode{
					{name: "deep", size: 3},
					{name: "Deeper", storage: true, clsid: "FFFFFFFF-0000-1111-2222-333344445555", kids: streams("leaf", 1, 2, 3, 4096)},
					{name: "empty storage", storage: true},
				}},
			}},
			{name: "Storage2", storage: true, kids: manyStreams(40, 10)},
		},
	},
	{
		name: "spec name order",
		nodes: []tnode{
			{name: "b", size: 1}, {name: "A", size: 2}, {name: "aa", size: 3}, {name: "Z", size: 4},
			{name: "ab", size: 5}, {name: "é", size: 6}, {name: "É1", size: 7}, {name: "zz", storage: true},
			{name: "\x05SummaryInformation", size: 300},
			{name: "\u4840\u3b3f\u43f2\u4438\u45b1", size: 20},
			{name: "\u4840\u3f7f\u4164\u422f\u4836", size: 9000},
			{name: "\u4840\u4559\u44f2\u4568\u4737", size: 4},
			{name: strings.Repeat("n", 31), size: 8},
		},
	},
	{
		name:  "many siblings",
		nodes: manyStreams(300, 1),
	},
	{
		name: "version 4",
		opts: Options{Version: 4, RootCLSID: clsidOf(msiCLSID)},
		nodes: append(append(streams("v4s", 0, 1, 4095, 4096, 5000, 20000, 100),
			tnode{name: "st", storage: true, clsid: "AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE", kids: manyStreams(45, 3000)}),
			manyStreams(40, 4090)...),
	},
	{
		name:  "version 4 small",
		opts:  Options{Version: 4},
		nodes: streams("only", 1),
	},
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range roundTripCases {
		t.Run(tc.name, func(t *testing.T) {
			// Write through a seeking file and through a plain writer
			// (spooled): the bytes must agree.
			path := filepath.Join(t.TempDir(), "out.cfb")
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			exp := build(t, f, &tc.opts, tc.nodes)
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			build(t, &buf, &tc.opts, tc.nodes)
			onDisk, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(onDisk, buf.Bytes()) {
				t.Fatalf("seeking and spooled output differ (%d and %d bytes)", len(onDisk), buf.Len())
			}
			secSize := 512
			if tc.opts.Version == 4 {
				secSize = 4096
			}
			if len(onDisk)%secSize != 0 {
				t.Errorf("size %d is not a whole number of %d-byte sectors", len(onDisk), secSize)
			}
			r := verifyAll(t, path, tc.opts.RootCLSID, exp)
			wantV := max(tc.opts.Version, 3)
			if r.Version != wantV {
				t.Errorf("version %d, want %d", r.Version, wantV)
			}
		})
	}
}

// TestLargeV3DIFAT writes a version 3 file of more than 8 MiB, so that the
// FAT needs more than the 109 sectors the header lists, and checks that
// DIFAT sectors are present and every reader agrees.
func TestLargeV3DIFAT(t *testing.T) {
	nodes := []tnode{
		{name: "small", size: 1000},
		{name: "big", size: 9 << 20},
		{name: "S", storage: true, kids: []tnode{{name: "more", size: 3<<20 + 17}, {name: "tiny", size: 5}}},
	}
	path := filepath.Join(t.TempDir(), "large.cfb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	exp := build(t, f, nil, nodes)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	h := make([]byte, 512)
	f, err = os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadFull(f, h)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	nFAT := binary.LittleEndian.Uint32(h[44:])
	nDIFAT := binary.LittleEndian.Uint32(h[72:])
	if nFAT <= 109 || nDIFAT == 0 {
		t.Fatalf("header: %d FAT sectors, %d DIFAT sectors; want more than 109 and at least 1", nFAT, nDIFAT)
	}
	verifyAll(t, path, CLSID{}, exp)
	if _, difat, _ := readOlefile(t, path); difat != int(nDIFAT) {
		t.Errorf("olefile sees %d DIFAT sectors, header says %d", difat, nDIFAT)
	}
}

func TestDeterministic(t *testing.T) {
	for _, tc := range roundTripCases {
		var a, b bytes.Buffer
		build(t, &a, &tc.opts, tc.nodes)
		build(t, &b, &tc.opts, tc.nodes)
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("%s: two writes differ", tc.name)
		}
	}
}

func TestTimestampsZero(t *testing.T) {
	var buf bytes.Buffer
	tc := roundTripCases[4] // nested storages
	build(t, &buf, &tc.opts, tc.nodes)
	r, err := Open(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	// Find the directory sectors through the reader's view and check the
	// timestamp fields of every entry.
	b := buf.Bytes()
	dir, err := r.chain(binary.LittleEndian.Uint32(b[48:]), -1)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range dir {
		sec := b[(int(s)+1)*512 : (int(s)+2)*512]
		for k := 0; k < 4; k++ {
			e := sec[k*128 : (k+1)*128]
			if !bytes.Equal(e[96:116], make([]byte, 20)) {
				t.Errorf("sector %d entry %d: state bits or timestamps not zero: % x", s, k, e[96:116])
			}
		}
	}
}

func TestWriterErrors(t *testing.T) {
	tests := []struct {
		name string
		run  func(w *Writer) error
		want error
		text string
	}{
		{"empty name", func(w *Writer) error { _, err := w.CreateStream("", 1); return err }, ErrInvalidName, "empty"},
		{"32 units", func(w *Writer) error { _, err := w.CreateStream(strings.Repeat("x", 32), 1); return err }, ErrInvalidName, "32 UTF-16"},
		{"surrogate pairs count twice", func(w *Writer) error {
			_, err := w.CreateStream(strings.Repeat("😀", 16), 1)
			return err
		}, ErrInvalidName, "32 UTF-16"},
		{"slash", func(w *Writer) error { _, err := w.CreateStream("a/b", 1); return err }, ErrInvalidName, `'/'`},
		{"backslash", func(w *Writer) error { _, err := w.CreateStorage(`a\b`, CLSID{}); return err }, ErrInvalidName, `'\\'`},
		{"colon", func(w *Writer) error { _, err := w.CreateStream("a:b", 1); return err }, ErrInvalidName, `':'`},
		{"bang", func(w *Writer) error { _, err := w.CreateStream("a!", 1); return err }, ErrInvalidName, `'!'`},
		{"nul", func(w *Writer) error { _, err := w.CreateStream("a\x00", 1); return err }, ErrInvalidName, "NUL"},
		{"bad utf8", func(w *Writer) error { _, err := w.CreateStream("a\xff", 1); return err }, ErrInvalidName, "UTF-8"},
		{"duplicate", func(w *Writer) error {
			if err := w.AddStream("Name", 1, strings.NewReader("x")); err != nil {
				return err
			}
			_, err := w.CreateStorage("nAME", CLSID{})
			return err
		}, ErrDuplicateName, `"Name"`},
		{"duplicate in storage", func(w *Writer) error {
			s, err := w.CreateStorage("s", CLSID{})
			if err != nil {
				return err
			}
			if _, err := s.CreateStream("x", 0); err != nil {
				return err
			}
			_, err = s.CreateStream("X", 0)
			return err
		}, ErrDuplicateName, `storage "s"`},
		{"reader too short", func(w *Writer) error { return w.AddStream("s", 10, strings.NewReader("abc")) }, ErrSizeMismatch, "after 3 of 10"},
		{"reader too long", func(w *Writer) error { return w.AddStream("s", 2, strings.NewReader("abc")) }, ErrSizeMismatch, "more than 2"},
		{"big reader too long", func(w *Writer) error {
			return w.AddStream("s", 5000, io.LimitReader(newPattern("x", 9000), 9000))
		}, ErrSizeMismatch, "more than 5000"},
		{"short write then create", func(w *Writer) error {
			sw, err := w.CreateStream("s", 5)
			if err != nil {
				return err
			}
			sw.Write([]byte("ab"))
			_, err = w.CreateStream("t", 1)
			return err
		}, ErrSizeMismatch, "2 bytes written, 5 declared"},
		{"short write then close", func(w *Writer) error {
			sw, err := w.CreateStream("s", 5000)
			if err != nil {
				return err
			}
			sw.Write(make([]byte, 4999))
			return w.Close()
		}, ErrSizeMismatch, "4999 bytes written, 5000 declared"},
		{"long write", func(w *Writer) error {
			sw, err := w.CreateStream("s", 3)
			if err != nil {
				return err
			}
			_, err = sw.Write([]byte("abcd"))
			return err
		}, ErrSizeMismatch, "exceed"},
		{"negative size", func(w *Writer) error { _, err := w.CreateStream("s", -1); return err }, nil, "negative"},
		{"v3 stream over 2 GiB", func(w *Writer) error { _, err := w.CreateStream("s", 1<<31+1); return err }, nil, "version 4"},
		{"write after finish", func(w *Writer) error {
			sw, err := w.CreateStream("s", 0)
			if err != nil {
				return err
			}
			if _, err := w.CreateStream("t", 0); err != nil {
				return err
			}
			_, err = sw.Write([]byte{1})
			return err
		}, nil, "after the stream was finished"},
		{"double close", func(w *Writer) error {
			if err := w.Close(); err != nil {
				return err
			}
			return w.Close()
		}, nil, "already closed"},
		{"create after close", func(w *Writer) error {
			if err := w.Close(); err != nil {
				return err
			}
			_, err := w.CreateStream("s", 0)
			return err
		}, nil, "closed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := NewWriter(io.Discard, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = tt.run(w)
			if err == nil {
				t.Fatal("no error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %q is not %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.text) || !strings.HasPrefix(err.Error(), "cfb: ") {
				t.Errorf("error %q does not start with \"cfb: \" and mention %q", err, tt.text)
			}
		})
	}
}

// TestErrorIsSticky checks that a size mismatch makes Close fail rather
// than write a file with a short stream.
func TestErrorIsSticky(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AddStream("s", 10, strings.NewReader("abc")); err == nil {
		t.Fatal("AddStream: no error")
	}
	if err := w.Close(); !errors.Is(err, ErrSizeMismatch) {
		t.Fatalf("Close: %v, want ErrSizeMismatch", err)
	}
	if buf.Len() != 0 {
		t.Errorf("failed writer produced %d bytes", buf.Len())
	}
}

func TestNewWriterVersion(t *testing.T) {
	if _, err := NewWriter(io.Discard, &Options{Version: 5}); err == nil || !strings.Contains(err.Error(), "want 3 or 4") {
		t.Errorf("version 5: %v", err)
	}
}

// TestWriterAtOffset writes after existing bytes of a file: the compound
// file starts where the file offset was.
func TestWriterAtOffset(t *testing.T) {
	path := filepath.Join(t.TempDir(), "off.bin")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	prefix := []byte("PREFIX--")
	f.Write(prefix)
	tc := roundTripCases[3] // mixed
	build(t, f, &tc.opts, tc.nodes)
	var buf bytes.Buffer
	build(t, &buf, &tc.opts, tc.nodes)
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, append(prefix, buf.Bytes()...)) {
		t.Error("file written at an offset differs from prefix + standalone file")
	}
}

func TestReaderRejects(t *testing.T) {
	var buf bytes.Buffer
	tc := roundTripCases[3]
	build(t, &buf, &tc.opts, tc.nodes)
	good := buf.Bytes()
	mut := func(f func(b []byte) []byte) []byte {
		return f(bytes.Clone(good))
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"short", good[:100]},
		{"signature", mut(func(b []byte) []byte { b[0] = 0; return b })},
		{"version", mut(func(b []byte) []byte { b[26] = 5; return b })},
		{"sector shift", mut(func(b []byte) []byte { b[30] = 12; return b })},
		{"FAT count", mut(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[44:], 1<<30); return b })},
		{"directory start", mut(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[48:], 1<<20); return b })},
		{"truncated", good[:len(good)/2]},
	}
	for _, tt := range tests {
		if _, err := Open(bytes.NewReader(tt.data), int64(len(tt.data))); err == nil {
			t.Errorf("%s: Open accepted a damaged file", tt.name)
		} else if !strings.HasPrefix(err.Error(), "cfb: ") {
			t.Errorf("%s: error %q lacks the package prefix", tt.name, err)
		}
	}
}

// clsidOf parses a CLSID of the static test data.
func clsidOf(s string) CLSID {
	id, err := ParseCLSID(s)
	if err != nil {
		panic(err)
	}
	return id
}

// TestSpoolToTempFile writes a file larger than the in-memory spool to a
// plain io.Writer: the output must equal the seeking writer's, and the
// temporary file must be gone afterwards.
func TestSpoolToTempFile(t *testing.T) {
	nodes := []tnode{{name: "a", size: 10}, {name: "big", size: 6 << 20}, {name: "b", size: 3000}}
	tmp := t.TempDir()
	var buf bytes.Buffer
	build(t, &buf, &Options{TempDir: tmp}, nodes)
	path := filepath.Join(t.TempDir(), "seek.cfb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	exp := build(t, f, nil, nodes)
	f.Close()
	onDisk, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(onDisk, buf.Bytes()) {
		t.Fatal("spooled and seeking outputs differ")
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
	r, got := readOwn(t, bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	diff(t, "own reader", exp, got)
	if r.Lookup("big") == nil || r.Lookup("big").Size != 6<<20 {
		t.Error("Lookup(big) failed")
	}
}

// TestSpoolTempDirError checks that a failing temporary file is reported.
func TestSpoolTempDirError(t *testing.T) {
	w, err := NewWriter(io.Discard, &Options{TempDir: filepath.Join(t.TempDir(), "missing")})
	if err != nil {
		t.Fatal(err)
	}
	err = w.AddStream("big", 6<<20, newPattern("big", 6<<20))
	if err == nil {
		err = w.Close()
	}
	if err == nil || !strings.HasPrefix(err.Error(), "cfb: ") {
		t.Fatalf("got %v, want a cfb error about the temporary file", err)
	}
}

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestGolden pins the exact bytes of two small files, so that any change
// of layout is deliberate (go test -update rewrites them). The golden files
// themselves are checked by the independent readers.
func TestGolden(t *testing.T) {
	nested := roundTripCases[4]
	for _, v := range []int{3, 4} {
		t.Run(fmt.Sprint("v", v), func(t *testing.T) {
			opts := nested.opts
			opts.Version = v
			var buf bytes.Buffer
			exp := build(t, &buf, &opts, nested.nodes)
			golden := filepath.Join("testdata", fmt.Sprintf("nested-v%d.cfb", v))
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("output differs from %s; if the change is intended, run go test -update", golden)
			}
			verifyAll(t, golden, opts.RootCLSID, exp)
		})
	}
}
