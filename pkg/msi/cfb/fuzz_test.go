package cfb

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// fuzzAlphabet mixes cases, a letter with case outside ASCII and MSI
// compressed-name characters, so that duplicates by the spec's
// case-insensitive rule occur.
var fuzzAlphabet = []rune("aAbBzZ09_\u00e9\u00c9\u4840\u3b3f\u43f2")

// fuzzInput consumes the fuzz data byte by byte; past the end it yields 0.
type fuzzInput struct{ b []byte }

func (in *fuzzInput) next() int {
	if len(in.b) == 0 {
		return 0
	}
	v := in.b[0]
	in.b = in.b[1:]
	return int(v)
}

// fuzzStorage mirrors a storage: its children's names, to predict
// duplicate-name errors without the package's own comparison.
type fuzzStorage struct {
	s     *Storage
	path  string
	names []string
}

func (fs *fuzzStorage) hasFold(name string) bool {
	for _, n := range fs.names {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

// FuzzRoundTrip builds a random tree of storages and streams from the fuzz
// input, writes it, and reads it back with this package's reader and with
// github.com/richardlehane/mscfb.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte{0, 0, 3, 0, 10, 2, 5, 0, 1, 1, 200, 3, 0, 6, 2, 0})
	f.Add([]byte{1, 2, 1, 0, 1, 4, 0, 3, 9, 9, 0, 0, 0, 2, 1, 3, 200, 0, 1, 1, 250})
	f.Add([]byte("\x00\x00\x05abcde\x01\x10\x00\x00\x05ABCDE\x02\x00"))
	f.Add(bytes.Repeat([]byte{0, 1, 2, 3, 4, 5, 6, 7}, 40))
	f.Fuzz(fuzzRoundTrip)
}

func fuzzRoundTrip(t *testing.T, data []byte) {
	in := &fuzzInput{b: data}
	opts := &Options{Version: 3 + in.next()%2}
	opts.RootCLSID[0], opts.RootCLSID[15] = byte(in.next()), byte(in.next())
	var buf bytes.Buffer
	w, err := NewWriter(&buf, opts)
	if err != nil {
		t.Fatal(err)
	}
	exp := map[string]want{}
	stack := []*fuzzStorage{{s: w.Root()}}
	var total int64
	for ops := 0; len(in.b) > 0 && ops < 100; ops++ {
		top := stack[len(stack)-1]
		op := in.next() % 5
		if op == 4 {
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
			}
			continue
		}
		nameLen := 1 + in.next()%8
		var sb strings.Builder
		for range nameLen {
			sb.WriteRune(fuzzAlphabet[in.next()%len(fuzzAlphabet)])
		}
		name := sb.String()
		p := top.path + name
		dup := top.hasFold(name)
		if op == 3 && len(stack) < 5 {
			var id CLSID
			id[3] = byte(in.next())
			sub, err := top.s.CreateStorage(name, id)
			if dup {
				if !errors.Is(err, ErrDuplicateName) {
					t.Fatalf("CreateStorage(%q) duplicate: %v", p, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("CreateStorage(%q): %v", p, err)
			}
			top.names = append(top.names, name)
			exp[p] = want{storage: true, clsid: id}
			stack = append(stack, &fuzzStorage{s: sub, path: p + "/"})
			continue
		}
		var size int64
		a, b := int64(in.next()), int64(in.next())
		switch op {
		case 0:
			size = a
		case 1:
			size = miniCutoff - 130 + a // around the mini stream cutoff
		default:
			size = a*256 + b
		}
		if total+size > 256<<10 {
			size = 0
		}
		total += size
		err := top.s.AddStream(name, size, newPattern(p, size))
		if dup {
			if !errors.Is(err, ErrDuplicateName) {
				t.Fatalf("AddStream(%q) duplicate: %v", p, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("AddStream(%q): %v", p, err)
		}
		top.names = append(top.names, name)
		exp[p] = want{size: size, sum: patternSum(p, size)}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	ra := bytes.NewReader(buf.Bytes())
	r, got := readOwn(t, ra, int64(buf.Len()))
	diff(t, "own reader", exp, got)
	if r.CLSID != opts.RootCLSID {
		t.Errorf("own reader: root CLSID %v, want %v", r.CLSID, opts.RootCLSID)
	}
	if err := checkTree(r); err != nil {
		t.Errorf("directory tree: %v", err)
	}
	root, mgot := readMSCFB(t, ra)
	diff(t, "mscfb", exp, mgot)
	if root != opts.RootCLSID {
		t.Errorf("mscfb: root CLSID %v, want %v", root, opts.RootCLSID)
	}
}
