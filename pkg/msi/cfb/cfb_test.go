package cfb

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/google/uuid"
)

func TestCLSID(t *testing.T) {
	tests := []struct {
		in, want string
		disk     []byte
	}{
		{
			in:   "{000C1084-0000-0000-C000-000000000046}",
			want: "000C1084-0000-0000-C000-000000000046",
			disk: []byte{0x84, 0x10, 0x0C, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46},
		},
		{
			in:   "01234567-89ab-cdef-0123-456789abcdef",
			want: "01234567-89AB-CDEF-0123-456789ABCDEF",
			disk: []byte{0x67, 0x45, 0x23, 0x01, 0xAB, 0x89, 0xEF, 0xCD, 0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF},
		},
	}
	for _, tt := range tests {
		id, err := ParseCLSID(tt.in)
		if err != nil {
			t.Fatalf("ParseCLSID(%q): %v", tt.in, err)
		}
		if id.String() != tt.want {
			t.Errorf("ParseCLSID(%q).String() = %q, want %q", tt.in, id, tt.want)
		}
		if u := uuid.MustParse(tt.in); CLSID(u) != id {
			t.Errorf("%q: differs from uuid.UUID layout", tt.in)
		}
		disk := make([]byte, 16)
		id.putDisk(disk)
		if !bytes.Equal(disk, tt.disk) {
			t.Errorf("%q on disk: % x, want % x", tt.in, disk, tt.disk)
		}
		if clsidFromDisk(disk) != id {
			t.Errorf("%q: disk round trip failed", tt.in)
		}
	}
	for _, bad := range []string{"", "000C1084-0000-0000-C000-00000000004", "000C1084x0000-0000-C000-000000000046", "000C1084-0000-0000-C000-00000000004G"} {
		if _, err := ParseCLSID(bad); err == nil {
			t.Errorf("ParseCLSID(%q) accepted", bad)
		}
	}
	if !(CLSID{}).IsZero() || clsidOf("000C1084-0000-0000-C000-000000000046").IsZero() {
		t.Error("IsZero")
	}
}

func TestCompareNames(t *testing.T) {
	// Each list is in the order [MS-CFB] 2.6.4 prescribes.
	ordered := [][]string{
		{"a", "B", "c", "Z"},             // case-insensitive
		{"zz", "AAA", "aab", "AAC"},      // shorter first, whatever the letters
		{"\u00e9", "\u00c9a"},            // é upper-cases to É; length decides
		{"A", "\u00e9"},                  // 'A' (0x41) < 'É' (0xC9)
		{"\u4840\u3b3f", "\u4840\u43f2"}, // MSI compressed names: code unit order
		{"\u4840\u3b3f\u43f2\u4438\u45b1\u4431\u4537\u4828\u45a8\u4237\u4536\u4228\u4836", "\x05SummaryInformation"}, // 13 units before 19
		{"\U0001F600", "abc"}, // a surrogate pair is two units
	}
	enc := func(s string) []uint16 { return utf16.Encode([]rune(s)) }
	for _, list := range ordered {
		for i := range list {
			for j := range list {
				got := compareNames(enc(list[i]), enc(list[j]))
				want := 0
				if i < j {
					want = -1
				} else if i > j {
					want = 1
				}
				if got != want {
					t.Errorf("compareNames(%q, %q) = %d, want %d", list[i], list[j], got, want)
				}
			}
		}
	}
	for _, eq := range [][2]string{{"abc", "ABC"}, {"\u00e9t\u00e9", "\u00c9T\u00c9"}, {"\u03c3", "\u03a3"}} {
		if compareNames(enc(eq[0]), enc(eq[1])) != 0 || nameKey(enc(eq[0])) != nameKey(enc(eq[1])) {
			t.Errorf("%q and %q should compare equal", eq[0], eq[1])
		}
	}
}

func TestEncodeName(t *testing.T) {
	for _, ok := range []string{"a", strings.Repeat("x", 31), "Root Entry", "\x05SummaryInformation", "\u4840\u3f7f", "with space", "é" + strings.Repeat("\U0001F600", 15)} {
		if _, err := encodeName(ok); err != nil {
			t.Errorf("encodeName(%q): %v", ok, err)
		}
	}
}

// TestRedBlackShape checks the tree shape for every sibling count up to
// 600 against the red-black rules, through the writer and reader.
func TestRedBlackShape(t *testing.T) {
	for n := 0; n <= 600; n++ {
		if n > 70 && n%37 != 0 && n != 127 && n != 128 && n != 255 && n != 256 && n != 511 {
			continue
		}
		var buf bytes.Buffer
		w, err := NewWriter(&buf, nil)
		if err != nil {
			t.Fatal(err)
		}
		names := make([]string, n)
		for i := range names {
			names[i] = strings.Repeat("k", 1+i%3) + string(rune('A'+i%26)) + string(rune('0'+i/26%10)) + string(rune('a'+i/260))
		}
		for _, name := range names {
			if _, err := w.CreateStream(name, 0); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		r, err := Open(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		if err := checkTree(r); err != nil {
			t.Errorf("n=%d: %v", n, err)
		}
		if len(r.Files) != n {
			t.Fatalf("n=%d: reader lists %d files", n, len(r.Files))
		}
		got := make([]string, n)
		for i, f := range r.Files {
			got[i] = f.Name
		}
		want := slices.Clone(names)
		slices.SortFunc(want, func(a, b string) int {
			return compareNames(utf16.Encode([]rune(a)), utf16.Encode([]rune(b)))
		})
		if !slices.Equal(got, want) {
			t.Errorf("n=%d: in-order traversal %v, want %v", n, got, want)
		}
	}
}
