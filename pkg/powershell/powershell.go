// Package powershell writes values into PowerShell scripts as data.
package powershell

import "strings"

// quotes are the characters PowerShell takes as a single quote: the ASCII
// one and U+2018 to U+201B (left, right, low-9 and reversed-9 single
// quotation marks). Any of them ends a single-quoted string, and two in a
// row stand for one.
const quotes = "'\u2018\u2019\u201a\u201b"

// Quote returns s as a single-quoted PowerShell string, in which nothing
// is expanded: every quote character is doubled.
func Quote(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		if strings.ContainsRune(quotes, r) {
			b.WriteRune(r)
		}
		b.WriteRune(r)
	}
	b.WriteByte('\'')
	return b.String()
}
