// Package winargv builds Windows command lines: a program on Windows
// receives one string and splits it into arguments itself, almost always by
// the rules of CommandLineToArgvW (which the C runtime and Go's os package
// share). Quote and Join write arguments so that those rules give them back
// exactly; Split reads a command line by the same rules, for tests.
//
// The rules: space and tab separate arguments outside double quotes; a
// double quote preceded by 2n backslashes is n backslashes and a quote that
// opens or closes a quoted part, and preceded by 2n+1 backslashes it is n
// backslashes and a literal quote; other backslashes are literal. So inside
// quotes a run of backslashes is doubled only where a quote follows it, the
// closing quote included.
package winargv

import "strings"

// Quote returns arg as one argument of a command line: as it is when it is
// not empty and holds no blank or quote, else in double quotes (Escape).
func Quote(arg string) string {
	if arg != "" && !strings.ContainsAny(arg, " \t\n\v\"") {
		return arg
	}
	return `"` + Escape(arg) + `"`
}

// Escape returns s escaped to stand between the double quotes of one
// argument: a quote becomes \", and each run of backslashes before a quote
// or at the end of s is doubled; other backslashes stay as they are.
func Escape(s string) string {
	var b strings.Builder
	slashes := 0 // backslashes written since the last other character
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			slashes++
		case '"':
			b.WriteString(strings.Repeat(`\`, slashes+1))
			slashes = 0
		default:
			slashes = 0
		}
		b.WriteByte(s[i])
	}
	b.WriteString(strings.Repeat(`\`, slashes))
	return b.String()
}

// EscapeMarked is Escape for a text in which mark stands for a folder path
// that ends in a backslash, filled in after quoting (an installer's or a
// script's folder): that backslash counts in the run before a quote or the
// end. mark must hold neither a backslash nor a quote.
func EscapeMarked(s, mark string) string {
	if mark == "" || !strings.Contains(s, mark) {
		return Escape(s)
	}
	// A stand-in backslash after each mark is escaped with the run it
	// starts; Escape only ever adds backslashes, so one follows each mark
	// in its output, and removing it leaves the folder's own in its place.
	return strings.ReplaceAll(Escape(strings.ReplaceAll(s, mark, mark+`\`)), mark+`\`, mark)
}

// QuoteMarked quotes arg, in which mark stands for a folder path that ends
// in a backslash and may hold blanks, as EscapeMarked escapes it: in double
// quotes whenever it holds mark.
func QuoteMarked(arg, mark string) string {
	if mark == "" || !strings.Contains(arg, mark) {
		return Quote(arg)
	}
	return `"` + EscapeMarked(arg, mark) + `"`
}

// QuoteProgram returns program as the first word of a command line, the
// program to run: always in double quotes, with nothing escaped, as
// CreateProcess and CommandLineToArgvW read that word (up to the next
// quote). program must hold no double quote, which no file name can.
func QuoteProgram(program string) string { return `"` + program + `"` }

// Join quotes each argument and joins them with spaces.
func Join(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = Quote(a)
	}
	return strings.Join(quoted, " ")
}

// Split reads a command line into arguments by CommandLineToArgvW's rules
// for the arguments after the program name (see the package comment), with
// its handling of quotes in a row: counting the one that opened, every third
// is a literal quote (`"a""b"` reads a"b and leaves the quotes open). An
// empty pair of quotes is an empty argument; Join writes no quotes in a row
// but that one.
func Split(cmdline string) []string {
	var args []string
	var w strings.Builder
	started := false
	quotes := 0 // 1 inside quotes; counts a run of quotes while reading one
	for i := 0; i < len(cmdline); {
		c := cmdline[i]
		switch {
		case (c == ' ' || c == '\t') && quotes == 0:
			if started {
				args = append(args, w.String())
				w.Reset()
				started = false
			}
			i++
			continue
		case c == '\\':
			n := 0
			for i < len(cmdline) && cmdline[i] == '\\' {
				n++
				i++
			}
			if i >= len(cmdline) || cmdline[i] != '"' {
				w.WriteString(strings.Repeat(`\`, n))
				started = true
				continue
			}
			w.WriteString(strings.Repeat(`\`, n/2))
			started = true
			if n%2 == 1 {
				w.WriteByte('"')
				i++
				quotes = readQuotes(cmdline, &i, &w, quotes)
				continue
			}
		case c != '"':
			w.WriteByte(c)
			started = true
			i++
			continue
		}
		// A quote that opens or closes, and the quotes right after it.
		started = true
		i++
		quotes = readQuotes(cmdline, &i, &w, quotes+1)
	}
	if started {
		args = append(args, w.String())
	}
	return args
}

// readQuotes reads the run of quotes at cmdline[*i:], given the quote count
// so far (odd: inside quotes), writing a literal quote for every third, and
// returns the count that remains: 1 inside quotes, else 0.
func readQuotes(cmdline string, i *int, w *strings.Builder, quotes int) int {
	for *i < len(cmdline) && cmdline[*i] == '"' {
		quotes++
		if quotes == 3 {
			w.WriteByte('"')
			quotes = 0
		}
		*i++
	}
	if quotes == 2 {
		quotes = 0
	}
	return quotes
}
