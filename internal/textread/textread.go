// Package textread reads back, for tests, the text languages svcpack writes
// config values into, by the rules their platforms document: cmd.exe's set
// lines, the C runtime's (and CommandLineToArgvW's) command lines, systemd's
// unit values, and Windows Installer's Formatted text. Tests use them beside
// the real readers (Wine's cmd and sc, systemd, msiinfo), as fuzz oracles
// and to compare values exactly where a real reader only shows raw text.
package textread

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// CmdSet reads a `set "NAME=value"` line of a batch file as cmd.exe does
// with delayed expansion off: %% is one %, and a lone % would expand a
// variable (an error); outside quotes ^ escapes the next character and
// & | < > would end the command (errors); set takes the text up to the last
// quote on the line.
func CmdSet(line string) (name, value string, err error) {
	var b strings.Builder
	for i := 0; i < len(line); i++ {
		if line[i] == '%' {
			if i+1 < len(line) && line[i+1] == '%' {
				i++
			} else {
				return "", "", fmt.Errorf("a lone %% at byte %d would expand a variable", i)
			}
		}
		b.WriteByte(line[i])
	}
	expanded := b.String()
	b.Reset()
	in := false
	for i := 0; i < len(expanded); i++ {
		c := expanded[i]
		switch {
		case c == '"':
			in = !in
		case !in && c == '^' && i+1 < len(expanded):
			i++
			c = expanded[i]
		case !in && strings.IndexByte("&|<>", c) >= 0:
			return "", "", fmt.Errorf("%q outside quotes at byte %d would end the command", c, i)
		}
		b.WriteByte(c)
	}
	rest, ok := strings.CutPrefix(b.String(), `set "`)
	j := strings.LastIndexByte(rest, '"')
	if !ok || j < 0 {
		return "", "", fmt.Errorf("not a set line: %s", line)
	}
	name, value, _ = strings.Cut(rest[:j], "=")
	return name, value, nil
}

// Argv splits a command line by the C runtime's and CommandLineToArgvW's
// rules: blanks separate arguments outside quotes; 2n backslashes and a
// quote are n backslashes and a quote that opens or closes; 2n+1
// backslashes and a quote are n backslashes and a literal quote; other
// backslashes are literal.
func Argv(cmdline string) []string {
	var args []string
	var w strings.Builder
	in, started := false, false
	for i := 0; i < len(cmdline); {
		c := cmdline[i]
		switch {
		case c == '\\':
			n := 0
			for i < len(cmdline) && cmdline[i] == '\\' {
				n++
				i++
			}
			if i < len(cmdline) && cmdline[i] == '"' {
				w.WriteString(strings.Repeat(`\`, n/2))
				if n%2 == 1 {
					w.WriteByte('"')
					i++
				}
			} else {
				w.WriteString(strings.Repeat(`\`, n))
			}
			started = true
			continue
		case c == '"':
			in = !in
			started = true
		case (c == ' ' || c == '\t') && !in:
			if started {
				args = append(args, w.String())
				w.Reset()
				started = false
			}
		default:
			w.WriteByte(c)
			started = true
		}
		i++
	}
	if started {
		args = append(args, w.String())
	}
	return args
}

// SystemdWords splits a unit value into words as systemd does for
// ExecStart= and Environment=: whitespace separates, double and single
// quotes group, a backslash escapes the next character (C style: \n, \t
// and the like too), then %% stands for % and, with dollar (ExecStart=),
// $$ for $. A lone \; is the literal ";".
func SystemdWords(v string, dollar bool) []string {
	var words []string
	var w strings.Builder
	var quote byte
	started := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '\\' && i+1 < len(v):
			i++
			w.WriteString(unescapeC(v[i]))
			started = true
		case quote == 0 && (c == '"' || c == '\''):
			quote, started = c, true
		case quote != 0 && c == quote:
			quote = 0
		case quote == 0 && (c == ' ' || c == '\t'):
			if started {
				words = append(words, w.String())
				w.Reset()
				started = false
			}
		default:
			w.WriteByte(c)
			started = true
		}
	}
	if started {
		words = append(words, w.String())
	}
	for i, x := range words {
		words[i] = SystemdSpecifiers(x, dollar)
	}
	return words
}

func unescapeC(c byte) string {
	switch c {
	case 'n':
		return "\n"
	case 't':
		return "\t"
	case 'r':
		return "\r"
	case 'a':
		return "\a"
	case 'b':
		return "\b"
	case 'f':
		return "\f"
	case 'v':
		return "\v"
	}
	return string(c)
}

// SystemdSpecifiers reads % specifiers in a unit value: %% is %; with
// dollar, $$ is $ (ExecStart= expands variables). Other specifiers are
// left as written (a value svcpack writes holds none).
func SystemdSpecifiers(v string, dollar bool) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if (v[i] == '%' || dollar && v[i] == '$') && i+1 < len(v) && v[i+1] == v[i] {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// MSIFormatted reads a Windows Installer Formatted value that holds no
// property references: [\x] is the character x, [~] the NUL separator.
func MSIFormatted(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '[' {
			if strings.HasPrefix(v[i:], "[~]") {
				b.WriteByte(0)
				i += 2
				continue
			}
			if i+3 < len(v) && v[i+1] == '\\' && v[i+3] == ']' {
				b.WriteByte(v[i+2])
				i += 3
				continue
			}
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// MSIFormat reads a Windows Installer Formatted value as Windows Installer
// formats it, strictly: [\x] is the character x, [~] a NUL, [NAME] the
// value of NAME in props; any other bracket or brace, which Windows
// Installer might resolve (a property, [%ENV], [#file], [$component],
// [!file], a {group}) or leave as written, is an error, so that a value
// reading back without one holds nothing that formatting would change.
func MSIFormat(v string, props map[string]string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '{' || c == '}' || c == ']':
			return "", fmt.Errorf("a bare %q at byte %d", c, i)
		case c != '[':
			b.WriteByte(c)
			continue
		}
		end := strings.IndexByte(v[i+1:], ']')
		if end < 0 {
			return "", fmt.Errorf("an unclosed [ at byte %d", i)
		}
		if strings.HasPrefix(v[i:], `[\]]`) {
			b.WriteByte(']')
			i += 3
			continue
		}
		inner := v[i+1 : i+1+end]
		switch value, ok := props[inner]; {
		case inner == "~":
			b.WriteByte(0)
		case strings.HasPrefix(inner, "\\") && utf8.RuneCountInString(inner) == 2:
			b.WriteString(inner[1:])
		case ok:
			b.WriteString(value)
		default:
			return "", fmt.Errorf("[%s] at byte %d would be formatted", inner, i)
		}
		i += 1 + end
	}
	return b.String(), nil
}
