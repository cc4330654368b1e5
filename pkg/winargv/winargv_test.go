package winargv

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestQuote(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`plain`, `plain`},
		{``, `""`},
		{`a b`, `"a b"`},
		{`C:\dir\`, `C:\dir\`},
		{`a b\`, `"a b\\"`},
		{`x"y`, `"x\"y"`},
		{`x\"y`, `"x\\\"y"`},
		{`a\\"b c\\`, `"a\\\\\"b c\\\\"`},
		{"tab\there", "\"tab\there\""},
	} {
		if got := Quote(tc.in); got != tc.want {
			t.Errorf("Quote(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{`"C:\a b\x.exe" plain "a b\\" x\"y "" \\server`, []string{`C:\a b\x.exe`, "plain", `a b\`, `x"y`, "", `\\server`}},
		{`a\\\"b "c\\"d e`, []string{`a\"b`, `c\d`, "e"}},
		{`  lead  trail  `, []string{"lead", "trail"}},
		{`"a""b" c`, []string{`a"b c`}}, // a third quote in a row is literal and ends the quotes
		{`"a"""b c"`, []string{`a"b c`}},
		{`"unclosed \"x`, []string{`unclosed "x`}},
	} {
		if got := Split(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("Split(%s) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestJoinSplit: random argument lists made of the characters the rules
// give a meaning to come back from Split(Join(args)) as they were.
func TestJoinSplit(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{`\`, `\`, `"`, " ", "\t", "a", "é", `\\`, `""`}
	for range 20000 {
		args := make([]string, r.IntN(5))
		for i := range args {
			var s string
			for range r.IntN(8) {
				s += alphabet[r.IntN(len(alphabet))]
			}
			args[i] = s
		}
		roundTrip(t, args)
	}
}

func roundTrip(t *testing.T, args []string) {
	t.Helper()
	line := Join(args)
	got := Split(line)
	if len(args) == 0 && len(got) == 0 {
		return
	}
	if !slices.Equal(got, args) {
		t.Fatalf("Split(Join(%q)) = %q (command line %s)", args, got, line)
	}
}

// FuzzJoinSplit: any three arguments, the last one empty or not, come back
// from Split(Join(args)) as they were.
func FuzzJoinSplit(f *testing.F) {
	for _, s := range []string{"", "x", `a b\`, `x"y`, `\\"`, `\`, "\t", `"" \" \\`, "é"} {
		f.Add(s, s+`\`, s)
	}
	f.Fuzz(func(t *testing.T, a, b, c string) {
		roundTrip(t, []string{a, b, c})
		roundTrip(t, []string{a})
	})
}

// TestMarked: a mark standing for a folder that ends in a backslash, filled
// in after quoting, gives back the argument with the folder in its place.
func TestMarked(t *testing.T) {
	const mark, dir = "\x00D\x00", `C:\Program Files\x\`
	for _, arg := range []string{mark, mark + `.`, `-d=` + mark, mark + `"q"`, mark + `\`, `a b` + mark + `\\"`, "plain"} {
		line := strings.ReplaceAll(QuoteMarked(arg, mark)+" next", mark, dir)
		want := []string{strings.ReplaceAll(arg, mark, dir), "next"}
		if got := Split(line); !slices.Equal(got, want) {
			t.Errorf("QuoteMarked(%q): %s reads %q, want %q", arg, line, got, want)
		}
		// Escaped once more, as a script passes a command line to sc.exe.
		outer := strings.ReplaceAll(`"`+EscapeMarked(QuoteMarked(arg, mark), mark)+`" next`, mark, dir)
		if got := Split(outer); len(got) != 2 || !slices.Equal(Split(got[0]), want[:1]) {
			t.Errorf("EscapeMarked(QuoteMarked(%q)): %s reads %q", arg, outer, got)
		}
	}
}
