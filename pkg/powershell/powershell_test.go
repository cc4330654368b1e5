package powershell

import (
	"strings"
	"testing"
)

func TestQuote(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "''"},
		{"plain", "'plain'"},
		{"it's", "'it''s'"},
		{"$(calc.exe) `n \"x\" ${y}", "'$(calc.exe) `n \"x\" ${y}'"},
		// A typographic quote ends a PowerShell string as ' does.
		{"a\u2019;x=$(calc.exe);y=\u2019", "'a\u2019\u2019;x=$(calc.exe);y=\u2019\u2019'"},
		{"\u2018\u201a\u201b", "'\u2018\u2018\u201a\u201a\u201b\u201b'"},
	} {
		if got := Quote(tc.in); got != tc.want {
			t.Errorf("Quote(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestQuoteStaysOneString reads the quoted value back as PowerShell's
// tokenizer would: from the opening quote, a quote character followed by
// another ends nothing; a lone one ends the string. The string must end
// exactly at the last character, and read back as the input.
func TestQuoteStaysOneString(t *testing.T) {
	for _, in := range []string{"", "'", "''x'", "\u2019\u2019\u2019", "a'\u2018b\u201b", "x' ; Remove-Item C:\\ ; '"} {
		q := []rune(Quote(in))
		var got strings.Builder
		end := -1
		for i := 1; i < len(q); i++ {
			if strings.ContainsRune(quotes, q[i]) {
				if i+1 < len(q) && strings.ContainsRune(quotes, q[i+1]) {
					got.WriteRune(q[i])
					i++
					continue
				}
				end = i
				break
			}
			got.WriteRune(q[i])
		}
		if end != len(q)-1 || got.String() != in {
			t.Errorf("Quote(%q) = %q: the string ends at %d of %d and reads %q", in, string(q), end, len(q)-1, got.String())
		}
	}
}
